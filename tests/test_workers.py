"""run_beside: two parts of a build at once; a failure on either side is raised."""

from __future__ import annotations

import errno
import os
import signal
import time
from pathlib import Path

import pytest

from evidencekb.errors import KBError
from evidencekb.workers import run_beside


def test_both_parts_run_and_the_child_in_another_process(tmp_path: Path) -> None:
    def beside() -> None:
        (tmp_path / "child").write_text(str(os.getpid()))

    def here() -> None:
        (tmp_path / "parent").write_text(str(os.getpid()))

    run_beside(beside, here)
    assert (tmp_path / "parent").read_text() == str(os.getpid())
    assert (tmp_path / "child").read_text() != str(os.getpid())


def test_a_failure_in_the_child_is_raised_as_itself(tmp_path: Path) -> None:
    def beside() -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "x"))

    with pytest.raises(OSError) as raised:
        run_beside(beside, lambda: None)
    assert raised.value.errno == errno.ENOSPC


def test_a_child_killed_outright_is_an_error() -> None:
    def beside() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(KBError, match=r"stopped unexpectedly \(exit code -9\)"):
        run_beside(beside, lambda: None)


def test_a_failure_here_stops_the_child(tmp_path: Path) -> None:
    def beside() -> None:
        time.sleep(30)
        (tmp_path / "late").write_text("the child was not stopped")

    def here() -> None:
        raise ValueError("here failed")

    started = time.monotonic()
    with pytest.raises(ValueError, match="here failed"):
        run_beside(beside, here)
    assert time.monotonic() - started < 20
    assert not (tmp_path / "late").exists()
