"""The fields of the knowledge base, each declared once.

A field is declared here with what every stage needs to know of it, and nowhere
else: the kb/ checks, the database's columns and their descriptions, the search
index's documents, the query language and the CLI's filters, the browser's search
rules (handed over as data in the site's search manifest), the pages and the
exports all read these declarations. Adding a field is an entry here; a field
that a new kind of value needs also a rule, written once for Python
(search/fields.py) and once for the browser (static/search-core.js).

Two kinds of field:

- **Reference fields** (`REFERENCE_FIELDS`): a cited work's bibliographic record in
  references.toml, in the order they are written and shown.
- **Query fields** (`QUERY_FIELDS`): what a claim can be searched or filtered by
  (`section:research`, `author:Guyatt`, `--stance contradicts`). Each names the
  `rule` its values follow, where its allowed values come from, and where a claim's
  values come from (`values`: the claim itself or the works it cites).

Stdlib and the scheme's names only (names.py): the search path imports it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, TypeAlias

from evidencekb.names import (
    CITATION_STYLES,
    LAYOUTS,
    NOTICE_MARKS,
    SECTION_TITLES,
    SECTIONS,
    SOURCE_FORMATS,
)

if TYPE_CHECKING:  # `ekb search` loads this module at start-up, and not the model
    from evidencekb.model import Claim, KnowledgeBase, Reference, Topic


@dataclass(frozen=True)
class Choice:
    """One allowed value of a closed list: its id (what kb/ and queries write), the
    words readers see, and how reference managers spell it (matched without case)."""

    id: str
    label: str
    spellings: tuple[str, ...] = ()

    def names(self) -> tuple[str, ...]:
        return (self.label, *self.spellings)


# What kind of work a reference is; CSL, RIS, BibTeX and FHIR exports map each to theirs.
REFERENCE_TYPES: tuple[Choice, ...] = (
    Choice("journal-article", "Journal article"),
    Choice("guideline", "Guideline"),
    Choice("review", "Review"),
    Choice("book", "Book"),
    Choice("web-page", "Web page"),
    Choice("other", "Other"),
)

# The publication types and study designs of a cited work, as MEDLINE's publication
# types (PT) name them; RIS's M3 and CSL's genre, where a reference manager fills
# them, are matched against the same names. A name outside this list is not
# recorded: a design is read from the record, never guessed.
STUDY_DESIGNS: tuple[Choice, ...] = (
    Choice("meta-analysis", "Meta-analysis", ("Meta-Analysis",)),
    Choice("systematic-review", "Systematic review", ("Systematic Review",)),
    Choice("rct", "Randomized controlled trial", ("Randomized Controlled Trial", "RCT")),
    Choice("controlled-trial", "Controlled clinical trial", ("Controlled Clinical Trial",)),
    Choice(
        "clinical-trial",
        "Clinical trial",
        (
            "Clinical Trial",
            "Clinical Trial, Phase I",
            "Clinical Trial, Phase II",
            "Clinical Trial, Phase III",
            "Clinical Trial, Phase IV",
            "Pragmatic Clinical Trial",
        ),
    ),
    Choice("observational-study", "Observational study", ("Observational Study",)),
    Choice("comparative-study", "Comparative study", ("Comparative Study",)),
    Choice("multicenter-study", "Multicenter study", ("Multicenter Study",)),
    Choice("validation-study", "Validation study", ("Validation Study",)),
    Choice("case-report", "Case report", ("Case Reports",)),
    Choice("practice-guideline", "Practice guideline", ("Practice Guideline", "Guideline")),
    Choice("consensus-statement", "Consensus statement", ("Consensus Development Conference",)),
    Choice("review", "Review", ("Review",)),
    Choice("editorial", "Editorial", ("Editorial",)),
    Choice("letter", "Letter", ("Letter",)),
    Choice("comment", "Comment", ("Comment",)),
)


# A field's name, as the query language reads it before a colon (`strength_method:`)
# and as claims.toml, the database's columns and the exports write it: ASCII letters,
# words joined by one underscore. Written once: query.py's lexer reads names by it,
# and the browser's (static/search-core.js) by the same pattern, handed over in the
# search manifest; a declaration outside it is refused below. A query reads a name in
# any case; a declared name is lower-case.
FIELD_NAME_PATTERN = r"[A-Za-z]+(?:_[A-Za-z]+)*"
_FIELD_NAME = re.compile(FIELD_NAME_PATTERN)


def _check_name(what: str, name: str) -> None:
    if _FIELD_NAME.fullmatch(name) is None or name != name.lower():
        raise ValueError(
            f"{what} {name!r}: a field's name is lower-case ASCII letters, words joined by "
            "one underscore (like strength_method), so that queries can name it"
        )


def _check_free(what: str, name: str, reserved: frozenset[str], where: str) -> None:
    """Refuse a name that what the model, the database, an export or the index gives
    a record besides its declared fields already takes (its column, key, attribute or
    index field would clash); `where`: the registry's set that says so."""
    if name in reserved:
        raise ValueError(
            f"{what} {name!r}: the name is taken by what the model, the database, an "
            f"export or the index has besides the declared fields (registry.{where}); "
            "choose another"
        )


