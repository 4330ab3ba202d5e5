"""Write the knowledge base as a normalised SQLite database with sqlite-utils.

The database is a download of the site, so it must browse well in Datasette or
any SQLite client: primary and foreign keys, labelled lookup tables, views
that answer the common questions, and FTS5 on claim text.

`references` is an SQL keyword (every query would have to quote it), so the
works a topic cites live in `cited_works`, linked to claims by
`claim_citations`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any

import sqlite_utils

from evidencekb.cache import DATABASE_VERDICTS
from evidencekb.database.cells import json_list, list_cell
from evidencekb.database.evidence import VERDICT_COLUMNS, add_evidence, verdict_rows
from evidencekb.database.kept import TopicWork
from evidencekb.model import Claim, KnowledgeBase, Reference, Topic
from evidencekb.names import SECTION_TITLES
from evidencekb.progress import Progress, no_progress
from evidencekb.registry import CLAIM_FIELDS, REFERENCE_FIELDS, TOPIC_FIELDS
from evidencekb.verdict import summary_inputs

VIEWS = {
    "claim_overview": """
select
  claims.id, claims.verdict, claims.warning, claims.topic, topics.title as topic_title,
  claims.section, claims.heading, claims.text, strength_levels.title as strength,
  claims.strength_method,
  claims.strength_basis,
  (select group_concat(number, ', ') from (
     select cited_works.number from claim_citations
     join cited_works on cited_works.id = claim_citations.work_id
     where claim_citations.claim_id = claims.id order by claim_citations.position)
  ) as citations,
  (select group_concat(label, '; ') from (
     select categories.label from claim_categories
     join categories on categories.id = claim_categories.category_id
     where claim_categories.claim_id = claims.id order by claim_categories.position)
  ) as categories,
  (select group_concat(label, '; ') from (
     select entities.label from claim_entities
     join entities on entities.id = claim_entities.entity_id
     where claim_entities.claim_id = claims.id order by claim_entities.position)
  ) as entities,
  claims.source, claims.source_line
from claims
join topics on topics.slug = claims.topic
join strength_levels on strength_levels.label = claims.strength
order by claims.topic, claims.position""",
    "strength_by_topic": """
select claims.topic, strength_levels.rank, strength_levels.title as strength,
  claims.strength_method, count(*) as claims
from claims join strength_levels on strength_levels.label = claims.strength
group by claims.topic, strength_levels.rank, claims.strength_method
order by claims.topic, strength_levels.rank, claims.strength_method""",
    # The claims citing a work listed in their topic's order, as the other views list
    # theirs: an ordered subquery, since group_concat over a join follows no order
    # that SQLite promises.
    "cited_work_usage": """
select cited_works.id, cited_works.topic, cited_works.number, cited_works.described,
  (select count(*) from claim_citations
     where claim_citations.work_id = cited_works.id) as citing_claims,
  (select group_concat(claim_id, ', ') from (
     select claim_citations.claim_id from claim_citations
     join claims on claims.id = claim_citations.claim_id
     where claim_citations.work_id = cited_works.id order by claims.position)
  ) as claim_ids
from cited_works order by cited_works.topic, cited_works.number""",
    "entity_mentions": """
