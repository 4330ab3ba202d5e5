"""Progress reporting shared by the build stages.

A stage calls `progress(stage, done, total)` as it goes; the CLI decides whether
anything is shown (only on a terminal, and not with --quiet).
"""

from collections.abc import Callable

Progress = Callable[[str, int, int], None]


def no_progress(stage: str, done: int, total: int) -> None:
    """The silent reporter, for library callers and tests."""
