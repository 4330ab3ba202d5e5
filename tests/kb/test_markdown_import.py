"""`ekb import` of summaries as people write them in Markdown and its look-alikes, run
as a user runs it: superscript citations, deep nesting, reference-list headings in
Markdown, wrapped lines in the text layout, Markdown saved as .txt, underlined
headings. Each reads every statement with its own citations, or is refused with one
problem naming its line; nothing is read silently wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidencekb.kb.load import load_kb
from evidencekb.kb.summary import parse_summary
from fixtures import REFERENCED_SUMMARY, ekb_here, summary_problems

# Statements of the seed summary (ketamine for pain), with the numbers it cites.
VIABLE = (
    "Ketamine is a viable option for managing pain syndromes, particularly for patients with "
    "chronic pain conditions that don't respond well to conventional treatments, as evidenced "
    "by its ability to block NMDA receptors and interrupt pain signaling pathways"
)  # 1
MECHANISM = (
    "The mechanism of action of ketamine is primarily an antagonism of the "
    "N-methyl-D-aspartate (NMDA) receptor, although other mechanisms may be involved, "
    "including enhancement of descending inhibition and anti-inflammatory effects"
)  # 2, 3
ANALGESIA = (
    "Low-dose ketamine produces strong analgesia in neuropathic pain states, and may have a "
    "role in the treatment of opioid-resistant or pathological pain"
)  # 3
MODERATE = (
    "Ketamine has been shown to have efficacy in treating central pain, complex regional pain "
    "syndromes, fibromyalgia, and ischemic pain, although the evidence is moderate to weak"
)  # 4
WRAPPED = "Ketamine is used to treat various chronic pain syndromes,"
WRAPPED_ON = "especially those with a neuropathic component"  # 2


def run_import(kb: Path, source: Path, text: str, *more: str) -> tuple[int, str, str]:
    """`ekb import` of `text` as `source` into `kb` (topic t): exit code, stdout, stderr."""
    source.write_text(text, encoding="utf-8")
    ran = ekb_here("import", str(source), "--topic", "t", "--kb", str(kb), *more)
    return ran.exit_code, ran.stdout, ran.stderr


def created(kb: Path, claims: int, sources: int) -> str:
    cited = f"{claims} claim{'s' * (claims != 1)} citing {sources} source{'s' * (sources != 1)}"
    return f"Created {kb}/topics/t: {cited}. Curate it, then run `ekb check`.\n"


def claims_of(kb: Path) -> list[tuple[int, str | None, str, tuple[int, ...]]]:
    """The topic's claims as `ekb check` reads them: line, heading, text, citations."""
    topic = load_kb(kb).topic("t")
    return [(c.source_line, c.heading, c.text, c.citations) for c in topic.claims]


def checked(kb: Path) -> tuple[int, str, str]:
    """`ekb check` of `kb`: exit code, stdout, stderr."""
    ran = ekb_here("check", "--kb", str(kb))
    return ran.exit_code, ran.stdout, ran.stderr


def refused(kb: Path, source: Path, text: str, *problems: str, more: tuple[str, ...] = ()):
    """The import is refused with `problems` (each at its line of `source`), one
    `Error:` line, exit 1, and nothing written."""
    count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
    lines = "".join(f"{source}:{problem}\n" for problem in problems)
    assert run_import(kb, source, text, *more) == (1, "", f"{lines}Error: {count} found\n")
    assert list((kb / "topics").iterdir()) == []


# -- 1. superscripts: one marker a tag, never digits merged across tags --------------------


def test_superscript_tags_cite_each_number_they_hold(empty_kb: Path, tmp_path: Path) -> None:
    text = (
        "# Ketamine for pain management\n\n## From the Research\n\n"
        f"- {MECHANISM}<sup>2</sup><sup>3</sup>.\n"  # two tags: 2 and 3, never 12
        f"- {ANALGESIA}<sup>[3]</sup>.\n"  # a bracket in a tag: read as [3]
        f'- {MODERATE}<sup class="ref">4</sup>.\n'  # attributes: a superscript all the same
    )
    assert run_import(empty_kb, tmp_path / "s.md", text) == (0, created(empty_kb, 3, 3), "")
    assert claims_of(empty_kb) == [
        (5, None, f"{MECHANISM}.", (2, 3)),
        (6, None, f"{ANALGESIA}.", (3,)),
        (7, None, f"{MODERATE}.", (4,)),
    ]


