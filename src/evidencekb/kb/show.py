"""`ekb show` and `ekb list`: one claim with everything the knowledge base knows
about it, what the cited works found first; and the claims' ids, to pick one."""

from __future__ import annotations

import difflib

from evidencekb.errors import KBError
from evidencekb.model import Claim, Evidence, KnowledgeBase, Reference, Topic
from evidencekb.names import NOT_STATED, SECTION_TITLES
from evidencekb.registry import REFERENCE_FIELDS, TOPIC_FIELDS, Fact, claim_facts, reference_facts
from evidencekb.terminal import NARROWEST, wrapped
from evidencekb.verdict import NOT_RECORDED, Verdict, brief, claim_json, verdict

LIST_COMMAND = "ekb list"  # the command that lists the ids, named in errors
_LABEL = 13  # the width of the "Cited works: " column


def find_claim(kb: KnowledgeBase, wanted: str) -> Claim:
    """The claim whose id is `wanted`, starts with it, or whose short hash (the id
    without its topic's slug) starts with it, if only one does."""
    try:
        return kb.claim(wanted)
    except KeyError:
        pass
    found = [c for c in kb.claims if c.id.startswith(wanted) or short_id(c).startswith(wanted)]
    exact = [c for c in found if short_id(c) == wanted]
    if len(found) == 1 or len(exact) == 1:
        return (exact or found)[0]
    if found:
        some = ", ".join(c.id for c in found[:5]) + (", …" if len(found) > 5 else "")
        raise KBError(f"'{wanted}' begins {len(found)} claims' ids ({some}); give more of the id")
    raise KBError(f"no claim '{wanted}'{_suggestion(kb, wanted)}")


def short_id(claim: Claim) -> str:
    """The id without the topic's slug: "8008e692" for "ketamine-pain-8008e692"."""
    prefix = f"{claim.topic}-"
    return claim.id[len(prefix) :] if claim.id.startswith(prefix) else claim.id


def _suggestion(kb: KnowledgeBase, wanted: str) -> str:
    ids = {c.id: c.id for c in kb.claims} | {short_id(c): c.id for c in kb.claims}
    close = difflib.get_close_matches(wanted, list(ids), n=3)
    named = list(dict.fromkeys(ids[name] for name in close))
    hint = f"`{LIST_COMMAND}` lists the ids"
    if not named:
        return f"; {hint}"
    names = [repr(n) for n in named]
    listed = " or ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
    return f"; did you mean {listed}? ({hint})"


def claim_details(kb: KnowledgeBase, claim: Claim) -> dict[str, object]:
    """The export shape plus what the ids point at: references, labels, and the topic's
    fields (registry.TOPIC_FIELDS), each as topic_NAME."""
    topic = kb.topic(claim.topic)
    level = kb.strength.level(claim.strength)
    return {
        **claim_json(kb, claim),
        "topic_title": topic.title,
        "strength_title": level.title,
        "strength_definition": level.definition,
        "category_labels": [kb.category(c).label for c in claim.categories],
        "entity_labels": [kb.entity(e).label for e in claim.entities],
        "references": [_reference(topic, n).to_dict() for n in claim.citations],
        **{f"topic_{f.name}": getattr(topic, f.name) for f in TOPIC_FIELDS if f.name != "title"},
    }


def claim_text(kb: KnowledgeBase, claim: Claim, width: int = 88) -> str:
    """A readable page about the claim for the terminal, `width` columns wide: what
    its cited works found, what is claimed, how strong, from where, and each of its
    fields the registry declares with a label (registry.claim_facts); then each cited
    work with its stance and quotations."""
    topic = kb.topic(claim.topic)
    summary = verdict(claim, kb.stances, kb.strength)
    where = SECTION_TITLES[claim.section] + (f": {claim.heading}" if claim.heading else "")
    categories = ", ".join(kb.category(c).label for c in claim.categories) or "none"
    entities = ", ".join(kb.entity(e).label for e in claim.entities) or "none"
    lines = [
        claim.id,
        *wrapped(f"{topic.title} — {where}", width),
        "",
        *_evidence_lines(summary, width),
        "",
        *wrapped(claim.text, width),
        "",
        *_field("Strength:", _capital(summary.strength.text.removeprefix("Strength: ")), width),
        *(_field("", claim.strength_basis, width) if claim.strength_method == "derived" else []),
        *_field("Source:", f"{claim.source}, line {claim.source_line}", width),
        *_field("Dates:", _dates(claim, topic), width),
        *_field("Categories:", categories, width),
        *_field("Entities:", entities, width),
        *(line for fact in claim_facts(claim) for line in fact_lines(fact, width)),
        *_relations(kb, claim, width),
        "",
        *_cited_works(kb, claim, width),
        *_notice_lines(topic, claim, width),
    ]
    return "\n".join(lines)


def _dates(claim: Claim, topic: Topic) -> str:
    """ "Added 2026-11-23 · changed 2026-12-05 · topic last reviewed 2026-12-05"."""
    parts = [f"Added {claim.added}" if claim.added else "Date added not recorded"]
    if claim.changed:
        parts.append(f"changed {claim.changed}")
    if topic.last_reviewed:
        parts.append(f"topic last reviewed {topic.last_reviewed}")
    return " · ".join(parts)


def _notice_lines(topic: Topic, claim: Claim, width: int) -> list[str]:
    """Each cited work an editorial notice marks: "[2] RETRACTED: Retraction 2010-02-02"."""
    lines: list[str] = []
    for cited in claim.notices:
        reference = _reference(topic, cited.citation)
        said = f"[{cited.citation}] {reference.notices_text}"
        lines += _field("Notices:" if not lines else "", said, width)
    return lines


