"""Type and vocabulary checks for the tables of kb/ TOML files.

`TableChecker` collects problems instead of raising, so that one run of
`ekb check` reports everything; each problem names the file, the line, the
field and, where there is a vocabulary, the allowed values.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from evidencekb.errors import Problem
from evidencekb.kb.text import control_fault, empty_fault, text_fault
from evidencekb.kb.tomlfile import Located

# Ids and topic slugs name files (claims/<id>.html, topics/<slug>/): always
# matched whole (fullmatch), since `$` would also match before a final newline.
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SLUG_RULE = "lower-case letters, digits and single hyphens"
# A file name has at most 255 bytes; ".html" and staging prefixes need room,
# and a claim id is its topic's slug, a hyphen and up to 64 hex digits.
MAX_ID_LENGTH = 200
MAX_TOPIC_SLUG_LENGTH = 100


def stable_id(prefix: str, text: str, digits: int) -> str:
    """`prefix`, a hyphen and the first `digits` hex digits of `text`'s SHA-256: an id
    that depends on `text` alone and never changes (a claim's, made from its words
    when it is imported). An identifier, not the key of a content (hashing.content_key),
    which changes with the code that makes it."""
    return f"{prefix}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:digits]}"


def is_slug(value: str) -> bool:
    return SLUG.fullmatch(value) is not None


def length_fault(value: str, longest: int) -> str | None:
    """Why a slug is too long to name a file, or None."""
    if len(value) <= longest:
        return None
    return f"is {len(value)} characters long; at most {longest} are allowed, as it names a file"


def topic_slug_fault(slug: str) -> str | None:
    """Why `slug` cannot name a topic (its folder and pages), or None."""
    if not is_slug(slug):
        return f"is not a slug: use {SLUG_RULE}"
    return length_fault(slug, MAX_TOPIC_SLUG_LENGTH)


def first_repeat(values: list[Any]) -> Any | None:
    """The first value that occurs a second time in `values`, or None."""
    seen: set[Any] = set()
    for value in values:
        if value in seen:
            return value
        seen.add(value)
    return None


@dataclass(frozen=True)
class Field:
    kind: str  # "text", "int", "texts", "ints", "bool"
    required: bool = True
    least: int | None = None  # an "int" field's smallest value (each of "ints")
    longest: int | None = None  # at most this many characters in a text (each of "texts")
    why_longest: str = ""  # what the length limit is for, said with it

    def bound_fault(self, value: Any) -> str | None:
        """Why a value of this field's kind is out of its bounds, or None."""
        if self.least is not None and isinstance(value, int) and value < self.least:
            return f"is {value}; it must be {self.least} or more"
        if self.least is not None and isinstance(value, list):
            low = next((n for n in value if isinstance(n, int) and n < self.least), None)
            if low is not None:
                return f"holds {low}; each must be {self.least} or more"
        if self.longest is None:
            return None
        for text in [value] if isinstance(value, str) else value:
            if len(text) > self.longest:
                return (
                    f"holds a text of {len(text)} characters; at most {self.longest} are "
                    f"allowed{self.why_longest}"
                )
        return None


_KIND_NAMES = {
    "text": "text in double quotes",
    "int": "a whole number",
    "texts": 'a list of texts, like ["a", "b"]',
    "ints": "a list of whole numbers, like [2, 4]",
    "bool": "true or false",
}


def allowed(values: list[str] | tuple[str, ...]) -> str:
    return ", ".join(values) if values else "(none defined)"


