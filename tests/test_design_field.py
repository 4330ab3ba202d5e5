"""A field added through the registry alone: a cited work's publication type or study
design (`design`), read from a reference manager's record, checked by `ekb check`,
stored in the database, searchable as `design:` in both front ends and shown beside
the reference. The work is real: the ASRA/AAPM/ASA consensus guidelines on
intravenous ketamine (Cohen et al. 2018), which PubMed types as a practice guideline.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from evidencekb.build import build
from evidencekb.kb.importer import import_summary
from evidencekb.kb.load import load_kb
from evidencekb.kb.refimport import import_references
from evidencekb.kb.refmanager import read_records
from evidencekb.registry import reference_field
from fixtures import COHEN_2018, REFERENCED_SUMMARY, ekb_here

# The first statement of tests/fixtures.py's REFERENCED_SUMMARY, which cites Cohen 2018.
SUMMARY = "From the Guidelines\n" + REFERENCED_SUMMARY.splitlines()[1] + "\n"
# PubMed's record of Cohen et al. 2018, as its MEDLINE export writes the fields read here.
COHEN_MEDLINE = f"""\
PMID- {COHEN_2018["pmid"]}
TI  - {COHEN_2018["title"]}.
LID - {COHEN_2018["doi"]} [doi]
AU  - Cohen SP
PT  - Journal Article
PT  - Practice Guideline
PT  - Research Support, Non-U.S. Gov't
DP  - 2018 Jul
TA  - {COHEN_2018["journal"]}
"""


@pytest.fixture
def kb_with_design(empty_kb: Path, tmp_path: Path) -> Path:
    source = tmp_path / "summary.txt"
    source.write_text(SUMMARY, encoding="utf-8")
    import_summary(empty_kb, source, "ketamine-guidelines")
    records = tmp_path / "cohen.nbib"
    records.write_text(COHEN_MEDLINE, encoding="utf-8")
    import_references(empty_kb, records, "ketamine-guidelines")
    return empty_kb


def test_a_design_is_read_from_the_record_never_guessed(tmp_path: Path) -> None:
    design = reference_field("design")
    # MEDLINE's publication types that name a design are kept; the others left out.
    path = tmp_path / "cohen.nbib"
    path.write_text(COHEN_MEDLINE, encoding="utf-8")
    (record,) = read_records(path)
    assert record.fields["design"] == ["practice-guideline"]
    # RIS's M3 and CSL's genre are read by the same names, in any case.
    assert design.choice_ids(["randomized controlled trial", "Meta-Analysis"]) == [
        "rct",
        "meta-analysis",
    ]
    assert design.choice_ids(["Journal Article", "a cohort, we think"]) == []


def test_the_design_is_checked_stored_searched_and_shown(
    kb_with_design: Path, tmp_path: Path
) -> None:
    kb = load_kb(kb_with_design)  # `ekb check` passes
    (work,) = kb.topic("ketamine-guidelines").references
    assert work.design == ("practice-guideline",)
    site = tmp_path / "site"
    build(kb_with_design, site)

    with sqlite3.connect(site / "evidencekb.db") as db:
        (stored,) = db.execute("select design from cited_works").fetchone()
    assert stored == "practice-guideline"

    page = BeautifulSoup(
        (site / "topics/ketamine-guidelines/references/1.html").read_text("utf-8"), "html.parser"
    )
    facts = dict(zip(
        [dt.get_text() for dt in page.select("dl.facts dt")],
        [dd.get_text() for dd in page.select("dl.facts dd")],
        strict=True,
    ))  # fmt: skip
    assert facts["Publication type"] == "Practice guideline"

    args = ["--kb", str(kb_with_design), "--site-dir", str(site), "--json"]
    for query in ("design:practice-guideline", 'design:"Practice Guideline"'):
        found = ekb_here("search", *args, query)
        assert found.exit_code == 0, found.output
        assert [hit["id"] for hit in json.loads(found.output)] == [kb.claims[0].id]
    none = ekb_here("search", *args, "--design", "rct", "ketamine")
    assert json.loads(none.output) == []


def test_a_design_outside_the_list_is_one_problem(kb_with_design: Path) -> None:
    references = kb_with_design / "topics/ketamine-guidelines/references.toml"
    text = references.read_text("utf-8").replace('"practice-guideline"', '"cohort"')
    references.write_text(text, "utf-8")
    result = ekb_here("check", "--kb", str(kb_with_design))
    assert result.exit_code == 1
    assert "unknown reference publication type 'cohort'" in result.output
    assert "allowed: meta-analysis, systematic-review, rct," in result.output


def test_a_work_known_by_its_design_alone_is_shown_by_it(empty_kb: Path, tmp_path: Path) -> None:
    """A record that gives a work's publication type and nothing the citation style
    writes: `ekb show` and the claim page name what is known of it, label and value, as
    its reference page lists it, never an empty citation. (PubMed types Cohen 2018 as a
    practice guideline.)"""
    source = tmp_path / "summary.txt"
    source.write_text(SUMMARY, encoding="utf-8")
    import_summary(empty_kb, source, "ketamine-guidelines")
    references = empty_kb / "topics/ketamine-guidelines/references.toml"
    references.write_text('[[reference]]\nnumber = 1\ndesign = ["practice-guideline"]\n', "utf-8")
    (claim,) = load_kb(empty_kb).claims
    shown = ekb_here("show", "--kb", str(empty_kb), claim.id)
    assert "  [1] Publication type: Practice guideline\n" in shown.output
    site = tmp_path / "site"
    build(empty_kb, site)
    page = BeautifulSoup((site / f"claims/{claim.id}.html").read_text("utf-8"), "html.parser")
    (work,) = page.select(".evidence-work .citation")
    assert work.get_text() == "Publication type: Practice guideline"
