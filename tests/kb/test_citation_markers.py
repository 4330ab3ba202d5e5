"""Citation markers where a reviewer found them misread: before a "?" or "!", lists
with ";" or "&" or of separate markers, in a sentence swallowed by a heading, and
inside a statement. Each is read in full, or refused at its line; never a number
dropped, never marker debris left in a claim's text. Statements are the seed's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidencekb.kb.citations import rewrite_marker, split_marker, unread_markers, with_marker
from evidencekb.kb.load import load_kb
from evidencekb.kb.summary import parse_summary
from fixtures import ekb_here, summary_problems

# Statements of the seed summary (kb/topics/ketamine-pain/source.txt).
LEAD = "Ketamine is used to treat various chronic pain syndromes"
ANALGESIA = "Low-dose ketamine produces strong analgesia in neuropathic pain states"
RESEARCH = (
    "Further research is required to assess whether the benefits of ketamine outweigh the risks"
)
ROUTES = "Ketamine can be administered via multiple routes"


def imported(kb: Path, source: Path, text: str) -> tuple[int, str, str]:
    """`ekb import` of `text` as `source` into `kb` (topic t): exit code, stdout, stderr."""
    source.write_text(text, encoding="utf-8")
    ran = ekb_here("import", str(source), "--topic", "t", "--kb", str(kb), "--date", "2025-01-01")
    return ran.exit_code, ran.stdout, ran.stderr


def created(kb: Path, claims: int, sources: int) -> str:
    cited = f"{claims} claim{'s' * (claims != 1)} citing {sources} source{'s' * (sources != 1)}"
    return f"Created {kb}/topics/t: {cited}. Curate it, then run `ekb check`.\n"


# -- 1. a marker before "?" or "!" ------------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "text", "citations"),
    [
        (f"{RESEARCH} [2, 4]?", f"{RESEARCH}?", (2, 4)),
        (f"{ANALGESIA} 3!", f"{ANALGESIA}!", (3,)),
        (f"{ANALGESIA}\u00b3!", f"{ANALGESIA}!", (3,)),
        (f"{RESEARCH}?\u00b2", f"{RESEARCH}?", (2,)),
    ],
)
def test_a_marker_before_a_question_or_exclamation_mark(
    statement: str, text: str, citations: tuple[int, ...]
) -> None:
    marker = split_marker(statement)
    assert marker is not None
    assert (marker.text, marker.citations) == (text, citations)


def test_statements_ending_in_a_marker_then_a_question_mark_import_and_check(
    empty_kb: Path, tmp_path: Path
) -> None:
    source = tmp_path / "s.txt"
    summary = f"From the Research\nOpen Questions\n- {RESEARCH} [2, 4]?\n- {ANALGESIA} [3]!\n"
    assert imported(empty_kb, source, summary) == (0, created(empty_kb, 2, 3), "")
    claims = empty_kb / "topics" / "t" / "claims.toml"
    assert f'text = "{RESEARCH}?"' in claims.read_text(encoding="utf-8")
    assert ekb_here("check", "--kb", str(empty_kb)).exit_code == 0
    # The check is still exact: a claim whose words or end are edited is refused.
    for edited in (f"{RESEARCH}!", f"{RESEARCH} and costs?", f"{RESEARCH[:-1]}?"):
        kept = claims.read_text(encoding="utf-8")
        claims.write_text(kept.replace(f'"{RESEARCH}?"', f'"{edited}"'), encoding="utf-8")
        ran = ekb_here("check", "--kb", str(empty_kb))
        claims.write_text(kept, encoding="utf-8")
        assert (ran.exit_code, ran.stdout) == (1, "")
        assert ran.stderr.splitlines()[0] == (
            f"{claims}:9: text is not on line 3 of source.txt word for word, and claim text "
            "must be verbatim: undo the edit; or, if the source itself says so now, edit "
            "line 3 of source.txt too, or import it again (ekb import SOURCE --topic t "
            "--replace)"
        )


# -- 2. lists separated by ";" or "&", and separate markers ------------------------------------

_RAISE = str.maketrans("0123456789", "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079")


def _written(spelling: str, separator: str, numbers: list[int]) -> str:
    """A marker citing `numbers` as a summary writes it after a statement's words,
    its period included."""
    listed = separator.join(map(str, numbers))
    return {
        "plain": f" {listed}.",
        "plain after the period": f". {listed}",
        "bracketed": f" [{listed}].",
        "bracketed after the period": f".[{listed}]",
        "bracket each": " " + separator.join(f"[{n}]" for n in numbers) + ".",
        "parenthesized": f" ({listed}).",
        "superscript": f"{listed.translate(_RAISE)}.",
        "superscript after the period": f".{listed.translate(_RAISE)}",
        "compact": f".{listed}",
        # pandoc's superscript, a space in it escaped
        "caret": "^" + listed.replace(" ", "\\ ") + "^.",
        "caret after the period": ".^" + listed.replace(" ", "\\ ") + "^",
    }[spelling]


# The separators each spelling is read with, as summaries write them.
SEPARATORS = {
    "plain": [", ", ",", "; ", ";", " & ", " ;  "],
    "plain after the period": [", ", "; ", " & "],
    "bracketed": [", ", ",", "; ", " & "],
    "bracketed after the period": [", ", "; "],
    "bracket each": ["", ", ", ",", "; ", " ", " & "],
    "parenthesized": [", ", "; "],
    "superscript": [",", ";", "\u02d2", ", ", "; "],
    "superscript after the period": [",", ";", "\u02d2"],
    "compact": [",", ";"],
    "caret": [",", ", ", ";"],
    "caret after the period": [",", "; "],
}
SPELLINGS = [(spelling, sep) for spelling, seps in SEPARATORS.items() for sep in seps]


@settings(max_examples=60, deadline=None)
@given(
    spelling=st.sampled_from(SPELLINGS),
    numbers=st.lists(st.integers(1, 999), min_size=1, max_size=5),
    words=st.sampled_from([LEAD, ANALGESIA, RESEARCH, ROUTES]),
)
def test_every_spelling_of_a_list_gives_exactly_its_numbers(
    spelling: tuple[str, str], numbers: list[int], words: str
) -> None:
    statement = words + _written(*spelling, numbers)
    marker = split_marker(statement)
    assert marker is not None, statement
    assert (marker.text, marker.citations, marker.faults) == (f"{words}.", tuple(numbers), ())


@settings(max_examples=300, deadline=None)
@given(ending=st.text(alphabet="0123456789 ,;&[]()^.\u00b9\u00b2\u02d2-", max_size=12))
def test_a_marker_read_without_a_fault_leaves_no_debris(ending: str) -> None:
    """Whatever follows a statement's words, the text a marker leaves never ends in a
    separator: the numbers before one are in the marker, or the line is refused."""
    marker = split_marker(ROUTES + ending)
    if marker is not None and not marker.faults:
        assert not marker.text.rstrip(".!?").rstrip().endswith((",", ";", "&"))


@pytest.mark.parametrize(
    ("ending", "citations"),
    [
        (" 3; 4.", (3, 4)),
        (" [1], [2].", (1, 2)),
        (" [1]; [2].", (1, 2)),
        (".\u00b9;\u00b2", (1, 2)),
        (" 1 & 2.", (1, 2)),
        (" [1] [2-4].", (1, 2, 3, 4)),
    ],
)
def test_the_reviewers_lists_are_read_whole(ending: str, citations: tuple[int, ...]) -> None:
    marker = split_marker(ANALGESIA + ending)
    assert marker is not None
    assert (marker.text, marker.citations) == (f"{ANALGESIA}.", citations)


@pytest.mark.parametrize(
    "ending",
    # A number after a separator or a word that takes one is the sentence's.
    [" grade 3; 4.", " of 1 & 2.", "; 4.", " & 4.", ", 4."],
)
def test_a_plain_number_after_a_separator_stays_text(ending: str) -> None:
    assert split_marker(ANALGESIA + ending) is None


@pytest.mark.parametrize(
    ("ending", "citations", "separator"),
    [
        (" [2]\u2013[4].", (2, 3, 4), ""),
        (" [2]-[4].", (2, 3, 4), ""),
        (" [2] \u2014 [4].", (2, 3, 4), ""),
        (" [1], [3]\u2013[5].", (1, 3, 4, 5), ", "),
        (" [2]\u2013[4], [7].", (2, 3, 4, 7), ", "),
        (".[^2]\u2013[^4]", (2, 3, 4), ""),
    ],
)
def test_a_range_between_brackets_is_read_as_ieee_writes_it(
    ending: str, citations: tuple[int, ...], separator: str
) -> None:
    """IEEE writes a range of its bracketed numbers with a dash between two brackets:
    the dash is the range's, never the list's separator, which the marker is written
    back with."""
    marker = split_marker(ANALGESIA + ending)
    assert marker is not None
    assert (marker.text, marker.citations, marker.separator) == (
        f"{ANALGESIA}.",
        citations,
        separator,
    )
    assert rewrite_marker(f"{ANALGESIA} [1], [3]\u2013[5].", (1, 5), "plain") == (
        f"{ANALGESIA} [1], [5]."
    )


@pytest.mark.parametrize(
    "ending", [" [2]\u2013[4]\u2013[6].", " [2\u20133]\u2013[5].", " [1]\u2013[^3]."]
)
def test_a_dash_between_brackets_as_no_range_is_written_is_refused(ending: str) -> None:
    """Only two brackets of one number each make a range: a chain, a bracket holding a
    range of its own, or a footnote's beside a plain one would cite numbers by a guess."""
    marker = split_marker(ANALGESIA + ending)
    assert marker is not None
    assert marker.faults == (
        f'the citation marker "{ending.strip().rstrip(".")}" joins brackets with a dash as '
        'no range is written; write a range as "[2]\u2013[4]" (two brackets of one number '
        'each) or "[2\u20134]"',
    )


