"""Look-ups the site's pages share, computed once per build from the knowledge base.

Templates get plain functions (`claim_href`, `level`, ...) so that they never walk
the whole knowledge base themselves: with tens of thousands of claims, a per-page scan
would make the build quadratic.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from evidencekb.errors import KBError
from evidencekb.model import Claim, KnowledgeBase, Reference, Term, Topic, split_lines
from evidencekb.names import SECTIONS
from evidencekb.registry import REFERENCE_FIELDS
from evidencekb.site.listing import paginate
from evidencekb.site.prose import shown_controls

# Claims listed per shared citation or entity on a claim page; the reference and
# entity pages, one click away, list them all. Three show what the others are like;
# ten made related claims more than half of a large site's claim pages, where a
# claim's sentence cites the abstract that its neighbours cite too.
RELATED_LIMIT = 3
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def reference_details(reference: Reference) -> list[tuple[str, str, str]]:
    """(field, label, text) for each bibliographic field the kb records, in order."""
    record = reference.record()
    shown = ((f.name, f.label, f.shown(record[f.name])) for f in REFERENCE_FIELDS)
    return [row for row in shown if row[2]]


def check_url_name(kind: str, name: str) -> str:
    """Ids become file names and URLs; refuse any that would need escaping."""
    if not _SAFE_NAME.match(name):
        raise KBError(
            f"{kind} id {name!r} cannot be a page name: use letters, digits, '.', '_' or '-'"
        )
    return name


@dataclass(frozen=True)
class TopicHeading:
    """What a page may show of a topic other than its own: its name and source."""

    slug: str
    title: str
    source: str
    citation_style: str


def topic_heading(topic: Topic) -> TopicHeading:
    return TopicHeading(topic.slug, topic.title, topic.source, topic.citation_style)


@dataclass(frozen=True)
class TopicOfClaim(TopicHeading):
    """What a claim's page shows of its own topic itself; the look-ups answer it the
    rest, about the claim (its cited works, its line, its place in the topic's list:
    site/pagekeys.py). The page is given this rather than the topic, and its key has
    it whole, so that an edit of one claim leaves the pages of the topic's other
    claims as they were; a template that reads more of the topic on a claim's page
    fails the build (StrictUndefined) rather than leave such a page stale."""

    last_reviewed: str | None
    claim_count: int


def topic_of_claim(topic: Topic) -> TopicOfClaim:
    return TopicOfClaim(
        topic.slug,
        topic.title,
        topic.source,
        topic.citation_style,
        topic.last_reviewed,
        len(topic.claims),
    )


@dataclass(frozen=True)
class RelatedClaims:
    """Other claims that share one citation or one entity with a claim: exactly one
    of `citation` (the shared reference number) and `entity` (the shared term) is set."""

    citation: int | None
    entity: Term | None
    claims: tuple[Claim, ...]  # the first RELATED_LIMIT of them not listed before
    total: int  # how many share it in all

    @property
    def more(self) -> bool:
        """Whether some of them are not listed here (listed under an earlier group of
        the page, or beyond RELATED_LIMIT)."""
        return self.total > len(self.claims)


@dataclass
class SiteLookups:
    """Who cites, mentions or is in what, counted once per build (not the search
    index: these are the site's own look-ups)."""

    kb: KnowledgeBase
    by_entity: dict[str, list[Claim]] = field(default_factory=lambda: defaultdict(list))
    by_category: dict[str, list[Claim]] = field(default_factory=lambda: defaultdict(list))
    by_reference: dict[tuple[str, int], list[Claim]] = field(
        default_factory=lambda: defaultdict(list)
    )
    references: dict[tuple[str, int], Reference] = field(default_factory=dict)
    by_strength: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # slug -> section -> how many claims: the home page's table (counting them in the
    # template walked every claim of the kb once per topic and section).
    section_counts: dict[str, Counter[str]] = field(default_factory=dict)
    source_line_counts: dict[str, int] = field(default_factory=dict)  # slug -> lines kept
    # Each topic's claims in the order its page shows them, cut into pages.
    topic_pages: dict[str, tuple[tuple[Claim, ...], ...]] = field(default_factory=dict)
    topic_page_of: dict[str, int] = field(default_factory=dict)  # claim id -> page number
    # slug -> entity -> how many of the topic's claims mention it
    topic_entity_counts: dict[str, Counter[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, kb: KnowledgeBase) -> SiteLookups:
        lookups = cls(kb)
        for term in (*kb.entities, *kb.categories):
            check_url_name("vocabulary", term.id)
        for topic in kb.topics:
            check_url_name("topic", topic.slug)
            lookups.source_line_counts[topic.slug] = len(split_lines(topic.source_text))
            lookups._paginate_topic(topic)
            lookups.section_counts[topic.slug] = Counter(claim.section for claim in topic.claims)
            lookups.topic_entity_counts[topic.slug] = Counter(
                entity for claim in topic.claims for entity in claim.entities
            )
            for reference in topic.references:
                lookups.references[(topic.slug, reference.number)] = reference
            for claim in topic.claims:
                check_url_name("claim", claim.id)
                lookups.by_strength[claim.strength] += 1
                for entity in claim.entities:
                    lookups.by_entity[entity].append(claim)
                for category in claim.categories:
                    lookups.by_category[category].append(claim)
                for number in claim.citations:
                    lookups.by_reference[(topic.slug, number)].append(claim)
        return lookups

    def _paginate_topic(self, topic: Topic) -> None:
        shown = [claim for _, groups in outline(topic.claims) for _, run in groups for claim in run]
        pages = paginate(shown, lambda claim: (claim.section, claim.heading))
        self.topic_pages[topic.slug] = pages
        for number, page in enumerate(pages, start=1):
            for claim in page:
                self.topic_page_of[claim.id] = number

    def entity_pages(self, term_id: str) -> tuple[tuple[Claim, ...], ...]:
        """The claims mentioning an entity, cut into pages as its page lists them."""
        return paginate(self.by_entity.get(term_id, []), _place)

    def category_pages(self, term_id: str) -> tuple[tuple[Claim, ...], ...]:
        return paginate(self.by_category.get(term_id, []), _place)

    def reference_numbers(self, topic: Topic) -> list[int]:
        """Every number the topic cites or describes, ascending."""
        cited = {number for claim in topic.claims for number in claim.citations}
        return sorted(cited | {reference.number for reference in topic.references})

    def reference(self, slug: str, number: int) -> Reference:
        return self.references.get((slug, number), Reference(topic=slug, number=number))

    def has_source_line(self, claim: Claim) -> bool:
        """Whether the claim's topic keeps its summary and the claim's line is in it, so
        that its provenance can link to the line."""
        return 1 <= claim.source_line <= self.source_line_counts.get(claim.topic, 0)

    def related(self, claim: Claim) -> list[RelatedClaims]:
        """Per citation and entity the claim shares with others, those others, each
        claim listed once (under the first thing it shares). Left out: a citation or
        entity no other claim has, and the topic's subject (`topic_subject`)."""
        groups: list[RelatedClaims] = []
        listed = {claim.id}
        for number in claim.citations:
            head, count = self.citing_window(claim.topic, number, len(claim.citations))
            others = [c for c in head if c.id not in listed][:RELATED_LIMIT]
            if others:
                groups.append(RelatedClaims(number, None, tuple(others), count - 1))
                listed.update(c.id for c in others)
        for entity in claim.entities:
            if self.topic_subject(claim.topic, entity):
                continue
            head, count = self.entity_window(entity)
            others = [c for c in head if c.id not in listed][:RELATED_LIMIT]
            # Without others to list, the group is kept only for the claims beyond
            # the window (a link to them all).
            if others or count > len(head):
                # The claim is one of the `count` (load_kb refuses an entity listed
                # twice in a claim), so the others are all but one.
                groups.append(RelatedClaims(None, self.kb.entity(entity), tuple(others), count - 1))
                listed.update(c.id for c in others)
        return groups

    def citing_window(self, slug: str, number: int, works: int) -> tuple[tuple[Claim, ...], int]:
        """All that `related` reads of the claims of topic `slug` citing work `number`,
        for a claim citing `works` works: the first RELATED_LIMIT past all it may pass
        over there (the claim itself, and the claims listed under its works before), and
        how many there are. A claim page's key has it (pagekeys.py's `related_claims`),
        not the topic's claims, so that an edit rewrites the pages that list the edited
        claim, not the page of every claim of its topic."""
        citing = self.by_reference[(slug, number)]
        return tuple(citing[: RELATED_LIMIT * works + 1]), len(citing)

    def topic_subject(self, slug: str, entity: str) -> bool:
        """Whether most of the topic's claims mention the entity: what the topic is
        about (ketamine, in the seed's topic on ketamine, where 19 of 20 claims name
        it), which relates none of its claims to another."""
        return self.topic_entity_counts[slug][entity] * 2 > self.section_counts[slug].total()

    def entity_window(self, entity: str) -> tuple[tuple[Claim, ...], int]:
        """All that `related` reads of the claims mentioning an entity: the first
        RELATED_LIMIT + 1 (the claim itself may be one of them) and how many there are.
        A claim page's key has it (pagekeys.py's `related_claims`), not the whole list,
        so that an edit does not rewrite the pages of every claim mentioning what the
        edited one does."""
        claims = self.by_entity.get(entity, [])
        return tuple(claims[: RELATED_LIMIT + 1]), len(claims)


def _place(claim: Claim) -> tuple[str, str, str | None]:
    """Where a claim stands in its summary: what `grouped_by_place` groups by."""
    return claim.topic, claim.section, claim.heading


def outline(claims: Sequence[Claim]) -> list[tuple[str, list[tuple[str | None, list[Claim]]]]]:
    """A topic's claims (or one page of them) as its source had them: sections in
    SECTIONS order, each with its headings in order of first appearance (None: the lead
    paragraph) and their claims."""
    sections: dict[str, dict[str | None, list[Claim]]] = {}
    for claim in claims:
        sections.setdefault(claim.section, {}).setdefault(claim.heading, []).append(claim)
    return [
        (section, list(sections[section].items())) for section in SECTIONS if section in sections
    ]


def grouped_by_place(claims: list[Claim]) -> list[tuple[str, str, str | None, list[Claim]]]:
    """Consecutive runs of (topic, section, heading) in kb order, for listing claims
    under the place they stand in their summary."""
    groups: list[tuple[str, str, str | None, list[Claim]]] = []
    for claim in claims:
        place = _place(claim)
        if groups and groups[-1][:3] == place:
            groups[-1][3].append(claim)
        else:
            groups.append((*place, [claim]))
    return groups


@dataclass(frozen=True)
class SourceLine:
    """One line of a topic's summary as imported, cut into its parts in order: a part
    with a claim is that claim's own words (its final period aside), to link to the
    claim; a part without one is the rest of the line. `unplaced` are claims recorded
    on this line whose words are not found in it (only a kb built without `load_kb`,
    which checks them, can have any)."""

    number: int
    parts: tuple[tuple[str, Claim | None], ...]
    unplaced: tuple[Claim, ...]

    @property
    def claims(self) -> tuple[Claim, ...]:
        """Every claim recorded on the line: those placed in it, then the others."""
        return (*(claim for _, claim in self.parts if claim is not None), *self.unplaced)


def source_listing(topic: Topic) -> list[SourceLine]:
    """Every line of the topic's source text, numbered as `source_line` counts."""
    on_line: dict[int, list[Claim]] = defaultdict(list)
    for claim in topic.claims:
        on_line[claim.source_line].append(claim)
    return [
        _cut_line(number, text, on_line.get(number, []))
        for number, text in enumerate(split_lines(topic.source_text), start=1)
    ]


def _cut_line(number: int, text: str, claims: list[Claim]) -> SourceLine:
    spans: list[tuple[int, int, Claim]] = []
    unplaced: list[Claim] = []
    for claim in claims:
        span = _free_occurrence(text, claim.text.rstrip("."), spans)
        if span is None:
            unplaced.append(claim)
        else:
            spans.append((*span, claim))
    parts: list[tuple[str, Claim | None]] = []
    at = 0
    for start, end, claim in sorted(spans, key=lambda span: span[0]):
        if start > at:
            parts.append((shown_controls(text[at:start]), None))
        parts.append((text[start:end], claim))  # a claim's words: no control (ekb check)
        at = end
    if at < len(text):
        parts.append((shown_controls(text[at:]), None))
    return SourceLine(number, tuple(parts), tuple(unplaced))


def _free_occurrence(
    text: str, words: str, taken: list[tuple[int, int, Claim]]
) -> tuple[int, int] | None:
    """The first place the words stand in the line that no other claim holds: two claims
    on one line (a paragraph of statements) each get their own words."""
    if not words:
        return None
    start = text.find(words)
    while start != -1:
        end = start + len(words)
        if all(end <= s or start >= e for s, e, _ in taken):
            return start, end
        start = text.find(words, start + 1)
    return None
