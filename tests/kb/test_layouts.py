"""Summaries in every layout: the seed as Markdown and in the article layout (its own
sentences, rewritten as an editor would), citation numbers in every common spelling,
parts, titles, heading paths, lead-ins, refusals, and the round trip of each layout."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import tomli_w

from evidencekb.errors import KBError, ValidationError
from evidencekb.kb.exporter import summary_text
from evidencekb.kb.importer import import_summary
from evidencekb.kb.layouts import detect_layout, line_blocks
from evidencekb.kb.load import load_kb
from evidencekb.kb.markdown_layout import markdown_blocks
from evidencekb.kb.strength import derive_strength
from evidencekb.kb.summary import Statement, parse_summary, read_document
from fixtures import REPO, summary_problems

SUMMARIES = REPO / "tests" / "data" / "summaries"
MARKDOWN = SUMMARIES / "ketamine-pain.md"
ARTICLE = SUMMARIES / "ketamine-pain-guidelines.txt"


def imported(
    kb: Path, source: Path, slug: str = "t", title: str | None = None, section: str | None = None
) -> Path:
    import_summary(kb, source, slug, title=title, section=section)
    return kb / "topics" / slug


def seed_statements(seed_text: str) -> list[tuple[str, str | None, str, tuple[int, ...]]]:
    return [(s.section, s.heading, s.text, s.citations) for s in parse_summary(seed_text, "s")]


def as_tuples(
    statements: tuple[Statement, ...],
) -> list[tuple[str, str | None, str, tuple[int, ...]]]:
    return [(s.section, s.heading, s.text, s.citations) for s in statements]


# -- the seed as Markdown ----------------------------------------------------------------


def test_the_seed_as_markdown_imports_as_the_seed(empty_kb: Path, seed_text: str) -> None:
    imported(empty_kb, MARKDOWN, "ketamine-md")
    topic = load_kb(empty_kb).topic("ketamine-md")  # `ekb check` passes
    claims = [(c.section, c.heading, c.text, c.citations) for c in topic.claims]
    assert claims == seed_statements(seed_text)
    assert topic.title == "Ketamine for pain management"  # from its first line
    assert (topic.layout, topic.source) == ("markdown", "ketamine-pain.md")
    assert topic.source_text == MARKDOWN.read_text(encoding="utf-8")


def test_markdown_exports_back_to_the_same_markdown(empty_kb: Path) -> None:
    imported(empty_kb, MARKDOWN)
    assert summary_text(load_kb(empty_kb).topic("t")) == MARKDOWN.read_text(encoding="utf-8")


def test_markdown_reads_emphasis_wrapped_lines_and_numbered_items(empty_kb: Path) -> None:
    imported(empty_kb, MARKDOWN)
    claims = {c.source_line: c for c in load_kb(empty_kb).topic("t").claims}
    # "*multimodal*" is emphasis; the claim is the text a reader reads.
    assert "a larger multimodal approach" in claims[18].text
    # A list item wrapped over lines 11-12 is one statement, at its first line.
    wrapped = "over 1-4 hours, with treatment protocols often involving a series of 4-6"
    assert claims[11].text.endswith(f"{wrapped} infusions over 1-2 weeks.")
    assert 12 not in claims
    assert claims[19].heading == "Clinical Considerations"  # a numbered item, not a heading


def test_check_holds_markdown_claims_to_what_the_line_reads(empty_kb: Path) -> None:
    topic_dir = imported(empty_kb, MARKDOWN)
    claims_file = topic_dir / "claims.toml"
    data = tomllib.loads(claims_file.read_text(encoding="utf-8"))
    (claim,) = (c for c in data["claim"] if c["source_line"] == 18)
    claim["text"] = claim["text"].replace("multimodal", "*multimodal*")
    claims_file.write_text(tomli_w.dumps(data), encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        load_kb(empty_kb)
    assert [p.message for p in caught.value.problems] == [
        "text is not on line 18 of source.txt word for word, and claim text must be "
        "verbatim: undo the edit; or, if the source itself says so now, edit line 18 of "
        "source.txt too, or import it again (ekb import SOURCE --topic t --replace)"
    ]


def test_check_names_the_layouts_allowed(empty_kb: Path) -> None:
    topic_file = imported(empty_kb, MARKDOWN) / "topic.toml"
    text = topic_file.read_text(encoding="utf-8")
    topic_file.write_text(text.replace('layout = "markdown"', 'layout = "markdwn"'), "utf-8")
    with pytest.raises(ValidationError) as caught:
        load_kb(empty_kb)
    assert [str(p).removeprefix(f"{empty_kb}/") for p in caught.value.problems] == [
        "topics/t/topic.toml:4: unknown layout 'markdwn' (did you mean 'markdown'?); "
        "allowed: text, markdown, article"
    ]


# -- the article layout --------------------------------------------------------------------


def test_the_article_layout_imports_with_section(empty_kb: Path, seed_text: str) -> None:
    imported(empty_kb, ARTICLE, section="guidelines")
    topic = load_kb(empty_kb).topic("t")
    guidelines = seed_statements(seed_text)[:10]
    # The article writes two cited statements without their final period ("... 1").
    expected = [
        (section, heading, text if n not in (0, 9) else text.removesuffix("."), cited)
        for n, (section, heading, text, cited) in enumerate(guidelines)
    ]
    assert [(c.section, c.heading, c.text, c.citations) for c in topic.claims] == expected
    assert (topic.title, topic.layout) == ("Ketamine for pain management", "article")
    assert summary_text(topic) == ARTICLE.read_text(encoding="utf-8")


def test_an_article_without_section_is_refused_once(empty_kb: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        import_summary(empty_kb, ARTICLE, "t")
    assert [str(p) for p in caught.value.problems] == [
        f'{ARTICLE}:1: no part heading ("From the Guidelines" or "From the Research"): pass '
        "--section guidelines or --section research to import the summary as one part"
    ]
    assert list((empty_kb / "topics").iterdir()) == []


def test_section_is_refused_for_a_summary_with_parts(empty_kb: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        import_summary(empty_kb, MARKDOWN, "t", section="research")
    assert [str(p) for p in caught.value.problems] == [
        f"{MARKDOWN}:3: --section is for a summary without part headings, and this one has "
        '"From the Guidelines": leave --section out'
    ]
    with pytest.raises(KBError, match=r"^--section 'other' is not a part; allowed: guidelines, "):
        import_summary(empty_kb, ARTICLE, "t", section="other")


def test_titles_come_from_the_option_then_the_title_line_then_the_slug(
    empty_kb: Path, tmp_path: Path, seed_text: str
) -> None:
    imported(empty_kb, MARKDOWN, "a", title="Ketamine (curated title)")
    seed = tmp_path / "seed.txt"
    seed.write_text(seed_text, encoding="utf-8")
    imported(empty_kb, seed, "ketamine-pain")
    titled = tmp_path / "titled.txt"
    titled.write_text("Ketamine for pain management\n" + seed_text, encoding="utf-8")
    imported(empty_kb, titled, "b")
    kb = load_kb(empty_kb)
    assert [t.title for t in kb.topics] == [
        "Ketamine (curated title)",
        "Ketamine for pain management",
        "Ketamine pain",
    ]
    # The plain seed keeps no layout key: it is read as every topic was before layouts.
    assert "layout" not in (empty_kb / "topics/ketamine-pain/topic.toml").read_text()
    assert kb.topic("b").layout == "text"


# -- structure: heading paths, lead-ins, problems once per cause -----------------------------

SEED_LINES = {
    "lead": "Ketamine is used to treat various chronic pain syndromes, especially those with "
    "a neuropathic component",
    "routes": "Ketamine can be administered via multiple routes, including oral, nasal, rectal, "
    "intravenous, intramuscular, subcutaneous, transdermal, sublingual, and intraosseous "
    "administration",
    "recreational": "The recreational use of ketamine is associated with additional risks, "
    "including bladder and renal complications, persistent psychotypical behavior, and memory "
    "defects",
    "restricted": "Ketamine administration should be restricted to patients with "
    "therapy-resistant severe neuropathic pain, and close monitoring is mandatory to minimize "
    "the risk of side effects",
    "weak": "Ketamine has been shown to have efficacy in treating central pain, complex regional "
    "pain syndromes, fibromyalgia, and ischemic pain, although the evidence is moderate to weak",
}


def test_headings_of_any_depth_and_lead_ins_make_the_heading_path() -> None:
    text = (
        "# Ketamine for pain management\n\n## From the Research\n\n"
        "### Overview of Ketamine in Pain Management\n\n"
        f"{SEED_LINES['lead']} [2].\n\n"
        "#### Administration and Side Effects of Ketamine\n\n"
        "* Routes:\n"
        f"  * {SEED_LINES['routes']}.[6]\n"
        f"* {SEED_LINES['weak']}.⁴\n"
    )
    statements = parse_summary(text, "s.md", "markdown")
    assert [(s.heading, s.citations, s.line) for s in statements] == [
        ("Overview of Ketamine in Pain Management", (2,), 7),
        (
            "Overview of Ketamine in Pain Management > Administration and Side Effects of "
            "Ketamine > Routes",
            (6,),
            12,
        ),
        (
            "Overview of Ketamine in Pain Management > Administration and Side Effects of Ketamine",
            (4,),
            13,
        ),
    ]


def test_an_article_lead_in_holds_for_the_bullets_under_it() -> None:
    text = (
        "Administration and Side Effects of Ketamine\n"
        f"{SEED_LINES['lead']}. 2\n"
        "Key characteristics:\n"
        f"  • {SEED_LINES['routes']}. 6\n"
        f"  \u2013 {SEED_LINES['weak']} 4\n"
        f"{SEED_LINES['recreational']}. 2\n"
        "Recommendations:\n"
        f"{SEED_LINES['restricted']}. 2\n"
    )
    statements = parse_summary(text, "a.txt", "article", "research")
    assert [(s.heading, s.citations) for s in statements] == [
        (None, (2,)),
        ("Key characteristics", (6,)),
        ("Key characteristics", (4,)),
        (None, (2,)),  # after the list, the lead-in no longer holds
        ("Recommendations", (2,)),  # a lead-in over prose, with no list
    ]


@pytest.mark.parametrize(
    ("layout", "item"),
    [("markdown", "* **Routes**"), ("markdown", "* Routes"), ("text", "- Routes")],
)
def test_an_item_worded_as_a_heading_over_nested_items_is_their_lead_in(
    layout: str, item: str
) -> None:
    """No period, no citation, items nested in it: it heads them, as "Routes:" does; it
    was a claim citing nothing, and its items lost their heading."""
    part = "## From the Research\n\n" if layout == "markdown" else "From the Research\n"
    bullet = item[0]
    text = (
        f"{part}Administration and Side Effects of Ketamine\n{item}\n"
        f"    {bullet} {SEED_LINES['routes']} [6].\n{bullet} {SEED_LINES['weak']} [4].\n"
    )
    statements = parse_summary(text, "s", layout)
    heading = "Administration and Side Effects of Ketamine"
    assert [(s.heading, s.citations) for s in statements] == [
        (f"{heading} > Routes", (6,)),
        (heading, (4,)),
    ]


@pytest.mark.parametrize("layout", ["article", "markdown"])
def test_a_numbered_section_heading_over_paragraphs_heads_them(layout: str) -> None:
    """A numbered line, "1. Background", alone over a paragraph is its heading, not a list of
    one item: it was a claim citing nothing ("Background"), its paragraph under no heading."""
    text = (
        f"Ketamine\n\n1. Background\n\n{SEED_LINES['lead']} (2).\n\n"
        f"2. Efficacy\n\n{SEED_LINES['weak']} (4).\n"
    )
    statements = parse_summary(text, "s", layout, "research")
    assert [(s.heading, s.citations) for s in statements] == [
        ("Background", (2,)),
        ("Efficacy", (4,)),
    ]


@pytest.mark.parametrize(
    ("layout", "part"), [("text", "From the Research\n"), ("markdown", "## From the Research\n\n")]
)
def test_a_numbered_section_heading_over_a_bulleted_list_heads_it(layout: str, part: str) -> None:
    """A numbered line, "1. Overview", over "- ..." items is their heading: a list of one
    item, of another bullet than the list under it. It was a claim citing nothing ("Overview"),
    and the items under it lost their heading."""
    text = (
        f"{part}1. Overview\n- {SEED_LINES['lead']} 2.\n"
        f"2. Administration and Side Effects\n- {SEED_LINES['routes']} 6.\n"
        f"  - {SEED_LINES['recreational']} 2.\n- {SEED_LINES['restricted']} 2.\n"
        f"3. Efficacy\n- {SEED_LINES['weak']} 4.\n"
    )
    statements = parse_summary(text, "s", layout)
    heading = "Administration and Side Effects"
    assert [(s.heading, s.citations) for s in statements] == [
        ("Overview", (2,)),
        (heading, (6,)),
        (heading, (2,)),
        (heading, (2,)),
        ("Efficacy", (4,)),
    ]


@pytest.mark.parametrize(
    ("layout", "part", "bullet"),
    [
        ("text", "From the Research\n", "\u2022 "),
        ("markdown", "## From the Research\n\n", "* "),
    ],
)
def test_a_bullet_alone_over_a_list_of_another_stays_a_statement(
    layout: str, part: str, bullet: str
) -> None:
    """Only a number or title case says a lone item is a section's heading: an unnumbered
    one in a sentence's case over a list of another bullet is a statement, never turned
    into the heading of the others; "* Key Points to Consider" so is their heading."""
    text = f"{part}{bullet}{SEED_LINES['restricted']}\n- {SEED_LINES['lead']} 2.\n"
    statements = parse_summary(text, "s", layout)
    assert [(s.heading, s.text, s.citations) for s in statements] == [
        (None, SEED_LINES["restricted"], ()),
        (None, f"{SEED_LINES['lead']}.", (2,)),
    ]
    titled = f"{part}{bullet}Key Points to Consider\n- {SEED_LINES['lead']} 2.\n"
    statements = parse_summary(titled, "s", layout)
    assert [(s.heading, s.citations) for s in statements] == [("Key Points to Consider", (2,))]
    # A sentence capitalised word by word is still a sentence: longer than a title.
    shouting = "Ketamine Has Been Shown To Have Efficacy In Treating Central Pain"
    statements = parse_summary(
        f"{part}{bullet}{shouting}\n- {SEED_LINES['lead']} 2.\n", "s", layout
    )
    assert (statements[0].heading, statements[0].text) == (None, shouting)


@pytest.mark.parametrize("layout", ["article", "markdown"])
def test_a_numbered_subsection_heads_its_part_of_the_section(layout: str) -> None:
    """ "2.1 Neuropathic pain" under "2. Efficacy" is a heading under it, not one that
    replaces it: "Efficacy" was refused as a heading with no statements."""
    gap = "\n" if layout == "article" else "\n\n"
    lines = [
        "Ketamine", "1. Background", f"{SEED_LINES['lead']} [2].", "2. Efficacy",
        "2.1 Neuropathic pain", f"{SEED_LINES['weak']} [4].", "2.2. Place in therapy",
        f"{SEED_LINES['restricted']} [2].", "3. Safety", f"{SEED_LINES['recreational']} [2].",
    ]  # fmt: skip
    statements = parse_summary(gap.join(lines) + "\n", "s", layout, "research")
    assert [(s.heading, s.citations) for s in statements] == [
        ("Background", (2,)),
        ("Efficacy > 2.1 Neuropathic pain", (4,)),
        ("Efficacy > 2.2. Place in therapy", (2,)),
        ("Safety", (2,)),
    ]


@pytest.mark.parametrize("layout", ["article", "markdown"])
def test_a_section_numbered_in_its_heading_heads_its_subsections(layout: str) -> None:
    """A section's number written in its heading line ("**1. Efficacy**", "1 Efficacy"),
    not as a list's item, is its number too: "1.1" stands under it."""
    gap = "\n" if layout == "article" else "\n\n"
    first = "1 Efficacy" if layout == "article" else "**1. Efficacy**"
    lines = [
        "Ketamine", first, "1.1 Neuropathic pain", f"{SEED_LINES['weak']} [4].",
        "2 Safety" if layout == "article" else "**2. Safety**", f"{SEED_LINES['restricted']} [2].",
    ]  # fmt: skip
    statements = parse_summary(gap.join(lines) + "\n", "s", layout, "research")
    section = first.strip("*")
    assert [(s.heading, s.citations) for s in statements] == [
        (f"{section} > 1.1 Neuropathic pain", (4,)),
        (lines[4].strip("*"), (2,)),
    ]


