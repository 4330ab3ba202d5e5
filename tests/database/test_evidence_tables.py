"""Evidence per citation in the SQLite database: the stance column on the claim-work
link, quotations, curated relations, and the view of contested claims."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from evidencekb.database.tables import write_database
from evidencekb.kb.load import load_kb
from evidencekb.model import Reference
from fixtures import sample_kb


@pytest.fixture
def db(evidence_kb: Path, tmp_path: Path) -> Iterator[sqlite3.Connection]:
    path = tmp_path / "kb.db"
    write_database(load_kb(evidence_kb), path)
    connection = sqlite3.connect(path)
    yield connection
    connection.close()


def test_each_link_has_its_stance(db: sqlite3.Connection) -> None:
    stances = dict(
        db.execute("select stance, count(*) from claim_citations group by stance").fetchall()
    )
    assert stances == {"contradicts": 1, "not-stated": 18}  # 16 seed links + 2 sample
    keys = db.execute("pragma foreign_key_list(claim_citations)").fetchall()
    assert ("stance", "stances", "id") in {(k[3], k[2], k[4]) for k in keys}
    assert db.execute("select id, label from stances").fetchall() == [
        ("supports", "Supports"),
        ("contradicts", "Contradicts"),
        ("no-evidence", "No evidence either way"),
        ("not-stated", "Not stated"),
    ]


def test_quotations_and_relations(db: sqlite3.Connection) -> None:
    quotes = db.execute(
        "select claim_id, work_id, position, sentence, substr(text, 1, 25) from citation_quotes"
    ).fetchall()
    assert quotes == [
        ("scifact-2", "scifact-sample-ref-13734012", 1, 4, "RESULTS Of the 32,441 app")
    ]
    assert db.execute("select * from claim_relations").fetchall() == [
        ("scifact-11", "contradicts", "scifact-10")
    ]


def test_the_contested_claims_view(db: sqlite3.Connection) -> None:
    rows = db.execute(
        "select id, supported_by, contradicted_by, contradicting_claims from contested_claims"
    ).fetchall()
    assert rows == [
        ("scifact-10", None, None, "scifact-11"),
        ("scifact-11", None, None, "scifact-10"),
    ]
    assert db.execute("select sum(contested) from claims").fetchone() == (2,)


def test_the_view_gives_the_works_on_each_side(tmp_path: Path) -> None:
    path = tmp_path / "sample.db"
    kb = sample_kb()
    ketamine = kb.topics[0]  # as load_kb would, give every cited number a reference
    described = (*ketamine.references, Reference(ketamine.slug, 3))
    kb = replace(kb, topics=(replace(ketamine, references=described), *kb.topics[1:]))
    write_database(kb, path)
    with sqlite3.connect(path) as connection:
        row = connection.execute(
            "select supported_by, contradicted_by, contradicting_claims from contested_claims "
            "where id = 'ketamine-pain-00000004'"
        ).fetchone()
    assert row == ("2", "3", None)
