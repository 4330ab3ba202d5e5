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


def numbers_only(kb_dir: Path) -> None:
    """The topic's references as a summary without a list gives them: numbers alone."""
    references = kb_dir / "topics" / GRADING_TOPIC / "references.toml"
    numbers = [reference.number for reference in load_kb(kb_dir).topic(GRADING_TOPIC).references]
    references.write_text("".join(f"[[reference]]\nnumber = {n}\n\n" for n in numbers), "utf-8")


# Cohen 2018 as PubMed types it (Practice Guideline), and as its title says it is
# (consensus guidelines): two designs, so that the one text a format has for them holds
# both.
COHEN_DESIGN = 'pmid = "29870458"\ndesign = ["practice-guideline", "consensus-statement"]'


@pytest.mark.parametrize("fmt", sorted(SUFFIXES))
def test_the_design_is_exported_and_read_back(grading: Path, tmp_path: Path, fmt: str) -> None:
    """Before: no format wrote `design`, so a copy filled from the export had none."""
    edit_reference(grading, 'pmid = "29870458"', COHEN_DESIGN)
    path = exported(grading, fmt, tmp_path)
    nothing_to_change(grading, path)
    numbers_only(grading)
    import_references(grading, path, GRADING_TOPIC)
    cohen = load_kb(grading).topic(GRADING_TOPIC).references[0]
    assert cohen.design == ("practice-guideline", "consensus-statement")


@pytest.mark.parametrize(
    ("fmt", "line"),
    [
        ("csl-json", '"genre": "Practice guideline; Consensus statement"'),
        ("ris", "M3  - Practice guideline; Consensus statement"),
        ("bibtex", "type = {Practice guideline; Consensus statement}"),
    ],
)
def test_ekb_export_writes_the_design_by_its_labels(grading: Path, fmt: str, line: str) -> None:
    edit_reference(grading, 'pmid = "29870458"', COHEN_DESIGN)
    ran = ekb_here("export", "--format", fmt, "--topic", GRADING_TOPIC, "--kb", str(grading))
    assert ran.exit_code == 0, ran.output
    assert [text.strip() for text in ran.stdout.splitlines() if "Practice" in text] == [line]
