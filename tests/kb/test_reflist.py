"""`ekb import` of a summary with a reference list: records filled only from what
each line says, every line kept verbatim, numbers checked, the text round-tripping."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidencekb.errors import ValidationError
from evidencekb.kb.exporter import summary_text
from evidencekb.kb.importer import import_summary
from evidencekb.kb.load import load_kb
from evidencekb.kb.reflist import HEADING, list_start, parse_reference_list, read_entry
from fixtures import COHEN_2018, GUYATT_2008, REFERENCED_SUMMARY, SANTESSO_2020

LIST_LINES = REFERENCED_SUMMARY.splitlines()[-3:]


def imported(kb_dir: Path, tmp_path: Path, text: str = REFERENCED_SUMMARY) -> Path:
    source = tmp_path / "grade-summary.txt"
    source.write_text(text, encoding="utf-8")
    import_summary(kb_dir, source, "grading")
    return source


def refused(kb_dir: Path, tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        imported(kb_dir, tmp_path, text)
    assert not (kb_dir / "topics" / "grading").exists()
    return [str(p).removeprefix(f"{tmp_path}/") for p in caught.value.problems]


def subset(record: dict[str, object], *keys: str) -> dict[str, object]:
    return {key: record[key] for key in keys}


def test_import_fills_each_record_from_its_line(empty_kb: Path, tmp_path: Path) -> None:
    imported(empty_kb, tmp_path)
    topic = load_kb(empty_kb).topic("grading")  # ekb check passes on what import wrote
    cohen, guyatt, santesso = (reference.to_dict() for reference in topic.references)
    # An "et al." list keeps the authors it names.
    assert cohen["authors"] == ["Cohen SP", "Bhatia A", "Buvanendran A"]
    assert santesso["authors"] == ["Santesso N", "Glenton C", "Dahm P"]
    journal_source = ("title", "journal", "year", "volume", "issue", "pages", "doi")
    assert subset(cohen, *journal_source) == subset(COHEN_2018, *journal_source)
    everything = ("authors", *journal_source[:-1], "pmid", "pmcid")
    assert subset(guyatt, *everything) == subset(GUYATT_2008, *everything)
    # Its line gives no DOI or web address, nor says what kind of work it is.
    assert (guyatt["doi"], guyatt["url"], guyatt["type"]) == (None, None, None)
    vancouver = ("title", "journal", "year", "volume", "pages", "doi", "pmid")
    assert subset(santesso, *vancouver) == subset(SANTESSO_2020, *vancouver)
    assert santesso["issue"] is None
    assert [r.citation_text for r in topic.references] == LIST_LINES


def test_export_text_writes_the_list_back(empty_kb: Path, tmp_path: Path) -> None:
    imported(empty_kb, tmp_path)
    topic = load_kb(empty_kb).topic("grading")
    assert summary_text(topic) == REFERENCED_SUMMARY  # as written, blank lines and all


@pytest.mark.parametrize(
    ("form", "heading"), [("[{n}] ", "## Bibliography"), ("{n}) ", "References:")]
)
def test_the_other_list_forms(empty_kb: Path, tmp_path: Path, form: str, heading: str) -> None:
    text = REFERENCED_SUMMARY.replace("\nReferences\n", f"\n{heading}\n")
    for n in (1, 2, 3):
        text = text.replace(f"\n{n}. ", "\n" + form.format(n=n))
    imported(empty_kb, tmp_path, text)
    topic = load_kb(empty_kb).topic("grading")
    assert topic.references[1].pmcid == "PMC2335261"
    assert topic.references[2].citation_text.startswith(form.format(n=3) + "Santesso N")
    assert summary_text(topic) == text


@pytest.mark.parametrize(
    "heading",
    ["**References**", "__References__", "*References*", "_References_", "**References:**",
     "References\n----------", "References\n==========", "## References", "References:"],
)  # fmt: skip
def test_markdown_headings_of_the_list(empty_kb: Path, tmp_path: Path, heading: str) -> None:
    text = REFERENCED_SUMMARY.replace("\nReferences\n", f"\n{heading}\n")
    lines = text.splitlines()
    assert list_start(lines) == 7
    listed = parse_reference_list(lines, "s.txt", {1: 2, 2: 5, 3: 6})
    assert [entry.fields["citation_text"] for entry in listed.values()] == LIST_LINES
    imported(empty_kb, tmp_path, text)
    topic = load_kb(empty_kb).topic("grading")
    assert len(topic.claims) == 3  # the list is no statements
    assert [r.citation_text for r in topic.references] == LIST_LINES


@pytest.mark.parametrize(
    "line", ["**References*", "*References**", "References**", "**References** of note"]
)
def test_emphasis_that_does_not_close_is_no_heading(line: str) -> None:
    assert HEADING.match(line) is None


def test_numbers_listed_but_uncited_or_cited_but_unlisted(empty_kb: Path, tmp_path: Path):
    text = REFERENCED_SUMMARY.replace("dose range 1.", "dose range 1, 4.").replace(
        "\n3. Santesso", "\n5. Santesso"
    )
    assert refused(empty_kb, tmp_path, text) == [
        "grade-summary.txt:2: the statement cites 4, but the reference list on line 8 has "
        "no entry 4",
        "grade-summary.txt:6: the statement cites 3, but the reference list on line 8 has "
        "no entry 3",
        "grade-summary.txt:11: reference 5 is listed but no statement cites it",
    ]


def test_a_line_that_is_no_entry_and_a_number_listed_twice(empty_kb: Path, tmp_path: Path):
    text = REFERENCED_SUMMARY.replace("\n2. Guyatt", "\nGuyatt").replace(
        "\n3. Santesso", "\n1. Santesso"
    )
    assert refused(empty_kb, tmp_path, text) == [
        "grade-summary.txt:5: the statement cites 2, but the reference list on line 8 has "
        "no entry 2",
        "grade-summary.txt:6: the statement cites 3, but the reference list on line 8 has "
        "no entry 3",
        "grade-summary.txt:10: not a numbered reference: write one work a line, as "
        "'1. ...', '[1] ...' or '1) ...'",
        "grade-summary.txt:11: reference 1 is listed twice (first on line 9)",
    ]


def test_a_summary_without_a_list_keeps_bare_numbers(empty_kb: Path, tmp_path: Path) -> None:
    text = REFERENCED_SUMMARY.split("\nReferences\n")[0] + "\n"
    imported(empty_kb, tmp_path, text)
    topic = load_kb(empty_kb).topic("grading")
    assert [r.is_described for r in topic.references] == [False, False, False]


def test_only_unambiguous_values_become_fields() -> None:
    line = LIST_LINES[1]
    # Two different DOIs: neither is the work's.
    two = read_entry(line, line + " doi:10.1000/a doi:10.1000/b")
    assert "doi" not in two
    # The same DOI written twice is one DOI.
    cohen = LIST_LINES[0] + " https://doi.org/10.1097/AAP.0000000000000808"
    assert read_entry(cohen, cohen)["doi"] == "10.1097/AAP.0000000000000808"
    # A web address is kept without the sentence's final period.
    web = "4. Ketamine. https://pmc.ncbi.nlm.nih.gov/articles/PMC2335261/."
    assert read_entry(web, web)["url"] == "https://pmc.ncbi.nlm.nih.gov/articles/PMC2335261/"
    # A year in the future breaks its rule, so it is left out, not corrected.
    future = "5. Doe J. Title. Journal. 2999;1(1):1-2."
    assert "year" not in read_entry(future, future)
    # No "Authors. Title. Journal." shape before the source part: no title or journal.
    grouped = "6. GRADE guidelines: 3. Rating the quality of evidence. 2011;64(4):401-406."
    assert set(read_entry(grouped, grouped)) == {
        "year", "volume", "issue", "pages", "citation_text",
    }  # fmt: skip
