"""A Markdown summary read into blocks by markdown-it-py, CommonMark's reference
rules: headings (ATX and setext), paragraphs, bullet and numbered lists at any
depth, block quotes read through. A statement's text is what a reader sees:
emphasis, links and backslash escapes read away, entities decoded, a line break
within a paragraph a space, `<sup>1</sup>` a superscript citation. Code blocks and
HTML blocks hold no statements a reader can take for prose, so each is reported.

Imported only to read a Markdown summary, so that reading kb/ does not load it.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.token import Token

from evidencekb.kb.blocks import Block, LayoutProblem

_SUPERSCRIPT = str.maketrans(
    "0123456789,-", "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u02d2\u207b"
)
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
    tokens = MarkdownIt("commonmark").parse(text)
    blocks: list[Block] = []
    problems: list[LayoutProblem] = []
    depth = 0
    for index, token in enumerate(tokens):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif token.type in _NOT_READ and token.map:
            problems.append(LayoutProblem(token.map[0] + 1, _NOT_READ[token.type]))
        elif token.type in ("heading_open", "paragraph_open") and token.map:
            inline = tokens[index + 1]
            first, last = token.map[0] + 1, token.map[1]
            read = inline_text(inline.children or [])
            if token.type == "heading_open":
                # A setext heading's map takes in its underline; its text is one line.
                blocks.append(Block("heading", first, last, read, int(token.tag[1])))
            else:
                kind = "item" if depth else "prose"
                blocks.append(Block(kind, first, last, read, depth=depth))
    return blocks, problems


def inline_text(children: list[Token]) -> str:
    """A paragraph's or heading's text as a reader reads it."""
    parts: list[str] = []
    raised = False
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content.translate(_SUPERSCRIPT) if raised else child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(inline_text(child.children or []))
        elif child.type == "html_inline":
            tag = child.content.strip().lower()
            if tag in ("<sup>", "</sup>"):
                raised = tag == "<sup>"
            else:
                parts.append(child.content)
    return _BLANKS.sub(" ", "".join(parts)).strip(" ")
