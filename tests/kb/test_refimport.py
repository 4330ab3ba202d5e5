"""`ekb refs import`: RIS, BibTeX, CSL-JSON and MEDLINE records of real works fill a
topic's references; nothing differing is overwritten without --replace."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from evidencekb.errors import KBError, ValidationError
from evidencekb.kb.importer import import_summary
from evidencekb.kb.load import load_kb
from evidencekb.kb.refimport import import_references
from evidencekb.kb.refmanager import read_records
from fixtures import (
    COHEN_2018,
    EVIDENCE_TOPIC,
    GUYATT_2008,
    MEDLINE,
    REFERENCED_SUMMARY,
    SANTESSO_2020,
    csl_item,
)

# The statements of REFERENCED_SUMMARY without its list: bare numbers 1, 2 and 3.
BARE = REFERENCED_SUMMARY.split("\nReferences\n")[0] + "\n"

# Full given names as the publications print them (BMJ 2008;336:924).
GUYATT_RIS = """\
TY  - JOUR
ID  - 2
AU  - Guyatt, Gordon H
AU  - Oxman, Andrew D
AU  - Vist, Gunn E
AU  - Kunz, Regina
AU  - Falck-Ytter, Yngve
AU  - Alonso-Coello, Pablo
AU  - Schünemann, Holger J
TI  - GRADE: an emerging consensus on rating quality of evidence and strength of recommendations
JO  - BMJ
PY  - 2008
VL  - 336
IS  - 7650
SP  - 924
EP  - 926
DO  - 10.1136/bmj.39489.470347.AD
UR  - https://pmc.ncbi.nlm.nih.gov/articles/PMC2335261/
ER  - 
"""  # noqa: W291

# Reg Anesth Pain Med 2018;43(5):521-546, authors as the journal lists them.
COHEN_BIBTEX = r"""
@article{1,
  author = {Cohen, Steven P. and Bhatia, Anuj and Buvanendran, Asokumar and Schwenk, Eric S.
            and Wasan, Ajay D. and Hurley, Robert W. and Viscusi, Eugene R. and Narouze, Samer
            and Davis, Fred N. and Ritchie, Elspeth C. and Lubenow, Timothy R.
            and Hooten, William M.},
  title = {{Consensus Guidelines on the Use of Intravenous Ketamine Infusions for Chronic Pain
           From the American Society of Regional Anesthesia and Pain Medicine, the American
           Academy of Pain Medicine, and the American Society of Anesthesiologists}},
  journal = {Reg Anesth Pain Med},
  year = {2018},
  volume = {43},
  number = {5},
  pages = {521--546},
  doi = {10.1097/AAP.0000000000000808},
  pmid = {29870458},
}
"""


@pytest.fixture
def grading(empty_kb: Path, tmp_path: Path) -> Path:
    source = tmp_path / "grade-summary.txt"
    source.write_text(BARE, encoding="utf-8")
    import_summary(empty_kb, source, "grading")
    return empty_kb


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def reference(kb_dir: Path, number: int) -> dict[str, object]:
    record = load_kb(kb_dir).topic("grading").references[number - 1].to_dict()
    return {k: v for k, v in record.items() if v not in (None, []) and k not in ("topic",)}


def expected(number: int, work: dict[str, Any], *leave_out: str, **override: Any) -> dict:
    """The reference as imported: a type its journal implies (an article in it) is not
    written, as the kb reads the reference alike either way."""
    row = {"number": number, **{k: v for k, v in work.items() if k not in leave_out}, **override}
    if row.get("type") == "journal-article" and row.get("journal"):
        del row["type"]
    return row


def test_ris_by_its_numbered_id(grading: Path, tmp_path: Path) -> None:
    import_references(grading, write(tmp_path, "guyatt.ris", GUYATT_RIS), "grading")
    assert reference(grading, 2) == expected(2, GUYATT_2008, "pmid", "pmcid")
    assert reference(grading, 1) == {"number": 1}


def test_endnotes_pmcid_in_c2_is_read_when_it_is_one(grading: Path, tmp_path: Path) -> None:
    """EndNote keeps a PubMed import's PMCID in Custom 2, which its RIS writes as C2;
    another manager's C2 may hold anything, which is not read."""
    endnote = GUYATT_RIS.replace("ER  - ", "C2  - PMC2335261\nER  - ")
    import_references(grading, write(tmp_path, "endnote.ris", endnote), "grading")
    assert reference(grading, 2) == expected(2, GUYATT_2008, "pmid")
    twice = endnote.replace("C2  - PMC2335261\n", "C2  - PMC2335261\nC2  - PMC1234567\n")
    with pytest.raises(KBError, match=r"twice.ris:20: C2 is given again \(first on line 19\)"):
        import_references(grading, write(tmp_path, "twice.ris", twice), "grading", dry_run=True)
    # A note giving another PMCID: two values that differ give none, as two notes do.
    other_note = endnote.replace("ER  - ", "N1  - PMCID: PMC1234567\nER  - ")
    read = read_records(write(tmp_path, "other-note.ris", other_note))[0].fields
    assert "pmcid" not in read
    for custom in ("2335261", "Epub 2008 Apr 24", "PMC2335261; PMC2335262"):
        other = write(
            tmp_path, "other.ris", GUYATT_RIS.replace("ER  - ", f"C2  - {custom}\nER  - ")
        )
        assert "pmcid" not in read_records(other)[0].fields