def test_pandocs_caret_superscripts_cite_and_export_back(empty_kb: Path, tmp_path: Path) -> None:
    """pandoc writes a Word document's raised numbers as ^1^ (a space in one escaped);
    a power so written is the text's, kept word for word."""
    text = (
        "# Ketamine for pain management\n\n## From the Research\n\n"
        f"- {VIABLE}.^1^\n"
        f"- {MECHANISM}^2,\\ 3^.\n"
        f"- {ANALGESIA} at 0.5 mg/m^2^.^3^\n"
        f"- {MODERATE}.^4^\n"
    )
    assert run_import(empty_kb, tmp_path / "s.md", text) == (0, created(empty_kb, 4, 4), "")
    assert claims_of(empty_kb) == [
        (5, None, f"{VIABLE}.", (1,)),
        (6, None, f"{MECHANISM}.", (2, 3)),
        (7, None, f"{ANALGESIA} at 0.5 mg/m^2^.", (3,)),
        (8, None, f"{MODERATE}.", (4,)),
    ]
    assert checked(empty_kb)[0] == 0
    # Written back as the summary wrote them.
    exported = ekb_here("export", "--format", "text", "--topic", "t", "--kb", str(empty_kb))
    assert text in exported.stdout


# -- 2. nesting deeper than the reader goes is refused at the first line not read ----------


def nested(statements: list[str]) -> str:
    """The statements as a list each one level deeper than the last."""
    items = "".join(f"{'  ' * depth}- {line}\n" for depth, line in enumerate(statements))
    return f"# Ketamine for pain management\n\n## From the Research\n\n{items}"


def test_lists_nested_too_deep_are_refused_at_the_first_line_not_read(
    empty_kb: Path, tmp_path: Path, seed_text: str
) -> None:
    research = [line[2:] for line in seed_text.splitlines()[15:] if line.startswith("- ")]
    assert len(research) == 10
    source = tmp_path / "s.md"
    # Ten lists deep: the tenth item (line 14) is not read, nor the item after the lists.
    refused(
        empty_kb,
        source,
        nested(research) + f"\n- {MODERATE} [4].\n",
        "14: this line is nested too deep in lists or block quotes to be read; nest lists "
        "at most 9 deep and block quotes at most 19 (a list counts as two quotes)",
    )
    # Nine deep is read whole.
    assert run_import(empty_kb, source, nested(research[:9])) == (0, created(empty_kb, 9, 5), "")
    assert [line for line, *_ in claims_of(empty_kb)] == list(range(5, 14))


def test_block_quotes_nested_too_deep_are_refused(empty_kb: Path, tmp_path: Path) -> None:
    text = f"## From the Research\n\n{'> ' * 20}{ANALGESIA} [3].\n\n- {MODERATE} [4].\n"
    refused(
        empty_kb,
        tmp_path / "s.md",
        text,
        "3: this line is nested too deep in lists or block quotes to be read; nest lists "
        "at most 9 deep and block quotes at most 19 (a list counts as two quotes)",
    )


# -- 3. a reference list under a Markdown heading of any spelling ---------------------------

GRADE_LINES = REFERENCED_SUMMARY.splitlines()


@pytest.mark.parametrize(
    "heading",
    ["**References**", "__References__", "*References*", "References\n----------",
     "References\n==========", "## References"],
)  # fmt: skip
def test_a_reference_list_under_a_markdown_heading(
    empty_kb: Path, tmp_path: Path, heading: str
) -> None:
    lead, first, second = GRADE_LINES[1], GRADE_LINES[4], GRADE_LINES[5]
    text = (
        f"## From the Guidelines\n\n{lead}\n\n## From the Research\n\n"
        f"### {GRADE_LINES[3]}\n\n{first}\n{second}\n\n{heading}\n\n"
        + "\n".join(GRADE_LINES[-3:])
        + "\n"
    )
    assert run_import(empty_kb, tmp_path / "s.md", text) == (0, created(empty_kb, 3, 3), "")
    topic = load_kb(empty_kb).topic("t")
    assert [(c.heading, c.citations) for c in topic.claims] == [
        (None, (1,)),
        (GRADE_LINES[3], (2,)),
        (GRADE_LINES[3], (3,)),
    ]
    assert [r.citation_text for r in topic.references] == GRADE_LINES[-3:]


