"""`ekb build`: atomic, deterministic, with progress only on a terminal."""

from __future__ import annotations

import gzip
import json
import os
import pty
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from evidencekb.atomic import staged_dir, writer_lock
from evidencekb.build import BuildResult, build
from evidencekb.errors import Cancelled, ValidationError
from evidencekb.kb import read_kb
from evidencekb.kb.fingerprint import kb_fingerprint
from evidencekb.paths import DATABASE_NAME, EXPORT_NAME, INDEX_META_NAME, index_dir
from evidencekb.reuse import built_from
from evidencekb.search.index import is_fresh
from fixtures import ctrl_c_works, ekb_here, reword


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_build_writes_database_export_index_and_pages(kb_dir: Path, tmp_path: Path) -> None:
    result = build(kb_dir, tmp_path / "site")
    assert (result.topics, result.claims) == (1, 20)
    for name in (DATABASE_NAME, EXPORT_NAME, "index.html"):
        assert (tmp_path / "site" / name).exists(), name
    # The index only `ekb search` reads is beside the site, never published with it.
    assert (tmp_path / ".site.ekb-index" / INDEX_META_NAME).is_file()
    assert index_dir(tmp_path / "site") == tmp_path / ".site.ekb-index"
    assert not any(p.name.startswith("MAIN") for p in (tmp_path / "site").rglob("*"))


def test_the_export_is_the_json_export_gzipped_with_no_name_or_time(
    kb_dir: Path, tmp_path: Path
) -> None:
    build(kb_dir, tmp_path / "site")
    data = (tmp_path / "site" / EXPORT_NAME).read_bytes()
    # RFC 1952: magic, deflate, no flags (so no file name), modification time 0.
    assert data[:8] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00"
    exported = ekb_here("export", "--kb", str(kb_dir), "--format", "json")
    assert exported.exit_code == 0
    assert gzip.decompress(data).decode("utf-8") == exported.output


def test_same_kb_same_bytes(kb_dir: Path, tmp_path: Path) -> None:
    build(kb_dir, tmp_path / "a")
    build(kb_dir, tmp_path / "b")
    first, second = tree(tmp_path / "a"), tree(tmp_path / "b")
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []


def test_a_failed_build_leaves_the_previous_site(kb_dir: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    build(kb_dir, site)
    before, index_before = tree(site), tree(index_dir(site))
    claims = kb_dir / "topics/ketamine-pain/claims.toml"
    claims.write_text(claims.read_text().replace('section = "research"', 'section = "x"', 1))
    with pytest.raises(ValidationError):
        build(kb_dir, site)
    assert tree(site) == before
    assert tree(index_dir(site)) == index_before
    # No staging folder left; only the index and the writers' lock files (see test_atomic).
    hidden = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("."))
    assert hidden == ["..site.ekb-index.lock", ".site.ekb-index", ".site.lock"]


def run_on_terminal(*args: str) -> str:
    """Run `ekb` with a pseudo-terminal as its stdout and stderr; return what it wrote."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: become `python -m evidencekb ...`
        os.execv(sys.executable, [sys.executable, "-m", "evidencekb", *args])
    output = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    os.waitpid(pid, 0)
    os.close(fd)
    return output.decode("utf-8", errors="replace")


def test_progress_on_a_terminal_and_quiet(kb_dir: Path, tmp_path: Path) -> None:
    shown = run_on_terminal("build", "--kb", str(kb_dir), "--site-dir", str(tmp_path / "a"))
    assert "database: 20/20" in shown
    assert re.search(
        rf"Built {re.escape(str(tmp_path / 'a'))}/ from 1 topic and 20 claims: ", shown
    )
    quiet = run_on_terminal(
        "build", "--quiet", "--kb", str(kb_dir), "--site-dir", str(tmp_path / "b")
    )
    assert quiet == ""


def test_progress_counts_the_parts_up_to_all_of_them(kb_dir: Path, tmp_path: Path) -> None:
    log = tmp_path / "progress"

    def progress(stage: str, done: int, total: int) -> None:  # from every process
        with log.open("a") as file:
            file.write(f"{stage} {done} {total}\n")

    site_dir = tmp_path / "site"
    build(kb_dir, site_dir, progress)
    lines = [line.rsplit(" ", 2) for line in log.read_text().splitlines()]
    counts = sorted((int(done), int(total)) for stage, done, total in lines if stage == "parts")
    pages = list(site_dir.rglob("*.html"))
    # Every page is a part but the downloads page, written last with the files' sizes.
    assert counts[-1][0] == counts[-1][1] > len(pages) - 1
    assert len({done for done, _ in counts}) == len(counts)  # counted across processes


def test_no_progress_when_not_a_terminal(kb_dir: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "evidencekb", "build", "--kb", str(kb_dir), "--site-dir",
         str(tmp_path / "site")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert result.stderr == ""
    built = f"Built {tmp_path / 'site'}/ from 1 topic and 20 claims: "
    first = re.fullmatch(
        rf"{re.escape(built)}wrote (\d+) of (\d+) parts, kept 0\.\n", result.stdout
    )
    assert first and first[1] == first[2]
    again = subprocess.run(result.args, capture_output=True, text=True, check=True).stdout
    found = re.fullmatch(rf"{re.escape(built)}wrote (\d+) of (\d+) parts, kept (\d+)\.\n", again)
    assert found and int(found[1]) + int(found[3]) == int(found[2]) == int(first[2])
    assert 0 < int(found[1]) < int(found[3])  # the pages rendered every time, the rest kept


def ekb(*args: str, **options: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "evidencekb", *args], capture_output=True, text=True, **options
    )


def limit_file_size() -> None:
    """In the child: no file may grow past 64 KiB (writes fail with EFBIG; Python
    ignores the SIGXFSZ that would otherwise kill it)."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


