"""Update a built folder in place: move in only what a build wrote, decided at once.

A build over a site it wrote before keeps nearly every file as it is (an edit of
one claim rewrites the pages that show it, not the other ninety thousand). Staging
a whole new folder for that, a hard link per kept file, and then deleting the old
folder, cost more than the edit's own work. So such a build stages only the files
it writes (`atomic.staging_dir`), leaves the kept ones where they are, and then
`commit`s:

0. It drops from the staging folder each file written with the very bytes the
   folder has already.
1. It lists what the folder will no longer hold, every file that is neither written
   now nor kept (a page no longer made, a part no longer offered), in a journal
   beside the folder (`.NAME.commit.removed`).
2. It renames the staging folder to `.NAME.commit`: the one atomic step that decides
   the update. A build stopped before it leaves the folder exactly as it was; its
   staging folder and journal are debris the next writer removes.
3. It removes the listed files (and the folders they leave empty), moves each
   staged file over the one it replaces (a rename: a reader gets the old file or
   the new one, whole), the build manifest (`last`) after every other, and removes
   the commit folder and its journal.

A build that writes more files than it keeps (after a change every page shows, or
under other code) links the kept ones into its staging folder instead, which
replaces the folder whole (`atomic.replace_dir`): comparing and moving most of the
files would cost more than one new folder. A folder that is a mount point cannot be
replaced whole: there every update is made in place, with its staging folder, commit
folder and journal inside the folder (`atomic.staging_home`), where no file of the
folder's own is ever taken for them (`atomic.writers_own`).

A build stopped during step 3 leaves every file whole, some from each build, and
the commit folder: the next writer finishes the moves first (`recover`, under the
folder's writer lock), so an update decided is never lost. The manifest moves last,
so until then the folder reads as the build before (`ekb serve` and the next build
see it as not built from kb/ as it is, and build).
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from evidencekb.atomic import (
    UPDATE_NAMES,
    replace_dir,
    replace_file,
    resolved,
    staging_home,
    writers_own,
)


def files_in(folder: Path) -> frozenset[str]:
    """Every file below `folder`, as paths relative to it with "/" between names; in a
    mount point, not those of a writer's staging or update (`atomic.writers_own`)."""
    return frozenset(_walk(os.fspath(folder), lambda name: writers_own(name, folder)))


def _walk(root: str, skipped: Callable[[str], bool] = lambda name: False) -> Iterator[str]:
    for top, folders, names in os.walk(root):
        if top == root:
            folders[:] = [name for name in folders if not skipped(name)]
            names = [name for name in names if not skipped(name)]
        relative = os.path.relpath(top, root)
        prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"
        for name in names:
            yield prefix + name


def commit(
    staged: Path, target: Path, present: frozenset[str] | None, kept: Iterable[str], last: str
) -> None:
    """Make `target` hold what `staged` holds and the `kept` files of those `present` in
    it, all or (for a moment) in part but never lost: see the module's docstring.
    With `present` None (nothing kept in place), or more files written than kept,
    `staged`, with the kept files linked into it, replaces `target` whole; but for a
    mount point, which cannot be, every file it holds is replaced in place."""
    target = resolved(target)
    written, kept = files_in(staged), frozenset(kept)
    home = staging_home(target)
    if home != target and (present is None or len(written) > len(kept)):
        # Most of it new (other code, a changed vocabulary): comparing and moving most
        # files costs far more than linking the few kept ones and one swap.
        source, out = os.fspath(target), os.fspath(staged)
        for name in kept:
            link_file(os.path.join(source, name), os.path.join(out, name))
        replace_dir(staged, target)
        return
    if present is None:  # a mount point: nothing of what it holds is kept
        present = files_in(target)
    removed = present - written - kept
    _drop_unchanged(staged, target, written & present)
    decided, journal = _update_files(target, home)
    replace_file(journal, json.dumps(sorted(removed), ensure_ascii=False).encode("utf-8"))
    os.rename(staged, decided)  # the update is decided
    recover(target, last)


def link_file(source: str, target: str) -> None:
    """Hard-link `source` as `target` (copy it where links are refused). The target's
    folder is made only once a link fails for want of it: most are there already, and
    a check before each of an edit build's links cost more than the link."""
    try:
        os.link(source, target)
    except OSError:
        if not os.path.isfile(source):
            raise
        folder = os.path.dirname(target)
        if os.path.isdir(folder):
            shutil.copyfile(source, target)  # a filesystem without hard links
        else:
            os.makedirs(folder, exist_ok=True)
            link_file(source, target)


def write_or_link(destination: str, data: bytes, earlier: str | None) -> None:
    """Write `data` as the file `destination`, or hard-link `earlier` (the same file
    in the build before) where it holds these very bytes. A one-claim edit writes
    thousands of files as they were (the search data's shards its words are not in),
    and on many filesystems a new file costs far more than reading one and a link."""
    if earlier is not None and _holds(earlier, data):
        try:
            os.link(earlier, destination)
            return
        except OSError:
            pass  # a filesystem without hard links: write it
    with open(destination, "wb") as file:
        file.write(data)


def _holds(path: str, data: bytes) -> bool:
    try:
        with open(path, "rb") as file:
            return file.read(len(data) + 1) == data
    except OSError:
        return False


def _drop_unchanged(staged: Path, target: Path, names: Iterable[str]) -> None:
    """Remove from `staged` each of `names` whose bytes are those `target` has: most of
    what a part written anew holds is as it was (the search data's shards an edit's
    words are not in), and moving a file over its twin costs far more than comparing
    them (freeing the old file's blocks on disk), and would make a reader fetch it again."""
    for name in names:
        new, old = staged / name, target / name
        if os.path.samefile(new, old) or filecmp.cmp(new, old, shallow=False):
            os.unlink(new)  # linked by write_or_link, or written with the same bytes


def recover(target: Path, last: str) -> None:
    """Finish the update of `target` that a writer decided and was stopped from
    finishing (see `commit`), moving `last` after every other file; forget one that
    was never decided. The caller holds `target`'s writer lock."""
    target = resolved(target)
    pending, journal = _update_files(target, staging_home(target))
    if not pending.is_dir():
        journal.unlink(missing_ok=True)  # written by a writer stopped before its decision
        return
    for name in json.loads(journal.read_text("utf-8")):
        _remove(target, name)
    moves = sorted(_walk(os.fspath(pending)), key=lambda name: name == last)
    for name in moves:
        _move(pending / name, target / name)
    shutil.rmtree(pending)  # only the folders the moved files were in
    journal.unlink()


def _remove(target: Path, name: str) -> None:
    """Remove the file `name` from `target` (already gone: done before a stop), and
    each folder above it that is left empty."""
    path = target / name
    path.unlink(missing_ok=True)
    for folder in path.parents:
        if folder == target:
            return
        try:
            folder.rmdir()
        except OSError:  # not empty (or already gone)
            if folder.exists():
                return


def _move(source: Path, destination: Path) -> None:
    """Rename `source` over `destination`, making its folder first where there is none
    (most are there: an edit rewrites pages beside others)."""
    try:
        os.replace(source, destination)
    except FileNotFoundError:
        if not source.exists():
            return  # moved before a stop
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, destination)


def _update_files(target: Path, home: Path) -> tuple[Path, Path]:
    """An update's commit folder and its journal, in `home` (`staging_home(target)`)."""
    decided, journal = (home / f".{target.name}.{name}" for name in UPDATE_NAMES)
    return decided, journal
