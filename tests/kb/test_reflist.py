"""`ekb import` of a summary with a reference list: records filled only from what
each line says, every line kept verbatim, numbers checked, the text round-tripping."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from evidencekb.errors import ValidationError
from evidencekb.kb.exporter import summary_text
from evidencekb.kb.importer import import_summary
from evidencekb.kb.load import load_kb
from evidencekb.kb.reflist import HEADING, list_start, parse_reference_list, read_entry
from evidencekb.model import Topic
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
    listed = parse_reference_list(lines, "s.txt", {1: 2, 2: 5, 3: 6}, "markdown")
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
        "grade-summary.txt:10: not a numbered reference: a work's next line goes on with "
        "it only indented under it; indent it if it goes on with the work on line 9 (or "
        "join the two lines), or number it as '1. ...', '[1] ...' or '1) ...'",
        "grade-summary.txt:11: reference 1 is listed twice (first on line 9)",
    ]


# The summary's statements as Markdown writes them: its headings marked, a blank line
# under each.
MARKDOWN_HEAD = (
    REFERENCED_SUMMARY.split("\nReferences\n")[0]
    .replace("From the Guidelines\n", "## From the Guidelines\n\n")
    .replace("From the Research\n", "## From the Research\n\n")
    .replace("Rating the quality of evidence\n", "### Rating the quality of evidence\n\n")
)


def markdown_imported(kb_dir: Path, tmp_path: Path, text: str) -> Topic:
    """The topic `ekb import` makes of `text` as a Markdown summary (ekb check passes)."""
    source = tmp_path / "grade-summary.md"
    source.write_text(text, encoding="utf-8")
    import_summary(kb_dir, source, "grading")
    return load_kb(kb_dir).topic("grading")


def markdown_refused(kb_dir: Path, tmp_path: Path, text: str) -> list[str]:
    """The problems `ekb import` refuses `text` with as a Markdown summary."""
    with pytest.raises(ValidationError) as caught:
        markdown_imported(kb_dir, tmp_path, text)
    return [str(p).removeprefix(f"{tmp_path}/") for p in caught.value.problems]


def wrapped(line: str, indent: str) -> str:
    """A reference list's line wrapped at 80 characters, as an editor wraps Markdown."""
    return textwrap.fill(line, 80, subsequent_indent=indent, break_on_hyphens=False)


@pytest.mark.parametrize("indent", ["  ", "   "])
def test_markdown_reads_a_work_wrapped_over_several_lines(
    empty_kb: Path, tmp_path: Path, indent: str
) -> None:
    listed = [wrapped(line, indent) for line in LIST_LINES]
    text = "\n".join([MARKDOWN_HEAD, "## References", *listed, ""])
    topic = markdown_imported(empty_kb, tmp_path, text)
    # Each work's text is its lines joined, as a page shows them: the line as written.
    assert [r.citation_text for r in topic.references] == LIST_LINES
    assert topic.references[0].doi == COHEN_2018["doi"]
    assert topic.references[2].pmid == SANTESSO_2020["pmid"]
    assert summary_text(topic) == text  # written back wrapped, as the summary has it


@pytest.mark.parametrize("form", ["- [{n}] ", "* [{n}] ", "- {n}. ", "{n}\\. ", "{n}\\) "])
def test_markdown_lists_of_works_numbered_after_a_bullet_or_escaped(
    empty_kb: Path, tmp_path: Path, form: str
) -> None:
    """A bullet list whose items start with the work's number, and the escaped number
    pandoc writes for a numbered paragraph, number the works as they read."""
    listed = [form.format(n=n) + line.split(" ", 1)[1] for n, line in enumerate(LIST_LINES, 1)]
    text = "\n".join([MARKDOWN_HEAD, "## References", "", *listed, ""])
    topic = markdown_imported(empty_kb, tmp_path, text)
    assert [r.citation_text for r in topic.references] == listed  # verbatim
    assert topic.references[1].pmcid == "PMC2335261"
    assert summary_text(topic) == text


