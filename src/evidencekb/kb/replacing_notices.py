"""The notices.toml of a topic that `ekb import --replace` replaces (from a summary or a
claims-jsonl file).

A new version may renumber the works it cites, and a notice filed by number alone
would then mark another work retracted. So each notice moves with its work to the
number the new version gives it (kb/replacing.py finds the work as it does for what
references.toml records: the same line but for its number, or the same DOI or PMID),
and must still name that work by its own `work_doi` / `work_pmid`, as `ekb check`
holds it. A notice that cannot move so (its work not cited by the new version, or
given other identifiers there) refuses the import at its line: a retraction is never
dropped, nor filed under another work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from evidencekb.errors import KBError, Problem, ValidationError, failure_reason
from evidencekb.kb.notices import unlike_work
from evidencekb.kb.tomlfile import Located, parse_toml

TABLE = "notice"
# What the refusal allows of a notice whose work the new version does not cite.
_CITE_IT = (
    "allowed: a new version that cites the work, or notices.toml moved out of the folder, "
    "the import, then the notices on works it still cites put back"
)


@dataclass(frozen=True)
class KeptNotices:
    """notices.toml of the folder replaced: its text and its tables, placed by line."""

    text: str
    doc: Located

    def on(self) -> frozenset[object]:
        """The reference numbers its notices are filed under."""
        return frozenset(t.get("reference") for t in self._tables() if isinstance(t, dict))

    def _tables(self) -> list[Any]:
        """Its [[notice]] tables, as parsed: none if the file gives no list of them."""
        rows = self.doc.data.get(TABLE)
        return rows if isinstance(rows, list) else []

    @classmethod
    def read(cls, path: Path) -> KeptNotices:
        """The file at `path`; KBError if it cannot be read as TOML, since its notices
        could then be neither carried nor left out knowingly."""
        try:
            text = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as error:
            reason = "not UTF-8" if isinstance(error, UnicodeDecodeError) else failure_reason(error)
            raise KBError(
                f"{path}: --replace cannot read it ({reason}) to carry its notices to the new "
                "version; fix it (`ekb check` names what is wrong), then import"
            ) from None
        problems: list[Problem] = []
        doc = parse_toml(text, str(path), problems)
        if doc is None:
            raise ValidationError([_cannot_carry(p) for p in problems])
        return cls(text, doc)

    def carried(
        self,
        moves: Mapping[int, int],
        old: Mapping[int, Mapping[str, Any]],
        new: Mapping[int, Mapping[str, Any]],
    ) -> tuple[str, list[Problem]]:
        """The file for the new version, each notice under its work's new number
        (`moves`: each old number to the new one of its work; `old`, `new`: each
        version's references' fields by number), and one problem for each notice that
        cannot move. The file as it was when no notice's number changes (its comments
        kept); else written anew in the new numbers' order, its opening comment kept."""
        tables = self._tables()
        problems = [
            self.doc.problem(fault, TABLE, index, "reference")
            for index, table in enumerate(tables)
            if (fault := _fault(table, moves, old, new)) is not None
        ]
        if problems or all(moves[t["reference"]] == t["reference"] for t in tables):
            return self.text, problems
        moved = [{**table, "reference": moves[table["reference"]]} for table in tables]
        moved.sort(key=lambda table: int(table["reference"]))  # stable: a work's in order
        return _opening(self.text) + tomli_w.dumps({**self.doc.data, TABLE: moved}), []


def _fault(
    table: object,
    moves: Mapping[int, int],
    old: Mapping[int, Mapping[str, Any]],
    new: Mapping[int, Mapping[str, Any]],
) -> str | None:
    """Why the notice `table` cannot move with its work to the new version; None if it can."""
    if not isinstance(table, dict) or not isinstance(table.get("reference"), int):
        return (
            "this notice names no reference number, so --replace cannot tell which work it "
            "is on; allowed: reference = the number of the work it is on (`ekb check`)"
        )
    number = table["reference"]
    said = f"the {_said(table)} on reference {number} ({_work(table, old.get(number, {}))})"
    if not any(isinstance(table.get(key), str) for key in ("work_doi", "work_pmid")):
        return (
            f"{said} does not name its work, so --replace cannot tell it from the work the "
            "new version numbers so; allowed: work_doi or work_pmid, as `ekb check` says"
        )
    if number not in moves:
        return (
            f"{said} is on a work the new version does not cite (none has the same line in "
            "its reference list but for the number, nor the same DOI or PMID): --replace "
            f"never drops a notice nor moves it to another work; {_CITE_IT}"
        )
    work = new[moves[number]]
    key = unlike_work(table, work.get("doi"), work.get("pmid"))
    if key is None:
        return None
    field = key.removeprefix("work_")
    return (
        f"{said} names {key} '{table.get(key)}', but reference {moves[number]} of the new "
        f"version, the same work by its line, DOI or PMID, has {field} "
        f"{work.get(field) or 'none'}: a notice stays on the work it was recorded for; "
        f"allowed: a new version that gives the work its own {field}"
    )


def _said(table: Mapping[str, Any]) -> str:
    nature, date = table.get("nature"), table.get("date")
    return f"{nature if isinstance(nature, str) else 'notice'} of {date}"


def _work(table: Mapping[str, Any], reference: Mapping[str, Any]) -> str:
    """The work a notice is on, by its DOI and PMID (the notice's, else its reference's)."""
    doi = table.get("work_doi") or reference.get("doi")
    pmid = table.get("work_pmid") or reference.get("pmid")
    named = [f"doi:{doi}" if doi else "", f"PMID {pmid}" if pmid else ""]
    return ", ".join(name for name in named if name) or "a work known by its number only"


def _opening(text: str) -> str:
    """The file's opening comment (what wrote it, what it holds), then a blank line."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line + "\n")
    return "".join(lines) + "\n" if lines else ""


def _cannot_carry(problem: Problem) -> Problem:
    message = f"--replace cannot carry its notices to the new version: {problem.message}"
    return Problem(problem.path, problem.line, message)