def test_bibtex_by_its_numbered_key(grading: Path, tmp_path: Path) -> None:
    import_references(grading, write(tmp_path, "cohen.bib", COHEN_BIBTEX), "grading")
    assert reference(grading, 1) == expected(1, COHEN_2018, type="journal-article")


def test_medline_in_order(grading: Path, tmp_path: Path) -> None:
    result = import_references(grading, write(tmp_path, "grading.nbib", MEDLINE), "grading")
    assert result.written
    assert reference(grading, 1) == expected(1, COHEN_2018, type="journal-article")
    assert reference(grading, 2) == expected(2, GUYATT_2008, "url")
    assert reference(grading, 3) == expected(3, SANTESSO_2020)


def test_an_export_saved_as_text_is_read_by_its_first_line(grading: Path, tmp_path: Path) -> None:
    """PubMed saves "PubMed format" as pubmed-...-set.txt, EndNote its RIS as .txt."""
    # A publisher's RIS starts with lines of its own, which the RIS reader passes over.
    header = "Provider: BMJ Publishing Group\nDatabase: The BMJ\n\n"
    import_references(grading, write(tmp_path, "endnote.txt", header + GUYATT_RIS), "grading")
    assert reference(grading, 2) == expected(2, GUYATT_2008, "pmid", "pmcid")
    jabref = write(tmp_path, "jabref.txt", "% Encoding: UTF-8\n\n" + COHEN_BIBTEX)
    import_references(grading, jabref, "grading")
    pubmed = write(tmp_path, "pubmed-grading-set.txt", "\n" + MEDLINE)
    import_references(grading, pubmed, "grading")
    assert reference(grading, 1) == expected(1, COHEN_2018, type="journal-article")
    assert reference(grading, 3) == expected(3, SANTESSO_2020)


def line_of(text: str, start: str, nth: int = 1) -> int:
    """The line of `text` that is the `nth` to start with `start`."""
    found = [n for n, line in enumerate(text.splitlines(), 1) if line.startswith(start)]
    return found[nth - 1]


def test_a_refused_record_is_named_by_the_line_it_starts_on(grading: Path, tmp_path: Path) -> None:
    """A record of each format, its DOI broken: the message names the file, the line
    the record starts on, and what is wrong."""
    bad_doi = SANTESSO_2020["doi"].replace("10.", "11.", 1)
    items = [csl_item(n, work) for n, work in enumerate((COHEN_2018, GUYATT_2008), 1)]
    items.append({**csl_item(3, SANTESSO_2020), "DOI": bad_doi})
    files = {
        "pubmed.nbib": (MEDLINE.replace(SANTESSO_2020["doi"], bad_doi), "PMID- ", 3),
        "zotero.json": (json.dumps(items, indent=2), "  {", 3),
        "one-line.json": ("[\n" + ",\n".join(json.dumps(i) for i in items) + "\n]", "{", 3),
        "zotero.bib": (
            COHEN_BIBTEX
            + COHEN_BIBTEX.replace("@article{1,", "@article{3,").replace("{10.", "{11."),
            "@article",
            2,
        ),
        "endnote.ris": (
            GUYATT_RIS.replace("ID  - 2", "ID  - 1")
            + "\n"
            + GUYATT_RIS.replace("ID  - 2", "ID  - 3").replace("DO  - 10.", "DO  - 11."),
            "TY  - ",
            2,
        ),
    }
    for name, (text, start, nth) in files.items():
        path = write(tmp_path, name, text)
        with pytest.raises(KBError) as caught:
            import_references(grading, path, "grading")
        line = line_of(text, start, nth)
        assert str(caught.value).startswith(f"{path}:{line}: nothing imported: record {nth} ")
        assert "is not a DOI" in str(caught.value)


