"""Evidence per citation: kb/stance.toml and each topic's evidence.toml.

stance.toml defines the stances a cited work may take towards a claim and the
relations a curator may record between two claims. A topic's evidence.toml
records, per claim and cited work, a stance and the quotations that show it,
each checked word for word against the text references.toml records for that
work; and the curated relations. Both are read after every topic has loaded,
because a relation may name a claim of any topic.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from typing import Any

from evidencekb.errors import Problem
from evidencekb.kb.reader import KbReader
from evidencekb.kb.tables import Field, kind_fault
from evidencekb.kb.tomlfile import Located
from evidencekb.kb.vocabulary import names_once
from evidencekb.model import (
    Claim,
    Evidence,
    Quote,
    Reference,
    Relation,
    Term,
    Topic,
    quoted_from,
    split_lines,
)
from evidencekb.names import CONTRADICTS, NOT_STATED, SUPPORTS
from evidencekb.paths import EVIDENCE_FILE, STANCE_FILE, TOPICS_DIR

VOCABULARY_FIELDS = {"id": Field("text"), "label": Field("text"), "definition": Field("text")}
EVIDENCE_FIELDS = {
    "claim": Field("text"),
    "citation": Field("int"),
    "stance": Field("text"),
    "quotes": Field("quotes", required=False),
}
QUOTE_FIELDS = {"sentence": Field("int"), "text": Field("text")}
_INLINE_QUOTE = re.compile(r"(?:^|[\[,])\s*\{")
RELATION_FIELDS = {"claim": Field("text"), "relation": Field("text"), "other": Field("text")}
# The ids the code relies on (see model.py); stance.toml must define them.
REQUIRED_STANCES = (SUPPORTS, CONTRADICTS, NOT_STATED)
REQUIRED_RELATIONS = (CONTRADICTS,)


@dataclasses.dataclass(frozen=True)
class Vocabulary:
    stances: tuple[Term, ...]
    relations: tuple[Term, ...]

    @property
    def stance_ids(self) -> tuple[str, ...]:
        return tuple(term.id for term in self.stances)

    @property
    def relation_ids(self) -> tuple[str, ...]:
        return tuple(term.id for term in self.relations)


def load_vocabulary(reader: KbReader) -> Vocabulary:
    """kb/stance.toml: the stances and the claim-to-claim relations, with definitions."""
    doc = reader.read(STANCE_FILE)
    if doc is None:
        return Vocabulary((), ())
    reader.unknown_keys(doc, "", 0, doc.data, {"stance", "relation"})
    return Vocabulary(
        _terms(reader, doc, "stance", REQUIRED_STANCES),
        _terms(reader, doc, "relation", REQUIRED_RELATIONS),
    )


def _terms(
    reader: KbReader, doc: Located, table: str, required: tuple[str, ...]
) -> tuple[Term, ...]:
    terms: list[Term] = []
    ids: list[tuple[int, str]] = []
    rows = reader.rows(doc, table)
    for index, row in enumerate(rows):
        values = reader.fields(doc, table, index, row, VOCABULARY_FIELDS)
        if values is None:
            continue
        reader.slug(doc, table, index, "id", values["id"])
        ids.append((index, values["id"]))
        terms.append(Term(values["id"], values["label"], table, values["definition"]))
    reader.unique(doc, table, ids, "id")
    names_once(reader, doc, table, ids, terms)
    # A table with another fault (an empty label) still defines its id: that fault is
    # its problem, not a missing stance.
    defined = {row.get("id") for row in rows}
    for term_id in required:
        if term_id not in defined:
            reader.report(doc, f"[[{table}]] '{term_id}' is missing: evidencekb relies on it")
    return tuple(terms)


def attach_evidence(
    reader: KbReader, topics: tuple[Topic, ...], vocabulary: Vocabulary
) -> tuple[Topic, ...]:
    """The topics with each claim's recorded evidence and relations filled in."""
    claims = {claim.id: claim for topic in topics for claim in topic.claims}
    # Keyed by topic too: a claim id defined twice (an error reported elsewhere) must
    # not take the other claim's evidence.
    evidence: dict[tuple[str, str], list[Evidence]] = defaultdict(list)
    relations: dict[str, list[Relation]] = defaultdict(list)
    for topic in topics:
        relative = f"{TOPICS_DIR}/{topic.slug}/{EVIDENCE_FILE}"
        doc = reader.read_optional(relative)
        if doc is None:
            continue
        lines = split_lines(reader.text(relative) or "")  # for the line of each quotation
        checker = _EvidenceFile(reader, doc, lines, topic, claims, vocabulary)
        for claim_id, item in checker.evidence():
            evidence[(topic.slug, claim_id)].append(item)
        for relation in checker.relations():
            relations[relation.claim].append(relation)
            relations[relation.other].append(relation)
    return tuple(_topic_with_evidence(topic, evidence, relations) for topic in topics)


