"""refmanager's readers on what reference managers really write, and on what they
write wrong: a RIS record rispy would merge, drop or misread is refused by its line;
a citation number is named only by a bare number or this topic's `<topic>-<number>`;
names, years and containers are read as the file gives them, nothing made up; a field
given by two RIS tags is read once if they agree and refused if they differ.
Every work is real: Guyatt GH et al. BMJ 2008;336:924, Cohen SP et al. Reg Anesth
Pain Med 2018;43:521, Santesso N et al. J Clin Epidemiol 2020;119:126, Arnett DK et
al. Circulation 2019;140:e596."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evidencekb.errors import KBError, ValidationError
from evidencekb.kb.refmanager import read_records
from fixtures import GUYATT_2008, SANTESSO_2020

GRADE = GUYATT_2008["title"]
SANTESSO = SANTESSO_2020["title"]


def ris(*records: str) -> str:
    """RIS records of the given tag lines, each from TY to ER."""
    return "".join(f"TY  - JOUR\n{body}ER  - \n" for body in records)


def read(tmp_path: Path, name: str, text: str) -> list[tuple[int | None, dict[str, Any]]]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return [(record.number, record.fields) for record in read_records(path, "grading")]


def problems(tmp_path: Path, name: str, text: str) -> list[str]:
    """The `FILE:LINE: ...` lines a file is refused with, the path left out."""
    with pytest.raises(KBError) as caught:
        read(tmp_path, name, text)
    error = caught.value
    lines = [str(p) for p in error.problems] if isinstance(error, ValidationError) else [str(error)]
    return [line.removeprefix(f"{tmp_path}/") for line in lines]


def test_a_misspaced_er_is_refused_not_read_into_the_title(tmp_path: Path) -> None:
    text = ris("ID  - 2\nTI  - A\n", "ID  - 3\nTI  - B\n").replace("ER  - \nTY", "ER -\nTY", 1)
    text = text.replace("ER  - \n", "ER  -\n", 1)
    assert problems(tmp_path, "a.ris", text) == [
        "a.ris:4: 'ER -' is not a RIS tag line; a tag line is two capitals, two spaces, "
        "a hyphen and a space, like 'TI  - '",
        "a.ris:5: a record starts before the one on line 1 ended; end each record with 'ER  - '",
    ]


def test_a_record_without_er_is_refused_by_its_line(tmp_path: Path) -> None:
    merged = "TY  - JOUR\nID  - 2\nTI  - A\n" + ris("ID  - 3\nTI  - B\n")
    assert problems(tmp_path, "merged.ris", merged) == [
        "merged.ris:4: a record starts before the one on line 1 ended; end each record "
        "with 'ER  - '"
    ]
    cut = ris(f"ID  - 2\nTI  - {GRADE}\n") + "TY  - JOUR\nID  - 3\nTI  - GRADE guidelines 26\n"
    assert problems(tmp_path, "cut.ris", cut) == [
        "cut.ris:5: the record starting here has no end (is the file cut off?); end each "
        "record with 'ER  - '"
    ]


def test_a_tag_given_twice_is_refused_not_dropped(tmp_path: Path) -> None:
    text = ris(f"ID  - 2\nTI  - {GRADE}\nTI  - GRADE\nPY  - 2008\nPY  - 2009\n")
    assert problems(tmp_path, "twice.ris", text) == [
        "twice.ris:4: TI is given again (first on line 3); RIS gives TI once a record: keep one",
        "twice.ris:6: PY is given again (first on line 5); RIS gives PY once a record: keep one",
    ]


def test_lines_rispy_would_misread_are_refused(tmp_path: Path) -> None:
    stray = ris("ID  - 2\n") + "ID  - 3\nTI  - B\n"
    assert problems(tmp_path, "stray.ris", stray) == [
        "stray.ris:4: 'ID  - 3' stands outside any record; a RIS record runs from a "
        "'TY  - ' line to an 'ER  - ' line",
        "stray.ris:5: 'TI  - B' stands outside any record; a RIS record runs from a "
        "'TY  - ' line to an 'ER  - ' line",
    ]
    wrapped_author = ris("ID  - 2\nAU  - Guyatt, Gordon H\n  Oxman, Andrew D\n")
    assert problems(tmp_path, "au.ris", wrapped_author) == [
        "au.ris:4: '  Oxman, Andrew D' would be read as another author; give each author "
        "a line of its own, like 'AU  - Guyatt, Gordon H'"
    ]
    cut_value = ris("ID  - 2\nTI  -GRADE\n")  # rispy would drop the value's first letter
    assert problems(tmp_path, "cut.ris", cut_value)[0].startswith(
        "cut.ris:3: 'TI  -GRADE' is not a RIS tag line"
    )


def test_a_wrapped_title_and_blank_lines_are_read(tmp_path: Path) -> None:
    title = GRADE.replace(" of evidence", "\n  of evidence")
    text = "Provider: BMJ\n\n" + ris(f"ID  - 2\nTI  - {title}\n\nAU  - Guyatt, Gordon H\n")
    assert read(tmp_path, "wrap.ris", text) == [
        (2, {"type": "journal-article", "title": GRADE, "authors": ["Guyatt GH"]})
    ]


@pytest.mark.parametrize(
    ("own", "number"),
    [("2", 2), ("grading-2", 2), ("other-topic-2", None), ("grading-x-2", None), ("0", None)],
)
def test_only_a_bare_number_or_this_topics_name_names_a_number(
    tmp_path: Path, own: str, number: int | None
) -> None:
    assert read(tmp_path, "id.ris", ris(f"ID  - {own}\nTI  - {GRADE}\n"))[0][0] == number
    bib = f"@article{{{own}, title = {{{GRADE}}}}}\n"
    assert read(tmp_path, "key.bib", bib)[0][0] == number


def test_a_key_ending_in_a_year_names_no_number(tmp_path: Path) -> None:
    bib = f"@article{{guyatt-2008, title = {{{GRADE}}}, year = {{2008}}}}\n"
    assert read(tmp_path, "key.bib", bib) == [
        (None, {"type": "journal-article", "title": GRADE, "year": 2008})
    ]


def test_bibtex_and_others_is_et_al_not_an_author(tmp_path: Path) -> None:
    bib = f"@article{{2, title = {{{GRADE}}}, author = {{Guyatt, Gordon H. and others}}}}\n"
    assert read(tmp_path, "others.bib", bib)[0][1]["authors"] == ["Guyatt GH"]


def test_a_name_suffix_is_kept_as_medline_writes_it(tmp_path: Path) -> None:
    text = ris("ID  - 2\nAU  - Guyatt, Gordon H., Jr.\nAU  - GRADE Working Group\n")
    assert read(tmp_path, "jr.ris", text)[0][1]["authors"] == [
        "Guyatt GH Jr",
        "GRADE Working Group",
    ]
    bib = "@article{2, author = {Guyatt, Jr., Gordon H. and Oxman, Andrew D.}}\n"
    assert read(tmp_path, "jr.bib", bib)[0][1]["authors"] == ["Guyatt GH Jr", "Oxman AD"]
    item = {
        "citation-number": 2,
        "author": [{"family": "Guyatt", "given": "G. H.", "suffix": "Jr."}],
    }
    assert read(tmp_path, "jr.json", json.dumps([item]))[0][1]["authors"] == ["Guyatt GH Jr"]


def test_an_empty_name_names_no_one(tmp_path: Path) -> None:
    """`AU  - ` with nothing after it, or a CSL name of empty parts, was read as an
    author "" and refused by the check after import: it holds no name to keep."""
    text = ris("ID  - 2\nAU  - Guyatt, Gordon H.\nAU  - \nAU  - Oxman, Andrew D.\n")
    assert read(tmp_path, "gap.ris", text)[0][1]["authors"] == ["Guyatt GH", "Oxman AD"]
    item = {"citation-number": 2, "author": [{"family": ""}, {"family": "Guyatt", "given": "G"}]}
    assert read(tmp_path, "gap.json", json.dumps([item]))[0][1]["authors"] == ["Guyatt G"]


def test_csl_particles_and_given_names_alone_are_kept(tmp_path: Path) -> None:
    names = [
        {"family": "Beer", "non-dropping-particle": "De", "given": "Hanna"},  # Santesso 2020
        {"family": "Gogh", "dropping-particle": "van", "given": "Vincent"},
        {"given": "Plato"},
    ]
    item = {"citation-number": 3, "author": names}
    assert read(tmp_path, "names.json", json.dumps([item]))[0][1]["authors"] == [
        "De Beer H",
        "van Gogh V",
        "Plato",
    ]


def test_given_names_without_capitals_are_not_cut_to_an_initial(tmp_path: Path) -> None:
    text = ris("ID  - 2\nA1  - 山田, 太郎\nA1  - Müller, Hans-Peter\n")
    assert read(tmp_path, "cjk.ris", text)[0][1]["authors"] == ["山田 太郎", "Müller HP"]


def test_authors_given_as_au_and_as_a1_are_one_list_if_the_same_people(tmp_path: Path) -> None:
    """The names as read ("Guyatt, Gordon H" and "Guyatt, G. H." are both "Guyatt GH"):
    the same people are listed once, never twice over."""
    full = ["Guyatt, Gordon H", "Oxman, Andrew D", "Vist, Gunn E"]
    initials = ["Guyatt, G. H.", "Oxman, A. D.", "Vist, G. E."]
    body = "".join(f"AU  - {name}\n" for name in full)
    body += "".join(f"A1  - {name}\n" for name in initials)
    assert read(tmp_path, "both.ris", ris(f"ID  - 2\n{body}"))[0][1]["authors"] == [
        "Guyatt GH",
        "Oxman AD",
        "Vist GE",
    ]
    a1_only = ris("ID  - 2\n" + "".join(f"A1  - {name}\n" for name in full))
    assert read(tmp_path, "a1.ris", a1_only)[0][1]["authors"] == [
        "Guyatt GH",
        "Oxman AD",
        "Vist GE",
    ]


def test_authors_given_as_au_and_as_a1_that_differ_are_refused(tmp_path: Path) -> None:
    """Two lists that differ are not guessed into one, interleaved or not."""
    mixed = ris("ID  - 2\nA1  - Guyatt, Gordon H\nAU  - Oxman, Andrew D\nA1  - Vist, Gunn E\n")
    assert problems(tmp_path, "mixed.ris", mixed) == [
        'mixed.ris:4: the record gives its authors twice, as A1 ("Guyatt GH", "Vist GE") '
        'and AU ("Oxman AD"); keep one'
    ]
    fewer = ris("ID  - 2\nAU  - Guyatt, Gordon H\nAU  - Oxman, Andrew D\nA1  - Guyatt, G. H.\n")
    assert problems(tmp_path, "fewer.ris", fewer) == [
        'fewer.ris:5: the record gives its authors twice, as AU ("Guyatt GH", "Oxman AD") '
        'and A1 ("Guyatt GH"); keep one'
    ]


# Tags the reader takes one field from: a first form, a second saying the same in other
# words, one saying something else, and the value read (BMJ 2008;336:924; J Clin
# Epidemiol 2020;119:126, published online in 2019).
SAME_FIELD = [
    ("title", "TI", GRADE, "T1", GRADE.replace(" of evidence", "\n  of evidence"), SANTESSO,
     GRADE),
    ("year", "PY", "2020", "Y1", "2020/03//", "2019", 2020),
]  # fmt: skip
SAME_FIELD_NAMES = ("name", "tag", "value", "other", "same", "differs", "read_as")
SAME_FIELD_IDS = [f"{row[1]}-{row[3]}" for row in SAME_FIELD]


@pytest.mark.parametrize(SAME_FIELD_NAMES, SAME_FIELD, ids=SAME_FIELD_IDS)
def test_a_field_given_by_two_tags_is_read_once_if_alike_else_refused(
    tmp_path: Path, name: str, tag: str, value: str, other: str, same: str, differs: str,
    read_as: Any
) -> None:  # fmt: skip
    alike = ris(f"ID  - 2\n{tag}  - {value}\n{other}  - {same}\n")
    assert read(tmp_path, "same.ris", alike)[0][1][name] == read_as
    differing = ris(f"ID  - 2\n{tag}  - {value}\n{other}  - {differs}\n")
    assert problems(tmp_path, "differ.ris", differing) == [
        f'differ.ris:4: the record gives its {name} twice, as {tag} ("{value}") and '
        f'{other} ("{differs}"); keep one'
    ]


def test_every_field_given_twice_over_is_refused_at_once(tmp_path: Path) -> None:
    """Each conflict of every record, in file order, as every other RIS problem is."""
    text = ris(
        f"ID  - 2\nTI  - {GRADE}\nT1  - {SANTESSO}\nJO  - BMJ\nJF  - BMJ (Clinical research ed.)\n",
        f"ID  - 3\nT1  - {SANTESSO}\nPY  - 2020\nY1  - 2019\n",
    )
    assert problems(tmp_path, "many.ris", text) == [
        f'many.ris:4: the record gives its title twice, as TI ("{GRADE}") and T1 ("{SANTESSO}"); '
        "keep one",
        'many.ris:12: the record gives its year twice, as PY ("2020") and Y1 ("2019"); keep one',
    ]


# A journal's tags are its spellings, read fullest first: JF (the full name), a
# periodical's T2, JO (full or abbreviated), in whatever order the lines give them.
JOURNALS = [
    ("JO  - BMJ\nJF  - BMJ (Clinical research ed.)\n", "BMJ (Clinical research ed.)"),
    ("JO  - Br Med J\nT2  - BMJ\n", "BMJ"),
    ("T2  - BMJ\nJO  - Br Med J\nJF  - BMJ (Clinical research ed.)\n",
     "BMJ (Clinical research ed.)"),
    ("JO  - Br Med J\n", "Br Med J"),
]  # fmt: skip


@pytest.mark.parametrize(("tags", "journal"), JOURNALS)
def test_a_journal_given_by_several_tags_is_read_by_its_fullest(
    tmp_path: Path, tags: str, journal: str
) -> None:
    text = ris(f"ID  - 2\nTI  - {GRADE}\n{tags}")
    assert read(tmp_path, "journal.ris", text)[0][1]["journal"] == journal  # no fault


def test_a_book_title_in_t2_is_no_second_journal(tmp_path: Path) -> None:
    """Only a periodical's T2 is its journal (`_RIS_PERIODICALS`)."""
    text = "TY  - CHAP\nID  - 2\nTI  - Ketamine\nT2  - StatPearls\nJO  - StatPearls\nER  - \n"
    assert read(tmp_path, "chap.ris", text)[0][1]["journal"] == "StatPearls"
    other = text.replace("T2  - StatPearls", "T2  - StatPearls [Internet]")
    assert read(tmp_path, "chap2.ris", other)[0][1]["journal"] == "StatPearls"