select entities.id, entities.label, entities.kind, count(claim_entities.claim_id) as claims
from entities left join claim_entities on claim_entities.entity_id = entities.id
group by entities.id order by claims desc, entities.id""",
}


def write_database(
    kb: KnowledgeBase,
    path: Path,
    progress: Progress = no_progress,
    verdicts: TopicWork | None = None,
) -> None:
    """Create the database at `path` (which must not exist yet); the claims' verdicts
    from `verdicts`, kept between builds (none kept if None)."""
    db = sqlite_utils.Database(path)
    # No rollback journal and no waiting for the disk at each commit: the file is new,
    # and a build writes it in a staging folder that replaces the site only once all
    # is written (atomic.py), so a build that fails or is killed meanwhile loses
    # nothing they would save (and no file of a build is synced to disk). On a large
    # kb, waiting for the disk was most of the write's time.
    # Neither setting is kept in the file: its bytes are the same.
    try:
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        _write(db, kb, progress, verdicts or TopicWork.unkept(DATABASE_VERDICTS))
        db.execute("vacuum")
    finally:
        db.close()


def work_id(topic: str, number: int) -> str:
    return f"{topic}-ref-{number}"


def _write(
    db: sqlite_utils.Database, kb: KnowledgeBase, progress: Progress, verdicts: TopicWork
) -> None:
    """Lookup tables first, then what refers to them, so foreign keys always resolve."""
    progress("database", 0, len(kb.claims))
    _write_strength_levels(db, kb)
    _write_sections(db)
    _write_vocabularies(db, kb)
    _write_topics(db, kb)
    _write_cited_works(db, kb)
    _write_claims(db, kb, progress, verdicts)
    add_evidence(db, kb, work_id)
    _index_foreign_keys(db)
    _write_views(db)
    db.table("claims").enable_fts(["text", "heading"], fts_version="FTS5", tokenize="porter")


def _fill(
    db: sqlite_utils.Database,
    table: str,
    columns: Mapping[str, type],
    rows: Iterable[dict[str, Any]],
    *,
    foreign_keys: Sequence[tuple[str, str, str]] = (),
) -> None:
    """Create `table` (its first column the primary key), then insert `rows`. The
    table is made even with no rows (a kb with no topics yet, or citing no work):
    other tables' foreign keys name it, and a reader expects it."""
    pk = next(iter(columns))
    db.table(table).create(dict(columns), pk=pk, foreign_keys=list(foreign_keys))
    db.table(table).insert_all(rows)


def _write_strength_levels(db: sqlite_utils.Database, kb: KnowledgeBase) -> None:
    columns = {"label": str, "rank": int, "title": str, "definition": str, "assigned": str}
    _fill(db, "strength_levels", columns, (asdict(level) for level in kb.strength.levels))


def _write_sections(db: sqlite_utils.Database) -> None:
    rows = ({"id": key, "title": title} for key, title in SECTION_TITLES.items())
    _fill(db, "sections", {"id": str, "title": str}, rows)


def _write_vocabularies(db: sqlite_utils.Database, kb: KnowledgeBase) -> None:
    """The categories and entities tables; only entities have a kind."""
    for table, terms in (("categories", kb.categories), ("entities", kb.entities)):
        kind = {"kind": str} if table == "entities" else {}
        columns = {
            "id": str, "label": str, **kind, "definition": str, "synonyms": str,
            "abbreviations": str, "broader": str,
        }  # fmt: skip
        rows = (
            {
                "id": term.id,
                "label": term.label,
                **({"kind": term.kind} if kind else {}),
                "definition": term.definition,
                "synonyms": json_list(term.synonyms),
                "abbreviations": json_list(term.abbreviations),
                "broader": json_list(term.broader),
            }
            for term in terms
        )
        _fill(db, table, columns, rows)


def _write_topics(db: sqlite_utils.Database, kb: KnowledgeBase) -> None:
    """The topics: each field of topic.toml (registry.TOPIC_FIELDS; how current it is,
    its review and search dates, among them), its overview and how many claims it has;
    and its change log, newest first as topic.toml keeps it."""
    columns = {
        "slug": str, **{f.name: str for f in TOPIC_FIELDS}, "overview": str, "claims": int,
    }  # fmt: skip
    rows = (
        {
            "slug": topic.slug,
            **{f.name: getattr(topic, f.name) for f in TOPIC_FIELDS},
            "overview": topic.overview_md,
            "claims": len(topic.claims),
        }
        for topic in kb.topics
    )
    _fill(db, "topics", columns, rows)
    logged = {
        "topic": str, "position": int, "date": str, "summary": str, "conclusions_changed": int,
    }  # fmt: skip
    db.table("topic_changes").create(
        logged,
        pk=("topic", "position"),
        foreign_keys=[("topic", "topics", "slug")],
    )
    changes = (
        (topic.slug, position, change.date, change.summary, int(change.conclusions_changed))
        for topic in kb.topics
        for position, change in enumerate(topic.changes, start=1)
    )
    _insert_rows(db, "topic_changes", tuple(logged), changes)


