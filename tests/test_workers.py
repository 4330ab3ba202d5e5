"""run_shared: tasks on every core, a failure in any process raised; run_parts: a build's
parts kept or written, in runs of neighbours, largest first."""

from __future__ import annotations

import errno
import gc
import os
import signal
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack, suppress
from pathlib import Path

import pytest

from evidencekb.errors import Cancelled, KBError
from evidencekb.hashing import content_key
from evidencekb.reuse import Earlier, Part, write_manifest
from evidencekb.workers import (
    _runs,
    collector_paused,
    frozen_heap,
    made_to_last,
    run_parts,
    run_shared,
    worker_count,
)


def nothing() -> None:
    return None


def test_each_task_runs_once_every_process_takes_some_and_results_keep_their_order(
    tmp_path: Path,
) -> None:
    def task(number: int) -> Callable[[], tuple[int, int]]:
        def run() -> tuple[int, int]:
            with (tmp_path / "log").open("a") as log:
                log.write(f"{number}\n")
            time.sleep(0.2)  # long enough that the other process takes the next one
            return number, os.getpid()

        return run

    count = 4 * worker_count()
    results = run_shared([task(number) for number in range(count)])
    assert [number for number, _ in results] == list(range(count))
    assert sorted(map(int, (tmp_path / "log").read_text().split())) == list(range(count))
    processes = {pid for _, pid in results}
    assert os.getpid() in processes and len(processes) == worker_count()


def test_one_task_runs_here() -> None:
    assert run_shared([os.getpid]) == [os.getpid()]


def test_a_failure_in_the_child_is_raised_as_itself(tmp_path: Path) -> None:
    parent = os.getpid()

    def task() -> None:  # which process takes which task depends on timing
        if os.getpid() == parent:
            time.sleep(1)
        else:
            raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "x"))

    with pytest.raises(OSError) as raised:
        run_shared([task, task])
    assert raised.value.errno == errno.ENOSPC


def test_a_child_killed_outright_is_an_error() -> None:
    parent = os.getpid()

    def task() -> None:
        if os.getpid() == parent:
            time.sleep(1)
        else:
            os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(KBError, match=r"stopped unexpectedly \(exit code -9\)"):
        run_shared([task, task])


def test_a_failure_here_stops_the_child(tmp_path: Path) -> None:
    parent = os.getpid()

    def task() -> None:
        if os.getpid() == parent:
            time.sleep(0.5)  # the child has taken the other task by now
            raise ValueError("here failed")
        time.sleep(30)
        (tmp_path / "late").write_text("the child was not stopped")

    started = time.monotonic()
    with pytest.raises(ValueError, match="here failed"):
        run_shared([task, task])
    assert time.monotonic() - started < 20
    assert not (tmp_path / "late").exists()


