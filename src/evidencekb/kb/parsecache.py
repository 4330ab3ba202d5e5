"""A cache of parsed kb/ TOML files: a check re-parses only the files that changed.

tomllib is pure Python and parsing is most of what `ekb check` does on a large kb;
reading back what an earlier run parsed takes a fraction of that (BENCHMARKS.md).
Each file's `Parsed` (tomlfile.py) is kept in one entry named after the file's path,
beside the content key of the bytes it was parsed from (hashing.content_key). An entry
is used only when the bytes read now have the same key, and only if it was written by
this cache format under this Python (tomllib's version); anything else (no entry, a
truncated or corrupt one, another version's) means the file is parsed and its entry
replaced. So the cache can make a run faster, never give it other results. With no
entries for much of kb/ (a fresh clone's first run on a large kb), `parse_ahead` first
parses the files on every core.

The entries live in the user's cache folder (`$XDG_CACHE_HOME/evidencekb/parsed-toml/`,
by default under `~/.cache/`), not beside kb/, and are read back as plain data only:
see evidencekb/cache.py for why, and for how they are written.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from evidencekb.cache import PARSED_TOML, PickledEntries
from evidencekb.errors import stop_if_set
from evidencekb.hashing import content_key
from evidencekb.kb.files import KbFileError, KbTree, decode_utf8
from evidencekb.kb.tomlfile import Parsed, parse_text
from evidencekb.workers import run_shared, worker_count

# Part of every entry: an entry written by another format or Python is not used.
_FORMAT = f"{PARSED_TOML.format} {sys.version}"
# What a TOML document can hold besides built-in containers, strings and numbers.
_DATETIME_CLASSES = frozenset(
    ("datetime", name) for name in ("date", "time", "datetime", "timedelta", "timezone")
)
# Parsing ahead on several cores pays once this much TOML has no entry: a quarter of
# a second's parsing, against a few milliseconds to fork.
AHEAD_BYTES = 2_000_000
_SHARES_PER_WORKER = 4  # so that the processes end close together


class ParseCache:
    """The entries in `folder` (None: no cache), keyed by a file's absolute path."""

    def __init__(self, folder: Path | None) -> None:
        self.entries = PickledEntries(folder, _DATETIME_CLASSES)

    def get(self, path: str, content_hash: str) -> Parsed | None:
        """The parse of `path` kept for bytes hashing to `content_hash`, if any."""
        kept = self.entries.read(path)
        if not isinstance(kept, tuple) or len(kept) != 5:
            return None
        form, kept_path, kept_hash, data, huge_numbers = kept
        if (form, kept_path, kept_hash) != (_FORMAT, path, content_hash):
            return None
        if not isinstance(data, dict) or not isinstance(huge_numbers, tuple):
            return None
        return Parsed(data, huge_numbers)

    def put(self, path: str, content_hash: str, parsed: Parsed) -> None:
        """Keep `parsed` for `path`; does nothing if the folder cannot be written."""
        self.entries.write(path, (_FORMAT, path, content_hash, parsed.data, parsed.huge_numbers))


def parse_ahead(tree: KbTree, cache: ParseCache, stop: threading.Event | None = None) -> None:
    """Parse into `cache`, on every core (workers.py), the TOML files of `tree` that it
    has no entry for, when they come to AHEAD_BYTES or more (a fresh clone's first
    check or build of a large kb): reading kb/ then finds every file parsed. Once
    `stop` is set, this process parses no other share and raises Cancelled.

    Only what parses is kept; a file that does not is read again as usual, which
    reports its problem. Without a cache folder this process can write in, there is
    nowhere to keep anything: the files would be parsed twice."""
    if not cache.entries.writable():
        return
    missing: list[tuple[str, bytes]] = []
    for relative in tree.all_files():
        if not relative.endswith(".toml"):
            continue
        path = os.path.abspath(tree.root / relative)
        entry = cache.entries.entry(path)
        if entry is None or os.path.exists(entry):
            continue
        try:
            missing.append((path, tree.read(relative)))
        except KbFileError:
            continue
    total = sum(len(data) for _, data in missing)
    if total < AHEAD_BYTES:
        return
    count = _SHARES_PER_WORKER * worker_count()
    shares: list[list[tuple[str, bytes]]] = [[]]
    done = 0
    for item in missing:
        if done >= total * len(shares) / count:
            shares.append([])
        shares[-1].append(item)
        done += len(item[1])
    run_shared([partial(_parse_into, cache, share, stop) for share in shares], stop)


def _parse_into(
    cache: ParseCache, files: Sequence[tuple[str, bytes]], stop: threading.Event | None
) -> None:
    stop_if_set(stop)
    for path, data in files:
        try:
            parsed = parse_text(decode_utf8(data, path), path, [])
        except KbFileError:
            continue
        if parsed is not None:
            cache.put(path, content_key(data), parsed)