# The claims table: the claim's id, what the loader adds (its topic, place and source
# file), then every other field of claims.toml that holds one value (registry.CLAIM_FIELDS).
CLAIM_COLUMNS = tuple(f for f in CLAIM_FIELDS if f.is_column and f.name != "id")
# A reference field's column type; a list is one text, its items separated by "; ".
_COLUMN_TYPES: dict[str, type] = {"int": int}


def _write_cited_works(db: sqlite_utils.Database, kb: KnowledgeBase) -> None:
    columns: dict[str, type] = {"id": str, "topic": str, "number": int, "described": int}
    columns |= {f.name: _COLUMN_TYPES.get(f.kind, str) for f in REFERENCE_FIELDS}
    db.table("cited_works").create(columns, pk="id", foreign_keys=[("topic", "topics", "slug")])
    references = (ref for topic in kb.topics for ref in topic.references)
    rows = (_cited_work_row(ref) for ref in references)
    _insert_rows(db, "cited_works", tuple(columns), rows)


def _cited_work_row(ref: Reference) -> tuple[Any, ...]:
    """A reference's row: its id, topic, number, whether it is described, then each of
    its fields (registry.REFERENCE_FIELDS), a list as `list_cell`."""
    record = ref.record()
    values = (record[f.name] for f in REFERENCE_FIELDS)
    cells = (
        list_cell(f, value) if isinstance(value, tuple) else value
        for f, value in zip(REFERENCE_FIELDS, values, strict=True)
    )
    return (work_id(ref.topic, ref.number), ref.topic, ref.number, int(ref.is_described), *cells)


# The tables linking a claim to what it lists, in its order: (column, table it refers to).
CLAIM_LINKS = {
    "claim_citations": ("work_id", "cited_works"),
    "claim_categories": ("category_id", "categories"),
    "claim_entities": ("entity_id", "entities"),
}
# Every other list field of claims.toml: a table of its values (ClaimField.table).
CLAIM_LISTS = tuple(f for f in CLAIM_FIELDS if f.is_list and f.table not in CLAIM_LINKS)
LIST_COLUMNS = ("claim_id", "position", "value")
CLAIM_BATCH = 5000  # claims inserted at a time: memory stays flat on a large kb


def _write_claims(
    db: sqlite_utils.Database, kb: KnowledgeBase, progress: Progress, verdicts: TopicWork
) -> None:
    _create_claim_tables(db)
    all_claims = kb.claims
    summary = repr(summary_inputs(kb))
    found = [row for topic in kb.topics for row in _verdicts(kb, topic, summary, verdicts)]
    for start in range(0, len(all_claims), CLAIM_BATCH):
        chunk = all_claims[start : start + CLAIM_BATCH]
        _insert_claims(db, chunk, found[start : start + CLAIM_BATCH])
        progress("database", start + len(chunk), len(all_claims))
    for column in ("topic", "strength", "section"):
        db.table("claims").create_index([column])
    for table, (column, _) in CLAIM_LINKS.items():
        db.table(table).create_index([column])
    for field in CLAIM_LISTS:
        db.table(field.table).create_index(["value"])


def _verdicts(
    kb: KnowledgeBase, topic: Topic, summary: str, verdicts: TopicWork
) -> list[tuple[str, int]]:
    """The topic's claims' verdict rows, kept in `verdicts` or worked out."""

    def fits(kept: object) -> bool:
        return isinstance(kept, list) and len(kept) == len(topic.claims)

    return verdicts.made(topic, summary, partial(verdict_rows, kb, topic), fits)


