"""Work kept between runs in the user's cache folder: where it lives, and entries of
plain data written whole or not at all.

Each kind of cached work (CACHES: parsed kb/ files, kb/parsecache.py; topics checked
without a problem, kb/checked.py; formatted references, site/citation.py; the search
data's analysis of each topic, search/browser/cache.py; each topic's share of the JSON
export, database/export.py; each topic's claims analysed for the search index,
search/segments.py) is declared once below, with its folder, its format and
what its entries are keyed by; each has a folder of its own under
`$XDG_CACHE_HOME/evidencekb/` (by default `~/.cache/evidencekb/`), not beside kb/ or
the site: kb/ comes from pull requests and the site is published, and a cache in
either could pair a key with data it does not hold. Only evidencekb writes there,
from work it did itself; still, an entry is read back as plain data only
(`PickledEntries`: built-in containers, strings, numbers and the classes a kind
names), so a tampered entry cannot run code, and whoever reads an entry checks that
it was written for what it needs.

An entry is written to a temporary file and renamed into place, so a reader sees
a whole entry or none, and two runs at once at worst write the same entry twice.
A cache folder that cannot be made or written just means no cache.

The cache folder is trusted only as far as it is this user's: a folder (not a link)
owned by this user, made private if others could write in it; anything else means
no cache. An entry is read as kb/ files are (evidencekb/reading.py): a regular file
of this user's that no one else may write, never a link followed, a FIFO or a
device, and at most MAX_ENTRY_BYTES. Each entry carries
a hash of its contents, checked on reading: an entry that is not what the cache
wrote (truncated, changed on disk, put there by hand) is ignored and written anew,
so no entry can change a command's result.
"""

from __future__ import annotations

import importlib
import io
import os
import pickle
import stat
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evidencekb import atomic
from evidencekb.hashing import content_hash, content_key
from evidencekb.paths import (
    CACHE_DIRNAME,
    CHECKED_CACHE_DIRNAME,
    CITATION_CACHE_DIRNAME,
    EXPORT_CACHE_DIRNAME,
    INDEX_CACHE_DIRNAME,
    PARSE_CACHE_DIRNAME,
    SEARCH_CACHE_DIRNAME,
    TOPICS_DIR,
    VERDICT_CACHE_DIRNAME,
)
from evidencekb.reading import NotReadable, read_regular

# The most an entry is read of: a parsed kb/ file or a topic's search data runs to
# megabytes; anything near this is not an entry this cache wrote.
MAX_ENTRY_BYTES = 256 * 1024 * 1024
# Every entry starts with this line, then a hash of what follows it.
_HEADER = b"evidencekb-cache-entry-1\n"
_HASH_BYTES = 32


@dataclass(frozen=True)
class CacheKind:
    """One kind of work kept between runs: its folder (a name from paths.py), its
    format (in every entry, or in its key: an entry of another format is never used,
    so a change to what an entry holds bumps it), and what an entry is keyed by."""

    folder: str
    format: str
    key: str


PARSED_TOML = CacheKind(
    PARSE_CACHE_DIRNAME,
    "evidencekb-parsed-toml-2",
    "a kb/ file's absolute path; used while the content key of its bytes and Python's "
    "version are the entry's",
)
CHECKED_TOPICS = CacheKind(
    CHECKED_CACHE_DIRNAME,
    "evidencekb-checked-topic-1",
    "a topic folder's absolute path; used while the content key of the code, the year, "
    "where kb/ is, the vocabularies and the folder's files is the one it holds",
)
CITATIONS = CacheKind(
    CITATION_CACHE_DIRNAME,
    "evidencekb-citation-3",
    "the content key of the CSL-JSON item with the style file's content key and the "
    "versions of citeproc-py and nh3",
)
SEARCH_PARTIALS = CacheKind(
    SEARCH_CACHE_DIRNAME,
    "evidencekb-search-data-partial-6",
    "a topic folder's absolute path; used while the topic's content key "
    "(search.index.topic_key, of the code too) is the one it holds",
)
EXPORT_MEMBERS = CacheKind(
    EXPORT_CACHE_DIRNAME,
    "evidencekb-export-member-1",
    "a topic folder's absolute path; used while the content key of the code, this format, "
    "the kb's stances and strength scheme and the topic's claims is the one it holds",
)
DATABASE_VERDICTS = CacheKind(
    VERDICT_CACHE_DIRNAME,
    "evidencekb-database-verdicts-1",
    "a topic folder's absolute path; used while the content key of the code, this format, "
    "the kb's stances and strength scheme and the topic's claims is the one it holds",
)
INDEX_DOCUMENTS = CacheKind(
    INDEX_CACHE_DIRNAME,
    "evidencekb-index-documents-1",
    "a topic folder's absolute path; used while the topic's content key "
    "(search.index.topic_key, of the code too) is the one it holds",
)
CACHES = (
    PARSED_TOML,
    CHECKED_TOPICS,
    CITATIONS,
    SEARCH_PARTIALS,
    EXPORT_MEMBERS,
    DATABASE_VERDICTS,
    INDEX_DOCUMENTS,
)


