"""The problem collector every kb/ file is read through.

`KbReader` reads the files `scan_kb` vetted (kb/files.py), names them in
problems, and turns every way a file can fail (unreadable, not UTF-8, bad
TOML) into a problem with its line; the checks shared by every table come
from `TableChecker`. The loader hands one reader to each file kind's module,
so every problem from every file ends up in one list.
"""

from __future__ import annotations

import os

from evidencekb.cache import cache_folder
from evidencekb.errors import Problem
from evidencekb.hashing import content_key
from evidencekb.kb.files import KbFileError, KbTree, decode_utf8
from evidencekb.kb.fingerprint import TreeDigest
from evidencekb.kb.parsecache import ParseCache
from evidencekb.kb.tables import TableChecker
from evidencekb.kb.text import shown
from evidencekb.kb.tomlfile import Located, Parsed, parse_text, place
from evidencekb.paths import PARSE_CACHE_DIRNAME


class KbReader(TableChecker):
    """Reads a scanned kb/; hands every file's bytes to `digest`, if given, as it reads
    them (a build's fingerprint of what it loaded)."""

    def __init__(self, tree: KbTree, digest: TreeDigest | None = None) -> None:
        super().__init__()
        self.tree = tree
        self.digest = digest
        self.kb_dir = tree.root
        self.problems.extend(tree.problems)
        self.opened: set[str] = set()  # files read so far
        self.cache = ParseCache(cache_folder(PARSE_CACHE_DIRNAME))

    def display(self, relative: str) -> str:
        """How a problem names the file at `relative` (a path inside kb/)."""
        return self.tree.display(relative)

    def file_problem(self, relative: str, message: str) -> None:
        """Record a problem with a whole file or folder (line 1)."""
        self.problems.append(Problem(self.display(relative), 1, shown(message)))

    def present(self, relative: str) -> bool:
        """Whether a file is there to read; a folder in its place is a problem."""
        if self.tree.is_folder(relative):
            name = relative.rsplit("/", 1)[-1]
            self.file_problem(relative, f"is a folder; {name} must be a file")
        return self.tree.is_file(relative)

    def read(self, relative: str) -> Located | None:
        """A required TOML file, parsed; None (with a problem) when missing or broken."""
        if not self.tree.is_file(relative) and not self.tree.is_folder(relative):
            if not self.tree.refused(relative):
                self.file_problem(relative, "file is missing")
            return None
        return self.read_optional(relative)

    def read_optional(self, relative: str) -> Located | None:
        """An optional TOML file, parsed; None when absent or broken."""
        if not self.present(relative):
            return None
        data = self.raw(relative)
        parsed = None if data is None else self.parsed(relative, data)
        if data is None or parsed is None:
            return None
        return place(parsed, data, self.display(relative), self.problems)

    def parsed(self, relative: str, data: bytes) -> Parsed | None:
        """A TOML file's bytes parsed, or as parsed by an earlier run (kb/parsecache.py)."""
        # Kept by where the file is, and checked against what it holds now.
        path, content_hash = os.path.abspath(self.kb_dir / relative), content_key(data)
        parsed = self.cache.get(path, content_hash)
        if parsed is None:
            text = self.decoded(relative, data)
            if text is None:
                return None
            parsed = parse_text(text, self.display(relative), self.problems)
            if parsed is not None:
                self.cache.put(path, content_hash, parsed)
        return parsed

    def text(self, relative: str) -> str | None:
        """A file's text; None (with a problem) when it cannot be read as UTF-8."""
        data = self.raw(relative)
        return None if data is None else self.decoded(relative, data)

    def raw(self, relative: str) -> bytes | None:
        """A file's bytes; None (with a problem) when it cannot be read."""
        self.opened.add(relative)
        try:
            data = self.tree.read(relative)
        except KbFileError as error:
            self.problems.append(error.problem)
            return None
        if self.digest is not None:
            self.digest.feed(relative, data)
        return data

    def took(self, files: dict[str, bytes]) -> None:
        """Count `files` (kb/ path -> bytes, read from the tree) as read: a topic kept
        from an earlier check (kb/checked.py) is not read through `raw`."""
        for relative, data in files.items():
            self.opened.add(relative)
            if self.digest is not None:
                self.digest.feed(relative, data)

    def decoded(self, relative: str, data: bytes) -> str | None:
        try:
            return decode_utf8(data, self.display(relative))
        except KbFileError as error:
            self.problems.append(error.problem)
            return None

    def optional_text(self, relative: str) -> str | None:
        """An optional file's text: "" when absent, None when it cannot be read."""
        return self.text(relative) if self.present(relative) else ""

    def check_unopened(self) -> None:
        """Every other file must be readable too: `ekb build` hashes them all."""
        for relative in self.tree.all_files():
            if relative not in self.opened and (problem := self.tree.probe(relative)):
                self.problems.append(problem)
