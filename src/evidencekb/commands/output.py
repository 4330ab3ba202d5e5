"""How the commands print: values of kb/ or of the user made terminal-safe
(`echo`), our own text as it is (`write`), messages on stderr (`say`) and a report's
lines kept on one line each (`report`). A stream that cannot be written is a
`KBError` saying why, which the program prints as its one `Error:` line."""

from __future__ import annotations

import os
import sys
from functools import partial
from typing import TextIO

from evidencekb.errors import KBError, failure_reason
from evidencekb.terminal import one_line, terminal_safe


def echo(text: str, *, err: bool = False, nl: bool = True) -> None:
    """Print text that holds kb/ or user values (titles, ids, paths, file content):
    nothing in it can drive the terminal. Only our own colour and progress codes
    are printed with `write` directly."""
    write(terminal_safe(text), err=err, nl=nl)


def write(text: str, *, err: bool = False, nl: bool = True) -> None:
    out = sys.stderr if err else sys.stdout
    name = "standard error" if err else "standard output"
    if out is None:  # Python's stream of a file descriptor closed at start (`>&-`)
        raise KBError(f"cannot write to {name}: it is closed")
    try:
        out.write(text + "\n" if nl else text)
        out.flush()  # a progress line ends without a line break
    except UnicodeEncodeError as error:
        # An output set to ASCII (PYTHONIOENCODING, an old locale): said in ASCII.
        unwritable = ascii(error.object[error.start : error.end])
        raise KBError(
            f"{name} is in {error.encoding}, which cannot write {unwritable}: "
            "set PYTHONIOENCODING=utf-8"
        ) from None
    except BrokenPipeError:
        raise  # the reader stopped early (`ekb export | head`): `cli.main` ends quietly
    except OSError as error:  # a full disk (`> /dev/full`), a vanished device
        discard(out)
        raise KBError(f"cannot write to {name}: {failure_reason(error)}") from None


def discard(out: TextIO) -> None:
    """Send what is left in `out`'s buffer, and all after it, nowhere: Python's own
    flush at exit would fail on it again, with a message of its own."""
    try:
        descriptor = out.fileno()
    except (OSError, ValueError):
        return  # not a file (a test's buffer): nothing of it is flushed at exit
    nowhere = os.open(os.devnull, os.O_WRONLY)
    os.dup2(nowhere, descriptor)
    os.close(nowhere)


def on_terminal(out: TextIO | None) -> bool:
    """Whether `out` is a terminal (not when closed: None)."""
    return out is not None and out.isatty()


say = partial(echo, err=True)  # messages for the person at the terminal, on stderr


def report(line: str) -> None:
    """Print a line of a report (an error, a problem, a warning) on stderr, kept on
    one line whatever the values in it hold (`terminal.one_line`): each line
    says one thing, and a value typed by a user cannot pass for a line of ours."""
    write(one_line(line), err=True)
