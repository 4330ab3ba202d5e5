"""refmanager's readers on exports a held-out review wrote as Zotero, EndNote, Mendeley,
JabRef (BibLaTeX) and PubMed's "Save as PubMed/MEDLINE" lay them out, whose fields were
dropped or read wrongly. Every work is real: Guyatt GH et al. BMJ 2008;336:924 (PMID
18436948, PMC2335261), listed by PubMed with its group author, the GRADE Working Group."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evidencekb.errors import KBError, ValidationError
from evidencekb.kb.refmanager import read_records
from fixtures import GUYATT_2008

GRADE = GUYATT_2008["title"]
PERSONS = GUYATT_2008["authors"]
GROUP = "GRADE Working Group"


def fields(tmp_path: Path, name: str, text: str) -> dict[str, Any]:
    """The fields of the one record of a file `name` holding `text`."""
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    (record,) = read_records(path, "grading")
    return record.fields


def test_a_medline_group_author_is_an_author_where_pubmed_lists_it(tmp_path: Path) -> None:
    """PubMed gives a group author as CN, after or among the AU lines; it was dropped."""
    persons = "".join(f"FAU - {name}\nAU  - {name}\n" for name in PERSONS)
    record = (
        f"\nPMID- 18436948\nDP  - 2008 Apr 26\nTI  - {GRADE}.\nPG  - 924-6\n{persons}"
        f"CN  - {GROUP}\nLA  - eng\nPT  - Journal Article\nTA  - BMJ\n"
    )
    assert fields(tmp_path, "grade.nbib", record)["authors"] == [*PERSONS, GROUP]
    first = record.replace(f"CN  - {GROUP}\n", "").replace("FAU", f"CN  - {GROUP}\nFAU", 1)
    assert fields(tmp_path, "first.nbib", first)["authors"] == [GROUP, *PERSONS]
    wrapped = record.replace(GROUP, "GRADE Working\n      Group").replace("\n", "\r\n")
    assert fields(tmp_path, "wrapped.nbib", wrapped)["authors"] == [*PERSONS, GROUP]


def test_biblatex_date_journaltitle_and_pubmed_eprint_are_read(tmp_path: Path) -> None:
    """JabRef's BibLaTeX gives the year in `date`, the journal in `journaltitle` and the
    PMID as an eprint of type pubmed: all three were dropped."""
    entry = (
        "% Encoding: UTF-8\n@Article{Guyatt2008,\n"
        '  author       = {Guyatt, Gordon H. and Sch{\\"u}nemann, Holger J. and others},\n'
        "  date         = {2008-04-26},\n  journaltitle = {BMJ},\n"
        f"  title        = {{{{GRADE}}{GRADE[5:]}}},\n"
        "  eprint       = {18436948},\n  eprinttype   = {pubmed},\n"
        "  number       = {7650},\n  pages        = {924--926},\n  volume       = {336},\n}\n"
    )
    read = fields(tmp_path, "jabref.bib", entry)
    assert (read["year"], read["journal"], read["pmid"]) == (2008, "BMJ", "18436948")
    assert read["title"] == GRADE
    assert read["authors"] == ["Guyatt GH", "Schünemann HJ"]
    arxiv = entry.replace("{pubmed}", "{arxiv}")
    assert "pmid" not in fields(tmp_path, "arxiv.bib", arxiv)


@pytest.mark.parametrize(
    ("issued", "year"),
    [
        ({"raw": "2008-04-26"}, 2008),
        ({"literal": "2008"}, 2008),
        ({"literal": "2008 Apr 26"}, 2008),
        ({"date-parts": [["2008", 4, 26]]}, 2008),
        ({"literal": "Spring 2008"}, None),
        ({"raw": "20080426"}, None),
    ],
)
def test_a_csl_date_given_as_text_gives_its_year(
    tmp_path: Path, issued: dict[str, Any], year: int | None
) -> None:
    """A date as citeproc-js reads it, "raw" or "literal", gave no year at all; one that
    does not start with a year still gives none, never a guess."""
    item = {"citation-number": 2, "type": "article-journal", "title": GRADE, "issued": issued}
    assert fields(tmp_path, "issued.json", json.dumps([item])).get("year") == year


def test_zoteros_journal_abbreviation_is_the_journal(tmp_path: Path) -> None:
    """Zotero's CSL-JSON gives the abbreviation PubMed uses as "journalAbbreviation"."""
    item = {
        "id": "http://zotero.org/users/local/abc/items/X7Y8Z9",
        "type": "article-journal",
        "title": GRADE,
        "container-title": "BMJ (Clinical research ed.)",
        "journalAbbreviation": "BMJ",
    }
    assert fields(tmp_path, "zotero.json", json.dumps([item]))["journal"] == "BMJ"


def test_identifiers_on_lines_of_a_note_are_read(tmp_path: Path) -> None:
    """Zotero writes a PubMed record's ids in its Extra field, "PMID: 18436948" a line,
    which its RIS, CSL-JSON and BibTeX exports may leave in a note: RIS has no tag
    for them. They were dropped."""
    ids = {"pmid": "18436948", "pmcid": "PMC2335261"}
    ris = (
        f"TY  - JOUR\r\nTI  - {GRADE}\r\nT2  - BMJ\r\nPY  - 2008\r\n"
        "N1  - PMID: 18436948\r\nPMCID: PMC2335261\r\nER  - \r\n"
    )
    assert {k: fields(tmp_path, "zotero.ris", "\ufeff" + ris)[k] for k in ids} == ids
    item = {"type": "article-journal", "title": GRADE, "note": "PMID: 18436948\nPMCID: PMC2335261"}
    assert {k: fields(tmp_path, "zotero.json", json.dumps([item]))[k] for k in ids} == ids
    bib = f"@article{{guyatt_grade_2008, title = {{{GRADE}}}, note = {{PMID: 18436948}}}}\n"
    assert fields(tmp_path, "note.bib", bib)["pmid"] == "18436948"


