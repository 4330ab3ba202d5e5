"""Evidence per citation in the SQLite database: the stance column on the claim-work
link, quotations, curated relations, the view of contested claims, each claim's verdict,
and the editorial notices on cited works."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from evidencekb.database.tables import write_database
from evidencekb.kb.load import load_kb
from evidencekb.kb.retractions import record_retractions
from evidencekb.model import Reference
from evidencekb.verdict import verdict
from fixtures import RETRACTION_WATCH_SAMPLE, add_retracted_sample, sample_kb


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
        ("not-stated", "Not recorded"),
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
    # What the cited works found comes before the claim's words, as in `claims`.
    columns = [row[1] for row in db.execute("pragma table_info(contested_claims)")]
    assert columns[:2] == ["id", "verdict"] and columns.index("text") > 1
    found = db.execute("select verdict from contested_claims where id = 'scifact-10'")
    assert found.fetchone()[0].startswith("No cited work's finding recorded")


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


def test_each_claim_reads_with_its_verdict(evidence_kb: Path, tmp_path: Path) -> None:
    """The words every page shows beside the claim, so that a contradicted claim never
    reads as settled fact in the database either."""
    kb = load_kb(evidence_kb)
    path = tmp_path / "kb.db"
    write_database(kb, path)
    with sqlite3.connect(path) as connection:
        rows = dict(
            ((claim_id, (text, warning)))
            for claim_id, text, warning in connection.execute(
                "select id, verdict, warning from claims"
            )
        )
    for claim in kb.claims:
        found = verdict(claim, kb.stances, kb.strength)
        assert rows[claim.id] == (found.text, int(found.warning))
    assert rows["scifact-2"] == (
        "Cited work contradicts · Strength: not stated by the source",
        1,
    )


def test_notices_and_the_mark_they_leave(kb_dir: Path, tmp_path: Path) -> None:
    add_retracted_sample(kb_dir, notices=False)
    record_retractions(kb_dir, RETRACTION_WATCH_SAMPLE)
    path = tmp_path / "kb.db"
    write_database(load_kb(kb_dir), path)
    with sqlite3.connect(path) as connection:
        notices = connection.execute(
            "select work_id, position, nature, date, doi from notices order by work_id, position"
        ).fetchall()
        marks = connection.execute(
            "select id, mark from cited_works where mark is not null order by id"
        ).fetchall()
        warned = connection.execute("select count(*) from claims where warning = 1").fetchone()
    concern, retraction = "expression-of-concern", "retraction"
    assert notices == [
        ("retracted-sample-ref-1", 1, retraction, "2010-02-02", "10.1016/S0140-6736(10)60175-4"),
        ("retracted-sample-ref-2", 1, concern, "2020-06-03", "10.1016/S0140-6736(20)31290-3"),
        ("retracted-sample-ref-2", 2, retraction, "2020-06-05", "10.1016/S0140-6736(20)31324-6"),
    ]
    assert marks == [
        ("retracted-sample-ref-1", "retraction"),
        ("retracted-sample-ref-2", "retraction"),
    ]
    assert warned == (2,)
