"""Load and validate kb/: the one way a `KnowledgeBase` comes into being.

Every problem in every file is collected before anything fails, each naming
its file, line and field and, where there is a vocabulary, the allowed values;
`ekb check` prints them all in one run. Stdlib only (the search path uses it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evidencekb.errors import Problem, ValidationError
from evidencekb.kb.citations import split_marker
from evidencekb.kb.strength import RULE_LABELS, UNGRADED_LABEL, derive_strength
from evidencekb.kb.tables import SLUG, Field, TableChecker
from evidencekb.kb.tomlfile import Located, read_toml
from evidencekb.model import (
    CITATION_STYLES,
    SECTIONS,
    STRENGTH_METHODS,
    Claim,
    KnowledgeBase,
    Reference,
    StrengthLevel,
    StrengthScheme,
    Term,
    Topic,
    split_lines,
)
from evidencekb.paths import (
    CATEGORIES_FILE,
    CLAIMS_FILE,
    ENTITIES_FILE,
    OVERVIEW_FILE,
    REFERENCES_FILE,
    SOURCE_COPY,
    STRENGTH_FILE,
    STRENGTH_PROSE,
    TOPIC_FILE,
    TOPICS_DIR,
)

LEVEL_FIELDS = {
    "label": Field("text"),
    "rank": Field("int"),
    "title": Field("text"),
    "definition": Field("text"),
    "assigned": Field("text"),
}
TERM_FIELDS = {
    "id": Field("text"),
    "label": Field("text"),
    "definition": Field("text", required=False),
    "synonyms": Field("texts", required=False),
    "abbreviations": Field("texts", required=False),
}
ENTITY_FIELDS = {**TERM_FIELDS, "kind": Field("text")}
TOPIC_FIELDS = {"title": Field("text"), "source": Field("text"), "citation_style": Field("text")}
CLAIM_FIELDS = {
    "id": Field("text"),
    "section": Field("text"),
    "heading": Field("text", required=False),
    "text": Field("text"),
    "citations": Field("ints"),
    "strength": Field("text"),
    "strength_method": Field("text"),
    "strength_basis": Field("text"),
    "categories": Field("texts"),
    "entities": Field("texts"),
    "source_line": Field("int"),
}
REFERENCE_FIELDS = {
    "number": Field("int"),
    "title": Field("text", required=False),
    "authors": Field("texts", required=False),
    "year": Field("int", required=False),
    "journal": Field("text", required=False),
    "doi": Field("text", required=False),
    "pmid": Field("text", required=False),
    "url": Field("text", required=False),
}


def load_kb(kb_dir: Path) -> KnowledgeBase:
    """Read and validate all of `kb_dir`; raise ValidationError listing every problem."""
    loader = _Loader(kb_dir)
    kb = loader.load()
    if loader.problems:
        raise ValidationError(loader.problems)
    return kb


class _Loader(TableChecker):
    def __init__(self, kb_dir: Path) -> None:
        super().__init__()
        self.kb_dir = kb_dir
        self.claim_ids: dict[str, str] = {}  # id -> "path:line" where it was first defined
        self.parsed_claims: set[str] = set()  # topics whose claims.toml parsed
        # Ids of every vocabulary entry, even one with other faults, so that a
        # broken entry is reported once rather than again at every claim using it.
        self.term_ids: dict[str, tuple[str, ...]] = {}

    def display(self, relative: str) -> str:
        return str(self.kb_dir / relative)

    def read(self, relative: str) -> Located | None:
        path = self.kb_dir / relative
        if not path.is_file():
            self.problems.append(Problem(self.display(relative), 1, "file is missing"))
            return None
        return read_toml(path, self.display(relative), self.problems)

    def load(self) -> KnowledgeBase:
        if not self.kb_dir.is_dir():
            self.problems.append(
                Problem(str(self.kb_dir), 1, "knowledge base folder not found; pass --kb DIR")
            )
            return KnowledgeBase(StrengthScheme((), (), ""), (), (), (), ())
        scheme = self.load_strength()
        categories = self.load_terms(CATEGORIES_FILE, "category", TERM_FIELDS, ())
        kinds, entities = self.load_entities()
        topics = self.load_topics(scheme, categories, entities)
        return KnowledgeBase(scheme, categories, entities, kinds, topics)

    # -- strength scheme and vocabularies -------------------------------------

    def load_strength(self) -> StrengthScheme:
        prose_path = self.kb_dir / STRENGTH_PROSE
        prose = prose_path.read_text(encoding="utf-8") if prose_path.is_file() else ""
        if not prose.strip():
            self.problems.append(
                Problem(self.display(STRENGTH_PROSE), 1, "missing or empty: explain the scheme")
            )
        doc = self.read(STRENGTH_FILE)
        if doc is None:
            return StrengthScheme((), (), prose)
        self.unknown_keys(doc, "", 0, doc.data, {"hedging_words", "level"})
        hedging = self.typed(doc, "", 0, "hedging_words", doc.data.get("hedging_words"), "texts")
        indexed: list[tuple[int, StrengthLevel]] = []
        for index, row in enumerate(self.rows(doc, "level")):
            values = self.fields(doc, "level", index, row, LEVEL_FIELDS)
            if values is not None:
                indexed.append((index, StrengthLevel(**values)))
        levels = [level for _, level in indexed]
        self.unique(doc, "level", [(i, level.label) for i, level in indexed], "label")
        self.unique(doc, "level", [(i, str(level.rank)) for i, level in indexed], "rank")
        labels = [level.label for level in levels]
        for label in RULE_LABELS:
            if levels and label not in labels:
                self.problems.append(
                    doc.problem(f"the derivation rule needs a level labelled '{label}'")
                )
        levels.sort(key=lambda level: level.rank)
        return StrengthScheme(tuple(levels), tuple(hedging or ()), prose)

    def load_entities(self) -> tuple[tuple[str, ...], tuple[Term, ...]]:
        doc = self.read(ENTITIES_FILE)
        kinds: tuple[str, ...] = ()
        if doc is not None:
            kinds = tuple(self.typed(doc, "", 0, "kinds", doc.data.get("kinds"), "texts") or ())
            if "kinds" not in doc.data:
                self.problems.append(doc.problem("missing field 'kinds': list the entity kinds"))
        return kinds, self.load_terms(ENTITIES_FILE, "entity", ENTITY_FIELDS, kinds, doc)

    def load_terms(
        self,
        relative: str,
        table: str,
        spec: dict[str, Field],
        kinds: tuple[str, ...],
        doc: Located | None = None,
    ) -> tuple[Term, ...]:
        doc = doc or self.read(relative)
        if doc is None:
            return ()
        self.unknown_keys(doc, "", 0, doc.data, {table, "kinds"} if kinds else {table})
        terms: list[Term] = []
        ids: list[tuple[int, str]] = []
        rows = self.rows(doc, table)
        self.term_ids[table] = tuple(row["id"] for row in rows if isinstance(row.get("id"), str))
        for index, row in enumerate(rows):
            values = self.fields(doc, table, index, row, spec)
            if values is None:
                continue
            self.slug(doc, table, index, "id", values["id"])
            kind = values.get("kind", "category")
            if kinds:
                self.choice(doc, table, index, "kind", kind, kinds, "entity kind")
            ids.append((index, values["id"]))
            terms.append(
                Term(
                    id=values["id"],
                    label=values["label"],
                    kind=kind,
                    definition=values.get("definition") or "",
                    synonyms=tuple(values.get("synonyms") or ()),
                    abbreviations=tuple(values.get("abbreviations") or ()),
                )
            )
        self.unique(doc, table, ids, "id")
        return tuple(terms)

    # -- topics ----------------------------------------------------------------

    def load_topics(
        self, scheme: StrengthScheme, categories: tuple[Term, ...], entities: tuple[Term, ...]
    ) -> tuple[Topic, ...]:
        topics_dir = self.kb_dir / TOPICS_DIR
        if not topics_dir.is_dir():
            self.problems.append(Problem(self.display(TOPICS_DIR), 1, "folder is missing"))
            return ()
        topics = []
        for folder in sorted(p for p in topics_dir.iterdir() if p.is_dir()):
            if folder.name.startswith("."):  # an import being staged
                continue
            topic = self.load_topic(folder.name, scheme, categories, entities)
            if topic is not None:
                topics.append(topic)
        return tuple(topics)

    def load_topic(
        self,
        slug: str,
        scheme: StrengthScheme,
        categories: tuple[Term, ...],
        entities: tuple[Term, ...],
    ) -> Topic | None:
        base = f"{TOPICS_DIR}/{slug}"
        if not SLUG.match(slug):
            self.problems.append(
                Problem(
                    self.display(base),
                    1,
                    f"topic folder name '{slug}' is not a slug: use lower-case letters, "
                    "digits and single hyphens",
                )
            )
            return None
        meta = self.read(f"{base}/{TOPIC_FILE}")
        values = None
        if meta is not None:
            self.unknown_keys(meta, "", 0, meta.data, set(TOPIC_FIELDS))
            values = self.fields(meta, "", 0, meta.data, TOPIC_FIELDS, check_unknown=False)
            if values is not None:
                self.choice(
                    meta, "", 0, "citation_style", values["citation_style"],
                    tuple(CITATION_STYLES), "citation style",
                )  # fmt: skip
        overview_path = self.kb_dir / base / OVERVIEW_FILE
        overview = overview_path.read_text(encoding="utf-8") if overview_path.is_file() else ""
        source = values["source"] if values else ""
        source_text = self.source_text(slug)  # read once: checked against, then kept
        source_lines = None if source_text is None else split_lines(source_text)
        claims = self.load_claims(slug, source, source_lines, scheme, categories, entities)
        references = self.load_references(slug, claims, claims_ok=slug in self.parsed_claims)
        if values is None:
            return None
        return Topic(
            slug,
            values["title"],
            source,
            values["citation_style"],
            overview,
            claims,
            references,
            source_text=source_text or "",
        )

    def load_claims(
        self,
        slug: str,
        source: str,
        source_lines: list[str] | None,
        scheme: StrengthScheme,
        categories: tuple[Term, ...],
        entities: tuple[Term, ...],
    ) -> tuple[Claim, ...]:
        doc = self.read(f"{TOPICS_DIR}/{slug}/{CLAIMS_FILE}")
        if doc is None:
            return ()
        self.parsed_claims.add(slug)
        self.unknown_keys(doc, "", 0, doc.data, {"claim"})
        category_ids = self.term_ids.get("category", ())
        entity_ids = self.term_ids.get("entity", ())
        claims: list[Claim] = []
        for index, row in enumerate(self.rows(doc, "claim")):
            values = self.fields(doc, "claim", index, row, CLAIM_FIELDS)
            if values is None:
                continue
            self.slug(doc, "claim", index, "id", values["id"])
            self.choice(doc, "claim", index, "section", values["section"], SECTIONS, "section")
            self.choice(
                doc, "claim", index, "strength", values["strength"], scheme.labels, "strength"
            )
            self.choice(
                doc, "claim", index, "strength_method", values["strength_method"],
                STRENGTH_METHODS, "strength method",
            )  # fmt: skip
            for term_id in values["categories"]:
                self.choice(doc, "claim", index, "categories", term_id, category_ids, "category")
            for term_id in values["entities"]:
                self.choice(doc, "claim", index, "entities", term_id, entity_ids, "entity")
            self.check_citations(doc, index, values["citations"])
            self.check_text(doc, index, values["text"])
            self.check_provenance(doc, index, values, source_lines)
            if values["section"] in SECTIONS and values["strength"] in scheme.labels:
                self.check_strength(doc, index, values, scheme)
            self.unique_claim_id(doc, index, values["id"])
            claims.append(
                Claim(
                    id=values["id"],
                    topic=slug,
                    section=values["section"],
                    heading=values.get("heading"),
                    text=values["text"],
                    citations=tuple(values["citations"]),
                    strength=values["strength"],
                    strength_method=values["strength_method"],
                    strength_basis=values["strength_basis"],
                    categories=tuple(values["categories"]),
                    entities=tuple(values["entities"]),
                    source=source,
                    source_line=values["source_line"],
                    position=len(claims) + 1,
                )
            )
        return tuple(claims)

    def unique_claim_id(self, doc: Located, index: int, claim_id: str) -> None:
        here = f"{doc.path}:{doc.line('claim', index, 'id')}"
        if claim_id in self.claim_ids:
            self.problems.append(
                doc.problem(
                    f"duplicate claim id '{claim_id}' "
                    f"(first defined at {self.claim_ids[claim_id]})",
                    "claim",
                    index,
                    "id",
                )
            )
        else:
            self.claim_ids[claim_id] = here

    def check_citations(self, doc: Located, index: int, citations: list[int]) -> None:
        for number in citations:
            if number < 1:
                self.problems.append(
                    doc.problem(
                        f"citation number {number} must be 1 or more", "claim", index, "citations"
                    )
                )
        if len(set(citations)) != len(citations):
            self.problems.append(
                doc.problem("a citation number is listed twice", "claim", index, "citations")
            )

    def check_text(self, doc: Located, index: int, text: str) -> None:
        # A marker left in the text means the numbers were never moved to `citations`.
        if split_marker(text) is not None:
            self.problems.append(
                doc.problem(
                    "text ends in what looks like a citation marker; move the numbers "
                    "to 'citations'",
                    "claim",
                    index,
                    "text",
                )
            )

    def source_text(self, slug: str) -> str | None:
        """The topic's summary as imported; None when the kb keeps no copy."""
        path = self.kb_dir / TOPICS_DIR / slug / SOURCE_COPY
        if not path.is_file():
            return None
        return path.read_text(encoding="utf-8", errors="replace")

    def check_provenance(
        self, doc: Located, index: int, values: dict[str, Any], source: list[str] | None
    ) -> None:
        """The claim's text must stand word for word on its line of the source."""
        if source is None:
            return
        line = values["source_line"]
        if not 1 <= line <= len(source):
            self.problems.append(
                doc.problem(
                    f"source_line {line} is outside {SOURCE_COPY} (1 to {len(source)})",
                    "claim",
                    index,
                    "source_line",
                )
            )
        elif values["text"].rstrip(".") not in source[line - 1]:
            self.problems.append(
                doc.problem(
                    f"text is not on line {line} of {SOURCE_COPY} word for word; "
                    "claim text must be verbatim",
                    "claim",
                    index,
                    "text",
                )
            )

    def check_strength(
        self, doc: Located, index: int, values: dict[str, Any], scheme: StrengthScheme
    ) -> None:
        method, label, basis = (
            values["strength_method"],
            values["strength"],
            values["strength_basis"],
        )
        if method == "stated":
            if label == UNGRADED_LABEL:
                self.problems.append(
                    doc.problem(
                        f"strength '{label}' cannot be stated: use strength_method = \"derived\"",
                        "claim",
                        index,
                        "strength_method",
                    )
                )
            if basis not in values["text"]:
                self.problems.append(
                    doc.problem(
                        "a stated strength_basis must quote the claim's text word for word; "
                        f'"{basis}" is not in it',
                        "claim",
                        index,
                        "strength_basis",
                    )
                )
        elif method == "derived":
            rule = derive_strength(
                values["text"], values["section"], tuple(values["citations"]), scheme.hedging_words
            )
            if label != rule.label:
                self.problems.append(
                    doc.problem(
                        f"derived strength should be '{rule.label}' by the rule in "
                        f"{STRENGTH_PROSE}, not '{label}'",
                        "claim",
                        index,
                        "strength",
                    )
                )
            elif basis != rule.basis:
                self.problems.append(
                    doc.problem(
                        f'derived strength_basis must read "{rule.basis}"',
                        "claim",
                        index,
                        "strength_basis",
                    )
                )

    def load_references(
        self, slug: str, claims: tuple[Claim, ...], claims_ok: bool
    ) -> tuple[Reference, ...]:
        cited = sorted({number for claim in claims for number in claim.citations})
        relative = f"{TOPICS_DIR}/{slug}/{REFERENCES_FILE}"
        described: dict[int, Reference] = {}
        if (self.kb_dir / relative).is_file():
            doc = self.read(relative)
            if doc is not None:
                self.unknown_keys(doc, "", 0, doc.data, {"reference"})
                for index, row in enumerate(self.rows(doc, "reference")):
                    values = self.fields(doc, "reference", index, row, REFERENCE_FIELDS)
                    if values is None:
                        continue
                    number = values["number"]
                    if number in described:
                        self.problems.append(
                            doc.problem(
                                f"reference {number} is listed twice", "reference", index, "number"
                            )
                        )
                    elif claims_ok and number not in cited:
                        self.problems.append(
                            doc.problem(
                                f"reference {number} is not cited by any claim of this topic",
                                "reference",
                                index,
                                "number",
                            )
                        )
                    values["authors"] = tuple(values.get("authors") or ())
                    described[number] = Reference(topic=slug, **values)
        return tuple(described.get(n, Reference(topic=slug, number=n)) for n in cited)