def test_every_refused_record_is_reported_at_its_line(grading: Path, tmp_path: Path) -> None:
    """Collected, then refused once: one problem a record."""
    text = MEDLINE.replace("- 10.", "- 11.")
    path = write(tmp_path, "pubmed.nbib", text)
    with pytest.raises(ValidationError) as caught:
        import_references(grading, path, "grading")
    assert [(p.line, p.message[:40]) for p in caught.value.problems] == [
        (line_of(text, "PMID- ", n), f"nothing imported: record {n} (reference {n})")
        for n in (1, 2, 3)
    ]


def refused_in_order(kb_dir: Path, tmp_path: Path, summary: str, order: list[int]) -> str:
    """Why importing the MEDLINE works in `order` (indexes into MEDLINE's records) into
    the topic `summary` makes is refused; references.toml is left as it was."""
    import_summary(kb_dir, write(tmp_path, "grading.txt", summary), "grading")
    before = (kb_dir / "topics" / "grading" / "references.toml").read_bytes()
    works = MEDLINE.split("\n\n")
    shuffled = write(tmp_path, "shuffled.nbib", "\n\n".join(works[n] for n in order))
    with pytest.raises(KBError) as caught:
        import_references(kb_dir, shuffled, "grading")
    assert (kb_dir / "topics" / "grading" / "references.toml").read_bytes() == before
    return re.sub(r"^[^:]*:[0-9]+: ", "", str(caught.value).removeprefix(str(tmp_path)))


def test_a_record_that_is_another_work_is_refused(empty_kb: Path, tmp_path: Path) -> None:
    """Matched in order, the records of a file in another order than the topic's would
    have written Guyatt's PMID onto Cohen's guideline, whose DOI the list gives."""
    assert refused_in_order(empty_kb, tmp_path, REFERENCED_SUMMARY, [1, 2, 0]) == (
        "nothing imported: record 1, matched in order to reference 1, is "
        f"another work: its DOI {GUYATT_2008['doi']} is not the reference's "
        f"{COHEN_2018['doi']}; give each record the number of the reference it is (a RIS "
        "ID, BibTeX key or CSL-JSON citation-number), or --replace to take a named "
        "record's values"
    )


def test_a_record_with_another_works_title_is_refused(empty_kb: Path, tmp_path: Path) -> None:
    """A summary's list gives titles, seldom identifiers. Matched in order, a file in
    another order (reference managers sort by author) gave Guyatt's reference the DOI
    and PMID of Santesso's, and `ekb check` passed."""
    listed = re.sub(r" (?:doi:|PMID:).*$", "", REFERENCED_SUMMARY, flags=re.MULTILINE)
    santesso, guyatt = SANTESSO_2020["title"], GUYATT_2008["title"]
    assert refused_in_order(empty_kb, tmp_path, listed, [0, 2, 1]) == (
        "nothing imported: record 2, matched in order to reference 2, is "
        f'another work: its title "{santesso}" is not the reference\'s '
        f'"{guyatt}"; give each record the number of the reference it is '
        "(a RIS ID, BibTeX key or CSL-JSON citation-number), or --replace to take a named "
        "record's values"
    )


def test_a_title_written_otherwise_is_the_same_title(grading: Path, tmp_path: Path) -> None:
    """Title case (Better BibTeX), lower case (Google Scholar), PubMed's closing period
    (Mendeley): the same words, the same work; the difference is reported, not refused."""
    import_references(grading, write(tmp_path, "guyatt.ris", GUYATT_RIS), "grading")
    cased = GUYATT_RIS.replace(
        GUYATT_2008["title"],
        "GRADE: An Emerging Consensus on Rating "
        "Quality of Evidence and Strength of Recommendations.",
    )
    kept = import_references(grading, write(tmp_path, "cased.ris", cased), "grading")
    assert [c.field for c in kept.changes] == ["title"] and not kept.written