def test_an_ieee_range_inside_a_statement_is_refused_whole() -> None:
    assert unread_markers(f"{ANALGESIA} [2]\u2013[4] and in CRPS") == ["[2]\u2013[4]"]


def test_a_list_is_written_back_with_its_own_separator() -> None:
    assert rewrite_marker(f"{ANALGESIA} [1], [2].", (1, 2, 3), "plain") == (
        f"{ANALGESIA} [1], [2], [3]."
    )
    assert rewrite_marker(f"{ANALGESIA} 3; 4.", (3, 5), "plain") == f"{ANALGESIA} 3; 5."
    assert rewrite_marker(f"{ANALGESIA}.\u00b9;\u00b2", (1,), "plain") == f"{ANALGESIA}.\u00b9"


def test_lists_with_semicolons_ampersands_and_separate_markers_import(
    empty_kb: Path, tmp_path: Path
) -> None:
    source = tmp_path / "s.txt"
    summary = (
        f"From the Research\nOverview\n- {LEAD} 3; 4.\n- {ANALGESIA} [1], [2].\n"
        f"- {RESEARCH} [1]; [2].\n- {ROUTES}.\u00b9;\u00b2\n- {LEAD} again 1 & 2.\n"
    )
    assert imported(empty_kb, source, summary) == (0, created(empty_kb, 5, 4), "")
    exported = ekb_here("export", "--format", "json", "--kb", str(empty_kb))
    claims = json.loads(exported.stdout)
    assert [(c["text"], c["citations"]) for c in claims] == [
        (f"{LEAD}.", [3, 4]),
        (f"{ANALGESIA}.", [1, 2]),
        (f"{RESEARCH}.", [1, 2]),
        (f"{ROUTES}.", [1, 2]),
        (f"{LEAD} again.", [1, 2]),
    ]


