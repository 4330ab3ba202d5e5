"""References as a reader cites them, on the reference, claim and topic pages.

Each described reference is formatted in one citation style, Vancouver (the NLM's
Citing Medicine, 2nd edition), by citeproc-py from the CSL-JSON item that `ekb export --format
csl-json` writes for it (`refexport.csl_item`, the one mapping of a reference to CSL).
The style file is vendored in `csl/` with its licence. A reference the source gives
only by its number is not formatted: the pages say so.

citeproc-py escapes the work's text and adds only style markup (italics and the like);
its HTML still passes through nh3, which keeps those few tags and nothing else. The
result depends only on the reference, so the same kb formats to the same bytes.
Formatting is done on first use and kept per reference: a build that renders only some
pages formats only their references.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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

from evidencekb.kb.bibliography import IDENTIFIER_LINKS, identifier_url
from evidencekb.kb.refexport import csl_item
from evidencekb.model import Reference

STYLE_FILE = Path(__file__).parent / "csl" / "nlm-citation-sequence.csl"
STYLE_TITLE = "Vancouver style (NLM, Citing Medicine 2nd edition)"
# What the style may add around the work's own (escaped) text.
_STYLE_TAGS = {"i", "b", "sup", "sub"}


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


@dataclass
class CitationFormatter:
    """Formats references in the vendored style; one per build (the style is parsed once)."""

    style: CitationStylesStyle = field(
        default_factory=lambda: CitationStylesStyle(str(STYLE_FILE), validate=False)
    )
    _done: dict[tuple[str, int], Markup | None] = field(default_factory=dict)

    def formatted(self, reference: Reference) -> Markup | None:
        """The reference as the style writes it, as safe HTML; None when the kb knows
        only its number, or nothing the style writes."""
        key = (reference.topic, reference.number)
        if key not in self._done:
            self._done[key] = self._format(reference) if reference.is_described else None
        return self._done[key]

    def _format(self, reference: Reference) -> Markup | None:
        item = csl_item(reference)
        bibliography = CitationStylesBibliography(self.style, CiteProcJSON([item]), formatter.html)
        bibliography.register(Citation([CitationItem(item["id"])]))
        (entry,) = bibliography.bibliography()
        # The style writes the entry's citation number first, as a field of its own
        # (second-field-align); the pages number their references themselves, so that
        # field is left out. Alone in its bibliography, the reference is number 1.
        text = str(entry).removeprefix("1.").strip()
        if not text:
            return None
        return Markup(nh3.clean(text, tags=_STYLE_TAGS, attributes={}))
