"""Evidence per citation in the SQLite database (written by tables.py after the claims).

- `stances` and `relation_kinds`: kb/stance.toml's vocabularies, with definitions;
- `claim_citations.stance`: each claim-work link's stance ("not-stated" unless recorded);
- `cited_work_sentences`: each cited work's recorded text, a sentence a row;
- `citation_quotes`: the quotations, by link, in order, with their sentence number;
- `claim_relations`: the curated claim-to-claim relations;
- `claims.contested`: 1 when the claim is contested (model.Claim.contested, the one
  definition of the rule), and the view `contested_claims` with both sides of each;
- `claims.verdict` and `claims.warning`: the claim's evidence summary in one line and
  whether a reader must not miss it (verdict.py, the words every other surface shows),
  so that a claim read in the database never reads as settled fact either;
- `notices` and `cited_works.mark`: the editorial notices on each cited work
  (notices.toml) and the mark they leave on it ("retraction", ...).
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

from evidencekb.database.cells import json_list
from evidencekb.model import KnowledgeBase, Term, Topic
from evidencekb.names import CONTRADICTS, NOT_STATED, SUPPORTS
from evidencekb.verdict import verdict

WorkId = Callable[[str, int], str]  # database.work_id: a cited work's row id


def _works_taking(stance: str) -> str:
    """SQL: the numbers of the works taking `stance` on the claim, in citation order."""
    return f"""(select group_concat(number, ', ') from (
     select cited_works.number from claim_citations
     join cited_works on cited_works.id = claim_citations.work_id
     where claim_citations.claim_id = claims.id and claim_citations.stance = '{stance}'
     order by claim_citations.position))"""


CONTESTED_VIEW = f"""
select claims.id, claims.verdict, claims.topic, claims.position, claims.text,
  {_works_taking(SUPPORTS)} as supported_by,
  {_works_taking(CONTRADICTS)} as contradicted_by,
  (select group_concat(other, ', ') from (
     select other_id as other from claim_relations
     where claim_id = claims.id and relation = '{CONTRADICTS}'
     union select claim_id from claim_relations
     where other_id = claims.id and relation = '{CONTRADICTS}')
  ) as contradicting_claims
from claims where claims.contested = 1
order by claims.topic, claims.position"""


def add_evidence(db: sqlite_utils.Database, kb: KnowledgeBase, work_id: WorkId) -> None:
    """Add the evidence tables and columns to a database whose claims are written."""
    _vocabulary(db, "stances", kb.stances)
    _vocabulary(db, "relation_kinds", kb.relation_kinds)
    db.execute(
        "alter table claim_citations add column stance text not null "
        f"default '{NOT_STATED}' references stances(id)"
    )
    db.execute("alter table claims add column contested integer not null default 0")
    with db.conn:  # one transaction, committed before the caller's vacuum
        db.conn.executemany(
            "update claim_citations set stance = ? where claim_id = ? and work_id = ?",
            [
                (item.stance, claim.id, work_id(claim.topic, item.citation))
                for claim in kb.claims
                for item in claim.evidence
            ],
        )
        db.conn.executemany(
            "update claims set contested = 1 where id = ?",
            [(claim.id,) for claim in kb.claims if claim.contested],
        )
    _sentences(db, kb, work_id)
    _quotes(db, kb, work_id)
    _relations(db, kb)
    _notices(db, kb, work_id)
    db.table("claim_citations").create_index(["stance"])
    db.table("claims").create_index(["warning"])
    db.create_view("contested_claims", CONTESTED_VIEW.strip())


def _vocabulary(db: sqlite_utils.Database, table: str, terms: tuple[Term, ...]) -> None:
    # Created first, so that it is there with no terms too: foreign keys name it.
    db.table(table).create({"id": str, "label": str, "definition": str}, pk="id")
    db.table(table).insert_all(
        {"id": t.id, "label": t.label, "definition": t.definition} for t in terms
    )


def _sentences(db: sqlite_utils.Database, kb: KnowledgeBase, work_id: WorkId) -> None:
    """Each cited work's recorded text (its abstract's sentences, numbered from 0 as
    quotations number them), so that a quotation's sentence is there to read."""
    db.table("cited_work_sentences").create(
        {"work_id": str, "sentence": int, "text": str},
        pk=("work_id", "sentence"),
        foreign_keys=[("work_id", "cited_works", "id")],
    )
    with db.conn:  # the driver's executemany: abstracts run to a million sentences
        db.conn.executemany(
            "insert into cited_work_sentences (work_id, sentence, text) values (?, ?, ?)",
            (
                (work_id(ref.topic, ref.number), number, text)
                for topic in kb.topics
                for ref in topic.references
                for number, text in enumerate(ref.sentences)
            ),
        )