def test_a_marker_after_a_separator_is_refused_at_its_line(empty_kb: Path, tmp_path: Path) -> None:
    source = tmp_path / "s.txt"
    summary = (
        f"From the Research\nOverview\n- {LEAD}, [2].\n- {ROUTES} [6].\n- {ANALGESIA};\u00b3.\n"
    )
    assert imported(empty_kb, source, summary) == (
        1,
        "",
        f'{source}:3: a "," stands before the citation marker "[2]"; write all the '
        "statement's numbers in one marker at its end, with nothing before it\n"
        f'{source}:5: a ";" stands before the citation marker "\u00b3"; write all the '
        "statement's numbers in one marker at its end, with nothing before it\n"
        "Error: 2 problems found\n",
    )
    assert list((empty_kb / "topics").iterdir()) == []


# -- 3. a cited sentence before a heading or lead-in on its line -------------------------------

VIABLE = "Ketamine is a viable option for managing pain syndromes"
CRPS = "Ketamine has demonstrated efficacy in managing various pain syndromes"
AWARE = "Patients should be aware of potential side effects"
SWALLOWED = f"From the Guidelines\n{VIABLE} 1. Key Points to Consider\n- {CRPS}.\n- {AWARE} 1.\n"


def test_a_cited_sentence_before_a_heading_is_a_statement() -> None:
    statements = parse_summary(SWALLOWED, "s.txt")
    assert [(s.line, s.heading, s.text, s.citations) for s in statements] == [
        (2, None, f"{VIABLE}.", (1,)),
        (3, "Key Points to Consider", f"{CRPS}.", ()),
        (4, "Key Points to Consider", f"{AWARE}.", (1,)),
    ]


def test_a_cited_sentence_before_a_lead_in_is_a_statement() -> None:
    summary = (
        f"# Ketamine\n\n## From the Research\n\n### Overview\n\n{LEAD} 2. {ROUTES}, "
        "including the following 6:\n\n- oral 6.\n- intranasal 6.\n"
    )
    statements = parse_summary(summary, "s.md", "markdown")
    lead_in = f"Overview > {ROUTES}, including the following 6"
    assert [(s.line, s.heading, s.text, s.citations) for s in statements] == [
        (7, "Overview", f"{LEAD}.", (2,)),
        (9, lead_in, "oral.", (6,)),
        (10, lead_in, "intranasal.", (6,)),
    ]


@pytest.mark.parametrize(
    ("summary", "layout", "problem"),
    [
        (
            f"From the Guidelines\n## {VIABLE} 1. Key Points\n- {AWARE} 1.\n",
            "text",
            f'2: the heading holds a cited statement ("{VIABLE} 1."); a heading is never a '
            "claim: write the statement on a line of its own",
        ),
        (
            f"# {VIABLE} [1]. Key Points\n\n## From the Guidelines\n\n- {AWARE} 1.\n",
            "markdown",
            f'1: the title holds a cited statement ("{VIABLE} [1]."); a title is never a '
            "claim: write the statement on a line of its own",
        ),
    ],
)
def test_a_heading_line_holding_a_cited_sentence_is_refused(
    summary: str, layout: str, problem: str
) -> None:
    assert summary_problems(summary, "s", layout) == [f"s:{problem}"]


@pytest.mark.parametrize(
    "heading",
    [
        *("COVID-19", "Phase 2 trials", "Ketamine in 2019", "Type 2", "Recommendation 1"),
        *("Key Question 2", "Clinical question 12"),
    ],
)
def test_a_heading_with_a_number_stays_a_heading(heading: str) -> None:
    """A numbered title ("Recommendation 1", as guidelines number theirs) is no claim
    citing its number: a line of a few words, ending in a number and no period."""
    (statement,) = parse_summary(f"From the Research\n{heading}\n- {AWARE} 2.\n", "s.txt")
    assert (statement.heading, statement.citations) == (heading, (2,))


@pytest.mark.parametrize(
    ("summary", "layout", "section"),
    [
        (f"## From the Research\n\n**Recommendation 1**\n\n- {AWARE} 2.\n", "markdown", None),
        (f"Ketamine\n\nRecommendation 1\n\n{AWARE} 2.\n", "article", "research"),
    ],
)
def test_a_numbered_title_is_a_heading_in_every_layout(
    summary: str, layout: str, section: str | None
) -> None:
    (statement,) = parse_summary(summary, "s", layout, section)
    assert (statement.heading, statement.text, statement.citations) == (
        "Recommendation 1",
        f"{AWARE}.",
        (2,),
    )


