"""The knowledge base as typed, immutable values.

Every pipeline stage receives these objects and none of them mutates them:
`load_kb` produces a `KnowledgeBase`, and the database, index and site writers
only read it.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
import re
from dataclasses import dataclass
from functools import cached_property

from evidencekb.names import (
    CONTRADICTS,
    DEFAULT_LAYOUT,
    NOT_STATED,
    NOTICE_MARKS,
    NOTICE_NATURES,
    NOTICE_SEQUENCE,
    SUMMARY,
    SUPPORTS,
)


def split_lines(text: str) -> list[str]:
    """Lines as an editor numbers them: broken at LF, CRLF or CR only.

    `str.splitlines` also breaks at form feeds, U+2028 and other separators,
    which would make `source_line` disagree with what a reviewer sees.
    """
    lines = re.split(r"\r\n|\r|\n", text)
    if lines[-1] == "":
        lines.pop()
    return lines


@dataclass(frozen=True)
class StrengthLevel:
    """One label of the evidence-strength scheme (kb/strength.toml)."""

    label: str
    rank: int  # 1 is the strongest; the order the site and search sort by
    title: str
    definition: str
    assigned: str  # how a claim comes to carry this label


@dataclass(frozen=True)
class StrengthScheme:
    levels: tuple[StrengthLevel, ...]
    hedging_words: tuple[str, ...]  # the derivation rule's input (see strength.py)
    explanation_md: str  # kb/strength.md, shown on the site as the legend's method

    @cached_property
    def labels(self) -> tuple[str, ...]:
        # Made once: a check asks for it twice for every claim.
        return tuple(level.label for level in self.levels)

    def level(self, label: str) -> StrengthLevel:
        for level in self.levels:
            if level.label == label:
                return level
        raise KeyError(label)

    def hedging_word(self, text: str) -> str | None:
        """The hedging word that occurs first in `text`, as it is written there."""
        return first_hedging_word(text, self.hedging_words)


def first_hedging_word(text: str, hedging_words: tuple[str, ...]) -> str | None:
    """The hedging word that occurs first in `text` (a whole word, any case), as it
    is written there: the input of the written strength rule (kb/strength.py) and
    what a derived label is said to come from (verdict.py)."""
    if not hedging_words:
        return None
    match = _hedging_pattern(hedging_words).search(text)
    return match.group(0) if match else None


@functools.lru_cache(maxsize=8)
def _hedging_pattern(hedging_words: tuple[str, ...]) -> re.Pattern[str]:
    """The words as one pattern, made once per list: a check derives the strength of
    every claim of a kb, against the same list. (A pure function's memo, like `re`'s
    own cache of compiled patterns.)"""
    alternatives = "|".join(re.escape(word) for word in hedging_words)
    return re.compile(rf"\b(?:{alternatives})\b", flags=re.IGNORECASE)


@dataclass(frozen=True)
class Term:
    """A controlled-vocabulary entry: a category or an entity.

    `synonyms` and `abbreviations` are what search expands a query with, both
    ways. `broader` names the terms this one is a kind of (esketamine: ketamine):
    a search for one of them also finds claims about this term, never the reverse.
    """

    id: str
    label: str
    kind: str  # for entities: condition, route, adverse-effect...; "category" for categories
    definition: str = ""
    synonyms: tuple[str, ...] = ()
    abbreviations: tuple[str, ...] = ()
    broader: tuple[str, ...] = ()  # ids of the same vocabulary

    @property
    def names(self) -> tuple[str, ...]:
        """Every way of writing this term, label first."""
        return (self.label, *self.synonyms, *self.abbreviations)


@dataclass(frozen=True)
class Quote:
    """Words quoted verbatim from a cited work's recorded text."""

    sentence: int  # 0-based index into the reference's `sentences`
    text: str


def quoted_from(quote: str, sentence: str) -> bool:
    """Whether `quote` stands word for word in `sentence`: the same characters, and
    whole words, neither its start nor its end cutting into a word or a number there
    ("U patients" is not said by "ICU patients", nor "3,2" by "3,200 copies")."""
    start = sentence.find(quote)
    while start != -1:
        if not _cuts_a_word(sentence, start) and not _cuts_a_word(sentence, start + len(quote)):
            return True
        start = sentence.find(quote, start + 1)
    return False