def _check_kind(what: str, name: str, kind: str, kinds: tuple[str, ...]) -> None:
    if kind not in kinds:
        raise ValueError(f"{what} {name!r}: kind {kind!r} is not one of {', '.join(kinds)}")


# What each kind of topic field holds as topic.toml writes it: text, which `ekb check`
# holds to be a date (kb/dates.py) or one of the field's choices.
TOPIC_KINDS: tuple[str, ...] = ("text", "date", "choice")
# The names a topic has or is given besides its topic.toml fields, which no topic field
# may take: the model's other attributes (its folder's other files, what it works
# out), the database's other columns of topics, and topic.toml's change log table
# (tests/test_claim_fields.py reads them from each).
RESERVED_TOPIC_NAMES = frozenset(
    {"slug", "overview_md", "claims", "references", "source_text", "changes"}
    | {"claims_key", "claim_keys", "headings", "overview", "change"}
)


@dataclass(frozen=True)
class TopicField:
    """One field of a topic's topic.toml.

    kind: one of TOPIC_KINDS; a "choice" is one of `choices`, which a message calls a
    `what` ("unknown citation style"). Each field is an attribute of model.Topic and a
    column of the database's topics table, described by `description`. `imported`:
    `ekb import` writes it from the summary; a field it does not (an editor's, as the
    review dates are) is kept from the topic an import replaces (kb/replacing.py).
    label: the words readers see beside its value in the topic page's provenance;
    today's fields have none, as the page shows each in a way of its own.
    """

    name: str
    kind: str
    description: str
    required: bool = True
    choices: tuple[str, ...] = ()
    what: str = ""
    imported: bool = True
    label: str = ""

    def __post_init__(self) -> None:
        _check_name("topic field", self.name)
        _check_free("topic field", self.name, RESERVED_TOPIC_NAMES, "RESERVED_TOPIC_NAMES")
        _check_kind("topic field", self.name, self.kind, TOPIC_KINDS)
        if (self.kind == "choice") != bool(self.choices and self.what):
            raise ValueError(f"topic field {self.name!r}: a choice, and only a choice, has "
                             "choices and names them (`what`)")  # fmt: skip

    @property
    def is_list(self) -> bool:
        return False


TOPIC_FIELDS: tuple[TopicField, ...] = (
    TopicField("title", "text", "The topic's title."),
    TopicField("source", "text", "The file name of the summary the topic was imported from."),
    TopicField(
        "source_format",
        "choice",
        "What the source is: an evidence summary (summary) or claims a JSON object a line (jsonl).",
        required=False,
        choices=SOURCE_FORMATS,
        what="source format",
    ),
    TopicField(
        "citation_style",
        "choice",
        "How the summary wrote its citation numbers (plain, compact, bracketed, "
        "bracket-each, parenthesized, superscript or caret).",
        choices=tuple(CITATION_STYLES),
        what="citation style",
    ),
    TopicField(
        "layout",
        "choice",
        "How the summary is written: text, markdown or article (text where kb/ does not say).",
        required=False,
        choices=LAYOUTS,
        what="layout",
    ),
    TopicField(
        "last_reviewed",
        "date",
        "When an editor last reviewed the whole topic (YYYY-MM-DD); null where kb/ does not say.",
        required=False,
        imported=False,
    ),
    TopicField(
        "literature_searched",
        "date",
        "The date up to which the literature was searched (YYYY-MM-DD); null where kb/ does "
        "not say.",
        required=False,
        imported=False,
    ),
)