@pytest.mark.parametrize("options", [["--full"], []])
def test_a_write_failure_is_one_error_line_and_keeps_the_old_site(
    kb_dir: Path, tmp_path: Path, reword: Callable[[Path, str, str], None], options: list[str]
) -> None:
    """A file-size limit stands in for a full disk on any machine: every write past it
    fails as on a full disk (EFBIG instead of ENOSPC), in sqlite and in Python alike.
    Without --full the build keeps what it can, but an edited claim makes it write the
    database again."""
    site = tmp_path / "site"
    build(kb_dir, site)
    before, index_before = tree(site), tree(index_dir(site))
    reword(kb_dir, "interrupt pain signaling pathways", "interrupt the pain signaling pathways")
    result = ekb("build", *options, "--kb", str(kb_dir), "--site-dir", str(site),
                 preexec_fn=limit_file_size)  # fmt: skip
    assert result.returncode == 1
    assert re.fullmatch(
        rf"Error: cannot write the site at {re.escape(str(site))}: "
        r"(File too large|database or disk is full|disk I/O error)\n",
        result.stderr,
    ), result.stderr
    assert tree(site) == before
    assert tree(index_dir(site)) == index_before
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["..site.ekb-index.lock", ".site.ekb-index", ".site.lock", "kb", "site"]