def test_a_summary_with_a_cited_sentence_before_a_heading_imports_and_exports_back(
    empty_kb: Path, tmp_path: Path
) -> None:
    source = tmp_path / "s.txt"
    assert imported(empty_kb, source, SWALLOWED) == (0, created(empty_kb, 3, 1), "")
    exported = ekb_here("export", "--format", "text", "--topic", "t", "--kb", str(empty_kb))
    assert (exported.exit_code, exported.stdout) == (0, SWALLOWED)


# -- 4. markers inside a statement, caret and HTML superscripts, plain ranges -----------------

MANAGING = "Ketamine has demonstrated efficacy in managing complex regional pain syndrome (CRPS)"


@pytest.mark.parametrize(
    ("text", "unread"),
    [
        (f"{MANAGING} [1] and fibromyalgia.", ["[1]"]),
        (f"{MANAGING} [^1], [2] and fibromyalgia.", ["[^1], [2]"]),
        (f"{MANAGING}\u00b9 and fibromyalgia.", ["\u00b9"]),
        (f"{MANAGING},\u00b9\u207b\u00b3 and fibromyalgia.", ["\u00b9\u207b\u00b3"]),
        (f"{MANAGING}^1^.", ["^1^"]),
        (f"{MANAGING}<sup>1</sup>.", ["<sup>"]),
        # Numbers that are the text's: powers, charges, isotopes, names, quantities.
        ("Doses of 1.5 mg/m\u00b2 daily were used.", []),
        ("An R\u00b2 of 0.8 and an I\u00b2 of 45% were found.", []),
        ("A \u03c7\u00b2 test was used.", []),
        ("Ketamine blocks Ca\u00b2\u207a channels.", []),
        ("Uptake on \u00b9\u2078F-FDG PET fell in 10\u2076 cells.", []),
        ("Patients with COVID-19 [n = 4] and type 2 diabetes (1) were included.", []),
        # ... and so written with pandoc's carets.
        ("Doses of 1.5 mg/m^2^ daily and an I^2^ of 45% in 10^6^ cells at 10^-3^ M.", []),
        (f"{MANAGING} ^1^ and fibromyalgia.", ["^1^"]),
    ],
)
def test_the_markers_no_rule_reads_are_found(text: str, unread: list[str]) -> None:
    assert unread_markers(text) == unread


@settings(max_examples=60, deadline=None)
@given(
    inner=st.lists(st.integers(1, 999), min_size=1, max_size=4),
    last=st.integers(1, 999),
    spelling=st.sampled_from(["[{}]", "[^{}]", "{}"]),
)
def test_a_marker_inside_a_statement_is_never_silently_dropped(
    inner: list[int], last: int, spelling: str
) -> None:
    """Whatever a bracketed or raised marker inside a statement cites, its numbers are
    either read, or it is found unread (and refused): never left unseen in the text."""
    listed = ", ".join(map(str, inner))
    if spelling == "{}":
        listed = ",".join(map(str, inner)).translate(_RAISE)
    statement = f"{MANAGING}{spelling.format(listed)} and fibromyalgia [{last}]."
    marker = split_marker(statement)
    assert marker is not None
    assert marker.citations == (last,)
    assert unread_markers(marker.text) == [spelling.format(listed)]


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        (
            f"{MANAGING} [1] and fibromyalgia [2].",
            'the citation marker "[1]" inside the statement is not read; cite at the end of '
            "the statement, all its numbers in one marker, or make it two statements",
        ),
        (
            f"{AWARE}^1^ and their timing [2].",
            'the citation marker "^1^" (a caret superscript) inside the statement is not '
            "read; cite at the end of the statement, all its numbers in one marker, or make "
            "it two statements",
        ),
        (
            f"{LEAD}<sup>2</sup>.",
            '"<sup>" is HTML, which only a Markdown summary reads; cite at the end of the '
            "statement as [1] or \u00b9, or import the summary as Markdown (--layout markdown)",
        ),
    ],
)
def test_a_statement_with_a_marker_no_rule_reads_is_refused(statement: str, problem: str) -> None:
    assert summary_problems(f"From the Research\nOverview\n- {statement}\n", "s.txt") == [
        f"s.txt:3: {problem}"
    ]


def test_a_lead_in_citing_in_brackets_is_refused() -> None:
    summary = f"## From the Research\n\n{ROUTES}, including [6]:\n\n- oral 6.\n"
    assert summary_problems(summary, "s.md", "markdown") == [
        's.md:3: the citation marker "[6]" inside the heading is not read; cite at the end '
        "of the statement, all its numbers in one marker, or make it two statements"
    ]


@pytest.mark.parametrize("ending", [" 1-3.", " 2\u20134.", " 2 \u2013 4."])
def test_a_plain_range_is_the_texts_kept_word_for_word(ending: str) -> None:
    """ "1-3." after a word may be a quantity ("scores fell 1-3."), as the rules read a
    range in the text ("over 1-2 weeks"): it stays in the text, no number dropped."""
    (statement,) = parse_summary(f"From the Research\nH\n- {LEAD}{ending}\n", "s.txt")
    assert (statement.text, statement.citations) == (f"{LEAD}{ending}", ())


def test_a_summary_with_a_marker_inside_a_statement_is_refused(
    empty_kb: Path, tmp_path: Path
) -> None:
    source = tmp_path / "s.txt"
    summary = f"From the Research\nOverview\n- {MANAGING} [1] and fibromyalgia [2].\n"
    assert imported(empty_kb, source, summary) == (
        1,
        "",
        f'{source}:3: the citation marker "[1]" inside the statement is not read; cite at '
        "the end of the statement, all its numbers in one marker, or make it two statements\n"
        "Error: 1 problem found\n",
    )
    assert list((empty_kb / "topics").iterdir()) == []


