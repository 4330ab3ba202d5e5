"""Writing the search index: whole (`write_index`), or in three steps for `ekb build`,
which shares the segments out among its workers; and the rebuild a search makes of a
stale index (`ensure_fresh_index`).

What the index holds is index.py's; each segment is written by segments.py.
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, cast

from evidencekb.errors import KBError, failure_reason
from evidencekb.kb.fingerprint import Fingerprint
from evidencekb.paths import INDEX_MARKERS, INDEX_META_NAME
from evidencekb.progress import Progress, no_progress
from evidencekb.search.index import index_meta, is_fresh, read_meta

if TYPE_CHECKING:
    from evidencekb.cache import TopicEntries
    from evidencekb.model import KnowledgeBase
    from evidencekb.reuse import Earlier, Parts
    from evidencekb.search.segments import PlannedSegment
    from evidencekb.search.whooshext import FieldLengths

# Modules only writing needs are imported where they are used: `ekb search`
# starts faster without them.


def write_index(
    kb: KnowledgeBase,
    index_dir: Path,
    *,
    fingerprint: Fingerprint,
    progress: Progress = no_progress,
    earlier: Earlier | None = None,
    kept: TopicEntries | None = None,
) -> dict[str, str]:
    """Write the whole index of `kb` into `index_dir`: a new folder, or an empty one.
    Return the content key of each segment (see search/segments.py).

    `fingerprint`: of the kb/ that `kb` was read from, taken as it was read (see
    kb/load.py's `read_kb`), so that an edit made during the build is still noticed.
    `earlier`: the index before (read from its folder's build manifest, which this
    writes too), whose segments are kept where their key is the same. `kept`: the
    topics' analysed claims an earlier run kept (segments.kept_documents), for a kb
    read from a folder. (`ekb build` runs the same parts, `index_parts`, among all
    the others.)
    """
    from evidencekb.reuse import Earlier, write_manifest

    earlier = earlier or Earlier.nothing("")
    index = index_parts(kb, index_dir, earlier, fingerprint, kept, progress)
    done = earlier.keep_or_write(index.parts, index_dir)
    index.finish(done.written)
    keys = index.keys(done.keys)
    write_manifest(index_dir, keys, fingerprint.digest, fingerprint.stamp_ns)
    return keys


def index_parts(
    kb: KnowledgeBase,
    index_dir: Path,
    earlier: Earlier,
    fingerprint: Fingerprint,
    kept: TopicEntries | None,
    progress: Progress = no_progress,
) -> Parts:
    """The index of `kb` in `index_dir` (made now; it must be new or empty) as parts of a
    build, one a segment, their files named relative to `index_dir`, kept from the
    index folder `earlier` read, each written from its topics' claims analysed as
    `kept` holds them (see `write_index`); once they are all there, its finish writes
    the table of contents, then the metadata with the fingerprint, stamped with the
    time kb/ was read."""
    from evidencekb.reuse import Part, Parts, Place
    from evidencekb.search.segments import plan_segments, write_table_of_contents

    index_dir.mkdir(exist_ok=True)
    if any(index_dir.iterdir()):
        raise FileExistsError(errno.EEXIST, "not an empty folder", str(index_dir))
    planned = plan_segments(kb, index_dir, earlier)
    segment_parts = tuple(
        Part(
            segment.part,
            segment.key,
            # Kept only with the field lengths the table of contents lists it with.
            segment.earlier_files if segment.earlier_lengths is not None else (),
            partial(_write_segment, kb, index_dir, segment, kept, (number, len(planned)), progress),
            cost=segment.claims,
            place=Place(earlier, index_dir),
        )
        for number, segment in enumerate(planned, start=1)
    )

    def finish(written: Mapping[str, object]) -> None:
        lengths = {
            segment.key: cast("FieldLengths", written.get(segment.part, segment.earlier_lengths))
            for segment in planned
        }
        write_table_of_contents(index_dir, planned, lengths)
        meta = index_meta(kb, fingerprint.digest)
        meta_path = index_dir / INDEX_META_NAME
        text = json.dumps(meta, ensure_ascii=False, sort_keys=True) + "\n"
        meta_path.write_text(text, "utf-8")
        stamp = fingerprint.stamp_ns
        os.utime(meta_path, ns=(stamp, stamp))

    return Parts(segment_parts, finish)


def _write_segment(
    kb: KnowledgeBase,
    index_dir: Path,
    segment: PlannedSegment,
    kept: TopicEntries | None,
    place: tuple[int, int],
    progress: Progress,
) -> FieldLengths:
    from evidencekb.search.segments import write_segment

    lengths = write_segment(kb, index_dir, segment, kept)
    progress("search index", *place)
    return lengths


def ensure_fresh_index(
    kb_dir: Path,
    index_dir: Path,
    *,
    notify: Callable[[str], None],
    progress: Progress = no_progress,
) -> None:
    """Rebuild the index from kb/ if it is missing or older than kb/.

    The rebuild holds the index folder's writer lock, as `ekb build` does: a build
    running meanwhile is waited for (and has often made the index fresh), never
    swapped out from under the rebuild.
    """
    if not kb_dir.is_dir():
        raise KBError(f"no knowledge base folder at {kb_dir} (use --kb DIR)")
    if is_fresh(kb_dir, index_dir):
        return
    # Imported only to rebuild: a search of a fresh index starts faster without it.
    from evidencekb.atomic import writer_lock

    try:
        with writer_lock(index_dir, on_wait=lambda: notify(f"waiting for a build of {index_dir}…")):
            if is_fresh(kb_dir, index_dir):
                return
            if read_meta(index_dir) is None:
                notify(f"no search index at {index_dir}; building it…")
            else:
                notify("kb/ changed since the last build; rebuilding the search index…")
            rebuild_index(kb_dir, index_dir, progress=progress)
    except OSError as error:
        reason = failure_reason(error)
        raise KBError(f"cannot write the search index at {index_dir}: {reason}") from None


def rebuild_index(kb_dir: Path, index_dir: Path, *, progress: Progress = no_progress) -> None:
    """Build a new index beside `index_dir` and swap it in atomically, keeping each
    segment of the old one that nothing changed (an edit rewrites one segment).

    Searches running meanwhile keep reading the old index; none ever sees a
    half-written one. Callers other than ensure_fresh_index hold the writer lock.
    """
    from evidencekb.atomic import staged_dir
    from evidencekb.kb.load import read_kb  # only this rare path needs the loader
    from evidencekb.reuse import Earlier
    from evidencekb.search.segments import kept_documents

    source = read_kb(kb_dir)
    earlier = Earlier.read(index_dir, source.fingerprint.digest)
    with staged_dir(index_dir, marker=INDEX_MARKERS) as staged:
        write_index(
            source.kb,
            staged,
            fingerprint=source.fingerprint,
            progress=progress,
            earlier=earlier,
            kept=kept_documents(kb_dir),
        )