@pytest.mark.parametrize("layout", ["article", "markdown"])
def test_a_number_that_numbers_no_open_section_is_no_subsection(layout: str) -> None:
    """ "1.5 Tesla MRI" under "Dosing" (no section 1 open) replaces it, as any heading
    does; "2.1.1" stands under "2.1", itself under "2."."""
    gap = "\n" if layout == "article" else "\n\n"
    lines = [
        "Ketamine", "Dosing", f"{SEED_LINES['lead']} [2].", "1.5 Tesla MRI",
        f"{SEED_LINES['weak']} [4].", "2. Efficacy", "2.1 Neuropathic pain",
        "2.1.1 Central pain", f"{SEED_LINES['restricted']} [2].",
    ]  # fmt: skip
    statements = parse_summary(gap.join(lines) + "\n", "s", layout, "research")
    assert [(s.heading, s.citations) for s in statements] == [
        ("Dosing", (2,)),
        ("1.5 Tesla MRI", (4,)),
        ("Efficacy > 2.1 Neuropathic pain > 2.1.1 Central pain", (2,)),
    ]


def test_an_items_first_paragraph_worded_as_a_heading_heads_its_other_paragraphs() -> None:
    """ "1. **Overview**" over paragraphs indented under it (one list item holding several,
    as CommonMark reads it) is their lead-in, for that item only; it was a claim citing
    nothing ("Overview"). An item's first paragraph that is a statement stays one."""
    text = (
        f"## From the Research\n\n1. **Overview**\n\n   {SEED_LINES['lead']} [2].\n\n"
        f"2. **Efficacy**\n\n   {SEED_LINES['weak']} [4].\n\n   {SEED_LINES['restricted']} [2].\n\n"
        f"3. {SEED_LINES['routes']} [6].\n\n   {SEED_LINES['recreational']} [2].\n"
    )
    statements = parse_summary(text, "s", "markdown")
    assert [(s.heading, s.citations) for s in statements] == [
        ("Overview", (2,)),
        ("Efficacy", (4,)),
        ("Efficacy", (2,)),
        (None, (6,)),
        (None, (2,)),
    ]


