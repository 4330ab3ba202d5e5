"""The layouts a summary is written in, and each one read into blocks.

- `text`: today's plain summary, one line a block: part headings, sub-headings,
  bullet statements (`-`, `*`, `•`, `1.`); a line ending in ":" is a heading. A line
  that is no block of its own (a wrapped statement's next line, an underline) is
  refused, never read as a statement of its own.
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
from dataclasses import replace
from itertools import pairwise
from pathlib import PurePath

from evidencekb.kb.blocks import (
    MARKDOWN_START,
    TABLE,
    Block,
    LayoutProblem,
    table_lines,
    trimmed,
)
from evidencekb.kb.citations import SUP_TAG
from evidencekb.kb.reflist import list_start
from evidencekb.model import split_lines

# A part heading, as a whole line or a heading's text.
PART_HEADING = re.compile(r"(?:#+\s*)?from the (guidelines|research)\s*:?", re.IGNORECASE)
# File names that say Markdown.
MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")
_UNDERLINE = re.compile(r"=+")
_SETEXT = re.compile(r"=+|-+")
# A line of dashes or equals signs: Markdown's underline (or rule), never a statement.
_RULE = re.compile(r"-{2,}|=+")
# Lines only Markdown writes: an ATX heading (`## From the Research`), a line all in
# emphasis (`*Key Points to Consider*`, `**Efficacy**`), a superscript tag.
_ATX_LINE = re.compile(r"#{1,6}(?:\s|\Z)")
_EMPHASIS_LINE = re.compile(r"(?P<e>\*{1,3}|_{1,3})(?=[^\s*_]).*(?<=[^\s*_])(?P=e):?")
# A star opening emphasis that a later star on the line closes: no blank after the first
# and none before the second (`*Ketamine* may ...`; not `*Ketamine may cause *severe*`).
_EMPHASIS_OPENS = re.compile(r"\*[^\s*][^*]*(?<=[^\s*])\*")
# Bullets of the article layout that Markdown reads as text, not as a list.
_GLYPHS = "\u2022\u2023\u2043\u2219\u25aa\u25cf\u25e6\u2013"
_ATX = re.compile(r"(#{1,6})(?:\s+(.*?))?(?:\s+#+)?\s*\Z")
# A bullet: a dash, star or bullet sign (a space after it optional, as today's summaries
# write "-text" and "*text"; `_bullet` takes a line all in emphasis, `*Key Points*`, for
# no bullet), Word's plain-text bullets `o` and `§` before a blank and a word (not a
# number: `§ 4` is a section), or a number and "." or ")" and a space.
_BULLET = re.compile(
    rf"(?:[-*+{_GLYPHS}](?=\s|\Z|[^-*+\s])|[o\u00a7](?=[ \t]+[^\d\s])|\d{{1,3}}[.)](?=\s|\Z))"
    r"\s*(?P<body>.*)",
    re.DOTALL,
)


def detect_layout(text: str, file_name: str) -> str:
    """The layout a summary is written in: `markdown` by its file name, or by a line
    only Markdown writes (a `#` heading, a title underlined with `=`, a heading
    underlined with `---` or `===`, a line all in emphasis, `<sup>`) in a summary
    Markdown reads as its lines are written; `text` if a line is a part heading;
    otherwise `article`."""
    if PurePath(file_name).suffix.lower() in MARKDOWN_SUFFIXES:
        return "markdown"
    raw = _body_lines(text)
    lines = [line.strip() for line in raw]
    if _markdown_lines(lines) and not _plain_text_lines(raw):
        return "markdown"
    if any(PART_HEADING.fullmatch(line) for line in lines):
        return "text"
    return "article"


def _markdown_lines(lines: list[str]) -> bool:
    """Whether lines (stripped) hold one that only Markdown writes."""
    start = next((index for index, line in enumerate(lines) if line), 0)
    first, below = [*lines, "", ""][start : start + 2]
    if first and _UNDERLINE.fullmatch(below):
        return True
    if any(SUP_TAG.search(line) for line in lines):
        return True
    if any(_ATX_LINE.match(line) or _EMPHASIS_LINE.fullmatch(line) for line in lines):
        return True
    return any(
        re.fullmatch(r"-{3,}|={3,}", below) and not MARKDOWN_START.match(line) and line
        for line, below in pairwise(lines)
    )


def _plain_text_lines(raw: list[str]) -> bool:
    """Whether lines are written as Markdown would not read them: bullets it does not
    know (`•`), or a line run together with the one above it that Markdown would join
    to it, where the text layout reads a line of its own (a bare part heading over the
    next line; a heading under a bullet). An indented line or one that starts in lower
    case goes on with the line above in both, as a wrapped line does."""
    lines = [line.strip() for line in raw]
    if any(line.startswith(tuple(_GLYPHS)) for line in lines):
        return True
    if any(
        PART_HEADING.fullmatch(line)
        and not line.startswith("#")
        and below
        and not _SETEXT.fullmatch(below)
        for line, below in pairwise(lines)
    ):
        return True
    return any(_joined(above, line) for above, line in pairwise(raw))


def _joined(above: str, line: str) -> bool:
    """Whether Markdown joins `line` to the paragraph or item above it, where the text
    layout reads it as a line of its own."""
    above, below = above.strip(), line.strip()
    if not above or not below or line[0].isspace() or below[0].islower():
        return False
    if _ATX_LINE.match(above) or _SETEXT.fullmatch(above):
        return False  # a heading or a rule ends on its own line
    return not (MARKDOWN_START.match(below) or _SETEXT.fullmatch(below))


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
    return line_blocks(_body_lines(text), layout)


def line_blocks(lines: list[str], layout: str) -> tuple[list[Block], list[LayoutProblem]]:
    """One block a non-blank line: `# heading`, a bullet or a number item, or prose;
    and each line that is no block of its own (a wrapped bullet's next line, an
    underline, a table's), which the layout cannot read."""
    blocks: list[Block] = []
    tables = table_lines(lines)
    problems = [LayoutProblem(table.start + 1, TABLE) for table in tables]
    in_tables = {index for table in tables for index in table}
    for number, raw in enumerate(lines, start=1):
        line = trimmed(raw)
        if not line or number - 1 in in_tables:
            continue
        indent = len(raw) - len(raw.lstrip())
        if problem := _not_a_block(blocks, number, line, indent, layout):
            problems.append(problem)
            if blocks and blocks[-1].last == number - 1:
                # A wrapped statement takes in its next line, and so the one after; its
                # text too, so that its first half is no heading of its own.
                above = blocks[-1]
                text = above.text if _RULE.fullmatch(line) else f"{above.text} {line}"
                blocks[-1] = replace(above, last=number, text=text)
        elif atx := _ATX.fullmatch(line):
            heading = (atx.group(2) or "").strip()
            blocks.append(Block("heading", number, number, heading, len(atx.group(1))))
        elif bullet := _bullet(line):
            body = trimmed(bullet.group("body"))
            mark = line[: bullet.start("body")].strip()
            numbered = mark[:-1] if mark[:1].isdigit() else ""
            mark = mark[-1] if numbered else mark[:1]  # "1." and "2." alike
            item = Block("item", number, number, body, depth=1 + indent, bullet=mark)
            blocks.append(replace(item, number=numbered))
        else:
            blocks.append(Block("prose", number, number, line))
    return blocks, problems


def _bullet(line: str) -> re.Match[str] | None:
    """The line (stripped) as a bullet and its body; None if it is none. A star with no
    space after it is a bullet unless it opens emphasis that a star on the line closes:
    `*Key Points*` is a heading and `*Ketamine* may cause cystitis 2.` a statement, both
    as written; `*Ketamine helps 1.` is a bullet's statement."""
    if line.startswith("*") and (_EMPHASIS_LINE.fullmatch(line) or _EMPHASIS_OPENS.match(line)):
        return None
    return _BULLET.fullmatch(line)


def _not_a_block(
    blocks: list[Block], number: int, line: str, indent: int, layout: str
) -> LayoutProblem | None:
    """Why the line `number` is no block of its own, in a layout of one line a block:
    it goes on with the bullet right above it (indented deeper, no bullet of its own),
    or it underlines the line above as Markdown does; None when it is a block."""
    if _RULE.fullmatch(line):
        return LayoutProblem(
            number,
            f"a line of only '-' or '=' is Markdown's underline or rule, which the {layout} "
            "layout does not read; remove it, or import the summary as Markdown "
            "(--layout markdown)",
        )
    above = blocks[-1] if blocks else None
    if above is None or above.kind == "heading" or above.last != number - 1:
        return None
    if not (_wrapped(above, line) or (above.kind == "item" and _goes_on(above, line, indent))):
        return None
    return LayoutProblem(
        number,
        f"this line continues the statement on line {above.line}, and the {layout} layout "
        "reads one line a statement; write each statement on one line",
    )


# A wrapped line's first word, its letters; how many words a line that runs on has at
# least (a heading, "Key Points to Consider", has fewer); the ends of a line that
# does not.
_FIRST_WORD = re.compile(r"[^\W\d_]+")
_RUN_ON_WORDS = 6
_SENTENCE_ENDS = (".", "!", "?", ":")


def _goes_on(above: Block, line: str, indent: int) -> bool:
    """Whether `line` is indented under the bullet above it with no bullet of its own."""
    return indent >= above.depth and not (_ATX.fullmatch(line) or _bullet(line))


def _wrapped(above: Block, line: str) -> bool:
    """Whether `line` is the next line of a sentence wrapped at the end of the line above:
    that line runs on (six words or more, or a comma or semicolon at its end) with no
    sentence's end or lead-in's colon, and this one starts with a word all in lower case
    ("... opioids alone, and ketamine" over "has been used as an adjuvant [2]."). Read as
    two blocks, the first half would be a heading and the statement half of one. A
    heading ("Efficacy") over a statement that starts with a term of mixed case ("eGFR
    falls ...", "iPSC-derived ...", "pH ...") is no wrap."""
    first = _FIRST_WORD.match(line)
    if first is None or not first.group().islower() or above.text.endswith(_SENTENCE_ENDS):
        return False
    return len(above.text.split()) >= _RUN_ON_WORDS or above.text.endswith((",", ";"))


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