# (SP, EP, pages): an end page written short, as MEDLINE writes one, is written whole
# (BMJ 2008;336:924-6, Reg Anesth Pain Med 2018;43:521-46, J Clin Epidemiol
# 2020;119:126-35); anything else is kept as the source gives it: an end written whole,
# pages with letters (Circulation 2019;140:e596-e646), and an end that written whole
# would not come after the start, which no short form is.
PAGE_RANGES = [
    ("924", "6", "924-926"),
    ("521", "46", "521-546"),
    ("126", "35", "126-135"),
    ("924", "926", "924-926"),
    ("e596", "e646", "e596-e646"),
    ("e596", "646", "e596-646"),
    ("926", "4", "926-4"),
    ("924", "4", "924-4"),
    ("924", "06", "924-06"),
]


@pytest.mark.parametrize(("start", "end", "pages"), PAGE_RANGES)
def test_an_end_page_written_short_is_written_whole(
    tmp_path: Path, start: str, end: str, pages: str
) -> None:
    """One rule for RIS's SP and EP, a range in SP (as EndNote exports PubMed's records),
    with EP its last page again or alone, and MEDLINE's PG (refmanager._full_range)."""
    given = ("SP  - {0}\nEP  - {1}\n", "SP  - {0}-{1}\n", "SP  - {0}-{1}\nEP  - {1}\n")
    for tags in given:
        text = ris(f"ID  - 2\n{tags.format(start, end)}")
        assert read(tmp_path, "pages.ris", text)[0][1]["pages"] == pages
    medline = f"PMID- 18436948\nTI  - {GRADE}.\nPG  - {start}-{end}\n"
    assert read(tmp_path, "pages.nbib", medline)[0][1]["pages"] == pages