# The names a claim has or is given besides its claims.toml fields, which no claim
# field may take (its column, key or attribute would clash with one of these): what
# the loader adds (topic, source, position) and other files add (evidence, relations,
# notices), what the model works out (contested, citation_evidence, last_dated), and
# what the database's claims table and the exports add of their own (the evidence
# summary's verdict and warning, the CSV's stances, `ekb show --json`'s labels,
# `ekb search --json`'s score and highlights, SQLite's rowid). Kept here, not read from
# the database package, which `ekb search` must not load: tests/test_claim_fields.py
# derives them from the model, the database and every export, and holds them here.
RESERVED_CLAIM_NAMES = frozenset(
    {
        *("topic", "source", "position", "evidence", "relations", "notices"),
        *("contested", "citation_evidence", "last_dated", "to_dict"),
        *("verdict", "warning", "stances", "rowid", "oid"),
        *("topic_title", "strength_title", "strength_definition", "category_labels"),
        *("entity_labels", "references"),
        *("score", "highlighted", "highlights", "corrected_query"),
        "type",  # a claims-jsonl line's own key, which says what the line is
        # `ekb show --json` gives the claim's topic's fields as topic_NAME.
        *(f"topic_{f.name}" for f in TOPIC_FIELDS),
    }
)
# The names a list field may not take besides those: its values are the database's
# table claim_NAME (ClaimField.table), and these tables and views of that form are the
# database's own (tests/test_claim_fields.py reads them from a built database).
RESERVED_LIST_NAMES = frozenset({"overview"})
# What each kind of claim field holds as claims.toml writes it (kb/tables.py's kinds):
# a date is text, which `ekb check` then holds to be a date (kb/claims.py).
CLAIM_KINDS: dict[str, str] = {
    "text": "text",
    "texts": "texts",
    "int": "int",
    "ints": "ints",
    "date": "text",
}


@dataclass(frozen=True)
class ClaimField:
    """One field of a `[[claim]]` table in claims.toml.

    kind: one of CLAIM_KINDS: "text", "texts", "int", "ints" (kb/tables.py checks
    each) or "date" (text that is an ISO date, YYYY-MM-DD, kb/dates.py). A field that
    holds one value is a column of the database's claims table, described by
    `description`; a list is a table of its own (`table`: claim_citations,
    claim_categories, claim_entities, or for any other list claim_NAME with its
    values), one row per value in the claim's order. Every field is a key of
    the claim's export JSON and a column of its CSV (model.Claim.to_dict).

    label: the words readers see beside its value. A field with one is listed, label
    and value, under "About this claim" on its page and by `ekb show`; today's fields
    have none, as those show each in a way of its own.
    """

    name: str
    kind: str
    description: str
    required: bool = True
    least: int | None = None  # an "int" field's smallest value
    label: str = ""

    def __post_init__(self) -> None:
        # A declaration the rest cannot carry is refused when the registry is loaded.
        _check_name("claim field", self.name)
        _check_free("claim field", self.name, RESERVED_CLAIM_NAMES, "RESERVED_CLAIM_NAMES")
        _check_kind("claim field", self.name, self.kind, tuple(CLAIM_KINDS))
        if self.least is not None and self.kind not in ("int", "ints"):
            raise ValueError(f"claim field {self.name!r}: only whole numbers have a least")
        if self.is_list and self.name in RESERVED_LIST_NAMES:
            raise ValueError(
                f"claim field {self.name!r}: a list's values are the database's table "
                f"{self.table}, which the database has already "
                "(registry.RESERVED_LIST_NAMES); choose another"
            )

    @property
    def is_column(self) -> bool:
        return not self.is_list  # a list is a table of its own

    @property
    def is_list(self) -> bool:
        return self.kind in ("texts", "ints")

    @property
    def table(self) -> str:
        """The database table that holds its values: a column of `claims`, or for a list
        a table of its own, claim_NAME, one row per value in the claim's order."""
        return f"claim_{self.name}" if self.is_list else "claims"

    @property
    def toml_kind(self) -> str:
        """The kind of value claims.toml writes it as (kb/tables.py's)."""
        return CLAIM_KINDS[self.kind]


CLAIM_FIELDS: tuple[ClaimField, ...] = (
    ClaimField("id", "text", "The claim's permanent id, as kb/ records it."),
    ClaimField("section", "text", "The part of the summary: guidelines or research."),
    ClaimField(
        "heading",
        "text",
        "The heading the claim stands under; null for a lead paragraph.",
        required=False,
    ),
    ClaimField(
        "text", "text", "The statement exactly as the summary gives it, citation numbers removed."
    ),
    ClaimField("citations", "ints", "The citation numbers, in the source's order."),
    ClaimField("strength", "text", "The evidence-strength label (strength_levels)."),
    ClaimField(
        "strength_method",
        "text",
        "stated (the summary says it) or derived (by the written rule in kb/strength.md).",
    ),
    ClaimField("strength_basis", "text", "The words or the rule the strength label rests on."),
    ClaimField("categories", "texts", "The categories it is about (categories)."),
    ClaimField("entities", "texts", "The entities it mentions (entities)."),
    ClaimField("source_line", "int", "The claim's line in its summary, from 1.", least=1),
    ClaimField(
        "added",
        "date",
        "The date it came into the knowledge base (YYYY-MM-DD); null where kb/ does not say.",
        required=False,
    ),
    ClaimField(
        "changed",
        "date",
        "The date its meaning (text, strength, citations, stances) last changed; null if never.",
        required=False,
    ),
)