@pytest.mark.parametrize("form", ["{n} ", "{n}\t", "{raised} ", "{raised}"])
def test_endnotes_numbered_bare_or_raised(empty_kb: Path, tmp_path: Path, form: str) -> None:
    """Endnotes copied from a word processor or a PDF keep their number bare or raised,
    "1 Cohen SP ..." or "\u00b9 Cohen SP ...": each is the work of that number."""
    raised = str.maketrans(
        "0123456789", "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"
    )
    listed = [
        form.format(n=n, raised=str(n).translate(raised)) + line.split(" ", 1)[1]
        for n, line in enumerate(LIST_LINES, 1)
    ]
    imported(
        empty_kb, tmp_path, REFERENCED_SUMMARY.replace("\n".join(LIST_LINES), "\n".join(listed))
    )
    topic = load_kb(empty_kb).topic("grading")
    assert [r.number for r in topic.references] == [1, 2, 3]
    assert topic.references[1].pmcid == "PMC2335261"
    assert [r.citation_text for r in topic.references] == [
        line.replace("\t", " ") for line in listed
    ]


def test_a_tab_after_the_number_is_the_lists_spacing(empty_kb: Path, tmp_path: Path) -> None:
    """A word processor numbers a list with a tab ("1.<tab>Cohen SP"): it is written as
    a space (no one-line field holds a tab)."""
    numbered = "\n".join(line.replace(". ", ".\t", 1) for line in LIST_LINES)
    imported(empty_kb, tmp_path, REFERENCED_SUMMARY.replace("\n".join(LIST_LINES), numbered))
    topic = load_kb(empty_kb).topic("grading")
    assert [r.citation_text for r in topic.references] == LIST_LINES


def test_tabs_after_a_bullet_and_number_are_the_lists_spacing(
    empty_kb: Path, tmp_path: Path
) -> None:
    listed = [f"-\t[{n}]\t" + line.split(" ", 1)[1] for n, line in enumerate(LIST_LINES, 1)]
    text = "\n".join([MARKDOWN_HEAD, "## References", "", *listed, ""])
    topic = markdown_imported(empty_kb, tmp_path, text)
    assert [r.citation_text for r in topic.references] == [
        line.replace("\t", " ") for line in listed
    ]


def test_a_tab_in_a_works_words_is_refused_at_its_line(empty_kb: Path, tmp_path: Path) -> None:
    inside = LIST_LINES[1].replace("GRADE: an", "GRADE:\tan")
    # Its statement's "no entry 2" would only repeat the problem.
    assert refused(empty_kb, tmp_path, REFERENCED_SUMMARY.replace(LIST_LINES[1], inside)) == [
        "grade-summary.txt:10: the reference contains the control character U+0009; remove it",
    ]


def test_footnotes_wrapped_over_several_lines(empty_kb: Path, tmp_path: Path) -> None:
    failure = "Failure to consider the quality of evidence can lead to misguided recommendations"
    statements = [
        f"- {failure}.[^1]",
        "- Producers and users of systematic reviews found statements to communicate",
        "  findings combining size and certainty of an effect acceptable.[^2]",
    ]
    notes = [f"[^{n}]: " + line.split(" ", 1)[1] for n, line in enumerate(LIST_LINES[1:], 1)]
    defined = [wrapped(note, "    ") for note in notes]
    text = "\n".join(["# Rating evidence", "", *statements, "", *defined])
    source = tmp_path / "grade-summary.md"
    source.write_text(text + "\n", encoding="utf-8")
    import_summary(empty_kb, source, "grading", section="research")
    topic = load_kb(empty_kb).topic("grading")
    assert [r.citation_text for r in topic.references] == notes
    assert [c.citations for c in topic.claims] == [(1,), (2,)]


