"""run_beside: the parts of a build on two cores; a failure on either side is raised."""

from __future__ import annotations

import errno
import os
import signal
import time
from pathlib import Path

import pytest

from evidencekb.errors import KBError
from evidencekb.workers import run_beside


def nothing() -> None:
    return None


def test_each_part_runs_once_the_first_one_in_another_process(tmp_path: Path) -> None:
    def beside() -> int:
        (tmp_path / "child").write_text(str(os.getpid()))
        return os.getpid()

    def here() -> int:
        time.sleep(3)  # the child is done first and takes `then`
        return os.getpid()

    def then() -> int:
        with (tmp_path / "then").open("a") as log:
            log.write(f"{os.getpid()}\n")
        return os.getpid()

    child, parent, last = run_beside(beside, here, then)
    assert parent == os.getpid() != child
    assert (tmp_path / "child").read_text() == str(child)
    assert last == child
    assert (tmp_path / "then").read_text() == f"{child}\n"


def test_then_runs_here_when_this_process_is_done_first(tmp_path: Path) -> None:
    def beside() -> None:
        time.sleep(3)

    assert run_beside(beside, nothing, os.getpid) == (None, None, os.getpid())


def test_a_failure_in_the_child_is_raised_as_itself(tmp_path: Path) -> None:
    def beside() -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "x"))

    with pytest.raises(OSError) as raised:
        run_beside(beside, nothing, nothing)
    assert raised.value.errno == errno.ENOSPC


def test_a_child_killed_outright_is_an_error() -> None:
    def beside() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(KBError, match=r"stopped unexpectedly \(exit code -9\)"):
        run_beside(beside, nothing, nothing)


def test_a_failure_here_stops_the_child(tmp_path: Path) -> None:
    def beside() -> None:
        time.sleep(30)
        (tmp_path / "late").write_text("the child was not stopped")

    def here() -> None:
        raise ValueError("here failed")

    started = time.monotonic()
    with pytest.raises(ValueError, match="here failed"):
        run_beside(beside, here, nothing)
    assert time.monotonic() - started < 20
    assert not (tmp_path / "late").exists()