def test_an_items_later_paragraphs_worded_as_headings_head_what_follows_in_it() -> None:
    """Numbered subsections inside a numbered item ("1. Efficacy" over "1.1 ...", "1.2
    ...", indented under it) stand under the item's heading, each replacing the last;
    an item over a list nested in it keeps its heading for its paragraph after the list."""
    text = (
        "## From the Research\n\n1. Efficacy\n\n   1.1 Neuropathic pain\n\n"
        f"   {SEED_LINES['weak']} [4].\n\n   1.2 Place in therapy\n\n"
        f"   {SEED_LINES['restricted']} [2].\n\n2. **Safety**\n\n"
        f"   - {SEED_LINES['routes']} [6].\n\n   {SEED_LINES['recreational']} [2].\n"
    )
    statements = parse_summary(text, "s", "markdown")
    assert [(s.heading, s.citations) for s in statements] == [
        ("Efficacy > 1.1 Neuropathic pain", (4,)),
        ("Efficacy > 1.2 Place in therapy", (2,)),
        ("Safety", (6,)),
        ("Safety", (2,)),
    ]


@pytest.mark.parametrize("mark", ["", "**"])
def test_a_sentence_left_unfinished_in_an_item_stays_a_statement(mark: str) -> None:
    """In the middle of an item, a paragraph with no period is a statement left
    unfinished, not a heading over the rest, in bold too: only one set as a title (a
    title's length, in title case or in emphasis) or numbered is."""
    unfinished = SEED_LINES["restricted"]
    text = (
        f"## From the Research\n\n1. **Efficacy**\n\n   {SEED_LINES['weak']} [4].\n\n"
        f"   {mark}{unfinished}{mark}\n\n   {SEED_LINES['lead']} [2].\n"
    )
    statements = parse_summary(text, "s", "markdown")
    assert [(s.heading, s.text, s.citations) for s in statements] == [
        ("Efficacy", f"{SEED_LINES['weak']}.", (4,)),
        ("Efficacy", unfinished, ()),
        ("Efficacy", f"{SEED_LINES['lead']}.", (2,)),
    ]


