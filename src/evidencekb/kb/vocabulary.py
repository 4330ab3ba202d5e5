"""vocabulary/categories.toml and vocabulary/entities.toml: the terms claims use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from evidencekb.kb.reader import KbReader
from evidencekb.kb.tables import Field
from evidencekb.kb.tomlfile import Located
from evidencekb.model import Term
from evidencekb.paths import CATEGORIES_FILE, ENTITIES_FILE, FOLDER_PAGE_STEM

# A term's names (label, synonyms, abbreviations) are searched as phrases, each
# added to every query that names the term: a name of thousands of words would make
# each such search take minutes. No clinical term's name comes near the limit.
MAX_NAME_LENGTH = 200
_SEARCHED = ", as search looks each name up as a phrase"
TERM_FIELDS = {
    "id": Field("text"),
    "label": Field("text", longest=MAX_NAME_LENGTH, why_longest=_SEARCHED),
    "definition": Field("text", required=False),
    "synonyms": Field("texts", False, longest=MAX_NAME_LENGTH, why_longest=_SEARCHED),
    "abbreviations": Field("texts", False, longest=MAX_NAME_LENGTH, why_longest=_SEARCHED),
    "broader": Field("texts", required=False),
}
ENTITY_FIELDS = {**TERM_FIELDS, "kind": Field("text")}


@dataclass(frozen=True)
class Vocabulary:
    """The valid terms of one vocabulary, and the ids of all its entries.

    `ids` holds even an entry with other faults, so that a broken entry is
    reported once rather than again at every claim that uses it; it is None when
    the file itself could not be read, so that one unreadable file is one problem,
    not one more at every claim.
    """

    terms: tuple[Term, ...]
    ids: tuple[str, ...] | None


def load_categories(reader: KbReader) -> Vocabulary:
    return _load_terms(reader, reader.read(CATEGORIES_FILE), "category", TERM_FIELDS, None)


def load_entities(reader: KbReader) -> tuple[tuple[str, ...], Vocabulary]:
    """The entity kinds the file declares, and its entities."""
    doc = reader.read(ENTITIES_FILE)
    kinds: tuple[str, ...] | None = None  # None: no telling which kinds are allowed
    if doc is not None:
        declared = reader.typed(doc, "", 0, "kinds", doc.data.get("kinds"), "texts")
        kinds = None if declared is None else tuple(declared)
        if "kinds" not in doc.data:
            reader.report(doc, "missing field 'kinds': list the entity kinds")
    return kinds or (), _load_terms(reader, doc, "entity", ENTITY_FIELDS, kinds)


def _load_terms(
    reader: KbReader,
    doc: Located | None,
    table: str,
    spec: dict[str, Field],
    kinds: tuple[str, ...] | None,
) -> Vocabulary:
    """`kinds`: the kinds an entity may be (an empty list allows none), None when the
    file gives no usable list (its own problem) or its terms have no kind."""
    if doc is None:
        return Vocabulary((), None)
    reader.unknown_keys(doc, "", 0, doc.data, {table, "kinds"} if "kind" in spec else {table})
    terms: list[Term] = []
    ids: list[tuple[int, str]] = []
    rows = reader.rows(doc, table)
    for index, row in enumerate(rows):
        values = reader.fields(doc, table, index, row, spec)
        if values is None:
            continue
        reader.slug(doc, table, index, "id", values["id"])
        if values["id"] == FOLDER_PAGE_STEM:
            reader.report(
                doc,
                f"id '{FOLDER_PAGE_STEM}' is taken: the site's page listing every {table} "
                f"has that name; choose another id",
                table, index, "id",
            )  # fmt: skip
        kind = values.get("kind", "category")
        if kinds is not None:
            reader.choice(doc, table, index, "kind", kind, kinds, "entity kind")
        ids.append((index, values["id"]))
        terms.append(
            Term(
                id=values["id"],
                label=values["label"],
                kind=kind,
                definition=values.get("definition") or "",
                synonyms=tuple(values.get("synonyms") or ()),
                abbreviations=tuple(values.get("abbreviations") or ()),
                broader=tuple(values.get("broader") or ()),
            )
        )
    reader.unique(doc, table, ids, "id")
    names_once(reader, doc, table, ids, terms)
    all_ids = tuple(row["id"] for row in rows if isinstance(row.get("id"), str))
    _check_broader(reader, doc, table, rows, terms, all_ids)
    return Vocabulary(tuple(terms), all_ids)


def names_once(
    reader: KbReader, doc: Located, table: str, ids: list[tuple[int, str]], terms: list[Term]
) -> None:
    """No name of a term is a name of another term of the file: a query naming it
    (`stance:X`, a word search expanded by a term's names) would mean either, and
    search takes the first. Ids, labels and synonyms are matched in any case;
    abbreviations as written among themselves (AD and Ad may name two things), and in
    any case against the others' names, which match in any case."""
    seen: dict[tuple[str, str], tuple[int, str, str]] = {}
    # `ids`: each term's table index with its id, as TableChecker.unique takes them.
    for (index, _), term in zip(ids, terms, strict=True):
        for key, name in _names(term):
            probes, kept = _name_keys(key, name)
            clash = next((seen[p] for p in probes if p in seen and seen[p][0] != index), None)
            if clash is None:
                for entry in kept:
                    seen.setdefault(entry, (index, term.id, key))
                continue
            first_index, first_id, first_key = clash
            if key == first_key == "id":
                continue  # a duplicate id: reported as such (TableChecker.unique)
            line = doc.line(table, first_index, first_key)
            reader.report(
                doc,
                f"{_ONE[key]} '{name}' is also {_A[first_key]} of {table} '{first_id}' "
                f"(line {line}): a name must name one {table}, or a search for it could "
                "mean either",
                table, index, key,
            )  # fmt: skip


# A field of names, as one of its names is spoken of.
_ONE = {"id": "id", "label": "label", "synonyms": "synonym", "abbreviations": "abbreviation"}
_A = {
    "id": "the id",
    "label": "the label",
    "synonyms": "a synonym",
    "abbreviations": "an abbreviation",
}


def _name_keys(key: str, name: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The keys another term's name clashes with this one at, and the keys this name
    takes: an abbreviation as written among abbreviations, and in any case against the
    other names; an id, label or synonym in any case."""
    folded = name.casefold()
    if key == "abbreviations":
        return [("abbr", name), ("name", folded)], [("abbr", name), ("abbr-folded", folded)]
    return [("name", folded), ("abbr-folded", folded)], [("name", folded)]


def _names(term: Term) -> list[tuple[str, str]]:
    """(field, name) of each of a term's names, in the order a file writes them."""
    return [
        ("id", term.id),
        ("label", term.label),
        *(("synonyms", name) for name in term.synonyms),
        *(("abbreviations", name) for name in term.abbreviations),
    ]


def _check_broader(
    reader: KbReader,
    doc: Located,
    table: str,
    rows: list[dict[str, Any]],
    terms: list[Term],
    all_ids: tuple[str, ...],
) -> None:
    """Every `broader` id names another entry of the file, and following `broader`
    from a term never comes back to it."""
    # An id of another type is its row's own problem, already reported.
    index = {row["id"]: i for i, row in enumerate(rows) if isinstance(row.get("id"), str)}
    for term in terms:
        where = (table, index[term.id], "broader")
        for other in term.broader:
            if other == term.id:
                reader.report(doc, f"'{term.id}' cannot be broader than itself", *where)
            elif other not in all_ids:
                message = f"broader: unknown {table} '{other}' (an id of this file's [[{table}]])"
                reader.report(doc, message, *where)
    parents = {term.id: tuple(p for p in term.broader if p != term.id) for term in terms}
    for term in terms:
        cycle = _cycle(term.id, parents)
        if cycle and cycle[0] == min(cycle):  # each cycle reported once
            reader.report(
                doc,
                f"broader goes round in a circle: {' -> '.join([*cycle, cycle[0]])}",
                table, index[term.id], "broader",
            )  # fmt: skip


def _cycle(start: str, parents: dict[str, tuple[str, ...]]) -> list[str]:
    """The terms of a circle through `start` by `broader` (start first), or []."""
    path: list[str] = []

    def visit(node: str, seen: set[str]) -> bool:
        for parent in parents.get(node, ()):
            if parent == start:
                return True
            if parent in seen or parent == node:
                continue
            seen.add(parent)
            path.append(parent)
            if visit(parent, seen):
                return True
            path.pop()
        return False

    return [start, *path] if visit(start, {start}) else []
