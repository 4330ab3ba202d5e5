"""`ekb export`: the knowledge base as JSON, CSV or the summary's own text; its
references as CSL-JSON, RIS or BibTeX, or all of it as FHIR (refexport.py).

The text format writes a topic back as its source summary was, in its own layout
(plain text, Markdown or the article layout): the kept summary, each statement
citing its claim's numbers in the spelling the summary used, so that importing
and exporting round-trips the summary.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

import orjson

from evidencekb.errors import KBError
from evidencekb.kb.citations import rewrite_marker, with_marker
from evidencekb.kb.refexport import bibtex, csl_json, described, fhir_bundle, ris
from evidencekb.kb.reflist import list_heading
from evidencekb.kb.summary import Statement, statements_as_written
from evidencekb.model import CLAIM_EXPORT_KEYS, Claim, KnowledgeBase, Topic
from evidencekb.names import SECTION_TITLES, SECTIONS
from evidencekb.verdict import claim_json, verdict

T = TypeVar("T")

FORMATS = ("json", "csv", "text", "csl-json", "ris", "bibtex", "fhir")
# The references alone, for reference managers (refexport.py).
_REFERENCE_FORMATS: dict[str, Callable[[tuple[Topic, ...]], str]] = {
    "csl-json": csl_json,
    "ris": ris,
    "bibtex": bibtex,
}
# List-valued fields join with "; " in CSV, which a spreadsheet keeps in one cell.
_CSV_LIST_SEPARATOR = "; "


def export(kb: KnowledgeBase, fmt: str, topic: str | None = None) -> str:
    """Render the claims of `kb` (or of one topic) in `fmt`."""
    topics = select_topics(kb, topic)
    if fmt == "json":
        return claims_json(kb, [claim for t in topics for claim in t.claims])
    if fmt == "csv":
        return claims_csv(kb, [claim for t in topics for claim in t.claims])
    if fmt == "text":
        return "\n".join(summary_text(t) for t in topics)
    if fmt in _REFERENCE_FORMATS:
        return _REFERENCE_FORMATS[fmt](topics)
    if fmt == "fhir":
        return fhir_bundle(kb, topics)
    raise KBError(f"unknown export format '{fmt}'; allowed: {', '.join(FORMATS)}")


def nothing_to_export(kb: KnowledgeBase, fmt: str, topic: str | None = None) -> str | None:
    """Why an export for reference managers is empty, when it is: no reference is known
    beyond its number (as the seed gives them), and a number alone is no record."""
    topics = select_topics(kb, topic)
    if fmt not in _REFERENCE_FORMATS or described(topics):
        return None
    scope = f"of topic {topic}" if topic else "in the knowledge base"
    return (
        f"no reference {scope} is known beyond its number, so the {fmt} export holds "
        "none; `ekb refs import` adds what a reference manager knows of them"
    )


def select_topics(kb: KnowledgeBase, slug: str | None) -> tuple[Topic, ...]:
    if slug is None:
        return kb.topics
    try:
        return (kb.topic(slug),)
    except KeyError:
        known = ", ".join(t.slug for t in kb.topics) or "(none)"
        raise KBError(f"no topic '{slug}'; topics: {known}") from None


def claims_json(kb: KnowledgeBase, claims: Sequence[Claim]) -> str:
    """The JSON claim list, each claim with its evidence summary (verdict.py), as
    json.dumps writes it with a final line break; the same bytes for the same claims."""
    return "".join(json_list([claims_run(kb, claims)] if claims else []))


# How json.dumps (indent=2) opens and closes a list that has items.
_OPEN, _CLOSE = "[\n", "\n]"
_SEPARATOR = ",\n"  # between two runs' items, as between two items


def claims_run(kb: KnowledgeBase, claims: Sequence[Claim]) -> str:
    """The text of `claims` (one or more) inside `claims_json`'s list: json.dumps's
    own, its brackets taken off, so that runs joined by `json_list` read as one list
    (the build writes the export a topic's run at a time, database/export.py)."""
    items = [claim_json(kb, c) for c in claims]
    return indented_json(items)[len(_OPEN) : -len(_CLOSE)]


def indented_json(value: object) -> str:
    """`json.dumps(value, indent=2, ensure_ascii=False)`, to the character (tested
    against it, tests/kb/test_indented_json.py), written by orjson: the standard
    library's encoder has no C version that indents, and the whole export of the large
    benchmark kb took it six seconds of a full build's CPU. For JSON's own values:
    strings, integers of at most 64 bits, booleans, None, and lists, tuples and dicts
    with string keys of them (a claim's JSON is nothing else)."""
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode("utf-8")


def json_list(runs: Iterable[T]) -> Iterator[str | T]:
    """The pieces of `claims_json`'s text, in order: the list's opening, each run (of
    `claims_run`, or something standing for one) with separators between, and the
    closing with the final line break; a list of no runs as json.dumps writes it."""
    opened = False
    for run in runs:
        yield _SEPARATOR if opened else _OPEN
        opened = True
        yield run
    yield f"{_CLOSE}\n" if opened else f"{json.dumps([])}\n"


def claims_csv(kb: KnowledgeBase, claims: list[Claim] | tuple[Claim, ...]) -> str:
    """One row a claim, its cells in `CSV_COLUMNS`' order: the header and every row
    come from those names, so a column is never written empty for want of its value."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(_csv_cells(kb, c) for c in claims)
    return buffer.getvalue()


def _csv_cells(kb: KnowledgeBase, claim: Claim) -> list[str]:
    row = _csv_row(kb, claim)
    cells = [_csv_cell(row.pop(name)) for name in CSV_COLUMNS]
    if row:  # a key the export gained and the columns did not: never dropped unsaid
        raise KeyError(f"the CSV export has no column for {', '.join(row)}")
    return cells


def _csv_cell(value: object) -> str:
    if isinstance(value, list):
        return _inert(_CSV_LIST_SEPARATOR.join(str(v) for v in value))
    return _inert("" if value is None else str(value))


# A cell a spreadsheet would run as a formula starts with one of these (OWASP, "CSV
# Injection"): such a cell gets a leading apostrophe, which spreadsheets show as text.
# Looked for also after leading spaces, however many (Google Sheets trims them), and
# in the compatibility forms NFKC folds to these (a full-width equals or plus sign,
# U+FF1D, U+FF0B; the ideographic space), which East Asian spreadsheets read as the
# ASCII ones.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _inert(cell: str) -> str:
    # The leading white space and the character after it: what a spreadsheet reads first.
    lead = len(cell) - len(cell.lstrip())
    shown = unicodedata.normalize("NFKC", cell[: lead + 1]).lstrip(" \u00a0")
    return (
        f"'{cell}"
        if cell.startswith(_FORMULA_STARTS) or shown.startswith(_FORMULA_STARTS)
        else cell
    )


# One row a claim has no room for quotations: the CSV gives each citation's stance, in
# the citations' order (`stances`, where the JSON has `evidence`); JSON has the
# quotations and the summary as data. The evidence summary's line and whether a reader
# must not miss it come right after the id, before the claim's words, so that a
# contradicted claim never reads as fact first. Every other column is a key of the
# claim's export (model.CLAIM_EXPORT_KEYS), in its order.
CSV_COLUMNS: tuple[str, ...] = (
    "id",
    "verdict",
    "warning",
    *("stances" if key == "evidence" else key for key in CLAIM_EXPORT_KEYS if key != "id"),
)


def _csv_row(kb: KnowledgeBase, claim: Claim) -> dict[str, object]:
    row = claim.to_dict()
    del row["evidence"]
    summary = verdict(claim, kb.stances, kb.strength)
    row["verdict"] = summary.text
    row["warning"] = _csv_bool(summary.warning)
    row["stances"] = [e.stance for e in claim.citation_evidence]
    row["contested"] = _csv_bool(claim.contested)
    # Each marked cited work as "2: Retracted" (the JSON export has the notices whole).
    row["notices"] = [f"{n.citation}: {n.to_dict()['label']}" for n in claim.notices]
    return row


def _csv_bool(value: bool) -> str:
    return "true" if value else "false"


def summary_text(topic: Topic) -> str:
    """The topic written back in its source's layout (plain text, Markdown, article):
    the kept summary around its claims, each statement's marker citing the claim's
    numbers in the summary's own spelling, a statement no claim holds left out. A
    topic that keeps no summary is written as a plain one."""
    if not topic.source_text:
        return _plain_summary(topic)
    lines = _LINE_BREAK.split(topic.source_text)  # each line with its own break
    on_line: dict[int, list[Claim]] = defaultdict(list)
    for claim in topic.claims:
        on_line[claim.source_line].append(claim)
    blocks: dict[tuple[int, int], list[Statement]] = defaultdict(list)
    for statement in statements_as_written(topic.source_text, topic.layout):
        blocks[statement.line, statement.last or statement.line].append(statement)
    for (first, last), statements in blocks.items():
        _write_block(lines, first, last, statements, on_line[first], topic.citation_style)
    return "".join(lines)


def _write_block(
    lines: list[str],
    first: int,
    last: int,
    statements: list[Statement],
    claims: list[Claim],
    style: str,
) -> None:
    """One paragraph or item of the summary as the claims on its line have it."""
    holders = _claims_of(statements, claims)
    if not any(holders):
        lines[first - 1 : last] = [""] * (last + 1 - first)
        return
    for statement, holder in zip(statements, holders, strict=True):
        if holder is None:
            _replace(lines, first, last, statement.written, "")
        elif holder.citations != statement.citations:
            cited = rewrite_marker(statement.written, holder.citations, style)
            if not _replace(lines, first, last, statement.written, cited):
                lines[last - 1] = _cited(lines[last - 1], holder.citations, style)


# A line and its line break, as `split_lines` counts lines (LF, CRLF or CR).
_LINE_BREAK = re.compile(r"(?<=\r\n)|(?<=\n)|(?<=\r)(?!\n)")


def _claims_of(statements: list[Statement], claims: list[Claim]) -> list[Claim | None]:
    """The claim holding each statement of a block: one whose text it is (a curator may
    have shortened the text); None for a statement no claim holds."""
    left = list(claims)
    found: list[Claim | None] = []
    for statement in statements:
        claim = next((c for c in left if c.text.rstrip(".") in statement.text), None)
        if claim is not None:
            left.remove(claim)
        found.append(claim)
    return found


def _replace(lines: list[str], first: int, last: int, old: str, new: str) -> bool:
    """Write `new` for the statement `old` where it stands in lines `first` to `last`;
    False where the layout's markup keeps it from being found as written (Markdown)."""
    for index in range(last - 1, first - 2, -1):
        line = lines[index]
        if old in line:
            if not new and old + " " in line:  # a statement left out takes its blank along
                old += " "
            at = line.rindex(old)
            lines[index] = line[:at] + new + line[at + len(old) :]
            return True
    return False


def _cited(line: str, citations: tuple[int, ...], style: str) -> str:
    """A line of the summary ending in `citations`, its line break kept."""
    body = line.rstrip("\r\n")
    return rewrite_marker(body.rstrip(), citations, style) + line[len(body) :]


def _plain_summary(topic: Topic) -> str:
    """The topic as a plain summary: part headings, headings, bullets."""
    lines: list[str] = []
    for section in SECTIONS:
        claims = [c for c in topic.claims if c.section == section]
        if not claims:
            continue
        lines.append(SECTION_TITLES[section])
        heading: str | None = None
        for claim in claims:
            if claim.heading != heading:
                heading = claim.heading
                if heading is not None:
                    lines.append(heading)
            statement = with_marker(claim.text, claim.citations, topic.citation_style)
            lines.append(statement if claim.heading is None else f"- {statement}")
    listed = [reference.citation_text for reference in topic.references if reference.citation_text]
    if listed:
        lines += [list_heading(topic.source_text), *listed]
    return "\n".join(lines) + "\n"
