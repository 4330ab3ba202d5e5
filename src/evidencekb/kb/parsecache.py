"""A cache of parsed kb/ TOML files: a check re-parses only the files that changed.

tomllib is pure Python and parsing is most of what `ekb check` does on a large kb
(about 6 of its 9 seconds for 48 MB of TOML); reading back what an earlier run
parsed takes a tenth of that. Each file's `Parsed` (tomlfile.py) is kept in one
entry named after the file's path, beside a SHA-256 hash of the bytes it was
parsed from. An entry is used only when the bytes read now hash the same, and
only if it was written by this cache format under this Python (tomllib's
version); anything else (no entry, a truncated or corrupt one, another version's)
means the file is parsed and its entry replaced. So the cache can make a run
faster, never give it other results.

The entries live in the user's cache folder (`$XDG_CACHE_HOME/evidencekb/`, by
default `~/.cache/evidencekb/`), not beside kb/: kb/ comes from pull requests,
and a cache committed beside it could pair a file's hash with data the file
does not hold. Only this module writes here, from bytes it parsed itself.

An entry is written to a temporary file and renamed into place, so a reader
sees a whole entry or none, and two runs at once at worst write the same entry
twice. A cache folder that cannot be made or written just means no cache.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import os
import pickle
import sys
import tempfile
from contextlib import suppress
from pathlib import Path
from typing import Any

from evidencekb.kb.tomlfile import Parsed
from evidencekb.paths import CACHE_DIRNAME, PARSE_CACHE_DIRNAME

# Part of every entry: an entry written by another format or Python is not used.
_FORMAT = f"evidencekb-parsed-toml-1 {sys.version}"
# What a TOML document can hold besides built-in containers, strings and numbers.
_DATETIME_CLASSES = frozenset({"date", "time", "datetime", "timedelta", "timezone"})


def cache_folder(name: str = PARSE_CACHE_DIRNAME) -> Path | None:
    """Where evidencekb keeps one kind of cached work (`name`; parsed files unless told
    otherwise): under $XDG_CACHE_HOME (when absolute, as the XDG specification
    requires) or ~/.cache; None when neither can be named."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:  # no home folder to name
            return None
    return Path(base) / CACHE_DIRNAME / name


def digest(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


class ParseCache:
    """The entries in `folder` (None: no cache), keyed by a file's absolute path."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    def entry(self, path: str) -> Path | None:
        if self.folder is None:
            return None
        return self.folder / (hashlib.sha256(path.encode("utf-8", "surrogatepass")).hexdigest())

    def get(self, path: str, content_hash: bytes) -> Parsed | None:
        """The parse of `path` kept for bytes hashing to `content_hash`, if any."""
        entry = self.entry(path)
        if entry is None:
            return None
        try:
            kept = _Unpickler(io.BytesIO(entry.read_bytes())).load()
            form, kept_path, kept_hash, data, huge_numbers = kept
        except Exception:
            return None
        if (form, kept_path, kept_hash) != (_FORMAT, path, content_hash):
            return None
        if not isinstance(data, dict) or not isinstance(huge_numbers, tuple):
            return None
        return Parsed(data, huge_numbers)

    def put(self, path: str, content_hash: bytes, parsed: Parsed) -> None:
        """Keep `parsed` for `path`; does nothing if the folder cannot be written."""
        entry = self.entry(path)
        if entry is None:
            return
        kept = (_FORMAT, path, content_hash, parsed.data, parsed.huge_numbers)
        with suppress(OSError, pickle.PicklingError, RecursionError):
            write_atomically(entry, pickle.dumps(kept, protocol=pickle.HIGHEST_PROTOCOL))


def write_atomically(entry: Path, data: bytes) -> None:
    entry.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, temporary = tempfile.mkstemp(dir=entry.parent, prefix=f".{entry.name}.tmp-")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(temporary, entry)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise


class _Unpickler(pickle.Unpickler):
    """Loads plain data only: an entry naming any class but the datetime types TOML
    has is refused, so a tampered entry cannot run code."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "datetime" and name in _DATETIME_CLASSES:
            return getattr(datetime, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not parsed TOML")
