"""Walking and reading kb/: regular files and folders inside kb/, and nothing else.

kb/ comes from pull requests, and everything in it is published. A symbolic
link out of kb/ would publish a file from elsewhere (`/etc/passwd`), a FIFO or
a link to `/dev/zero` would hang every reader, and a dangling or looping link
would crash one. `scan_kb` walks kb/ once, refuses each of those as a
`Problem` naming the path, and records which file it vetted; `KbTree.read`
then reads only a vetted file, and checks it is still the same file when
opened, so nothing swapped in meanwhile is read either.

`ekb check` (the loader) and the search index's freshness check both walk kb/
with this module, so what one accepts the other can read. Stdlib only and one
`stat` per entry: `ekb search` runs it.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from evidencekb.errors import Problem
from evidencekb.kb.text import shown
from evidencekb.paths import TOPICS_DIR

# Re-exported: kb/ readers and importers read through kb/'s guard by these names.
from evidencekb.reading import READ_FLAGS, cannot_read, kind_of
from evidencekb.reading import NotReadable as NotReadable
from evidencekb.reading import read_regular as read_regular

ONLY_FILES = "kb/ may hold only regular files and folders"


class KbFileError(Exception):
    """A kb/ file that cannot be read; `problem` says which and why."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


@dataclass(frozen=True)
class KbTree:
    """What `scan_kb` found: vetted files and folders by their path inside kb/.

    Paths use `/` and name an entry as it appears under kb/ (through any link).
    Hidden entries (a leading `.`: an import being staged) are left out.
    """

    root: Path
    files: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # -> (device, inode)
    folders: frozenset[str] = frozenset()
    problems: tuple[Problem, ...] = ()
    pending: Mapping[str, bytes] = field(default_factory=dict)  # files about to be written

    def without(self, relative: str) -> KbTree:
        """The tree with folder `relative` and everything in it gone."""

        def elsewhere(path: str) -> bool:
            return path != relative and not path.startswith(f"{relative}/")

        here = self.display(relative)
        return replace(
            self,
            files={path: key for path, key in self.files.items() if elsewhere(path)},
            folders=frozenset(path for path in self.folders if elsewhere(path)),
            problems=tuple(
                p for p in self.problems if p.path != here and not p.path.startswith(f"{here}/")
            ),
            pending={path: data for path, data in self.pending.items() if elsewhere(path)},
        )

    def with_one_topic(self, relative: str) -> KbTree:
        """The tree with no topic folder but `relative` (`topics/<slug>`): that topic
        read with kb/'s scheme and vocabularies, and no other."""

        def kept(path: str) -> bool:
            return (
                not path.startswith(f"{TOPICS_DIR}/")
                or path == relative
                or (path.startswith(f"{relative}/"))
            )

        return replace(
            self,
            files={path: key for path, key in self.files.items() if kept(path)},
            folders=frozenset(path for path in self.folders if kept(path)),
            pending={path: data for path, data in self.pending.items() if kept(path)},
        )

    def with_folder(self, relative: str, contents: Mapping[str, bytes]) -> KbTree:
        """The tree as it will be once folder `relative` holds exactly `contents`.

        `ekb import` checks a topic this way before it writes anything.
        """
        rest = self.without(relative)
        parts = relative.split("/")
        parents = {"/".join(parts[:n]) for n in range(1, len(parts) + 1)}
        pending = {f"{relative}/{name}": data for name, data in contents.items()}
        return replace(rest, folders=rest.folders | parents, pending={**rest.pending, **pending})

    def display(self, relative: str) -> str:
        """How a problem names the entry at `relative`."""
        return display_path(self.root, relative)

    def is_file(self, relative: str) -> bool:
        return relative in self.files or relative in self.pending

    def all_files(self) -> list[str]:
        return sorted({*self.files, *self.pending})

    def is_folder(self, relative: str) -> bool:
        return relative in self.folders

    def refused(self, relative: str) -> bool:
        """Whether `scan_kb` already reported a problem with this entry or a folder
        holding it (an unreadable folder hides what is inside)."""
        shown = {problem.path for problem in self.problems}
        parts = relative.split("/")
        return any(self.display("/".join(parts[:n])) in shown for n in range(1, len(parts) + 1))

    def files_in(self, relative: str) -> list[str]:
        """The files directly inside `relative` (kb/ paths), sorted."""
        prefix = f"{relative}/"
        return sorted(p for p in self.files if p.startswith(prefix) and "/" not in p[len(prefix) :])

    def subfolders(self, relative: str) -> list[str]:
        """Names of the folders directly inside `relative`, sorted."""
        prefix = f"{relative}/"
        return sorted(
            path[len(prefix) :]
            for path in self.folders
            if path.startswith(prefix) and "/" not in path[len(prefix) :]
        )

    def read(self, relative: str) -> bytes:
        """The bytes of a vetted file; KbFileError if it cannot be read as vetted."""
        if relative in self.pending:
            return self.pending[relative]
        identity = self.files.get(relative)
        if identity is None:
            raise KbFileError(Problem(self.display(relative), 1, "file is missing"))
        try:
            return read_regular(self.root / relative, identity=identity)
        except NotReadable as error:
            raise KbFileError(Problem(self.display(relative), 1, error.reason)) from None

    def probe(self, relative: str) -> Problem | None:
        """A problem if the file cannot be opened for reading; None if it can."""
        if relative in self.pending:
            return None
        try:
            os.close(os.open(self.root / relative, READ_FLAGS))
        except OSError as error:
            return Problem(self.display(relative), 1, cannot_read(error))
        return None