# -- 5. what a later review found: ekb check holds claims to the rule, spaced superscripts,
#       scales in brackets ------------------------------------------------------------------

COMPONENT = "especially those with a neuropathic component"
SUMMARY = f"From the Research\nOverview of Ketamine in Pain Management\n- {LEAD}, {COMPONENT} 2.\n"
AGAIN = "; then import the summary again (ekb import SOURCE --topic t --replace)"
INNER = (
    "inside the statement is not read; cite at the end of the statement, all its numbers in "
    "one marker, or make it two statements"
)


@pytest.mark.parametrize(
    ("text", "unread"),
    [
        # Raised digits after a space are a marker, as at a statement's end ("CRPS \u00b9.").
        (f"{MANAGING} \u00b9 and fibromyalgia.", ["\u00b9"]),
        (f"{MANAGING}  \u00b9\u02d2\u00b2 and fibromyalgia.", ["\u00b9\u02d2\u00b2"]),
        (f"{MANAGING}, \u00b9\u207b\u00b3 and fibromyalgia.", ["\u00b9\u207b\u00b3"]),
        # Joined to a number or unit they raise it to a power; after a space they cite.
        (
            "Counts rose to 10 \u2076 cells and doses of 1.5 mg/m \u00b2 were used.",
            ["\u2076", "\u00b2"],
        ),
        ("An R \u00b2 of 0.8 was found.", ["\u00b2"]),
        # Still the text's: an isotope and a charge after a space, and every joined power.
        ("Uptake on \u00b9\u2078F-FDG PET and Ca \u00b2\u207a fell in 10\u2076 cells.", []),
        ("An R\u00b2 of 0.8, a \u03c7\u00b2 test and 1.5 mg/m\u00b2 daily.", []),
        # First in the text ("\u00b2 Ketamine ..."), raised digits are no power either.
        (f"\u00b2 {LEAD}.", ["\u00b2"]),
        # A list in brackets holding a 0 is a scale, as in parentheses: citations start at 1.
        ("Pain scale [0-10] improved.", []),
        ("Pain scale [0, 5, 10] and [0] improved.", []),
        ("Pain scale [1-10] improved.", ["[1-10]"]),
        ("Pain scale [10-20] improved.", ["[10-20]"]),
    ],
)
def test_spaced_superscripts_and_scales_inside_a_statement(text: str, unread: list[str]) -> None:
    assert unread_markers(text) == unread


@settings(max_examples=80, deadline=None)
@given(
    numbers=st.lists(st.integers(1, 999), min_size=1, max_size=3),
    space=st.sampled_from(["", " ", "  ", "\u00a0", "\t"]),
    separator=st.sampled_from([",", "\u02d2", ";"]),
    after=st.sampled_from([" and fibromyalgia", ", fibromyalgia", ")"]),
)
def test_a_raised_marker_after_a_word_is_found_spaced_or_not(
    numbers: list[int], space: str, separator: str, after: str
) -> None:
    raised = separator.join(map(str, numbers)).translate(_RAISE)
    assert unread_markers(f"{MANAGING}{space}{raised}{after}.") == [raised]


@settings(max_examples=80, deadline=None)
@given(numbers=st.lists(st.integers(0, 30), min_size=1, max_size=4))
def test_a_bracket_inside_a_statement_is_a_marker_unless_it_holds_a_0(numbers: list[int]) -> None:
    """A scale ("[0-10]") is the text's; any other list in brackets is refused."""
    bracket = f"[{', '.join(map(str, numbers))}]"
    unread = unread_markers(f"{LEAD}, scored {bracket}, {COMPONENT}.")
    assert unread == ([] if 0 in numbers else [bracket])


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        (" [3]", f'the citation marker "[3]" {INNER}'),
        (" \u00b3", f'the citation marker "\u00b3" {INNER}'),
        ("\u00b3", f'the citation marker "\u00b3" {INNER}'),
        ("^3^", f'the citation marker "^3^" (a caret superscript) {INNER}'),
    ],
)
def test_check_refuses_a_marker_inside_a_claim_as_import_does(
    empty_kb: Path, tmp_path: Path, written: str, problem: str
) -> None:
    """A claim imported before the rule, or edited by hand with its source line, is held
    to what the importer refuses: the same problem, at the claim's text."""
    source = tmp_path / "s.txt"
    inner = SUMMARY.replace("syndromes,", f"syndromes{written},")
    refused = f"{source}:3: {problem}\nError: 1 problem found\n"
    assert imported(empty_kb, source, inner) == (1, "", refused)
    assert imported(empty_kb, source, SUMMARY) == (0, created(empty_kb, 1, 1), "")
    topic = empty_kb / "topics" / "t"
    for name in ("source.txt", "claims.toml"):
        kept = (topic / name).read_text(encoding="utf-8")
        (topic / name).write_text(kept.replace("syndromes,", f"syndromes{written},"), "utf-8")
    ran = ekb_here("check", "--kb", str(empty_kb))
    assert (ran.exit_code, ran.stdout, ran.stderr) == (
        1,
        "",
        f"{topic}/claims.toml:9: {problem}{AGAIN}\nError: 1 problem found\n",
    )