def test_a_start_or_end_page_alone_is_kept(tmp_path: Path) -> None:
    assert read(tmp_path, "sp.ris", ris("ID  - 2\nSP  - 924\n"))[0][1]["pages"] == "924"
    assert read(tmp_path, "ep.ris", ris("ID  - 2\nEP  - 6\n"))[0][1]["pages"] == "6"


# A range in SP and an EP that is its last page written otherwise, short or whole, or
# with an en dash: the same pages (BMJ 2008;336:924-926).
@pytest.mark.parametrize(
    ("start", "end"), [("924-6", "926"), ("924-926", "6"), ("924\u2013926", "926")]
)
def test_an_ep_that_is_the_last_page_of_the_range_in_sp_adds_nothing(
    tmp_path: Path, start: str, end: str
) -> None:
    """Before, "SP 924-926" with "EP 926" was read as "924-926-926"."""
    text = ris(f"ID  - 2\nSP  - {start}\nEP  - {end}\n")
    assert read(tmp_path, "pages.ris", text)[0][1]["pages"] == "924-926"


def test_an_ep_that_does_not_end_the_range_in_sp_is_refused(tmp_path: Path) -> None:
    """Refused at the EP line, with the record's other conflicts, in file order."""
    text = ris(
        f"ID  - 2\nTI  - {GRADE}\nSP  - 924-926\nEP  - 930\n",
        f"ID  - 3\nTI  - {SANTESSO}\nT1  - {GRADE}\nSP  - 126-35\nEP  - 136\n",
    )
    assert problems(tmp_path, "pages.ris", text) == [
        'pages.ris:5: the record gives its last page twice, in SP ("924-926") and as EP '
        '("930"); keep one',
        f'pages.ris:10: the record gives its title twice, as TI ("{SANTESSO}") and T1 '
        f'("{GRADE}"); keep one',
        'pages.ris:12: the record gives its last page twice, in SP ("126-35") and as EP '
        '("136"); keep one',
    ]


