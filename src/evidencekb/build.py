"""`ekb build`: compile kb/ into the site folder, all at once or not at all.

kb/ is read once (`read_kb`: the knowledge base, and the fingerprint of the bytes it
was read from). Each stage then offers its parts (`search.index_parts`, `search.parts`,
`database.parts`, `site.parts`: see reuse.Part); the build keeps each part whose
content key the earlier build's manifest has rather than writing it again (reuse.py),
writes the others on every core (workers.py), lets each stage finish (the index's
table of contents, the downloads page) and writes the manifests. `ekb serve` has the
site's pages written and the site updated first, then the rest of the site and the
index (`on_site`).

The site folder holds only what the browser reads, so that any static host can
publish it as it is; the Whoosh index, which only `ekb search` reads, is written beside
it (paths.index_dir), with a build manifest of its own. What a build writes goes into
a hidden sibling of each folder first. The index's replaces the old index whole. The
site's, over a site an earlier build wrote, holds only the files written anew: they
are moved in and the files no longer made are removed once every part is there,
decided by one rename and finished by the next build if this one is stopped
(inplace.py); a build that keeps nothing (the first, or `--full`) replaces the site
whole. A failed build leaves the previous site, database and index exactly as they
were (one that failed after `on_site` was told: the new pages, and the rest of the
site as it was or updated, and the previous index). A failure to
write (a full disk, a read-only folder) is one `Error:` line naming the site folder
and the reason. A build holds both folders' writer locks (atomic.writer_lock) while
it writes, as a search that rebuilds the index holds the index's, so neither pulls a
folder from under the other."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from evidencekb import database, search, site
from evidencekb.atomic import check_replaceable, staged_dir, staging_dir, writer_lock
from evidencekb.errors import KBError, failure_reason
from evidencekb.inplace import commit, files_in, recover
from evidencekb.kb import read_kb
from evidencekb.kb.checked import RememberedTopics
from evidencekb.kb.load import LoadedKb
from evidencekb.paths import BUILD_MANIFEST_NAME, INDEX_MARKERS, index_dir
from evidencekb.progress import Progress, no_progress
from evidencekb.reuse import Done, Earlier, Part, Parts, write_manifest
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
    on_site: Callable[[BuildResult], None] | None = None,
    remembered: RememberedTopics | None = None,
) -> BuildResult:
    """Build the site; keep from the site already there every part whose content key
    is unchanged (see reuse.py), or nothing with `full`. `on_wait` is told, once, when
    the build waits for another writer of the site or the index. Once `stop` is set
    (by another thread), the build raises errors.Cancelled before its next part
    (workers.run_parts) or, while it reads kb/, its next topic, the site and the
    index as they were.

    With `on_site`, the pages come first: they are written on every core, the site is
    updated with them and `on_site` is told what was made of them; then the rest of
    the site (search data, database, export) and the index's parts, and the site is
    updated again (`ekb serve`: a reader waits for the page, not the downloads or the
    index that only `ekb search` reads; `_pages_first`). The same site and index come
    out.
    Stopped or failed after `on_site`, it leaves the new pages (with the rest of the
    site as it was, under a manifest of no kb/, or updated) and the old index.

    `remembered`: the topics an earlier build in this process read (`ekb serve`
    builds after every save), taken again where their files did not change."""
    index = index_dir(site_dir)
    check_replaceable(site_dir, BUILD_MANIFEST_NAME)  # never a folder we did not write
    check_replaceable(index, INDEX_MARKERS)
    with ExitStack() as build_scope:
        with made_to_last(build_scope):  # the loaded kb lives as long as the build
            source = read_kb(kb_dir, remembered, stop)
        steps = _Steps(progress, on_wait, stop, on_site)
        return _build(source, site_dir, index, steps, full=full)


@dataclass(frozen=True)
class _Steps:
    """How a build reports and is steered (see `build`)."""

    progress: Progress
    on_wait: Callable[[str], None]
    stop: threading.Event | None
    on_site: Callable[[BuildResult], None] | None


def _build(
    source: LoadedKb, site_dir: Path, index: Path, steps: _Steps, *, full: bool
) -> BuildResult:
    digest = source.fingerprint.digest
    try:
        # One writer of site/ at a time: a search rebuilding the index waits for us,
        # and the earlier site stays as it is while we keep parts of it. The site is
        # updated before the index: a build stopped between the two leaves an index
        # older than kb/, which the next search or build makes anew.
        with (
            writer_lock(
                site_dir, lambda: steps.on_wait(f"waiting for another build of {site_dir}…")
            ),
            writer_lock(index, lambda: steps.on_wait(f"waiting for a writer of {index}…")),
            staged_dir(index, marker=INDEX_MARKERS) as index_out,
            staging_dir(site_dir, marker=BUILD_MANIFEST_NAME) as out,
            ExitStack() as parts_scope,
        ):
            recover(site_dir, BUILD_MANIFEST_NAME)  # an update a stopped build decided
            earlier = _earlier(site_dir, digest, full, in_place=True)
            # The stages' parts, by the hundred thousand, live as long as the build too.
            with made_to_last(parts_scope):
                index_stage = search.index_parts(
                    source, index_out, _earlier(index, digest, full), steps.progress
                )
                site_stages = [offer(source, out, earlier, steps.progress) for offer in STAGES]
            site_parts = _parts(site_stages)
            run = partial(
                run_parts, earlier=earlier, out=out, progress=steps.progress, stop=steps.stop
            )
            finish_index = partial(_finish, [index_stage], index_out, source)
            update_site = partial(_update_site, site_stages, out, source, site_dir, earlier)
            if steps.on_site is None:  # every part at once: the soonest the build ends
                site_done = index_done = run([*index_stage.parts, *site_parts])
                finish_index(index_done)
                update_site(site_done)
            else:  # the site's pages first, then the rest of it beside the index
                told, also = steps.on_site, list(index_stage.parts)
                site_done = index_done = _pages_first(
                    run, site_stages, out, source, site_dir, earlier, told, also
                )
                finish_index(index_done)
    except (OSError, sqlite3.Error) as error:
        # sqlite3 reports a full disk as its own error ("database or disk is full").
        reason = failure_reason(error)
        raise KBError(f"cannot write the site at {site_dir}: {reason}") from None
    every_part = [*index_stage.parts, *site_parts]
    return _result(source, site_dir, every_part, Done.merged([site_done, index_done]))


def _finish(stages: list[Parts], folder: Path, source: LoadedKb, done: Done) -> None:
    """Let each stage finish once its parts are written or kept, then write the
    folder's build manifest: every part's content key, and what kb/ was read as."""
    for stage in stages:
        stage.finish(done.written)
    keys = {k: v for stage in stages for k, v in stage.keys(done.keys).items()}
    write_manifest(folder, keys, source.fingerprint.digest, source.fingerprint.stamp_ns)


def _update_site(
    stages: list[Parts], out: Path, source: LoadedKb, site_dir: Path, earlier: Earlier, done: Done
) -> None:
    """Finish the site's stages in the staging folder `out`, then update the site from
    it (inplace.commit): the files written anew moved in, those no longer made removed."""
    _finish(stages, out, source, done)
    kept = earlier.kept(_parts(stages), done.written)
    commit(out, site_dir, earlier.present, kept, BUILD_MANIFEST_NAME)


def _pages_first(
    run: Callable[[list[Part]], Done],
    stages: list[Parts],
    out: Path,
    source: LoadedKb,
    site_dir: Path,
    earlier: Earlier,
    told: Callable[[BuildResult], None],
    also: list[Part],
) -> Done:
    """Update the site in two steps for `ekb serve`, the pages its open tabs reload
    first: the pages are written and the site updated, the search data, the database
    and the export held as they were (the manifest gives their earlier keys, and no
    kb/ it was built from, so that nothing takes the site for current); `told` is
    told; then the rest is written, with the parts `also` (the index's) beside it, and
    the site updated again, as one update of every part would leave it. A site with
    none of the rest yet (a first build) is updated once, `also` written after."""
    *rest, pages = stages
    held = {
        part.name: earlier.keys[part.name] for part in _parts(rest) if part.name in earlier.keys
    }
    every = _parts(stages)
    if earlier.present is None or not held:
        done = run(every)
        _update_site(stages, out, source, site_dir, earlier, done)
        told(_result(source, site_dir, every, done))
        return Done.merged([done, run(also)])
    pages_done = run(list(pages.parts))
    # The pages' stage finishes with the rest (its finish, the downloads page, gives
    # the sizes of the files the rest writes): the page it wrote before stays till then.
    write_manifest(out, pages.keys(pages_done.keys) | held, "", source.fingerprint.stamp_ns)
    first = files_in(out)
    # Nothing is removed yet: what no part makes now goes with the second update.
    commit(out, site_dir, earlier.present, earlier.present - first, BUILD_MANIFEST_NAME)
    told(_result(source, site_dir, list(pages.parts), pages_done))
    out.mkdir()  # the staging folder again: the rest's parts were offered to write in it
    rest_done = run([*_parts(rest), *also])
    done = Done.merged([pages_done, rest_done])
    _finish(stages, out, source, done)
    # Kept: what the first update put in, and the files of every part neither wrote.
    kept = (first | frozenset(earlier.kept(every, done.written))) - files_in(out)
    commit(out, site_dir, files_in(site_dir), kept, BUILD_MANIFEST_NAME)
    return done


def _parts(stages: Iterable[Parts]) -> list[Part]:
    """Every part the stages offer, in their order."""
    return [part for stage in stages for part in stage.parts]


def _result(source: LoadedKb, site_dir: Path, parts: list[Part], done: Done) -> BuildResult:
    written = frozenset(done.written)
    kept = frozenset(part.name for part in parts) - written
    return BuildResult(site_dir, len(source.kb.topics), len(source.kb.claims), written, kept)