def test_check_refuses_a_marker_in_a_claims_heading(empty_kb: Path, tmp_path: Path) -> None:
    assert imported(empty_kb, tmp_path / "s.txt", SUMMARY) == (0, created(empty_kb, 1, 1), "")
    claims = empty_kb / "topics" / "t" / "claims.toml"
    kept = claims.read_text(encoding="utf-8")
    claims.write_text(kept.replace("Management", "Management [6]"), encoding="utf-8")
    ran = ekb_here("check", "--kb", str(empty_kb))
    assert (ran.exit_code, ran.stdout, ran.stderr) == (
        1,
        "",
        f'{claims}:8: the citation marker "[6]" inside the heading is not read; cite at the end '
        f"of the statement, all its numbers in one marker, or make it two statements{AGAIN}\n"
        "Error: 1 problem found\n",
    )


def test_check_leaves_a_bracket_in_a_claims_jsonl_claim_its_own(
    empty_kb: Path, tmp_path: Path
) -> None:
    """A claims-jsonl file gives citations apart from the text: a bracket or raised number
    in its text is the claim's own, imported as it stands, and so checked."""
    sample = Path(__file__).parents[1] / "data" / "evidence-sample.jsonl"
    lines = sample.read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    first["text"] = "1 in 5 million [3] in UK have abnormal PrP\u00b2 positivity."
    source = tmp_path / "claims.jsonl"
    source.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n", encoding="utf-8")
    words = ("--topic", "t", "--format", "claims-jsonl", "--kb", str(empty_kb))
    assert ekb_here("import", str(source), *words).exit_code == 0
    ran = ekb_here("check", "--kb", str(empty_kb))
    assert (ran.exit_code, ran.stderr) == (0, "")


@pytest.mark.parametrize(
    ("name", "statement", "unread"),
    [
        ("s.txt", f"{LEAD} \u00b9, {COMPONENT} 2.", ["\u00b9"]),
        ("s.md", f"{LEAD} <sup>1</sup>, {COMPONENT} 2.", ["\u00b9"]),
        # Problems of one line are listed by their text: "\u00b3" sorts before "\u00b9".
        ("s.md", f"{LEAD} <sup>1</sup> <sup>3</sup>, {COMPONENT} 2.", ["\u00b3", "\u00b9"]),
    ],
)
def test_a_spaced_superscript_inside_a_statement_is_refused(
    empty_kb: Path, tmp_path: Path, name: str, statement: str, unread: list[str]
) -> None:
    """Before, "CRPS \u00b9 and pain 3." imported as "CRPS \u00b9 and pain." citing 3 alone."""
    source = tmp_path / name
    summary = f"## From the Research\n\n### Overview\n\n- {statement}\n"
    problems = "".join(f'{source}:5: the citation marker "{m}" {INNER}\n' for m in unread)
    count = f"{len(unread)} problem{'s' if len(unread) > 1 else ''}"
    assert imported(empty_kb, source, summary) == (1, "", f"{problems}Error: {count} found\n")
    assert list((empty_kb / "topics").iterdir()) == []


def test_a_scale_in_brackets_inside_a_statement_imports_and_checks(
    empty_kb: Path, tmp_path: Path
) -> None:
    source = tmp_path / "s.txt"
    scale = SUMMARY.replace("syndromes,", "syndromes, scored [0-10],")
    assert imported(empty_kb, source, scale) == (0, created(empty_kb, 1, 1), "")
    exported = json.loads(ekb_here("export", "--format", "json", "--kb", str(empty_kb)).stdout)
    assert [(c["text"], c["citations"]) for c in exported] == [
        (f"{LEAD}, scored [0-10], {COMPONENT}.", [2])
    ]
    ran = ekb_here("check", "--kb", str(empty_kb))
    assert (ran.exit_code, ran.stderr) == (0, "")


# -- 6. a negative power typed as raised characters --------------------------------------------

MODERATE = "Ketamine has been shown to have efficacy in treating central pain"
# A P value and an infusion rate as the text layout gives them, in Unicode superscripts.
SIGNIFICANT = "P < 10\u207b\u00b3"
RATE = "at up to 1 mg\u00b7kg\u207b\u00b9\u00b7h\u207b\u00b9"


@pytest.mark.parametrize(
    ("statement", "text", "citations"),
    [
        (f"{ANALGESIA}, {SIGNIFICANT}.", None, ()),
        (f"{ANALGESIA} {RATE}.", None, ()),
        (f"{ANALGESIA}, {SIGNIFICANT}.\u00b2", f"{ANALGESIA}, {SIGNIFICANT}.", (2,)),
        (f"{ANALGESIA}, {SIGNIFICANT} 2.", f"{ANALGESIA}, {SIGNIFICANT}.", (2,)),
        (f"{ANALGESIA} {RATE} [2].", f"{ANALGESIA} {RATE}.", (2,)),
        # A range has a raised number before its dash: it cites, as before.
        (f"{ANALGESIA}\u00b9\u207b\u00b3.", f"{ANALGESIA}.", (1, 2, 3)),
    ],
)
def test_a_negative_power_at_a_statements_end_is_no_marker(
    statement: str, text: str | None, citations: tuple[int, ...]
) -> None:
    """Before, "P < 10\u207b\u00b3." cited 3, its text "P < 10\u207b."."""
    marker = split_marker(statement)
    read = (marker.text, marker.citations) if marker else (None, ())
    assert read == (text, citations)