def test_a_heading_set_in_emphasis_heads_whatever_its_case() -> None:
    """ "**Administration and side effects of ketamine**" later in an item, and a lone
    "* **Key points to consider**" over another list, are set as headings; "1 in 5
    million ..." (SciFact's claim 2, no period) is no subsection's number."""
    prion = "1 in 5 million in UK have abnormal PrP positivity"
    text = (
        f"## From the Research\n\n1. **Efficacy**\n\n   {SEED_LINES['weak']} [4].\n\n"
        f"   **Administration and side effects of ketamine**\n\n   {SEED_LINES['routes']} [6].\n\n"
        f"   {prion}\n\n   {SEED_LINES['lead']} [2].\n\n"
        f"* **Key points to consider**\n- {SEED_LINES['restricted']} [2].\n"
    )
    statements = parse_summary(text, "s", "markdown")
    inner = "Efficacy > Administration and side effects of ketamine"
    assert [(s.heading, s.citations) for s in statements] == [
        ("Efficacy", (4,)),
        (inner, (6,)),
        (inner, ()),
        (inner, (2,)),
        ("Key points to consider", (2,)),
    ]


def test_an_items_lead_in_holds_past_its_nested_list_and_no_further() -> None:
    """The item's own paragraphs, a list nested in it between them, take its lead-in; an
    item nested in a statement's item is no lead-in of the paragraph after it."""
    text = (
        f"## From the Research\n\n- **Safety**\n\n  {SEED_LINES['recreational']} [2].\n\n"
        f"  - {SEED_LINES['routes']} [6].\n\n  {SEED_LINES['restricted']} [2].\n"
        f"- {SEED_LINES['weak']} [4].\n  - {SEED_LINES['restricted']}\n\n"
        f"  {SEED_LINES['lead']} [2].\n"
    )
    statements = parse_summary(text, "s", "markdown")
    assert [(s.heading, s.text.split()[0], s.citations) for s in statements] == [
        ("Safety", "The", (2,)),
        ("Safety", "Ketamine", (6,)),
        ("Safety", "Ketamine", (2,)),
        (None, "Ketamine", (4,)),
        (None, "Ketamine", ()),
        (None, "Ketamine", (2,)),
    ]