def test_a_title_with_markup_entities_or_an_ampersand_is_the_same_title(
    empty_kb: Path, tmp_path: Path
) -> None:
    """CSL titles carry rich text and entities, BibTeX writes "\\&": with no identifier
    in the summary's list to go by, the words are still compared as a reader reads them."""
    listed = re.sub(r" (?:doi:|PMID:).*$", "", REFERENCED_SUMMARY, flags=re.MULTILINE)
    import_summary(empty_kb, write(tmp_path, "grading.txt", listed), "grading")
    title = COHEN_2018["title"].replace(", and the American", ", &amp; the <i>American</i>")
    items = [{**csl_item(1, COHEN_2018), "title": title}]
    path = write(tmp_path, "cohen.json", json.dumps(items, ensure_ascii=False))
    kept = import_references(empty_kb, path, "grading")
    assert kept.written
    assert {c.field for c in kept.changes if c.applied} >= {"doi", "pmid"}


def test_a_title_without_its_subtitle_is_the_same_title(grading: Path, tmp_path: Path) -> None:
    """BibLaTeX keeps a subtitle apart, and a list may cut it: "GRADE" and "GRADE: an
    emerging consensus ..." are one title; the difference is reported, not refused."""
    import_references(grading, write(tmp_path, "guyatt.ris", GUYATT_RIS), "grading")
    short = GUYATT_RIS.replace(GUYATT_2008["title"], "GRADE")
    kept = import_references(grading, write(tmp_path, "short.ris", short), "grading")
    assert [c.field for c in kept.changes] == ["title"] and not kept.written


def harvard(work: dict[str, Any]) -> str:
    """A work as a Harvard-style list writes it: no "Authors. Title. Journal." shape, so
    the summary's import reads no title, DOI or PMID from its line."""
    authors = ", ".join(work["authors"])
    return f"{authors} ({work['year']}) '{work['title']}', {work['journal']}, {work['volume']}"


def test_a_record_matched_in_order_must_stand_in_its_references_line(
    empty_kb: Path, tmp_path: Path
) -> None:
    """A Harvard-style list gives no title or identifier to compare: a file sorted by
    author (Guyatt before Cohen) gave reference 1 Guyatt's DOI and PMID. Each record's
    title must stand in its reference's line; in the list's order, they are taken."""
    works = (COHEN_2018, GUYATT_2008, SANTESSO_2020)
    listed = "\n".join(f"{n}. {harvard(work)}" for n, work in enumerate(works, 1))
    summary = REFERENCED_SUMMARY.split("\nReferences\n")[0] + f"\nReferences\n{listed}\n"
    import_summary(empty_kb, write(tmp_path, "grading.txt", summary), "grading")

    def items(order: tuple[dict[str, Any], ...]) -> Path:
        found = [{**csl_item(n, work), "id": f"w{n}"} for n, work in enumerate(order, 1)]
        for item in found:
            del item["citation-number"]
        return write(tmp_path, "works.json", json.dumps(found, ensure_ascii=False))

    with pytest.raises(KBError) as caught:
        import_references(empty_kb, items((GUYATT_2008, COHEN_2018, SANTESSO_2020)), "grading")
    assert "matched in order to reference 1, is another work: its title" in str(caught.value)
    assert "is not in the reference's line" in str(caught.value)
    import_references(empty_kb, items(works), "grading")
    topic = load_kb(empty_kb).topic("grading")
    assert [r.doi for r in topic.references] == [w["doi"] for w in works]


def test_a_title_cut_short_is_the_same_where_an_identifier_is_shared(
    grading: Path, tmp_path: Path
) -> None:
    """A list shortens Cohen's long title after "Chronic Pain", no colon: with its DOI
    shared, the record is the same work, its fuller title a difference reported."""
    import_references(grading, write(tmp_path, "cohen.bib", COHEN_BIBTEX), "grading")
    cut = COHEN_BIBTEX.index("\n           From the American")
    short = COHEN_BIBTEX[:cut] + COHEN_BIBTEX[COHEN_BIBTEX.index("}},\n  journal") :]
    kept = import_references(grading, write(tmp_path, "short.bib", short), "grading")
    assert [c.field for c in kept.changes] == ["title"] and not kept.written