def _evidence_lines(summary: Verdict, width: int) -> list[str]:
    """What the cited works found, each finding on its line (a curator's contradiction,
    a retracted or corrected work), marked as lists mark a claim a reader must not
    miss: before the claim's words, so that they never read as fact first."""
    lines: list[str] = []
    for number, finding in enumerate(summary.findings):
        mark = "\u26a0 " if number == 0 and summary.warning else ""
        lines += _field("" if lines else "Evidence:", mark + finding, width)
    return lines


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _relations(kb: KnowledgeBase, claim: Claim, width: int) -> list[str]:
    lines: list[str] = []
    for relation in claim.relations:
        kinds = (t.label for t in kb.relation_kinds if t.id == relation.kind)
        label = next(kinds, relation.kind).lower()
        if relation.claim == claim.id:
            said = f"this claim {label} {relation.other} (a curator's link)"
        else:
            said = f"{relation.claim} {label} this claim (a curator's link)"
        lines += _field("Related:" if not lines else "", said, width)
    return lines


def _cited_works(kb: KnowledgeBase, claim: Claim, width: int) -> list[str]:
    if not claim.citations:
        return _field(
            "Cited works:", "none: the source gives no citation for this statement", width
        )
    topic = kb.topic(claim.topic)
    lines = ["Cited works:"]
    for evidence in claim.citation_evidence:
        reference = _reference(topic, evidence.citation)
        first, *rest = _describe(reference)
        lines += wrapped(f"[{evidence.citation}] {first}", width, "  ", "    ")
        for more in rest:
            lines += wrapped(more, width, "    ", "      ")
        lines += _stance_lines(kb, evidence, reference, width)
    return lines


def _stance_lines(
    kb: KnowledgeBase, evidence: Evidence, reference: Reference, width: int
) -> list[str]:
    try:
        stance = kb.stance(evidence.stance)
    except KeyError:
        stance = None
    if stance is None or evidence.stance == NOT_STATED:
        said = f"{NOT_RECORDED} (nobody has recorded what this work says of the claim)"
    else:
        said = stance.label
    lines = wrapped(f"Stance of the cited work: {said}", width, "    ", "      ")
    for quote in evidence.quotes:
        lines += wrapped(f'Sentence {quote.sentence + 1}: "{quote.text}"', width, "    ", "      ")
    return lines


def _field(label: str, value: str, width: int) -> list[str]:
    # A label as wide as the column, or wider, is still followed by a space.
    lead = label.ljust(_LABEL) if len(label) < _LABEL else f"{label} "
    return wrapped(value, width, lead, " " * _LABEL)


def fact_lines(fact: Fact, width: int) -> list[str]:
    """A labelled field's lines in `ekb show`, as its other fields are written."""
    return _field(f"{fact.label}:", fact.text, width)


def claim_list(topics: tuple[Topic, ...], width: int = 88) -> str:
    """Every claim's id and the start of its text, one a line, topic by topic; each
    claim led by its finding in brief (verdict.brief: "\u26a0 contradicted", "No cited
    work's finding recorded"), so that even a list of ids never shows a claim as fact.
    A narrow terminal cuts the words, never the finding."""
    lines = []
    for each in topics:
        lines.append(f"{each.title} ({each.slug}): {len(each.claims)} claims")
        for claim in each.claims:
            lead = f"  {claim.id}  {brief(claim)}: "
            lines.append(lead + _shortened(claim.text, max(width, NARROWEST) - len(lead)))
    return "\n".join(lines)


def _shortened(text: str, width: int) -> str:
    """`text` cut at a word to fit `width` columns (at least its first word's first
    letter), an ellipsis saying so."""
    if len(text) <= width:
        return text
    cut = text[: max(width - 1, 1)]
    return (cut.rsplit(" ", 1)[0] if " " in cut.strip() else cut).rstrip(" ,;:") + "…"


def _reference(topic: Topic, number: int) -> Reference:
    """The topic's entry for a cited number; a bare one where it has none."""
    found = (r for r in topic.references if r.number == number)
    return next(found, None) or Reference(topic.slug, number)


# The fields a cited work's citation line writes, as a citation does: its authors,
# title, journal, year, DOI, PMID and address, or where none of those is known, the
# reference as the source wrote it. Every other field the registry declares follows,
# a line each, label and value, as the reference page lists it: a field added to the
# registry (a publication type, a language) is shown with no more code.
_CITATION_LINE = frozenset(
    {"authors", "title", "journal", "year", "doi", "pmid", "url", "citation_text"}
)
_BESIDE_THE_LINE = tuple(f for f in REFERENCE_FIELDS if f.name not in _CITATION_LINE)


def _describe(reference: Reference) -> list[str]:
    """The work's citation line, then each other field it has: "Label: value"."""
    if not reference.is_described:
        return ["the source gives only the number; no bibliographic details are known"]
    parts = [
        "; ".join(reference.authors),
        reference.title,
        reference.journal,
        str(reference.year) if reference.year else None,
        f"doi:{reference.doi}" if reference.doi else None,
        f"PMID {reference.pmid}" if reference.pmid else None,
        reference.url,
    ]
    line = ". ".join(p for p in parts if p) or reference.citation_text
    facts = (f"{f.label}: {f.text}" for f in reference_facts(reference, _BESIDE_THE_LINE))
    return [*([line] if line else []), *facts]