def test_footnotes_cite_and_their_definitions_are_the_reference_list(
    empty_kb: Path, tmp_path: Path
) -> None:
    """Markdown's footnotes (`… example.[^2]`, and `[^2]: Guyatt GH, …` at the end, under
    no heading) are the statements' citations and the works they cite; the summary
    exports back as written."""
    statements = [line.removeprefix("- ") for line in GRADE_LINES[4:6]]
    cited = [s.rsplit(" ", 1)[0] + f".[^{n}]" for s, n in zip(statements, (2, 3), strict=True)]
    works = [
        line.replace(f"{n}. ", f"[^{n}]: ", 1)
        for line, n in zip(GRADE_LINES[-2:], (2, 3), strict=True)
    ]
    text = "## From the Research\n\n" + "".join(f"- {c}\n" for c in cited) + "\n"
    text += "\n".join(works) + "\n"
    source = tmp_path / "s.md"
    assert run_import(empty_kb, source, text) == (0, created(empty_kb, 2, 2), "")
    topic = load_kb(empty_kb).topic("t")
    assert [(c.text, c.citations) for c in topic.claims] == [
        (statements[0].rsplit(" ", 1)[0] + ".", (2,)),
        (statements[1].rsplit(" ", 1)[0] + ".", (3,)),
    ]
    assert [(r.number, r.citation_text, r.pmid) for r in topic.references] == [
        (2, works[0], "18436948"),
        (3, works[1], "31711912"),
    ]
    exported = ekb_here("export", "--format", "text", "--topic", "t", "--kb", str(empty_kb))
    assert (exported.exit_code, exported.stdout) == (0, text)


def test_a_link_defined_for_a_citation_number_is_refused_at_its_line() -> None:
    """`[2]: https://...` makes each `[2]` a link, read as a bare 2: no citation."""
    statement = GRADE_LINES[4].rsplit(" ", 1)[0] + " [2]."
    text = (
        f"## From the Research\n\n{statement}\n\n[2]: https://pubmed.ncbi.nlm.nih.gov/18436948/\n"
    )
    problems = summary_problems(text, "s.md", "markdown")
    assert problems[-1] == (
        "s.md:5: [2]: defines a link, and Markdown reads each [2] in the text as that link, "
        "not as a citation; list the works under a References heading (2. ...) or as "
        "footnotes ([^2]: ..., cited as [^2])"
    )


# -- 4. the text layout: a statement wrapped onto the next line is refused -------------------


def test_a_wrapped_statement_in_the_text_layout_is_refused(empty_kb: Path, tmp_path: Path):
    text = (
        "From the Research\nOverview of Ketamine in Pain Management\n"
        f"- {WRAPPED}\n  {WRAPPED_ON} 2.\n- {MECHANISM} 2, 3.\n"
    )
    refused(
        empty_kb,
        tmp_path / "s.txt",
        text,
        "4: this line continues the statement on line 3, and the text layout reads one "
        "line a statement; write each statement on one line",
    )
    # Written on one line, the statement imports.
    one_line = text.replace(f"{WRAPPED}\n  ", f"{WRAPPED} ")
    assert run_import(empty_kb, tmp_path / "s.txt", one_line) == (0, created(empty_kb, 2, 2), "")
    assert claims_of(empty_kb)[0] == (
        3,
        "Overview of Ketamine in Pain Management",
        f"{WRAPPED} {WRAPPED_ON}.",
        (2,),
    )


# -- 5. Markdown saved as .txt is read as Markdown ------------------------------------------


def test_markdown_saved_as_text_is_read_as_markdown(empty_kb: Path, tmp_path: Path) -> None:
    text = (
        "## From the Guidelines\n\n*Key Points to Consider*\n\n"
        f"- {VIABLE}<sup>1</sup>.\n\n## From the Research\n\n**Efficacy**\n\n"
        f"- {ANALGESIA} [3].\n"
    )
    assert run_import(empty_kb, tmp_path / "s.txt", text) == (0, created(empty_kb, 2, 2), "")
    assert claims_of(empty_kb) == [
        (5, "Key Points to Consider", f"{VIABLE}.", (1,)),
        (11, "Efficacy", f"{ANALGESIA}.", (3,)),
    ]
    assert load_kb(empty_kb).topic("t").layout == "markdown"