def _cuts_a_word(text: str, at: int) -> bool:
    """Whether a cut of `text` before its character `at` falls inside a word, or inside a
    number (a comma or a point between two digits is part of it: "32,441", "2.5")."""
    if not 0 < at < len(text):
        return False
    before, after = text[at - 1], text[at]
    if before.isalnum() and after.isalnum():
        return True
    if before in ",." and after.isdigit():
        return at >= 2 and text[at - 2].isdigit()
    return after in ",." and before.isdigit() and at + 1 < len(text) and text[at + 1].isdigit()


@dataclass(frozen=True)
class Evidence:
    """What one cited work says about one claim: a stance and its rationale."""

    citation: int
    stance: str  # an id of kb/stance.toml
    quotes: tuple[Quote, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "citation": self.citation,
            "stance": self.stance,
            "quotes": [{"text": q.text, "sentence": q.sentence} for q in self.quotes],
        }


@dataclass(frozen=True)
class Relation:
    """A curator's link between two claims: `claim` contradicts, refines or
    duplicates `other` (an id of kb/stance.toml's relations)."""

    kind: str
    claim: str
    other: str


@dataclass(frozen=True)
class Notice:
    """An editorial notice on a cited work (notices.toml), as Retraction Watch records it."""

    nature: str  # a key of NOTICE_NATURES
    date: str  # ISO 8601 (YYYY-MM-DD), the notice's
    doi: str | None = None  # the notice's own DOI
    pmid: str | None = None  # the notice's own PubMed id
    reasons: tuple[str, ...] = ()  # Retraction Watch's reasons, as it words them
    record_id: int | None = None  # Retraction Watch's Record ID
    # The work it is on, as notices.toml records it (Retraction Watch's OriginalPaperDOI
    # and OriginalPaperPubMedID): `ekb check` holds it to the reference it is filed
    # under, so that a notice follows its work, never a reference number. Not exported:
    # the reference's own DOI and PMID say the same.
    work_doi: str | None = None
    work_pmid: str | None = None

    @property
    def nature_label(self) -> str:
        return NOTICE_NATURES[self.nature]

    def to_dict(self) -> dict[str, object]:
        return {
            "nature": self.nature,
            "nature_label": self.nature_label,
            "date": self.date,
            "doi": self.doi,
            "pmid": self.pmid,
            "reasons": list(self.reasons),
            "record_id": self.record_id,
        }


def notice_order(notice: Notice) -> tuple[str, int, int]:
    """The one order of a work's notices: by date, and on one day in the order such
    notices happen (names.NOTICE_SEQUENCE), then by Retraction Watch's Record ID. The
    kb lists them so and `notice_mark` reads them so, the latest deciding."""
    return (notice.date, NOTICE_SEQUENCE.index(notice.nature), notice.record_id or 0)


def notice_mark(notices: tuple[Notice, ...]) -> str | None:
    """The mark the notices leave on a work (a key of NOTICE_MARKS), or None.

    Read in `notice_order`: a retraction stands until a later reinstatement, and so
    does an expression of concern; a correction marks a work nothing graver marks."""
    retracted = concern = corrected = False
    for notice in sorted(notices, key=notice_order):
        if notice.nature == "retraction":
            retracted = True
        elif notice.nature == "expression-of-concern":
            concern = True
        elif notice.nature == "correction":
            corrected = True
        elif notice.nature == "reinstatement":
            retracted = concern = False
    if retracted:
        return "retraction"
    if concern:
        return "expression-of-concern"
    return "correction" if corrected else None


@dataclass(frozen=True)
class CitedNotice:
    """The mark editorial notices leave on one work a claim cites."""

    citation: int
    mark: str  # a key of NOTICE_MARKS

    def to_dict(self) -> dict[str, object]:
        return {"citation": self.citation, "mark": self.mark, "label": NOTICE_MARKS[self.mark]}


