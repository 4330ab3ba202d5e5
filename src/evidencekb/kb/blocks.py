"""What every layout of a summary is read into (layouts.py, markdown_layout.py):
blocks with their lines and their text as a reader reads it."""

from __future__ import annotations

from dataclasses import dataclass

# A heading depth below any a document writes: a heading line with no "#", or a
# Markdown paragraph that stands as a heading ("**Key Points**").
BARE = 7


@dataclass(frozen=True)
class Block:
    kind: str  # "heading", "item" (of a list) or "prose" (a line or paragraph)
    line: int  # its first line, 1-based
    last: int  # its last line
    text: str  # as a reader reads it: markup read away, blanks trimmed
    level: int = BARE  # a heading's depth (1 to 6, or BARE)
    depth: int = 0  # how deep in lists: 0 outside any


@dataclass(frozen=True)
class LayoutProblem:
    """Something in a summary its layout cannot read, at its line."""

    line: int
    message: str
