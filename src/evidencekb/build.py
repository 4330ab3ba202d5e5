"""`ekb build`: compile kb/ into the site folder, all at once or not at all.

Everything is written into a hidden sibling of the site folder, which replaces
the old one only when every stage has succeeded (the search index is written by a
child process meanwhile, see workers.py): a failed build leaves the
previous site, database and index exactly as they were. A failure to write (a full
disk, a read-only folder) is one `Error:` line naming the site folder and the reason.
A build holds the site folder's writer lock (atomic.writer_lock) while it writes, as
a search that rebuilds the index does, so neither pulls the folder from under the
other.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from evidencekb.atomic import staged_dir, writer_lock
from evidencekb.database import write_database
from evidencekb.database_metadata import write_datasette_metadata
from evidencekb.errors import KBError, failure_reason
from evidencekb.kb import claims_json, load_kb
from evidencekb.model import KnowledgeBase
from evidencekb.paths import DATABASE_NAME, DATASETTE_METADATA_NAME, EXPORT_NAME, INDEX_DIRNAME
from evidencekb.progress import Progress, no_progress
from evidencekb.search import write_index
from evidencekb.search.freshness import Fingerprint, kb_fingerprint
from evidencekb.site import render_site
from evidencekb.workers import run_beside


@dataclass(frozen=True)
class BuildResult:
    site_dir: Path
    topics: int
    claims: int


def build(kb_dir: Path, site_dir: Path, progress: Progress = no_progress) -> BuildResult:
    # Fingerprint before reading: an edit made during the build then makes the
    # index look stale rather than fresh.
    fingerprint = kb_fingerprint(kb_dir)
    kb = load_kb(kb_dir)
    try:
        # One writer of site/ at a time: a search rebuilding the index waits for us.
        with writer_lock(site_dir), staged_dir(site_dir) as out:
            _write_site(kb, out, fingerprint, progress)
    except (OSError, sqlite3.Error) as error:
        # sqlite3 reports a full disk as its own error ("database or disk is full").
        reason = failure_reason(error)
        raise KBError(f"cannot write the site at {site_dir}: {reason}") from None
    return BuildResult(site_dir, len(kb.topics), len(kb.claims))


def _write_site(kb: KnowledgeBase, out: Path, fingerprint: Fingerprint, progress: Progress) -> None:
    # Two cores: the search index (about half of the work) is written by a child
    # process while this one writes the database, the export and the pages.
    run_beside(
        lambda: write_index(kb, out / INDEX_DIRNAME, fingerprint=fingerprint, progress=progress),
        lambda: _write_database_and_pages(kb, out, progress),
    )


def _write_database_and_pages(kb: KnowledgeBase, out: Path, progress: Progress) -> None:
    # The downloads page gives the database's and the export's sizes: they come first.
    write_database(kb, out / DATABASE_NAME, progress)
    write_datasette_metadata(out / DATABASE_NAME, out / DATASETTE_METADATA_NAME, kb)
    (out / EXPORT_NAME).write_text(claims_json(kb.claims), encoding="utf-8")
    render_site(kb, out, progress)