@dataclass(frozen=True)
class Claim:
    id: str
    topic: str
    section: str  # one of SECTIONS
    heading: str | None  # None for a lead paragraph
    text: str  # verbatim, citation marker removed, final period kept
    citations: tuple[int, ...]
    strength: str  # a StrengthLevel.label
    strength_method: str  # one of STRENGTH_METHODS
    strength_basis: str
    categories: tuple[str, ...]  # Term ids
    entities: tuple[str, ...]  # Term ids
    source: str  # the source document's name
    source_line: int  # 1-based line of the statement in the source
    position: int  # 1-based order within the topic
    # Only the stances recorded in the topic's evidence.toml; `citation_evidence`
    # fills in "not stated" for every other citation.
    evidence: tuple[Evidence, ...] = ()
    relations: tuple[Relation, ...] = ()  # every curated relation with this claim on a side
    # The cited works that editorial notices mark (notices.toml), in citation order.
    notices: tuple[CitedNotice, ...] = ()
    # ISO dates from claims.toml: when it came into the kb, when its meaning last
    # changed (text, strength, stances, citations); None where kb/ does not say.
    added: str | None = None
    changed: str | None = None

    @property
    def last_dated(self) -> str | None:
        """Its latest date: when it changed, else when it was added."""
        return self.changed or self.added

    @property
    def citation_evidence(self) -> tuple[Evidence, ...]:
        """One Evidence per citation, in the citations' order."""
        recorded = {e.citation: e for e in self.evidence}
        return tuple(recorded.get(n, Evidence(n, NOT_STATED)) for n in self.citations)

    @property
    def contested(self) -> bool:
        """Its cited works disagree, or a curator says another claim contradicts it."""
        stances = {e.stance for e in self.evidence}
        return {SUPPORTS, CONTRADICTS} <= stances or any(
            r.kind == CONTRADICTS for r in self.relations
        )

    def to_dict(self) -> dict[str, object]:
        """The export shape shared by `ekb export --format json`, `show --json` and
        `search --json`: `CLAIM_EXPORT_KEYS`, each as JSON holds it."""
        return dict(zip(CLAIM_EXPORT_KEYS, map(_exported, _claim_exported(self)), strict=True))


def _exported(value: object) -> object:
    """A value as the export's JSON holds it: a tuple as a list, each of its items that
    has one by its own `to_dict`."""
    if isinstance(value, tuple):
        return [item.to_dict() if hasattr(item, "to_dict") else item for item in value]
    return value


# What the export gives of a claim, (key, attribute) by key: its fields in the
# dataclass's order, so that a field claims.toml gains (registry.CLAIM_FIELDS, an
# attribute above) is exported with no more code. `evidence` is one item per citation
# (`citation_evidence`), followed by whether the claim is `contested`; `relations` are
# the database's and the pages' alone.
_EXPORTED_AS = {
    "evidence": (("evidence", "citation_evidence"), ("contested", "contested")),
    "relations": (),
}
_CLAIM_EXPORT = tuple(
    pair
    for field in dataclasses.fields(Claim)
    for pair in _EXPORTED_AS.get(field.name, ((field.name, field.name),))
)
CLAIM_EXPORT_KEYS: tuple[str, ...] = tuple(key for key, _ in _CLAIM_EXPORT)
# One call reads them all, in order.
_claim_exported = operator.attrgetter(*(attribute for _, attribute in _CLAIM_EXPORT))


@dataclass(frozen=True)
class Reference:
    """A work a topic cites by number. Bibliographic fields stay empty unless known:
    the seed gives numbers only, and nothing here is ever guessed."""

    topic: str
    number: int
    # The bibliographic fields, in registry.REFERENCE_FIELDS' order (a test holds them
    # alike), which declares each one's kind, words and rules.
    type: str | None = None  # an id of registry.REFERENCE_TYPES
    design: tuple[str, ...] = ()  # ids of registry.STUDY_DESIGNS
    title: str | None = None
    authors: tuple[str, ...] = ()  # in the work's order, as the work writes them
    year: int | None = None
    journal: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    doi: str | None = None  # case kept as written; compared case-insensitively
    pmid: str | None = None
    pmcid: str | None = None
    url: str | None = None
    citation_text: str | None = None  # the reference exactly as the source wrote it
    # The work's own text, when recorded, that claims' evidence quotes: its
    # abstract's sentences, numbered from 0.
    sentences: tuple[str, ...] = ()
    notices: tuple[Notice, ...] = ()  # editorial notices on it (notices.toml), by date

    @property
    def mark(self) -> str | None:
        """What its notices make of it (a key of NOTICE_MARKS), or None."""
        return notice_mark(self.notices)

    @property
    def mark_label(self) -> str:
        return NOTICE_MARKS[self.mark] if self.mark else ""

    @property
    def notices_text(self) -> str:
        """Its notices in a line, oldest first, after the mark they leave: "RETRACTED:
        Retraction 2010-02-02 (doi:...)"; "" when it has none."""
        said = "; ".join(
            f"{n.nature_label} {n.date}" + (f" (doi:{n.doi})" if n.doi else "")
            for n in self.notices
        )
        return f"{self.mark_label.upper()}: {said}" if self.mark and said else said

    @property
    def notes(self) -> str | None:
        """What an export's note on the work says: the reference as the source wrote
        it, then its notices, a line each; None when neither is known."""
        return "\n".join(filter(None, (self.citation_text, self.notices_text))) or None

    def record(self) -> dict[str, object]:
        """The bibliographic fields by name, in order (lists as tuples)."""
        return {name: getattr(self, name) for name in _RECORD_FIELDS}

    @property
    def is_described(self) -> bool:
        return any(self.record().values())

    def to_dict(self) -> dict[str, object]:
        fields = {k: list(v) if isinstance(v, tuple) else v for k, v in self.record().items()}
        return {
            "topic": self.topic,
            "number": self.number,
            **fields,
            "mark": self.mark,
            "notices": [n.to_dict() for n in self.notices],
        }