@dataclass(frozen=True)
class Fact:
    """A field's value as readers see it beside its label."""

    label: str
    text: str


def claim_facts(claim: Claim, fields: Iterable[ClaimField] = CLAIM_FIELDS) -> tuple[Fact, ...]:
    """The claim's values of the `fields` declared with a label, in order, each that it
    has: what `ekb show` lists beside today's fields, each of which it shows its own way."""
    return _facts(claim, fields)


def topic_facts(topic: Topic) -> tuple[Fact, ...]:
    """The topic's values of the fields declared with a label, in order, each that it
    has: what its page's provenance lists."""
    return _facts(topic, TOPIC_FIELDS)


def _facts(record: object, fields: Iterable[ClaimField | TopicField]) -> tuple[Fact, ...]:
    found = ((f, getattr(record, f.name)) for f in fields if f.label)
    return tuple(
        Fact(f.label, "; ".join(map(str, value)) if f.is_list else str(value))
        for f, value in found
        if value not in (None, "", ())
    )


class Interchange(NamedTuple):
    """A reference field's name in each reference manager's format that holds it as one
    value: CSL-JSON's variable, RIS's tag as rispy names it, BibTeX's field and
    MEDLINE's tag; "" where a format has no such field. `ekb refs import` reads it and
    `ekb export` writes it by that name, by its kind (`interchanged`, and
    kb/refmanager.py's `_read`): a text as it is; a choice by its words, read back by
    any name of it (compared without case), a name of none not recorded; choices
    joined by INTERCHANGE_SEPARATOR, as one text (a tag MEDLINE repeats is one value
    each). `fhir`: the code of FHIR R5's cited-artifact-classification-type
    (FHIR_CLASSIFICATION_TYPES) under which the FHIR export classifies the work by its
    value (Citation.citedArtifact.classification). A field a format holds in a shape
    of its own (names, a year, a page range, a DOI, the kind of work) has none there:
    kb/refexport.py and kb/refmanager.py write and read it field by field. (A named
    tuple: `ekb search` loads this module, and makes one a tenth as fast as a
    dataclass, commandline.py.)"""

    csl: str = ""
    ris: str = ""
    bibtex: str = ""
    medline: str = ""
    fhir: str = ""


NOT_INTERCHANGED = Interchange()  # a field no format holds as one value
REFERENCE_KINDS: tuple[str, ...] = ("text", "texts", "int", "choice", "choices")
# The kinds a format's one value is read into and written from (`Interchange`).
INTERCHANGED_KINDS: tuple[str, ...] = ("text", "choice", "choices")
# Between a field's choices in the one text each format has for them ("Randomized
# controlled trial; Multicenter study"), where `ekb refs import` splits them again.
INTERCHANGE_SEPARATOR = "; "
# FHIR R5's CodeSystem cited-artifact-classification-type: the codes a reference field
# may be declared with (`Interchange.fhir`), each with its display there.
FHIR_CLASSIFICATION_SYSTEM = "http://hl7.org/fhir/cited-artifact-classification-type"
FHIR_CLASSIFICATION_TYPES: dict[str, str] = {
    "publication-type": "Publication type",
    "mesh-heading": "MeSH heading",
    "keyword": "Keyword",
    "citation-subset": "Citation subset",
    "chemical": "Chemical",
    "publishing-model": "Publishing Model",
}
# The names a cited work has or is given besides its references.toml fields, which no
# reference field may take: the model's other attributes and the database's other
# columns of cited_works (tests/test_claim_fields.py reads them from each).
RESERVED_REFERENCE_NAMES = frozenset(
    {"topic", "number", "sentences", "notices", "mark", "mark_label", "notices_text"}
    | {"notes", "is_described", "record", "to_dict", "id", "described"}
)


