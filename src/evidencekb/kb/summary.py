"""What a summary says, read from its blocks (layouts.py) in any layout.

A summary has a title line (optional), a "From the Guidelines" and a "From the
Research" part (or none, and then `--section` names the one part), headings of any
depth over statements, and lead-in lines ("Key characteristics:") over the
statements they introduce. Each statement is kept verbatim; its citation marker
becomes numbers (citations.py). A statement's heading is its heading path, the
headings above it and its lead-in, joined by HEADING_SEPARATOR. A cited sentence is a
statement wherever it stands: on a line that goes on as a heading or lead-in ("... 1. Its
use is summarised below"), it is a statement and the rest the heading (but a numbered
title, "Recommendation 1", is a heading, not a statement citing its number); a `#` heading
holding one is refused, as is a citation marker no rule reads (one inside a statement or
heading, `^1^`). Every line that would give a claim `ekb check` rejects (a citation 0, a
number twice, a control character) is a problem at that line, with the same rule the
check applies; a problem that stands on many lines for one cause is reported once, with
the lines it stands on.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field, replace

from evidencekb.errors import Problem, ValidationError
from evidencekb.kb.blocks import BARE, Block
from evidencekb.kb.citations import (
    Marker,
    citation_faults,
    cited_sentences,
    split_marker,
    unread_faults,
    worded_faults,
)
from evidencekb.kb.layouts import PART_HEADING, read_blocks
from evidencekb.kb.text import shown, text_fault

HEADING_SEPARATOR = " > "
# Citation markers only a citation is written in.
_MARKED = frozenset(("bracketed", "bracket-each", "parenthesized", "superscript", "caret"))
_HEADING_MARKUP = re.compile(r"^#+\s*|\s*:\Z")
# A section's number before a heading's words, "2.", "2 " or a subsection's "2.1" or
# "2.1.3.": a subsection's heading stands under its section's ("2.1" under "2. ...").
_SECTION_NUMBER = re.compile(r"(?P<number>\d{1,3}(?:\.\d{1,3}){0,5})\.?\s+\S")
# Lines a repeated problem names before it counts the rest.
_LINES_NAMED = 5


@dataclass(frozen=True)
class Statement:
    section: str
    heading: str | None  # the heading path; None under no heading
    text: str
    citations: tuple[int, ...]
    style: str | None  # how its marker was written; None when uncited
    line: int
    last: int = 0  # its last line, for a paragraph over several (0: `line`)
    written: str = ""  # as the summary wrote it, marker and all


@dataclass(frozen=True)
class Summary:
    layout: str
    title: str | None  # the document's title line, if it has one
    statements: tuple[Statement, ...]


def read_document(text: str, display: str, layout: str, section: str | None = None) -> Summary:
    """Read a summary in `layout`; raise ValidationError naming every problem.
    `section` is the part of a summary without part headings."""
    reader = _SummaryReader(display, layout, section)
    return reader.read(text)


def parse_summary(
    text: str, display: str, layout: str = "text", section: str | None = None
) -> tuple[Statement, ...]:
    """The statements of a summary (see `read_document`)."""
    return read_document(text, display, layout, section).statements


def statements_as_written(text: str, layout: str) -> tuple[Statement, ...]:
    """A kept summary's statements, whatever its problems (`ekb export` writes it
    back around the claims that stand on its lines)."""
    reader = _SummaryReader("", layout, None)  # its problems are `ekb check`'s to report
    reader.read_blocks(text)
    return tuple(reader.statements)


@dataclass
class _Heading:
    text: str
    line: int
    level: int
    depth: int = 0  # a lead-in's: it holds for the blocks deeper than this
    used: bool = False
    listed: bool = False  # a lead-in's: a list has come under it
    # A lead-in that is a list item's paragraph: it holds for the item's later ones.
    of_item: bool = False
    # A later paragraph's lead-in: the item's first paragraph's, which heads it.
    outer: str | None = None
    number: str = ""  # its section's number ("2", "2.1"), if it is numbered


@dataclass
class _SummaryReader:
    display: str
    layout: str
    option: str | None  # --section
    problems: list[Problem] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    section: str | None = None
    headings: list[_Heading] = field(default_factory=list)
    lead_in: _Heading | None = None
    nested_next: bool = False  # whether the block after the one read is nested deeper
    heads_prose: bool = False  # whether the block read is an item alone, over prose or a list
    heads_item: bool = False  # whether it is an item's paragraph, over its later ones
    title: str | None = None
    first_seen: dict[str, int] = field(default_factory=dict)  # statement text -> line

    def read(self, text: str) -> Summary:
        self.read_blocks(text)
        self.check_bare_numbers()
        if not self.statements and not self.problems:
            self.problem(1, "no statements found")
        if self.problems:
            raise ValidationError(_grouped(self.problems))
        return Summary(self.layout, self.title, tuple(self.statements))

    def read_blocks(self, text: str) -> None:
        blocks, unreadable = read_blocks(text, self.layout)
        for problem in unreadable:
            self.problem(problem.line, problem.message)
        self.start(blocks)
        for index, block in enumerate(blocks):
            # A list item that ends in ":" over items nested deeper is their lead-in.
            self.nested_next = index + 1 < len(blocks) and blocks[index + 1].depth > block.depth
            self.heads_prose = _heads_prose(blocks, index)
            self.heads_item = _heads_item(blocks, index)
            if index == 0 and self.is_title(block):
                self.title = block.text
                if fault := text_fault(block.text):
                    self.problem(block.line, f"the title {fault}")
                self.check_uncited(block, "title")
            else:
                self.feed(block)
        self.close_headings(0)

    def check_bare_numbers(self) -> None:
        """In a summary that marks its citations (brackets, parentheses, superscripts), one
        bare number ending a statement ("... for 50% pain relief was 6.") may be the
        sentence's own as well as a citation: which, only its writer knows. Refused."""
        marked = next((s for s in self.statements if s.style in _MARKED), None)
        if marked is None:
            return
        example = _marker_as_written(marked)
        for statement in self.statements:
            if _bare_number(statement):
                self.problem(
                    statement.line,
                    f'the statement ends in a bare number ("{_marker_as_written(statement)}"), '
                    f'and the summary marks its citations ("{example}" on line {marked.line}): '
                    "the number may be the sentence's own or a citation; mark a citation as "
                    "the others are, or reword the statement so that it does not end in a number",
                )

    def problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.display, line, shown(message)))

    def start(self, blocks: list[Block]) -> None:
        """The part for a summary without part headings, or why there is none."""
        parts = [b for b in blocks if b.kind != "item" and PART_HEADING.fullmatch(b.text)]
        if parts and self.option:
            self.problem(
                parts[0].line,
                f"--section is for a summary without part headings, and this one has "
                f'"{parts[0].text}": leave --section out',
            )
        elif not parts:
            self.section = self.option or "guidelines"
            if not self.option:
                self.problem(
                    1,
                    'no part heading ("From the Guidelines" or "From the Research"): pass '
                    "--section guidelines or --section research to import the summary "
                    "as one part",
                )

    def is_title(self, block: Block) -> bool:
        if block.kind == "item" or PART_HEADING.fullmatch(block.text):
            return False
        if block.kind == "heading":
            return self.layout != "markdown" or block.level == 1
        return self.heading_like(block) and not block.text.endswith(":")

    def heading_like(self, block: Block) -> bool:
        """Prose that is no statement: no citation marker but a numbered title's, no
        closing period, and no cited sentence before its end ("... syndromes 1. Its
        use is summarised below")."""
        text = block.text
        if text.endswith("."):  # a question or an exclamation may head what follows
            return False
        marker = split_marker(text)
        if marker is not None and not _numbered_title(marker):
            return False
        return len(cited_sentences(text)) == 1

    def feed(self, block: Block) -> None:
        self.follow_lead_in(block)
        if block.kind != "item" and (part := PART_HEADING.fullmatch(block.text)):
            self.close_headings(0)
            self.section = part.group(1).lower()
            return
        if block.kind == "heading":
            self.start_heading(block, block.level)
        elif block.kind == "item" and not block.text:
            self.problem(block.line, "empty bullet: write the statement after it")
        elif self.section is None:
            self.problem(
                block.line,
                "text before the first part heading; a summary starts with "
                '"From the Guidelines" or "From the Research"',
            )
        else:
            # Each cited sentence is a statement, even where the block ends as a heading
            # or lead-in would: a heading never takes in a cited sentence.
            *cited, rest = cited_sentences(block.text)
            for sentence in cited:
                self.add_statement(block, sentence)
            self.feed_rest(replace(block, text=rest))

    def feed_rest(self, block: Block) -> None:
        """A block's text after its cited sentences: a lead-in, a heading or a statement."""
        listing = block.kind == "item" and self.nested_next
        lead_in = self.layout != "text" or listing
        if lead_in and block.text.endswith(":") and not split_marker(block.text):
            self.start_lead_in(block, block.text[:-1].rstrip())
        elif (listing or self.heads_item) and self.heading_like(block) and _heads_rest(block):
            # An item's paragraph worded as a heading ("**Key characteristics**", no
            # period, no citation) over items nested in it, or over its later paragraphs
            # ("1. **Overview**"), heads them as a lead-in does.
            self.start_lead_in(block, block.text)
        elif (block.kind == "prose" or self.heads_prose) and self.heading_like(block):
            self.start_numbered(block)
        else:
            self.add_statement(block, block.text)

    def start_lead_in(self, block: Block, text: str) -> None:
        """A lead-in; one of an item's later paragraph stands under the lead-in of the
        item's first ("1. **Efficacy**" over "1.1 Neuropathic pain"), replacing the
        lead-in of an earlier one ("1.2 Central pain")."""
        open_ = self.lead_in
        outer = None
        if open_ is not None and open_.of_item and block.goes_on and block.depth == open_.depth:
            outer = open_.outer or open_.text
            open_.used = True  # its words stay in the new lead-in's
        shown = text if outer is None else f"{outer}{HEADING_SEPARATOR}{text}"
        of_item = block.kind == "item"
        self.lead_in = _Heading(shown, block.line, BARE, block.depth, of_item=of_item, outer=outer)
        self.check_heading(self.lead_in)

    def follow_lead_in(self, block: Block) -> None:
        """A lead-in holds for the list under it, or the prose after it up to a list;
        a heading, or what follows its list at its own depth, ends it."""
        lead_in = self.lead_in
        if lead_in is None:
            return
        if block.depth > lead_in.depth:
            lead_in.listed = True
        elif lead_in.of_item and block.goes_on and block.depth == lead_in.depth:
            return  # its item's next paragraph
        elif block.kind == "heading" or lead_in.depth or lead_in.listed:
            self.close_lead_in()

    def start_numbered(self, block: Block) -> None:
        """A heading with no `#`s, perhaps numbered: one numbered as a subsection of an
        open heading's section ("2.1 Neuropathic pain" under "2. Efficacy") stands under
        it, so that it heads its part of the section rather than replacing its heading;
        any other replaces the last such heading ("1.5 Tesla MRI" under "Dosing")."""
        number = _section_number(block.text) or block.number
        if "." in number:
            parent = next((h for h in self.headings if h.number == _parent(number)), None)
            if parent is not None:
                self.start_heading(block, parent.level + 1, number)
                return
        self.start_heading(block, BARE, number)

    def start_heading(self, block: Block, level: int, number: str = "") -> None:
        # Today's plain summaries have one level of sub-heading: each replaces the last.
        level = 0 if self.layout == "text" else level
        self.close_headings(level)
        heading = _Heading(_HEADING_MARKUP.sub("", block.text), block.line, level, number=number)
        self.headings.append(heading)
        self.check_heading(heading)
        self.check_uncited(block, "heading")

    def check_uncited(self, block: Block, what: str) -> None:
        """A heading line (`#`, underlined) holding a cited sentence is refused: its
        statement would be lost in the heading, and which part heads what is a guess."""
        parts = cited_sentences(block.text)
        marker = split_marker(parts[0])
        if len(parts) > 1 or (marker and marker.text.endswith((".", "!", "?"))):
            self.problem(
                block.line,
                f'the {what} holds a cited statement ("{parts[0]}"); a {what} is never a '
                "claim: write the statement on a line of its own",
            )

    def check_heading(self, heading: _Heading) -> None:
        if fault := text_fault(heading.text):
            self.problem(heading.line, f"the heading {fault}")
        self.check_unread(heading.line, heading.text, "heading")

    def check_unread(self, line: int, text: str, what: str, cites: bool = False) -> None:
        """A marker no rule reads would be a citation lost: refused, never guessed at;
        so is a citation in words or by author and year, where it would leave the
        statement citing nothing. One that `cites` by number writes such a bracket as
        its own words ("advised by NICE (NICE, 2020) [1]")."""
        faults = unread_faults(text, what)
        if not cites:
            faults += worded_faults(text, what)
        for fault in faults:
            self.problem(line, fault)

    def close_headings(self, level: int) -> None:
        """Close the lead-in and every heading at `level` or deeper."""
        self.close_lead_in()
        while self.headings and self.headings[-1].level >= level:
            heading = self.headings.pop()
            if not heading.used:
                self.problem(heading.line, f'heading "{heading.text}" has no statements')

    def close_lead_in(self) -> None:
        if self.lead_in and not self.lead_in.used:
            self.problem(
                self.lead_in.line, f'lead-in "{self.lead_in.text}:" has no statements under it'
            )
        self.lead_in = None

    def heading_path(self) -> str | None:
        path = [*self.headings, *([self.lead_in] if self.lead_in else [])]
        for heading in path:
            heading.used = True
        return HEADING_SEPARATOR.join(h.text for h in path) or None

    def add_statement(self, block: Block, written: str) -> None:
        marker = split_marker(written)
        text = marker.text if marker else written
        if text in self.first_seen:
            self.problem(
                block.line, f"the same statement as line {self.first_seen[text]}; remove one"
            )
            return
        self.first_seen[text] = block.line
        assert self.section is not None
        self.check_statement(block.line, text, marker)
        self.statements.append(
            Statement(
                section=self.section,
                heading=self.heading_path(),
                text=text,
                citations=marker.citations if marker else (),
                style=marker.style if marker else None,
                line=block.line,
                last=block.last,
                written=written,
            )
        )

    def check_statement(self, line: int, text: str, marker: Marker | None) -> None:
        """The rules `ekb check` applies to a claim's text and citations."""
        if fault := text_fault(text):
            self.problem(line, f"the statement {fault}")
        if split_marker(text) is not None:
            self.problem(line, "the statement ends in two citation markers; write them as one")
        else:
            self.check_unread(line, text, "statement", cites=marker is not None)
        if marker:
            for fault in [*marker.faults, *citation_faults(marker.citations)]:
                self.problem(line, fault)


