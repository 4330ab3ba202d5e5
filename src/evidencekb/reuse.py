"""What a build is made of and what it can keep from the build before it: the parts
each stage offers, content keys, the build manifest, and hard links into the
staging folder.

Every part of the site (a page, a search index segment, the database, the export,
the search data) is a `Part` with a key: a hash of everything it is made from, the code that
makes it included (`code_version`), never a modification time. A build writes the
keys into the site's manifest (BUILD_MANIFEST_NAME); the next build, for each part
whose key is the same, keeps the earlier file instead of writing it again: the site
is updated in place (inplace.py), the kept files staying where they are and only
the written ones moved in; a folder replaced whole (the search index) gets a hard
link to each kept file in its staging folder (a copy where links are refused).
Either way a failed build leaves the previous site whole, and since a kept file is
the very file a full build would write, an incremental build gives the same bytes
as a full one. Keys are part of a full build's output too: the manifest is the
same whichever way the site was made.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path

from evidencekb.errors import stop_if_set
from evidencekb.hashing import content_key
from evidencekb.paths import BUILD_MANIFEST_NAME

MANIFEST_FORMAT = 1
_PACKAGE_DIR = Path(__file__).parent
# Libraries whose output lands in the site: a new version may write other bytes.
_WRITERS = (
    "citeproc-py", "jinja2", "markdown", "markupsafe", "nh3", "sqlite-utils", "whoosh-reloaded",
)  # fmt: skip


@dataclass(frozen=True)
class Part:
    """One piece of a build that a stage offers: the files `write` writes into the build
    folder, or the earlier build's, kept when its part of this `name` had the same `key`.

    `name`: its entry in the build manifest. `key`: a hash of everything it is made
    from (`content_key`), or None for a part written every time and never kept; or
    `find_key`, which finds it where the part is run, on every core (`keyed`): a page's
    key costs enough to find that a large build finds them all in parallel.
    `files`: what it writes, relative to the site folder (or to `place`'s); a name
    ending in "/" stands for a folder and every file in it. `cost`: roughly how much
    work it is to keep or write (writing a claim's worth is about 1), which orders the
    build's tasks, largest first. `place`: the folder it goes into and the build
    before it there, for a part kept outside the site folder (the search index,
    paths.index_dir)."""

    name: str
    key: str | None
    files: tuple[str, ...]
    write: Callable[[], object]
    cost: float = 1
    place: Place | None = None
    find_key: Callable[[], str | None] | None = None

    def keyed(self) -> Part:
        """This part with its key found."""
        if self.find_key is None:
            return self
        return replace(self, key=self.find_key(), find_key=None)


@dataclass(frozen=True)
class Done:
    """What became of parts that were run: what each part written returned, and the
    key of each that has one, by name."""

    written: dict[str, object]
    keys: dict[str, str]

    @classmethod
    def merged(cls, dones: Iterable[Done]) -> Done:
        written: dict[str, object] = {}
        keys: dict[str, str] = {}
        for done in dones:
            written |= done.written
            keys |= done.keys
        return cls(written, keys)


@dataclass(frozen=True)
class Place:
    """A folder a build writes other than the site folder: its staging folder (`out`)
    and the build before it there (`earlier`), which parts placed there are kept from."""

    earlier: Earlier
    out: Path


def _nothing_to_finish(written: Mapping[str, object]) -> None:
    pass


@dataclass(frozen=True)
class Parts:
    """What a stage offers a build: its parts, and what it does once every part is
    written or kept (`finish`, given what each part written returned, by name)."""

    parts: tuple[Part, ...]
    finish: Callable[[Mapping[str, object]], None] = field(default=_nothing_to_finish)

    def keys(self, found: Mapping[str, str]) -> dict[str, str]:
        """The manifest's entries for these parts: the key of each that has one, by name,
        as the run `found` them (Done.keys)."""
        return {part.name: found[part.name] for part in self.parts if part.name in found}


def code_version() -> str:
    """A key of the code that writes the site: every file of this package (modules,
    templates, static files), the versions of the libraries that write output, and
    Python's and SQLite's."""
    files = sorted(
        path
        for path in _PACKAGE_DIR.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    )
    parts: list[str | bytes] = [sys.version, sqlite3.sqlite_version]
    parts += [f"{name}=={metadata.version(name)}" for name in _WRITERS]
    for path in files:
        parts += [path.relative_to(_PACKAGE_DIR).as_posix(), path.read_bytes()]
    return content_key(*parts)


@dataclass(frozen=True)
class Earlier:
    """The build before this one, as far as this one may keep its parts: the site
    folder it wrote and the keys of the parts in it (none for a full build), with
    the keys every part of this build starts from. `present`: the files of a folder
    updated in place (inplace.py), where a kept file stays; None: a kept file is
    linked into the staging folder, which replaces the earlier one whole."""

    site_dir: Path | None
    keys: Mapping[str, str]
    code: str  # code_version()
    kb_digest: str  # the content hash of all of kb/ (kb.fingerprint.kb_fingerprint)
    present: frozenset[str] | None = None

    @classmethod
    def nothing(cls, kb_digest: str) -> Earlier:
        """Keep nothing: a full build."""
        return cls(None, {}, code_version(), kb_digest)

    @classmethod
    def read(cls, site_dir: Path, kb_digest: str, *, in_place: bool = False) -> Earlier:
        """The earlier build at `site_dir`, which this one updates `in_place` or replaces
        whole; nothing to keep if it has no manifest this code can read."""
        keys = _read_manifest(site_dir).get("parts")
        if not isinstance(keys, dict):
            return cls.nothing(kb_digest)
        # Imported here: `ekb check` imports this module (for content keys), never this.
        from evidencekb.inplace import files_in

        present = files_in(site_dir) if in_place else None
        return cls(site_dir, keys, code_version(), kb_digest, present)

    def keep(self, part: str, key: str, files: Iterable[str], out: Path) -> bool:
        """Keep the earlier build's `files` (relative paths) if its `part` had this
        `key` and every file is still there: where they are, in a folder updated in
        place, else linked into `out`; False (and nothing left in `out`) otherwise."""
        if self.site_dir is None or self.keys.get(part) != key:
            return False
        if self.present is not None:
            return all(name in self.present for name in files)
        from evidencekb.inplace import link_file

        # Plain strings, not Paths: a build of a large kb may link nearly every page,
        # and pathlib's joins cost more than the links.
        source_dir, out_dir = os.fspath(self.site_dir), os.fspath(out)
        done: list[str] = []
        try:
            for name in files:
                target = os.path.join(out_dir, name)
                link_file(os.path.join(source_dir, name), target)
                done.append(target)
        except OSError:
            for target in done:
                os.unlink(target)
            return False
        return True

    def keep_part(self, part: Part, out: Path) -> bool:
        """`keep` for a part, a folder among its files standing for every file in it
        (a part of no files, or only of empty or missing folders: nothing to keep)."""
        if part.key is None or self.site_dir is None or self.keys.get(part.name) != part.key:
            return False
        files = self.files_of(part)
        return bool(files) and self.keep(part.name, part.key, files, out)

    def files_of(self, part: Part) -> list[str]:
        """`part`'s files in the earlier build, each folder among them standing for every
        file below it."""
        assert self.site_dir is not None
        files: list[str] = []
        for name in part.files:
            if not name.endswith("/"):
                files.append(name)
            elif self.present is not None:
                files += sorted(found for found in self.present if found.startswith(name))
            else:
                found = (self.site_dir / name).rglob("*")
                files += [p.relative_to(self.site_dir).as_posix() for p in found if p.is_file()]
        return files

    def kept(self, parts: Iterable[Part], written: Mapping[str, object]) -> Iterator[str]:
        """The files of those of `parts` (the site's) that this build kept rather than
        wrote (one without a key is always written): a build updating the site in place
        leaves them there."""
        for part in parts:
            if part.place is None and part.name not in written:
                yield from self.files_of(part)

    def keep_or_write(
        self, parts: Iterable[Part], out: Path, stop: threading.Event | None = None
    ) -> Done:
        """Keep each of `parts` from this earlier build into `out` (a part with a place:
        from its place's earlier build, into its folder), or else write it, its key found
        first; what each part written returned, and every key. Once `stop` is set, it
        raises errors.Cancelled before its next part."""
        written: dict[str, object] = {}
        keys: dict[str, str] = {}
        for offered in parts:
            stop_if_set(stop)  # a run of parts may be a few thousand pages: seconds
            part = offered.keyed()
            if part.key is not None:
                keys[part.name] = part.key
            if not self._keep_placed(part, out):
                written[part.name] = part.write()
        return Done(written, keys)

    def _keep_placed(self, part: Part, out: Path) -> bool:
        if part.place is None:
            return self.keep_part(part, out)
        return part.place.earlier.keep_part(part, part.place.out)


def write_manifest(out: Path, keys: Mapping[str, str], kb_digest: str, read_at_ns: int) -> None:
    """Write the keys of every part this build wrote or kept into `out`, with the
    fingerprint of the kb/ it was built from (`kb_digest`, kb.fingerprint's), stamped
    with the moment that reading of kb/ began (`read_at_ns`): an edit saved during the
    build is newer than the stamp, so `ekb serve` does not take the folder for current
    (kb.fingerprint.still_current)."""
    text = json.dumps(
        {"format": MANIFEST_FORMAT, "kb": kb_digest, "parts": dict(sorted(keys.items()))},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    path = out / BUILD_MANIFEST_NAME
    path.write_text(text + "\n", encoding="utf-8")
    os.utime(path, ns=(read_at_ns, read_at_ns))


def built_from(folder: Path) -> str | None:
    """The fingerprint of the kb/ the build in `folder` was made from, as its manifest
    records it; None if it records none."""
    digest = _read_manifest(folder).get("kb")
    return digest if isinstance(digest, str) else None


def _read_manifest(folder: Path) -> dict[str, object]:
    """The build manifest in `folder`; empty if there is none this code can read."""
    try:
        data = json.loads((folder / BUILD_MANIFEST_NAME).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("format") == MANIFEST_FORMAT else {}