@dataclass(frozen=True)
class ReferenceField:
    """One field of a `[[reference]]` table in references.toml.

    kind: "text", "texts" (a list of text), "int", "choice" (one id of `choices`) or
    "choices" (a list of ids of `choices`). Every reference field is optional.
    `formats`: its names in the reference managers' formats and FHIR's classification,
    for a text or choice they hold as one value (`named_in`, `Interchange`).
    """

    name: str
    kind: str
    label: str  # what readers see beside the value
    description: str  # the database column's description
    choices: tuple[Choice, ...] = ()
    formats: Interchange = NOT_INTERCHANGED

    def __post_init__(self) -> None:
        _check_name("reference field", self.name)
        _check_free(
            "reference field", self.name, RESERVED_REFERENCE_NAMES, "RESERVED_REFERENCE_NAMES"
        )
        _check_kind("reference field", self.name, self.kind, REFERENCE_KINDS)
        if (self.kind in ("choice", "choices")) != bool(self.choices):
            raise ValueError(f"reference field {self.name!r}: a choice, and only a choice, "
                             "has choices")  # fmt: skip
        for fault in _interchange_faults(self):
            raise ValueError(f"reference field {self.name!r}: {fault}")

    @property
    def is_list(self) -> bool:
        return self.kind in ("texts", "choices")

    def choice_ids(self, names: Iterable[str]) -> list[str]:
        """The ids of the choices that `names` name (an id, the label or a spelling,
        compared without case), in order, each once. A name of none is left out: a
        reference manager's value is read, never guessed at."""
        known = {n.casefold(): c.id for c in self.choices for n in (c.id, *c.names())}
        found = (known.get(name.strip().casefold()) for name in names)
        return list(dict.fromkeys(i for i in found if i is not None))

    def words(self, value_id: str) -> str:
        """A choice's words for readers ("Journal article", not `journal-article`)."""
        for choice in self.choices:
            if choice.id == value_id:
                return choice.label
        return value_id

    def shown(self, value: object) -> str:
        """The value as a reader sees it, "" when there is none."""
        if value is None:
            return ""
        if isinstance(value, tuple):
            return "; ".join(self.words(v) if self.choices else v for v in value)
        return self.words(value) if self.choices and isinstance(value, str) else str(value)

    def interchanged(self, value: object) -> str | None:
        """The value as the formats that name the field hold it, None when there is
        none: a text as it is, a choice by its words, choices joined by
        INTERCHANGE_SEPARATOR ("Practice guideline; Consensus statement")."""
        return INTERCHANGE_SEPARATOR.join(self.interchanged_items(value)) or None

    def interchanged_items(self, value: object) -> tuple[str, ...]:
        """The value's items as a format holding one apiece writes them (FHIR's
        classifiers): a choice's words, a text as it is; none when it has none."""
        items = value if isinstance(value, tuple) else () if value in (None, "") else (value,)
        return tuple(self.words(item) if self.choices else str(item) for item in items)


def _interchange_faults(field: ReferenceField) -> Iterable[str]:
    """What a field's `formats` asks that the readers and writers cannot do."""
    if field.formats == NOT_INTERCHANGED:
        return
    if field.kind not in INTERCHANGED_KINDS:
        yield (
            f"only a {', '.join(INTERCHANGED_KINDS)} is written and read as one value by "
            "a format (`formats`)"
        )
    if field.formats.fhir and field.formats.fhir not in FHIR_CLASSIFICATION_TYPES:
        yield (
            f"fhir {field.formats.fhir!r} is not a code of FHIR's cited-artifact-"
            f"classification-type known here: {', '.join(FHIR_CLASSIFICATION_TYPES)}"
        )
    separator = INTERCHANGE_SEPARATOR.strip()
    for name in (n for c in field.choices for n in (c.id, *c.names()) if separator in n):
        yield f"the choice name {name!r} holds {separator!r}, which separates choices in a format"


REFERENCE_FIELDS: tuple[ReferenceField, ...] = (
    ReferenceField(
        "type", "choice", "Type", "What kind of work it is (kb/README.md).", REFERENCE_TYPES
    ),
    ReferenceField(
        "design",
        "choices",
        "Publication type",
        "Its publication types or study designs, as the reference manager's record gives "
        "them (MEDLINE PT, RIS M3, CSL genre); never guessed.",
        STUDY_DESIGNS,
        # BibTeX's `type` is Zotero's field for CSL's genre (a report's type, in biblatex).
        formats=Interchange(
            csl="genre", ris="type_of_work", bibtex="type", medline="PT", fhir="publication-type"
        ),
    ),
    ReferenceField("title", "text", "Title", "The work's title."),
    ReferenceField("authors", "texts", "Authors", "The authors, in the work's order."),
    ReferenceField("year", "int", "Year", "The year of publication."),
    ReferenceField("journal", "text", "Journal", "The journal, as kb/ records it."),
    ReferenceField(
        "volume",
        "text",
        "Volume",
        "The journal volume.",
        formats=Interchange(csl="volume", ris="volume", bibtex="volume", medline="VI"),
    ),
    ReferenceField(
        "issue",
        "text",
        "Issue",
        "The journal issue.",
        formats=Interchange(csl="issue", ris="number", bibtex="number", medline="IP"),
    ),
    ReferenceField("pages", "text", "Pages", "The pages."),
    ReferenceField("doi", "text", "DOI", "The DOI, as kb/ records it (compared without case)."),
    ReferenceField(
        "pmid",
        "text",
        "PMID",
        "The PubMed id.",
        formats=Interchange(csl="PMID", bibtex="pmid", medline="PMID"),
    ),
    ReferenceField(
        "pmcid",
        "text",
        "PMCID",
        "The PubMed Central id.",
        formats=Interchange(csl="PMCID", bibtex="pmcid", medline="PMC"),
    ),
    ReferenceField("url", "text", "Web address", "A web address of the work."),
    ReferenceField(
        "citation_text",
        "text",
        "As the source cites it",
        "The reference exactly as the source wrote it.",
    ),
)
REFERENCE_FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in REFERENCE_FIELDS)