class TableChecker:
    """Checks shared by every kb/ file; subclasses add what a file means."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def report(
        self, doc: Located, message: str, table: str = "", index: int = 0, key: str = ""
    ) -> None:
        """Record a problem at the line of `key` in the `index`th `[[table]]` of `doc`."""
        self.problems.append(doc.problem(message, table, index, key))

    def rows(self, doc: Located, table: str) -> list[dict[str, Any]]:
        rows = doc.data.get(table, [])
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            self.report(doc, f"'{table}' must be written as [[{table}]] tables")
            return []
        return rows

    def fields(
        self,
        doc: Located,
        table: str,
        index: int,
        row: dict[str, Any],
        spec: dict[str, Field],
        check_unknown: bool = True,
    ) -> dict[str, Any] | None:
        """Type-check one table against `spec`; None if a required field is unusable."""
        if check_unknown:
            self.unknown_keys(doc, table, index, row, set(spec))
        values: dict[str, Any] = {}
        usable = True
        for key, field in spec.items():
            if key not in row:
                if field.required:
                    where = f"[[{table}]] " if table else ""
                    self.report(doc, f"{where}missing field '{key}'", table, index)
                    usable = False
                continue
            if row[key] is None and field.required:
                # JSON's null (TOML has none): no value, said so, never a table
                # dropped in silence.
                self.report(
                    doc,
                    f"field '{key}' is null; it must be {_KIND_NAMES[field.kind]}",
                    table,
                    index,
                    key,
                )
                usable = False
                continue
            value = self.typed(doc, table, index, key, row[key], field.kind)
            if value is not None and (fault := field.bound_fault(value)):
                # Its own problem; the table stays usable, so that no other is reported
                # because of it (a claim's evidence "naming no claim").
                self.report(doc, f"field '{key}' {fault}", table, index, key)
            if value is None:
                usable = usable and not field.required
            else:
                values[key] = value
        return values if usable else None

    def typed(
        self, doc: Located, table: str, index: int, key: str, value: Any, kind: str
    ) -> Any | None:
        if value is None:
            return None
        if fault := kind_fault(value, kind):
            self.report(doc, f"field '{key}' {fault}", table, index, key)
            return None
        return value

    def unknown_keys(
        self, doc: Located, table: str, index: int, row: dict[str, Any], known: set[str]
    ) -> None:
        for key in row:
            if key not in known:
                self.report(
                    doc,
                    f"unknown field '{key}'; allowed fields: {allowed(sorted(known))}",
                    table,
                    index,
                    key,
                )

    def choice(
        self,
        doc: Located,
        table: str,
        index: int,
        key: str,
        value: str,
        choices: tuple[str, ...],
        noun: str,
    ) -> None:
        if value in choices:
            return
        close = difflib.get_close_matches(value, choices, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        self.report(
            doc, f"unknown {noun} '{value}'{hint}; allowed: {allowed(choices)}", table, index, key
        )

    def slug(self, doc: Located, table: str, index: int, key: str, value: str) -> None:
        """An id: a slug short enough to name the page it gets."""
        if not is_slug(value):
            self.report(doc, f"{key} '{value}' must use {SLUG_RULE}", table, index, key)
        elif fault := length_fault(value, MAX_ID_LENGTH):
            self.report(doc, f"{key} {fault}", table, index, key)

    def listed_once(
        self, doc: Located, table: str, index: int, key: str, values: list[str]
    ) -> None:
        if (repeat := first_repeat(values)) is not None:
            self.report(
                doc, f"'{repeat}' is listed twice in '{key}'; list it once", table, index, key
            )

    def unique(self, doc: Located, table: str, values: list[tuple[int, str]], key: str) -> None:
        """Report a value used by two tables; `values` pairs each table's index with it."""
        first: dict[str, int] = {}
        for index, value in values:
            if value in first:
                line = doc.line(table, first[value], key)
                self.report(
                    doc, f"duplicate {key} '{value}' (first used on line {line})", table, index, key
                )
            else:
                first[value] = index


def kind_fault(value: Any, kind: str) -> str | None:
    """Why `value` is no value of the field kind `kind`, in the words that follow the
    field's name in a problem ("must be a whole number"), or None."""
    if not _is_kind(value, kind):
        detail = ""
        if kind == "ints" and isinstance(value, list):
            bad = next(v for v in value if not isinstance(v, int) or isinstance(v, bool))
            detail = f"; {_show(bad)} is not a whole number"
        return f"must be {_KIND_NAMES[kind]}{detail}"
    if kind == "text":
        return text_fault(value)
    for number, text in enumerate(value if kind == "texts" else [], start=1):
        if fault := empty_fault(text):
            # An empty name would match every query; an empty author, reason or
            # hedging word would show as a gap.
            return f"item {number} {fault}; remove it or fill it in"
        if fault := control_fault(text):
            return fault
    return None


def _is_kind(value: Any, kind: str) -> bool:
    """Whether `value` is of the field kind `kind` (only that kind's test runs: a
    large kb has a million fields)."""
    if kind == "text":
        return isinstance(value, str)
    if kind == "int":
        return _is_whole(value)
    if kind == "texts":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if kind == "bool":
        return isinstance(value, bool)
    return isinstance(value, list) and all(_is_whole(v) for v in value)


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _show(value: Any) -> str:
    """A value as the user wrote it in TOML, never as a Python repr."""
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