# -- 6. headings underlined with --- are Markdown's, as with === ----------------------------


def test_headings_underlined_with_dashes(empty_kb: Path, tmp_path: Path) -> None:
    text = (
        f"From the Guidelines\n-------------------\n- {VIABLE} 1.\n\n"
        "From the Research\n-----------------\nEfficacy of Ketamine in Pain Management\n"
        f"- {ANALGESIA} 3.\n"
    )
    source = tmp_path / "s.txt"
    # Read as lines, the underline would be a heading: the text layout refuses it.
    refused(
        empty_kb,
        source,
        text,
        "2: a line of only '-' or '=' is Markdown's underline or rule, which the text layout "
        "does not read; remove it, or import the summary as Markdown (--layout markdown) "
        "(also on line 6)",
        more=("--layout", "text"),
    )
    assert run_import(empty_kb, source, text) == (0, created(empty_kb, 2, 2), "")
    assert claims_of(empty_kb) == [
        (3, None, f"{VIABLE}.", (1,)),
        (8, "Efficacy of Ketamine in Pain Management", f"{ANALGESIA}.", (3,)),
    ]


# -- 7. the text layout: a star with no space after it is a bullet, as a dash is -----------


def test_a_star_bullet_with_no_space_imports_its_statement(empty_kb: Path, tmp_path: Path):
    """Before, "*Ketamine ... 1." was the claim "*Ketamine ...." with its star."""
    text = (
        "From the Guidelines\n*Key Points to Consider*\n"
        f"*{VIABLE} 1.\n-{ANALGESIA} 3.\n* {MODERATE} 4.\n"
    )
    source = tmp_path / "s.txt"
    assert run_import(empty_kb, source, text, "--layout", "text") == (
        0,
        created(empty_kb, 3, 3),
        "",
    )
    heading = "*Key Points to Consider*"  # all in emphasis: a heading, as the text writes it
    assert claims_of(empty_kb) == [
        (3, heading, f"{VIABLE}.", (1,)),
        (4, heading, f"{ANALGESIA}.", (3,)),
        (5, heading, f"{MODERATE}.", (4,)),
    ]
    assert checked(empty_kb) == (0, f"{empty_kb}: OK (1 topic, 3 claims)\n", "")


# -- 8. a raised footnote mark is refused at its line, never read into its word ------------


def raised(mark: str, read: str) -> str:
    """The problem of a superscript holding `mark`, which would read as `read`."""
    return (
        f'the raised "{mark}" is a footnote mark or other text, not a citation number '
        "(<sup>1</sup>) or an ordinal ending (5<sup>th</sup>), and would be read into the "
        f'text as "{read}"; remove the mark, or write the footnote as a statement of its own'
    )


def kb_files(kb: Path) -> dict[str, bytes]:
    return {str(p.relative_to(kb)): p.read_bytes() for p in sorted(kb.rglob("*")) if p.is_file()}


def test_footnote_marks_are_refused_each_at_its_line() -> None:
    """Before, "pain<sup>a</sup>" was the claim's "paina", the mark lost without a word.
    Every mark is named at the line its <sup> stands on, beside the other problems."""
    text = (
        "## From the Research\n\n"
        "### Efficacy<sup>a</sup>\n\n"  # 3: a heading's too
        f"- {ANALGESIA}<sup>a</sup> 3.\n"  # 5
        f"- {WRAPPED}\n  {WRAPPED_ON}<sup>\u2020</sup> 2.\n"  # 6, its mark on 7
        f"- {MODERATE}<sup>b,c</sup> 4.\n"  # 8
        f"- {MECHANISM} [2] and more<sup>*</sup> 3.\n"  # 9: a marker inside too
        f"- {VIABLE}<sup>1,a</sup>.\n"  # 10: a citation with a mark
        "- Ketamine is repeated after the second<sup>nd</sup> infusion 1.\n"  # 11: no digit
    )
    assert summary_problems(text, "s.md", "markdown") == [
        f"s.md:3: {raised('a', 'Efficacya')}",
        f"s.md:5: {raised('a', 'paina')}",
        "s.md:7: " + raised("\u2020", "component\u2020"),
        f"s.md:8: {raised('b,c', 'weakb,c')}",
        's.md:9: the citation marker "[2]" inside the statement is not read; cite at the end '
        "of the statement, all its numbers in one marker, or make it two statements",
        f"s.md:9: {raised('*', 'more*')}",
        f"s.md:10: {raised('1,a', 'pathways1,a')}",
        f"s.md:11: {raised('nd', 'secondnd')}",
    ]


