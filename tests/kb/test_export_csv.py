"""CSV export: no cell a spreadsheet would run as a formula (OWASP, CSV injection)."""

from __future__ import annotations

import csv
import io

from evidencekb.kb.exporter import claims_csv
from fixtures import make_claim, sample_kb

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
]


def test_formulas_behind_spaces_or_in_full_width_are_shown_as_text() -> None:
    claims = [
        make_claim("t", n, "research", heading, f"{heading} as a claim.")
        for n, heading in enumerate(DISGUISED)
    ]
    rows = list(csv.DictReader(io.StringIO(claims_csv(sample_kb(), claims), newline="")))
    assert [row["heading"] for row in rows] == [f"'{formula}" for formula in DISGUISED]
