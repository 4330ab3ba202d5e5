"""claims.toml: a topic's claims, each checked against the vocabularies, the
strength rule and the topic's copy of its source."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from evidencekb import registry
from evidencekb.kb.citations import citation_faults, split_marker, unread_faults
from evidencekb.kb.dates import date_fault
from evidencekb.kb.reader import KbReader
from evidencekb.kb.strength import UNGRADED_LABEL, derive_strength
from evidencekb.kb.tables import Field
from evidencekb.kb.tomlfile import Located
from evidencekb.model import Claim, StrengthScheme, quoted_from
from evidencekb.names import SECTIONS, STRENGTH_METHODS
from evidencekb.paths import SOURCE_COPY, STRENGTH_PROSE

# The anchors a topic's page (site/templates/topic.html, with base.html and the
# partials it includes) has of its own: a claim is anchored there by its id
# (topics/<slug>/index.html#<id>), so no claim id may be one of them (a claims-jsonl
# claim's id is the file's). tests/site/test_pages.py holds the list to the pages built.
TOPIC_PAGE_ANCHORS = frozenset(
    name + suffix
    for name in (
        *("main", "overview", "changes", "provenance", "references", "evidence"),
        *("contested", "notices", "pages", *SECTIONS),
    )
    for suffix in ("", "-heading")
)

# A `[[claim]]` table's fields, as registry.CLAIM_FIELDS declares them.
CLAIM_FIELDS = {f.name: Field(f.toml_kind, f.required, f.least) for f in registry.CLAIM_FIELDS}
# The fields declared of kind "date", each held to be an ISO date by one rule.
DATE_FIELDS = tuple(f.name for f in registry.CLAIM_FIELDS if f.kind == "date")


@dataclass(frozen=True)
class ClaimContext:
    """What a topic's claims are checked against."""

    slug: str
    source: str  # the topic's source file name, as topic.toml gives it
    origin: str | None  # that name, when the claims come from it rather than a summary
    source_lines: list[str] | None  # its kept copy, line by line; None when none is kept
    scheme: StrengthScheme
    category_ids: tuple[str, ...] | None  # None: the vocabulary could not be read
    entity_ids: tuple[str, ...] | None


