"""A topic folder: topic.toml, overview.md, source.txt, claims.toml, references.toml."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from evidencekb.kb.claims import ClaimChecker, ClaimContext
from evidencekb.kb.dates import date_fault
from evidencekb.kb.layouts import readable_lines
from evidencekb.kb.notices import load_notices, mark_claims
from evidencekb.kb.reader import KbReader
from evidencekb.kb.references import load_references
from evidencekb.kb.tables import Field, topic_slug_fault
from evidencekb.kb.tomlfile import Located
from evidencekb.model import StrengthScheme, Topic, TopicChange
from evidencekb.names import DEFAULT_LAYOUT, JSONL, LAYOUTS
from evidencekb.paths import (
    CLAIMS_FILE,
    NOTICES_FILE,
    OVERVIEW_FILE,
    REFERENCES_FILE,
    SOURCE_COPY,
    TOPIC_FILE,
    TOPICS_DIR,
)
from evidencekb.registry import TOPIC_FIELDS

# topic.toml's fields (registry.TOPIC_FIELDS): each a text as the file writes it.
TOPIC_TABLE = {f.name: Field("text", required=f.required) for f in TOPIC_FIELDS}
# The fields no import writes, an editor's (an import keeps them from the topic it
# replaces: kb/replacing.py), and the table of the topic's change log.
HISTORY_FIELDS = tuple(f.name for f in TOPIC_FIELDS if not f.imported)
CHANGE_TABLE = "change"
CHANGE_FIELDS = {
    "date": Field("text"),
    "summary": Field("text"),
    "conclusions_changed": Field("bool"),
}


@dataclass(frozen=True)
class Vocabularies:
    """What every topic is checked against: the scheme and the vocabularies' ids."""

    scheme: StrengthScheme
    category_ids: tuple[str, ...] | None  # None: the vocabulary could not be read
    entity_ids: tuple[str, ...] | None


def load_topic(
    reader: KbReader, claim_checker: ClaimChecker, slug: str, vocabularies: Vocabularies
) -> Topic | None:
    """The topic in kb/topics/<slug>/; None when its folder name or topic.toml is unusable.

    Its claims and references are checked even then, so that one run reports
    every problem.
    """
    base = f"{TOPICS_DIR}/{slug}"
    if fault := topic_slug_fault(slug):
        reader.file_problem(base, f"topic folder name '{slug}' {fault}")
        return None
    values, changes = _topic_values(reader, f"{base}/{TOPIC_FILE}")
    overview = reader.optional_text(f"{base}/{OVERVIEW_FILE}") or ""
    source = values["source"] if values else ""
    # Read once: the claims are checked against it, then it is kept. None: no copy.
    source_path = f"{base}/{SOURCE_COPY}"
    source_text = reader.text(source_path) if reader.present(source_path) else None
    layout = values.get("layout", DEFAULT_LAYOUT) if values else DEFAULT_LAYOUT
    from_jsonl = values is not None and values.get("source_format") == JSONL
    context = ClaimContext(
        slug,
        source,
        source if from_jsonl else None,
        _source_lines(source_text, layout),
        vocabularies.scheme,
        vocabularies.category_ids,
        vocabularies.entity_ids,
    )
    claims = claim_checker.load(f"{base}/{CLAIMS_FILE}", context)
    references = load_references(reader, f"{base}/{REFERENCES_FILE}", slug, claims)
    references = load_notices(reader, f"{base}/{NOTICES_FILE}", references)
    if values is None:
        return None
    return Topic(
        slug=slug,
        overview_md=overview,
        claims=mark_claims(claims or (), references),
        references=references,
        source_text=source_text or "",
        changes=changes,
        **values,  # its fields (registry.TOPIC_FIELDS); one not given takes Topic's default
    )


def _source_lines(source_text: str | None, layout: str) -> list[str] | None:
    """The kept summary's lines as its claims are checked against them; None when
    there is none, or no telling how to read it (topic.toml's problem says why)."""
    if source_text is None or layout not in LAYOUTS:
        return None
    return readable_lines(source_text, layout)


def _topic_values(
    reader: KbReader, relative: str
) -> tuple[dict[str, str] | None, tuple[TopicChange, ...]]:
    meta = reader.read(relative)
    if meta is None:
        return None, ()
    reader.unknown_keys(meta, "", 0, meta.data, {*TOPIC_TABLE, CHANGE_TABLE})
    values = reader.fields(meta, "", 0, meta.data, TOPIC_TABLE, check_unknown=False)
    if values is not None:
        _check_kinds(reader, meta, values)
    return values, _change_log(reader, meta)


def _check_kinds(reader: KbReader, meta: Located, values: dict[str, Any]) -> None:
    """Report each value that is not of its field's kind (a choice, a date); a date
    that is not one is left out."""
    for field in TOPIC_FIELDS:
        if field.name not in values:
            continue
        if field.kind == "choice":
            reader.choice(meta, "", 0, field.name, values[field.name], field.choices, field.what)
        elif field.kind == "date" and (fault := date_fault(values[field.name])):
            reader.report(meta, f"{field.name} {fault}", "", 0, field.name)
            values.pop(field.name)


def _change_log(reader: KbReader, meta: Located) -> tuple[TopicChange, ...]:
    """The topic's [[change]] entries, newest first (in the file's order on one day)."""
    changes = []
    for index, row in enumerate(reader.rows(meta, CHANGE_TABLE)):
        values = reader.fields(meta, CHANGE_TABLE, index, row, CHANGE_FIELDS)
        if values is None:
            continue
        if fault := date_fault(values["date"]):
            reader.report(meta, f"date {fault}", CHANGE_TABLE, index, "date")
            continue
        changes.append(
            TopicChange(values["date"], values["summary"], values["conclusions_changed"])
        )
    return tuple(sorted(changes, key=lambda change: change.date, reverse=True))