@pytest.mark.parametrize(
    ("layout", "part"), [("text", "From the Research\n"), ("markdown", "## From the Research\n\n")]
)
def test_invisible_characters_at_a_lines_ends_are_trimmed_as_blanks(layout: str, part: str) -> None:
    """A zero-width space, soft hyphen or word joiner pasted after a citation (or before a
    bullet) shows as nothing: the statement still ends in its citation. The text layout
    read "... effects 2, 3.\u200b" as text citing nothing (Markdown refused it), and
    "\u200b- Ketamine ..." as a statement starting with its bullet."""
    bullet = "\u200b- " if layout == "text" else "- "  # Markdown: no list item, as it renders
    text = (
        f"{part}- {SEED_LINES['lead']} 2.\u200b\n"
        f"- {SEED_LINES['routes']} 6.\u00ad\n"
        f"{bullet}{SEED_LINES['weak']} 4.\u2060\n"
    )
    statements = parse_summary(text, "s", layout)
    assert [(s.text, s.citations) for s in statements] == [
        (f"{SEED_LINES['lead']}.", (2,)),
        (f"{SEED_LINES['routes']}.", (6,)),
        (f"{SEED_LINES['weak']}.", (4,)),
    ]


def test_yaml_front_matter_of_a_markdown_note_is_not_read() -> None:
    """Obsidian's or Jekyll's front matter holds no statement: CommonMark read it as a rule
    and a heading with no statements, and the title below it as another, both refused."""
    text = (
        "---\ntags: [pharmacology, pain]\ncreated: 2024-03-01\n---\n\n"
        f"# Ketamine\n\n## From the Research\n\n- {SEED_LINES['lead']} [2].\n"
    )
    summary = read_document(text, "s", "markdown")
    assert summary.title == "Ketamine"
    assert [(s.line, s.citations) for s in summary.statements] == [(10, (2,))]


@pytest.mark.parametrize(
    "opening",
    [
        # A rule over a line that reads as a key, then the summary, then another rule.
        f"---\nNote: {SEED_LINES['weak']} [4].\n\n## From the Research\n\n"
        f"- {SEED_LINES['lead']} [2].\n\n---\n",
        # Key-like lines between two rules, one citing as a statement does.
        f"---\nNote: {SEED_LINES['weak']} [4].\n---\n\n## From the Research\n\n"
        f"- {SEED_LINES['lead']} [2].\n",
    ],
)
def test_what_only_looks_like_front_matter_is_read_never_dropped(opening: str) -> None:
    """Front matter is YAML's lines alone, none citing: a statement between two rules is
    the summary's, and refused where it stands (before the first part, or as Markdown's
    heading over a rule) rather than dropped unseen."""
    text = f"{opening}\n- {SEED_LINES['routes']} [6].\n"
    problems = summary_problems(text, "s.md", "markdown")
    assert problems and all(problem.startswith("s.md:2: ") for problem in problems)


