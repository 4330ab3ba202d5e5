"""schema.org JSON-LD for claim pages: the claim (schema:Claim) with its evidence
summary as its description, the topic it is part of, the summary it appears in, and
the works it cites.

A described work is typed from its CSL type (`refexport.csl_item`, the one mapping of a
reference's kind) and carries what the kb records: title, authors, year, journal,
pages, its DOI, PMID and PMCID as identifiers, and their records' addresses as
`sameAs`. A work the source gives only by number is a CreativeWork that says so.
Nothing is guessed. The template writes the object with Jinja's `tojson`, which
escapes `<`, `>`, `&` and `'`, so no text can end the script element early.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from evidencekb.kb.bibliography import IDENTIFIER_LINKS, identifier_url
from evidencekb.kb.refexport import csl_item
from evidencekb.model import Claim, Reference
from evidencekb.site.context import TopicHeading
from evidencekb.verdict import Verdict

SCHEMA_CONTEXT = "https://schema.org"
# CSL type (refexport's mapping of a reference's type) -> schema.org type.
_SCHEMA_TYPES = {
    "article-journal": "ScholarlyArticle",
    "book": "Book",
    "webpage": "WebPage",
    "report": "Report",
    "article": "CreativeWork",
}
# The identifiers' names as schema.org PropertyValues give them.
_PROPERTY_IDS = {"doi": "DOI", "pmid": "PMID", "pmcid": "PMCID"}


@dataclass(frozen=True)
class PageLinks:
    """The site's page addresses (render.py's), relative to the site root."""

    topic: Callable[[str], str]
    reference: Callable[[str, int], str]
    source: Callable[[str, int | None], str]


@dataclass(frozen=True)
class ClaimJsonLd:
    """Builds a claim page's JSON-LD object; `reference` looks a cited number up."""

    links: PageLinks
    reference: Callable[[str, int], Reference]
    has_source_line: Callable[[Claim], bool]
    summary: Callable[[Claim], Verdict]  # the claim's evidence summary (verdict.py)
    # (topic slug, work number, root) -> the work's object: every claim citing a work
    # shows the same one (a large kb's claims cite the same works many times over).
    _works: dict[tuple[str, int, str], dict[str, Any]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def __call__(self, claim: Claim, topic: TopicHeading, root: str) -> dict[str, Any]:
        data: dict[str, Any] = {
            "@context": SCHEMA_CONTEXT,
            "@type": "Claim",
            "identifier": claim.id,
            "text": claim.text,
            # What the cited works found and how strong, so that no reader of the data
            # alone takes a claim its cited work contradicts for a fact.
            "description": self.summary(claim).text,
            "isPartOf": {
                "@type": "WebPage",
                "name": topic.title,
                "url": root + self.links.topic(topic.slug),
            },
        }
        if self.has_source_line(claim):
            data["appearance"] = {
                "@type": "CreativeWork",
                "name": topic.source,
                "url": root + self.links.source(topic.slug, claim.source_line),
            }
        works = [self._cited(topic, number, root) for number in claim.citations]
        if works:
            data["citation"] = works
        return data

    def _cited(self, topic: TopicHeading, number: int, root: str) -> dict[str, Any]:
        """`work` for a number the claim cites, made once per work and depth."""
        key = (topic.slug, number, root)
        found = self._works.get(key)
        if found is None:
            found = self._works[key] = self.work(self.reference(topic.slug, number), topic, root)
        return found

    def work(self, reference: Reference, topic: TopicHeading, root: str) -> dict[str, Any]:
        page = root + self.links.reference(reference.topic, reference.number)
        if not reference.is_described:
            return {
                "@type": "CreativeWork",
                "name": f"Reference {reference.number} of {topic.title}",
                "description": f"The source gives only the number {reference.number}.",
                "mainEntityOfPage": page,
            }
        return _described_work(reference, page)


def _described_work(reference: Reference, page: str) -> dict[str, Any]:
    keys = [key for key in IDENTIFIER_LINKS if getattr(reference, key)]
    work: dict[str, Any] = {
        "@type": _SCHEMA_TYPES[csl_item(reference)["type"]],
        "name": reference.title or reference.citation_text,
        "author": [{"@type": "Person", "name": name} for name in reference.authors] or None,
        "datePublished": str(reference.year) if reference.year else None,
        "isPartOf": {"@type": "Periodical", "name": reference.journal}
        if reference.journal
        else None,
        "pagination": reference.pages,
        "identifier": [
            {
                "@type": "PropertyValue",
                "propertyID": _PROPERTY_IDS[key],
                "value": getattr(reference, key),
            }
            for key in keys
        ]
        or None,
        "sameAs": [identifier_url(key, getattr(reference, key)) for key in keys] or None,
        "url": reference.url,
        "mainEntityOfPage": page,
    }
    return {key: value for key, value in work.items() if value is not None}