@pytest.mark.parametrize(
    "note",
    [
        "See also: J Clin Epidemiol. 2020;119:126-135. PMID: 31711912",  # another work's
        "PMID: 18436948\nPMID: 31711912",  # two ids: which one is the work's?
        "PMID: 018436948",  # no PMID: a leading zero
    ],
)
def test_a_note_that_does_not_give_one_identifier_alone_gives_none(
    tmp_path: Path, note: str
) -> None:
    item = {"type": "article-journal", "title": GRADE, "note": note}
    assert "pmid" not in fields(tmp_path, "note.json", json.dumps([item]))


def test_a_field_of_its_own_comes_before_a_note(tmp_path: Path) -> None:
    item = {"type": "article-journal", "title": GRADE, "PMID": "18436948"}
    item["note"] = "PMID: 31711912"
    assert fields(tmp_path, "both.json", json.dumps([item]))["pmid"] == "18436948"


def test_a_bibtex_string_is_read_and_a_bare_word_it_does_not_define_is_refused(
    tmp_path: Path,
) -> None:
    """bibtexparser replaces an @string the file defines, but leaves an undefined one,
    and values joined by '#', as written: "bmj" was read as the journal."""
    strings = "@String{bmj = {BMJ}}\n"
    entry = f"@Article{{2,\n  title = {{{GRADE}}},\n  journal = bmj,\n  month = apr,\n}}\n"
    assert fields(tmp_path, "strings.bib", strings + entry)["journal"] == "BMJ"
    with pytest.raises(KBError) as caught:
        fields(tmp_path, "undefined.bib", entry)
    assert str(caught.value).endswith(
        "undefined.bib:3: journal: 'bmj' is no @string the file defines; write the value "
        "in braces, like journal = {...}"
    )
    with pytest.raises(KBError, match=r"authors.bib:2: author: 'guyatt' is no @string"):
        fields(tmp_path, "authors.bib", "@Article{2,\n  author = guyatt,\n}\n")
    joined = entry.replace("journal = bmj", "journal = bmj # { (Clinical research ed.)}")
    with pytest.raises(ValidationError) as many:
        fields(
            tmp_path,
            "joined.bib",
            strings + joined + entry.replace("{2,", "{3,").replace("bmj", "jce"),
        )
    assert [(p.line, p.message.split(",")[0]) for p in many.value.problems] == [
        (4, "journal: joins values with '#'"),
        (9, "journal: 'jce' is no @string the file defines; write the value in braces"),
    ]


def test_a_range_written_short_is_written_whole_in_every_format(tmp_path: Path) -> None:
    """Zotero and Mendeley keep PubMed's "924-6": it was made whole from MEDLINE and
    RIS only, so one work read from a .bib or .json file had other pages."""
    bib = f"@article{{2, title = {{{GRADE}}}, pages = {{924--6}}}}\n"
    assert fields(tmp_path, "mendeley.bib", bib)["pages"] == "924-926"
    item = {"citation-number": 2, "type": "article-journal", "title": GRADE, "page": "924-6"}
    assert fields(tmp_path, "zotero.json", json.dumps([item]))["pages"] == "924-926"


def test_a_medline_doi_is_read_beside_a_publishers_item_id(tmp_path: Path) -> None:
    """PubMed gives an Elsevier article's item id (pii) and its DOI on two LID lines;
    Bio.Medline ran them into one text, refused as no DOI, so nothing was imported.
    Huang C et al. Lancet 2020;395(10223):497-506, PMID 31986264."""
    doi = "10.1016/S0140-6736(20)30183-5"
    record = (
        "PMID- 31986264\nTI  - Clinical features of patients infected with 2019 novel "
        "coronavirus in\n      Wuhan, China.\nLID - S0140-6736(20)30183-5 [pii]\n"
        f"LID - {doi} [doi]\nTA  - Lancet\n"
    )
    assert fields(tmp_path, "huang.nbib", record)["doi"] == doi
    assert fields(tmp_path, "aid.nbib", record.replace("LID", "AID"))["doi"] == doi


def test_better_biblatex_pmid_eprint_is_read(tmp_path: Path) -> None:
    """Better BibTeX's BibLaTeX export gives the PMID as an eprint of type `pmid`, not
    the manual's `pubmed`: it was dropped."""
    entry = (
        "@article{guyattGRADEEmergingConsensus2008,\n"
        f"  title = {{{{{{GRADE}}}}{GRADE[5:]}}},\n  date = {{2008-04-26}},\n"
        "  journaltitle = {BMJ (Clinical research ed.)},\n  shortjournal = {BMJ},\n"
        "  eprint = {18436948},\n  eprinttype = {pmid},\n  pages = {924--926},\n}\n"
    )
    assert fields(tmp_path, "bbt.bib", entry)["pmid"] == "18436948"
