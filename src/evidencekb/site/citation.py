"""References as a reader cites them, on the reference, claim and topic pages.

Each described reference is formatted in one citation style, Vancouver (the NLM's
Citing Medicine, 2nd edition), by citeproc-py from the CSL-JSON item that `ekb export --format
csl-json` writes for it (`refexport.csl_item`, the one mapping of a reference to CSL).
The style file is vendored in `csl/` with its licence. A reference the source gives
only by its number is not formatted: the pages say so.

The work's text is HTML-escaped before citeproc-py formats it (its HTML formatter
does not escape), so the style adds the only markup (italics and the like); its HTML
still passes through nh3, which keeps those few tags and nothing else. The
result depends only on the reference, so the same kb formats to the same bytes.
Formatting is done on first use and kept per reference: a build that renders only some
pages formats only their references.

citeproc-py takes several milliseconds a reference (bench/citations.py: over a minute
for the large kb's 8,816), so each result is also kept in the user's cache folder
(`~/.cache/evidencekb/citations/`, see evidencekb/cache.py), named by a hash of
everything the text depends on: the CSL-JSON item, the style file's bytes and the
versions of citeproc-py and nh3. A later build reads it back instead of formatting
again, but only an entry the cache wrote whole (its hash checked, cache.py): one
changed on disk is formatted again and rewritten, so it never reaches a page. What it
reads still passes through nh3 once more. A cache that cannot be read or written
just means formatting again.
"""

from __future__ import annotations

import html
import json
import re
from contextlib import suppress
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import nh3
from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc.source.json import CiteProcJSON
from markupsafe import Markup

from evidencekb.cache import CITATIONS, cache_folder, read_entry, write_atomically
from evidencekb.hashing import content_key
from evidencekb.kb.bibliography import IDENTIFIER_LINKS, identifier_url
from evidencekb.kb.refexport import csl_item
from evidencekb.model import Reference
from evidencekb.paths import CITATION_CACHE_DIRNAME

STYLE_FILE = Path(__file__).parent / "csl" / "nlm-citation-sequence.csl"
STYLE_TITLE = "Vancouver style (NLM, Citing Medicine 2nd edition)"
# What the style may add around the work's own (escaped) text.
_STYLE_TAGS = {"i", "b", "sup", "sub"}
# A page range citeproc-py shortens right ("924-926" -> "924-6"): its minimal form drops
# the characters both ends share, which is right only for ends of digits of one length,
# the last the greater ("S1-S10" would be "S1-0", "1-100" "1-00", "0-0" "0-").
_SHORTENED_RIGHT = re.compile(r"\s*([1-9][0-9]*)\s*[-\u2013]\s*([1-9][0-9]*)\s*")


@dataclass(frozen=True)
class IdentifierLink:
    """A link to a work's record: DOI, PubMed or PMC."""

    label: str  # "DOI", "PubMed", "PMC"
    identifier: str
    url: str


def citation_globals() -> dict[str, Any]:
    """What the templates need to cite works: a formatter for this build, the links."""
    return {
        "citations": CitationFormatter(),
        "citation_style": STYLE_TITLE,
        "identifier_links": identifier_links,
        "identifier_url": identifier_url,
        "identifier_link_keys": tuple(IDENTIFIER_LINKS),
    }


def identifier_links(reference: Reference) -> tuple[IdentifierLink, ...]:
    """The reference's DOI, PubMed and PMC links, in that order, for those it records."""
    return tuple(
        IdentifierLink(label, value, identifier_url(key, value))
        for key, (label, _) in IDENTIFIER_LINKS.items()
        if (value := getattr(reference, key))
    )


def _clean(html: str) -> Markup | None:
    """Only the style's own markup survives; "" (nothing formatted) is None."""
    return Markup(nh3.clean(html, tags=_STYLE_TAGS, attributes={})) if html else None


def _escaped(value: Any) -> Any:
    """Every text in a CSL-JSON value HTML-escaped."""
    if isinstance(value, str):
        return html.escape(value, quote=False)
    if isinstance(value, list):
        return [_escaped(item) for item in value]
    if isinstance(value, dict):
        return {key: _escaped(item) for key, item in value.items()}
    return value


def _cache_stamp() -> str:
    """What a formatted text depends on besides its CSL item."""
    style = content_key(STYLE_FILE.read_bytes())
    return f"{CITATIONS.format} {style} citeproc-py {version('citeproc-py')} nh3 {version('nh3')}"


@dataclass
class CitationFormatter:
    """Formats references in the vendored style; one per build (the style is parsed once).
    `cache` is the folder of formatted texts kept between builds (None: none)."""

    cache: Path | None = field(default_factory=lambda: cache_folder(CITATION_CACHE_DIRNAME))
    style: CitationStylesStyle = field(
        default_factory=lambda: CitationStylesStyle(str(STYLE_FILE), validate=False)
    )
    stamp: str = field(default_factory=_cache_stamp)
    # The style writing every range whole ("S1-S10"), for pages its minimal form would
    # shorten wrong; parsed on first need.
    _expanded: CitationStylesStyle | None = None
    _done: dict[tuple[str, int], Markup | None] = field(default_factory=dict)

    def formatted(self, reference: Reference) -> Markup | None:
        """The reference as the style writes it, as safe HTML; None when the kb knows
        only its number, or nothing the style writes."""
        key = (reference.topic, reference.number)
        if key not in self._done:
            self._done[key] = self._kept(csl_item(reference)) if reference.is_described else None
        return self._done[key]

    def _kept(self, item: dict[str, Any]) -> Markup | None:
        """The item formatted, from the cache folder when an earlier build kept it."""
        entry = None
        if self.cache is not None:
            name = json.dumps([self.stamp, item], sort_keys=True, ensure_ascii=False)
            entry = self.cache / content_key(name)
            kept = read_entry(entry)  # None unless it is what this cache wrote
            with suppress(UnicodeDecodeError):
                if kept is not None:
                    return _clean(kept.decode("utf-8"))
        html = self._format(item)
        if entry is not None:
            with suppress(OSError):
                write_atomically(entry, html.encode("utf-8"))
        return _clean(html)

    def _format(self, item: dict[str, Any]) -> str:
        # citeproc-py's HTML formatter writes the item's text as it finds it: a title's
        # "<b>" would be markup and "<script>x</script>" lost to nh3. Escaped first,
        # the text shows as written and only the style's own tags are markup.
        item = {key: value if key == "id" else _escaped(value) for key, value in item.items()}
        style = self.style if _shortened_right(item.get("page")) else self._whole_ranges()
        bibliography = CitationStylesBibliography(style, CiteProcJSON([item]), formatter.html)
        bibliography.register(Citation([CitationItem(item["id"])]))
        (entry,) = bibliography.bibliography()
        # The style writes the entry's citation number first, as a field of its own
        # (second-field-align); the pages number their references themselves, so that
        # field is left out. Alone in its bibliography, the reference is number 1.
        return str(entry).removeprefix("1.").strip()

    def _whole_ranges(self) -> CitationStylesStyle:
        if self._expanded is None:
            self._expanded = CitationStylesStyle(str(STYLE_FILE), validate=False)
            self._expanded.root.set("page-range-format", "expanded")
        return self._expanded


def _shortened_right(page: Any) -> bool:
    """Whether citeproc-py's minimal form writes `page` right: no page, or a range of
    two numbers of as many digits, the second the greater."""
    match = _SHORTENED_RIGHT.fullmatch(page) if isinstance(page, str) else None
    if match is None:
        return not page
    first, last = match.groups()
    return len(first) == len(last) and int(last) > int(first)