def named_in(format_name: str) -> tuple[tuple[ReferenceField, str], ...]:
    """The reference fields a format (a field of Interchange) holds as one value, each
    with its name there, in the registry's order."""
    found = ((f, getattr(f.formats, format_name)) for f in REFERENCE_FIELDS)
    return tuple((f, name) for f, name in found if name)


def reference_field(name: str) -> ReferenceField:
    for declared in REFERENCE_FIELDS:
        if declared.name == name:
            return declared
    raise KeyError(name)


def reference_facts(
    reference: Reference, fields: Iterable[ReferenceField] = REFERENCE_FIELDS
) -> tuple[Fact, ...]:
    """The work's values of `fields`, in order, each that it has, as readers see them
    (a choice in words): what `ekb show` lists beside its citation line."""
    found = ((f.label, f.shown(getattr(reference, f.name))) for f in fields)
    return tuple(Fact(label, text) for label, text in found if text)


# How a query field's values are read and matched; each rule is implemented once in
# search/fields.py and once in static/search-core.js, which dispatch on these names.
RULES: tuple[str, ...] = (
    "text",  # analysed words and phrases (text:, heading:)
    "exact",  # the value as written (id:)
    "choice",  # one of a closed list, compared without case (section:, contested:)
    "term",  # an id or any name of a term, compared without case (entity:, stance:)
    "number",  # a whole number (cites:)
    "name",  # a name or words of one (author:, journal:)
    "year",  # a year or a range of years (year:)
    "date",  # a date, month or year, or a range of them (changed:2026-01..)
    "doi",  # a DOI, also written as a doi.org link (doi:)
    "pmid",  # a PubMed id (pmid:)
)

# Whether a claim is contested (model.Claim.contested), with the search page's wording.
CONTESTED_CHOICES: tuple[Choice, ...] = (
    Choice("yes", "Contested: its evidence disagrees"),
    Choice("no", "Not contested"),
)

Works: TypeAlias = "tuple[Reference, ...]"


# The names the index holds of its own beside the query fields (search/index.py
# schema): the stored claim, the heading and text pooled, the topic's title, the
# claim's names and the spelling dictionary. No query field may take one (a test reads
# them from the schema).
RESERVED_QUERY_NAMES = frozenset({"claim", "body", "topic_title", "terms", "words"})
# A source of allowed values: id -> its names, in order.
Allowed: TypeAlias = "Callable[[KnowledgeBase], Mapping[str, tuple[str, ...]]]"


def _choices(choices: tuple[Choice, ...]) -> Allowed:
    return lambda kb: {c.id: c.names() for c in choices}


# Where the allowed values of "choice" and "term" fields come from: each gives
# id -> its names, the words readers see first; a "term" field's value may be any
# of them, a "choice" field's only the id. The kb's own lists, then every reference
# field of choices by its name (`design`): a closed list declared once is a source
# with no more code.
_KB_LISTS: dict[str, Allowed] = {
    "sections": lambda kb: {s: (SECTION_TITLES[s],) for s in SECTIONS},
    "strength": lambda kb: {level.label: (level.title,) for level in kb.strength.levels},
    "topics": lambda kb: {t.slug: (t.title,) for t in kb.topics},
    "categories": lambda kb: {t.id: t.names for t in kb.categories},
    "entities": lambda kb: {t.id: t.names for t in kb.entities},
    "stances": lambda kb: {t.id: (t.label,) for t in kb.stances},
    "contested": lambda kb: {c.id: (c.label,) for c in CONTESTED_CHOICES},
    "notices": lambda kb: {key: (label,) for key, label in NOTICE_MARKS.items()},
}
_LISTED_BY_WORKS = {f.name: _choices(f.choices) for f in REFERENCE_FIELDS if f.choices}
if _clash := sorted(_KB_LISTS.keys() & _LISTED_BY_WORKS.keys()):
    raise ValueError(
        f"reference field {_clash[0]!r}: the name is that of a list of the kb's own that "
        "query fields take their allowed values from (registry._KB_LISTS); choose another"
    )