def test_a_shared_identifier_under_another_title_is_refused(empty_kb: Path, tmp_path: Path) -> None:
    """Cohen's line in the summary carries, by a slip, Guyatt's DOI and PMID (a tail of
    identifiers pasted from another work): Guyatt's record, numbered 1, shares both but
    is another work; it gave Cohen's reference Guyatt's PMCID, and --replace his title."""
    listed = REFERENCED_SUMMARY.replace(
        "doi:10.1097/AAP.0000000000000808", "doi:10.1136/bmj.39489.470347.AD PMID: 18436948"
    ).replace(" PMID: 18436948; PMCID: PMC2335261.", "")
    import_summary(empty_kb, write(tmp_path, "grading.txt", listed), "grading")
    guyatt = write(tmp_path, "guyatt.json", json.dumps([csl_item(1, GUYATT_2008)]))
    with pytest.raises(KBError) as caught:
        import_references(empty_kb, guyatt, "grading")
    assert "is another work: its title" in str(caught.value)


def test_csl_json_by_citation_number(grading: Path, tmp_path: Path) -> None:
    items = [csl_item(3, SANTESSO_2020), csl_item(1, COHEN_2018)]
    path = write(tmp_path, "grading.json", json.dumps(items, ensure_ascii=False))
    import_references(grading, path, "grading")
    assert reference(grading, 3) == expected(3, SANTESSO_2020)
    assert reference(grading, 1) == expected(1, COHEN_2018, type="journal-article")
    assert reference(grading, 2) == {"number": 2}


def test_a_differing_field_is_kept_unless_replace(grading: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "guyatt.ris", GUYATT_RIS)
    import_references(grading, path, "grading")
    moved = GUYATT_RIS.replace("PY  - 2008", "PY  - 2009").replace("bmj.39489", "BMJ.39489")
    path.write_text(moved, encoding="utf-8")
    kept = import_references(grading, path, "grading")
    # The DOI differs only in case: the same DOI, no change.
    assert [c.describe() for c in kept.changes] == [
        "reference 2: keep (differs; --replace to take it) year 2008 -> 2009"
    ]
    assert not kept.written and reference(grading, 2)["year"] == 2008
    dry = import_references(grading, path, "grading", replace=True, dry_run=True)
    assert not dry.written and reference(grading, 2)["year"] == 2008
    replaced = import_references(grading, path, "grading", replace=True)
    assert [c.describe() for c in replaced.changes] == ["reference 2: replace year 2008 -> 2009"]
    assert replaced.written and reference(grading, 2)["year"] == 2009


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "one.nbib",
            MEDLINE.split("\n\n")[0],
            "one.nbib: 1 record, but the topic cites 3 numbers; to match records by order "
            "give one record per number, or give each record its number (CSL-JSON "
            "citation-number, a RIS ID or BibTeX key)",
        ),
        (
            "seven.ris",
            GUYATT_RIS.replace("ID  - 2", "ID  - 7"),
            "seven.ris:1: record 1 names reference 7, which the topic does not cite; "
            "cited: 1, 2, 3",
        ),
        (
            "bad.ris",
            GUYATT_RIS.replace("DO  - 10.1136", "DO  - 11.1136"),
            "bad.ris:1: nothing imported: record 1 (reference 2): doi "
            "'11.1136/bmj.39489.470347.AD' is not a DOI: it starts with '10.', a registrant "
            "number, '/', then the suffix, like \"10.1097/AAP.0000000000000808\"",
        ),
        (
            "refs.docx",
            "x",
            "refs.docx: unknown reference file type '.docx'; allowed: .ris (RIS), .bib (BibTeX), "
            ".json (CSL-JSON), .nbib or .medline (PubMed MEDLINE), .txt holding one of these",
        ),
        (
            "refs.txt",
            "\n[1] Cohen SP, Bhatia A, Buvanendran A, et al.\n",
            "refs.txt:2: no line of this .txt file starts a record of a reference export: a "
            "MEDLINE record starts with 'PMID- ', a RIS record with 'TY  - ', a BibTeX entry "
            "with @ and its type ('@article{'), CSL-JSON with '[' or '{'",
        ),
        ("broken.json", "[{", "broken.json:1: not a readable csl-json file (expecting property"),
    ],
)
def test_refusals_write_nothing(
    grading: Path, tmp_path: Path, name: str, text: str, message: str
) -> None:
    before = (grading / "topics/grading/references.toml").read_bytes()
    with pytest.raises(KBError) as caught:
        import_references(grading, write(tmp_path, name, text), "grading")
    assert str(caught.value).removeprefix(f"{tmp_path}/").startswith(message)
    assert (grading / "topics/grading/references.toml").read_bytes() == before


