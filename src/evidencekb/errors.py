"""One exception root for everything a user can get wrong.

The CLI prints any `KBError` as a single `Error: ...` line and exits 1; nothing
below it ever shows a user a traceback or a Python repr.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import threading


class KBError(Exception):
    """A problem the user can fix: bad input, a missing file, a refused action."""


@dataclass(frozen=True, order=True)
class Problem:
    """One validation finding, printed as `PATH:LINE: message`."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class ValidationError(KBError):
    """Every problem found in one pass over the input, reported together."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{count} {noun} found")


def problems_error(problems: list[Problem]) -> KBError:
    """The error that reports `problems` (at least one): one is a single `Error:` line,
    `PATH:LINE: message`; several are each listed at their line (ValidationError)."""
    return KBError(str(problems[0])) if len(problems) == 1 else ValidationError(problems)


class Cancelled(Exception):
    """A build stopped by its caller between two of its steps (`ekb serve` stopping
    while it rebuilds): its staging folders are removed and the site stays as it was."""


def stop_if_set(stop: threading.Event | None) -> None:
    """Raise Cancelled if `stop` is set (by another thread): called by a long task
    between its steps (a build between its parts, reading kb/ between its topics), so
    that `ekb serve` stops soon after Ctrl-C."""
    if stop is not None and stop.is_set():
        raise Cancelled("the build was stopped")


class QueryError(KBError):
    """A search query that cannot be parsed (exit status 2, like a usage error)."""


class UsageError(KBError):
    """Words on the command line that name no command or option, or a value an
    option does not take (exit status 2)."""


def failure_reason(error: BaseException) -> str:
    """The system's words for why a file operation failed ("No space left on device",
    "Read-only file system"), without Python's errno and repr around them."""
    return getattr(error, "strerror", None) or str(error)