def _topic_with_evidence(
    topic: Topic,
    evidence: dict[tuple[str, str], list[Evidence]],
    relations: dict[str, list[Relation]],
) -> Topic:
    """The topic with its claims' evidence and relations; the topic itself if none of
    its claims has any, so that what was found of it already (its claims' key, kept
    with it by kb/checked.py) is not found again."""
    claims = tuple(
        _with_evidence(claim, evidence.get((topic.slug, claim.id)), relations.get(claim.id))
        for claim in topic.claims
    )
    if all(new is old for new, old in zip(claims, topic.claims, strict=True)):
        return topic
    return dataclasses.replace(topic, claims=claims)


def _with_evidence(
    claim: Claim, evidence: list[Evidence] | None, relations: list[Relation] | None
) -> Claim:
    if not evidence and not relations:
        return claim
    order = {number: position for position, number in enumerate(claim.citations)}
    return dataclasses.replace(
        claim,
        evidence=tuple(sorted(evidence or (), key=lambda item: order[item.citation])),
        relations=tuple(relations or ()),
    )


class _EvidenceFile:
    """The checks of one topic's evidence.toml."""

    def __init__(
        self,
        reader: KbReader,
        doc: Located,
        lines: list[str],
        topic: Topic,
        claims: dict[str, Claim],
        vocabulary: Vocabulary,
    ) -> None:
        self.reader, self.doc, self.lines, self.topic = reader, doc, lines, topic
        self.claims, self.vocabulary = claims, vocabulary
        self.references = {reference.number: reference for reference in topic.references}
        self.own = {claim.id: claim for claim in topic.claims}
        reader.unknown_keys(doc, "", 0, doc.data, {"evidence", "relation"})

    def evidence(self) -> list[tuple[str, Evidence]]:
        found: list[tuple[str, Evidence]] = []
        first: dict[tuple[str, int], int] = {}  # (claim, citation) -> its first table's line
        for index, row in enumerate(self.reader.rows(self.doc, "evidence")):
            values = self.fields("evidence", index, row, EVIDENCE_FIELDS)
            if values is None:
                continue
            claim = self.own_claim("evidence", index, values["claim"])
            stance_ok = self.stance(index, values["stance"])
            quotes = self.quotes(index, values.get("quotes"))
            if claim is None or not self.cited(index, claim, values["citation"]):
                continue
            key = (claim.id, values["citation"])
            if key in first:
                self.report(
                    f"claim '{claim.id}' and citation {key[1]} are already given a stance "
                    f"on line {first[key]}",
                    "evidence",
                    index,
                    "citation",
                )
                continue
            first[key] = self.doc.line("evidence", index)
            reference = self.references[values["citation"]]
            if quotes is not None and self.quoted(index, reference, quotes) and stance_ok:
                found.append((claim.id, Evidence(values["citation"], values["stance"], quotes)))
        return found

    def relations(self) -> list[Relation]:
        found: list[Relation] = []
        seen: dict[tuple[str, str, str], int] = {}
        for index, row in enumerate(self.reader.rows(self.doc, "relation")):
            values = self.fields("relation", index, row, RELATION_FIELDS)
            if values is None:
                continue
            claim = self.own_claim("relation", index, values["claim"])
            kind_ok = values["relation"] in self.vocabulary.relation_ids
            self.reader.choice(
                self.doc, "relation", index, "relation", values["relation"],
                self.vocabulary.relation_ids, "relation",
            )  # fmt: skip
            other = values["other"]
            if other not in self.claims:
                self.report(f"no claim has the id '{other}'", "relation", index, "other")
                continue
            if claim is None or not kind_ok:
                continue
            if other == claim.id:
                self.report("a claim cannot be related to itself", "relation", index, "other")
                continue
            relation = Relation(values["relation"], claim.id, other)
            key = (relation.kind, relation.claim, relation.other)
            if key in seen:
                self.report(
                    f"the same relation as on line {seen[key]}", "relation", index, "relation"
                )
                continue
            seen[key] = self.doc.line("relation", index)
            found.append(relation)
        return found

    # -- the checks ------------------------------------------------------------

    def fields(
        self, table: str, index: int, row: dict[str, Any], spec: dict[str, Field]
    ) -> dict[str, Any] | None:
        """Like TableChecker.fields, with the "quotes" kind (a list of inline tables)
        left for `quotes` to check."""
        plain = {key: field for key, field in spec.items() if field.kind != "quotes"}
        self.reader.unknown_keys(self.doc, table, index, row, set(spec))
        values = self.reader.fields(self.doc, table, index, row, plain, check_unknown=False)
        if values is not None and "quotes" in spec and "quotes" in row:
            values["quotes"] = row["quotes"]
        return values

    def report(self, message: str, table: str, index: int, key: str) -> None:
        self.reader.report(self.doc, message, table, index, key)

    def report_quote(self, message: str, index: int, number: int) -> None:
        """A problem on the line the `number`th quotation of an [[evidence]] starts on:
        each is usually an inline table on a line of its own."""
        line = start = self.doc.line("evidence", index, "quotes")
        seen = 0
        for line in range(start, len(self.lines) + 1):
            seen += len(_INLINE_QUOTE.findall(self.lines[line - 1]))
            if seen >= number:
                break
        self.reader.problems.append(Problem(self.doc.path, line, message))

    def own_claim(self, table: str, index: int, claim_id: str) -> Claim | None:
        # The topic's own first: an id two topics define (a problem of its own) is
        # no claim of another topic here.
        claim = self.own.get(claim_id) or self.claims.get(claim_id)
        if claim is None:
            self.report(f"no claim has the id '{claim_id}'", table, index, "claim")
        elif claim.topic != self.topic.slug:
            self.report(
                f"claim '{claim_id}' belongs to topic '{claim.topic}': record its evidence "
                f"in that topic's {EVIDENCE_FILE}",
                table,
                index,
                "claim",
            )
            return None
        return claim

    def stance(self, index: int, stance: str) -> bool:
        if stance == NOT_STATED:
            self.report(
                f"stance '{NOT_STATED}' is what a citation without an [[evidence]] table has; "
                "remove this table",
                "evidence",
                index,
                "stance",
            )
            return False
        # What a table may record: every stance but the one no table records.
        recordable = tuple(s for s in self.vocabulary.stance_ids if s != NOT_STATED)
        self.reader.choice(self.doc, "evidence", index, "stance", stance, recordable, "stance")
        return stance in recordable

    def cited(self, index: int, claim: Claim, number: int) -> bool:
        if number in claim.citations:
            return True
        cites = ", ".join(str(n) for n in claim.citations) or "nothing"
        self.report(
            f"claim '{claim.id}' does not cite {number} (it cites {cites})",
            "evidence",
            index,
            "citation",
        )
        return False

    def quotes(self, index: int, raw: Any) -> tuple[Quote, ...] | None:
        """The quotations as written; None (with problems) when one is malformed."""
        if raw is None:
            return ()
        shape = 'a list of quotations, like [{ sentence = 3, text = "..." }]'
        if not isinstance(raw, list) or not raw:
            self.report(f"field 'quotes' must be {shape}", "evidence", index, "quotes")
            return None
        quotes: list[Quote] = []
        for number, item in enumerate(raw, start=1):
            if not isinstance(item, dict) or set(item) != set(QUOTE_FIELDS):
                self.report_quote(
                    f'quotation {number} must be written {{ sentence = N, text = "..." }}',
                    index,
                    number,
                )
                return None
            for key, field in QUOTE_FIELDS.items():
                if fault := kind_fault(item[key], field.kind):
                    self.report_quote(f"quotation {number}: {key} {fault}", index, number)
                    return None
            quotes.append(Quote(item["sentence"], item["text"]))
        if len(set(quotes)) != len(quotes):
            self.report("a quotation is listed twice", "evidence", index, "quotes")
            return None
        return tuple(quotes)

    def quoted(self, index: int, reference: Reference, quotes: tuple[Quote, ...]) -> bool:
        """Every quotation stands word for word in its sentence of the recorded text."""
        if quotes and not reference.sentences:
            self.report(
                f"reference {reference.number} records no text to quote from: add its "
                f"sentences to references.toml",
                "evidence",
                index,
                "quotes",
            )
            return False
        ok = True
        last = len(reference.sentences) - 1
        for number, quote in enumerate(quotes, start=1):
            if not 0 <= quote.sentence <= last:
                problem = (
                    f"quotation {number}: sentence {quote.sentence} is outside reference "
                    f"{reference.number}'s text (sentences 0 to {last})"
                )
            elif not quoted_from(quote.text, reference.sentences[quote.sentence]):
                problem = (
                    f"quotation {number} is not in sentence {quote.sentence} of reference "
                    f"{reference.number} word for word; a quotation must be verbatim, "
                    "whole words"
                )
            else:
                continue
            self.report_quote(problem, index, number)
            ok = False
        return ok