def _quotes(db: sqlite_utils.Database, kb: KnowledgeBase, work_id: WorkId) -> None:
    db.table("citation_quotes").create(
        {"claim_id": str, "work_id": str, "position": int, "sentence": int, "text": str},
        pk=("claim_id", "work_id", "position"),
        foreign_keys=[("claim_id", "claims", "id"), ("work_id", "cited_works", "id")],
    )
    db.table("citation_quotes").insert_all(
        {
            "claim_id": claim.id,
            "work_id": work_id(claim.topic, item.citation),
            "position": position,
            "sentence": quote.sentence,
            "text": quote.text,
        }
        for claim in kb.claims
        for item in claim.evidence
        for position, quote in enumerate(item.quotes, start=1)
    )


def _relations(db: sqlite_utils.Database, kb: KnowledgeBase) -> None:
    db.table("claim_relations").create(
        {"claim_id": str, "relation": str, "other_id": str},
        pk=("claim_id", "relation", "other_id"),
        foreign_keys=[
            ("claim_id", "claims", "id"),
            ("relation", "relation_kinds", "id"),
            ("other_id", "claims", "id"),
        ],
    )
    db.table("claim_relations").insert_all(
        {"claim_id": r.claim, "relation": r.kind, "other_id": r.other}
        for claim in kb.claims
        for r in claim.relations
        if r.claim == claim.id  # each relation once, from the claim that records it
    )


# The claims table's columns of each claim's evidence summary (tables.py writes them
# with the claim): its one line, and whether a reader must not miss it.
VERDICT_COLUMNS: dict[str, type] = {"verdict": str, "warning": int}


def verdict_rows(kb: KnowledgeBase, topic: Topic) -> list[tuple[str, int]]:
    """(verdict, warning) of each of the topic's claims, in order: worked out for 80,000
    claims they took longer than the rest of the database (1.9 s), so the database's
    writer keeps them a topic at a time (database/kept.py)."""
    found = (verdict(claim, kb.stances, kb.strength) for claim in topic.claims)
    return [(v.text, int(v.warning)) for v in found]


def _notices(db: sqlite_utils.Database, kb: KnowledgeBase, work_id: WorkId) -> None:
    db.execute("alter table cited_works add column mark text")
    db.table("notices").create(
        {
            "work_id": str, "position": int, "nature": str, "date": str, "doi": str,
            "pmid": str, "reasons": str, "record_id": int,
        },
        pk=("work_id", "position"),
        foreign_keys=[("work_id", "cited_works", "id")],
    )  # fmt: skip
    marked = [ref for topic in kb.topics for ref in topic.references if ref.notices]
    with db.conn:
        db.conn.executemany(
            "update cited_works set mark = ? where id = ?",
            [(ref.mark, work_id(ref.topic, ref.number)) for ref in marked],
        )
    db.table("notices").insert_all(
        {
            "work_id": work_id(ref.topic, ref.number),
            "position": position,
            "nature": notice.nature,
            "date": notice.date,
            "doi": notice.doi,
            "pmid": notice.pmid,
            "reasons": json_list(notice.reasons) if notice.reasons else None,
            "record_id": notice.record_id,
        }
        for ref in marked
        for position, notice in enumerate(ref.notices, start=1)
    )
