"""Issue 18, one declaration per field: a claim field is declared once
(registry.CLAIM_FIELDS) and every surface takes it from there. The registry cannot
gain a field at test time without patching our own internals, so these tests hold
each surface's list of fields to the registry's, refuse the declarations the rest
could not carry, and follow the existing optional fields `added` and `changed`
through every surface of a real kb (the repository's seed, a copy).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from evidencekb import registry
from evidencekb.database import write_database
from evidencekb.kb.exporter import CSV_COLUMNS, claims_csv
from evidencekb.kb.load import load_kb
from evidencekb.kb.show import claim_details, fact_lines
from evidencekb.model import CLAIM_EXPORT_KEYS, Claim, Reference, Topic
from evidencekb.registry import (
    ALLOWED_SOURCES,
    CLAIM_FIELDS,
    QUERY_FIELDS,
    REFERENCE_FIELD_NAMES,
    REFERENCE_TYPES,
    RESERVED_CLAIM_NAMES,
    RESERVED_LIST_NAMES,
    RESERVED_QUERY_NAMES,
    RESERVED_REFERENCE_NAMES,
    RESERVED_TOPIC_NAMES,
    TOPIC_FIELDS,
    Choice,
    ClaimField,
    Interchange,
    QueryField,
    ReferenceField,
    TopicField,
    allowed_values,
    claim_facts,
    claim_values,
    named_in,
    unique_names,
)
from evidencekb.verdict import claim_json
from fixtures import ekb_here, sample_kb

NAMES = [f.name for f in CLAIM_FIELDS]
SEED_CLAIMS = "topics/ketamine-pain/claims.toml"
FIRST_LINE = "source_line = 2\n"  # the seed's first claim's last line
# The fields the claim page and `ekb show` show each in a way of its own: declared with
# no label, so that the generic list does not show them twice.
SHOWN_THEIR_OWN_WAY = frozenset(
    {"id", "section", "heading", "text", "citations", "strength", "strength_method"}
    | {"strength_basis", "categories", "entities", "source_line", "added", "changed"}
)


@pytest.mark.parametrize(
    "name", ["warning", "verdict", "contested", "topic", "position", "stances", "rowid"]
)
def test_a_name_the_database_or_an_export_uses_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="RESERVED_CLAIM_NAMES"):
        ClaimField(name, "int", "A clash.", required=False)


@pytest.mark.parametrize("name", ["sample size", "sample-size", "Population", "n2", "_n", "a__b"])
def test_a_name_the_query_language_cannot_read_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="lower-case ASCII letters"):
        ClaimField(name, "text", "Unreadable.", required=False)
    with pytest.raises(ValueError, match="lower-case ASCII letters"):
        QueryField(name, "number", "a number", f"{name}:1", lambda c, w: (str(c.source_line),))


def test_a_kind_outside_the_list_is_refused() -> None:
    with pytest.raises(ValueError, match="kind 'when'"):
        ClaimField("reviewed", "when", "When it was reviewed.", required=False)
    ClaimField("sample_size", "int", "How many took part.", required=False, least=1)


def test_the_model_holds_the_fields_in_the_registrys_order() -> None:
    """A claims.toml field is a Claim attribute (the one place besides the registry a
    new field needs); every other attribute is a reserved name."""
    attributes = [f.name for f in dataclasses.fields(Claim)]
    assert [name for name in attributes if name in NAMES] == NAMES
    public = {name for name in dir(Claim) if not name.startswith("_")} | set(attributes)
    assert public - set(NAMES) <= RESERVED_CLAIM_NAMES


def _surfaces(tmp_path: Path, kb_dir: Path) -> dict[str, set[str]]:
    """The names each surface gives a claim of the seed."""
    kb = load_kb(kb_dir)
    claim = kb.claims[0]
    database = tmp_path / "evidencekb.db"
    write_database(kb, database)
    with sqlite3.connect(database) as db:
        columns = {row[1] for row in db.execute("pragma table_info(claims)")}
        tables = {row[0] for row in db.execute("select name from sqlite_master")}
    found = ekb_here("search", "--kb", str(kb_dir), "--site-dir", str(tmp_path / "site"),
                     "--json", f"id:{claim.id}")  # fmt: skip
    assert found.exit_code == 0, found.output
    (hit,) = json.loads(found.stdout)
    return {
        "database": columns | {f.name for f in CLAIM_FIELDS if f.is_list and f.table in tables},
        "json": set(claim_json(kb, claim)),
        "csv": set(CSV_COLUMNS),
        "show --json": set(claim_details(kb, claim)),
        "search --json": set(hit),
    }


def test_every_surface_has_every_field_and_only_reserved_names_besides(
    tmp_path: Path, kb_dir: Path
) -> None:
    """The names the database and the exports add of their own are read from them
    here, so that a new one must be reserved before a claim field can clash with it."""
    for surface, names in _surfaces(tmp_path, kb_dir).items():
        assert set(NAMES) <= names, surface
        assert names - set(NAMES) <= RESERVED_CLAIM_NAMES, surface


def test_a_list_field_never_takes_a_table_the_database_has(tmp_path: Path) -> None:
    """A list's values are the table claim_NAME (ClaimField.table): the database's own
    tables and views of that form, read from a built one, are reserved names."""
    database = tmp_path / "evidencekb.db"
    write_database(sample_kb(), database)
    with sqlite3.connect(database) as db:
        names = {row[0] for row in db.execute("select name from sqlite_master")}
    lists = {f.table for f in CLAIM_FIELDS if f.is_list}
    theirs = {name.removeprefix("claim_") for name in names - lists if name.startswith("claim_")}
    assert theirs and theirs <= RESERVED_CLAIM_NAMES | RESERVED_LIST_NAMES
    for name in RESERVED_LIST_NAMES:
        with pytest.raises(ValueError, match="RESERVED_LIST_NAMES"):
            ClaimField(name, "texts", "A clash.", required=False)
        ClaimField(name, "text", "One value: a column of claims, no table.", required=False)


def test_a_topic_field_the_rest_cannot_carry_is_refused() -> None:
    with pytest.raises(ValueError, match="lower-case ASCII letters"):
        TopicField("Language", "text", "Unreadable.", required=False)
    with pytest.raises(ValueError, match="kind 'url'"):
        TopicField("homepage", "url", "Where it is published.", required=False)
    for choices, what in (((), ""), (("clinicians",), "")):
        with pytest.raises(ValueError, match="a choice, and only a choice"):
            TopicField("audience", "choice", "Who it is for.", choices=choices, what=what)
    with pytest.raises(ValueError, match="a choice, and only a choice"):
        TopicField("audience", "text", "Who it is for.", choices=("clinicians",), what="reader")


def test_only_a_text_or_a_choice_is_held_as_one_value_by_a_format() -> None:
    with pytest.raises(ValueError, match="only a text, choice, choices"):
        ReferenceField("pages_total", "int", "Pages", "How many.", formats=Interchange(csl="x"))
    ReferenceField("publisher", "text", "Publisher", "Its publisher.", formats=Interchange("a"))
    assert {name for f, name in named_in("medline")} == {"PT", "VI", "IP", "PMID", "PMC"}
    assert [(f.name, name) for f, name in named_in("fhir")] == [("design", "publication-type")]


def test_a_format_name_the_readers_and_writers_cannot_carry_is_refused() -> None:
    language = (Choice("en", "English", ("eng",)),)
    with pytest.raises(ValueError, match="fhir 'language' is not a code"):
        ReferenceField("language", "choice", "Language", "Its language.", language,
                       formats=Interchange(fhir="language"))  # fmt: skip
    with pytest.raises(ValueError, match="'English; American' holds ';'"):
        ReferenceField("language", "choice", "Language", "Its language.",
                       (Choice("en", "English; American"),),
                       formats=Interchange(csl="language"))  # fmt: skip


def _names_beside(model: type, table: str, folder: Path) -> set[str]:
    """What `model` has (attributes, properties, methods) and the database's `table`
    holds (columns), read from them: a built database of the sample kb in `folder`."""
    database = folder / "evidencekb.db"
    write_database(sample_kb(), database)
    with sqlite3.connect(database) as db:
        columns = {row[1] for row in db.execute(f"pragma table_info({table})")}
    attributes = {f.name for f in dataclasses.fields(model)}
    return columns | attributes | {name for name in dir(model) if not name.startswith("_")}


def test_a_name_a_cited_work_has_besides_its_fields_is_reserved(tmp_path: Path) -> None:
    """Read from the model and the database's cited_works table."""
    names = _names_beside(Reference, "cited_works", tmp_path)
    assert names - set(REFERENCE_FIELD_NAMES) == RESERVED_REFERENCE_NAMES
    for name in RESERVED_REFERENCE_NAMES:
        with pytest.raises(ValueError, match="RESERVED_REFERENCE_NAMES"):
            ReferenceField(name, "text", "A clash", "A clash.")