def test_an_unreadable_layout_is_reported_once_per_cause() -> None:
    code = "```\nnot a statement\n```\n\n"
    text = f"## From the Research\n\n{code}- {SEED_LINES['lead']} [2].\n\n{code}{code}"
    assert summary_problems(text, "s.md", "markdown") == [
        "s.md:3: a fenced code block holds no statements; write them as paragraphs or list "
        "items (also on lines 9 and 13)"
    ]


@pytest.mark.parametrize(
    ("name", "text", "layout"),
    [
        ("s.md", "From the Research\n- A 1.\n", "markdown"),
        ("s.txt", "# Ketamine for pain management\n\n## From the Research\n", "markdown"),
        ("s.txt", "## From the Research\n### H\n- A 1.\n", "markdown"),  # `##` is Markdown's
        ("s.txt", "## From the Research\nH\n- A 1.\nI\n- B 2.\n", "text"),  # I joins A 1.
        ("s.txt", "From the Research\n\n*Key Points*\n\n- A 1.\n", "markdown"),
        ("s.txt", "From the Research\n\n__Efficacy__\n\n- A 1.\n", "markdown"),
        ("s.txt", "From the Research\n\nH\n\n- A<sup>1</sup>.\n", "markdown"),
        ("s.txt", "From the Research\n-----------------\n- A 1.\n", "markdown"),
        ("s.txt", "From the Research\n=================\n- A 1.\n", "markdown"),
        # A line in lower case goes on with the one above in both: no reason for lines.
        ("s.txt", "From the Research\n\nH\n\n- A 1,\nand so 2.\n- B<sup>3</sup>.\n", "markdown"),
        ("s.txt", "Title\nFrom the Guidelines\n- A 1.\n", "text"),
        ("s.txt", "Title\n\nHeading\n  • A. 1\n", "article"),
        ("s.txt", "Title\n=====\n\n## From the Research\n", "markdown"),
        ("s.txt", "# Title\n\nHeading\n  \u2022 A. 1\n", "article"),  # • is not Markdown
        ("s.txt", "# Title\nFrom the Research\nH\n- A 1.\n", "text"),  # read as lines
    ],
)
def test_the_layout_is_found_from_the_file(name: str, text: str, layout: str) -> None:
    assert detect_layout(text, name) == layout


# -- Markdown that only looks like lines, and lines that only look like Markdown ------------


def test_a_line_all_in_emphasis_is_no_star_bullet() -> None:
    # Read as lines, "*Key Points*" is a heading as written, not a bullet "Key Points*".
    text = f"From the Research\n*Key Points to Consider*\n- {SEED_LINES['weak']} 4.\n"
    statements = parse_summary(text, "x.txt", "text")
    assert as_tuples(statements) == [
        ("research", "*Key Points to Consider*", f"{SEED_LINES['weak']}.", (4,))
    ]


@pytest.mark.parametrize(
    ("line", "kind", "text"),
    [
        # A star with no space after it is a bullet, as "-text" is ...
        (f"*{SEED_LINES['weak']} 4.", "item", f"{SEED_LINES['weak']} 4."),
        (f"-{SEED_LINES['weak']} 4.", "item", f"{SEED_LINES['weak']} 4."),
        (f"* {SEED_LINES['weak']} 4.", "item", f"{SEED_LINES['weak']} 4."),
        ("*Key Points to Consider", "item", "Key Points to Consider"),
        # ... unless a closing star ends the line's emphasis.
        ("*Key Points to Consider*", "prose", "*Key Points to Consider*"),
        ("*Key Points to Consider*:", "prose", "*Key Points to Consider*:"),
        ("**Efficacy**", "prose", "**Efficacy**"),
        ("***Efficacy***", "prose", "***Efficacy***"),
    ],
)
def test_a_star_is_a_bullet_unless_it_opens_the_lines_emphasis(
    line: str, kind: str, text: str
) -> None:
    blocks, problems = line_blocks([line], "text")
    assert ([(b.kind, b.text) for b in blocks], problems) == ([(kind, text)], [])


@pytest.mark.parametrize(
    "tag", ["<sup>{}</sup>", '<sup class="ref">{}</sup>', "<SUP>{}</SUP>", "<sup >{}</sup >"]
)
def test_every_layout_knows_a_superscript_tag_alike(tag: str) -> None:
    """One spelling of the tag (citations.SUP_TAG): a .txt holding it is Markdown, whose
    reader raises its digits, and the text layout refuses it as HTML, never passing it."""
    line = f"- {SEED_LINES['weak']}{tag.format(4)}."
    text = f"## From the Research\n\n{line}\n"
    assert detect_layout(text, "s.txt") == "markdown"
    assert markdown_blocks(text)[0][-1].text == f"{SEED_LINES['weak']}\u2074."
    opening = tag.split("{}")[0]
    assert summary_problems(text, "s.txt", "text") == [
        f's.txt:3: "{opening}" is HTML, which only a Markdown summary reads; cite at the end '
        "of the statement as [1] or \u00b9, or import the summary as Markdown "
        "(--layout markdown)"
    ]


