"""`ekb build`: compile kb/ into the site folder, all at once or not at all.

Everything is written into a hidden sibling of the site folder, which replaces
the old one only when every stage has succeeded (on two cores: a forked child
process takes its share of the parts, see workers.py): a failed build leaves the
previous site, database and index exactly as they were. A failure to write (a full
disk, a read-only folder) is one `Error:` line naming the site folder and the reason.
Parts of the earlier site whose inputs did not change are hard-linked into the
staging folder rather than written again (reuse.py): same bytes, less work.
A build holds the site folder's writer lock (atomic.writer_lock) while it writes, as
a search that rebuilds the index does, so neither pulls the folder from under the
other.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from evidencekb.atomic import check_replaceable, staged_dir, writer_lock
from evidencekb.database import write_database, write_datasette_metadata
from evidencekb.errors import KBError, failure_reason
from evidencekb.kb import claims_json, load_kb
from evidencekb.kb.fingerprint import Fingerprint, kb_fingerprint
from evidencekb.model import KnowledgeBase
from evidencekb.paths import (
    BUILD_MANIFEST_NAME,
    DATABASE_NAME,
    DATASETTE_METADATA_NAME,
    EXPORT_NAME,
    INDEX_DIRNAME,
)
from evidencekb.progress import Progress, no_progress
from evidencekb.reuse import Earlier, content_key, write_manifest
from evidencekb.search.segments import write_segment
from evidencekb.search.writer import finish_index, start_index
from evidencekb.site import keep_or_write_search_data, render_downloads, render_pages
from evidencekb.workers import run_shared


@dataclass(frozen=True)
class BuildResult:
    site_dir: Path
    topics: int
    claims: int


def build(
    kb_dir: Path, site_dir: Path, progress: Progress = no_progress, *, full: bool = False
) -> BuildResult:
    """Build the site; keep from the site already there every part whose content key
    is unchanged (see reuse.py), or nothing with `full`."""
    # Fingerprint before reading: an edit made during the build then makes the
    # index look stale rather than fresh.
    check_replaceable(site_dir, BUILD_MANIFEST_NAME)  # never a folder we did not write
    fingerprint = kb_fingerprint(kb_dir)
    kb = load_kb(kb_dir)
    try:
        # One writer of site/ at a time: a search rebuilding the index waits for us,
        # and the earlier site stays as it is while we link from it.
        with writer_lock(site_dir), staged_dir(site_dir, marker=BUILD_MANIFEST_NAME) as out:
            earlier = (
                Earlier.nothing(fingerprint.digest)
                if full
                else Earlier.read(site_dir, fingerprint.digest)
            )
            _write_site(kb, kb_dir, out, fingerprint, earlier, progress)
    except (OSError, sqlite3.Error) as error:
        # sqlite3 reports a full disk as its own error ("database or disk is full").
        reason = failure_reason(error)
        raise KBError(f"cannot write the site at {site_dir}: {reason}") from None
    return BuildResult(site_dir, len(kb.topics), len(kb.claims))


def _write_site(
    kb: KnowledgeBase,
    kb_dir: Path,
    out: Path,
    fingerprint: Fingerprint,
    earlier: Earlier,
    progress: Progress,
) -> None:
    # Two cores share the parts (workers.py), each process taking the next. The two
    # parts that are one task each, the pages and the search data, go first; then the
    # index segments to be written, largest first, which even out the two processes'
    # ends; the export and the database (a few seconds each, the larger first) last.
    index = start_index(kb, out / INDEX_DIRNAME, earlier)
    to_write = index.to_write
    largest_first = sorted(range(len(to_write)), key=lambda n: -to_write[n].claims)
    tasks: list[Callable[[], Mapping[str, Any]]] = [
        lambda: render_pages(kb, out, progress, earlier),
        lambda: keep_or_write_search_data(kb, out, earlier, kb_dir),
        *(partial(write_segment, kb, index, n, progress) for n in largest_first),
        lambda: _whole_kb_part(
            earlier, out, [EXPORT_NAME],
            lambda: (out / EXPORT_NAME).write_text(claims_json(kb.claims), encoding="utf-8"),
        ),
        lambda: _whole_kb_part(
            earlier, out, [DATABASE_NAME, DATASETTE_METADATA_NAME],
            partial(_write_database, kb, out, progress),
        ),
    ]  # fmt: skip
    pages_keys, data_keys, *lengths, export_keys, database_keys = run_shared(tasks)
    written = {to_write[n].key: found for n, found in zip(largest_first, lengths, strict=True)}
    finish_index(kb, index, written, fingerprint)
    render_downloads(kb, out)  # it gives the database's and the export's sizes
    parts = {**index.keys(), **data_keys, **pages_keys, **database_keys, **export_keys}
    write_manifest(out, parts)


def _whole_kb_part(
    earlier: Earlier, out: Path, files: list[str], write: Callable[[], object]
) -> dict[str, str]:
    """A part made from all of kb/ (the database, the export), named after its first
    file: kept only when nothing in kb/ changed, else written by `write`."""
    key = content_key(earlier.code, earlier.kb_digest)
    if not earlier.keep(files[0], key, files, out):
        write()
    return {files[0]: key}


def _write_database(kb: KnowledgeBase, out: Path, progress: Progress) -> None:
    write_database(kb, out / DATABASE_NAME, progress)
    write_datasette_metadata(out / DATABASE_NAME, out / DATASETTE_METADATA_NAME, kb)
