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
from pathlib import Path
from typing import TYPE_CHECKING

from evidencekb.errors import KBError, failure_reason
from evidencekb.kb.fingerprint import Fingerprint, kb_fingerprint
from evidencekb.paths import INDEX_META_NAME
from evidencekb.progress import Progress, no_progress
from evidencekb.search.index import index_meta, is_fresh, read_meta

if TYPE_CHECKING:
    from evidencekb.model import KnowledgeBase
    from evidencekb.reuse import Earlier
    from evidencekb.search.segments import FieldLengths, SegmentPlan

# Modules only writing needs are imported where they are used: `ekb search`
# starts faster without them.


def write_index(
    kb: KnowledgeBase,
    index_dir: Path,
    *,
    fingerprint: Fingerprint,
    progress: Progress = no_progress,
    earlier: Earlier | None = None,
) -> dict[str, str]:
    """Write the whole index of `kb` into `index_dir`: a new folder, or an empty one.
    Return the content key of each segment (see search/segments.py).

    Call `kb_fingerprint(kb_dir)` before reading kb/: the stamp then records
    when kb/ was read, so an edit made during the build is still noticed.
    `earlier`: the build before, whose segments are kept where their key is the same.
    (`ekb build` does the same in three steps, sharing the segments between two cores.)
    """
    from evidencekb.reuse import Earlier
    from evidencekb.search.segments import write_segment

    plan = start_index(kb, index_dir, earlier or Earlier.nothing(""))
    written = {
        segment.key: write_segment(kb, plan, number, progress)
        for number, segment in enumerate(plan.to_write)
    }
    finish_index(kb, plan, written, fingerprint)
    return plan.keys()


def start_index(kb: KnowledgeBase, index_dir: Path, earlier: Earlier) -> SegmentPlan:
    """Plan the index of `kb` in `index_dir` (made now; it must be new or empty),
    linking the earlier build's segments that can be kept; the rest are for
    `segments.write_segment`."""
    from evidencekb.search.segments import plan_segments

    index_dir.mkdir(exist_ok=True)
    if any(index_dir.iterdir()):
        raise FileExistsError(errno.EEXIST, "not an empty folder", str(index_dir))
    return plan_segments(kb, index_dir, earlier)


def finish_index(
    kb: KnowledgeBase,
    plan: SegmentPlan,
    written: Mapping[str, FieldLengths],
    fingerprint: Fingerprint,
) -> None:
    """Once every segment of `plan` is there: the table of contents, then the metadata
    with the fingerprint, stamped with the time kb/ was read."""
    from evidencekb.search.segments import write_table_of_contents

    write_table_of_contents(plan, written)
    meta = index_meta(kb, fingerprint.digest)
    meta_path = plan.index_dir / INDEX_META_NAME
    meta_path.write_text(json.dumps(meta, ensure_ascii=False, sort_keys=True) + "\n", "utf-8")
    stamp = fingerprint.stamp_ns
    os.utime(meta_path, ns=(stamp, stamp))


def ensure_fresh_index(
    kb_dir: Path,
    index_dir: Path,
    *,
    notify: Callable[[str], None],
    progress: Progress = no_progress,
) -> None:
    """Rebuild the index from kb/ if it is missing or older than kb/.

    The rebuild holds the site folder's writer lock, as `ekb build` does: a build
    running meanwhile is waited for (and has often made the index fresh), never
    swapped out from under the rebuild.
    """
    if not kb_dir.is_dir():
        raise KBError(f"no knowledge base folder at {kb_dir} (use --kb DIR)")
    if is_fresh(kb_dir, index_dir):
        return
    # Imported only to rebuild: a search of a fresh index starts faster without it.
    from evidencekb.atomic import writer_lock

    site_dir = index_dir.parent
    try:
        with writer_lock(site_dir, on_wait=lambda: notify(f"waiting for a build of {site_dir}…")):
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
    """Build a new index beside `index_dir` and swap it in atomically.

    Searches running meanwhile keep reading the old index; none ever sees a
    half-written one. Callers other than ensure_fresh_index hold the writer lock.
    """
    from evidencekb.atomic import staged_dir
    from evidencekb.kb.load import load_kb  # only this rare path needs the loader

    fingerprint = kb_fingerprint(kb_dir)
    kb = load_kb(kb_dir)
    with staged_dir(index_dir, marker=INDEX_META_NAME) as staged:
        write_index(kb, staged, fingerprint=fingerprint, progress=progress)
