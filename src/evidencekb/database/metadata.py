"""Datasette's metadata.json for the database `ekb build` writes, beside it.

The tables, views and columns listed are read from the built database itself, so they
are exactly what tables.py and evidence.py created; this module adds only
what a reader needs to know of each (a description, the facets worth offering, the
column that labels a row). A column without a description, or a description of a
column the database does not have, stops the build: the two cannot drift apart.

`datasette site/evidencekb.db -m site/metadata.json` serves the database with them.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evidencekb.database.cells import list_cell_description
from evidencekb.database.tables import CLAIM_LISTS
from evidencekb.model import KnowledgeBase
from evidencekb.registry import CLAIM_FIELDS, REFERENCE_FIELDS, TOPIC_FIELDS

TITLE = "evidencekb"
DESCRIPTION = (
    "Clinical evidence summaries as structured claims: each statement verbatim, with its "
    "section and heading, the works it cites, its evidence strength and the basis for it, "
    "and the categories and entities it is about. Not medical advice."
)
# FTS5 keeps its index in shadow tables named after it; Datasette hides them itself.
_FTS_SHADOWS = ("_config", "_data", "_docsize", "_idx")


@dataclass(frozen=True)
class Described:
    """What Datasette shows of one table or view."""

    description: str
    columns: dict[str, str]
    facets: tuple[str, ...] = ()
    label_column: str | None = None
    sort: str | None = None  # the column rows are listed by


_CLAIM_ID = "The claim's permanent id (claims.id)."
_WORK_ID = "The cited work's row (cited_works.id): <topic>-ref-<number>."
_POSITION = "Its place in the claim's list, from 1, in the order the claim gives them."
_TERM_COLUMNS = {
    "id": "The term's id, as claims refer to it.",
    "label": "The term's name.",
    "definition": "What the term means here.",
    "synonyms": "Other names of the term, as a JSON list; search finds the term by them.",
    "abbreviations": "Abbreviations of the term, as a JSON list; search keeps them unstemmed.",
    "broader": "Ids of the terms this one is a kind of, as a JSON list; search for one of "
    "them finds this term's claims too.",
}
_VOCABULARY = {
    "id": "The id, as kb/stance.toml and the claims use it.",
    "label": "Its name.",
    "definition": "What it means.",
}

# A claim's verdict columns, in the claims table and the overview that reads them.
_VERDICT = {
    "verdict": "What its cited works found and how strong the evidence is, in one line, "
    "as every page and `ekb search` show it beside the claim.",
    "warning": "1 when a reader must not miss its verdict: its cited works contradict it, "
    "it is contested, or it rests on a retracted work or one under an expression of "
    "concern; else 0.",
}

# The claims table's columns: what the loader adds, every claims.toml field of one
# value by its registry description, and the evidence columns.
_CLAIM_COLUMNS = {
    "topic": "The topic the claim belongs to.",
    "position": "The claim's place in its topic's summary, from 1.",
    "source": "The file name of the summary the claim comes from.",
    **{f.name: f.description for f in CLAIM_FIELDS if f.is_column},
    "contested": "1 when its cited works disagree or a curator says another claim "
    "contradicts it, else 0.",
    **_VERDICT,
}


def _claim_columns(*names: str) -> dict[str, str]:
    """The descriptions of claims columns a view or index shows as they are: taken from
    the table's, so that a field's description said once in the registry is said the
    same wherever its column appears."""
    return {name: _CLAIM_COLUMNS[name] for name in names}


TABLES: dict[str, Described] = {
    "topics": Described(
        "One row per topic: a clinical evidence summary imported into the knowledge base.",
        {
            "slug": "The topic's id (its folder name in kb/topics/).",
            **{f.name: f.description for f in TOPIC_FIELDS},
            "overview": "The topic's overview, in Markdown.",
            "claims": "How many claims the topic has.",
        },
        label_column="title",
    ),
    "topic_changes": Described(
        "Each topic's change log (topic.toml's [[change]]), newest first.",
        {
            "topic": "The topic that changed.",
            "position": "The entry's place in the log, from 1 (the newest).",
            "date": "When it changed (YYYY-MM-DD).",
            "summary": "What changed, in the editor's words.",
            "conclusions_changed": "1 when the topic's conclusions changed with it, else 0.",
        },
        facets=("topic", "conclusions_changed"),
    ),
    "claims": Described(
        "One row per claim: a statement of a summary, kept verbatim.",
        _CLAIM_COLUMNS,
        facets=("topic", "section", "strength", "strength_method", "contested", "warning"),
        # No label column: a claim named by its words alone (where a row links to it)
        # would read as fact when its cited works contradict it; its id names it.
    ),
    "claims_fts": Described(
        "The full-text index of the claims' text and heading (FTS5, Porter stemming): "
        "Datasette's search box on the claims table uses it.",
        _claim_columns("text", "heading"),
    ),
    "cited_works": Described(
        "One row per work a topic cites by number. A topic's numbers are its own; only "
        "what is known of a work is recorded, never guessed (described = 0: the source "
        "gives only the number).",
        {
            "id": "The work's id: <topic>-ref-<number>.",
            "topic": "The topic that cites it.",
            "number": "Its citation number in that topic.",
            "described": "1 when anything beyond the number is recorded, else 0.",
            **{
                f.name: f.description + (list_cell_description(f) if f.is_list else "")
                for f in REFERENCE_FIELDS
            },
            "mark": "The mark its editorial notices leave on it (retraction, "
            "expression-of-concern, ...; see notices), or empty.",
        },
        facets=("topic", "described", "mark"),
        label_column="title",
    ),
    "claim_citations": Described(
        "Which works each claim cites, in the claim's order, and what each work says of it.",
        {
            "claim_id": _CLAIM_ID,
            "work_id": _WORK_ID,
            "position": _POSITION,
            "stance": "What the work says of the claim (stances); not-stated unless recorded.",
        },
        facets=("stance",),
    ),
    "notices": Described(
        "Editorial notices on the cited works (a retraction, an expression of concern, a "
        "correction, a reinstatement), as Retraction Watch records them (notices.toml).",
        {
            "work_id": _WORK_ID,
            "position": "The notice's place among the work's notices, by date, from 1.",
            "nature": "What the notice is: retraction, expression-of-concern, correction "
            "or reinstatement.",
            "date": "The notice's date (YYYY-MM-DD).",
            "doi": "The notice's own DOI, if known.",
            "pmid": "The notice's own PubMed id, if known.",
            "reasons": "Retraction Watch's reasons, as it words them, as a JSON list.",
            "record_id": "Retraction Watch's Record ID.",
        },
        facets=("nature",),
    ),
    "cited_work_sentences": Described(
        "The text recorded of each cited work (its abstract), a sentence a row: what "
        "quotations quote.",
        {
            "work_id": _WORK_ID,
            "sentence": "The sentence's number in the work's recorded text, from 0 (as "
            "citation_quotes.sentence counts).",
            "text": "The sentence, verbatim.",
        },
    ),
    "citation_quotes": Described(
        "Words of a cited work's recorded text that back its stance on a claim.",
        {
            "claim_id": _CLAIM_ID,
            "work_id": _WORK_ID,
            "position": "The quotation's place among this link's quotations, from 1.",
            "sentence": "The sentence of the work's recorded text it quotes, from 0 "
            "(cited_work_sentences.sentence).",
            "text": "The quoted words, verbatim.",
        },
    ),
    "claim_relations": Described(
        "How a curator says one claim bears on another.",
        {
            "claim_id": "The claim the relation is recorded on.",
            "relation": "The kind of relation (relation_kinds).",
            "other_id": "The other claim.",
        },
        facets=("relation",),
    ),
    "categories": Described(
        "What a claim is about (efficacy, dosing, ...): a controlled vocabulary.",
        _TERM_COLUMNS,
        label_column="label",
    ),
    "claim_categories": Described(
        "The categories of each claim.",
        {"claim_id": _CLAIM_ID, "category_id": "The category.", "position": _POSITION},
        facets=("category_id",),
    ),
    "entities": Described(
        "Drugs, conditions, routes, adverse effects and more that claims mention: a "
        "controlled vocabulary.",
        {**_TERM_COLUMNS, "kind": "What kind of entity it is (drug, condition, route, ...)."},
        facets=("kind",),
        label_column="label",
    ),
    "claim_entities": Described(
        "The entities each claim mentions.",
        {"claim_id": _CLAIM_ID, "entity_id": "The entity.", "position": _POSITION},
        facets=("entity_id",),
    ),
    "strength_levels": Described(
        "The evidence-strength scheme (kb/strength.toml), strongest first.",
        {
            "label": "The label, as claims carry it.",
            "rank": "Its order: 1 is the strongest.",
            "title": "Its name.",
            "definition": "What it means.",
            "assigned": "How a claim comes to carry it.",
        },
        label_column="title",
        sort="rank",
    ),
    "sections": Described(
        "The parts of a summary.",
        {"id": "The section's id.", "title": "Its heading in the summary."},
        label_column="title",
    ),
    "stances": Described(
        "What a cited work may say of a claim (kb/stance.toml).", _VOCABULARY, label_column="label"
    ),
    "relation_kinds": Described(
        "How one claim may bear on another (kb/stance.toml).", _VOCABULARY, label_column="label"
    ),
    "claim_overview": Described(
        "Each claim with its topic's title, strength, citations, categories and entities "
        "on one row.",
        {
            **_claim_columns("id", *_VERDICT, "topic", "section", "heading", "text"),
            **_claim_columns("strength_method", "strength_basis", "source", "source_line"),
            "topic_title": "The topic's title.",
            "strength": "The name of its evidence-strength label (strength_levels.title).",
            "citations": "The numbers of the works it cites, in its order.",
            "categories": "Its categories' names, separated by '; '.",
            "entities": "The names of the entities it mentions, separated by '; '.",
        },
        facets=("topic", "section", "strength", "warning"),
    ),
    "strength_by_topic": Described(
        "How many claims of each topic carry each strength label, stated or derived.",
        {
            "topic": "The topic's id.",
            "rank": "The label's rank (1 is the strongest).",
            "strength": "The label's name.",
            "strength_method": "stated or derived.",
            "claims": "How many claims.",
        },
        facets=("topic",),
    ),
    "cited_work_usage": Described(
        "Each cited work with the claims that cite it.",
        {
            "id": "The work's id: <topic>-ref-<number>.",
            "topic": "The topic that cites it.",
            "number": "Its citation number.",
            "described": "1 when anything beyond the number is recorded.",
            "citing_claims": "How many claims cite it.",
            "claim_ids": "Their ids, separated by ', '.",
        },
        facets=("topic", "described"),
    ),
    "entity_mentions": Described(
        "How many claims mention each entity, most first.",
        {
            "id": "The entity's id.",
            "label": "Its name.",
            "kind": "Its kind.",
            "claims": "How many claims mention it.",
        },
        facets=("kind",),
    ),
    "contested_claims": Described(
        "Claims whose cited works disagree, or that a curator says another claim "
        "contradicts, with both sides.",
        {
            **_claim_columns("id", "verdict", "topic", "position", "text"),
            "supported_by": "The numbers of the works that support it.",
            "contradicted_by": "The numbers of the works that contradict it.",
            "contradicting_claims": "The ids of claims a curator says contradict it.",
        },
        facets=("topic",),
    ),
}


# Each other list field of claims.toml, a table of its values (tables.CLAIM_LISTS).
TABLES |= {
    field.table: Described(
        f"{field.description} One row per value, in the claim's order.",
        {"claim_id": _CLAIM_ID, "position": _POSITION, "value": "The value, as kb/ records it."},
        facets=("value",),
    )
    for field in CLAIM_LISTS
}


def read_schema(database: Path) -> dict[str, tuple[str, ...]]:
    """Every table and view a reader sees (FTS5's shadow tables aside), by name."""
    connection = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
    try:
        names = [
            row[0]
            for row in connection.execute(
                "select name from sqlite_master where type in ('table', 'view') "
                "and name not like 'sqlite_%' order by name"
            )
        ]
        fts = {name for name in names if name.endswith("_fts")}
        shadows = {f"{table}{suffix}" for table in fts for suffix in _FTS_SHADOWS}
        return {
            name: tuple(row[1] for row in connection.execute(f"pragma table_info([{name}])"))
            for name in names
            if name not in shadows
        }
    finally:
        connection.close()


def drift(schema: dict[str, tuple[str, ...]]) -> list[str]:
    """Each table or column the database and TABLES disagree on, as a sentence."""
    found = [f"table {name} has no description" for name in schema if name not in TABLES]
    missing = [name for name in TABLES if name not in schema]
    found += [f"described table {name} is not in the database" for name in missing]
    for name, columns in schema.items():
        if name in TABLES:
            found += _column_drift(name, columns, TABLES[name])
    return found


def _column_drift(name: str, columns: tuple[str, ...], described: Described) -> list[str]:
    found = [f"column {name}.{c} has no description" for c in columns if c not in described.columns]
    found += [
        f"described column {name}.{c} is not in the database"
        for c in described.columns
        if c not in columns
    ]
    extras = [*described.facets, *filter(None, (described.label_column, described.sort))]
    found += [f"{name}: {c} is not one of its columns" for c in extras if c not in columns]
    return found


def datasette_metadata(database: Path, kb: KnowledgeBase) -> dict[str, Any]:
    schema = read_schema(database)
    problems = drift(schema)
    if problems:
        # A programming error, not bad input: the tables and TABLES change together.
        raise RuntimeError("database.metadata.TABLES is out of date: " + "; ".join(problems))
    sources = ", ".join(sorted({topic.source for topic in kb.topics})) or "none yet"
    tables = {name: _table(TABLES[name], schema[name]) for name in schema}
    return {
        "title": TITLE,
        "description": DESCRIPTION,
        "source": f"The knowledge base in kb/, compiled by ekb build; summaries: {sources}",
        "databases": {database.stem: {"description": DESCRIPTION, "tables": tables}},
    }


def _table(described: Described, columns: tuple[str, ...]) -> dict[str, Any]:
    table: dict[str, Any] = {
        "description": described.description,
        "columns": {column: described.columns[column] for column in columns},
    }
    if described.facets:
        table["facets"] = list(described.facets)
    if described.label_column:
        table["label_column"] = described.label_column
    if described.sort:
        table["sort"] = described.sort
    return table


def write_datasette_metadata(database: Path, out: Path, kb: KnowledgeBase) -> None:
    """Write metadata.json for `database` at `out`: the same database gives the same bytes."""
    text = json.dumps(datasette_metadata(database, kb), indent=2, ensure_ascii=False)
    out.write_text(text + "\n", encoding="utf-8")
