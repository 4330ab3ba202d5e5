"""The fingerprint of kb/: what tells whether something built from it is still a
faithful copy (the search index, the earlier build's parts).

The index records a fingerprint of kb/: a hash of every file's path and bytes
(no modification times, so the same kb always gives the same string and builds
stay byte-identical). Hashing a large kb on every search would cost more than
the search itself, so the index's stamp file also carries, as its own mtime, the
moment kb/ was read; a search hashes only when some file or folder in kb/ has
been touched since then. `kb_fingerprint` returns both, the hash and when its
reading began, as one `Fingerprint` that the index writer is handed.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

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
    """
    import hashlib

    from evidencekb.errors import ValidationError
    from evidencekb.kb.files import KbFileError, scan_kb

    started = time.time_ns()
    digest = hashlib.sha256()
    tree = scan_kb(kb_dir)
    if tree.problems:
        raise ValidationError(list(tree.problems))
    for relative in tree.all_files():
        try:
            data = tree.read(relative)
        except KbFileError as error:
            raise ValidationError([error.problem]) from None
        digest.update(relative.encode("utf-8") + b"\0")
        digest.update(str(len(data)).encode("ascii") + b"\0")
        digest.update(data)
    return Fingerprint(digest.hexdigest(), started)


def touched_since(kb_dir: Path, stamp_ns: int) -> bool:
    """Whether any file or folder in kb/ has an mtime after `stamp_ns`.

    A folder's mtime changes when an entry is added, removed or renamed, so
    deletions are caught too.
    """
    pending = [kb_dir]
    while pending:
        folder = pending.pop()
        try:
            if folder.stat().st_mtime_ns > stamp_ns:
                return True
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.name.startswith("."):
                        continue
                    if entry.is_dir(follow_symlinks=True):
                        pending.append(Path(entry.path))
                    elif entry.stat().st_mtime_ns > stamp_ns:
                        return True
        except OSError:
            return True  # vanished under us: let the hash decide
    return False
