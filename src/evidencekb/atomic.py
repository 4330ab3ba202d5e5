"""Replace a folder all at once, so that a failure never leaves half of one.

Every writer (import, build, the search index) fills a hidden sibling folder
and only then puts it in place. On Linux the swap is one `renameat2` call with
RENAME_EXCHANGE, so a reader sees the old folder or the new one, never neither;
elsewhere it falls back to two renames.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


@contextmanager
def staged_dir(target: Path) -> Iterator[Path]:
    """Yield an empty sibling of `target`; on success it replaces `target`.

    If the body raises, the sibling is removed and `target` is left untouched.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    os.chmod(staged, 0o755)  # mkdtemp makes it private; the result is published
    try:
        yield staged
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    replace_dir(staged, target)


def replace_dir(staged: Path, target: Path) -> None:
    """Put `staged` where `target` is, then delete the old `target`."""
    if not target.exists():
        os.rename(staged, target)
        return
    if _exchange(staged, target):
        shutil.rmtree(staged)  # it now holds the old contents
        return
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    os.rename(target, old)
    os.rename(staged, target)
    shutil.rmtree(old)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically; False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(result == 0)