@pytest.mark.parametrize(
    ("text", "unread"),
    [
        (f"{ANALGESIA}, {SIGNIFICANT}, in CRPS.", []),
        (f"{ANALGESIA} {RATE} in CRPS.", []),
        (f"{ANALGESIA} {RATE},\u00b9\u207b\u00b3 in CRPS.", ["\u00b9\u207b\u00b3"]),
    ],
)
def test_a_negative_power_inside_a_statement_is_the_texts(text: str, unread: list[str]) -> None:
    assert unread_markers(text) == unread


@pytest.mark.parametrize(
    "text", [f"{MODERATE}, {SIGNIFICANT}.", f"{MODERATE}, {SIGNIFICANT}", "At 1.5 mg/m\u00b2."]
)
def test_a_raised_marker_is_written_apart_from_a_power(text: str) -> None:
    """Joined to the power's digits it would read as one number: "10\u207b\u00b3\u00b9."."""
    written = with_marker(text, (1,), "superscript")
    marker = split_marker(written)
    assert marker is not None
    assert (marker.text, marker.citations) == (text, (1,))


def test_negative_powers_in_the_text_layout_import_check_and_export_verbatim(
    empty_kb: Path, tmp_path: Path
) -> None:
    source = tmp_path / "s.txt"
    summary = f"From the Research\n- {ANALGESIA} {RATE}.\u00b9\n- {MODERATE}, {SIGNIFICANT}.\n"
    assert imported(empty_kb, source, summary) == (0, created(empty_kb, 2, 1), "")
    topic = load_kb(empty_kb).topic("t")
    assert [(c.text, c.citations) for c in topic.claims] == [
        (f"{ANALGESIA} {RATE}.", (1,)),
        (f"{MODERATE}, {SIGNIFICANT}.", ()),
    ]
    # The curator cites 1 for the second claim too: written back apart from the power.
    claims = empty_kb / "topics" / "t" / "claims.toml"
    kept = claims.read_text(encoding="utf-8").split("[[claim]]")
    kept[2] = kept[2].replace("citations = []", "citations = [1]")
    kept[2] = kept[2].replace("it cites no source.", "it cites source 1.")
    claims.write_text("[[claim]]".join(kept), encoding="utf-8")
    ran = ekb_here("check", "--kb", str(empty_kb))
    assert (ran.exit_code, ran.stdout, ran.stderr) == (
        0,
        f"{empty_kb}: OK (1 topic, 2 claims)\n",
        "",
    )
    ran = ekb_here("export", "--format", "text", "--topic", "t", "--kb", str(empty_kb))
    assert (ran.exit_code, ran.stdout, ran.stderr) == (
        0,
        f"From the Research\n- {ANALGESIA} {RATE}.\u00b9\n- {MODERATE}, {SIGNIFICANT}.\u00b9\n",
        "",
    )


# -- 5. numbers a held-out check found taken for citations -----------------------------------

# Real statements that end in a number of their own: Kass's criterion for significant
# bacteriuria (10⁵ colony-forming units per mL), the usual cause of Down syndrome.
KASS = "Significant bacteriuria was traditionally defined as a colony count of at least 10"


@pytest.mark.parametrize(
    ("text", "layout"),
    [
        (f"{KASS}⁵.", "text"),
        (f"{KASS}<sup>5</sup>.", "markdown"),
        ("Heterogeneity between the trials was quantified with I².", "text"),
        ("The variance explained was given as R².", "text"),
        ("Most cases of Down syndrome are caused by trisomy 21.", "text"),
        ("Elevated levels of interleukin 6.", "text"),
        ("Response rates were lower in genotype 1.", "text"),
        ("Between-study variance was estimated as Tau\u00b2.", "text"),
        ("Heterogeneity between trials was assessed with the Chi\u00b2.", "text"),
        ("Pain scores over time are shown in Fig. 2.", "text"),
        ("The dose was escalated to dose level no. 3.", "text"),
        ("The mean number of infusions was approx. 5.", "text"),
    ],
)
def test_a_number_of_the_sentences_own_at_its_end_cites_nothing(text: str, layout: str) -> None:
    """A power joined to what it raises, and a number after a word that numbers what
    it names, are the sentence's: the claim keeps the number, and cites nothing."""
    summary = f"From the Research\nOverview\n- {text}\n- {AWARE} 2.\n"
    if layout == "markdown":
        summary = f"## From the Research\n\n### Overview\n\n- {text}\n- {AWARE} 2.\n"
    first, second = parse_summary(summary, "s", layout)
    shown = text.replace("<sup>5</sup>", "\u2075")
    assert (first.text, first.citations) == (shown, ())
    assert second.citations == (2,)


@pytest.mark.parametrize(
    ("ending", "marker"),
    [(" [1.", "[1"), (" 1].", "1]"), (" (1.", "(1"), (" [1, 2", "[1, 2"), (" (2; 3.", "(2; 3")],
)
def test_a_marker_whose_bracket_is_left_open_or_never_opened_is_refused(
    ending: str, marker: str
) -> None:
    """Its numbers would be lost and its brackets left in the claim's text."""
    assert summary_problems(f"From the Research\nOverview\n- {ANALGESIA}{ending}\n", "s") == [
        f's:3: the citation marker "{marker}" in the statement is miswritten, and no rule '
        "reads it; write its numbers as a list or range in brackets, [1, 2] or [1-3], at "
        "the end of the statement"
    ]