def test_a_superscript_not_of_digits_is_read_unraised_its_tags_dropped() -> None:
    """As a reader reads it: "5<sup>th</sup>" is "5th"; "[3]" stays a bracket, a marker the
    citation reader knows, where a raised one would be no marker at all. A footnote mark
    ("x<sup>a</sup>") is read so too, and is the problem its line is refused for."""
    (block,), problems = markdown_blocks(
        "Over the 5<sup>th</sup> and x<sup>a</sup> dose<sup>[3]</sup>.\n"
    )
    assert block.text == "Over the 5th and xa dose[3]."
    assert [(p.line, p.message.split(",")[0]) for p in problems] == [
        (1, 'the raised "a" is a footnote mark or other text')
    ]


@pytest.mark.parametrize(
    ("ending", "citations", "read"),
    [
        ("<sup>2</sup><sup>3</sup>.", (2, 3), "\u00b2\u02d2\u00b3."),  # never 23
        ("<sup>2,3</sup>.", (2, 3), "\u00b2\u02d2\u00b3."),
        (".<sup>1</sup><sup>-</sup><sup>3</sup>", (1, 2, 3), ".\u00b9\u207b\u00b3"),
        ("<sup>[3]</sup>.", (3,), "[3]."),  # a bracket is kept as written, not raised
        ('<sup class="ref">4</sup>.', (4,), "\u2074."),
        ("<SUP>4</SUP>.", (4,), "\u2074."),
        ("<sup>2;4</sup>.", (2, 4), "\u00b2;\u2074."),  # as "2; 4." is read
        ("<sup>2 & 4</sup>.", (2, 4), "\u00b2 & \u2074."),  # as "2 & 4." is read
    ],
)
def test_superscript_tags(ending: str, citations: tuple[int, ...], read: str) -> None:
    text = f"## From the Research\n\n- {SEED_LINES['weak']}{ending}\n"
    blocks, problems = markdown_blocks(text)
    assert (blocks[-1].text, problems) == (f"{SEED_LINES['weak']}{read}", [])
    (statement,) = parse_summary(text, "s.md", "markdown")
    assert (statement.text, statement.citations) == (f"{SEED_LINES['weak']}.", citations)


def test_superscripts_apart_are_two_markers_and_a_stray_tag_is_text() -> None:
    text = f"## From the Research\n\n- {SEED_LINES['weak']}<sup>2</sup> <sup>4</sup>.\n"
    assert summary_problems(text, "s.md", "markdown") == [
        "s.md:3: the statement ends in two citation markers; write them as one"
    ]
    blocks, _ = markdown_blocks("ketamine</sup> 4.\n")
    assert blocks[0].text == "ketamine</sup> 4."  # closes nothing: kept, not dropped


def test_nesting_deeper_than_the_reader_goes_is_a_problem_at_its_line() -> None:
    def quoted(depth: int) -> str:
        return f"## From the Research\n\n{'> ' * depth}{SEED_LINES['lead']} 2.\n"

    blocks, problems = markdown_blocks(quoted(19))
    assert (blocks[-1].text, problems) == (f"{SEED_LINES['lead']} 2.", [])
    blocks, problems = markdown_blocks(quoted(20))
    assert [b.line for b in blocks] == [1]
    assert [(p.line, p.message.split(";")[0]) for p in problems] == [
        (3, "this line is nested too deep in lists or block quotes to be read")
    ]


def test_a_wrapped_statement_is_refused_in_the_layouts_of_lines() -> None:
    lead, rest = SEED_LINES["lead"].split(" especially ")
    text = f"From the Research\nOverview\n- {lead}\n  especially\n  {rest} 2.\n"
    assert summary_problems(text, "x.txt", "text") == [
        "x.txt:4: this line continues the statement on line 3, and the text layout reads "
        "one line a statement; write each statement on one line (also on line 5)"
    ]
    article = f"Overview\n    \u2022 {lead}\n      especially {rest}. 2\n"
    _, problems = line_blocks(article.splitlines(), "article")
    assert [(p.line, p.message.split(",")[0]) for p in problems] == [
        (3, "this line continues the statement on line 2")
    ]
    # A bullet under a bullet, or a line no deeper than a bullet's sign, is a line of its own.
    nested = f"- {SEED_LINES['weak']} 4.\n  - {SEED_LINES['routes']} 6.\n{lead} 2.\n"
    assert line_blocks(nested.splitlines(), "text")[1] == []


def test_a_paragraph_of_cited_sentences_is_a_statement_each(empty_kb: Path, tmp_path: Path):
    paragraph = f"{SEED_LINES['lead']} 2. {SEED_LINES['weak']}. 4 {SEED_LINES['routes']} 6."
    source = tmp_path / "s.md"
    source.write_text(f"## From the Research\n\n{paragraph}\n", encoding="utf-8")
    topic_dir = imported(empty_kb, source)
    claims = load_kb(empty_kb).topic("t").claims
    assert [(c.text, c.citations, c.source_line) for c in claims] == [
        (f"{SEED_LINES['lead']}.", (2,), 3),
        (f"{SEED_LINES['weak']}.", (4,), 3),
        (f"{SEED_LINES['routes']}.", (6,), 3),
    ]
    # A curated citation is written back where its sentence stands, in its spelling.
    claims_file = topic_dir / "claims.toml"
    data = tomllib.loads(claims_file.read_text(encoding="utf-8"))
    rule = derive_strength(data["claim"][0]["text"], "research", (2, 3), ())
    data["claim"][0].update(citations=[2, 3], strength=rule.label, strength_basis=rule.basis)
    claims_file.write_text(tomli_w.dumps(data), encoding="utf-8")
    exported = summary_text(load_kb(empty_kb).topic("t"))
    assert exported == source.read_text(encoding="utf-8").replace("component 2.", "component 2, 3.")