def _section_number(text: str) -> str:
    """The section's number a heading's words start with ("2", "2.1"); "" for none."""
    numbered = _SECTION_NUMBER.match(text)
    return numbered["number"] if numbered else ""


def _parent(number: str) -> str:
    """The number of the section a subsection's number is under ("2" for "2.1")."""
    return number.rsplit(".", 1)[0]


# What follows an item's number, as Block.bullet gives it ("1." and "1)").
_NUMBERED_BULLETS = (".", ")")


def _heads_prose(blocks: list[Block], index: int) -> bool:
    """Whether block `index` is a list item alone in its list, over a paragraph or a list
    of another bullet at its depth, numbered or in title case: a section heading ("1.
    Background" over its paragraph, "1. Key Points" or "* Key Points to Consider" over
    "- ..." items), when worded as one. A bullet in a sentence's case ("* Ketamine
    administration should be restricted ..." over "- ..." items) stays a statement:
    nothing says it is a section's."""
    block = blocks[index]
    if block.kind != "item" or not (block.bullet in _NUMBERED_BULLETS or _set_as_title(block)):
        return False
    after = blocks[index + 1] if index + 1 < len(blocks) else None
    # Its list's item before it: the block before it, past the items nested deeper.
    before = next((b for b in reversed(blocks[:index]) if b.depth <= block.depth), None)
    if after is None or (before is not None and _one_list(before, block)):
        return False
    return after.kind == "prose" or (after.depth == block.depth and not _one_list(after, block))


