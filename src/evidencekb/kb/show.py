"""`ekb show`: one claim with everything the knowledge base knows about it."""

from __future__ import annotations

import difflib
import textwrap

from evidencekb.errors import KBError
from evidencekb.model import (
    NOTICE_MARKS,
    SECTION_TITLES,
    Claim,
    KnowledgeBase,
    Reference,
    Topic,
)


def find_claim(kb: KnowledgeBase, claim_id: str) -> Claim:
    try:
        return kb.claim(claim_id)
    except KeyError:
        close = difflib.get_close_matches(claim_id, [c.id for c in kb.claims], n=1)
        hint = f"; did you mean '{close[0]}'?" if close else "; `ekb export` lists the ids"
        raise KBError(f"no claim '{claim_id}'{hint}") from None


def claim_details(kb: KnowledgeBase, claim: Claim) -> dict[str, object]:
    """The export shape plus what the ids point at: references, labels, the topic."""
    topic = kb.topic(claim.topic)
    level = kb.strength.level(claim.strength)
    return {
        **claim.to_dict(),
        "topic_title": topic.title,
        "strength_title": level.title,
        "strength_definition": level.definition,
        "category_labels": [kb.category(c).label for c in claim.categories],
        "entity_labels": [kb.entity(e).label for e in claim.entities],
        "references": [_reference(topic.references, n).to_dict() for n in claim.citations],
        "topic_last_reviewed": topic.last_reviewed,
        "topic_literature_searched": topic.literature_searched,
    }


def claim_text(kb: KnowledgeBase, claim: Claim) -> str:
    """A readable page about the claim for the terminal."""
    topic = kb.topic(claim.topic)
    level = kb.strength.level(claim.strength)
    where = SECTION_TITLES[claim.section] + (f": {claim.heading}" if claim.heading else "")
    wrap = textwrap.TextWrapper(width=88, subsequent_indent="  ")
    lines = [
        claim.id,
        f"{topic.title} — {where}",
        "",
        *textwrap.wrap(claim.text, width=88),
        "",
        f"Strength:   {level.title} ({claim.strength_method})",
        *wrap.wrap(f"Basis:      {claim.strength_basis}"),
        f"Categories: {', '.join(kb.category(c).label for c in claim.categories) or 'none'}",
        *wrap.wrap(
            f"Entities:   {', '.join(kb.entity(e).label for e in claim.entities) or 'none'}"
        ),
        f"Source:     {claim.source}, line {claim.source_line}",
        f"Dates:      {_dates(claim, topic)}",
    ]
    cited = [f"[{n}] {_describe(_reference(topic.references, n))}" for n in claim.citations] or [
        "none: the source gives no citation for this statement"
    ]
    lines += [("Citations:  " if i == 0 else " " * 12) + line for i, line in enumerate(cited)]
    notices = [
        f"[{cited.citation}] {NOTICE_MARKS[cited.mark].upper()}: {_notices(ref)}"
        for cited in claim.notices
        for ref in [_reference(topic.references, cited.citation)]
    ]
    lines += [("Notices:    " if i == 0 else " " * 12) + line for i, line in enumerate(notices)]
    return "\n".join(lines)


def _dates(claim: Claim, topic: Topic) -> str:
    """ "Added 2026-11-23 · changed 2026-12-05 · topic last reviewed 2026-12-05"."""
    parts = [f"Added {claim.added}" if claim.added else "Date added not recorded"]
    if claim.changed:
        parts.append(f"changed {claim.changed}")
    if topic.last_reviewed:
        parts.append(f"topic last reviewed {topic.last_reviewed}")
    return " · ".join(parts)


def _notices(reference: Reference) -> str:
    """A work's notices, oldest first: "Retraction 2010-02-02 (doi:...)"."""
    return "; ".join(
        f"{n.nature_label} {n.date}" + (f" (doi:{n.doi})" if n.doi else "")
        for n in reference.notices
    )


def _reference(references: tuple[Reference, ...], number: int) -> Reference:
    return next(r for r in references if r.number == number)


def _describe(reference: Reference) -> str:
    if not reference.is_described:
        return "the source gives only the number; no bibliographic details are known"
    parts = [
        "; ".join(reference.authors),
        reference.title,
        reference.journal,
        str(reference.year) if reference.year else None,
        f"doi:{reference.doi}" if reference.doi else None,
        f"PMID {reference.pmid}" if reference.pmid else None,
        reference.url,
    ]
    return ". ".join(p for p in parts if p)