class ClaimChecker:
    """Checks the claims of every topic; remembers ids so a duplicate across topics shows."""

    def __init__(self, reader: KbReader) -> None:
        self.reader = reader
        # claim id -> the file (its name and lines, not its data) and table defining it
        # first; the line is looked up only for a duplicate.
        self.first_defined: dict[str, tuple[Located, int]] = {}

    def load(self, relative: str, context: ClaimContext) -> tuple[Claim, ...] | None:
        """The claims in `relative`; None when the file is missing or does not parse."""
        doc = self.reader.read(relative)
        if doc is None:
            return None
        self.reader.unknown_keys(doc, "", 0, doc.data, {"claim"})
        claims: list[Claim] = []
        rows = self.reader.rows(doc, "claim")
        doc = replace(doc, data={})  # its rows are in hand; `first_defined` keeps the rest
        for index, row in enumerate(rows):
            values = self.reader.fields(doc, "claim", index, row, CLAIM_FIELDS)
            if values is None:
                continue
            self.check(doc, index, values, context)
            claims.append(_claim(values, context, position=len(claims) + 1))
        return tuple(claims)

    def take(self, doc: Located, claims: tuple[Claim, ...]) -> bool:
        """Define the ids of a topic kept from an earlier check (kb/checked.py), read
        from `doc` (its lines only), where none had a problem: claim n is its nth
        table. False, defining none, if a topic before it defined one of them: it is
        then checked anew, which reports that."""
        if any(claim.id in self.first_defined for claim in claims):
            return False
        for index, claim in enumerate(claims):
            self.first_defined[claim.id] = (doc, index)
        return True

    def check(
        self, doc: Located, index: int, values: dict[str, Any], context: ClaimContext
    ) -> None:
        reader, scheme = self.reader, context.scheme
        reader.slug(doc, "claim", index, "id", values["id"])
        reader.choice(doc, "claim", index, "section", values["section"], SECTIONS, "section")
        if scheme.levels:  # with none, strength.toml's own problem says why
            reader.choice(
                doc, "claim", index, "strength", values["strength"], scheme.labels, "strength"
            )
        reader.choice(
            doc, "claim", index, "strength_method", values["strength_method"],
            STRENGTH_METHODS, "strength method",
        )  # fmt: skip
        reader.listed_once(doc, "claim", index, "categories", values["categories"])
        reader.listed_once(doc, "claim", index, "entities", values["entities"])
        self.check_terms(doc, index, "categories", values, context.category_ids, "category")
        self.check_terms(doc, index, "entities", values, context.entity_ids, "entity")
        self.check_citations(doc, index, values["citations"])
        if context.source_lines is not None:
            # Only a summary writes citation markers into its statements; a topic with
            # no summary (claims-jsonl) gives citations apart, and a number there, at
            # the end or in brackets, is the claim's own ("sorting nexin 2."), as its
            # importer takes it.
            self.check_text(doc, index, values, context.slug)
        self.check_provenance(doc, index, values, context)
        if values["section"] in SECTIONS and values["strength"] in scheme.labels:
            self.check_strength(doc, index, values, context)
        self.check_unique_id(doc, index, values["id"])
        if values["id"] in TOPIC_PAGE_ANCHORS:
            self.reader.report(
                doc,
                f"claim id '{values['id']}' is taken: its topic's page has an anchor of "
                "that name; choose another id",
                "claim",
                index,
                "id",
            )
        self.check_dates(doc, index, values)

    def check_dates(self, doc: Located, index: int, values: dict[str, Any]) -> None:
        """Every date field is an ISO date, and a claim changes after it is added."""
        for key in DATE_FIELDS:
            if key in values and (fault := date_fault(values[key])):
                self.reader.report(doc, f"{key} {fault}", "claim", index, key)
                values.pop(key)
        if "added" in values and values.get("changed", values["added"]) < values["added"]:
            self.reader.report(
                doc,
                f"changed {values['changed']} is before added {values['added']}",
                "claim",
                index,
                "changed",
            )

    def check_unique_id(self, doc: Located, index: int, claim_id: str) -> None:
        first = self.first_defined.get(claim_id)
        if first is not None:
            first_doc, first_index = first
            where = f"{first_doc.path}:{first_doc.line('claim', first_index, 'id')}"
            self.reader.report(
                doc,
                f"duplicate claim id '{claim_id}' (first defined at {where})",
                "claim",
                index,
                "id",
            )
        else:
            self.first_defined[claim_id] = (doc, index)

    def check_terms(
        self,
        doc: Located,
        index: int,
        key: str,
        values: dict[str, Any],
        ids: tuple[str, ...] | None,
        noun: str,
    ) -> None:
        """Each term a claim lists must be in its vocabulary, when that could be read."""
        if ids is None:
            return
        for term_id in values[key]:
            self.reader.choice(doc, "claim", index, key, term_id, ids, noun)

    def check_citations(self, doc: Located, index: int, citations: list[int]) -> None:
        for fault in citation_faults(citations):
            self.reader.report(doc, fault, "claim", index, "citations")

    def check_text(self, doc: Located, index: int, values: dict[str, Any], slug: str) -> None:
        # A marker left in the text means the numbers were never moved to `citations`.
        if split_marker(values["text"]) is not None:
            self.reader.report(
                doc,
                "text ends in what looks like a citation marker; move the numbers to 'citations'",
                "claim",
                index,
                "text",
            )
        else:
            self.check_unread(doc, index, "text", values["text"], slug)
        if values.get("heading"):
            self.check_unread(doc, index, "heading", values["heading"], slug)

    def check_unread(self, doc: Located, index: int, key: str, text: str, slug: str) -> None:
        """The importer's rule for a statement or heading: a marker no rule reads is a
        citation lost, refused, so that a claim edited or imported before the rule is held
        to it too. The text is the source's, so the source is what to mend."""
        what = "statement" if key == "text" else "heading"
        for fault in unread_faults(text, what):
            self.reader.report(
                doc,
                f"{fault}; then import the summary again (ekb import SOURCE --topic {slug} "
                "--replace)",
                "claim",
                index,
                key,
            )

    def check_provenance(
        self, doc: Located, index: int, values: dict[str, Any], context: ClaimContext
    ) -> None:
        """The claim's text must stand word for word on its line of the source."""
        source = context.source_lines
        line = values["source_line"]
        if source is None or line < 1:  # below 1: the field's own problem (CLAIM_FIELDS)
            return
        if line > len(source):
            self.reader.report(
                doc,
                f"source_line {line} is outside {SOURCE_COPY} (1 to {len(source)})",
                "claim",
                index,
                "source_line",
            )
        elif not _stands_on(values["text"], source[line - 1]):
            self.reader.report(
                doc,
                f"text is not on line {line} of {SOURCE_COPY} word for word, and claim text "
                "must be verbatim: undo the edit; or, if the source itself says so now, "
                f"edit line {line} of {SOURCE_COPY} too, or import it again (ekb import "
                f"SOURCE --topic {context.slug} --replace)",
                "claim",
                index,
                "text",
            )

    def check_strength(
        self, doc: Located, index: int, values: dict[str, Any], context: ClaimContext
    ) -> None:
        method = values["strength_method"]
        if method == "stated":
            self.check_stated_strength(doc, index, values)
        elif method == "derived":
            self.check_derived_strength(doc, index, values, context)

    def check_stated_strength(self, doc: Located, index: int, values: dict[str, Any]) -> None:
        label, basis = values["strength"], values["strength_basis"]
        if label == UNGRADED_LABEL:
            self.reader.report(
                doc,
                f"strength '{label}' cannot be stated: use strength_method = \"derived\"",
                "claim",
                index,
                "strength_method",
            )
        if not quoted_from(basis, values["text"]):
            self.reader.report(
                doc,
                "a stated strength_basis must quote the claim's text word for word; "
                f'"{basis}" is not in it, whole words',
                "claim",
                index,
                "strength_basis",
            )

    def check_derived_strength(
        self, doc: Located, index: int, values: dict[str, Any], context: ClaimContext
    ) -> None:
        rule = derive_strength(
            values["text"],
            values["section"],
            tuple(values["citations"]),
            context.scheme.hedging_words,
            context.origin,
        )
        if values["strength"] != rule.label:
            self.reader.report(
                doc,
                f"derived strength should be '{rule.label}' by the rule in "
                f"{STRENGTH_PROSE}, not '{values['strength']}'",
                "claim",
                index,
                "strength",
            )
        elif values["strength_basis"] != rule.basis:
            self.reader.report(
                doc,
                f'derived strength_basis must read "{rule.basis}"',
                "claim",
                index,
                "strength_basis",
            )


