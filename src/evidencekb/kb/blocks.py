"""What every layout of a summary is read into (layouts.py, markdown_layout.py):
blocks with their lines and their text as a reader reads it; and what every layout
refuses alike (a table)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A heading depth below any a document writes: a heading line with no "#", or a
# Markdown paragraph that stands as a heading ("**Key Points**").
BARE = 7


# What starts a Markdown block of its own, rather than going on with the paragraph or
# list item above: a bullet or number with a space, a heading, a quote, a fence, a tag
# (`<` and a letter, "/", "!" or "?": not an autolink, `<https://...>`, nor text such
# as a DOI's `<857::AID-SIM777>`, which go on with the text), a rule.
MARKDOWN_START = re.compile(
    r"(?:[-*+]|\d{1,9}[.)])(?:\s|\Z)|#{1,6}(?:\s|\Z)|>|```|~~~"
    r"|<(?=[A-Za-z/!?])(?![A-Za-z][\w+.-]*:)|(?:[-*_][ \t]*){3,}\Z"
)
# An HTML block of comments and nothing else (`<!-- reviewed 2026-12 -->` between the
# items): an editor's note, which a page does not show; it holds no statement or work.
COMMENTS_ONLY = re.compile(r"(?:\s*<!--.*?-->)+\s*", re.DOTALL)

# Characters that show as nothing, pasted at a line's ends from the web or Word: a
# zero-width space, joiner or non-joiner, soft hyphen, word joiner, byte order mark,
# directional mark. Trimmed as blanks are, or "... effects 2, 3.\u200b" would end in
# text, its citation read as words and lost. Bidi embeddings and isolates are kept:
# text_fault holds each to its closing character.
INVISIBLE = "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"
_ENDS = re.compile(rf"\A[\s{INVISIBLE}]+|[\s{INVISIBLE}]+\Z")


def trimmed(line: str) -> str:
    """`line` without the blanks and invisible characters at its ends."""
    return _ENDS.sub("", line)


@dataclass(frozen=True)
class Block:
    kind: str  # "heading", "item" (of a list) or "prose" (a line or paragraph)
    line: int  # its first line, 1-based
    last: int  # its last line
    text: str  # as a reader reads it: markup read away, blanks trimmed
    level: int = BARE  # a heading's depth (1 to 6, or BARE)
    depth: int = 0  # how deep in lists: 0 outside any
    # An item's bullet: "-", "*", "+", "\u2022" ..., or "." or ")" after a number. A
    # list's items share one; an item with another at its depth starts another list.
    bullet: str = ""
    # A later paragraph of the list item above it: CommonMark's item holds several.
    goes_on: bool = False
    # A numbered item's number as written ("2"), on its first paragraph.
    number: str = ""
    # Wholly in emphasis, as a heading is written (`**Key points to consider**`).
    emphasized: bool = False


@dataclass(frozen=True)
class LayoutProblem:
    """Something in a summary its layout cannot read, at its line."""

    line: int
    message: str


# A table: GFM's header row over its delimiter row (`| Route | Dose |` over `|---|---|`),
# a row between pipes (`| IV | 0.5 mg/kg |`), or lines of cells split alike by pipes.
# Refused in every layout (layouts.py, markdown_layout.py): its cells are no statements.
_TABLE_CELL = r"\s*:?-+:?\s*"
_TABLE_DELIMITER = re.compile(rf"(?=.*\|)\|?{_TABLE_CELL}(?:\|{_TABLE_CELL})*\|?")
TABLE = "this line starts a table, and tables are not read; write each finding as a statement"


def table_lines(lines: list[str]) -> list[range]:
    """The tables among `lines`, each as the range of its indexes: from a row over a
    delimiter row, a row that starts with a pipe, or the first of two lines holding as
    many pipes, to the last line after it that holds a pipe."""
    lines = [line.strip() for line in lines]
    tables: list[range] = []
    index = 0
    while index < len(lines):
        line, below = lines[index], [*lines, ""][index + 1]
        pipes = line.count("|")
        if pipes and (
            (line.startswith("|") and pipes > 1)
            or _TABLE_DELIMITER.fullmatch(below)
            or below.count("|") == pipes
        ):
            end = index + 1
            while end < len(lines) and "|" in lines[end]:
                end += 1
            tables.append(range(index, end))
            index = end
        else:
            index += 1
    return tables
