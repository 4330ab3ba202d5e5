"""The fingerprint of kb/: what tells whether something built from it is still a
faithful copy (the search index, the earlier build's parts).

The index records a fingerprint of kb/: a hash of every file's path and bytes
(no modification times, so the same kb always gives the same string and builds
stay byte-identical), then a hash of every file's path and size, its shape.
Hashing a large kb on every search would cost more than the search itself, so the
index's stamp file also carries, as its own mtime, the moment kb/ was read; a
search hashes only when some file or folder in kb/ has been touched since then, or
the files it finds, by path and size, are not the shape it was built from: another
kb/ whose files are all older than the stamp (two kbs built into one site folder in
turn) is no longer taken for the one the index was built from. `kb_fingerprint`
returns both, the hashes and when their reading began, as one `Fingerprint` that
the index writer is handed. A build reads kb/ once: it hashes the very bytes it
loads (`TreeDigest`, kb/load.py's `read_kb`).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from evidencekb.hashing import content_hash

# Filesystems stamp modification times from a coarse clock (a few milliseconds
# on Linux, whole seconds on some); back-dating the stamp by this much means an
# edit made while kb/ was being read can never look older than the stamp.
CLOCK_MARGIN_NS = 2_000_000_000


@dataclass(frozen=True)
class Fingerprint:
    """What an index is checked against: a content hash of kb/ (`digest`), and the
    moment the reading of kb/ that gave it began (nanoseconds since the epoch)."""

    digest: str
    read_started_ns: int

    @property
    def stamp_ns(self) -> int:
        """The mtime to give the stamp of an index built from this fingerprint: when
        kb/ was read, back-dated by CLOCK_MARGIN_NS. A fingerprint that no reading of
        a kb/ folder made (read_started_ns=0) gives 0: every search then hashes."""
        return max(self.read_started_ns - CLOCK_MARGIN_NS, 0)


def kb_fingerprint(kb_dir: Path) -> Fingerprint:
    """A content hash of every file under `kb_dir` (hidden files aside).

    kb/ is walked and read as `ekb check` reads it (kb/files.py): a link out
    of kb/, a FIFO or an unreadable file is a ValidationError, never a hang.
    (`kb.load.read_kb` makes the same hash of the bytes it loads kb/ from.)
    """
    from evidencekb.errors import ValidationError
    from evidencekb.kb.files import KbFileError, scan_kb

    started = time.time_ns()
    tree = scan_kb(kb_dir)
    if tree.problems:
        raise ValidationError(list(tree.problems))
    try:
        return TreeDigest(tree.all_files(), tree.read).finish(started)
    except KbFileError as error:
        raise ValidationError([error.problem]) from None


class TreeDigest:
    """The content hash of a scanned kb/, fed each file's bytes as they are read, in
    any order. The hash takes the files in their sorted order, so a file read ahead of
    its turn waits for the files before it; once more than WAIT_BYTES wait, the file
    they wait for is read here (a file the loader never opens, such as a README,
    would otherwise hold all of kb/ in memory until the end)."""

    WAIT_BYTES = 8 << 20

    def __init__(self, files: list[str], read: Callable[[str], bytes]) -> None:
        self._files = files  # sorted: tree.all_files()
        self._read = read
        self._place = {relative: number for number, relative in enumerate(files)}
        self._next = 0  # the place of the first file not hashed yet
        self._waiting: dict[str, bytes] = {}
        self._waiting_bytes = 0
        self._digest = content_hash()
        self._shape = content_hash()

    def feed(self, relative: str, data: bytes) -> None:
        """The bytes of one file just read (a file hashed or waiting already is ignored)."""
        place = self._place.get(relative)
        if place is None or place < self._next or relative in self._waiting:
            return
        self._waiting[relative] = data
        self._waiting_bytes += len(data)
        self._take_waiting()
        if self._waiting_bytes > self.WAIT_BYTES:
            with contextlib.suppress(Exception):  # a file that fails is the loader's to report
                self.feed(self._files[self._next], self._read(self._files[self._next]))

    def finish(self, started_ns: int) -> Fingerprint:
        """The fingerprint, reading every file not fed yet; `started_ns`: when the
        reading of kb/ began."""
        while self._next < len(self._files):
            relative = self._files[self._next]
            if relative not in self._waiting:
                self._waiting[relative] = self._read(relative)
            self._take_waiting()
        return Fingerprint(f"{self._digest.hexdigest()}-{self._shape.hexdigest()}", started_ns)

    def _take_waiting(self) -> None:
        while self._next < len(self._files) and self._files[self._next] in self._waiting:
            relative = self._files[self._next]
            data = self._waiting.pop(relative)
            self._waiting_bytes -= len(data)
            entry = _shape_entry(relative, len(data))  # the path and size, in both hashes
            self._digest.update(entry)
            self._digest.update(data)
            self._shape.update(entry)
            self._next += 1


def _shape_entry(relative: str, size: int) -> bytes:
    """A file's share of kb/'s shape: its path and its size."""
    return relative.encode("utf-8", "surrogateescape") + f"\0{size}\0".encode("ascii")


def touched_since(kb_dir: Path, stamp_ns: int) -> bool:
    """Whether any file or folder in kb/ was changed after `stamp_ns`."""
    return _survey(kb_dir, stamp_ns) is None


def _survey(kb_dir: Path, stamp_ns: int) -> str | None:
    """kb/'s shape (`TreeDigest`'s: every file's path and size), or None if any file or
    folder in kb/ was changed after `stamp_ns`.

    A folder's times change when an entry is added, removed or renamed, so
    deletions are caught too. A file's modification time can be set back (`cp -a`,
    `rsync -a`, `tar -x`, a backup restored give a copy its original's), so its
    change time is read as well, which the system sets to now on every write or
    change of times and no tool can set back.
    """
    sizes: list[tuple[str, int]] = []
    pending = [("", kb_dir)]
    while pending:
        relative, folder = pending.pop()
        try:
            if _changed_ns(folder.stat()) > stamp_ns:
                return None
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.name.startswith("."):
                        continue
                    child = f"{relative}/{entry.name}" if relative else entry.name
                    if entry.is_dir(follow_symlinks=True):
                        pending.append((child, Path(entry.path)))
                        continue
                    status = entry.stat()
                    if _changed_ns(status) > stamp_ns:
                        return None
                    sizes.append((child, status.st_size))
        except OSError:
            return None  # vanished under us: let the hash decide
    shape = content_hash()
    for relative, size in sorted(sizes):
        shape.update(_shape_entry(relative, size))
    return shape.hexdigest()


def _changed_ns(status: os.stat_result) -> int:
    return max(status.st_mtime_ns, status.st_ctime_ns)


def still_current(kb_dir: Path, stamp: Path, digest: str) -> bool:
    """Whether kb/ is still what `digest` (a Fingerprint's) was taken of, `stamp` being
    a file whose mtime is the moment that reading of kb/ began (an index's metadata,
    a site's build manifest). Nothing touched since: yes, without reading kb/;
    otherwise, or if kb/'s files are not the shape `digest` records (another kb/), kb/
    is hashed again, and if it is the same after all (a file saved as it was), the
    stamp is moved up so that the next look skips the hash."""
    try:
        stamp_ns = stamp.stat().st_mtime_ns
    except OSError:
        return False
    shape = _survey(kb_dir, stamp_ns)
    if shape is not None and digest.endswith(f"-{shape}"):
        return True
    current = kb_fingerprint(kb_dir)
    if current.digest != digest:
        return False
    if current.stamp_ns > stamp_ns:  # best effort: the folder may be read-only
        with contextlib.suppress(OSError):
            os.utime(stamp, ns=(current.stamp_ns, current.stamp_ns))
    return True
