"""`ekb build --site-dir DIR` replaces only a folder a build wrote (or an empty one),
publishes through a symbolic link into its target, and leaves no debris."""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from evidencekb.atomic import staged_dir
from evidencekb.errors import KBError
from evidencekb.paths import BUILD_MANIFEST_NAME
from fixtures import SEED_COPY, folder_bytes


def ekb(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "evidencekb", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def refused(name: str) -> str:
    return (
        f"Error: refusing to replace {name}: it is not empty and has no {BUILD_MANIFEST_NAME}, "
        "so evidencekb did not write it; choose a new or empty folder, or one it wrote\n"
    )


def test_build_never_replaces_a_folder_it_did_not_write(kb_dir: Path, tmp_path: Path) -> None:
    project = kb_dir.parent
    (project / "notes.txt").write_text("an editor's notes\n")
    before = folder_bytes(project)
    for site_dir, shown in (("kb", "kb"), (".", "."), (str(kb_dir), str(kb_dir))):
        result = ekb("build", "-q", "--kb", "kb", "--site-dir", site_dir, cwd=project)
        assert (result.returncode, result.stderr) == (1, refused(shown))
    assert folder_bytes(project) == before
    assert sorted(p.name for p in project.iterdir()) == sorted(["kb", "notes.txt"])


def test_build_fills_an_empty_folder_then_replaces_its_own(kb_dir: Path, tmp_path: Path) -> None:
    site = tmp_path / "empty"
    site.mkdir()
    assert ekb("build", "-q", "--kb", str(kb_dir), "--site-dir", str(site)).returncode == 0
    assert (site / BUILD_MANIFEST_NAME).is_file()
    (site / "stale.html").write_text("left by hand")
    assert ekb("build", "-q", "--kb", str(kb_dir), "--site-dir", str(site)).returncode == 0
    assert not (site / "stale.html").exists()  # a site it wrote is replaced whole


def test_a_linked_site_dir_is_published_into_its_target(kb_dir: Path, tmp_path: Path) -> None:
    www = tmp_path / "var-www"
    www.mkdir()
    link = tmp_path / "site"
    link.symlink_to(www / "ekb")  # the target does not exist yet
    for _ in range(2):  # a first publication, then a replacement through the link
        result = ekb("build", "-q", "--kb", str(kb_dir), "--site-dir", str(link))
        assert (result.returncode, result.stderr) == (0, "")
        assert link.is_symlink() and os.readlink(link) == str(www / "ekb")
        assert (www / "ekb" / "index.html").is_file()
    # The index `ekb search` reads stays beside the link: only the site is published.
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "..site.ekb-index.lock", ".site.ekb-index", "kb", "site", "var-www"
    ]  # fmt: skip
    assert sorted(p.name for p in www.iterdir()) == [".ekb.lock", "ekb"]
    reference = tmp_path / "plain"
    assert ekb("build", "-q", "--kb", str(kb_dir), "--site-dir", str(reference)).returncode == 0
    assert not filecmp.dircmp(reference, www / "ekb").diff_files


def test_a_link_to_a_foreign_folder_is_refused(kb_dir: Path, tmp_path: Path) -> None:
    link = tmp_path / "site"
    link.symlink_to(kb_dir)
    result = ekb("build", "-q", "--kb", str(kb_dir), "--site-dir", str(link))
    assert (result.returncode, result.stderr) == (1, refused(str(link)))
    assert link.is_symlink() and (kb_dir / "topics").is_dir()


def test_staged_dir_never_replaces_a_file(tmp_path: Path) -> None:
    """`ekb import --replace` over a topic path that is a file: refused, nothing moved."""
    target = tmp_path / "topic"
    target.write_text("not a topic")
    with pytest.raises(KBError, match="is a file, not a folder"), staged_dir(target) as staged:
        (staged / "claims.toml").write_text("")
    assert target.read_text() == "not a topic"
    assert [p.name for p in tmp_path.iterdir()] == ["topic"]


def test_import_replace_over_a_file_leaves_it_and_no_hidden_copy(
    kb_dir: Path, tmp_path: Path
) -> None:
    topic = kb_dir / "topics" / "odd"
    topic.write_text("a file where a topic would be\n")
    source = tmp_path / "claims.jsonl"
    source.write_text(
        '{"type": "claim", "text": "A finding.", "section": "research", "citations": []}\n'
    )
    result = ekb(
        "import", str(source), "--format", "claims-jsonl", "--topic", "odd", "--replace",
        "--kb", str(kb_dir),
    )  # fmt: skip
    assert (result.returncode, result.stderr) == (
        1,
        f"Error: {topic} exists and is not a folder; remove it or choose another --topic\n",
    )
    assert topic.read_text() == "a file where a topic would be\n"
    assert sorted(p.name for p in topic.parent.iterdir()) == ["ketamine-pain", "odd"]


def test_a_marked_folder_is_replaced_and_an_unmarked_one_refused(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "mine.txt").write_text("x")
    with pytest.raises(KBError, match="refusing to replace"), staged_dir(target, marker="M"):
        pass
    (target / "M").write_text("")
    with staged_dir(target, marker="M") as staged:
        (staged / "M").write_text("")
    assert [p.name for p in target.iterdir()] == ["M"]
    shutil.rmtree(target)


def test_search_never_replaces_a_foreign_index_folder(kb_dir: Path, tmp_path: Path) -> None:
    site, index = tmp_path / "site", tmp_path / ".site.ekb-index"
    index.mkdir()
    (index / "notes.txt").write_text("mine\n")
    for command in ("search", "build"):
        args = ["ketamine"] if command == "search" else []
        result = ekb(command, *args, "--kb", str(kb_dir), "--site-dir", str(site))
        assert result.returncode == 1
        assert result.stderr.splitlines()[-1] == (
            f"Error: refusing to replace {index}: it is not empty and has no "
            "evidencekb-index.json or .ekb-build.json, so evidencekb did not write it; "
            "choose a new or empty folder, or one it wrote"
        )
        assert (index / "notes.txt").read_text() == "mine\n"


@pytest.mark.parametrize(
    "command",
    [
        ["import", str(SEED_COPY), "--topic", "waiting"],
        ["import", str(SEED_COPY), "--topic", "ketamine-pain", "--replace"],
    ],
    ids=["import", "import-replace"],
)
def test_a_kb_writer_waits_for_kbs_writer_lock(kb_dir: Path, command: list[str]) -> None:
    """Every command that reads kb/ and writes it back holds kb/'s writer lock from
    the read to the write (atomic.writes_kb): while another writer holds it, it waits,
    then writes. Held here as another process would hold it."""
    import fcntl

    with open(kb_dir.with_name(f".{kb_dir.name}.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        waiting = subprocess.Popen(
            [sys.executable, "-m", "evidencekb", *command, "--kb", str(kb_dir)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            with pytest.raises(subprocess.TimeoutExpired):
                waiting.wait(timeout=3)  # still waiting for the lock
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    _, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, err