def test_a_reference_field_of_no_kind_or_a_choice_of_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="kind 'date'"):
        ReferenceField("accessed", "date", "Accessed", "When it was read.")
    with pytest.raises(ValueError, match="a choice, and only a choice"):
        ReferenceField("status", "choice", "Status", "Its status.")
    with pytest.raises(ValueError, match="a choice, and only a choice"):
        ReferenceField("status", "text", "Status", "Its status.", choices=REFERENCE_TYPES)


def test_a_name_the_index_holds_of_its_own_is_no_query_fields() -> None:
    from evidencekb.search.index import schema

    own = set(schema().names()) - {f.name for f in QUERY_FIELDS}
    assert own == RESERVED_QUERY_NAMES
    for name in RESERVED_QUERY_NAMES:
        with pytest.raises(ValueError, match="RESERVED_QUERY_NAMES"):
            QueryField(name, "number", "a number", f"{name}:1", claim_values("source_line"))


@pytest.mark.parametrize(
    ("rule", "allowed", "fault"),
    [
        ("exact", "", "the exact rule matches the claim's id alone"),
        ("choice", "", "names where its allowed values come from"),
        ("term", "", "names where its allowed values come from"),
        ("name", "entities", "names where its allowed values come from"),
        ("term", "outcomes", "allowed 'outcomes' is not one of sections, strength"),
    ],
)
def test_a_query_field_its_rule_cannot_read_is_refused(rule: str, allowed: str, fault: str) -> None:
    with pytest.raises(ValueError, match=fault):
        QueryField("note", rule, "a note", "note:x", claim_values("text"), allowed=allowed)


