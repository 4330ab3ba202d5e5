"""Replace a folder all at once, so that a failure never leaves half of one.

Every writer (import, build, the search index) fills a hidden sibling folder
and only then puts it in place. On Linux the swap is one `renameat2` call with
RENAME_EXCHANGE, so a reader sees the old folder or the new one, never neither;
elsewhere it falls back to two renames.

A writer killed outright (SIGKILL, a power cut) cannot remove its sibling, so the
sibling's name records its owner, `.NAME.tmp-PID.START-XXXXXXXX` (START: when that
process started, so a reused pid is not taken for the owner), and the next writer in
the same folder removes every sibling whose owner is gone, never one still at work.

Writers of one folder can also take its lock (`writer_lock`): an flock on
`.NAME.lock` beside it, which the kernel releases when the holder dies.

A target that is a symbolic link (`site -> /var/www/ekb`, a common deploy layout)
is replaced where it points: the sibling is staged beside the link's target, the
link itself stays. A target that is a mount point (a tmpfs, a Docker volume, a bind
mount) cannot be renamed at all: a writer that updates it in place (inplace.py, as
`ekb build` does its site) stages inside it instead (`staging_home`), and one that
would replace it whole is refused with a one-line error naming it.

A writer that names a `marker` (the file it puts in every folder it makes, as `ekb
build` does its manifest) replaces only a folder holding that marker, or an empty
one: `--site-dir kb` or `--site-dir .` must never swap the knowledge base or the
project for a built site. A target that is not a folder at all is never replaced.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import glob
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from evidencekb.errors import KBError, failure_reason

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
# A staging sibling's name: `.NAME.tmp-PID.START-` and mkdtemp's (or mkstemp's) random
# letters.
_STAGING_NAME = re.compile(r"\..+\.tmp-(\d+)\.(\d+)-[^/]*")
# An update in place's commit folder and its journal (inplace.py): `.NAME.` and these.
UPDATE_NAMES = ("commit", "commit.removed")
# What marks a folder as a writer's own: a file's name, or any of several.
Marker = str | tuple[str, ...] | None
_OCTAL_ESCAPE = re.compile(rb"\\([0-7]{3})")


@contextmanager
def staged_dir(target: Path, *, marker: Marker = None) -> Iterator[Path]:
    """Yield an empty sibling of `target`; on success it replaces `target`.

    If the body raises, the sibling is removed and `target` is left untouched.
    Siblings left by writers that died are removed first. A `target` that is a
    link is replaced where it points; with `marker`, a `target` that holds
    anything but is not marked as this writer's is refused (`check_replaceable`).
    """
    if is_mount_point(resolved(target)):
        raise KBError(
            f"cannot replace {target} whole: it is a mount point, which cannot be "
            "renamed; choose a folder inside it"
        )
    with staging_dir(target, marker=marker) as staged:
        yield staged
    # Outside the staging's clean-up: where the swap takes two renames, the old folder
    # is moved aside under the staging's prefix, and must not be removed as debris.
    replace_dir(staged, resolved(target))


@contextmanager
def staging_dir(target: Path, *, marker: Marker = None) -> Iterator[Path]:
    """Yield an empty sibling of `target` (where it points, if a link) for the body to
    fill and put in place, as `staged_dir` does or an update in place (inplace.py);
    removed if the body raises, as are the siblings of writers that died, first.
    With `marker`, a `target` not marked as this writer's is refused."""
    check_replaceable(target, marker)
    target = resolved(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    home = staging_home(target)
    remove_dead_staging(home)
    prefix = _staging_prefix(target)
    try:
        staged = Path(tempfile.mkdtemp(prefix=prefix, dir=home))
        os.chmod(staged, 0o755)  # mkdtemp makes it private; the result is published
        yield staged
    except BaseException:
        # By prefix, not by `staged`: a signal can land after mkdtemp made the folder
        # and before it returned its name.
        for own in home.glob(f"{glob.escape(prefix)}*"):
            shutil.rmtree(own, ignore_errors=True)
        raise


def staging_home(target: Path) -> Path:
    """The folder a writer of `target` (resolved) stages in and keeps its journal in:
    beside `target`, so that one rename puts what it wrote in place; inside it where
    `target` is a mount point, which nothing can be renamed over or moved across."""
    return target if is_mount_point(target) else target.parent


def is_mount_point(folder: Path) -> bool:
    """Whether a filesystem is mounted at `folder` (resolved). os.path.ismount misses a
    bind mount of a folder on the filesystem it is mounted in, which the kernel
    refuses to rename just the same: the mount table says."""
    if os.path.ismount(folder):
        return True
    try:
        table = Path("/proc/self/mountinfo").read_bytes()
    except OSError:
        return False
    where = os.fsencode(folder)
    # Field 5 of each line is the mount point, a space, tab, newline or backslash in it
    # written as a backslash and three octal digits.
    return any(
        _OCTAL_ESCAPE.sub(lambda found: bytes([int(found[1], 8)]), fields[4]) == where
        for fields in (line.split(b" ") for line in table.splitlines())
        if len(fields) > 4
    )


def writers_own(name: str, target: Path) -> bool:
    """Whether `name`, an entry of the folder `staging_home(target)`, is a writer's of
    `target`: a staging folder, or an update's commit folder or journal (inplace.py).
    Inside a mount point these sit among the folder's own files, and are not them."""
    own = f".{target.name}."
    return name.startswith(own) and (
        name[len(own) :].startswith("tmp-") or name[len(own) :] in UPDATE_NAMES
    )


def resolved(target: Path) -> Path:
    """Where writing `target` lands: its absolute path with every link followed (a
    link that points nowhere yet gives the path it points to)."""
    return Path(os.path.realpath(target))


def check_replaceable(target: Path, marker: Marker = None) -> None:
    """KBError unless a writer may replace `target`: it is missing or a folder, and
    with `marker`, an empty folder or one holding the regular file `marker` (or, of
    several names, any one of them)."""
    real = resolved(target)
    try:
        info = os.stat(real)
    except FileNotFoundError:
        return
    except OSError as error:
        raise KBError(f"cannot use {target}: {error.strerror or error}") from None
    if not stat.S_ISDIR(info.st_mode):
        raise KBError(f"{target} is a file, not a folder; remove it or choose another path")
    markers = (marker,) if isinstance(marker, str) else marker
    if markers is None or any(_is_regular(real / name) for name in markers):
        return
    try:
        with os.scandir(real) as entries:  # a killed writer's staging is not content
            empty = all(writers_own(entry.name, real) for entry in entries)
    except OSError as error:
        raise KBError(f"cannot use {target}: {error.strerror or error}") from None
    if not empty:
        raise KBError(
            f"refusing to replace {target}: it is not empty and has no {' or '.join(markers)}, "
            "so evidencekb did not write it; choose a new or empty folder, or one it wrote"
        )


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def replace_dir(staged: Path, target: Path) -> None:
    """Put `staged` where `target` is, then delete the old `target`."""
    if not target.exists():
        os.rename(staged, target)
        return
    if _exchange(staged, target):
        shutil.rmtree(staged)  # it now holds the old contents
        return
    old = target.with_name(f"{_staging_prefix(target)}old")
    os.rename(target, old)
    os.rename(staged, target)
    shutil.rmtree(old)


def replace_file(path: Path, data: bytes) -> None:
    """Write `data` as the file `path` (where it points, if a link), whole or not at all:
    into a hidden temporary file beside it, then renamed over it. The file keeps the
    mode it had (a new one gets the mode the umask gives)."""
    path = resolved(path)
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    remove_dead_staging(path.parent)  # what a writer killed before its rename left
    fd, temporary = owned_temporary(path)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def owned_temporary(path: Path) -> tuple[int, str]:
    """A new hidden file beside `path` (its descriptor and name) to be renamed over it,
    named by its owner as a staging folder is: one a writer killed before the rename
    leaves, `remove_dead_staging` of its folder removes."""
    return tempfile.mkstemp(dir=path.parent, prefix=_staging_prefix(path))


def write_folder(target: Path, files: Mapping[str, bytes]) -> None:
    """Make `target` a folder holding exactly `files` (name -> bytes), all at once;
    KBError, with `target` as it was, if it cannot be written."""
    try:
        with staged_dir(target) as staged:
            for name, data in files.items():
                (staged / name).write_bytes(data)
    except OSError as error:
        raise KBError(f"cannot write {target}: {error.strerror or error}") from None


def remove_dead_staging(folder: Path) -> None:
    """Delete the staging folders and temporary files in `folder` whose owner process
    is gone."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        match = _STAGING_NAME.fullmatch(entry.name)
        if match and not _is_running(int(match[1]), int(match[2])):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


@contextmanager
def writer_lock(target: Path, on_wait: Callable[[], None] = lambda: None) -> Iterator[None]:
    """Hold the lock every writer of `target` takes while the block runs. If another
    process holds it, call `on_wait` once and wait for it."""
    # A file in the way is then reported by open() below, as "Not a directory".
    target = resolved(target)  # one lock for a folder and every link to it
    with contextlib.suppress(FileExistsError):
        target.parent.mkdir(parents=True)
    with open(target.with_name(f".{target.name}.lock"), "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait()
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield  # closing the file releases the lock


def _staging_prefix(target: Path) -> str:
    """The start of the name of a staging folder or temporary file of `target` that
    this process owns."""
    pid = os.getpid()
    return f".{target.name}.tmp-{pid}.{_start_time(pid) or 0}-"


def _start_time(pid: int) -> int | None:
    """When process `pid` started (clock ticks since boot); None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text("ascii", errors="replace")
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: count from its end.
    fields = stat.rpartition(")")[2].split()
    with contextlib.suppress(IndexError, ValueError):
        return int(fields[19])  # field 22, starttime
    return None


def _is_running(pid: int, start: int) -> bool:
    started = _start_time(pid)
    if started is not None:
        return start in (started, 0)
    if Path("/proc/self/stat").exists():
        return False  # /proc works here and has no such process
    try:
        os.kill(pid, 0)  # no /proc: whether the pid exists at all
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically; False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(result == 0)


_P = ParamSpec("_P")
_R = TypeVar("_R")


def writes_kb(
    function: Callable[Concatenate[Path, _P], _R],
) -> Callable[Concatenate[Path, _P], _R]:
    """Run `function(kb_dir, ...)`, a command that reads kb/ and writes it back, holding
    kb/'s writer lock from its read to its write: two such commands at once (an import
    and a refs import of one topic, a stamp and a retractions run) would each write
    what they read before the other wrote, and the last one would undo the first
    without a word. One that cannot take the lock is one KBError naming kb/."""

    @wraps(function)
    def locked(kb_dir: Path, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with contextlib.ExitStack() as held:
            try:
                held.enter_context(writer_lock(kb_dir))
            except OSError as error:
                raise KBError(f"cannot write {kb_dir}: {failure_reason(error)}") from None
            return function(kb_dir, *args, **kwargs)

    return locked