# A word a title capitalises: one of four letters or more ("Key Points to Consider";
# "of", "and", "to" stay in lower case).
_TITLE_WORD = re.compile(r"[^\W\d_]{4,}")
_MOST_IN_A_TITLE = 8  # words


def _titled(text: str) -> bool:
    """Whether `text` is in title case: each word of four letters or more capitalised."""
    words = _TITLE_WORD.findall(text)
    return bool(words) and all(word[0].isupper() for word in words)


def _heads_rest(block: Block) -> bool:
    """Whether an item's paragraph worded as a heading may head the rest of its item: its
    first may ("1. **Overview**"); a later one only set as a title or numbered as a
    subsection ("1.1 Neuropathic pain"), since one in the middle of an item with no
    period is as likely a statement left unfinished ("1 in 5 million ..." too)."""
    return not block.goes_on or _set_as_title(block) or "." in _section_number(block.text)


def _set_as_title(block: Block) -> bool:
    """Whether a block is set as a title: at most `_MOST_IN_A_TITLE` words, and wholly in
    emphasis or in title case (a recommendation in bold, 25 words with no period, is a
    statement; so is "Ketamine Has Been Shown To Have Efficacy In Treating Central Pain")."""
    short = len(block.text.split()) <= _MOST_IN_A_TITLE
    return short and (block.emphasized or _titled(block.text))


