"""Folders are replaced all at once: a failure leaves the old one exactly as it was."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from evidencekb.atomic import replace_file, staged_dir, writer_lock
from evidencekb.cache import cache_folder, read_entry, write_atomically
from evidencekb.paths import PARSE_CACHE_DIRNAME


def test_success_replaces_the_folder(tmp_path: Path) -> None:
    target = tmp_path / "site"
    target.mkdir()
    (target / "old.html").write_text("old")
    with staged_dir(target) as staged:
        (staged / "new.html").write_text("new")
    assert [p.name for p in target.iterdir()] == ["new.html"]
    assert [p.name for p in tmp_path.iterdir()] == ["site"]
    assert target.stat().st_mode & 0o777 == 0o755


def test_failure_leaves_the_old_folder_and_no_trace(tmp_path: Path) -> None:
    target = tmp_path / "site"
    target.mkdir()
    (target / "old.html").write_text("old")
    with pytest.raises(RuntimeError), staged_dir(target) as staged:
        (staged / "half.html").write_text("half")
        raise RuntimeError("a stage failed")
    assert [p.name for p in target.iterdir()] == ["old.html"]
    assert (target / "old.html").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["site"]


def test_creates_a_missing_folder(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "site"
    with staged_dir(target) as staged:
        (staged / "index.html").write_text("hi")
    assert (target / "index.html").read_text() == "hi"


# A writer in another process: it stages a new `target`, says where, and waits for a
# line on stdin before it finishes (or is killed first).
STAGING_WRITER = """
import sys
from pathlib import Path
from evidencekb.atomic import staged_dir
with staged_dir(Path(sys.argv[1])) as staged:
    (staged / "new.html").write_text("new")
    print(staged, flush=True)
    sys.stdin.readline()
"""

# A process that takes the writer lock of `target`, says so, and holds it until it
# reads a line (or is killed).
LOCK_HOLDER = """
import sys
from pathlib import Path
from evidencekb.atomic import writer_lock
with writer_lock(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.readline()
"""


def start(script: str, target: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(target)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def finish(process: subprocess.Popen[str]) -> None:
    process.communicate("\n", timeout=30)
    assert process.returncode == 0


def test_a_staging_folder_is_named_after_its_owner(tmp_path: Path) -> None:
    with staged_dir(tmp_path / "site") as staged:
        pid, started = re.fullmatch(r"\.site\.tmp-(\d+)\.(\d+)-\w+", staged.name).groups()
        assert int(pid) == os.getpid()
        assert int(started) > 0  # this machine has /proc


def test_the_next_writer_removes_what_a_killed_one_left_never_a_live_ones(
    tmp_path: Path,
) -> None:
    target = tmp_path / "site"
    killed, dead_staging = start(STAGING_WRITER, target)
    killed.kill()  # SIGKILL: it cannot clean up
    killed.communicate(timeout=30)
    assert Path(dead_staging).is_dir()
    alive, live_staging = start(STAGING_WRITER, target)  # the next writer...
    try:
        assert not Path(dead_staging).exists()  # ...removed the dead one's folder
        with staged_dir(target) as staged:
            (staged / "mine.html").write_text("mine")
        assert Path(live_staging).is_dir()  # and a writer never removes a live one's
    finally:
        finish(alive)
    # The live writer finished after us: its folder is now the target.
    assert [p.name for p in target.iterdir()] == ["new.html"]
    assert [p.name for p in tmp_path.iterdir()] == ["site"]


def test_a_pid_reused_by_another_process_does_not_make_its_staging_live(
    tmp_path: Path,
) -> None:
    """A folder named after this very pid but another start time is a dead run's."""
    target = tmp_path / "site"
    stale = tmp_path / f".site.tmp-{os.getpid()}.1-abcdefgh"
    stale.mkdir()
    with staged_dir(target) as staged:
        (staged / "index.html").write_text("x")
    assert not stale.exists()


def test_the_writer_lock_waits_for_its_holder(tmp_path: Path) -> None:
    target = tmp_path / "site"
    holder, said = start(LOCK_HOLDER, target)
    assert said == "held"
    waited: list[bool] = []

    def release_the_holder() -> None:
        waited.append(True)
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()

    with writer_lock(target, on_wait=release_the_holder):
        holder.communicate(timeout=30)
        assert holder.returncode == 0
    assert waited == [True]


def test_a_killed_holder_leaves_the_lock_free(tmp_path: Path) -> None:
    target = tmp_path / "site"
    holder, said = start(LOCK_HOLDER, target)
    assert said == "held"
    holder.kill()
    holder.communicate(timeout=30)

    def fail() -> None:
        raise AssertionError("the lock of a dead process was still held")

    with writer_lock(target, on_wait=fail):
        pass


def dead_owner() -> str:
    """`PID.START` of a process that has finished: what a killed writer leaves."""
    process = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.readline()"],
                               stdin=subprocess.PIPE, text=True)  # fmt: skip
    stat = Path(f"/proc/{process.pid}/stat").read_text().rpartition(")")[2].split()
    process.communicate("\n", timeout=30)
    return f"{process.pid}.{stat[19]}"


def test_the_next_import_removes_a_killed_imports_staging(kb_dir: Path, tmp_path: Path) -> None:
    topics = kb_dir / "topics"
    left = topics / f".ketamine-pain.tmp-{dead_owner()}-abcdefgh"
    left.mkdir()
    (left / "claims.toml").write_text("half written")
    source = topics / "ketamine-pain" / "source.txt"
    summary = tmp_path / "summary.txt"
    summary.write_bytes(source.read_bytes())
    result = subprocess.run(
        [sys.executable, "-m", "evidencekb", "import", str(summary), "--topic", "again",
         "--kb", str(kb_dir)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert not left.exists()
    assert sorted(p.name for p in topics.iterdir()) == ["again", "ketamine-pain"]


def test_a_file_replaced_beside_a_killed_writers_temporary_removes_it(tmp_path: Path) -> None:
    """`ekb refs import` killed between writing references.toml's temporary copy and
    renaming it left `.references.toml.tmp-XXXXXXXX` in kb/ for good, owner unknown:
    a pull request's `git add kb` would carry it. Now named by its owner, it goes
    when the next writer of that folder writes; a live writer's stays."""
    target = tmp_path / "references.toml"
    target.write_text("old\n")
    left = tmp_path / f".references.toml.tmp-{dead_owner()}-abcdefgh"
    left.write_text("half written")
    live = tmp_path / f".notices.toml.tmp-{os.getpid()}.0-abcdefgh"
    live.write_text("being written")
    replace_file(target, b"new\n")
    assert target.read_text() == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [live.name, "references.toml"]


def test_a_cache_entry_a_killed_run_left_half_written_is_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder = cache_folder(PARSE_CACHE_DIRNAME)
    assert folder is not None
    entry = folder / "d8ddb729925c703bc4de"
    write_atomically(entry, b"kept")
    left = folder / f".{entry.name}.tmp-{dead_owner()}-abcdefgh"
    left.write_bytes(b"half")
    assert cache_folder(PARSE_CACHE_DIRNAME) == folder  # the next command's look
    assert [p.name for p in folder.iterdir()] == [entry.name]
    assert read_entry(entry) == b"kept"