@pytest.mark.parametrize(
    "text",
    ["The odds ratio was 1.3 (95% CI 12-15).", "Scores improved (n = 12.", "Pain fell (see 2)."],
)
def test_numbers_in_a_bracket_the_sentence_opened_are_its_own(text: str) -> None:
    assert unread_markers(text) == []


@pytest.mark.parametrize(
    "statement",
    [
        f'{LEAD} as "a viable option".1',
        f"{LEAD} as \u201ca viable option\u201d.1",
        f'{LEAD} as "a viable option"1.',
    ],
)
def test_a_number_joined_to_a_closing_quote_cites(statement: str) -> None:
    """A superscript flattened after a quotation's close: read, never left in the text."""
    (found,) = parse_summary(f"From the Research\nOverview\n- {statement}\n", "s.txt")
    assert found.citations == (1,)
    assert found.text == statement.replace(".1", ".").replace("1.", ".")


@pytest.mark.parametrize("layout", ["text", "article"])
def test_a_question_without_a_citation_heads_what_follows(layout: str) -> None:
    """A sub-heading is a line with no citation and no closing period: a question too."""
    question = "What is the role of ketamine in chronic pain?"
    summary = f"From the Research\n{question}\n- {AWARE} 2.\n"
    if layout == "article":
        summary = f"Ketamine\n\n{question}\n\n{AWARE} 2.\n"
    (statement,) = parse_summary(summary, "s", layout, "research" if layout == "article" else None)
    assert (statement.heading, statement.citations) == (question, (2,))


def test_a_bullet_over_nested_bullets_is_their_lead_in_in_the_text_layout() -> None:
    """As in the other layouts: the list item ending in ":" heads the items nested in it."""
    summary = (
        "From the Research\nAdministration and Side Effects of Ketamine\n"
        f"- {ROUTES}, including:\n  - oral administration 6.\n  - intranasal administration 6.\n"
        f"- {AWARE} 2.\n"
    )
    statements = parse_summary(summary, "s.txt")
    heading = f"Administration and Side Effects of Ketamine > {ROUTES}, including"
    assert [(s.heading, s.text, s.citations) for s in statements] == [
        (heading, "oral administration.", (6,)),
        (heading, "intranasal administration.", (6,)),
        ("Administration and Side Effects of Ketamine", f"{AWARE}.", (2,)),
    ]


QUOTED = f'{LEAD} as "a viable option"'


@pytest.mark.parametrize(
    ("statement", "text", "citations"),
    [(f"{LEAD}.2-4", f"{LEAD}.", (2, 3, 4)), (f"{LEAD}.2\u20134", f"{LEAD}.", (2, 3, 4)),
     (f"{LEAD}.2, 4", f"{LEAD}.", (2, 4)), (f"{LEAD}.2; 4", f"{LEAD}.", (2, 4)),
     (f"{LEAD}.2,3-5", f"{LEAD}.", (2, 3, 4, 5)), (f"{QUOTED}2-4.", f"{QUOTED}.", (2, 3, 4)),
     # a blank before the comma, as some copies leave it
     (f"{LEAD}.2 ,3", f"{LEAD}.", (2, 3)), (f"{LEAD}.2 , 3", f"{LEAD}.", (2, 3))],
)  # fmt: skip
def test_a_flattened_superscript_range_or_spaced_list_cites(
    statement: str, text: str, citations: tuple[int, ...]
) -> None:
    """Raised "²⁻⁴" or "²˒ ⁴" copied flat after the period: read whole, never left in the
    claim's text citing nothing (the article layout, with no reference list, took it so)."""
    summary = f"Ketamine\n\nOverview\n\n{statement}\n"
    (found,) = parse_summary(summary, "s.txt", "article", "research")
    assert (found.text, found.citations) == (text, citations)


def test_a_caret_marker_is_written_back_as_a_caret_marker() -> None:
    text = "Ketamine blocks NMDA receptors."
    for numbers in ((1,), (2, 3), (1, 2, 3)):
        marker = split_marker(with_marker(text, numbers, "caret"))
        assert marker is not None
        assert (marker.text, marker.citations, marker.style) == (text, numbers, "caret")
    # A power at the end is the text's, not a citation: "m^2^." cites nothing.
    assert split_marker("The dose was 1 mg/m^2^.") is None


@pytest.mark.parametrize(
    ("ending", "citations"),
    [
        # Raised after a name that ends in a number, or after a year: a citation.
        (" in COVID-19^2^.", (2,)),
        (" in COVID-19\u00b2.", (2,)),
        (" by IL-6^4^.", (4,)),
        (" since 2019\u00b2.", (2,)),
        # Raised after a number: a power, the text's.
        (" at least 10^5^.", None),
        (" at 5x10^5^.", None),
        (" at least 10\u2075.", None),
        # Carets typed as text (escaped), or around a digit that is not ASCII's.
        (".\\^3\\^", None),
        (".^\u0665^", None),
    ],
)
def test_a_raised_number_after_a_name_or_year_cites_after_a_number_raises(
    ending: str, citations: tuple[int, ...] | None
) -> None:
    marker = split_marker(ANALGESIA + ending)
    assert (marker.citations if marker else None) == citations


def test_a_caret_marker_is_written_with_its_spaces_escaped_as_pandoc_writes_them() -> None:
    from evidencekb.kb.citations import format_marker

    assert format_marker((2, 3, 4), "caret", ", ") == "^2,\\ 3,\\ 4^"
    marker = split_marker(f"{ANALGESIA}.^2,\\ 3,\\ 4^")
    assert marker is not None and marker.citations == (2, 3, 4)
