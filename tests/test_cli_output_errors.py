"""Output that cannot be written (a full disk, a closed stream) is one `Error:` line
and exit status 1 for every command, never a traceback; with standard error closed
too, the exit status alone says it."""

from __future__ import annotations

import errno
import io
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pytest

from evidencekb.commands import output
from evidencekb.errors import KBError
from fixtures import ekb_here

FULL = Path("/dev/full")
needs_dev_full = pytest.mark.skipif(not FULL.exists(), reason="no /dev/full here")
NO_SPACE = "Error: cannot write to standard output: No space left on device\n"
CLOSED = "Error: cannot write to standard output: it is closed\n"


class FullStream(io.StringIO):
    """A stream on a full disk: what is written fails when it is flushed."""

    def flush(self) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_writing_to_a_full_output_is_an_error_that_says_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "stdout", FullStream())
    with pytest.raises(KBError) as raised:
        output.write("claims")
    assert str(raised.value) == "cannot write to standard output: No space left on device"


def test_writing_to_a_closed_output_is_an_error_that_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "stderr", None)  # as Python sets it for `2>&-`
    with pytest.raises(KBError) as raised:
        output.write("note", err=True)
    assert str(raised.value) == "cannot write to standard error: it is closed"
    assert not output.on_terminal(None)


def run(args: list[str], stdout: Any, stderr: Any = subprocess.PIPE) -> tuple[int, str]:
    """`ekb ARGS` as a user runs it, with its standard output (and error) as given:
    None closes the stream in the child."""
    closed = [number for number, out in ((1, stdout), (2, stderr)) if out is None]
    done = subprocess.run(
        [sys.executable, "-m", "evidencekb", *args],
        stdout=subprocess.DEVNULL if stdout is None else stdout,
        stderr=subprocess.DEVNULL if stderr is None else stderr,
        preexec_fn=_closing(closed),
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stderr or ""


def _closing(descriptors: list[int]) -> Callable[[], None]:
    def close() -> None:  # in the child, before it runs
        for descriptor in descriptors:
            os.close(descriptor)

    return close


@pytest.fixture
def commands(kb_dir: Path, tmp_path: Path) -> list[list[str]]:
    """A command line of each kind of output, the search index built first."""
    site = ["--site-dir", str(tmp_path / "site")]
    kb = ["--kb", str(kb_dir)]
    assert ekb_here("search", *kb, *site, "ketamine").exit_code == 0
    return [
        ["export", *kb, "--format", "json"],
        ["search", *kb, *site, "ketamine"],
        ["search", *kb, *site, "--json", "ketamine"],
        ["show", *kb, "8008e692"],
        ["show", *kb, "--json", "8008e692"],
        ["list", *kb],
        ["check", *kb],
        ["--help"],
        ["--version"],
        ["search", "--help"],
    ]


def _full() -> IO[str]:
    return FULL.open("w", encoding="utf-8")


@needs_dev_full
def test_every_command_says_it_cannot_write_to_a_full_disk(commands: list[list[str]]) -> None:
    for args in commands:
        with _full() as full:
            assert run(args, full) == (1, NO_SPACE), args


def test_every_command_says_its_output_is_closed(commands: list[list[str]]) -> None:
    for args in commands[:-1]:  # argparse prints a command's help on stderr then
        assert run(args, None) == (1, CLOSED), args


@needs_dev_full
def test_with_standard_error_unwritable_too_the_exit_status_says_it(
    commands: list[list[str]], kb_dir: Path
) -> None:
    for args in commands[:3]:
        assert run(args, None, None) == (1, ""), args
        with _full() as full, _full() as full_too:
            assert run(args, full, full_too) == (1, ""), args
    # A query that cannot be read, told nowhere: its own exit status still.
    bad_query = [*commands[1][:-1], "foo:bar"]
    assert run(bad_query, subprocess.DEVNULL, None) == (2, "")
