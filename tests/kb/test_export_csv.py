"""CSV export: no cell a spreadsheet would run as a formula (OWASP, CSV injection)."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

from evidencekb.kb import load_kb
from evidencekb.kb.exporter import claims_csv
from evidencekb.model import Claim, KnowledgeBase
from evidencekb.registry import CLAIM_FIELDS
from fixtures import EVIDENCE_TOPIC, add_retracted_sample, ekb_here, make_claim, sample_kb

FORMULAS = [
    '=HYPERLINK("http://example.org","x")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",  # a carriage return is neutralised alike, but kb/ text never holds one
]


def test_formula_cells_are_shown_as_text() -> None:
    claims = [
        make_claim("t", n, "research", heading, f"{heading} as a claim.")
        for n, heading in enumerate(FORMULAS)
    ]
    rows = list(csv.DictReader(io.StringIO(claims_csv(sample_kb(), claims), newline="")))
    assert [row["heading"] for row in rows] == [f"'{formula}" for formula in FORMULAS]
    assert [row["text"] for row in rows] == [f"'{formula} as a claim." for formula in FORMULAS]
    assert all(not value.startswith(tuple("=+-@\t\r")) for row in rows for value in row.values())


def test_other_cells_are_as_they_were() -> None:
    claim = make_claim("t", 1, "research", None, "Ketamine 0.5 mg/kg = 35 mg (1+1).")
    (row,) = csv.DictReader(io.StringIO(claims_csv(sample_kb(), [claim])))
    assert row["text"] == "Ketamine 0.5 mg/kg = 35 mg (1+1)."
    assert row["section"] == "research" and row["heading"] == ""


# Before: each of these was written as it is.
DISGUISED = [
    " =1+1",  # Google Sheets trims leading spaces
    "\u00a0\u00a0+1",
    '\uff1dHYPERLINK("http://example.org")',  # full-width forms, read as ASCII in CJK locales
    "\uff0b1",
    "\uff0d1",
    "\uff20SUM(A1)",
    "\u3000=1",  # an ideographic space
    "﹦1",  # the small equals sign NFKC also folds to "="
    # Before: only a cell's first 16 characters were looked at.
    " " * 16 + "=1+1",
    " " * 40 + "@SUM(A1:A2)",
    "\u3000" * 20 + "\uff0b1",
]


def test_formulas_behind_spaces_or_in_full_width_are_shown_as_text() -> None:
    claims = [
        make_claim("t", n, "research", heading, f"{heading} as a claim.")
        for n, heading in enumerate(DISGUISED)
    ]
    rows = list(csv.DictReader(io.StringIO(claims_csv(sample_kb(), claims), newline="")))
    assert [row["heading"] for row in rows] == [f"'{formula}" for formula in DISGUISED]


def test_ekb_export_csv_guards_a_formula_behind_spaces(evidence_kb: Path) -> None:
    """A heading in a kb's claims.toml (ekb check takes it) on a real SciFact claim."""
    claims = evidence_kb / "topics" / EVIDENCE_TOPIC / "claims.toml"
    text = claims.read_text("utf-8")
    first = 'text = "1 in 5 million in UK have abnormal PrP positivity."'
    formula = " " * 20 + '=HYPERLINK("http://example.org","x")'
    heading = "heading = " + '"' + formula.replace('"', '\\"') + '"'
    claims.write_text(text.replace(first, f"{heading}\n{first}", 1), "utf-8")
    result = ekb_here(
        "export", "--format", "csv", "--topic", EVIDENCE_TOPIC, "--kb", str(evidence_kb)
    )
    assert result.exit_code == 0, result.output
    row = next(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert row["text"] == "1 in 5 million in UK have abnormal PrP positivity."
    assert row["heading"] == f"'{formula}"


# Every column is a claims.toml field or one the export makes: a claim with a value in
# each field must have a cell in each of its columns (before: a field added to the
# registry had a header and an empty cell in every row).
MEHRA = "retracted-sample-0b419dba"  # cites Mehra et al., Lancet 2020, retracted 2020-06-05
# What the retracted sample leaves out of that claim, true of it: the heading it stands
# under in the paper's abstract, what it is about (ids, not checked here) and dates.
MEHRA_CURATED = {
    "heading": "Interpretation",
    "categories": ("efficacy",),
    "entities": ("hydroxychloroquine", "chloroquine", "covid-19"),
}


def _full_claim(kb_dir: Path) -> tuple[KnowledgeBase, Claim]:
    """The kb with the retracted sample, its real notices recorded, and its claim
    citing Mehra et al.'s paper with a value in every field."""
    add_retracted_sample(kb_dir)
    kb = load_kb(kb_dir)
    claim = kb.claim(MEHRA)
    values = {
        f.name: getattr(claim, f.name)
        or MEHRA_CURATED.get(f.name, "2026-12-05" if f.kind == "date" else None)
        for f in CLAIM_FIELDS
    }
    assert all(value not in (None, ()) for value in values.values()), values
    assert claim.notices  # its retraction, from Retraction Watch's row
    return kb, replace(claim, **values)


def test_every_column_holds_the_claims_value(empty_kb: Path) -> None:
    kb, claim = _full_claim(empty_kb)
    header, row = csv.reader(io.StringIO(claims_csv(kb, [claim]), newline=""))
    assert {f.name for f in CLAIM_FIELDS} <= set(header)
    assert [name for name, cell in zip(header, row, strict=True) if not cell] == []


def test_the_verdict_comes_before_the_claims_words(empty_kb: Path) -> None:
    """A contradicted claim never reads as fact first: its evidence summary and whether
    a reader must not miss it stand right after the id."""
    kb, claim = _full_claim(empty_kb)
    header, row = csv.reader(io.StringIO(claims_csv(kb, [claim]), newline=""))
    assert header[:3] == ["id", "verdict", "warning"]
    assert header.index("verdict") < header.index("text")
    cells = dict(zip(header, row, strict=True))
    assert cells["notices"] == "2: Retracted"
    assert cells["warning"] == "true" and "Retracted" in cells["verdict"]
