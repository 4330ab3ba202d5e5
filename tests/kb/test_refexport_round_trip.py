"""`ekb export --format csl-json|ris|bibtex` read back by `ekb refs import`, on a topic
of real works recorded in full (tests/fixtures.py's GRADING_WORKS): into the same kb it
changes nothing, and into a copy that knows only the numbers it gives every field
back that the format carries."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidencekb.kb.exporter import export
from evidencekb.kb.load import load_kb
from evidencekb.kb.refimport import import_references
from fixtures import GRADING_TOPIC, add_grading_topic, ekb_here

SUFFIXES = {"csl-json": ".json", "ris": ".ris", "bibtex": ".bib"}


@pytest.fixture
def grading(empty_kb: Path, tmp_path: Path) -> Path:
    add_grading_topic(empty_kb, tmp_path)
    return empty_kb


def edit_reference(kb_dir: Path, old: str, new: str) -> None:
    references = kb_dir / "topics" / GRADING_TOPIC / "references.toml"
    text = references.read_text("utf-8")
    assert old in text
    references.write_text(text.replace(old, new, 1), "utf-8")
    load_kb(kb_dir)  # `ekb check` passes


def exported(kb_dir: Path, fmt: str, folder: Path) -> Path:
    path = folder / f"export{SUFFIXES[fmt]}"
    path.write_text(export(load_kb(kb_dir), fmt, GRADING_TOPIC), "utf-8")
    return path


def nothing_to_change(kb_dir: Path, path: Path) -> None:
    """Both ways: the library lists no change, and `ekb refs import` says so."""
    references = kb_dir / "topics" / GRADING_TOPIC / "references.toml"
    before = references.read_bytes()
    result = import_references(kb_dir, path, GRADING_TOPIC, replace=True)
    assert [change.describe() for change in result.changes] == []
    ran = ekb_here("refs", "import", str(path), "--topic", GRADING_TOPIC, "--kb", str(kb_dir))
    assert ran.exit_code == 0, ran.output
    assert ran.stdout == f"Nothing to change in {references}.\n"
    assert references.read_bytes() == before


@pytest.mark.parametrize("fmt", sorted(SUFFIXES))
def test_a_page_range_written_short_reads_back_as_no_change(
    grading: Path, tmp_path: Path, fmt: str
) -> None:
    """Guyatt 2008 as PubMed cites it, "924-6". Before: RIS (SP 924, EP 6) read back
    as "924-926" and `ekb refs import` of the export reported the pages as differing."""
    edit_reference(grading, 'pages = "924-926"', 'pages = "924-6"')
    nothing_to_change(grading, exported(grading, fmt, tmp_path))