def test_ekb_refs_import_shows_what_it_changes(grading: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "guyatt.ris", GUYATT_RIS.replace("UR  - ", "XX  - "))
    command = [sys.executable, "-m", "evidencekb", "refs", "import", str(path)]
    command += ["--topic", "grading", "--kb", str(grading), "--dry-run"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    references = grading / "topics/grading/references.toml"
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        'reference 2: add title = "GRADE: an emerging consensus on rating quality of evidence '
        'and strength of recommendations"',
        'reference 2: add authors = ["Guyatt GH", "Oxman AD", "Vist GE", "Kunz R", '
        '"Falck-Ytter Y", "Alonso-Coello P", "Schünemann HJ"]',
        "reference 2: add year = 2008",
        'reference 2: add journal = "BMJ"',
        'reference 2: add volume = "336"',
        'reference 2: add issue = "7650"',
        'reference 2: add pages = "924-926"',
        'reference 2: add doi = "10.1136/bmj.39489.470347.AD"',
        "Dry run: 8 fields would change; nothing written.",
    ]
    result = subprocess.run(command[:-1], capture_output=True, text=True, check=False)
    assert result.stdout.splitlines()[-1] == f"Wrote {references}: 8 fields changed."
    result = subprocess.run(command[:-1], capture_output=True, text=True, check=False)
    assert result.stdout == f"Nothing to change in {references}.\n"
    missing = subprocess.run(
        [*command[:5], str(tmp_path / "nope.ris"), *command[6:-1]],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (missing.returncode, missing.stderr) == (
        1,
        f"Error: {tmp_path}/nope.ris: file not found\n",
    )


def test_a_record_numbered_with_eight_digits_fills_its_reference(
    evidence_kb: Path, tmp_path: Path
) -> None:
    """SciFact numbers its works by corpus id: the record's RIS ID names it whole."""
    title = (
        "Prevalent abnormal prion protein in human appendixes after bovine spongiform "
        "encephalopathy epizootic: large scale survey"
    )
    ris = f"TY  - JOUR\nID  - 13734012\nTI  - {title}\nJO  - BMJ\nPY  - 2013\nER  - \n"
    result = import_references(evidence_kb, write(tmp_path, "bmj.ris", ris), EVIDENCE_TOPIC)
    assert result.written
    work = load_kb(evidence_kb).topic(EVIDENCE_TOPIC).references[0]
    assert (work.number, work.title, work.journal, work.year) == (13734012, title, "BMJ", 2013)
    other = ris.replace("13734012", "13734013")
    with pytest.raises(KBError) as refused:
        import_references(evidence_kb, write(tmp_path, "other.ris", other), EVIDENCE_TOPIC)
    assert str(refused.value) == (
        f"{tmp_path}/other.ris:1: record 1 names reference 13734013, which the topic does not "
        "cite; cited: 13734012, 32587939"
    )


def refs_import(kb_dir: Path, path: Path) -> tuple[int, str, str]:
    """`ekb refs import PATH` into the grading topic: exit code, stdout, stderr."""
    command = [sys.executable, "-m", "evidencekb", "refs", "import", str(path)]
    command += ["--topic", "grading", "--kb", str(kb_dir)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    return result.returncode, result.stdout, result.stderr


def test_a_ris_end_page_written_short_is_imported_whole(grading: Path, tmp_path: Path) -> None:
    """BMJ 2008;336:924-6 as MEDLINE writes it, in SP and EP: the kb says 924-926."""
    short = GUYATT_RIS.replace("EP  - 926", "EP  - 6")
    import_references(grading, write(tmp_path, "guyatt.ris", short), "grading")
    assert reference(grading, 2) == expected(2, GUYATT_2008, "pmid", "pmcid")


def test_ekb_refs_import_writes_a_short_end_page_whole(grading: Path, tmp_path: Path) -> None:
    short = GUYATT_RIS.replace("EP  - 926", "EP  - 6")
    code, out, err = refs_import(grading, write(tmp_path, "guyatt.ris", short))
    assert (code, err) == (0, "")
    assert 'reference 2: add pages = "924-926"' in out.splitlines()


def test_a_ris_end_page_that_is_no_short_form_is_kept(grading: Path, tmp_path: Path) -> None:
    """An end that written whole would not come after the start (SP 926, EP 4) is no
    short form: the kb says what the file says, never a page it does not give."""
    odd = GUYATT_RIS.replace("SP  - 924", "SP  - 926").replace("EP  - 926", "EP  - 4")
    code, out, err = refs_import(grading, write(tmp_path, "odd.ris", odd))
    assert (code, err) == (0, "")
    assert 'reference 2: add pages = "926-4"' in out.splitlines()
    assert reference(grading, 2)["pages"] == "926-4"


@pytest.mark.parametrize("pages", ["SP  - 924-6\n", "SP  - 924-926\nEP  - 926\n"])
def test_a_ris_range_in_sp_is_imported_whole(grading: Path, tmp_path: Path, pages: str) -> None:
    """BMJ 2008;336:924-6 as EndNote exports PubMed's record, in SP alone; and SP
    holding the range with EP its last page again: the kb says 924-926 either way."""
    text = GUYATT_RIS.replace("SP  - 924\nEP  - 926\n", pages)
    code, out, err = refs_import(grading, write(tmp_path, "guyatt.ris", text))
    assert (code, err) == (0, "")
    assert 'reference 2: add pages = "924-926"' in out.splitlines()
    assert reference(grading, 2) == expected(2, GUYATT_2008, "pmid", "pmcid")


def test_ekb_refs_import_refuses_an_ep_that_does_not_end_the_range_in_sp(
    grading: Path, tmp_path: Path
) -> None:
    text = GUYATT_RIS.replace("SP  - 924\nEP  - 926\n", "SP  - 924-926\nEP  - 930\n")
    path = write(tmp_path, "guyatt.ris", text)
    before = (grading / "topics/grading/references.toml").read_bytes()
    assert refs_import(grading, path) == (
        1,
        "",
        f'Error: {path}:16: the record gives its last page twice, in SP ("924-926") and as '
        'EP ("930"); keep one\n',
    )
    assert (grading / "topics/grading/references.toml").read_bytes() == before


# The title given twice, the second the title of another work (J Clin Epidemiol
# 2020;119:126), on line 11 of GUYATT_RIS.
TWO_TITLES = GUYATT_RIS.replace("JO  - BMJ\n", f"T1  - {SANTESSO_2020['title']}\nJO  - BMJ\n")
TWO_TITLES_FAULT = (
    f'the record gives its title twice, as TI ("{GUYATT_2008["title"]}") and T1 '
    f'("{SANTESSO_2020["title"]}"); keep one'
)


def test_a_ris_title_given_twice_alike_is_imported_once(grading: Path, tmp_path: Path) -> None:
    same = GUYATT_RIS.replace("JO  - BMJ\n", f"T1  - {GUYATT_2008['title']}\nJO  - BMJ\n")
    import_references(grading, write(tmp_path, "guyatt.ris", same), "grading")
    assert reference(grading, 2) == expected(2, GUYATT_2008, "pmid", "pmcid")


def test_a_ris_title_given_twice_otherwise_is_refused(grading: Path, tmp_path: Path) -> None:
    before = (grading / "topics/grading/references.toml").read_bytes()
    path = write(tmp_path, "guyatt.ris", TWO_TITLES)
    with pytest.raises(KBError) as caught:
        import_references(grading, path, "grading")
    assert str(caught.value) == f"{path}:11: {TWO_TITLES_FAULT}"
    assert refs_import(grading, path) == (1, "", f"Error: {path}:11: {TWO_TITLES_FAULT}\n")
    assert (grading / "topics/grading/references.toml").read_bytes() == before


def test_ekb_refs_import_names_every_field_given_twice_over(grading: Path, tmp_path: Path) -> None:
    """Authors as AU and as A1 that are not the same people, and a title as TI and T1
    that differ: each at its line, then the count, as other RIS problems are."""
    text = TWO_TITLES.replace("TI  - ", "A1  - Santesso, Nancy\nTI  - ")
    path = write(tmp_path, "guyatt.ris", text)
    before = (grading / "topics/grading/references.toml").read_bytes()
    assert refs_import(grading, path) == (
        1,
        "",
        f'{path}:10: the record gives its authors twice, as AU ("Guyatt GH", "Oxman AD", '
        '"Vist GE", "Kunz R", "Falck-Ytter Y", "Alonso-Coello P", "Schünemann HJ") and A1 '
        '("Santesso N"); keep one\n'
        f"{path}:12: {TWO_TITLES_FAULT}\n"
        "Error: 2 problems found\n",
    )
    assert (grading / "topics/grading/references.toml").read_bytes() == before