def _create_claim_tables(db: sqlite_utils.Database) -> None:
    db.table("claims").create(
        {
            # What its cited works found before what it says: a table browsed column by
            # column never shows a contradicted claim's words first.
            "id": str, **VERDICT_COLUMNS, "topic": str, "position": int, "source": str,
            **{f.name: _COLUMN_TYPES.get(f.kind, str) for f in CLAIM_COLUMNS},
        },
        pk="id",
        foreign_keys=[
            ("topic", "topics", "slug"),
            ("section", "sections", "id"),
            ("strength", "strength_levels", "label"),
        ],
        not_null={"topic", "position", "section", "text", "strength", *VERDICT_COLUMNS},
    )  # fmt: skip
    for table, (column, target) in CLAIM_LINKS.items():
        db.table(table).create(
            {"claim_id": str, column: str, "position": int},
            pk=("claim_id", column),
            foreign_keys=[("claim_id", "claims", "id"), (column, target, "id")],
        )
    for field in CLAIM_LISTS:  # values of no table of their own: no key but the claim
        db.table(field.table).create(
            {"claim_id": str, "position": int, "value": int if field.kind == "ints" else str},
            pk=("claim_id", "position"),
            foreign_keys=[("claim_id", "claims", "id")],
        )


def _insert_claims(
    db: sqlite_utils.Database, chunk: tuple[Claim, ...], verdicts: list[tuple[str, int]]
) -> None:
    """The claims' rows, each with its verdict, and their link rows, positions counted
    from 1."""
    fields = [f.name for f in CLAIM_COLUMNS]
    columns = ("id", *VERDICT_COLUMNS, "topic", "position", "source", *fields)
    rows = (
        (c.id, *verdict, c.topic, c.position, c.source, *(getattr(c, name) for name in fields))
        for c, verdict in zip(chunk, verdicts, strict=True)
    )
    _insert_rows(db, "claims", columns, rows)
    listed: dict[str, Callable[[Claim], list[str]]] = {
        "claim_citations": lambda c: [work_id(c.topic, n) for n in c.citations],
        "claim_categories": lambda c: list(c.categories),
        "claim_entities": lambda c: list(c.entities),
    }
    for table, values in listed.items():
        column = CLAIM_LINKS[table][0]
        links = ((c.id, value, i) for c in chunk for i, value in enumerate(values(c), start=1))
        _insert_rows(db, table, ("claim_id", column, "position"), links)
    for field in CLAIM_LISTS:
        found = ((c.id, getattr(c, field.name)) for c in chunk)
        rows = ((i, n, value) for i, values in found for n, value in enumerate(values, start=1))
        _insert_rows(db, field.table, LIST_COLUMNS, rows)


def _insert_rows(
    db: sqlite_utils.Database, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]
) -> None:
    """Insert `rows`, each its values in the order of `columns`, into `table`, which was
    created with those columns and their types. The driver's `executemany` rather than
    sqlite-utils' `insert_all`: what that adds, a type check and a JSON conversion for
    every value, these columns of single values never need, and on a large kb it was
    most of the database's time. A value of any other type is refused by the driver,
    never stored as something else."""
    names = ", ".join(f"[{name}]" for name in columns)
    marks = ", ".join("?" for _ in columns)
    with db.conn:
        db.conn.executemany(f"INSERT INTO [{table}] ({names}) VALUES ({marks})", rows)


def _index_foreign_keys(db: sqlite_utils.Database) -> None:
    """Index each foreign key column that no index (a primary key's included) leads
    with, whatever table declared it: a row's page in Datasette counts the rows of
    every table that refer to it, and a view joins by them (contested_claims reads
    claim_relations by other_id), each a whole-table scan without one."""
    for table in db.tables:
        leading = {index.columns[0] for index in table.indexes}
        wanted = dict.fromkeys(key.column for key in table.foreign_keys)
        for column in wanted:
            if column is not None and column not in leading:
                table.create_index([column])


def _write_views(db: sqlite_utils.Database) -> None:
    for name, sql in VIEWS.items():
        db.create_view(name, sql.strip())