def test_an_indented_line_under_a_refused_one_is_not_refused_again(
    empty_kb: Path, tmp_path: Path
) -> None:
    guyatt = LIST_LINES[1]
    cut = guyatt.index(" GRADE:")
    unnumbered = f"{guyatt[3:cut]}\n   {guyatt[cut + 1 :]}"
    assert refused(empty_kb, tmp_path, REFERENCED_SUMMARY.replace(guyatt, unnumbered)) == [
        "grade-summary.txt:5: the statement cites 2, but the reference list on line 8 has "
        "no entry 2",
        "grade-summary.txt:10: not a numbered reference: a work's next line goes on with "
        "it only indented under it; indent it if it goes on with the work on line 9 (or "
        "join the two lines), or number it as '1. ...', '[1] ...' or '1) ...'",
    ]


def test_the_text_layout_reads_a_work_wrapped_with_a_hanging_indent(
    empty_kb: Path, tmp_path: Path
) -> None:
    listed = [wrapped(line, "   ") for line in LIST_LINES]
    text = REFERENCED_SUMMARY.replace("\n".join(LIST_LINES), "\n".join(listed))
    imported(empty_kb, tmp_path, text)
    topic = load_kb(empty_kb).topic("grading")
    assert topic.layout == "text"
    assert [r.citation_text for r in topic.references] == LIST_LINES
    assert summary_text(topic) == text


@pytest.mark.parametrize(
    ("under", "problem"),
    [
        ("## Appendix", "a heading"),
        ("- Note: see the consensus guidelines", "a bullet"),
        ("> Ketamine should be given in a monitored setting", "a quote"),
        ("***", "a rule"),
    ],
)
def test_a_line_that_starts_a_block_of_its_own_ends_the_work_above(
    empty_kb: Path, tmp_path: Path, under: str, problem: str
) -> None:
    """CommonMark never joins a heading, bullet, quote or rule to the list item above:
    such a line under a work is refused at its line, not taken into the work's text."""
    text = "\n".join([MARKDOWN_HEAD, "## References", *LIST_LINES, under, ""])
    assert markdown_refused(empty_kb, tmp_path, text) == [
        "grade-summary.md:15: not a numbered reference: a heading, bullet, quote, rule or "
        "tag starts a block of its own, which the reference list (to the summary's end) "
        "does not hold; move it above the list's heading, or write the work as '1. ...', "
        "'[1] ...' or '1) ...'"
    ], problem


def test_what_a_markdown_item_holds_goes_on_with_its_work(empty_kb: Path, tmp_path: Path) -> None:
    """A list nested in a work's item, a line of its source that starts with a number
    ("43 No. 5, ..."), text starting with "<" that is no tag: CommonMark reads each as
    the item's; endnotes numbered one after another, no blank between, stay works."""
    cohen, guyatt, santesso = LIST_LINES
    # Cohen 2018 as a Harvard-style list writes it, wrapped before its volume.
    harvard = cohen.split(" Reg Anesth")[0] + " Reg Anesth Pain Med,"
    listed = [
        harvard,
        "   Vol. 43 No. 5, pp. 521-546. doi:10.1097/AAP.0000000000000808",
        guyatt.split(" PMID:")[0],
        "   - PMID: 18436948; PMCID: PMC2335261.",
        santesso,
    ]
    text = "\n".join([MARKDOWN_HEAD, "## References", *listed, ""])
    topic = markdown_imported(empty_kb, tmp_path, text)
    assert [r.citation_text for r in topic.references] == [
        " ".join(line.strip() for line in listed[:2]),
        " ".join(line.strip() for line in listed[2:4]),
        santesso,
    ]
    assert (topic.references[1].pmid, topic.references[0].doi) == ("18436948", COHEN_2018["doi"])