@pytest.mark.parametrize(
    ("rule", "allowed", "on_works"),
    [("term", "entities", False), ("name", "", False), ("choice", "design", True)],
)
def test_only_a_choice_of_the_claims_own_is_coded(rule: str, allowed: str, on_works: bool) -> None:
    """One character a claim holds one value: a term, a name or the cited works' values
    may be many, and a coded field's codes would not say which."""
    with pytest.raises(ValueError, match="only a choice of the claim's own is coded"):
        QueryField("note", rule, "a note", "note:x", claim_values("text"), allowed=allowed,
                   on_works=on_works, coded=True)  # fmt: skip


def test_the_sources_of_allowed_values_are_the_registrys_list() -> None:
    kb = sample_kb()
    values = allowed_values(kb)
    assert {f.allowed for f in QUERY_FIELDS if f.allowed} <= set(ALLOWED_SOURCES)
    assert set(values) == {f.name for f in QUERY_FIELDS if f.allowed}
    assert tuple(registry._ALLOWED) == ALLOWED_SOURCES  # each source is one that is read


def test_a_name_declared_twice_is_refused() -> None:
    fields = (ClaimField("note", "text", "One.", required=False),) * 2
    with pytest.raises(ValueError, match="claim field 'note' is declared twice"):
        unique_names("claim field", fields)
    unique_names("claim field", CLAIM_FIELDS)


def test_least_is_a_whole_numbers_and_holds_each_of_a_list() -> None:
    from evidencekb.kb.tables import Field

    with pytest.raises(ValueError, match="only whole numbers have a least"):
        ClaimField("note", "text", "A note.", required=False, least=1)
    assert Field("ints", least=1).bound_fault([2, 0]) == "holds 0; each must be 1 or more"
    assert Field("ints", least=1).bound_fault([2, 4]) is None


def test_every_topic_field_is_an_attribute_of_the_model() -> None:
    assert {f.name for f in TOPIC_FIELDS} <= {f.name for f in dataclasses.fields(Topic)}


def test_a_name_a_topic_has_besides_its_fields_is_reserved(tmp_path: Path) -> None:
    """Read from the model, the database's topics table and topic.toml's tables, so
    that a new one must be reserved before a topic field can clash with it."""
    from evidencekb.kb.topic import CHANGE_TABLE

    names = _names_beside(Topic, "topics", tmp_path) | {CHANGE_TABLE}
    assert names - {f.name for f in TOPIC_FIELDS} == RESERVED_TOPIC_NAMES
    for name in RESERVED_TOPIC_NAMES:
        with pytest.raises(ValueError, match="RESERVED_TOPIC_NAMES"):
            TopicField(name, "text", "A clash.", required=False)


def test_the_export_keys_are_the_models_fields() -> None:
    claim = sample_kb().claims[0]
    assert tuple(claim.to_dict()) == CLAIM_EXPORT_KEYS
    assert set(NAMES) <= set(CLAIM_EXPORT_KEYS)


