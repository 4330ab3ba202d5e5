"""run_shared: the parts of a build on two cores; a failure on either side is raised."""

from __future__ import annotations

import errno
import gc
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from evidencekb.errors import KBError
from evidencekb.workers import run_shared


def nothing() -> None:
    return None


def test_each_task_runs_once_both_processes_take_some_and_results_keep_their_order(
    tmp_path: Path,
) -> None:
    def task(number: int) -> Callable[[], tuple[int, int]]:
        def run() -> tuple[int, int]:
            with (tmp_path / "log").open("a") as log:
                log.write(f"{number}\n")
            time.sleep(0.2)  # long enough that the other process takes the next one
            return number, os.getpid()

        return run

    results = run_shared([task(number) for number in range(8)])
    assert [number for number, _ in results] == list(range(8))
    assert sorted(map(int, (tmp_path / "log").read_text().split())) == list(range(8))
    processes = {pid for _, pid in results}
    assert os.getpid() in processes and len(processes) == 2


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


def test_what_was_alive_before_the_tasks_is_frozen_while_they_run_and_only_then() -> None:
    """The loaded kb is out of the garbage collector's reach in both processes while
    the tasks run (so neither traces it again), and the collector is as it was after."""
    kept = [[number] for number in range(1000)]  # lists: objects the collector tracks
    assert gc.get_freeze_count() == 0
    frozen = run_shared([gc.get_freeze_count] * 2)
    assert all(count >= len(kept) for count in frozen)
    assert gc.get_freeze_count() == 0