def display_path(root: Path, relative: str) -> str:
    """How a problem names the entry at `relative` inside `root`, on one line."""
    return shown(str(root / relative) if relative else str(root))


def decode_utf8(data: bytes, display: str) -> str:
    """`data` as text; KbFileError naming the line and column of the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line_start = data.rfind(b"\n", 0, error.start) + 1
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - line_start + 1
        message = (
            f"not UTF-8 text: byte 0x{data[error.start]:02x} at column {column} is not "
            "part of a UTF-8 character; save the file as UTF-8"
        )
        raise KbFileError(Problem(display, line, message)) from None


def _is_utf8(name: str) -> bool:
    """Whether a name the system gave (bytes it could not decode kept as surrogates) is
    UTF-8 text, which every path of kb/ is hashed and shown as."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def scan_kb(kb_dir: Path) -> KbTree:
    """Walk `kb_dir`; a missing `kb_dir` gives an empty tree (the loader says so)."""
    try:
        real_root = os.path.realpath(kb_dir, strict=True)
    except OSError:
        return KbTree(kb_dir)
    if not os.path.isdir(real_root):
        return KbTree(kb_dir)
    walk = _Walk(kb_dir, real_root)
    walk.folder("", real_root, frozenset({real_root}))
    return KbTree(kb_dir, walk.files, frozenset(walk.folders), tuple(walk.problems))


class _Walk:
    def __init__(self, root: Path, real_root: str) -> None:
        self.root = root
        self.real_root = real_root
        self.files: dict[str, tuple[int, int]] = {}
        self.folders: set[str] = set()
        self.problems: list[Problem] = []

    def refuse(self, relative: str, message: str) -> None:
        self.problems.append(Problem(display_path(self.root, relative), 1, message))

    def folder(self, relative: str, real: str, ancestors: frozenset[str]) -> None:
        """Walk one folder; `ancestors` are the real paths of the folders above it."""
        try:
            with os.scandir(real) as scan:
                entries = sorted((entry.name, entry.path) for entry in scan)
        except OSError as error:
            self.refuse(relative, cannot_read(error, "folder"))
            return
        for name, path in entries:
            if name.startswith("."):
                continue
            child = f"{relative}/{name}" if relative else name
            if not _is_utf8(name):
                # Named in its bytes, escaped: the name cannot be printed as it is.
                written = os.fsencode(name).decode("utf-8", "backslashreplace")
                shown_child = f"{relative}/{written}" if relative else written
                self.refuse(shown_child, "its name is not UTF-8 text; rename it")
                continue
            self.entry(child, path, ancestors)

    def entry(self, relative: str, path: str, ancestors: frozenset[str]) -> None:
        try:
            info = os.lstat(path)
        except OSError as error:
            self.refuse(relative, cannot_read(error))
            return
        real = path
        if stat.S_ISLNK(info.st_mode):
            target = self.link_target(relative, path)
            if target is None:
                return
            real, info = target
        if stat.S_ISREG(info.st_mode):
            self.files[relative] = (info.st_dev, info.st_ino)
        elif stat.S_ISDIR(info.st_mode):
            if real in ancestors:
                self.refuse(relative, "is a symbolic link to a folder that contains it (a loop)")
                return
            self.folders.add(relative)
            self.folder(relative, real, ancestors | {real})
        else:
            self.refuse(relative, f"is {kind_of(info.st_mode)}; {ONLY_FILES}")

    def link_target(self, relative: str, path: str) -> tuple[str, os.stat_result] | None:
        """The real path and status of a link's target, if it is inside kb/."""
        try:
            written = os.readlink(path)
            real = os.path.realpath(path, strict=True)
            info = os.stat(real)
        except OSError as error:
            if error.errno == errno.ELOOP:
                self.refuse(relative, "is a symbolic link that loops; replace it with the file")
            else:
                self.refuse(
                    relative,
                    f"is a symbolic link to {written}, which does not exist; "
                    "remove it or replace it with the file",
                )
            return None
        if os.path.commonpath([real, self.real_root]) != self.real_root:
            self.refuse(
                relative,
                f"is a symbolic link to {real}, outside the knowledge base folder; "
                "kb/ may link only to files inside it",
            )
            return None
        return real, info
