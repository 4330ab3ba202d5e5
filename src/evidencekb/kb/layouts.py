"""The layouts a summary is written in, and each one read into blocks.

- `text`: today's plain summary, one line a block: part headings, sub-headings,
  bullet statements (`-`, `*`, `•`, `1.`); a line ending in ":" is a heading.
- `markdown`: CommonMark, read by markdown-it-py (markdown_layout.py).
- `article`: a title line, headings, paragraphs, lead-in lines ("Key
  characteristics:"), indented bullets, one line a block, and no part headings.

Every layout becomes the same blocks (a heading, an item of a list, or a line or
paragraph of prose) with their lines and their text as a reader sees it; summary.py
reads the summary's structure from blocks alone, so the rules for parts, titles,
headings, lead-ins and statements are written once.
"""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import PurePath

from evidencekb.kb.blocks import Block, LayoutProblem
from evidencekb.kb.reflist import list_start
from evidencekb.model import split_lines

# A part heading, as a whole line or a heading's text.
PART_HEADING = re.compile(r"(?:#+\s*)?from the (guidelines|research)\s*:?", re.IGNORECASE)
# File names that say Markdown.
MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")
_ATX_TITLE = re.compile(r"#(?:\s+\S.*)?\Z")
_UNDERLINE = re.compile(r"=+")
_SETEXT = re.compile(r"=+|-+")
# Bullets of the article layout that Markdown reads as text, not as a list.
_GLYPHS = "\u2022\u2023\u2043\u2219\u25aa\u25cf\u25e6\u2013"
_ATX = re.compile(r"(#{1,6})(?:\s+(.*?))?(?:\s+#+)?\s*\Z")
# A bullet: a dash, star or bullet sign (a space after it optional, as today's
# summaries write "-text"), or a number and "." or ")" and a space.
_BULLET = re.compile(
    rf"(?:[-*+{_GLYPHS}](?=\s|\Z|[^-*+\s])|\d{{1,3}}[.)](?=\s|\Z))"
    r"\s*(?P<body>.*)",
    re.DOTALL,
)


def detect_layout(text: str, file_name: str) -> str:
    """The layout a summary is written in: `markdown` by its file name, or by a title
    written as Markdown writes one (`# Title` first, or underlined with `===`) in a
    summary Markdown can read; `text` if a line is a part heading; otherwise `article`."""
    if PurePath(file_name).suffix.lower() in MARKDOWN_SUFFIXES:
        return "markdown"
    lines = [line.strip() for line in _body_lines(text)]
    start = next((index for index, line in enumerate(lines) if line), 0)
    first, below = [*lines, "", ""][start : start + 2]
    titled = _ATX_TITLE.match(first) and not PART_HEADING.fullmatch(first)
    underlined = bool(first) and _UNDERLINE.fullmatch(below) is not None
    if (titled or underlined) and not _plain_text_lines(lines):
        return "markdown"
    if any(PART_HEADING.fullmatch(line) for line in lines):
        return "text"
    return "article"


def _plain_text_lines(lines: list[str]) -> bool:
    """Whether lines (stripped) are written as Markdown would not read them: bullets it
    does not know (`•`), or a bare part heading run together with the next line, which
    Markdown would join into one paragraph."""
    if any(line.startswith(tuple(_GLYPHS)) for line in lines):
        return True
    return any(
        PART_HEADING.fullmatch(line)
        and not line.startswith("#")
        and below
        and not _SETEXT.fullmatch(below)
        for line, below in pairwise(lines)
    )


def _body_lines(text: str) -> list[str]:
    """The summary's lines up to its reference list (reflist.py reads the list)."""
    lines = split_lines(text.lstrip("\ufeff"))
    return lines[: list_start(lines)]


def read_blocks(text: str, layout: str) -> tuple[list[Block], list[LayoutProblem]]:
    """The summary's blocks in `layout`, and what in it that layout cannot read."""
    if layout == "markdown":
        from evidencekb.kb.markdown_layout import markdown_blocks

        lines = _body_lines(text)
        blocks, problems = markdown_blocks("".join(line + "\n" for line in lines))
        # CommonMark reads NUL as U+FFFD; the claim would not be the source's text.
        nul = "the line contains the control character U+0000; remove it"
        problems += [LayoutProblem(n, nul) for n, line in enumerate(lines, 1) if "\0" in line]
        return blocks, problems
    return line_blocks(_body_lines(text)), []


def line_blocks(lines: list[str]) -> list[Block]:
    """One block a non-blank line: `# heading`, a bullet or a number item, or prose."""
    blocks = []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if atx := _ATX.fullmatch(line):
            heading = (atx.group(2) or "").strip()
            blocks.append(Block("heading", number, number, heading, len(atx.group(1))))
        elif bullet := _BULLET.fullmatch(line):
            indent = len(raw) - len(raw.lstrip())
            body = bullet.group("body").strip()
            blocks.append(Block("item", number, number, body, depth=1 + indent))
        else:
            blocks.append(Block("prose", number, number, line))
    return blocks


def readable_lines(text: str, layout: str) -> list[str]:
    """The source's lines as `ekb check` compares claims with them: a Markdown block's
    first line as its text reads (emphasis, links and escapes read away)."""
    lines = split_lines(text)
    if layout != "markdown":
        return lines
    blocks, _ = read_blocks(text, layout)
    for block in blocks:
        lines[block.line - 1] = block.text
    return lines
