"""Reading kb/ TOML files with line numbers, and writing them readably.

`tomllib` parses but does not say where a value came from, and every problem
`ekb check` reports must name its line. kb/ files are flat: top-level keys and
arrays of tables (`[[claim]]`) whose keys each start a line. `Located` pairs
the parsed data with a map from (table, index, key) to the line it starts on.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import tomli_w

from evidencekb.errors import Problem
from evidencekb.kb.text import shown

# SQLite stores integers in 64 bits, signed.
INT_MIN, INT_MAX = -(2**63), 2**63 - 1

_ARRAY_HEADER = re.compile(r"^\s*\[\[\s*([A-Za-z0-9_-]+)\s*\]\]")
_TABLE_HEADER = re.compile(r"^\s*\[\s*([A-Za-z0-9_-]+)\s*\]")
_KEY_LINE = re.compile(r'^\s*("[^"]*"|[A-Za-z0-9_-]+)\s*=')
_SYNTAX_POSITION = re.compile(r"\s*\(at line (\d+), column \d+\)\Z|\s*\(at end of document\)\Z")


@dataclass(frozen=True)
class Located:
    """A parsed TOML document and the lines its keys and tables start on."""

    path: str
    data: dict[str, Any]
    lines: dict[tuple[str, int, str], int] = field(default_factory=dict)
    last_line: int = 1

    def line(self, table: str = "", index: int = 0, key: str = "") -> int:
        """Line of `key` in the `index`th `[[table]]` ("" key: the header line).

        Top-level keys use table "". Falls back to the table's header, then to
        line 1, so a problem always has a line to point at.
        """
        for probe in ((table, index, key), (table, index, "")):
            if probe in self.lines:
                return self.lines[probe]
        return 1

    def problem(self, message: str, table: str = "", index: int = 0, key: str = "") -> Problem:
        """A problem at `key`'s line; a value quoted in `message` stays on one line."""
        return Problem(self.path, self.line(table, index, key), shown(message))


def parse_toml(text: str, display: str, problems: list[Problem]) -> Located | None:
    """Parse a kb/ file's text; on a syntax error record one problem and return None.

    A whole number too large for SQLite (the database `ekb build` writes) is a
    problem too, at the line of its key.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = _SYNTAX_POSITION.search(message)
        line = int(match.group(1)) if match and match.group(1) else text.count("\n") + 1
        reason = message[: match.start()] if match else message
        problems.append(Problem(display, line, f"TOML syntax error: {reason}"))
        return None
    except RecursionError:
        problems.append(Problem(display, 1, "TOML nested too deeply; kb/ files are flat"))
        return None
    doc = Located(display, data, _locate(text), text.count("\n") + 1)
    for table, index, key in _huge_numbers(data):
        problems.append(
            doc.problem(
                f"field '{key}' holds a whole number outside {INT_MIN} to {INT_MAX}, "
                "the range the database can store",
                table,
                index,
                key,
            )
        )
    return doc


def _huge_numbers(data: dict[str, Any]) -> Iterator[tuple[str, int, str]]:
    """(table, index, key) of every value holding an int SQLite cannot store."""
    for key, value in data.items():
        if isinstance(value, list) and value and all(isinstance(row, dict) for row in value):
            for index, row in enumerate(value):
                for inner, item in row.items():
                    if _holds_huge_int(item):
                        yield key, index, inner
        elif _holds_huge_int(value):
            yield "", 0, key


def _holds_huge_int(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_holds_huge_int(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_huge_int(item) for item in value)
    return isinstance(value, int) and not INT_MIN <= value <= INT_MAX


def _locate(text: str) -> dict[tuple[str, int, str], int]:
    lines: dict[tuple[str, int, str], int] = {}
    counts: dict[str, int] = {}
    table, index = "", 0
    for number, line in enumerate(text.splitlines(), start=1):
        if match := _ARRAY_HEADER.match(line):
            table = match.group(1)
            index = counts.get(table, 0)
            counts[table] = index + 1
            lines[(table, index, "")] = number
        elif match := _TABLE_HEADER.match(line):
            table, index = match.group(1), 0
            lines[(table, index, "")] = number
        elif match := _KEY_LINE.match(line):
            lines.setdefault((table, index, match.group(1).strip('"')), number)
    return lines


def format_value(value: Any) -> str:
    """One TOML value on one line: tomli_w escapes, arrays stay inline."""
    if isinstance(value, list | tuple):
        return "[" + ", ".join(format_value(item) for item in value) + "]"
    return tomli_w.dumps({"v": value})[len("v = ") :].rstrip("\n")


def format_table(name: str, row: dict[str, Any]) -> str:
    """An `[[name]]` table with one `key = value` line per key, in row order.

    None values are left out: TOML has no null, and an absent key reads as None.
    """
    body = [f"{key} = {format_value(value)}" for key, value in row.items() if value is not None]
    return "\n".join([f"[[{name}]]", *body]) + "\n"


def format_keys(row: dict[str, Any]) -> str:
    return "".join(f"{key} = {format_value(value)}\n" for key, value in row.items())