def cache_folder(name: str) -> Path | None:
    """Where evidencekb keeps one kind of cached work (`name`, from paths.py): under
    $XDG_CACHE_HOME (when absolute, as the XDG specification requires) or ~/.cache;
    None when neither can be named."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:  # no home folder to name
            return None
    folder = Path(base) / CACHE_DIRNAME / name
    if not (_is_own(folder.parent) and _is_own(folder)):
        return None
    # An entry's temporary file is named by its owner (write_atomically): one a killed
    # run left is removed here, once a command, not on every write of a large folder.
    atomic.remove_dead_staging(folder)
    return folder


def _is_own(folder: Path) -> bool:
    """Whether `folder` may hold this user's cache: missing (it will be made, private),
    or a real folder of this user's. One that others may write in (made under a
    umask of 002) is made private first: what they may have put there is refused
    entry by entry (`read_entry`)."""
    try:
        info = os.lstat(folder)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
            return False
        if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            os.chmod(folder, stat.S_IMODE(info.st_mode) & ~(stat.S_IWGRP | stat.S_IWOTH))
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return True


def make_folder(folder: Path) -> None:
    """Make the cache folder `folder` and the evidencekb folder holding it, private
    (mkdir's `mode` does not reach the parents it makes)."""
    folder.parent.parent.mkdir(parents=True, exist_ok=True)
    for made in (folder.parent, folder):
        made.mkdir(mode=0o700, exist_ok=True)


def read_entry(entry: Path) -> bytes | None:
    """What the cache wrote as `entry`; None if there is no such entry, or the file
    there is not one the cache wrote whole (see above)."""
    try:
        data = read_regular(entry, limit=MAX_ENTRY_BYTES, follow=False, private=True)
    except NotReadable:
        return None
    start = len(_HEADER) + _HASH_BYTES
    if not data.startswith(_HEADER) or data[len(_HEADER) : start] != _hash(data[start:]):
        return None
    return data[start:]


def _hash(payload: bytes) -> bytes:
    digest = content_hash(_HASH_BYTES)
    digest.update(payload)
    return digest.digest()


def write_atomically(entry: Path, data: bytes) -> None:
    """Write `data` as the entry `entry`, replacing it whole (its folder made if need
    be), with the header and hash `read_entry` checks."""
    make_folder(entry.parent)
    fd, temporary = atomic.owned_temporary(entry)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(_HEADER + _hash(data) + data)
        os.replace(temporary, entry)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise


@dataclass(frozen=True)
class PickledEntries:
    """The entries in `folder` (None: no cache), each named by a hash of a name the
    caller chooses, holding plain data: the only classes an entry may name are
    `allowed` (module, class name) pairs."""

    folder: Path | None
    allowed: frozenset[tuple[str, str]] = frozenset()

    def entry(self, name: str) -> Path | None:
        if self.folder is None:
            return None
        return self.folder / content_key(name.encode("utf-8", "surrogatepass"))

    def writable(self) -> bool:
        """Whether entries can be kept: the folder is there (made now if need be) and
        this process may write in it."""
        if self.folder is None:
            return False
        try:
            make_folder(self.folder)
        except OSError:
            return False
        return os.access(self.folder, os.W_OK)

    def read(self, name: str) -> object | None:
        """What the entry `name` holds; None if there is none that reads as plain data."""
        entry = self.entry(name)
        data = None if entry is None else read_entry(entry)
        if data is None:
            return None
        try:
            value: object = _PlainUnpickler(io.BytesIO(data), self.allowed).load()
        except Exception:  # truncated, corrupt or tampered with: as if there were none
            return None
        return value

    def write(self, name: str, value: object) -> None:
        """Keep `value` as the entry `name`; does nothing if the folder cannot be written."""
        entry = self.entry(name)
        if entry is None:
            return
        with suppress(OSError, pickle.PicklingError, RecursionError):
            write_atomically(entry, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


@dataclass(frozen=True)
class TopicEntries:
    """A kind's entries of work made from one topic each, for the kb at `kb_dir`
    (absolute): one entry per topic folder, so an edited topic replaces its entry and
    entries do not pile up edit after edit (a topic removed leaves one behind, as a
    removed kb/ file does in the parse cache). An entry holds the kind's format, the
    topic folder and the key of all its value was made from beside the value, and
    gives the value only for all three."""

    kind: CacheKind
    kb_dir: Path
    entries: PickledEntries

    @classmethod
    def of(
        cls, kind: CacheKind, kb_dir: Path, allowed: frozenset[tuple[str, str]] = frozenset()
    ) -> TopicEntries:
        """The entries in the user's cache folder (none if it cannot be named)."""
        return cls(kind, kb_dir.absolute(), PickledEntries(cache_folder(kind.folder), allowed))

    def place(self, slug: str) -> str:
        return str(self.kb_dir / TOPICS_DIR / slug)

    def get(self, slug: str, key: str) -> object | None:
        """What the topic `slug`'s entry holds, if it was written for `key`."""
        kept = self.entries.read(self.place(slug))
        if not isinstance(kept, tuple) or len(kept) != 4:
            return None
        form, place, kept_key, value = kept
        return (
            value if (form, place, kept_key) == (self.kind.format, self.place(slug), key) else None
        )

    def put(self, slug: str, key: str, value: object) -> None:
        place = self.place(slug)
        self.entries.write(place, (self.kind.format, place, key, value))


class _PlainUnpickler(pickle.Unpickler):
    """Loads plain data only: an entry naming any class but the allowed ones is
    refused, so a tampered entry cannot run code."""

    def __init__(self, file: io.BytesIO, allowed: frozenset[tuple[str, str]]) -> None:
        super().__init__(file)
        self.allowed = allowed

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self.allowed:
            return getattr(importlib.import_module(module), name)
        raise pickle.UnpicklingError(f"{module}.{name} is not plain data")
