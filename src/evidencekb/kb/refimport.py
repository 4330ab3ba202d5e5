"""`ekb refs import`: fill a topic's references.toml from a reference manager's file.

Records (refmanager.py) match the topic's citation numbers by the number a
record names, or else in order. The result is a list of changes: a field the
topic lacks is added; a field that differs is kept as it is unless `replace`
is given, and reported either way, so that nothing an editor wrote is lost
without being asked for. Every imported value must pass its field's rule
(bibliography.py) before anything is written, and the topic folder is
replaced all at once, so `ekb check` passes afterwards exactly as before.
"""

from __future__ import annotations

import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evidencekb.atomic import staged_dir
from evidencekb.errors import KBError
from evidencekb.identifiers import doi_key
from evidencekb.kb.bibliography import choice_problems, record_problems
from evidencekb.kb.load import load_kb
from evidencekb.kb.refmanager import Record, read_records
from evidencekb.kb.tomlfile import format_table
from evidencekb.paths import REFERENCES_FILE, TOPICS_DIR
from evidencekb.registry import REFERENCE_FIELD_NAMES


@dataclass(frozen=True)
class Change:
    number: int
    field: str
    old: Any  # None: the reference lacks the field
    new: Any
    applied: bool  # False: the values differ and the old one is kept

    def describe(self) -> str:
        if self.old is None:
            return f"reference {self.number}: add {self.field} = {_show(self.new)}"
        verb = "replace" if self.applied else "keep (differs; --replace to take it)"
        return (
            f"reference {self.number}: {verb} {self.field} {_show(self.old)} -> {_show(self.new)}"
        )


@dataclass(frozen=True)
class RefsImportResult:
    references_file: Path
    changes: tuple[Change, ...]
    written: bool


def import_references(
    kb_dir: Path, source: Path, slug: str, replace: bool = False, dry_run: bool = False
) -> RefsImportResult:
    """Match the records of `source` to topic `slug`'s references and write them in."""
    kb = load_kb(kb_dir)  # a kb that does not pass `ekb check` is not changed
    try:
        numbers = [reference.number for reference in kb.topic(slug).references]
    except KeyError:
        known = ", ".join(t.slug for t in kb.topics) or "(none)"
        raise KBError(f"no topic '{slug}'; topics: {known}") from None
    records = read_records(source)
    matched = match_records(records, numbers, source)
    _check_values(matched, source)
    topic_dir = kb_dir / TOPICS_DIR / slug
    path = topic_dir / REFERENCES_FILE
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    rows = {row["number"]: row for row in tomllib.loads(text).get("reference", [])}
    changes = [
        change
        for number, record in matched
        for change in _merge(rows.setdefault(number, {"number": number}), record, replace)
    ]
    written = not dry_run and any(change.applied for change in changes)
    if written:
        with staged_dir(topic_dir) as staged:
            shutil.copytree(topic_dir, staged, dirs_exist_ok=True)
            (staged / REFERENCES_FILE).write_text(
                _references_toml(text, rows, numbers), encoding="utf-8"
            )
    return RefsImportResult(path, tuple(changes), written)


def match_records(
    records: tuple[Record, ...], numbers: list[int], source: Path
) -> list[tuple[int, Record]]:
    """(citation number, record) pairs: by the number each record names, or in order."""
    named = [record for record in records if record.number is not None]
    if not named:
        if len(records) != len(numbers):
            raise KBError(
                f"{source}: {len(records)} records, but the topic cites {len(numbers)} "
                "numbers; to match records by order give one record per number, or give "
                "each record its number (CSL-JSON citation-number, a RIS ID or BibTeX key)"
            )
        return list(zip(numbers, records, strict=True))
    if len(named) != len(records):
        raise KBError(
            f"{source}: record {next(r.position for r in records if r.number is None)} names "
            "no citation number while others do; give every record its number, or none"
        )
    seen: dict[int, int] = {}
    for record in named:
        assert record.number is not None
        if record.number not in numbers:
            raise KBError(
                f"{source}: record {record.position} names reference {record.number}, which "
                f"the topic does not cite; cited: {', '.join(map(str, numbers)) or '(none)'}"
            )
        if record.number in seen:
            raise KBError(
                f"{source}: records {seen[record.number]} and {record.position} both name "
                f"reference {record.number}"
            )
        seen[record.number] = record.position
    return [(record.number, record) for record in named if record.number is not None]


def _check_values(matched: list[tuple[int, Record]], source: Path) -> None:
    problems = [
        f"record {record.position} (reference {number}): {message}"
        for number, record in matched
        for _, message in record_problems(record.fields)
    ]
    problems += [
        f"record {record.position} (reference {number}): {message}"
        for number, record in matched
        for _, message in choice_problems(record.fields)
    ]
    if problems:
        raise KBError(f"{source}: nothing imported: " + "; ".join(problems))


def _merge(row: dict[str, Any], record: Record, replace: bool) -> list[Change]:
    """Change `row` in place by what `record` adds; every difference as a Change."""
    changes = []
    for key in REFERENCE_FIELD_NAMES:
        if key not in record.fields or key == "citation_text":  # the summary's, not theirs
            continue
        new, old = record.fields[key], row.get(key)
        if old is None:
            row[key] = new
            changes.append(Change(row["number"], key, None, new, True))
        elif not _same(key, old, new):
            if replace:
                row[key] = new
            changes.append(Change(row["number"], key, old, new, replace))
    return changes


def _same(key: str, old: Any, new: Any) -> bool:
    if key == "doi":
        return bool(doi_key(old) == doi_key(new))
    return bool(old == new)


def _references_toml(text: str, rows: dict[int, dict[str, Any]], numbers: list[int]) -> str:
    """The file again: its opening comment, then one table per reference in number
    order, bibliographic fields in their order and any other field after them."""
    header = []
    for line in text.splitlines(keepends=True):
        if not line.startswith("#"):
            break
        header.append(line)
    tables = []
    for number in sorted(rows, key=lambda n: (n not in numbers, n)):
        row = rows[number]
        ordered = {"number": number}
        ordered |= {key: row[key] for key in REFERENCE_FIELD_NAMES if key in row}
        ordered |= {key: value for key, value in row.items() if key not in ordered}
        tables.append("\n" + format_table("reference", ordered))
    return "".join(header) + "".join(tables)


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return f'"{value}"' if isinstance(value, str) else str(value)