def ended(pid: int, within: float) -> bool:
    """Whether process `pid` is gone (or a zombie nobody reaps) within `within` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            return True
        if "\nState:\tZ" in status:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_a_child_whose_parent_is_killed_ends_and_lets_go(tmp_path: Path) -> None:
    """SIGKILL of a build's process (kill -9, the OOM killer) must not leave its worker
    waiting forever on a report nobody reads, holding the build's locks, which every
    later build and search then waits for."""
    marker = tmp_path / "child"
    leader = os.fork()
    if leader == 0:  # the build's process
        try:
            me = os.getpid()

            def task() -> bytes:
                if os.getpid() == me:
                    time.sleep(60)
                    return b""
                marker.write_text(str(os.getpid()))
                time.sleep(0.5)  # its parent is killed meanwhile
                return bytes(1 << 20)  # a report larger than a pipe holds

            run_shared([task, task])
        finally:
            os._exit(0)
    deadline = time.monotonic() + 20
    while not marker.exists() or not marker.read_text():
        assert time.monotonic() < deadline, "the child never started"
        time.sleep(0.05)
    child = int(marker.read_text())
    os.kill(leader, signal.SIGKILL)
    os.waitpid(leader, 0)
    try:
        assert ended(child, within=10)
    finally:  # a child that did not end would hold this run's output open for ever
        with suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)


def test_what_was_alive_before_the_tasks_is_frozen_while_they_run_and_only_then() -> None:
    """The loaded kb is out of the garbage collector's reach in both processes while
    the tasks run (so neither traces it again), and the collector is as it was after."""
    kept = [[number] for number in range(1000)]  # lists: objects the collector tracks
    assert gc.get_freeze_count() == 0
    frozen = run_shared([gc.get_freeze_count] * 2)
    assert all(count >= len(kept) for count in frozen)
    assert gc.get_freeze_count() == 0


def test_a_frozen_block_inside_another_leaves_the_unfreezing_to_it() -> None:
    """A build freezes the loaded kb for all of its run, and runs its parts (which
    freeze what is alive again) inside."""
    kept = [[number] for number in range(1000)]
    with frozen_heap():
        assert gc.get_freeze_count() >= len(kept)
        run_shared([gc.get_freeze_count] * 2)
        assert gc.get_freeze_count() >= len(kept)
    assert gc.get_freeze_count() == 0


def test_what_a_block_made_to_last_makes_stays_frozen_for_its_scope() -> None:
    """kb/ read into the model (or a build's parts) is frozen as the block ends, before
    the collector resumes, and given back to it when the build's scope ends."""
    with ExitStack() as scope:
        with made_to_last(scope):
            assert not gc.isenabled()
            kept = [[number] for number in range(1000)]
        assert gc.isenabled()
        assert gc.get_freeze_count() >= len(kept)
        assert not any(found is kept for found in gc.get_objects())
    assert gc.get_freeze_count() == 0
    assert any(found is kept for found in gc.get_objects())


def test_the_collector_is_paused_for_the_block_and_then_as_it_was() -> None:
    assert gc.isenabled()
    with pytest.raises(ValueError), collector_paused():
        assert not gc.isenabled()
        raise ValueError("a failed block")
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # one paused before is left paused
    finally:
        gc.enable()


def test_the_worker_count_is_the_cores_this_process_may_use() -> None:
    assert worker_count() == len(os.sched_getaffinity(0))


def part(name: str, cost: float = 1, key: str | None = None) -> Part:
    return Part(name, key, (name,), lambda: name.upper(), cost)


def test_runs_put_the_largest_first_each_alone_and_small_neighbours_together() -> None:
    parts = [part(f"page-{n}") for n in range(64)] + [part("index", 64), part("data", 128)]
    runs = _runs(parts, workers=2)  # a share of (64 + 64 + 128) / 16 = 16
    assert [[p.name for p in run] for run in runs[:2]] == [["data"], ["index"]]
    pages = [p.name for run in runs[2:] for p in run]
    assert pages == [f"page-{n}" for n in range(64)]  # in their order
    assert [len(run) for run in runs[2:]] == [5] * 12 + [4]  # at most 66 / 16 parts a run


def test_runs_spread_small_parts_out_however_cheap() -> None:
    """Pages most likely kept cost little each, but may turn out to need writing."""
    parts = [part(f"page-{n}", 0.1) for n in range(160)] + [part("data", 128)]
    runs = _runs(parts, workers=2)
    assert [p.name for p in runs[0]] == ["data"]
    assert [len(run) for run in runs[1:]] == [11] * 14 + [6]  # ceil(161 / 16) = 11


def test_run_parts_keeps_what_is_unchanged_and_names_what_each_part_written_returned(
    tmp_path: Path,
) -> None:
    earlier_site, out = tmp_path / "earlier", tmp_path / "out"
    earlier_site.mkdir()
    out.mkdir()

    def writing(name: str) -> Callable[[], str]:
        def write() -> str:
            (out / name).write_text(f"{name} anew")
            return f"wrote {name}"

        return write

    same, other = content_key("same"), content_key("other")
    for name in ("kept", "changed"):
        (earlier_site / name).write_text(f"{name} before")
    write_manifest(earlier_site, {"kept": same, "changed": same}, "", 0)
    earlier = Earlier.read(earlier_site, kb_digest="")
    parts = [
        Part("kept", same, ("kept",), writing("kept")),
        Part("changed", other, ("changed",), writing("changed")),
        Part("new", same, ("new",), writing("new")),
        Part("always", None, ("always",), writing("always")),
    ]
    done = run_parts(parts, earlier, out)
    assert done.written == {name: f"wrote {name}" for name in ("changed", "new", "always")}
    assert done.keys == {"kept": same, "changed": other, "new": same}
    assert (out / "kept").read_text() == "kept before"
    assert (out / "kept").stat().st_ino == (earlier_site / "kept").stat().st_ino
    assert (out / "changed").read_text() == "changed anew"


def test_a_stoppable_build_writes_its_parts_in_children_only(tmp_path: Path) -> None:
    """With `stop` (`ekb serve`'s build, in a thread of its own), every part is written
    in a child, one per core, and what each returned comes back: this process only
    waits, so that it can stop them all at any moment."""
    out = tmp_path / "out"
    out.mkdir()

    def writing(name: str) -> Callable[[], int]:
        def write() -> int:
            (out / name).write_text(name)
            return os.getpid()

        return write

    parts = [Part(f"page-{n}", None, (f"page-{n}",), writing(f"page-{n}")) for n in range(40)]
    done = run_parts(parts, Earlier.nothing(""), out, stop=threading.Event())
    assert sorted(p.name for p in out.iterdir()) == sorted(part.name for part in parts)
    assert set(done.written) == {part.name for part in parts}
    assert os.getpid() not in set(done.written.values())


def test_a_stopped_build_waits_for_no_part_under_way(tmp_path: Path) -> None:
    """`ekb serve` stopping sets `stop` from another thread while a build runs: it
    raises Cancelled at once and its children are stopped, whatever part each one is
    writing (a part may be an index segment or thousands of pages: seconds of work).
    Before, this process wrote parts too, and the one under way was waited for."""
    stop, out = threading.Event(), tmp_path / "out"
    out.mkdir()

    def writing(name: str) -> Callable[[], None]:
        def write() -> None:
            time.sleep(30)
            (out / name).write_text(name)

        return write

    parts = [Part(f"page-{n}", None, (f"page-{n}",), writing(f"page-{n}")) for n in range(4)]
    setter = threading.Timer(0.5, stop.set)
    setter.start()
    started = time.monotonic()
    try:
        with pytest.raises(Cancelled):
            run_parts(parts, Earlier.nothing(""), out, stop=stop)
    finally:
        setter.cancel()
    assert time.monotonic() - started < 10
    assert not list(out.iterdir())


def test_waiting_for_the_children_stops_once_stop_is_set(tmp_path: Path) -> None:
    """Stopped while a child wrote the database (seconds of work), `ekb serve` waited
    for it: the children are stopped instead, their tasks not waited for."""
    stop = threading.Event()

    def task() -> None:
        time.sleep(30)
        (tmp_path / "late").write_text("the child was waited for")

    setter = threading.Timer(1.0, stop.set)
    setter.start()
    started = time.monotonic()
    try:
        with pytest.raises(Cancelled):
            run_shared([task] * (2 * worker_count()), stop)
    finally:
        setter.cancel()
    assert time.monotonic() - started < 5
    assert not (tmp_path / "late").exists()
