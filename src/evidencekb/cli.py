"""The `ekb` program: its commands, the one it is asked for run, and what goes wrong
said in one `Error:` line with an exit status.

The commands are in `evidencekb.commands`, grouped by what they do, each declared
once above the function that runs it (`commandline.command`: its name, its arguments,
the stages it loads). Stage modules are imported inside the commands, not at the
top: `ekb search` must start fast, so it never pays for jinja2, markdown or
sqlite_utils.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import NoReturn

from evidencekb import __version__
from evidencekb.commandline import group, parse
from evidencekb.commands import kb, refs, search, site
from evidencekb.commands.output import discard, report, write
from evidencekb.errors import KBError, QueryError, UsageError, ValidationError

EKB = group(
    "ekb",
    "evidencekb: clinical evidence summaries as structured, searchable claims.",
    kb.import_command,
    kb.init,
    kb.check,
    kb.changes_command,
    kb.export_command,
    kb.show,
    kb.list_command,
    site.build,
    search.search_command,
    refs.refs,
    site.serve_command,
)


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised wherever the program is, so that it unwinds as on
    Ctrl-C: a build or import removes its staging folder and the old one stays."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, frame: object) -> None:
    raise Stopped(signum)


def _fail(message: str, status: int) -> NoReturn:
    with suppress(KBError):  # standard error is closed or full: the exit status alone tells
        report(f"Error: {message}")
    sys.exit(status)


def dispatch(words: Sequence[str]) -> None:
    """Run the command `words` name (the words after `ekb`): its stages loaded with
    the program, the collector then resumed (`started`), and the library's
    exceptions, Ctrl-C and SIGTERM turned into one `Error:` line and an exit status."""
    with reported():
        try:
            chosen = parse(EKB, words, version=__version__)
        except SystemExit as stop:
            if not stop.code:  # --help or --version printed: flushed here, where a
                write("", nl=False)  # failure to write is said as any other
            raise
        run = chosen.command.run
        assert run is not None  # parse gives a command, never a group
        for stage in chosen.command.stages:
            importlib.import_module(stage)
        started(freeze=not chosen.command.lasting)
        run(**chosen.values)


@contextmanager
def reported() -> Iterator[None]:
    try:
        yield
    except ValidationError as error:
        for problem in error.problems:
            report(str(problem))
        _fail(str(error), 1)
    except (QueryError, UsageError) as error:
        _fail(str(error), 2)
    except KBError as error:
        _fail(str(error), 1)
    except Stopped as error:
        _fail(f"stopped by {signal.Signals(error.signum).name}", 128 + error.signum)
    except KeyboardInterrupt:
        _fail("interrupted", 128 + signal.SIGINT)


def started(*, freeze: bool = True) -> None:
    """Start-up is over: what it loaded is frozen and the garbage collector resumes.

    Loading the program's modules (whoosh's and ours) makes objects by the ten
    thousand that live as long as the process. The collector, run as they are made,
    traces them again and again and frees none: 8 ms of the 160 ms an `ekb search`
    took (BENCHMARKS.md). So `ekb` starts with it paused (`__main__.main`); frozen
    (`gc.freeze`), they are never traced again. A command loads its stages before
    this (`dispatch`): `ekb search` is mostly loading. When the collector was running
    (the CLI called in another program's process), nothing is frozen.

    A command that runs until stopped and builds again and again (`ekb serve`)
    freezes nothing here (`freeze=False`): a build freezes the kb it loaded and
    unfreezes all at its end (`workers.frozen_heap`), unless something was frozen
    before it, and a server's builds must leave nothing frozen behind them."""
    if not gc.isenabled():
        if freeze:
            gc.freeze()
        gc.enable()


def main() -> None:
    """The `ekb` program (`__main__`): the command its arguments name."""
    # At exit Python's garbage collector traces every object left, whoosh's modules
    # included, to free what the process is about to give back anyway, a noticeable
    # share of a short `ekb search` (BENCHMARKS.md). Frozen objects are not traced.
    # atexit handlers run before that pass, and files are closed by then: every
    # command writes through context managers.
    atexit.register(gc.freeze)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) is not signal.SIG_IGN:  # nohup means: go on
            signal.signal(signum, _stop)
    try:
        dispatch(sys.argv[1:])
    except BrokenPipeError:
        # The reader stopped early (`ekb export | head`): what is left to print goes
        # nowhere, and Python's own flush at exit must not fail again.
        discard(sys.stdout)
        sys.exit(1)