def can_mount() -> bool:
    """Whether this process may mount a tmpfs in a private mount namespace: root and
    unshare(1) are not enough inside a container without CAP_SYS_ADMIN, so try it."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
             "mount -t tmpfs -o size=64k tmpfs /mnt"]  # fmt: skip
    return subprocess.run(probe, capture_output=True, timeout=30).returncode == 0


# The file-size test above covers the same code on every machine; this one shows a
# real ENOSPC and EROFS where the machine allows a mount.
needs_mounts = pytest.mark.skipif(
    not can_mount(), reason="needs root allowed to mount a small tmpfs (unshare --mount)"
)

# Runs in a private mount namespace, so its tmpfs vanishes with it: mount a tmpfs of
# $SIZE at $DISK, put the old site in it, optionally make it read-only, run the build,
# then copy what the tmpfs holds to $AFTER for the test to compare. --full: without it
# the build would link the unchanged old site's files and need no room.
ON_TMPFS = """
set -e
mount -t tmpfs -o size="$SIZE" tmpfs "$DISK"
cp -a "$OLD" "$DISK/site"
if [ "$READ_ONLY" = 1 ]; then mount -o remount,ro "$DISK"; fi
set +e
"$PYTHON" -m evidencekb build --full --kb "$KB" --site-dir "$DISK/site" 2> "$ERRORS"
echo $? > "$STATUS"
cp -a "$DISK/." "$AFTER"
"""


@needs_mounts
@pytest.mark.parametrize(
    ("read_only", "reasons"),
    [
        (False, "No space left on device|database or disk is full"),
        (True, "Read-only file system"),
    ],
    ids=["full-disk", "read-only"],
)
def test_a_full_disk_or_a_read_only_folder_on_a_real_tmpfs(
    kb_dir: Path, tmp_path: Path, read_only: bool, reasons: str
) -> None:
    old = tmp_path / "old"
    build(kb_dir, old)
    used = sum(p.lstat().st_blocks * 512 for p in old.rglob("*"))
    disk, after = tmp_path / "disk", tmp_path / "after"
    disk.mkdir()
    after.mkdir()
    env = {
        **os.environ,
        "SIZE": str(used * 3 // 2),  # room for the old site, not for a second one
        "DISK": str(disk),
        "OLD": str(old),
        "READ_ONLY": str(int(read_only)),
        "PYTHON": sys.executable,
        "KB": str(kb_dir),
        "ERRORS": str(tmp_path / "errors"),
        "STATUS": str(tmp_path / "status"),
        "AFTER": str(after),
    }
    subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", ON_TMPFS],
                   env=env, check=True, timeout=120)  # fmt: skip
    errors = (tmp_path / "errors").read_text()
    assert (tmp_path / "status").read_text() == "1\n", errors
    assert re.fullmatch(
        rf"Error: cannot write the site at {re.escape(str(disk / 'site'))}: ({reasons})\n", errors
    )
    locks = {".site.lock", "..site.ekb-index.lock"}
    assert {p.name for p in after.iterdir()} - locks == {"site"}  # no staging left
    assert tree(after / "site") == tree(old)


def start_build(kb_dir: Path, site: Path, *, group: bool = False) -> subprocess.Popen[str]:
    """`group`: in a process group of its own, as a terminal starts a command."""
    # --full: every page rendered, so that the build is still writing when a test stops
    # it (a build keeping every part of the seed's site ends within milliseconds).
    return subprocess.Popen(
        [sys.executable, "-m", "evidencekb", "build", "--full", "--kb", str(kb_dir),
         "--site-dir", str(site)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        preexec_fn=ctrl_c_works, start_new_session=group,
    )  # fmt: skip


def staging_of(site: Path) -> list[Path]:
    return sorted(site.parent.glob(f".{site.name}.tmp-*"))


def wait_for_staging(process: subprocess.Popen[str], site: Path) -> Path:
    """The build's staging folder, as soon as it exists (the build is then writing)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if found := staging_of(site):
            return found[0]
        time.sleep(0.001)
    raise AssertionError("the build ended before it was seen writing")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_stopped_build_removes_its_staging_and_keeps_the_old_site(
    kb_dir: Path, tmp_path: Path, signum: int
) -> None:
    site = tmp_path / "site"
    build(kb_dir, site)
    before = tree(site)
    process = start_build(kb_dir, site)
    wait_for_staging(process, site)
    process.send_signal(signum)
    _, errors = process.communicate(timeout=60)
    assert process.returncode == 128 + signum
    name = "interrupted" if signum == signal.SIGINT else f"stopped by {signal.Signals(signum).name}"
    assert errors == f"Error: {name}\n"
    assert staging_of(site) == []
    assert tree(site) == before


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGHUP])
def test_ctrl_c_at_the_terminal_stops_the_workers_through_the_build_alone(
    kb_dir: Path, tmp_path: Path, signum: int
) -> None:
    """Ctrl-C (or a hang-up) reaches the build's whole process group, its workers too:
    they leave it to the build, which stops them as it unwinds, so the terminal shows
    the one line, never a worker's traceback, whenever in the workers' start it lands."""
    site = tmp_path / "site"
    build(kb_dir, site)
    before = tree(site)
    for _ in range(3):
        process = start_build(kb_dir, site, group=True)
        wait_for_staging(process, site)
        os.killpg(process.pid, signum)
        _, errors = process.communicate(timeout=60)
        name = "interrupted" if signum == signal.SIGINT else "stopped by SIGHUP"
        assert (process.returncode, errors) == (128 + signum, f"Error: {name}\n")
        assert staging_of(site) == []
        assert tree(site) == before