# Reference's own fields that are not its bibliographic record.
_NOT_RECORD = ("topic", "number", "sentences", "notices")
_RECORD_FIELDS = tuple(f.name for f in dataclasses.fields(Reference) if f.name not in _NOT_RECORD)


@dataclass(frozen=True)
class TopicChange:
    """One dated entry of a topic's change log (topic.toml's [[change]])."""

    date: str  # ISO 8601
    summary: str  # what changed, in the editor's words
    conclusions_changed: bool  # whether the topic's conclusions changed with it

    def to_dict(self) -> dict[str, object]:
        return {
            "date": self.date,
            "summary": self.summary,
            "conclusions_changed": self.conclusions_changed,
        }


@dataclass(frozen=True)
class Topic:
    slug: str
    title: str
    source: str
    citation_style: str  # a key of CITATION_STYLES
    overview_md: str
    claims: tuple[Claim, ...]
    references: tuple[Reference, ...]
    # The summary exactly as imported (kb/topics/<slug>/source.txt); "" when the kb keeps
    # none. Its lines, as `split_lines` numbers them, are what `source_line` counts.
    source_text: str = ""
    layout: str = DEFAULT_LAYOUT  # one of LAYOUTS: how source_text is written
    source_format: str = SUMMARY  # one of SOURCE_FORMATS: a summary or claims as JSON lines
    last_reviewed: str | None = None  # ISO date an editor last reviewed the topic
    literature_searched: str | None = None  # ISO date up to which literature was searched
    changes: tuple[TopicChange, ...] = ()  # its change log, newest first

    @cached_property
    def claim_keys(self) -> tuple[str, ...]:
        """The content key of each of its claims (hashing.content_key of its repr), found
        once and kept with the checked topic (kb/checked.py): the site's page keys take
        a claim's from here rather than hash the claim again (site/pagekeys.py)."""
        from evidencekb.hashing import content_key

        return tuple(content_key(repr(claim)) for claim in self.claims)

    @cached_property
    def claims_key(self) -> str:
        """The content key of its claims whole (made of `claim_keys`), found once: the
        search data, the index segment and the export each key their share of the
        topic with it, and a build finds the segments' keys before it forks its
        workers, which then share it."""
        from evidencekb.hashing import content_key

        return content_key(*self.claim_keys)

    def headings(self, section: str) -> list[str | None]:
        """Headings of a section in source order (None: the lead paragraph)."""
        seen: list[str | None] = []
        for claim in self.claims:
            if claim.section == section and claim.heading not in seen:
                seen.append(claim.heading)
        return seen


@dataclass(frozen=True)
class KnowledgeBase:
    strength: StrengthScheme
    categories: tuple[Term, ...]
    entities: tuple[Term, ...]
    entity_kinds: tuple[str, ...]
    topics: tuple[Topic, ...]
    stances: tuple[Term, ...] = ()  # kb/stance.toml: what a cited work says of a claim
    relation_kinds: tuple[Term, ...] = ()  # kb/stance.toml: how a claim bears on another

    @cached_property
    def claims(self) -> tuple[Claim, ...]:
        """Every claim, in topic order; computed once (the build reads it often)."""
        return tuple(claim for topic in self.topics for claim in topic.claims)

    def claim(self, claim_id: str) -> Claim:
        for claim in self.claims:
            if claim.id == claim_id:
                return claim
        raise KeyError(claim_id)

    def topic(self, slug: str) -> Topic:
        for topic in self.topics:
            if topic.slug == slug:
                return topic
        raise KeyError(slug)

    def stance(self, term_id: str) -> Term:
        return _term(self.stances, term_id)

    def category(self, term_id: str) -> Term:
        return _term(self.categories, term_id)

    def entity(self, term_id: str) -> Term:
        return _term(self.entities, term_id)


def _term(terms: tuple[Term, ...], term_id: str) -> Term:
    for term in terms:
        if term.id == term_id:
            return term
    raise KeyError(term_id)
