"""`ekb build`: compile kb/ into the site folder, all at once or not at all.

kb/ is read once (`read_kb`: the knowledge base, and the fingerprint of the bytes it
was read from). Each stage then offers its parts (`search.index_parts`, `search.parts`,
`database.parts`, `site.parts`: see reuse.Part); the build keeps each part whose
content key the earlier build's manifest has rather than writing it again (reuse.py),
writes the others on every core (workers.py), lets each stage finish (the index's
table of contents, the downloads page) and writes the manifests.

The site folder holds only what the browser reads, so that any static host can
publish it as it is; the Whoosh index, which only `ekb search` reads, is written beside
it (paths.index_dir), with a build manifest of its own. What a build writes goes into
a hidden sibling of each folder first. The index's replaces the old index whole. The
site's, over a site an earlier build wrote, holds only the files written anew: they
are moved in and the files no longer made are removed once every part is there,
decided by one rename and finished by the next build if this one is stopped
(inplace.py); a build that keeps nothing (the first, or `--full`) replaces the site
whole. A failed build leaves the previous site, database and index exactly as they
were. A failure to write (a full disk, a read-only folder) is one `Error:` line
naming the site folder and the reason. A build holds both folders' writer locks
(atomic.writer_lock) while it writes, as a search that rebuilds the index holds the
index's, so neither pulls a folder from under the other."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from evidencekb import database, search, site
from evidencekb.atomic import check_replaceable, staged_dir, staging_dir, writer_lock
from evidencekb.errors import KBError, failure_reason
from evidencekb.inplace import commit, recover
from evidencekb.kb import read_kb
from evidencekb.kb.load import LoadedKb
from evidencekb.paths import BUILD_MANIFEST_NAME, INDEX_META_NAME, index_dir
from evidencekb.progress import Progress, no_progress
from evidencekb.reuse import Earlier, write_manifest
from evidencekb.workers import made_to_last, run_parts

# Each offers its parts of the site, then finishes once every part of every stage is
# there (the site's finish, the downloads page, gives the sizes of the database's
# files). The search index is written beside the site (paths.index_dir).
STAGES = (search.parts, database.parts, site.parts)


def _earlier(folder: Path, digest: str, full: bool, *, in_place: bool = False) -> Earlier:
    return Earlier.nothing(digest) if full else Earlier.read(folder, digest, in_place=in_place)


@dataclass(frozen=True)
class BuildResult:
    """What a build made: from how many topics and claims, and which of its parts
    (reuse.Part, by name) it wrote anew and which it kept from the build before."""

    site_dir: Path
    topics: int
    claims: int
    written: frozenset[str]
    kept: frozenset[str]


def build(
    kb_dir: Path,
    site_dir: Path,
    progress: Progress = no_progress,
    *,
    full: bool = False,
    on_wait: Callable[[str], None] = lambda said: None,
    stop: threading.Event | None = None,
) -> BuildResult:
    """Build the site; keep from the site already there every part whose content key
    is unchanged (see reuse.py), or nothing with `full`. `on_wait` is told, once, when
    the build waits for another writer of the site or the index. Once `stop` is set
    (by another thread), the build raises errors.Cancelled before its next task
    (workers.run_parts), the site and the index as they were."""
    index = index_dir(site_dir)
    check_replaceable(site_dir, BUILD_MANIFEST_NAME)  # never a folder we did not write
    check_replaceable(index, INDEX_META_NAME)
    with ExitStack() as build_scope:
        with made_to_last(build_scope):  # the loaded kb lives as long as the build
            source = read_kb(kb_dir)
        return _build(source, site_dir, index, progress, full=full, on_wait=on_wait, stop=stop)


def _build(
    source: LoadedKb,
    site_dir: Path,
    index: Path,
    progress: Progress,
    *,
    full: bool,
    on_wait: Callable[[str], None],
    stop: threading.Event | None,
) -> BuildResult:
    digest = source.fingerprint.digest
    try:
        # One writer of site/ at a time: a search rebuilding the index waits for us,
        # and the earlier site stays as it is while we keep parts of it. The site is
        # updated before the index: a build stopped between the two leaves an index
        # older than kb/, which the next search or build makes anew.
        with (
            writer_lock(site_dir, lambda: on_wait(f"waiting for another build of {site_dir}…")),
            writer_lock(index, lambda: on_wait(f"waiting for a writer of {index}…")),
            staged_dir(index, marker=INDEX_META_NAME) as index_out,
            staging_dir(site_dir, marker=BUILD_MANIFEST_NAME) as out,
            ExitStack() as parts_scope,
        ):
            recover(site_dir, BUILD_MANIFEST_NAME)  # an update a stopped build decided
            earlier = _earlier(site_dir, digest, full, in_place=True)
            # The stages' parts, by the hundred thousand, live as long as the build too.
            with made_to_last(parts_scope):
                index_stage = search.index_parts(
                    source, index_out, _earlier(index, digest, full), progress
                )
                site_stages = [offer(source, out, earlier, progress) for offer in STAGES]
            stages = [index_stage, *site_stages]
            site_parts = [p for stage in site_stages for p in stage.parts]
            every_part = [*index_stage.parts, *site_parts]
            done = run_parts(every_part, earlier, out, progress, stop)
            for stage in stages:
                stage.finish(done.written)
            read_at = source.fingerprint.stamp_ns
            write_manifest(index_out, index_stage.keys(done.keys), digest, read_at)
            site_keys = {k: v for stage in site_stages for k, v in stage.keys(done.keys).items()}
            write_manifest(out, site_keys, digest, read_at)
            kept_files = earlier.kept(site_parts, done.written)
            commit(out, site_dir, earlier.present, kept_files, BUILD_MANIFEST_NAME)
    except (OSError, sqlite3.Error) as error:
        # sqlite3 reports a full disk as its own error ("database or disk is full").
        reason = failure_reason(error)
        raise KBError(f"cannot write the site at {site_dir}: {reason}") from None
    written = frozenset(done.written)
    kept = frozenset(part.name for part in every_part) - written
    return BuildResult(site_dir, len(source.kb.topics), len(source.kb.claims), written, kept)