def test_a_book_title_is_no_journal(tmp_path: Path) -> None:
    chapter = {"citation-number": 2, "type": "chapter", "title": "Ketamine"}
    chapter["container-title"] = "StatPearls"
    assert "journal" not in read(tmp_path, "chap.json", json.dumps([chapter]))[0][1]
    text = "TY  - CHAP\nID  - 2\nTI  - Ketamine\nT2  - StatPearls\nER  - \n"
    assert "journal" not in read(tmp_path, "chap.ris", text)[0][1]
    article = ris(f"ID  - 2\nTI  - {GRADE}\nT2  - BMJ\n")
    assert read(tmp_path, "jour.ris", article)[0][1]["journal"] == "BMJ"


@pytest.mark.parametrize(
    ("given", "year"),
    [("2008", 2008), ("2008///", 2008), ("2008/04/26/", 2008), ("20080", 20080), ("", None)],
)
def test_a_year_is_four_digits_never_the_start_of_more(
    tmp_path: Path, given: str, year: int | None
) -> None:
    """A longer number is kept whole, for the import's check to refuse."""
    fields = read(tmp_path, "py.ris", ris(f"ID  - 2\nTI  - {GRADE}\nPY  - {given}\n"))[0][1]
    assert fields.get("year") == year


@pytest.mark.parametrize(("parts", "year"), [([2018, 5], 2018), ([20180], 20180), (["2018"], 2018)])
def test_a_csl_year_is_read_whole(tmp_path: Path, parts: list[Any], year: int) -> None:
    item = {"citation-number": 1, "issued": {"date-parts": [parts]}}
    assert read(tmp_path, "y.json", json.dumps([item]))[0][1]["year"] == year