# -- citation numbers in every spelling ------------------------------------------------------


@pytest.mark.parametrize(
    ("ending", "text", "citations"),
    [
        ("pathways 1.", "pathways.", (1,)),
        ("effects 2, 3.", "effects.", (2, 3)),
        ("effects 2,3.", "effects.", (2, 3)),
        ("effects [2].", "effects.", (2,)),
        ("effects [2, 4].", "effects.", (2, 4)),
        ("effects [2][4].", "effects.", (2, 4)),
        ("pathways. 1", "pathways.", (1,)),
        ("outcomes. 1, 2", "outcomes.", (1, 2)),
        ("criteria 1", "criteria", (1,)),
        ("effects [2-4].", "effects.", (2, 3, 4)),
        ("effects [2, 5\u20137].", "effects.", (2, 5, 6, 7)),
        ("effects.[2,3]", "effects.", (2, 3)),
        ("effects[^2].", "effects.", (2,)),
        ("pathways.1", "pathways.", (1,)),
        ("pain.2,3", "pain.", (2, 3)),
        ("version 2.1", "version 2.1", ()),
        ("effects (2).", "effects.", (2,)),
        ("effects (2, 3).", "effects.", (2, 3)),
        ("pain.\u00b9", "pain.", (1,)),
        ("pain\u00b9.", "pain.", (1,)),
        ("pain.\u00b2,\u00b3", "pain.", (2, 3)),
        ("pain.\u00b2\u02d2\u00b3", "pain.", (2, 3)),
        ("pain.\u00b9\u207b\u00b3", "pain.", (1, 2, 3)),
        # A number ending a word is the text's; the number after it is a citation.
        ("patients with COVID-19 1.", "patients with COVID-19.", (1,)),
        ("patients with COVID-19.", "patients with COVID-19.", ()),
        ("the H1N1 strain 2.", "the H1N1 strain.", (2,)),
        ("influenza H1N1 2.", "influenza H1N1.", (2,)),
        ("patients with type 2.", "patients with type 2.", ()),
        ("type 2 diabetes 3.", "type 2 diabetes.", (3,)),
        ("a phase 3.", "a phase 3.", ()),
        ("doses of 0.1-1.0 mg/kg.", "doses of 0.1-1.0 mg/kg.", ()),
        ("doses of 0.1-1.0 mg/kg 4.", "doses of 0.1-1.0 mg/kg.", (4,)),
        ("over 1-2 weeks.", "over 1-2 weeks.", ()),
        ("a dose of 1.5 mg/m\u00b2.", "a dose of 1.5 mg/m\u00b2.", ()),
        ("reported in 2019.", "reported in 2019.", ()),
        ("a grade 3.", "a grade 3.", ()),
        ("stage (2).", "stage (2).", ()),
        ("a scale (0-10).", "a scale (0-10).", ()),
        ("patients aged 65.", "patients aged 65.", ()),
    ],
)
def test_citation_spellings(ending: str, text: str, citations: tuple[int, ...]) -> None:
    (statement,) = parse_summary(f"From the Research\nH\n- Some {ending}\n", "x.txt")
    assert (statement.text, statement.citations) == (f"Some {text}", citations)


def test_a_range_written_backwards_is_a_problem() -> None:
    assert summary_problems("From the Research\nH\n- Some effects [4-2].\n", "x.txt") == [
        "x.txt:3: citation range 4-2 runs backwards; write 2-4"
    ]


# -- the round trip after curation -----------------------------------------------------------


def test_export_cites_the_curated_numbers_in_the_sources_spelling(empty_kb: Path) -> None:
    topic_dir = imported(empty_kb, MARKDOWN)
    hedging = load_kb(empty_kb).strength.hedging_words
    claims_file = topic_dir / "claims.toml"
    data = tomllib.loads(claims_file.read_text(encoding="utf-8"))
    by_line = {claim["source_line"]: claim for claim in data["claim"]}
    for line, citations in ((10, [1, 2]), (28, [2])):  # "laryngospasm.¹", "effects.[2,3]"
        claim = by_line[line]
        rule = derive_strength(claim["text"], claim["section"], tuple(citations), hedging)
        claim.update(citations=citations, strength=rule.label, strength_basis=rule.basis)
    data["claim"].remove(by_line[13])  # a curator removes a statement
    claims_file.write_text(tomli_w.dumps(data), encoding="utf-8")
    topic = load_kb(empty_kb).topic("t")
    source = MARKDOWN.read_text(encoding="utf-8").splitlines(keepends=True)
    expected = list(source)
    expected[9] = expected[9].replace("laryngospasm.\u00b9", "laryngospasm.\u00b9,\u00b2")
    expected[27] = expected[27].replace("effects.[2,3]", "effects.[2]")
    del expected[12]
    assert summary_text(topic) == "".join(expected)
