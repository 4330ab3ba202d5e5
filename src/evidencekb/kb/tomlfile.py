"""Reading kb/ TOML files with line numbers, and writing them readably.

`tomllib` parses but does not say where a value came from, and every problem
`ekb check` reports must name its line. kb/ files are flat: top-level keys and
arrays of tables (`[[claim]]`) whose keys each start a line. `Located` pairs
the parsed data with a map from (table, index, key) to the line it starts on.

Parsing comes in two steps so that the first can be cached (kb/parsecache.py):
`parse_text` gives plain data (`Parsed`), `place` pairs it with its file and lines.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import tomli_w

from evidencekb.errors import Problem
from evidencekb.kb.text import shown
from evidencekb.model import split_lines

# SQLite stores integers in 64 bits, signed.
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
_NUMBER_RANGE = f"the database stores whole numbers from {INT_MIN} to {INT_MAX}"

_ARRAY_HEADER = re.compile(r"^\s*\[\[\s*([A-Za-z0-9_-]+)\s*\]\]")
_TABLE_HEADER = re.compile(r"^\s*\[\s*([A-Za-z0-9_-]+)\s*\]")
_KEY_LINE = re.compile(r'^\s*("[^"]*"|[A-Za-z0-9_-]+)\s*=')
_SYNTAX_POSITION = re.compile(r"\s*\(at line (\d+), column \d+\)\Z|\s*\(at end of document\)\Z")


@dataclass(frozen=True)
class Located:
    """A parsed TOML document and the lines its keys and tables start on."""

    path: str
    data: dict[str, Any]
    lines: Mapping[tuple[str, int, str], int] = field(default_factory=dict)

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


@dataclass(frozen=True)
class Parsed:
    """A kb/ TOML text parsed, not yet placed in its file: tomllib's data and where
    it holds whole numbers the database cannot store. Depends on the text alone."""

    data: dict[str, Any]
    huge_numbers: tuple[tuple[str, int, str], ...]  # (table, index, key)


_BOM = (
    "the file starts with a byte order mark (U+FEFF), which TOML does not allow; "
    "save it as UTF-8 without one"
)


def parse_toml(text: str, display: str, problems: list[Problem]) -> Located | None:
    """Parse a kb/ file's text; on a syntax error record one problem and return None."""
    parsed = parse_text(text, display, problems)
    return None if parsed is None else place(parsed, text.encode("utf-8"), display, problems)


def parse_text(text: str, display: str, problems: list[Problem]) -> Parsed | None:
    """tomllib's reading of `text`; None, with one problem naming the line, if it is not TOML."""
    if text.startswith("\ufeff"):  # as Windows' Notepad saves UTF-8: tomllib's "Invalid statement"
        problems.append(Problem(display, 1, _BOM))
        return None
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
    except ValueError:  # Python converts at most 4,300 digits to an int
        long = re.search(r"\d[\d_]{4299,}", text)
        line = text.count("\n", 0, long.start()) + 1 if long else 1
        problems.append(
            Problem(display, line, f"a whole number is too long to read; {_NUMBER_RANGE}")
        )
        return None
    return Parsed(data, tuple(_huge_numbers(data)))


def place(parsed: Parsed, source: bytes, display: str, problems: list[Problem]) -> Located:
    """`parsed` as the document `display`, whose bytes (UTF-8) it was read from.

    A whole number too large for SQLite (the database `ekb build` writes) is a
    problem, at the line of its key.
    """
    doc = Located(display, parsed.data, _LineMap(source))
    for table, index, key in parsed.huge_numbers:
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


def lines_of(display: str, source: bytes) -> Located:
    """A document's lines without its data: where a topic kept from an earlier check
    (kb/checked.py) defines its claims, should a duplicate id need to point there."""
    return Located(display, {}, _LineMap(source))


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


class _LineMap(Mapping[tuple[str, int, str], int]):
    """The lines a document's keys start on, found when a line is first asked for.

    Only a problem needs a line, and finding every key's line in a large kb
    costs a sixth of what parsing it does. It keeps the file's bytes, not its
    text: a str with one character beyond Latin-1 takes two to four times the room.
    """

    def __init__(self, source: bytes) -> None:
        self._source = source
        self._lines: dict[tuple[str, int, str], int] | None = None

    def _found(self) -> dict[tuple[str, int, str], int]:
        if self._lines is None:
            self._lines = _locate(self._source.decode("utf-8"))
        return self._lines

    def __getitem__(self, key: tuple[str, int, str]) -> int:
        return self._found()[key]

    def __iter__(self) -> Iterator[tuple[str, int, str]]:
        return iter(self._found())

    def __len__(self) -> int:
        return len(self._found())


def _locate(text: str) -> dict[tuple[str, int, str], int]:
    lines: dict[tuple[str, int, str], int] = {}
    counts: dict[str, int] = {}
    table, index = "", 0
    for number, line in enumerate(split_lines(text), start=1):
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