def test_the_next_build_removes_what_a_killed_build_left(kb_dir: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    process = start_build(kb_dir, site)
    left = wait_for_staging(process, site)
    process.kill()  # SIGKILL: nothing can clean up
    process.communicate(timeout=60)
    assert left.is_dir()
    build(kb_dir, site)
    assert staging_of(site) == []
    assert (site / "index.html").is_file()


def test_a_search_that_must_rebuild_waits_for_a_build_in_progress(
    kb_dir: Path, tmp_path: Path, reword: Callable[[Path, str, str], None]
) -> None:
    """Two real processes: this test plays a build (it holds the index's writer lock,
    then swaps in a new index), while `ekb search` finds the index stale. Without the
    lock the search rebuilt its index inside the old site as the build replaced it,
    and failed with `cannot write the search index at …/whoosh: No such file or
    directory` (3 overlaps in 38)."""
    site = tmp_path / "site"
    build(kb_dir, site)
    reword(kb_dir, "a viable option", "a workable option")  # the index is now stale
    fresh = index_dir(build(kb_dir, tmp_path / "fresh").site_dir)
    index = index_dir(site)
    with writer_lock(index):
        searcher = subprocess.Popen(
            [sys.executable, "-m", "evidencekb", "search", "--kb", str(kb_dir), "--site-dir",
             str(site), "--json", "workable"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert searcher.stderr is not None
        assert searcher.stderr.readline() == f"waiting for a build of {index}…\n"
        with staged_dir(index) as staged:  # the build finishes: a new index, swapped in
            shutil.copytree(fresh, staged, dirs_exist_ok=True)
    found, errors = searcher.communicate(timeout=60)
    assert (searcher.returncode, errors) == (0, "")  # the new index is fresh: no rebuild
    assert next(hit["text"] for hit in json.loads(found)).startswith("Ketamine is a workable")


def test_a_build_that_waits_for_another_says_so(kb_dir: Path, tmp_path: Path) -> None:
    """Two real processes: this test holds the site's writer lock, as a build does; a
    second `ekb build` waits for it, and says so rather than hanging without a word."""
    site = tmp_path / "site"
    with writer_lock(site):
        builder = subprocess.Popen(
            [sys.executable, "-m", "evidencekb", "build", "--quiet", "--kb", str(kb_dir),
             "--site-dir", str(site)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert builder.stderr is not None
        assert builder.stderr.readline() == f"waiting for another build of {site}…\n"
    _, errors = builder.communicate(timeout=120)
    assert (builder.returncode, errors) == (0, "")


def _check_then_build(kb: Path, site: Path) -> sqlite3.Connection:
    """`ekb check`, then `ekb build`: a kb the check passes must build."""
    checked = ekb_here("check", "--kb", str(kb))
    assert checked.exit_code == 0, checked.output
    built = ekb_here("build", "-q", "--kb", str(kb), "--site-dir", str(site))
    assert built.exit_code == 0, built.output
    return sqlite3.connect(site / DATABASE_NAME)


def test_a_kb_with_no_topics_yet_builds(empty_kb: Path, tmp_path: Path) -> None:
    """Every table is made, empty where kb/ has nothing for it: other tables' foreign
    keys name them (sqlite-utils makes no table of no rows)."""
    db = _check_then_build(empty_kb, tmp_path / "site")
    tables = {name for (name,) in db.execute("select name from sqlite_master where type = 'table'")}
    assert {"topics", "cited_works", "claims", "claim_citations", "stances"} <= tables
    assert db.execute("select count(*) from topics").fetchone() == (0,)
    db.close()


def test_a_kb_citing_no_work_builds(kb_dir: Path, tmp_path: Path) -> None:
    """The seed topic's claims that cite nothing, and no reference list."""
    topic = kb_dir / "topics" / "ketamine-pain"
    head, *claims = (topic / "claims.toml").read_text("utf-8").split("[[claim]]\n")
    uncited = [claim for claim in claims if "\ncitations = []\n" in claim]
    assert 0 < len(uncited) < len(claims)
    (topic / "claims.toml").write_text(head + "".join(f"[[claim]]\n{c}" for c in uncited))
    (topic / "references.toml").write_text("", encoding="utf-8")
    db = _check_then_build(kb_dir, tmp_path / "site")
    assert db.execute("select count(*) from cited_works").fetchone() == (0,)
    assert db.execute("select count(*) from claims").fetchone() == (len(uncited),)
    db.close()


# The site first, then the index (`build`'s `on_site`, which `ekb serve` uses) ----------

SAID, EDITED = "nightmares, and laryngospasm", "nightmares, and bronchospasm"


def _claim_pages_saying(site: Path, words: str) -> list[str]:
    return [p.name for p in (site / "claims").glob("*.html") if words in p.read_text("utf-8")]


# Held as they were until the rest follows the pages: the downloads page gives the sizes.
HELD = ("evidencekb.db", "evidencekb.json.gz", "search/manifest.js", "downloads.html")


def test_on_site_is_told_once_the_pages_are_updated_and_before_the_rest_and_the_index(
    kb_dir: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    build(kb_dir, site)
    index_before = tree(index_dir(site))
    held_before = {name: (site / name).read_bytes() for name in HELD}
    reword(kb_dir, SAID, EDITED)
    seen: list[tuple[list[str], dict[str, bytes], list[str], dict[str, bytes], str | None]] = []

    def site_updated(result: BuildResult) -> None:
        assert result.site_dir == site and result.claims == 20
        (staged,) = tmp_path.glob(f".{index_dir(site).name}.tmp-*")  # the index's to be
        written = sorted(path.name for path in staged.iterdir())
        held = {name: (site / name).read_bytes() for name in HELD}
        edited = _claim_pages_saying(site, EDITED)
        seen.append((edited, tree(index_dir(site)), written, held, built_from(site)))

    result = build(kb_dir, site, on_site=site_updated)
    ((edited_pages, index_then, index_written, held_then, built_then),) = seen
    assert edited_pages  # the pages were updated when told
    assert held_then == held_before  # the search data, database and export not yet,
    assert built_then == ""  # and the site said so: built from no kb/ as it is
    assert index_then == index_before  # nor the index,
    assert index_written == []  # nor any of its parts written
    assert built_from(site) == kb_fingerprint(kb_dir).digest
    # Once the build is done, the same site and index as a build of every part at once.
    build(kb_dir, tmp_path / "together" / "site")
    assert tree(site) == tree(tmp_path / "together" / "site")
    assert tree(index_dir(site)) == tree(index_dir(tmp_path / "together" / "site"))
    assert is_fresh(kb_dir, index_dir(site))
    assert any(name.startswith("segment/") for name in result.written)


def test_a_build_stopped_while_kb_is_read_stops_before_the_next_topic(
    kb_dir: Path, tmp_path: Path
) -> None:
    """Reading a large kb/ whose every topic is checked again (a vocabulary edited)
    takes seconds, before any part is run: once `stop` is set, the reading raises
    Cancelled before its next topic (here its first), and a build so stopped leaves
    the site as it was."""
    site = tmp_path / "site"
    build(kb_dir, site)
    before = tree(site)
    reword(kb_dir, SAID, EDITED)
    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled):
        read_kb(kb_dir, stop=stop)
    with pytest.raises(Cancelled):
        build(kb_dir, site, stop=stop)
    assert tree(site) == before
    assert not [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name]


def test_a_build_stopped_after_the_site_leaves_it_and_the_index_to_the_next(
    kb_dir: Path, tmp_path: Path
) -> None:
    """Stopped once the site is updated (`ekb serve` stopping, a save to build anew),
    the build leaves the new site and the index as it was, no staging folder; the next
    search finds the index older than kb/ and makes it anew."""
    site = tmp_path / "site"
    build(kb_dir, site)
    index_before = tree(index_dir(site))
    reword(kb_dir, SAID, EDITED)
    database = (site / "evidencekb.db").read_bytes()
    stop = threading.Event()
    with pytest.raises(Cancelled):
        build(kb_dir, site, stop=stop, on_site=lambda result: stop.set())
    assert _claim_pages_saying(site, EDITED)
    assert (site / "evidencekb.db").read_bytes() == database  # held as it was,
    assert built_from(site) == ""  # which the manifest says: `ekb serve` builds again
    assert tree(index_dir(site)) == index_before
    hidden = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("."))
    assert hidden == ["..site.ekb-index.lock", ".site.ekb-index", ".site.lock"]
    searched = ekb_here("search", "bronchospasm", "--kb", str(kb_dir), "--site-dir", str(site))
    assert searched.exit_code == 0 and "bronchospasm" in searched.output, searched.output
    assert is_fresh(kb_dir, index_dir(site))
    build(kb_dir, site)  # the next build: the site as one build of every part leaves it
    build(kb_dir, tmp_path / "full" / "site", full=True)
    assert tree(site) == tree(tmp_path / "full" / "site")