_ALLOWED: dict[str, Allowed] = _KB_LISTS | _LISTED_BY_WORKS
ALLOWED_SOURCES: tuple[str, ...] = tuple(_ALLOWED)


@dataclass(frozen=True)
class QueryField:
    """A field queries and filters read (`name:value`).

    rule: one of RULES. needs/example: what an error says a value must be.
    values: a claim's raw values in this field, given the works it cites (the rule
    turns them into the index's keys). allowed: where the allowed values of a
    "choice" or "term" field come from (see `allowed_values`). filter: the help of its
    `ekb search --NAME` option and the site's menu, if it has one.
    """

    name: str
    rule: str
    needs: str
    example: str
    values: Callable[[Claim, Works], Iterable[str]]
    allowed: str = ""
    filter: str = ""
    # Held per claim as one character too, for fast filters (codes.py, index.claim_codes):
    # a choice of the claim's own, one value a claim.
    coded: bool = False
    on_works: bool = False  # its values are the cited works' (a claim matches if one does)
    menu: tuple[str, str] | tuple[()] = ()  # the site's filter menu: label, "any" option

    def __post_init__(self) -> None:
        _check_name("query field", self.name)  # one the query language can read
        _check_free("query field", self.name, RESERVED_QUERY_NAMES, "RESERVED_QUERY_NAMES")
        if self.rule not in RULES:
            raise ValueError(f"query field {self.name!r}: rule {self.rule!r} is not one of RULES")
        for fault in _rule_faults(self):
            raise ValueError(f"query field {self.name!r}: {fault}")


def _rule_faults(field: QueryField) -> Iterable[str]:
    """What a declaration asks of its rule that the rule cannot do."""
    if field.rule == "exact" and field.name != "id":
        yield (
            "the exact rule matches the claim's id alone (the index holds no other value "
            "whole); a value of words takes the name or term rule"
        )
    if (field.rule in ("choice", "term")) != bool(field.allowed):
        yield "a choice or term field, and only one, names where its allowed values come from"
    if field.allowed and field.allowed not in ALLOWED_SOURCES:
        yield f"allowed {field.allowed!r} is not one of {', '.join(ALLOWED_SOURCES)}"
    if field.coded and (field.rule != "choice" or field.on_works):
        yield (
            "only a choice of the claim's own is coded (one character a claim, its "
            "value's place among the allowed values, search/codes.py)"
        )


def claim_values(name: str) -> Callable[[Claim, Works], Iterable[str]]:
    """A query field's values read from the claim's field `name`: each item of a list,
    or its one value, as text; none when it has no value."""

    def values(claim: Claim, works: Works) -> Iterable[str]:
        return _as_values(getattr(claim, name))

    return values


def _work_values(name: str) -> Callable[[Claim, Works], Iterable[str]]:
    def values(claim: Claim, works: Works) -> Iterable[str]:
        for work in works:
            yield from _as_values(getattr(work, name))

    return values


def _as_values(value: object) -> Iterable[str]:
    if isinstance(value, tuple):
        return [str(item) for item in value]
    return () if value is None else (str(value),)


