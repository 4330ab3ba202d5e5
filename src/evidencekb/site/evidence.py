"""Evidence per citation on the site: each claim's evidence summary (verdict.py), stance
badges and their definitions, the two sides of a contested claim, which claims each work
supports or contradicts and which sentences of it they quote, the stance legend and each
topic's page of contested claims.

Everything is looked up once per build (`EvidenceIndex.build`), so that no page walks
the whole knowledge base.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from evidencekb.model import Claim, Evidence, KnowledgeBase, Term, Topic
from evidencekb.names import CONTRADICTS, NOT_STATED, SUPPORTS
from evidencekb.verdict import Verdict, verdict

STANCES_PAGE = "stances.html"


def contested_href(slug: str) -> str:
    return f"topics/{slug}/contested.html"


def stance_href(stance_id: str) -> str:
    return f"{STANCES_PAGE}#{stance_id}"


@dataclass(frozen=True)
class Sides:
    """A claim's evidence for and against it, as recorded."""

    supporting: tuple[Evidence, ...]
    contradicting: tuple[Evidence, ...]
    contradicting_claims: tuple[Claim, ...]  # claims a curator says contradict it


@dataclass
class Quoted:
    """One sentence of a cited work's recorded text, as claims quote it."""

    claims: list[Claim] = field(default_factory=list)  # in kb order
    words: set[str] = field(default_factory=set)  # each quotation of it

    def parts(self, sentence: str) -> list[tuple[str, bool]]:
        """The sentence cut into (text, quoted) parts: where the quotations stand in it
        (verbatim, as `ekb check` holds them), else the whole sentence, quoted."""
        spans: list[list[int]] = []  # [start, end), overlapping ones merged
        for start, end in sorted(
            (start, start + len(words))
            for words in self.words
            if words and (start := sentence.find(words)) != -1
        ):
            if spans and start <= spans[-1][1]:
                spans[-1][1] = max(spans[-1][1], end)
            else:
                spans.append([start, end])
        if not spans:
            return [(sentence, True)]
        parts: list[tuple[str, bool]] = []
        at = 0
        for start, end in spans:
            if start > at:
                parts.append((sentence[at:start], False))
            parts.append((sentence[start:end], True))
            at = end
        if at < len(sentence):
            parts.append((sentence[at:], False))
        return parts


@dataclass(frozen=True)
class RelationLine:
    """One curated relation as a claim's page says it: "This claim refines <other>"
    (`outgoing`) or "<other> refines this claim"."""

    kind: Term
    other: Claim
    outgoing: bool


# A claim's words in <bdi>: their direction is their own, so that the numbers and links
# after them on the page stay after them (right-to-left words followed by citations
# "1, 2" showed them before the words, as "2 ,1").
_SPOKEN = Markup('<span class="visually-hidden spoken-finding">{}</span><bdi>{}</bdi>')
_WORDS = Markup("<bdi>{}</bdi>")


