"""What the database stage offers a build: the downloads made from all of kb/, the
SQLite database with Datasette's metadata, and the JSON export (gzipped).

Each is one file made from the whole knowledge base, so it is kept only when nothing
in kb/ (and nothing in the code) changed. Writing the export anew makes only the
changed topics' share of it again: each topic's is kept in the user's cache folder
(database/export.py).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from evidencekb.cache import DATABASE_VERDICTS, EXPORT_MEMBERS
from evidencekb.database.export import write_export
from evidencekb.database.kept import TopicWork
from evidencekb.database.metadata import write_datasette_metadata
from evidencekb.database.tables import write_database
from evidencekb.hashing import content_key
from evidencekb.paths import DATABASE_NAME, DATASETTE_METADATA_NAME, EXPORT_NAME
from evidencekb.progress import Progress
from evidencekb.reuse import Earlier, Part, Parts

if TYPE_CHECKING:
    from evidencekb.kb.load import LoadedKb

# A rough share of a claim's worth of work each (reuse.Part.cost): the export, made
# anew, takes longer to write than the database; after an earlier build, whose
# topics' shares of it are most likely in the cache, it takes far less.
_EXPORT_SHARE, _DATABASE_SHARE, _CACHED_EXPORT_SHARE = 4, 8, 100


def parts(source: LoadedKb, out: Path, earlier: Earlier, progress: Progress) -> Parts:
    """The JSON export, and the database with its metadata; nothing to finish."""
    key = content_key(earlier.code, earlier.kb_digest)
    claims = len(source.kb.claims)
    export_share = _CACHED_EXPORT_SHARE if EXPORT_NAME in earlier.keys else _EXPORT_SHARE
    export = Part(
        EXPORT_NAME,
        key,
        (EXPORT_NAME,),
        partial(_write_export, source, out, earlier.code),
        cost=claims // export_share + 1,
    )
    database = Part(
        DATABASE_NAME,
        key,
        (DATABASE_NAME, DATASETTE_METADATA_NAME),
        partial(_write_database, source, out, earlier.code, progress),
        cost=claims // _DATABASE_SHARE + 1,
    )
    return Parts((export, database))


def _write_export(source: LoadedKb, out: Path, code: str) -> None:
    """The JSON export, gzipped as a download of data this size is expected to be (a
    tenth of the bytes)."""
    write_export(source.kb, out / EXPORT_NAME, TopicWork.of(EXPORT_MEMBERS, source.kb_dir, code))


def _write_database(source: LoadedKb, out: Path, code: str, progress: Progress) -> None:
    verdicts = TopicWork.of(DATABASE_VERDICTS, source.kb_dir, code)
    write_database(source.kb, out / DATABASE_NAME, progress, verdicts)
    write_datasette_metadata(out / DATABASE_NAME, out / DATASETTE_METADATA_NAME, source.kb)