QUERY_FIELDS: tuple[QueryField, ...] = (
    QueryField("text", "text", "words", "text:ketamine", claim_values("text")),
    QueryField("heading", "text", "words", "heading:dosing", lambda c, w: (c.heading or "",)),
    QueryField("id", "exact", "a claim id", "id:ketamine-pain-8008e692", claim_values("id")),
    QueryField(
        "section",
        "choice",
        "a section",
        "section:research",
        claim_values("section"),
        allowed="sections",
        filter="Only this section (guidelines, research).",
        menu=("Section", "Any section"),
        coded=True,
    ),
    QueryField(
        "strength",
        "choice",
        "a strength label",
        "strength:moderate",
        claim_values("strength"),
        allowed="strength",
        filter="Only claims with this strength label.",
        menu=("Evidence strength", "Any strength"),
        coded=True,
    ),
    QueryField(
        "topic",
        "choice",
        "a topic's slug",
        "topic:ketamine-pain",
        claim_values("topic"),
        allowed="topics",
        filter="Only this topic.",
        menu=("Topic", "Any topic"),
    ),
    QueryField(
        "cites",
        "number",
        "a citation number",
        "cites:2",
        claim_values("citations"),
        filter="Only claims citing N.",
    ),
    QueryField(
        "category",
        "term",
        "a category",
        "category:dosing",
        claim_values("categories"),
        allowed="categories",
        filter="Only claims in this category.",
        menu=("Category", "Any category"),
    ),
    QueryField(
        "entity",
        "term",
        "an entity",
        "entity:ketamine",
        claim_values("entities"),
        allowed="entities",
    ),
    QueryField(
        "author",
        "name",
        "a name or words of one",
        "author:Guyatt",
        _work_values("authors"),
        on_works=True,
    ),
    QueryField(
        "journal",
        "name",
        "a name or words of one",
        'journal:BMJ or journal:"J Clin Epidemiol"',
        _work_values("journal"),
        on_works=True,
    ),
    QueryField(
        "year",
        "year",
        "a year or a range of years",
        "year:2008 or year:2015..2020",
        _work_values("year"),
        on_works=True,
    ),
    QueryField(
        "doi", "doi", "a DOI", "doi:10.1136/bmj.39489.470347.AD", _work_values("doi"), on_works=True
    ),
    QueryField(
        "pmid", "pmid", "a PubMed id (digits)", "pmid:18436948", _work_values("pmid"), on_works=True
    ),
    QueryField(
        "design",
        "term",
        "a publication type or study design",
        "design:rct",
        _work_values("design"),
        allowed="design",
        filter="Only claims citing a work of this publication type or study design.",
        menu=("Publication type of a cited work", "Any publication type"),
        on_works=True,
    ),
    QueryField(
        "stance",
        "term",
        "a stance",
        "stance:supports",
        lambda c, w: (e.stance for e in c.citation_evidence),
        allowed="stances",
        filter="Only claims with a cited work of this stance (an id or label of kb/stance.toml).",
        menu=("A cited work's stance", "Any stance"),
    ),
    QueryField(
        "contested",
        "choice",
        "yes or no",
        "contested:yes",
        lambda c, w: ("yes" if c.contested else "no",),
        allowed="contested",
        filter="Only claims whose evidence disagrees (yes) or does not (no).",
        menu=("Contested", "Contested or not"),
    ),
    QueryField(
        "changed",
        "date",
        "a date (2026-12-05, 2026-12 or 2026) or a range of them",
        "changed:2026-12-05 or changed:2026-01..",
        claim_values("last_dated"),
        filter="Only claims changed (or, never changed, added) on this date or in this "
        "range (2026-01.., 2026-01..2026-06).",
    ),
    QueryField(
        "notice",
        "term",
        "an editorial notice on a cited work",
        "notice:retraction",
        lambda c, w: (n.mark for n in c.notices),
        allowed="notices",
        filter="Only claims citing a work that editorial notices mark (retraction, "
        "expression-of-concern, correction).",
        menu=("Editorial notice on a cited work", "Any or none"),
    ),
)
QUERY_FIELD_NAMES: tuple[str, ...] = tuple(sorted(f.name for f in QUERY_FIELDS))
# Fields whose values are keys, not analysed text: every field but the "text" rule's.
KEYWORD_FIELD_NAMES: tuple[str, ...] = tuple(
    sorted(f.name for f in QUERY_FIELDS if f.rule != "text")
)


def query_field(name: str) -> QueryField:
    for declared in QUERY_FIELDS:
        if declared.name == name:
            return declared
    raise KeyError(name)


def filters() -> tuple[QueryField, ...]:
    """The fields `ekb search` and the site's search page filter by, in declared order."""
    return tuple(f for f in QUERY_FIELDS if f.filter)


def allowed_values(kb: KnowledgeBase) -> dict[str, dict[str, list[str]]]:
    """For each "choice" and "term" query field, its allowed ids with their names, in
    order: what the index's metadata and the browser's search data check values by."""
    return {
        f.name: {key: list(names) for key, names in _ALLOWED[f.allowed](kb).items()}
        for f in QUERY_FIELDS
        if f.allowed
    }


@dataclass(frozen=True)
class Menu:
    """A filter menu of the site's search page: a field, its label, the option that
    filters nothing, and (value, words) for every other option."""

    name: str
    label: str
    any: str
    options: tuple[tuple[str, str], ...]


def menus(kb: KnowledgeBase) -> tuple[Menu, ...]:
    """The search page's filter menus, one for each field declared with one."""
    values = allowed_values(kb)
    return tuple(
        Menu(
            f.name,
            *f.menu,
            tuple((key, names[0] if names else key) for key, names in values[f.name].items()),
        )
        for f in QUERY_FIELDS
        if f.menu
    )


def unique_names(
    what: str, declared: Iterable[ClaimField | TopicField | ReferenceField | QueryField]
) -> None:
    """Refuse a name declared twice: one would hide the other, without a word."""
    seen: set[str] = set()
    for field in declared:
        if field.name in seen:
            raise ValueError(f"{what} {field.name!r} is declared twice")
        seen.add(field.name)


unique_names("claim field", CLAIM_FIELDS)
unique_names("topic field", TOPIC_FIELDS)
unique_names("reference field", REFERENCE_FIELDS)
unique_names("query field", QUERY_FIELDS)