def test_a_footnote_mark_fails_the_import_and_writes_nothing(
    empty_kb: Path, tmp_path: Path
) -> None:
    source = tmp_path / "s.md"
    before = kb_files(empty_kb)
    text = f"## From the Research\n\n- {ANALGESIA}<sup>a</sup> in CRPS 3.\n- {MODERATE} 4.\n"
    assert run_import(empty_kb, source, text) == (
        1,
        "",
        f"{source}:3: {raised('a', 'paina')}\nError: 1 problem found\n",
    )
    assert kb_files(empty_kb) == before


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("by the 5<sup>th</sup> day of use", "by the 5th day of use"),
        ("as 1<sup>st</sup>, 2<sup>nd</sup> or 3<sup>rd</sup> line", "as 1st, 2nd or 3rd line"),
        ("at 0.5 mg/m<sup>2</sup>", "at 0.5 mg/m\u00b2"),
        ("with platelets under 100 x 10<sup>9</sup>/L", "with platelets under 100 x 10\u2079/L"),
        ("(I<sup>2</sup> = 80%)", "(I\u00b2 = 80%)"),
        ("in CD4<sup>+</sup> T cells", "in CD4+ T cells"),
        ("as serum Ca<sup>2+</sup> falls", "as serum Ca2+ falls"),
        ("as Ketalar<sup>\u00ae</sup>", "as Ketalar\u00ae"),
        ("stored at 4<sup>\u00b0</sup>C", "stored at 4\u00b0C"),
    ],
)
def test_only_the_footnote_mark_is_refused_what_reads_alike_raised_stays(
    written: str, read: str
) -> None:
    """An ordinal's ending after its digit, a power, a charge's sign, a symbol: each
    reads as the text says unraised, as before; only the footnote beside it is refused."""
    text = f"## From the Research\n\n- {ANALGESIA} {written} 3.\n- {MODERATE}<sup>a</sup> 4.\n"
    assert summary_problems(text, "s.md", "markdown") == [f"s.md:4: {raised('a', 'weaka')}"]
    statement, _ = parse_summary(text.replace("<sup>a</sup>", ""), "s.md", "markdown")
    assert (statement.text, statement.citations) == (f"{ANALGESIA} {read}.", (3,))


def test_the_mark_removed_as_told_the_ordinal_imports_as_5th_and_checks(
    empty_kb: Path, tmp_path: Path
) -> None:
    source = tmp_path / "s.md"
    text = (
        "## From the Research\n\n"
        f"- {ANALGESIA} by the 5<sup>th</sup> day<sup>\u2021</sup> of use 3.\n- {MODERATE} 4.\n"
    )
    assert run_import(empty_kb, source, text) == (
        1,
        "",
        f"{source}:3: " + raised("\u2021", "day\u2021") + "\nError: 1 problem found\n",
    )
    text = text.replace("<sup>\u2021</sup>", "")
    assert run_import(empty_kb, source, text) == (0, created(empty_kb, 2, 2), "")
    assert claims_of(empty_kb) == [
        (3, None, f"{ANALGESIA} by the 5th day of use.", (3,)),
        (4, None, f"{MODERATE}.", (4,)),
    ]
    assert checked(empty_kb) == (0, f"{empty_kb}: OK (1 topic, 2 claims)\n", "")


# -- 6. negative powers: raised as the text says, never taken for a citation ---------------

# A P value and an infusion rate, each with its negative power: the hyphen-minus a
# keyboard writes, raised as the superscript minus a reader sees.
SIGNIFICANT = "P < 10<sup>-5</sup>"
RATE = "at up to 1 mg\u00b7kg<sup>-1</sup>\u00b7h<sup>-1</sup>"


