"""Markdown prose from kb/ (topic overviews, the strength method) rendered safely.

The prose is written by clinician-editors and reviewed in pull requests, but it is
still input. Two layers keep script out of the pages. Python-Markdown is told to treat
raw HTML as text, so `<script>` or `<a onclick=...>` in the prose is shown, not passed
through. Then its HTML goes through nh3 (the Ammonia sanitizer), which parses it as a
browser would, character references and all, and keeps only the tags and attributes
below, and links only to the schemes below or to relative paths. A list of allowed
schemes checked on the parsed URL cannot be fooled by `javascript&#58;` or a tab inside
`java script:`, which a pattern over the Markdown text could.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

# What the prose may contain once rendered: the HTML that Python-Markdown with the
# tables and sane_lists extensions writes, headings from h3 down (see _DemoteHeadings).
# No images: the site fetches nothing from another host.
ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "h3", "h4", "h5", "h6", "em", "strong", "code", "pre",
        "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start"},
    "th": {"style"},  # the tables extension aligns columns with text-align
    "td": {"style"},
}
ALLOWED_STYLE_PROPERTIES = frozenset({"text-align"})
# Schemes a link may use; a link without a scheme (a relative path, a #fragment) is kept.
URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Code points an HTML document may not hold (the HTML standard's "control character"
# and "noncharacter" parse errors): C0 controls but tab, line feed and carriage return,
# DEL, C1 controls, and the noncharacters. A one-line field cannot hold them (`ekb
# check`), but prose and a summary as imported can; a page shows each as a `\uXXXX`
# escape, visible and inert, as the terminal does (terminal.py).
_NONCHARACTERS = "".join(chr(plane << 16 | low) for plane in range(17) for low in (0xFFFE, 0xFFFF))
_NOT_IN_HTML = re.compile(rf"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef{_NONCHARACTERS}]")


class _DemoteHeadings(Treeprocessor):
    """The prose sits under a page's h1 and a section h2: its top heading level becomes
    h3 and the others follow, so the page's outline has no gaps."""

    def run(self, root: ET.Element) -> None:
        headings = [e for e in root.iter() if re.fullmatch(r"h[1-6]", e.tag)]
        if not headings:
            return
        shift = 3 - min(int(e.tag[1]) for e in headings)
        for element in headings:
            element.tag = f"h{min(int(element.tag[1]) + shift, 6)}"


class _ProseMarkdown(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # Without these two, raw HTML blocks and inline tags are escaped as text.
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.treeprocessors.register(_DemoteHeadings(md), "demote_headings", 1)


def render_markdown(text: str) -> str:
    """Sanitized HTML for a piece of kb/ prose; tables and footnote-free extras only."""
    converter = markdown.Markdown(
        extensions=[_ProseMarkdown(), "tables", "sane_lists"], output_format="html"
    )
    return shown_controls(sanitize(converter.convert(text)))


def shown_controls(text: str) -> str:
    """`text` with each code point HTML does not allow written as an escape: `\\uXXXX`,
    or `\\UXXXXXXXX` beyond the Basic Multilingual Plane (as Python writes them)."""
    return _NOT_IN_HTML.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    point = ord(match.group())
    return f"\\u{point:04x}" if point <= 0xFFFF else f"\\U{point:08x}"


def sanitize(html: str) -> str:
    """Only ALLOWED_TAGS, ALLOWED_ATTRIBUTES and links to URL_SCHEMES or relative paths."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes=ALLOWED_ATTRIBUTES,
        filter_style_properties=set(ALLOWED_STYLE_PROPERTIES),
        url_schemes=set(URL_SCHEMES),
        link_rel=None,  # no target=_blank here, and rel on relative links says nothing
        strip_comments=True,
    )