def _heads_item(blocks: list[Block], index: int) -> bool:
    """Whether block `index` is a list item's paragraph and the next block the same
    item's next (its depth, going on with it: not an item nested in it), as
    "1. **Overview**" over the paragraphs indented under it: their lead-in, when worded
    as a heading."""
    block = blocks[index]
    after = blocks[index + 1] if index + 1 < len(blocks) else None
    if block.kind != "item" or after is None:
        return False
    return after.goes_on and after.depth == block.depth


def _one_list(block: Block, other: Block) -> bool:
    """Whether two blocks are items of one list (or one item's paragraphs)."""
    return (
        block.kind == other.kind == "item"
        and block.depth == other.depth
        and block.bullet == other.bullet
    )


# The most words before the number of a numbered title: "Recommendation 1", "Key
# Question 2", "Part 3". A statement is a sentence, longer, or ends in a period.
_TITLE_WORDS = 3


def _numbered_title(marker: Marker) -> bool:
    """Whether a line read as ending in a plain citation number (no sentence end after
    it) is a numbered title instead: a few words that end in no punctuation, and one
    number."""
    words = marker.text.split()
    return (
        marker.style == "plain"
        and len(marker.citations) == 1
        and len(words) <= _TITLE_WORDS
        and marker.text[-1:].isalnum()
    )