@pytest.mark.parametrize(
    ("written", "read", "citations"),
    [
        (f" {SIGNIFICANT} 3.", " P < 10\u207b\u2075.", (3,)),
        (f" {RATE} 3.", " at up to 1 mg\u00b7kg\u207b\u00b9\u00b7h\u207b\u00b9.", (3,)),
        (f" {SIGNIFICANT} in CRPS<sup>3</sup>.", " P < 10\u207b\u2075 in CRPS.", (3,)),
        # At the statement's end the power is the text's, not a citation 5 or 1.
        (f" {SIGNIFICANT}.", " P < 10\u207b\u2075.", ()),
        (f" {RATE}.", " at up to 1 mg\u00b7kg\u207b\u00b9\u00b7h\u207b\u00b9.", ()),
        (f" {SIGNIFICANT}.<sup>3</sup>", " P < 10\u207b\u2075.", (3,)),
        # A range has a number before its dash: it cites, as before.
        ("<sup>1-3</sup>.", ".", (1, 2, 3)),
    ],
)
def test_a_negative_power_is_raised_and_cites_nothing(
    written: str, read: str, citations: tuple[int, ...]
) -> None:
    """Before, "10<sup>-5</sup>" inside a statement was refused as the citation marker
    "\u2075", and at its end read as citing 5, the text left "P < 10\u207b."."""
    text = f"## From the Research\n\n- {ANALGESIA}{written}\n"
    statement, *_ = parse_summary(text, "s.md", "markdown")
    assert (statement.text, statement.citations) == (f"{ANALGESIA}{read}", citations)


def test_a_range_inside_a_statement_is_still_refused_beside_a_power() -> None:
    text = f"## From the Research\n\n- {ANALGESIA}<sup>1-3</sup>, {SIGNIFICANT} 3.\n"
    assert summary_problems(text, "s.md", "markdown") == [
        's.md:3: the citation marker "\u00b9\u207b\u00b3" inside the statement is not read; '
        "cite at the end of the statement, all its numbers in one marker, or make it two "
        "statements"
    ]


def test_negative_powers_import_and_check(empty_kb: Path, tmp_path: Path) -> None:
    source = tmp_path / "s.md"
    text = (
        "## From the Research\n\n"
        f"- {ANALGESIA} {RATE}. 3\n"
        f"- {MODERATE}, {SIGNIFICANT}.<sup>4</sup>\n"
        f"- {MECHANISM}, {SIGNIFICANT}.\n"
    )
    assert run_import(empty_kb, source, text) == (0, created(empty_kb, 3, 2), "")
    assert claims_of(empty_kb) == [
        (3, None, f"{ANALGESIA} at up to 1 mg\u00b7kg\u207b\u00b9\u00b7h\u207b\u00b9.", (3,)),
        (4, None, f"{MODERATE}, P < 10\u207b\u2075.", (4,)),
        (5, None, f"{MECHANISM}, P < 10\u207b\u2075.", ()),
    ]
    assert checked(empty_kb) == (0, f"{empty_kb}: OK (1 topic, 3 claims)\n", "")


@pytest.mark.parametrize("minus", ["\u2212", "\u2013"])
def test_a_negative_power_written_with_a_minus_sign_or_en_dash_is_raised_alike(
    minus: str,
) -> None:
    """As word processors write it: the minus sign, or an en dash for one."""
    text = f"## From the Research\n\n- {ANALGESIA} P < 10<sup>{minus}5</sup> 3.\n"
    statement, *_ = parse_summary(text, "s.md", "markdown")
    assert (statement.text, statement.citations) == (f"{ANALGESIA} P < 10\u207b\u2075.", (3,))


@pytest.mark.parametrize("dash", ["-", "\u2013", "\u2014", "\u2212"])
def test_a_raised_range_cites_its_numbers_whatever_its_dash(dash: str) -> None:
    """Before, a range with an en dash, em dash or minus sign was read unraised,
    "CRPS1\u20133.", its citations lost without a word."""
    text = f"## From the Research\n\n- {ANALGESIA} in CRPS<sup>1{dash}3</sup>.\n"
    statement, *_ = parse_summary(text, "s.md", "markdown")
    assert (statement.text, statement.citations) == (f"{ANALGESIA} in CRPS.", (1, 2, 3))
