"""What the kb holds is in the database as the kb's exact text, read back whole: a list
of free texts (a reference's authors, a notice's reasons, a term's synonyms) stays a
list of the same items even when an item holds what a separator would be."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from evidencekb.database import write_database, write_datasette_metadata
from evidencekb.kb.load import load_kb
from fixtures import add_retracted_sample

AUTHORS = ["Wakefield; AJ", 'O\'Brien "X"', "Murch SH 😀"]
REASONS = ["Falsification; Fabrication", "Misconduct by Author"]


def _with_listed_texts(kb_dir: Path) -> Path:
    topic = add_retracted_sample(kb_dir)
    references = topic / "references.toml"
    listed = ", ".join(json.dumps(a, ensure_ascii=False) for a in AUTHORS)
    text = references.read_text("utf-8").replace(
        "number = 1\n", f"number = 1\nauthors = [{listed}]\n", 1
    )
    references.write_text(text, encoding="utf-8")
    notices = topic / "notices.toml"
    reasons = ", ".join(json.dumps(r) for r in REASONS)
    text = notices.read_text("utf-8").replace(
        "reference = 1\n", f"reference = 1\nreasons = [{reasons}]\n", 1
    )
    notices.write_text(text, encoding="utf-8")
    return kb_dir


def test_lists_of_free_texts_read_back_item_for_item(kb_dir: Path, tmp_path: Path) -> None:
    kb = load_kb(_with_listed_texts(kb_dir))
    (work, _) = kb.topic("retracted-sample").references
    assert list(work.authors) == AUTHORS
    assert [list(n.reasons) for n in work.notices] == [REASONS]
    path = tmp_path / "kb.db"
    write_database(kb, path)
    with sqlite3.connect(path) as db:
        (authors,) = db.execute(
            "select authors from cited_works where id = 'retracted-sample-ref-1'"
        ).fetchone()
        (reasons,) = db.execute(
            "select reasons from notices where work_id = 'retracted-sample-ref-1'"
        ).fetchone()
        found = db.execute(
            "select json_each.value from cited_works, json_each(cited_works.authors) "
            "where cited_works.id = 'retracted-sample-ref-1' order by json_each.key"
        ).fetchall()
        terms = db.execute("select id, synonyms from entities").fetchall()
    assert json.loads(authors) == AUTHORS
    assert [value for (value,) in found] == AUTHORS  # any SQLite client reads the list
    assert "😀" in authors  # written as the kb writes it, not as \u escapes
    assert json.loads(reasons) == REASONS
    synonyms = {term.id: list(term.synonyms) for term in kb.entities}
    assert {id_: json.loads(listed) for id_, listed in terms} == synonyms
    # And the metadata says how such a cell is to be read.
    write_datasette_metadata(path, tmp_path / "metadata.json", kb)
    metadata = json.loads((tmp_path / "metadata.json").read_text("utf-8"))
    tables = metadata["databases"]["kb"]["tables"]
    assert "JSON list" in tables["cited_works"]["columns"]["authors"]
    assert "separated by '; '" in tables["cited_works"]["columns"]["design"]
    assert "JSON list" in tables["notices"]["columns"]["reasons"]


def test_each_cited_work_s_recorded_text_is_there_for_its_quotations(
    evidence_kb: Path, tmp_path: Path
) -> None:
    kb = load_kb(evidence_kb)
    path = tmp_path / "kb.db"
    write_database(kb, path)
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "select work_id, sentence, text from cited_work_sentences order by work_id, sentence"
        ).fetchall()
        quoted = db.execute(
            "select citation_quotes.text, cited_work_sentences.text from citation_quotes "
            "left join cited_work_sentences using (work_id, sentence)"
        ).fetchall()
        assert db.execute("pragma foreign_key_check").fetchall() == []
    recorded = sorted(
        (f"{ref.topic}-ref-{ref.number}", number, text)
        for ref in kb.topic("scifact-sample").references
        for number, text in enumerate(ref.sentences)
    )
    assert recorded and rows == recorded
    assert quoted and all(sentence and quote in sentence for quote, sentence in quoted)


def test_how_current_each_topic_is_and_its_change_log(kb_dir: Path, tmp_path: Path) -> None:
    topic_toml = kb_dir / "topics" / "ketamine-pain" / "topic.toml"
    topic_toml.write_text(
        topic_toml.read_text("utf-8")
        + 'last_reviewed = "2026-12-05"\nliterature_searched = "2026-11-30"\n\n'
        '[[change]]\ndate = "2026-12-05"\nsummary = "Dosing reworded; it\'s 100% \\"new\\" 😀"\n'
        "conclusions_changed = true\n\n"
        '[[change]]\ndate = "2026-01-02"\nsummary = "First review."\n'
        "conclusions_changed = false\n",
        encoding="utf-8",
    )
    kb = load_kb(kb_dir)
    topic = kb.topic("ketamine-pain")
    assert len(topic.changes) == 2
    path = tmp_path / "kb.db"
    write_database(kb, path)
    write_datasette_metadata(path, tmp_path / "metadata.json", kb)  # describes them
    with sqlite3.connect(path) as db:
        dates = db.execute("select last_reviewed, literature_searched from topics").fetchall()
        log = db.execute(
            "select topic, position, date, summary, conclusions_changed from topic_changes "
            "order by position"
        ).fetchall()
        assert db.execute("pragma foreign_key_check").fetchall() == []
    assert (
        dates
        == [(topic.last_reviewed, topic.literature_searched)]
        == [("2026-12-05", "2026-11-30")]
    )
    assert log == [
        ("ketamine-pain", n, c.date, c.summary, int(c.conclusions_changed))
        for n, c in enumerate(topic.changes, start=1)
    ]