def test_control_characters_are_not_folded_into_spaces(tmp_path: Path) -> None:
    item = {"citation-number": 2, "title": "GRADE:\u001f an emerging\n consensus"}
    assert read(tmp_path, "ctl.json", json.dumps([item]))[0][1]["title"] == (
        "GRADE:\u001f an emerging consensus"
    )


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("none.ris", "Provider: BMJ\n", "none.ris: no records found; a RIS record runs from a "
         "'TY  - ' line to an 'ER  - ' line"),
        ("none.bib", "% nothing\n", "none.bib: no records found; a BibTeX entry starts with @ "
         "and its type, like '@article{2,'"),
        ("none.nbib", "\n", "none.nbib: no records found; a MEDLINE record starts with a "
         "'PMID- ' line"),
        ("none.json", "[\n]", 'none.json: no records found; CSL-JSON is a list of items, like '
         '[{"citation-number": 2, "title": "..."}]'),
        ("bad.json", '[\n{"title": 1,}]', 'bad.json:2: not a readable csl-json file (expecting '
         'property name enclosed in double quotes at column 13); CSL-JSON is a list of items, '
         'like [{"citation-number": 2, "title": "..."}]'),
    ],
)  # fmt: skip
def test_a_file_without_records_says_what_one_looks_like(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    assert problems(tmp_path, name, text) == [message]