def test_an_unindented_line_under_a_work_is_no_part_of_it(empty_kb: Path, tmp_path: Path) -> None:
    """Guyatt's line, its number lost, right under Cohen's: joined, it would give Cohen's
    reference Guyatt's PMID and PMCID. Only a line indented under a work goes on with it."""
    guyatt = LIST_LINES[1].split(" ", 1)[1]
    listed = [LIST_LINES[0], guyatt, LIST_LINES[2]]
    text = "\n".join([MARKDOWN_HEAD, "## References", *listed, ""])
    assert markdown_refused(empty_kb, tmp_path, text) == [
        "grade-summary.md:8: the statement cites 2, but the reference list on line 11 has "
        "no entry 2",
        "grade-summary.md:13: not a numbered reference: a work's next line goes on with it "
        "only indented under it; indent it if it goes on with the work on line 12 (or join "
        "the two lines), or number it as '1. ...', '[1] ...' or '1) ...'",
    ]


def test_a_numbered_line_indented_under_a_work_is_never_joined_to_it(
    empty_kb: Path, tmp_path: Path
) -> None:
    """Guyatt's line indented deeper than Cohen's is his work, not Cohen's next line:
    joined, it gave Cohen's reference Guyatt's PMID. (A bare number out of order, "43
    No. 5, pp. ..." wrapped or an endnote out of place, is refused, never guessed.)"""
    cohen, guyatt, santesso = LIST_LINES
    text = "\n".join([MARKDOWN_HEAD, "## References", cohen, f"  {guyatt}", santesso, ""])
    topic = markdown_imported(empty_kb, tmp_path, text)
    assert [(r.number, r.pmid) for r in topic.references][:2] == [(1, None), (2, "18436948")]


def test_a_bare_number_out_of_order_under_a_work_is_refused(empty_kb: Path, tmp_path: Path) -> None:
    cohen, guyatt, santesso = LIST_LINES
    harvard = cohen.split(" 2018;")[0]
    text = "\n".join(
        [MARKDOWN_HEAD, "## References", harvard, "   43 No. 5, pp. 521-546.", guyatt, santesso, ""]
    )
    assert markdown_refused(empty_kb, tmp_path, text)[-1] == (
        "grade-summary.md:13: this line, indented under the work on line 12, starts with a "
        "number that is not the next work's: join it to that line if it goes on with the "
        "work, or number the works in order"
    )


def test_a_numbered_list_under_a_refused_line_is_refused_line_by_line(
    empty_kb: Path, tmp_path: Path
) -> None:
    """A list nested under a work ("   1. doi:...", "   2. PMID: ...") is refused line by
    line: its "2." is no second work, which would have blamed Guyatt's line as listed twice."""
    cohen, guyatt, santesso = LIST_LINES
    nested = ["   1. doi:10.1097/AAP.0000000000000808", "   2. PMID: 29870458"]
    text = "\n".join(
        [MARKDOWN_HEAD, "## References", cohen.split(" doi:")[0], *nested, guyatt, santesso, ""]
    )
    assert markdown_refused(empty_kb, tmp_path, text) == [
        "grade-summary.md:13: this line, indented under the work on line 12, starts with a "
        "number that is not the next work's: join it to that line if it goes on with the "
        "work, or number the works in order",
        "grade-summary.md:14: this numbered line is indented under line 13, which is no "
        "work: write each work unindented, as '1. ...', '[1] ...' or '1) ...'",
    ]


def test_an_identifier_ended_before_the_next_lines_word_is_kept(
    empty_kb: Path, tmp_path: Path
) -> None:
    """A line wrapped after a whole DOI, the next starting with a word ("PMID: ..."),
    keeps the DOI: only one that may go on past the wrap is left out."""
    santesso = LIST_LINES[2]
    cut = santesso.index(" PMID:")
    text = "\n".join(
        [
            MARKDOWN_HEAD,
            "## References",
            *LIST_LINES[:2],
            santesso[:cut],
            f"  {santesso[cut + 1 :]}",
            "",
        ]
    )
    topic = markdown_imported(empty_kb, tmp_path, text)
    assert (topic.references[2].doi, topic.references[2].pmid) == (
        SANTESSO_2020["doi"],
        SANTESSO_2020["pmid"],
    )


