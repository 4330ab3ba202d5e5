"""Reading a file that may be anything: regular files only, never blocking.

Whatever evidencekb reads from a path it was given or keeps (kb/ files, an import's
source, a cache entry) may be a FIFO, a device such as /dev/zero, a folder or a link
to any of them, and a careless read of one hangs or fills memory. `read_regular` is
the one way such a file is read: opened without blocking, refused unless it is a
regular file, and read up to a limit. Stdlib only: the search path reads kb/ with it.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

_OTHERS_WRITE = stat.S_IWGRP | stat.S_IWOTH
_OTHER_KINDS = {
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


class NotReadable(Exception):
    """A file that `read_regular` refuses; `reason` completes "PATH ..." for a message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# O_NONBLOCK: opening a FIFO must not wait for a writer. A regular file ignores it.
READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC


def read_regular(
    path: Path,
    *,
    limit: int | None = None,
    identity: tuple[int, int] | None = None,
    follow: bool = True,
    private: bool = False,
) -> bytes:
    """The bytes of `path` if it is a regular file, read without ever blocking.

    A FIFO, device or folder is refused once opened (so nothing swapped in
    after a check is read); with `limit`, at most `limit` + 1 bytes are read
    and a longer file is refused; with `identity` (device, inode), a file
    other than the one vetted is refused; without `follow`, a symbolic link is
    refused rather than followed; with `private`, a file another user owns or may
    write is refused.
    """
    flags = READ_FLAGS if follow else READ_FLAGS | os.O_NOFOLLOW
    try:
        fd = os.open(path, flags)
    except OSError as error:
        raise NotReadable(cannot_read(error)) from None
    try:
        info = _regular(fd)
        if identity is not None and (info.st_dev, info.st_ino) != identity:
            raise NotReadable("changed while kb/ was being read; run the command again")
        if private and (info.st_uid != os.geteuid() or info.st_mode & _OTHERS_WRITE):
            raise NotReadable("belongs to another user, or others may write it")
        with os.fdopen(fd, "rb", closefd=False) as file:
            data = file.read() if limit is None else file.read(limit + 1)
    except OSError as error:
        raise NotReadable(cannot_read(error)) from None
    finally:
        os.close(fd)
    if limit is not None and len(data) > limit:
        raise _too_large(limit)
    return data


def open_within(path: Path, limit: int) -> BinaryIO:
    """`path` open for reading, vetted as `read_regular` vets it (a regular file,
    opened without blocking, of at most `limit` bytes), for a reader that streams it
    rather than hold a large file whole."""
    try:
        fd = os.open(path, READ_FLAGS)
    except OSError as error:
        raise NotReadable(cannot_read(error)) from None
    try:
        if _regular(fd).st_size > limit:
            raise _too_large(limit)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _regular(fd: int) -> os.stat_result:
    """What fstat says of `fd`, refused unless it is a regular file."""
    try:
        info = os.fstat(fd)
    except OSError as error:
        raise NotReadable(cannot_read(error)) from None
    if not stat.S_ISREG(info.st_mode):
        raise NotReadable(f"is {kind_of(info.st_mode)}, not a regular file")
    return info


def _too_large(limit: int) -> NotReadable:
    return NotReadable(f"is larger than {limit:,} bytes, the most that is read")


def open_regular(path: Path) -> BinaryIO:
    """`path` open for reading if it is a regular file, opened without ever blocking;
    OSError otherwise (a FIFO swapped in for one of an index's files, say)."""
    fd = os.open(path, READ_FLAGS)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, f"{path} is {kind_of(mode)}, not a regular file")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def kind_of(mode: int) -> str:
    """What a file that is not a regular file is, for a message."""
    if stat.S_ISDIR(mode):
        return "a folder"
    return _OTHER_KINDS.get(stat.S_IFMT(mode), "not a regular file")


def cannot_read(error: OSError, noun: str = "file") -> str:
    reason = error.strerror or type(error).__name__
    return f"cannot be read ({reason}); make it a readable {noun}"