def _dated(kb_dir: Path, added: str, changed: str) -> None:
    path = kb_dir / SEED_CLAIMS
    text = path.read_text("utf-8")
    dates = f'added = "{added}"\nchanged = "{changed}"\n'
    path.write_text(text.replace(FIRST_LINE, FIRST_LINE + dates, 1), "utf-8")


def test_an_optional_field_reaches_every_surface(tmp_path: Path, kb_dir: Path) -> None:
    """`added` and `changed`, end to end: checked, then in the export's JSON and CSV,
    the database, `ekb show --json` and `ekb search --json`, and found by `changed:`."""
    _dated(kb_dir, "2026-11-23", "2026-12-05")
    kb = load_kb(kb_dir)  # `ekb check` passes
    claim = kb.claims[0]
    assert (claim.added, claim.changed) == ("2026-11-23", "2026-12-05")
    want = {"added": "2026-11-23", "changed": "2026-12-05"}
    exported = json.loads(ekb_here("export", "--kb", str(kb_dir), "--format", "json").stdout)
    assert {k: exported[0][k] for k in want} == want
    (row, *_) = csv.DictReader(io.StringIO(claims_csv(kb, kb.claims), newline=""))
    assert {k: row[k] for k in want} == want
    shown = json.loads(ekb_here("show", "--kb", str(kb_dir), claim.id, "--json").stdout)
    assert {k: shown[k] for k in want} == want
    database = tmp_path / "evidencekb.db"
    write_database(kb, database)
    with sqlite3.connect(database) as db:
        stored = db.execute("select added, changed from claims where id = ?", (claim.id,))
        assert stored.fetchone() == ("2026-11-23", "2026-12-05")
    args = ["--kb", str(kb_dir), "--site-dir", str(tmp_path / "site"), "--json"]
    found = json.loads(ekb_here("search", *args, "changed:2026-12-05").stdout)
    assert [(hit["id"], hit["changed"]) for hit in found] == [(claim.id, "2026-12-05")]


@pytest.mark.parametrize("field", [f.name for f in CLAIM_FIELDS if f.kind == "date"])
def test_every_date_field_is_held_to_one_rule(kb_dir: Path, field: str) -> None:
    """A field declared of kind "date" is checked as a date, whatever its name: one
    line with the file and line, what is wrong and what is allowed."""
    dates = {"added": "2026-11-23", "changed": "2026-12-05", field: "yesterday"}
    _dated(kb_dir, dates["added"], dates["changed"])
    result = ekb_here("check", "--kb", str(kb_dir))
    assert result.exit_code == 1
    line = 16 if field == "added" else 17
    assert (
        f"{SEED_CLAIMS}:{line}: {field} 'yesterday' must be a date written "
        '"YYYY-MM-DD", like "2026-12-05"'
    ) in result.output


def test_a_labelled_field_is_shown_once_by_ekb_show(kb_dir: Path) -> None:
    """A field declared with a label is listed, label and value, by `ekb show`; today's
    fields have none (each is shown in its own way), so nothing is shown twice."""
    _dated(kb_dir, "2026-11-23", "2026-12-05")
    kb = load_kb(kb_dir)
    claim = kb.claims[0]
    assert [f.name for f in CLAIM_FIELDS if f.label and f.name in SHOWN_THEIR_OWN_WAY] == []
    assert claim_facts(claim) == ()  # nothing listed twice in claim_text
    labelled = ClaimField("changed", "date", "When its meaning changed.", False, label="Reviewed")
    sizes = ClaimField("citations", "ints", "What it cites.", label="Cited as numbers")
    facts = claim_facts(claim, (labelled, sizes))
    lines = [line for fact in facts for line in fact_lines(fact, 88)]
    assert lines == ["Reviewed:    2026-12-05", "Cited as numbers: 1"]
    assert claim_facts(replace(claim, changed=None), (labelled,)) == ()


def test_a_query_field_of_words_or_exact_values_is_one_the_index_holds() -> None:
    """A field of the "text" or "exact" rule is matched against the index's field of
    that name. A text field besides the claim's text and heading is one of the index
    (search/fields.py NAMED_TEXT_FIELDS, tests/test_field_recipe.py); an "exact" field
    the index does not hold (one value as written: only `id` is) would match nothing,
    silently: this says so when it is declared."""
    from evidencekb.search.index import schema

    held = set(schema().names())
    for field in QUERY_FIELDS:
        if field.rule in ("text", "exact"):
            assert field.name in held, f"{field.name}: no field of the index holds it"
