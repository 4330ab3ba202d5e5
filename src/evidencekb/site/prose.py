"""Markdown prose from kb/ (topic overviews, the strength method) rendered safely.

The prose is written by clinician-editors and reviewed in pull requests, but it is
still input: raw HTML in it is shown as text, never passed through, and links may
only point at web addresses or relative paths (no `javascript:` and the like).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

# Addresses a link or image may carry; anything else (javascript:, data:, vbscript:...)
# is dropped. A value without a scheme is a relative path or a fragment.
_SAFE_SCHEMES = ("http:", "https:", "mailto:")
_URL_ATTRIBUTES = ("href", "src")


def _is_safe_url(url: str) -> bool:
    lowered = "".join(url.split()).lower()
    scheme, colon, _ = lowered.partition(":")
    if not colon or "/" in scheme or "?" in scheme or "#" in scheme:
        return True  # no scheme: relative
    return lowered.startswith(_SAFE_SCHEMES)


class _DropUnsafeUrls(Treeprocessor):
    def run(self, root: ET.Element) -> None:
        for element in root.iter():
            for attribute in _URL_ATTRIBUTES:
                value = element.get(attribute)
                if value is not None and not _is_safe_url(value):
                    del element.attrib[attribute]


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


class _SafeProse(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # Without these two, raw HTML blocks and inline tags are escaped as text.
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.treeprocessors.register(_DropUnsafeUrls(md), "drop_unsafe_urls", 0)
        md.treeprocessors.register(_DemoteHeadings(md), "demote_headings", 1)


def render_markdown(text: str) -> str:
    """HTML for a piece of kb/ prose; tables and footnote-free extras only."""
    converter = markdown.Markdown(
        extensions=[_SafeProse(), "tables", "sane_lists"], output_format="html"
    )
    return converter.convert(text)