@dataclass
class EvidenceIndex:
    kb: KnowledgeBase
    stances: dict[str, Term] = field(default_factory=dict)
    relation_kinds: dict[str, Term] = field(default_factory=dict)
    claims: dict[str, Claim] = field(default_factory=dict)
    # (topic, work number) -> stance -> the claims the work takes that stance on
    by_work: dict[tuple[str, int], dict[str, list[Claim]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    contested: dict[str, list[Claim]] = field(default_factory=lambda: defaultdict(list))
    counts: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    # (topic, work number) -> sentence index -> who quotes what of it
    quoting: dict[tuple[str, int], dict[int, Quoted]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(Quoted))
    )
    # claim id -> its summary, made the first time a page shows it (a claim is shown on
    # its page, its topic's, and the pages that list it).
    verdicts: dict[str, Verdict] = field(default_factory=dict)

    @classmethod
    def build(cls, kb: KnowledgeBase) -> EvidenceIndex:
        index = cls(kb)
        index.stances = {term.id: term for term in kb.stances}
        index.relation_kinds = {term.id: term for term in kb.relation_kinds}
        index.claims = {claim.id: claim for claim in kb.claims}
        for topic in kb.topics:
            for claim in topic.claims:
                if claim.contested:
                    index.contested[topic.slug].append(claim)
                for item in claim.citation_evidence:
                    index.counts[topic.slug][item.stance] += 1
                    index.by_work[(topic.slug, item.citation)][item.stance].append(claim)
                    for quote in item.quotes:
                        quoted = index.quoting[(topic.slug, item.citation)][quote.sentence]
                        if claim not in quoted.claims:
                            quoted.claims.append(claim)
                        quoted.words.add(quote.text)
        return index

    def stance(self, stance_id: str) -> Term:
        return self.stances[stance_id]

    def verdict(self, claim: Claim) -> Verdict:
        found = self.verdicts.get(claim.id)
        if found is None:
            found = verdict(claim, self.kb.stances, self.kb.strength)
            self.verdicts[claim.id] = found
        return found

    def named(self, claim: Claim) -> Markup:
        """A claim's words where they name it (a page's heading, a link), led for a
        screen reader by what its cited works found when a reader must not miss it: a
        list of links, or of headings, read alone never gives a contradicted claim as
        fact. The finding is left out of a copy (.spoken-finding). A function, not a
        macro: it names every claim of every list, and a macro's call costs a large
        build seconds."""
        lead = self.verdict(claim).lead
        return _SPOKEN.format(lead, claim.text) if lead else _WORDS.format(claim.text)

    def recorded(self, topic: Topic) -> bool:
        """Whether anyone recorded what a cited work says of a claim of the topic."""
        counts = self.counts[topic.slug]
        return any(count for stance, count in counts.items() if stance != NOT_STATED)

    def stance_counts(self, topic: Topic) -> list[tuple[Term, int]]:
        """How many of the topic's claim-work links take each stance, in the
        vocabulary's order; stances no link takes left out."""
        counts = self.counts[topic.slug]
        return [(term, counts[term.id]) for term in self.stances.values() if counts[term.id]]

    def citing(self, slug: str, number: int, stance_id: str) -> list[Claim]:
        return self.by_work.get((slug, number), {}).get(stance_id, [])

    def has_stances(self, slug: str, number: int) -> bool:
        """Whether any claim records what this work says of it: "no evidence either
        way" too, a finding of a reader of the work; listed without it, a claim's own
        summary ("Cited work supports", of its other work) read as this work's."""
        stances = self.by_work.get((slug, number), {})
        return any(claims for stance, claims in stances.items() if stance != NOT_STATED)

    def quoted(self, slug: str, number: int) -> dict[int, Quoted]:
        """The work's quoted sentences (0-based, as the kb counts them), who quotes them
        and what."""
        return self.quoting.get((slug, number), {})

    def contested_in(self, topic: Topic) -> list[Claim]:
        return self.contested.get(topic.slug, [])

    def sides(self, claim: Claim) -> Sides:
        evidence = claim.citation_evidence
        return Sides(
            tuple(e for e in evidence if e.stance == SUPPORTS),
            tuple(e for e in evidence if e.stance == CONTRADICTS),
            tuple(
                self.claims[r.other if r.claim == claim.id else r.claim]
                for r in claim.relations
                if r.kind == CONTRADICTS
            ),
        )

    def relation_lines(self, claim: Claim) -> list[RelationLine]:
        return [
            RelationLine(
                self.relation_kinds[r.kind],
                self.claims[r.other if r.claim == claim.id else r.claim],
                r.claim == claim.id,
            )
            for r in claim.relations
        ]


def evidence_globals(index: EvidenceIndex) -> dict[str, Any]:
    """What the templates need for evidence: the index and the pages' addresses."""
    return {
        "evidence": index,
        "contested_href": contested_href,
        "stance_href": stance_href,
        "stances_page": STANCES_PAGE,
    }


def evidence_pages(kb: KnowledgeBase) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """The stance legend, and the page of contested claims of each topic that has any:
    only those are linked (the topic page and the legend say "none contested" for the
    others), and a page no link leads to is one no reader finds."""
    yield STANCES_PAGE, "stances.html", {"nav": "strength"}
    for topic in _contested_topics(kb):
        yield contested_href(topic.slug), "contested.html", {"nav": "home", "topic": topic}


def evidence_page_count(kb: KnowledgeBase) -> int:
    return 1 + len(_contested_topics(kb))


def _contested_topics(kb: KnowledgeBase) -> list[Topic]:
    return [topic for topic in kb.topics if any(claim.contested for claim in topic.claims)]
