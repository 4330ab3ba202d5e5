"""A topic folder: topic.toml, overview.md, source.txt, claims.toml, references.toml."""

from __future__ import annotations

from dataclasses import dataclass

from evidencekb.kb.claims import ClaimChecker, ClaimContext
from evidencekb.kb.dates import date_fault
from evidencekb.kb.layouts import readable_lines
from evidencekb.kb.notices import load_notices, mark_claims
from evidencekb.kb.reader import KbReader
from evidencekb.kb.references import load_references
from evidencekb.kb.tables import Field, topic_slug_fault
from evidencekb.kb.tomlfile import Located
from evidencekb.model import StrengthScheme, Topic, TopicChange
from evidencekb.names import CITATION_STYLES, DEFAULT_LAYOUT, LAYOUTS
from evidencekb.paths import (
    CLAIMS_FILE,
    NOTICES_FILE,
    OVERVIEW_FILE,
    REFERENCES_FILE,
    SOURCE_COPY,
    TOPIC_FILE,
    TOPICS_DIR,
)

TOPIC_FIELDS = {
    "title": Field("text"),
    "source": Field("text"),
    "source_format": Field("text", required=False),
    "citation_style": Field("text"),
    "layout": Field("text", required=False),
    "last_reviewed": Field("text", required=False),
    "literature_searched": Field("text", required=False),
}
# The fields of the topic's editorial history, which no import writes (an import keeps
# them from the topic it replaces: kb/replacing.py), and the table of its change log.
HISTORY_FIELDS = ("last_reviewed", "literature_searched")
CHANGE_TABLE = "change"
CHANGE_FIELDS = {
    "date": Field("text"),
    "summary": Field("text"),
    "conclusions_changed": Field("bool"),
}
# What the topic's source is: an evidence summary (the default; kept as source.txt), or
# claims one JSON object a line (`ekb import --format claims-jsonl`), whose claims name
# that file, not a part of a summary, in their strength basis (kb/strength.py).
SUMMARY, JSONL = "summary", "jsonl"
SOURCE_FORMATS = (SUMMARY, JSONL)


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
        slug,
        values["title"],
        source,
        values["citation_style"],
        overview,
        mark_claims(claims or (), references),
        references,
        source_text=source_text or "",
        layout=layout,
        last_reviewed=values.get("last_reviewed"),
        literature_searched=values.get("literature_searched"),
        changes=changes,
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
    reader.unknown_keys(meta, "", 0, meta.data, {*TOPIC_FIELDS, CHANGE_TABLE})
    values = reader.fields(meta, "", 0, meta.data, TOPIC_FIELDS, check_unknown=False)
    if values is not None:
        reader.choice(
            meta, "", 0, "citation_style", values["citation_style"],
            tuple(CITATION_STYLES), "citation style",
        )  # fmt: skip
        if "layout" in values:
            reader.choice(meta, "", 0, "layout", values["layout"], LAYOUTS, "layout")
        for key in ("last_reviewed", "literature_searched"):
            if key in values and (fault := date_fault(values[key])):
                reader.report(meta, f"{key} {fault}", "", 0, key)
                values.pop(key)
        if "source_format" in values:
            reader.choice(
                meta, "", 0, "source_format", values["source_format"], SOURCE_FORMATS,
                "source format",
            )  # fmt: skip
    return values, _change_log(reader, meta)


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
