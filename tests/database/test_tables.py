"""The SQLite database: tables, keys, counts, views, full-text search, determinism."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from evidencekb.database.tables import write_database
from evidencekb.kb.load import load_kb


@pytest.fixture
def db(repo_kb: Path, tmp_path: Path) -> sqlite3.Connection:
    path = tmp_path / "kb.db"
    write_database(load_kb(repo_kb), path)
    connection = sqlite3.connect(path)
    yield connection
    connection.close()


def count(db: sqlite3.Connection, table: str) -> int:
    return db.execute(f"select count(*) from [{table}]").fetchone()[0]


def test_tables_and_counts(db: sqlite3.Connection, repo_kb: Path) -> None:
    claims = load_kb(repo_kb).claims
    assert {
        table: count(db, table)
        for table in (
            "topics", "claims", "cited_works", "claim_citations", "categories",
            "claim_categories", "entities", "claim_entities", "strength_levels", "sections",
        )
    } == {
        "topics": 1, "claims": 20, "cited_works": 6, "claim_citations": 16,
        "categories": 11, "claim_categories": sum(len(c.categories) for c in claims),
        "entities": 52, "claim_entities": sum(len(c.entities) for c in claims),
        "strength_levels": 5, "sections": 2,
    }  # fmt: skip


def test_primary_and_foreign_keys(db: sqlite3.Connection) -> None:
    def pk(table: str) -> list[str]:
        rows = db.execute(f"pragma table_info([{table}])").fetchall()
        return [row[1] for row in sorted(rows, key=lambda r: r[5]) if row[5]]

    def fks(table: str) -> set[tuple[str, str, str]]:
        rows = db.execute(f"pragma foreign_key_list([{table}])").fetchall()
        return {(row[3], row[2], row[4]) for row in rows}

    assert pk("claims") == ["id"]
    assert pk("claim_citations") == ["claim_id", "work_id"]
    assert fks("claims") == {
        ("topic", "topics", "slug"),
        ("section", "sections", "id"),
        ("strength", "strength_levels", "label"),
    }
    assert fks("claim_entities") == {("claim_id", "claims", "id"), ("entity_id", "entities", "id")}
    assert fks("cited_works") == {("topic", "topics", "slug")}
    assert db.execute("pragma foreign_key_check").fetchall() == []


def test_views_answer_common_questions(db: sqlite3.Connection) -> None:
    row = db.execute(
        "select citations, strength, categories from claim_overview where source_line = 17"
    ).fetchone()
    assert row == ("2, 3", "Low", "Mechanism of action")
    usage = db.execute("select number, citing_claims from cited_work_usage").fetchall()
    assert usage == [(1, 4), (2, 6), (3, 2), (4, 2), (5, 1), (6, 1)]
    # Each work's citing claims in the summary's order, as the claims table has them.
    in_order = db.execute(
        "select claim_citations.work_id, claims.id from claims join claim_citations "
        "on claim_citations.claim_id = claims.id order by claims.topic, claims.position"
    ).fetchall()
    listed = dict(db.execute("select id, claim_ids from cited_work_usage").fetchall())
    for work, ids in listed.items():
        assert ids == ", ".join(claim for of, claim in in_order if of == work)
    assert db.execute("select claims from entity_mentions where id = 'crps'").fetchone() == (2,)
    assert db.execute("select * from strength_by_topic").fetchall() == [
        ("ketamine-pain", 3, "Low", "derived", 4),
        ("ketamine-pain", 3, "Low", "stated", 1),
        ("ketamine-pain", 5, "Not stated", "derived", 15),
    ]


def test_full_text_search_on_claim_text(db: sqlite3.Connection) -> None:
    rows = db.execute(
        "select claims.source_line from claims_fts join claims on claims.rowid = claims_fts.rowid"
        " where claims_fts match 'benzodiazepine' order by claims.source_line"
    ).fetchall()
    assert rows == [(24,)]  # porter stemming: "benzodiazepines" in the text


def test_same_kb_same_bytes(repo_kb: Path, tmp_path: Path) -> None:
    kb = load_kb(repo_kb)
    write_database(kb, tmp_path / "a.db")
    write_database(kb, tmp_path / "b.db")
    assert (tmp_path / "a.db").read_bytes() == (tmp_path / "b.db").read_bytes()


def test_the_database_opens_as_any_sqlite_file_does(db: sqlite3.Connection) -> None:
    """It is written without a journal (the build's staging folder stands in for one),
    which a reader must not inherit: the file itself records no journal mode but WAL."""
    assert db.execute("pragma journal_mode").fetchone() == ("delete",)
    assert db.execute("pragma integrity_check").fetchone() == ("ok",)


@pytest.mark.parametrize("table", ["claims", "claim_overview"])
def test_a_claims_verdict_comes_before_its_words(db: sqlite3.Connection, table: str) -> None:
    """Browsed column by column (Datasette, a spreadsheet of a query), a claim its works
    contradict read as fact first: the overview had no verdict, the table put it last."""
    columns = [row[1] for row in db.execute(f"pragma table_info([{table}])")]
    assert columns[:3] == ["id", "verdict", "warning"]
    assert columns.index("text") > 3
    row = db.execute(f"select verdict, warning, text from [{table}] where id = ?",
                     ("ketamine-pain-8008e692",)).fetchone()  # fmt: skip
    assert row[:2] == (
        "No cited work's finding recorded (1 cited work) · Strength: low, stated by the "
        'source: "the evidence is moderate to weak"',
        0,
    )


def test_every_foreign_key_leads_an_index(db: sqlite3.Connection) -> None:
    """A row's page in Datasette counts the rows referring to it, and contested_claims
    reads claim_relations by other_id: each a scan of the table without an index."""
    tables = [row[0] for row in db.execute("select name from sqlite_master where type = 'table'")]
    unindexed = []
    for table in tables:
        indexes = db.execute(f"pragma index_list([{table}])").fetchall()
        leading = {db.execute(f"pragma index_info([{i[1]}])").fetchone()[2] for i in indexes}
        keys = {row[3] for row in db.execute(f"pragma foreign_key_list([{table}])")}
        unindexed += [f"{table}.{column}" for column in sorted(keys - leading)]
    assert unindexed == []
    query = "explain query plan select * from contested_claims"
    plan = " ".join(row[3] for row in db.execute(query))
    assert "SCAN claim_relations" not in plan