def _bare_number(statement: Statement) -> bool:
    """Whether a statement ends in one number, bare, before its end: as a sentence may
    end in its own ("... was 6."); not a list, nor one after the period ("... relief. 6")."""
    if statement.style != "plain" or len(statement.citations) != 1:
        return False
    marker = _marker(statement)
    return not statement.written[: marker.start].rstrip().endswith((".", "!", "?"))


def _marker_as_written(statement: Statement) -> str:
    """A cited statement's marker as the summary wrote it: "[1]", "2,3"."""
    marker = _marker(statement)
    return statement.written[marker.start : marker.end]


def _marker(statement: Statement) -> Marker:
    marker = split_marker(statement.written)
    assert marker is not None  # the statement's citations came from it
    return marker


def _lines_named(lines: list[int]) -> str:
    """ "line 9", "lines 9 and 13", "lines 9, 13, 17, 21, 25 and 4 more"."""
    if len(lines) == 1:
        return f"line {lines[0]}"
    named = [str(n) for n in lines[:_LINES_NAMED]]
    more = len(lines) - _LINES_NAMED
    last = f"{more} more" if more > 0 else named.pop()
    return f"lines {', '.join(named)} and {last}"


def _grouped(problems: list[Problem]) -> list[Problem]:
    """One problem per distinct message, at its first line, naming the others."""
    lines: dict[str, list[int]] = defaultdict(list)
    for problem in problems:
        lines[problem.message].append(problem.line)
    grouped = []
    for message, at in lines.items():
        others = sorted(set(at[1:]) - {at[0]})
        if others:
            message += f" (also on {_lines_named(others)})"
        grouped.append(Problem(problems[0].path, at[0], message))
    return grouped
