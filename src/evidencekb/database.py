"""Write the knowledge base as a normalised SQLite database with sqlite-utils.

The database is a download of the site, so it must browse well in Datasette or
any SQLite client: primary and foreign keys, labelled lookup tables, views
that answer the common questions, and FTS5 on claim text.

`references` is an SQL keyword (every query would have to quote it), so the
works a topic cites live in `cited_works`, linked to claims by
`claim_citations`.
"""

from __future__ import annotations

import json
from pathlib import Path

import sqlite_utils

from evidencekb.model import SECTION_TITLES, KnowledgeBase
from evidencekb.progress import Progress, no_progress

VIEWS = {
    "claim_overview": """
select
  claims.id, claims.topic, topics.title as topic_title, claims.section, claims.heading,
  claims.text, strength_levels.title as strength, claims.strength_method,
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
    "cited_work_usage": """
select cited_works.id, cited_works.topic, cited_works.number, cited_works.described,
  count(claim_citations.claim_id) as citing_claims,
  group_concat(claim_citations.claim_id, ', ') as claim_ids
from cited_works left join claim_citations on claim_citations.work_id = cited_works.id
group by cited_works.id order by cited_works.topic, cited_works.number""",
    "entity_mentions": """
select entities.id, entities.label, entities.kind, count(claim_entities.claim_id) as claims
from entities left join claim_entities on claim_entities.entity_id = entities.id
group by entities.id order by claims desc, entities.id""",
}


def write_database(kb: KnowledgeBase, path: Path, progress: Progress = no_progress) -> None:
    """Create the database at `path` (which must not exist yet)."""
    db = sqlite_utils.Database(path)
    try:
        _write(db, kb, progress)
        db.execute("vacuum")
    finally:
        db.close()


def work_id(topic: str, number: int) -> str:
    return f"{topic}-ref-{number}"


def _write(db: sqlite_utils.Database, kb: KnowledgeBase, progress: Progress) -> None:
    progress("database", 0, len(kb.claims))
    db.table("strength_levels").insert_all(
        (
            {
                "label": level.label,
                "rank": level.rank,
                "title": level.title,
                "definition": level.definition,
                "assigned": level.assigned,
            }
            for level in kb.strength.levels
        ),
        pk="label",
    )
    db.table("sections").insert_all(
        ({"id": key, "title": title} for key, title in SECTION_TITLES.items()), pk="id"
    )
    for table, terms in (("categories", kb.categories), ("entities", kb.entities)):
        db.table(table).insert_all(
            (
                {
                    "id": term.id,
                    "label": term.label,
                    **({"kind": term.kind} if table == "entities" else {}),
                    "definition": term.definition,
                    "synonyms": json.dumps(list(term.synonyms)),
                    "abbreviations": json.dumps(list(term.abbreviations)),
                }
                for term in terms
            ),
            pk="id",
        )
    db.table("topics").insert_all(
        (
            {
                "slug": topic.slug,
                "title": topic.title,
                "source": topic.source,
                "citation_style": topic.citation_style,
                "overview": topic.overview_md,
                "claims": len(topic.claims),
            }
            for topic in kb.topics
        ),
        pk="slug",
    )
    db.table("cited_works").insert_all(
        (
            {
                "id": work_id(ref.topic, ref.number),
                "topic": ref.topic,
                "number": ref.number,
                "described": int(ref.is_described),
                "title": ref.title,
                "authors": "; ".join(ref.authors) or None,
                "year": ref.year,
                "journal": ref.journal,
                "doi": ref.doi,
                "pmid": ref.pmid,
                "url": ref.url,
            }
            for topic in kb.topics
            for ref in topic.references
        ),
        pk="id",
        foreign_keys=[("topic", "topics", "slug")],
        columns={"title": str, "authors": str, "year": int, "journal": str, "doi": str,
                 "pmid": str, "url": str},
    )  # fmt: skip
    _write_claims(db, kb, progress)
    for name, sql in VIEWS.items():
        db.create_view(name, sql.strip())
    db.table("claims").enable_fts(["text", "heading"], fts_version="FTS5", tokenize="porter")


def _write_claims(db: sqlite_utils.Database, kb: KnowledgeBase, progress: Progress) -> None:
    claims = db.table("claims")
    claims.create(
        {
            "id": str, "topic": str, "position": int, "section": str, "heading": str,
            "text": str, "strength": str, "strength_method": str, "strength_basis": str,
            "source": str, "source_line": int,
        },
        pk="id",
        foreign_keys=[
            ("topic", "topics", "slug"),
            ("section", "sections", "id"),
            ("strength", "strength_levels", "label"),
        ],
        not_null={"topic", "position", "section", "text", "strength"},
    )  # fmt: skip
    links = {
        "claim_citations": ("work_id", "cited_works"),
        "claim_categories": ("category_id", "categories"),
        "claim_entities": ("entity_id", "entities"),
    }
    for table, (column, target) in links.items():
        db.table(table).create(
            {"claim_id": str, column: str, "position": int},
            pk=("claim_id", column),
            foreign_keys=[("claim_id", "claims", "id"), (column, target, "id")],
        )
    batch = 5000  # keep memory flat on a large knowledge base
    all_claims = kb.claims
    for start in range(0, len(all_claims), batch):
        chunk = all_claims[start : start + batch]
        claims.insert_all(
            {
                "id": c.id,
                "topic": c.topic,
                "position": c.position,
                "section": c.section,
                "heading": c.heading,
                "text": c.text,
                "strength": c.strength,
                "strength_method": c.strength_method,
                "strength_basis": c.strength_basis,
                "source": c.source,
                "source_line": c.source_line,
            }
            for c in chunk
        )
        for table, values in (
            ("claim_citations", lambda c: [work_id(c.topic, n) for n in c.citations]),
            ("claim_categories", lambda c: list(c.categories)),
            ("claim_entities", lambda c: list(c.entities)),
        ):
            column = links[table][0]
            db.table(table).insert_all(
                {"claim_id": c.id, column: value, "position": i}
                for c in chunk
                for i, value in enumerate(values(c), start=1)
            )
        progress("database", start + len(chunk), len(all_claims))
    for column in ("topic", "strength", "section"):
        claims.create_index([column])
    for table, (column, _) in links.items():
        db.table(table).create_index([column])