def _stands_on(text: str, line: str) -> bool:
    """Whether a claim's `text` stands word for word on its source `line`: its words
    there, its final period aside, or its statement there as the importer read it. The
    importer moves a "?" or "!" over the marker before it ("... in CRPS [1]?" is "... in
    CRPS?"), so the text with that end is not in the line as it stands."""
    if text.rstrip(".") in line:
        return True
    return text.endswith(("!", "?")) and _ends_after_marker(text, line)


def _ends_after_marker(text: str, line: str) -> bool:
    """Whether `line` holds `text`'s words, then a citation marker, then its end: the
    statement the marker reader (the one that gave the claim) reads as `text`."""
    words, end = text[:-1], text[-1]
    at = line.find(words)
    while at >= 0:
        close = line.find(end, at + len(words))
        if close < 0:
            return False
        marker = split_marker(line[at : close + 1])
        if marker is not None and marker.text == text:
            return True
        at = line.find(words, at + 1)
    return False


def _claim(values: dict[str, Any], context: ClaimContext, position: int) -> Claim:
    """The claim of a checked table: each declared field by name (lists as tuples, an
    optional field not given as None), then what the topic and its order add."""
    declared = {f.name: _value(f, values.get(f.name)) for f in registry.CLAIM_FIELDS}
    return Claim(**declared, topic=context.slug, source=context.source, position=position)


def _value(field: registry.ClaimField, value: Any) -> Any:
    return tuple(value or ()) if field.is_list else value
