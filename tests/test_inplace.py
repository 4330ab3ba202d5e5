"""A site updated in place: only what a build wrote is moved in, decided at one rename;
an update stopped after its decision is finished by the next writer, one stopped
before it leaves the folder as it was."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from evidencekb.build import build
from evidencekb.inplace import commit, files_in, recover, write_or_link
from evidencekb.paths import BUILD_MANIFEST_NAME
from test_incremental import files

MANIFEST = "manifest.json"


def contents(folder: Path) -> dict[str, str]:
    """Every file and folder below `folder` (a folder as its name and "/")."""
    found = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        found[name + "/" if path.is_dir() else name] = "" if path.is_dir() else path.read_text()
    return found


def write(folder: Path, texts: dict[str, str]) -> None:
    for name, text in texts.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_commit_moves_in_the_written_keeps_the_kept_and_removes_the_rest(
    tmp_path: Path,
) -> None:
    target, staged = tmp_path / "site", tmp_path / "staged"
    kept = {f"kept/{number}.html": str(number) for number in range(5)}
    write(target, {MANIFEST: "old", "b.html": "b", "same.html": "s", "gone/deep/c.html": "c"})
    write(target, kept)
    write(staged, {MANIFEST: "new", "b.html": "b2", "same.html": "s", "new/d.html": "d"})
    before = {name: (target / name).stat().st_ino for name in [*kept, "same.html"]}
    commit(staged, target, files_in(target), kept, MANIFEST)
    # The folders gone/deep/ and gone/, left empty, are removed too.
    expected = {MANIFEST: "new", "b.html": "b2", "same.html": "s", "new/": "", "new/d.html": "d"}
    assert contents(target) == expected | {"kept/": ""} | kept
    # Left where they were: the kept files, and the one written with the same bytes.
    assert {name: (target / name).stat().st_ino for name in before} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no commit folder, no journal


def test_an_update_that_writes_more_than_it_keeps_replaces_the_folder_whole(
    tmp_path: Path,
) -> None:
    target, staged = tmp_path / "site", tmp_path / "staged"
    write(target, {MANIFEST: "old", "kept.html": "k", "a.html": "a", "gone.html": "g"})
    write(staged, {MANIFEST: "new", "a.html": "a2", "b.html": "b"})
    kept_inode = (target / "kept.html").stat().st_ino
    folder_inode = target.stat().st_ino
    commit(staged, target, files_in(target), ["kept.html"], MANIFEST)
    assert contents(target) == {MANIFEST: "new", "kept.html": "k", "a.html": "a2", "b.html": "b"}
    assert (target / "kept.html").stat().st_ino == kept_inode  # linked into the new folder
    assert target.stat().st_ino != folder_inode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_commit_with_nothing_present_replaces_the_folder_whole(tmp_path: Path) -> None:
    target, staged = tmp_path / "site", tmp_path / "staged"
    write(target, {MANIFEST: "old", "a.html": "a"})
    write(staged, {MANIFEST: "new"})
    commit(staged, target, None, [], MANIFEST)
    assert contents(target) == {MANIFEST: "new"}


# Stages a large update of `target` (argv[1]) from `staged` (argv[2]), keeping what
# is under kept/: killed by the test once the update is decided.
COMMITTER = """
import sys
from pathlib import Path
from evidencekb.inplace import commit, files_in
target = Path(sys.argv[1])
present = files_in(target)
kept = [name for name in present if name.startswith("kept/")]
commit(Path(sys.argv[2]), target, present, kept, "manifest.json")
"""


def test_an_update_killed_after_its_decision_is_finished_by_the_next_writer(
    tmp_path: Path,
) -> None:
    target, staged = tmp_path / "site", tmp_path / "staged"
    # More kept than written (see the next test); written: enough to be caught moving.
    kept = {f"kept/{number // 1000}/{number}.html": "kept" for number in range(6_000)}
    write(target, {MANIFEST: "old", "gone/old.html": "old"} | kept)
    pages = {f"pages/{number // 1000}/{number}.html": str(number) for number in range(5_000)}
    write(staged, {MANIFEST: "new"} | pages)
    decided = tmp_path / ".site.commit"
    process = subprocess.Popen([sys.executable, "-c", COMMITTER, str(target), str(staged)])
    while not decided.exists():
        assert process.poll() is None, "the update ended before it was seen deciding"
        time.sleep(0.0005)
    process.kill()  # SIGKILL, in the middle of the moves
    process.wait(timeout=60)
    assert decided.is_dir()
    assert (target / MANIFEST).read_text() == "old"  # the manifest moves last
    recover(target, MANIFEST)
    expected = {MANIFEST: "new", "kept/": "", "pages/": ""} | kept | pages
    expected |= {name.rpartition("/")[0] + "/": "" for name in kept | pages}
    assert contents(target) == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_an_update_stopped_before_its_decision_leaves_the_folder_as_it_was(
    tmp_path: Path,
) -> None:
    """Stopped between writing its journal and deciding: the journal is forgotten."""
    target = tmp_path / "site"
    write(target, {MANIFEST: "old", "a.html": "a"})
    (tmp_path / ".site.commit.removed").write_text('["a.html"]')
    recover(target, MANIFEST)
    assert contents(target) == {MANIFEST: "old", "a.html": "a"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_a_build_finishes_an_update_left_decided_before_it_builds(
    kb_dir: Path, tmp_path: Path
) -> None:
    """An update of a built site, decided and stopped (a page rewritten, another to be
    removed): the next build finishes it, then builds, and gives a full build's bytes."""
    site = tmp_path / "site"
    build(kb_dir, site)
    pending = tmp_path / ".site.commit"
    write(pending, {"index.html": "a page from the stopped build"})
    shutil.copyfile(site / BUILD_MANIFEST_NAME, pending / BUILD_MANIFEST_NAME)
    (tmp_path / ".site.commit.removed").write_text('["about.html"]')
    build(kb_dir, site)
    build(kb_dir, tmp_path / "full", full=True)
    assert files(site) == files(tmp_path / "full")
    assert not pending.exists() and not (tmp_path / ".site.commit.removed").exists()


def test_a_file_written_as_it_was_is_linked_from_the_build_before(tmp_path: Path) -> None:
    earlier, out = tmp_path / "earlier", tmp_path / "out"
    write(earlier, {"same.js": "x = 1;", "longer.js": "x = 1;;", "other.js": "x = 2;"})
    out.mkdir()
    for name in ("same.js", "longer.js", "other.js", "new.js"):
        write_or_link(str(out / name), b"x = 1;", str(earlier / name))
    assert contents(out) == dict.fromkeys(["longer.js", "new.js", "other.js", "same.js"], "x = 1;")
    linked = {p.name for p in out.iterdir() if p.stat().st_nlink == 2}
    assert linked == {"same.js"}
