"""A Markdown summary read into blocks by markdown-it-py, CommonMark's reference
rules: headings (ATX and setext), paragraphs, bullet and numbered lists at any
depth, block quotes read through. A statement's text is what a reader sees:
emphasis, links and backslash escapes read away, entities decoded, a line break
within a paragraph a space, `<sup>1</sup>` a superscript citation. Code blocks and
HTML blocks hold no statements a reader can take for prose, so each is reported, as
is a line nested deeper in lists and block quotes than the reader goes, and a raised
footnote mark (`pain<sup>a</sup>`), which would be read into the word before it.

Imported only to read a Markdown summary, so that reading kb/ does not load it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.token import Token

from evidencekb.kb.blocks import (
    COMMENTS_ONLY,
    INVISIBLE,
    TABLE,
    Block,
    LayoutProblem,
    table_lines,
)
from evidencekb.kb.citations import DASHES, SUP_TAG, SUPERSCRIPT_DIGITS, split_marker

# The dashes raised as the superscript minus: those of a range (`<sup>1-3</sup>`, with
# an en dash or em dash too), and the minus sign U+2212 of a negative power.
_RAISED_DASHES = DASHES + "\u2212"
# A comma raised as the modifier letter U+02D2, a dash as the superscript minus: the
# spellings the citation reader takes between raised digits.
_SUPERSCRIPT = str.maketrans(
    "0123456789," + _RAISED_DASHES,
    SUPERSCRIPT_DIGITS + "\u02d2" + "\u207b" * len(_RAISED_DASHES),
)
# What a superscript may hold to be read as raised characters: digits, the separators
# of a list of them (commas, semicolons, ampersands: kept as they are, as the citation
# reader takes them between raised digits), dashes and blanks. Anything else is not
# raised but read as its characters, its tags dropped, as a reader reads them:
# `<sup>[3]</sup>` reads `[3]` (a marker the citation reader knows, where a raised
# bracket would be one it does not), `5<sup>th</sup>` reads `5th`.
_RAISABLE = re.compile(rf"[0-9,;&{re.escape(_RAISED_DASHES)} ]*")
# What else a superscript may hold, read unraised, without changing what the text says:
# an ordinal's ending after its digit (`5<sup>th</sup>` is 5th), and the characters
# that read alike raised or not: numbers in brackets or parentheses (`<sup>[3]</sup>`, a
# marker), a charge's signs (`CD4<sup>+</sup>`, `Ca<sup>2+</sup>`), `°`, `®`, `™`,
# `©`, primes and raised digits. Anything else, a footnote letter or symbol
# (`pain<sup>a</sup>`, `<sup>*</sup>`, `<sup>†</sup>`), would be read into the word
# before it ("paina") and the mark lost: refused at its line.
_ORDINAL = re.compile(r"st|nd|rd|th", re.IGNORECASE)
_READ_ALIKE = re.compile(
    rf"[0-9{SUPERSCRIPT_DIGITS},;&()\[\] \-\u2013\u2014\u2212+\u00b1\u207a\u207b"
    r"\u00b0\u00ae\u2122\u00a9\u2032\u2033]*"
)
_DIGITS = frozenset("0123456789")
# A subscript is read lowered where each of its characters has a Unicode subscript
# (`SpO<sub>2</sub>` is SpO₂, `CO<sub>2</sub>`): digits and signs. A letter has none in
# most fonts (`C<sub>max</sub>`): refused, never read into the word before it ("Cmax").
_SUBSCRIPT = str.maketrans(
    "0123456789+-\u2212=()",
    "\u2080\u2081\u2082\u2083\u2084\u2085\u2086\u2087\u2088\u2089"
    "\u208a\u208b\u208b\u208c\u208d\u208e",
)
_LOWERABLE = re.compile(r"[0-9+\-\u2212=()]+")
_SUB_TAG = re.compile(r"<(?P<close>/?)sub(?:\s[^<>]*)?>", re.IGNORECASE)
# A line break, read as the space it stands for in a statement.
_BREAK_TAG = re.compile(r"<br\s*/?>", re.IGNORECASE)
# The name of an HTML tag the reader does not read, or a comment's opening.
_TAG_NAME = re.compile(r"</?([A-Za-z][\w-]*)")
# How much of the word a refused superscript would join its problem shows.
_SHOWN_BEFORE = 30
# How deep in lists and block quotes a line is read: a list counts two levels (the
# list, its item), a block quote one. CommonMark's preset stops there too, but drops
# the rest of the block without a word; _parser's rule stops first and says where.
DEEPEST = 20
# Spaces and line breaks as HTML collapses them; other spaces (no-break) are text.
_BLANKS = re.compile(r"[ \t\r\n]+")
_NOT_READ = {
    "fence": "a fenced code block holds no statements; write them as paragraphs or list items",
    "code_block": "an indented code block (four spaces or a tab) holds no statements; "
    "indent list items by fewer than four spaces, or write them as paragraphs",
    "html_block": "an HTML block holds no statements; write them as Markdown paragraphs "
    "or list items",
}


def markdown_blocks(text: str) -> tuple[list[Block], list[LayoutProblem]]:
    """The blocks of a CommonMark document, and each block it cannot read."""
    problems: list[LayoutProblem] = []
    env: dict[str, Any] = {}
    tokens = _parser(problems).parse(_without_front_matter(text), env)
    problems += _numbered_links(env)
    blocks: list[Block] = []
    bullets: list[str] = []  # of the lists open, innermost last
    read_in: list[bool] = []  # of the items open: whether a paragraph of it was read
    numbers: list[str] = []  # of the items open: a numbered item's number, or ""
    for index, token in enumerate(tokens):
        depth = len(bullets)
        if token.type in ("bullet_list_open", "ordered_list_open"):
            bullets.append(token.markup)
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            bullets.pop()
        elif token.type == "list_item_open":
            read_in.append(False)
            numbers.append(token.info if token.markup in (".", ")") else "")
        elif token.type == "list_item_close":
            read_in.pop()
            numbers.pop()
        elif token.type == "html_block" and COMMENTS_ONLY.fullmatch(token.content):
            continue  # an editor's note, which a Markdown page does not show either
        elif token.type in _NOT_READ and token.map:
            problems.append(LayoutProblem(token.map[0] + 1, _NOT_READ[token.type]))
        elif token.type in ("heading_open", "paragraph_open") and token.map:
            inline = tokens[index + 1]
            first, last = token.map[0] + 1, token.map[1]
            # CommonMark reads a table as a paragraph of its rows, which would head the
            # statements after it, its cells lost.
            if tables := table_lines(inline.content.split("\n")):
                problems.append(LayoutProblem(first + tables[0].start, TABLE))
                continue
            read = inline_text(inline.children or [], first, problems)
            if token.type == "heading_open":
                # A setext heading's map takes in its underline; its text is one line.
                blocks.append(Block("heading", first, last, read, int(token.tag[1])))
            else:
                kind = "item" if depth else "prose"
                bullet = bullets[-1] if bullets else ""
                goes_on = bool(read_in) and read_in[-1]
                if read_in:
                    read_in[-1] = True
                number = numbers[-1] if numbers and not goes_on else ""
                block = Block(kind, first, last, read, depth=depth, bullet=bullet, goes_on=goes_on)
                emphasized = _emphasized(inline.children or [])
                blocks.append(replace(block, number=number, emphasized=emphasized))
    return blocks, problems


_OPENS = ("strong_open", "em_open")
_CLOSES = ("strong_close", "em_close")


def _emphasized(children: list[Token]) -> bool:
    """Whether a paragraph is wholly in emphasis (`**Key points to consider**`), as a
    heading is written: no word of it outside."""
    shown = [child for child in children if child.type != "text" or child.content.strip()]
    depth = 0
    for child in shown:
        if child.type in _OPENS:
            depth += 1
        elif child.type in _CLOSES:
            depth -= 1
        elif depth == 0:
            return False
    return bool(shown) and shown[0].type in _OPENS


# YAML front matter, as Obsidian, Jekyll, Hugo and pandoc write a note's metadata above
# it: "---" on the first line, a "key:" line, and "---" or "..." closing it.
# Its lines are YAML's, with no blank line: a key and its value, an item of a list, a
# value's indented next line or a comment; anything else (a heading, a statement after a
# rule) is the summary's, never dropped.
_FRONT_MATTER = re.compile(
    r"---[ \t]*\n(?P<lines>[A-Za-z_][\w-]*:(?:[ \t].*)?\n"
    r"(?:(?:[A-Za-z_][\w-]*:(?:[ \t].*)?|[ \t]+\S.*|-[ \t].*|#.*)\n)*)"
    r"(?:---|\.\.\.)[ \t]*(?:\n|\Z)"
)


def _without_front_matter(text: str) -> str:
    """`text` with its YAML front matter, which holds no statement and which a page does
    not show as text, as blank lines (so that every line keeps its number). CommonMark
    would read it as a rule and a heading ("tags: pain" underlined), over no statement."""
    found = _FRONT_MATTER.match(text)
    if found is None or any(split_marker(line) for line in found["lines"].splitlines()):
        return text  # a line citing as a statement does is the summary's: read, not dropped
    return "\n" * found.group().count("\n") + text[found.end() :]


def _numbered_links(env: dict[str, Any]) -> list[LayoutProblem]:
    """A link reference definition labelled with a number (`[1]: https://...`) makes
    each `[1]` of the text a link, which reads as a bare 1, not a citation: refused at
    its line, with the spellings of a list that are read."""
    return [
        LayoutProblem(
            found["map"][0] + 1,
            f"[{label}]: defines a link, and Markdown reads each [{label}] in the text as "
            f"that link, not as a citation; list the works under a References heading "
            f"({label}. ...) or as footnotes ([^{label}]: ..., cited as [^{label}])",
        )
        for label, found in env.get("references", {}).items()
        if label.isdigit() and "map" in found
    ]


def _parser(problems: list[LayoutProblem]) -> MarkdownIt:
    """CommonMark, with a first block rule that reports into `problems` the first line
    nested DEEPEST levels deep, and reads no further in its block."""
    md = MarkdownIt("commonmark")
    # A list opens two levels at once, so blocks are read one level past DEEPEST:
    # markdown-it's own cut-off, silent, must lie beyond, never reached before ours.
    md.options["maxNesting"] = DEEPEST + 2

    def too_deep(state: StateBlock, start: int, end: int, silent: bool) -> bool:
        if silent or state.level < DEEPEST:
            return False
        problems.append(
            LayoutProblem(
                start + 1,
                f"this line is nested too deep in lists or block quotes to be read; nest "
                f"lists at most {(DEEPEST - 1) // 2} deep and block quotes at most "
                f"{DEEPEST - 1} (a list counts as two quotes)",
            )
        )
        state.line = end
        return True

    md.block.ruler.before("code", "too_deep", too_deep)
    return md


def inline_text(children: list[Token], line: int, problems: list[LayoutProblem]) -> str:
    """A paragraph's or heading's text (from `line`) as a reader reads it; each
    superscript it cannot read so goes into `problems`."""
    return _InlineReader(line, problems).text(children)


class _InlineReader:
    """The text of inline tokens, `<sup>` runs raised where they are digits."""

    def __init__(self, line: int, problems: list[LayoutProblem]) -> None:
        self.line = line  # of the token being read
        self.problems = problems
        self.parts: list[str] = []
        self.raised: list[str] | None = None  # the superscript being read
        self.raised_at = line  # the line its `<sup>` stands on
        self.depth = 0  # of <sup> tags open
        self.closed_at = -1  # len(parts) when a superscript last ended
        self.lowered: list[str] | None = None  # the subscript being read
        self.lowered_at = line  # the line its `<sub>` stands on

    def text(self, children: list[Token]) -> str:
        for child in children:
            self.read(child)
        if self.lowered is not None:
            self.problems.append(
                LayoutProblem(self.lowered_at, "a <sub> is not closed; close it with </sub>")
            )
            unclosed = "".join(self.lowered)
            self.lowered = None
            self.add(unclosed)
        self.lower()
        return _BLANKS.sub(" ", "".join(self.parts)).strip(" " + INVISIBLE)

    def read(self, child: Token) -> None:
        if child.type in ("text", "code_inline"):
            self.add(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            self.add(" ")
            self.line += 1
        elif child.type == "image":
            alt = _InlineReader(self.line, self.problems)
            self.add(alt.text(child.children or []))
            self.line = alt.line
        elif child.type == "html_inline":
            self.html(child.content)
        if child.type == "html_inline":
            self.line += child.content.count("\n")  # a tag's attributes over lines

    def html(self, written: str) -> None:
        """An inline tag: a superscript's or subscript's read, a line break a space;
        any other is refused, as what it marks would be lost or read as text."""
        tag = written.strip()
        if found := SUP_TAG.fullmatch(tag):
            self.tag(closing=bool(found.group("close")), written=written)
        elif found := _SUB_TAG.fullmatch(tag):
            self.sub(closing=bool(found.group("close")), written=written)
        elif _BREAK_TAG.fullmatch(tag):
            self.add(" ")
        else:
            name = _TAG_NAME.match(tag)
            shown = (
                f"the HTML tag <{name.group(1)}>"
                if name
                else "an HTML comment"
                if tag.startswith("<!--")
                else f'the HTML "{tag}"'
            )
            self.problems.append(
                LayoutProblem(
                    self.line,
                    f"{shown} is not read in a statement or heading; write the text without "
                    "it, in Markdown (emphasis, links, <sup> and <sub> are read)",
                )
            )

    def sub(self, closing: bool, written: str) -> None:
        """Open or close a subscript: its digits and signs lowered when it closes."""
        if not closing:
            if self.lowered is None:
                self.lowered = []
                self.lowered_at = self.line
            return
        if self.lowered is None:
            self.problems.append(
                LayoutProblem(self.line, f'"{written}" closes no <sub>; remove it')
            )
            return
        self.end_sub()

    def end_sub(self) -> None:
        """End the subscript: lowered if it is digits and signs, else refused."""
        assert self.lowered is not None
        text = "".join(self.lowered)
        self.lowered = None
        if _LOWERABLE.fullmatch(text):
            self.add(text.translate(_SUBSCRIPT))
            return
        self.problems.append(
            LayoutProblem(
                self.lowered_at,
                f'the subscript "{text}" holds characters that have no subscript; only digits '
                "and signs are read lowered (CO<sub>2</sub> is CO\u2082): write it without "
                "<sub> and </sub>",
            )
        )
        self.add(text)

    def add(self, text: str) -> None:
        if self.lowered is not None:
            self.lowered.append(text)
        else:
            (self.parts if self.raised is None else self.raised).append(text)

    def tag(self, closing: bool, written: str) -> None:
        if not closing:
            self.depth += 1
            if self.raised is None:
                self.raised = []
                self.raised_at = self.line
        elif self.depth:
            self.depth -= 1
            if not self.depth:
                self.lower()
        else:
            self.add(written)  # a `</sup>` that closes nothing is text as written

    def lower(self) -> None:
        """End the superscript: digits raised, anything else read unraised. One
        written right after another is its own marker (`<sup>1</sup><sup>2</sup>`
        cites 1 and 2, never 12): a raised comma stands between their digits."""
        if self.raised is None:
            return
        text = "".join(self.raised)
        self.raised = None
        if not _RAISABLE.fullmatch(text):
            self.check_unraised(text)
            self.parts.append(text)
            return
        text = text.translate(_SUPERSCRIPT)
        before = self.parts[-1][-1:] if self.parts and self.closed_at == len(self.parts) else ""
        if before and before in SUPERSCRIPT_DIGITS and text[:1] in SUPERSCRIPT_DIGITS:
            text = "\u02d2" + text
        self.parts.append(text)
        self.closed_at = len(self.parts)

    def check_unraised(self, text: str) -> None:
        """A superscript read unraised must read as the text says: an ordinal's ending
        after its digit, or characters alike raised or not; a footnote mark would not."""
        word = _BLANKS.split(self.before())[-1]  # the word it would join, if any
        if _READ_ALIKE.fullmatch(text) or (_ORDINAL.fullmatch(text) and word[-1:] in _DIGITS):
            return
        self.problems.append(
            LayoutProblem(
                self.raised_at,
                f'the raised "{text}" is a footnote mark or other text, not a citation number '
                "(<sup>1</sup>) or an ordinal ending (5<sup>th</sup>), and would be read into "
                f'the text as "{word}{text}"; remove the mark, or write the footnote as a '
                "statement of its own",
            )
        )

    def before(self) -> str:
        """The last characters read before the superscript (at most _SHOWN_BEFORE)."""
        tail = ""
        for part in reversed(self.parts):
            tail = part + tail
            if len(tail) >= _SHOWN_BEFORE:
                break
        return tail[-_SHOWN_BEFORE:]