@pytest.mark.parametrize("after", ["10.1016/j.", "10.1016/j.jclinepi."])
def test_an_identifier_broken_after_a_period_is_left_out(
    empty_kb: Path, tmp_path: Path, after: str
) -> None:
    """PDFs break a DOI after a period ("10.1016/j." over "jclinepi..."): read up to
    the wrap it would be a shorter DOI, another identifier."""
    santesso = LIST_LINES[2]
    cut = santesso.index(after) + len(after)
    wrapped = [santesso[:cut], f"   {santesso[cut:]}"]
    text = "\n".join([MARKDOWN_HEAD, "## References", *LIST_LINES[:2], *wrapped, ""])
    topic = markdown_imported(empty_kb, tmp_path, text)
    assert (topic.references[2].doi, topic.references[2].pmid) == (None, SANTESSO_2020["pmid"])


def test_an_identifier_cut_by_a_wrap_is_left_out(empty_kb: Path, tmp_path: Path) -> None:
    """A DOI wrapped onto the next line ("...AAP.00000" over "00000808") would read as
    another, shorter identifier: left out, never guessed; the text keeps it whole."""
    cohen = LIST_LINES[0]
    cut = cohen.index("00000808")
    text = "\n".join(
        [MARKDOWN_HEAD, "## References", cohen[:cut], f"   {cohen[cut:]}", *LIST_LINES[1:], ""]
    )
    topic = markdown_imported(empty_kb, tmp_path, text)
    assert topic.references[0].citation_text == f"{cohen[:cut]} {cohen[cut:]}"
    assert topic.references[0].doi is None


def test_endnotes_one_after_another_stay_works_in_markdown(empty_kb: Path, tmp_path: Path) -> None:
    listed = [f"{n} " + line.split(" ", 1)[1] for n, line in enumerate(LIST_LINES, 1)]
    text = "\n".join([MARKDOWN_HEAD, "## References", *listed, ""])
    topic = markdown_imported(empty_kb, tmp_path, text)
    assert [r.citation_text for r in topic.references] == listed


def test_an_editors_comment_between_the_works_is_skipped(empty_kb: Path, tmp_path: Path) -> None:
    """A Markdown page does not show an HTML comment: it is no work, nor part of one."""
    note = "<!-- check the DOI against the publisher's page -->\n<!-- a note\n  on two lines -->"
    text = "\n".join([MARKDOWN_HEAD, "## References", LIST_LINES[0], note, *LIST_LINES[1:], ""])
    topic = markdown_imported(empty_kb, tmp_path, text)
    assert [r.citation_text for r in topic.references] == LIST_LINES
    assert summary_text(topic) == text


def test_characters_that_show_as_nothing_do_not_hide_the_list_or_stick_to_a_doi(
    empty_kb: Path, tmp_path: Path
) -> None:
    """A zero-width space pasted after the heading hid the list (each work became a claim
    citing nothing), and one after a DOI became part of it, so that no notice matched."""
    text = (
        REFERENCED_SUMMARY.replace("\nReferences\n", "\nReferences\u200b\n")
        .replace("0000808", "0000808\u200b")
        .replace("PMID: 18436948;", "PMID: 18436948\u2060;")
    )
    imported(empty_kb, tmp_path, text)
    topic = load_kb(empty_kb).topic("grading")
    assert topic.references[0].doi == COHEN_2018["doi"]
    assert topic.references[1].pmid == "18436948"
    assert len(topic.claims) == 3


def test_a_line_under_a_blank_one_is_no_wrapped_line(empty_kb: Path, tmp_path: Path) -> None:
    footer = ["", "Last reviewed in 2024.", ""]
    text = "\n".join([MARKDOWN_HEAD, "## References", *LIST_LINES, *footer])
    assert markdown_refused(empty_kb, tmp_path, text) == [
        "grade-summary.md:16: not a numbered reference: write one work a line, as "
        "'1. ...', '[1] ...' or '1) ...'"
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
