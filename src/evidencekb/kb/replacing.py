"""What `ekb import --replace` keeps of the topic folder it replaces.

An import writes a topic from its source alone; the folder it replaces may hold what
no source gives:
- each claim's dates: a claim the new version still has (the same id) keeps the date
  it was added, and its last change unless its meaning is new now, as `ekb changes`
  reads meaning (kb/changes.py: its text, strength, the works it cites, their stances;
  `dated_by_meaning`), and then the import's date, if one is given, is its change's:
  dates stay true across versions, and `ekb check --since` agrees. Such a claim keeps
  its values of the fields no import writes (an editor's, registry.CLAIM_FIELDS);
- the topic's editorial history in topic.toml (its review dates and change log);
- the stances of evidence.toml, which name claims by id and cited works by number. A
  new version may reword the one and renumber the other, so that a kept stance could
  mark another work than it was recorded for: an import that would drop them refuses
  instead, naming the file, so that nothing a curator recorded is lost unseen;
- what references.toml records of a work beyond what the summary's list said of it
  (what `ekb refs import` or an editor added, or corrected): kept for the work the new
  version lists as the same (the same line but for its number, or the same DOI or
  PMID), under its new number. A work recorded so that the new version does not give
  as the same, a summary that numbers its works and no more among them, is refused
  as the files above are: its number may now name another work, and a record kept by
  number could give a claim a citation it never had;
- notices.toml: each notice moves with its work, found the same way, to the work's
  new number, and must still name it (kb/replacing_notices.py); one that cannot is
  refused at its line, never dropped nor moved to another work. A summary import and
  a claims-jsonl import alike carry it.
The folder is read leniently: one that no longer parses keeps nothing of it (it was
being replaced because it was broken), never a guess; but for notices.toml, whose
notices are never dropped: one that cannot be read refuses the import.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidencekb.errors import KBError, Problem, ValidationError
from evidencekb.identifiers import doi_key
from evidencekb.kb.changes import changed_in_meaning
from evidencekb.kb.reflist import entry_body, read_entry
from evidencekb.kb.replacing_notices import KeptNotices
from evidencekb.kb.tomlfile import format_keys, format_table
from evidencekb.kb.topic import CHANGE_TABLE, HISTORY_FIELDS
from evidencekb.names import JSONL
from evidencekb.paths import (
    CLAIMS_FILE,
    EVIDENCE_FILE,
    NOTICES_FILE,
    REFERENCES_FILE,
    TOPIC_FILE,
)
from evidencekb.registry import CLAIM_FIELDS

if TYPE_CHECKING:
    from evidencekb.model import KnowledgeBase

# What each file an import never writes records, for the refusal's words.
RECORDED_APART = {
    EVIDENCE_FILE: "the stances of the cited works",
    NOTICES_FILE: "the editorial notices on the cited works",
}


@dataclass(frozen=True)
class Kept:
    """A claim in the folder being replaced: what its source gave (its text and
    citations), its dates, and its claims.toml table as it was."""

    said: tuple[object, ...]
    added: str | None
    changed: str | None
    table: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Replaced:
    """What an import keeps of the topic folder it replaces (nothing, for a new one)."""

    claims: Mapping[str, Kept] = field(default_factory=dict)
    history: Mapping[str, Any] = field(default_factory=dict)  # topic.toml's keys
    changes: tuple[Mapping[str, Any], ...] = ()  # topic.toml's [[change]] tables
    # Each work of references.toml by number: what its source gave, and what was
    # recorded beyond that (a topic imported from a summary: all of a claims-jsonl
    # file's works are its own).
    recorded: Mapping[int, RecordedWork] = field(default_factory=dict)
    folder: Path | None = None  # the folder replaced
    notices: KeptNotices | None = None  # its notices.toml, when the import carries it
    # The ids of the claims whose meaning the new version changes (`dated_by_meaning`);
    # None until that is known: then a claim's text and citation numbers are compared.
    moved: frozenset[str] | None = None

    @classmethod
    def read(cls, folder: Path, makes: Collection[str], carries: Collection[str] = ()) -> Replaced:
        """What `folder` holds to keep; KBError if it records what the import, which
        writes the files `makes` and carries those of `carries` to the new numbers of
        their works (`follow`), would drop."""
        if not folder.is_dir():
            return cls()
        held = [n for n in RECORDED_APART if n not in makes and (folder / n).exists()]
        dropped = [n for n in held if n not in carries]
        if dropped:
            raise KBError(_refusal(folder, dropped))
        topic = _toml(folder / TOPIC_FILE)
        changes = topic.get(CHANGE_TABLE)
        from_summary = topic.get("source_format") != JSONL
        return cls(
            _claims(_toml(folder / CLAIMS_FILE)),
            {key: topic[key] for key in HISTORY_FIELDS if isinstance(topic.get(key), str)},
            tuple(c for c in changes if isinstance(c, dict)) if isinstance(changes, list) else (),
            _recorded(_toml(folder / REFERENCES_FILE), from_summary),
            folder,
            KeptNotices.read(folder / NOTICES_FILE) if NOTICES_FILE in held else None,
        )

    def dates(
        self, claim_id: str, text: str, citations: tuple[int, ...], added: str | None
    ) -> tuple[str | None, str | None]:
        """The claim's `added` and `changed` dates; `added`: the import's date."""
        kept = self.claims.get(claim_id)
        if kept is None:
            return added, None
        if self.moved is None:  # not known yet: what its source gives of it compared
            unchanged = kept.said == _said(text, citations)
        else:
            unchanged = claim_id not in self.moved
        if unchanged:
            return kept.added, kept.changed
        # Its meaning changed now (as `ekb changes` reads meaning: kb/changes.py):
        # changed on the import's date, if known.
        return kept.added, added

    def kept_fields(self, claim_id: str, written: Collection[str]) -> dict[str, Any]:
        """A claim's values, in the folder replaced, of the claims.toml fields the import
        does not write (an editor's: registry.CLAIM_FIELDS beyond `written`), when the
        new version still has the claim (the same id)."""
        kept = self.claims.get(claim_id)
        if kept is None:
            return {}
        names = (f.name for f in CLAIM_FIELDS if f.name not in written)
        return {name: kept.table[name] for name in names if name in kept.table}

    def follow(self, listed: Mapping[int, Mapping[str, Any]]) -> Followed:
        """Each reference the new version cites (`listed`: what its list says of each,
        by number, its `number` included) with what references.toml recorded beyond
        that of the same work, and the notices carried to the works' new numbers.
        KBError naming what would be dropped (see the module's docstring): a
        ValidationError, a line a notice, if a notice cannot follow its work."""
        moves = self._moves(listed)
        kept = {new: self.recorded[old].beyond for old, new in moves.items()}
        written = {number: {**given, **kept.get(number, {})} for number, given in listed.items()}
        notices, problems = self._carried(moves, written)
        folder = self.folder or Path()
        left = {n: work for n, work in self.recorded.items() if work.beyond and n not in moves}
        if problems and left:  # both told at once: the references' refusal as one more line
            problems.append(Problem(str(folder / REFERENCES_FILE), 1, _dropped_references(left)))
        if problems:
            raise ValidationError(problems)
        if left:
            raise KBError(f"{folder}: {_dropped_references(left)}")
        self._check_one_each(listed)
        return Followed(written, notices)

    def notices_for(self, works: Mapping[int, Mapping[str, Any]]) -> str | None:
        """notices.toml for a new version that gives every field of the works it cites
        (`works`, by number: a claims-jsonl file's), each notice carried to its work's
        new number; None when none is kept. ValidationError, a line a notice, if a
        notice cannot follow its work."""
        notices, problems = self._carried(self._moves(works), works)
        if problems:
            raise ValidationError(problems)
        self._check_one_each(works)
        return notices

    def _carried(
        self, moves: Mapping[int, int], written: Mapping[int, Mapping[str, Any]]
    ) -> tuple[str | None, list[Problem]]:
        """The notices kept, each under its work's new number (KeptNotices.carried)."""
        if self.notices is None:
            return None, []
        old = {n: work.fields for n, work in self.recorded.items()}
        return self.notices.carried(moves, old, written)

    def _moves(self, listed: Mapping[int, Mapping[str, Any]]) -> dict[int, int]:
        """Each work of the folder replaced (its number) that the new version lists as
        the same, to the number it lists it under; each of either matched once."""
        left = dict(self.recorded)
        moves: dict[int, int] = {}
        for number, given in listed.items():
            same = next((n for n, work in left.items() if work.is_listed_as(given)), None)
            if same is not None:
                del left[same]
                moves[same] = number
        return moves

    def _check_one_each(self, listed: Mapping[int, Mapping[str, Any]]) -> None:
        """KBError if a work that carries something (fields recorded beyond its line, a
        notice) is listed as two works of the new version (one by its DOI, one by its
        PMID, say): it could follow either, so it follows neither by a guess. (Checked
        once nothing else is refused: a notice's own problem names the slip better.)"""
        noticed = self.notices.on() if self.notices is not None else frozenset()
        for old, work in self.recorded.items():
            if not work.beyond and old not in noticed:
                continue
            same = [number for number, given in listed.items() if work.is_listed_as(given)]
            if len(same) > 1:
                raise KBError(
                    f"{self.folder or Path()}: reference {old} is listed as references "
                    f"{' and '.join(map(str, same))} of the new version (by its line, DOI or "
                    "PMID), so what is recorded of it (its notices, the fields beyond its "
                    "line) cannot follow it to one; list the work once, or correct the "
                    "identifier the other work was given"
                )

    def topic_history(self) -> str:
        """topic.toml's lines for the history kept, after the keys an import writes."""
        lines = format_keys(dict(self.history))
        return lines + "".join("\n" + format_table(CHANGE_TABLE, dict(c)) for c in self.changes)


def dated_by_meaning(
    make: Callable[[Replaced], dict[str, bytes]],
    check: Callable[[dict[str, bytes]], KnowledgeBase],
    replaced: Replaced,
    before: KnowledgeBase | None,
    slug: str,
) -> dict[str, bytes]:
    """The files of topic `slug` that `make` makes with `replaced`, each surviving
    claim's `changed` date moved where its meaning differs from the topic in `before`
    (kb/ with the folder replaced; None where it did not load: then a claim's text and
    citation numbers are compared). `check` loads kb/ with the files, or raises."""
    files = make(replaced)
    now = check(files)
    if before is None or not replaced.claims:
        return files
    moved = changed_in_meaning(before.topic(slug), now.topic(slug))
    dated = make(replace(replaced, moved=moved))
    if dated != files:  # the dates differ from those checked: check them too
        check(dated)
    return dated


def loaded_or_none(load: Callable[[], KnowledgeBase]) -> KnowledgeBase | None:
    """kb/ as `load` loads it; None if it does not pass `ekb check` (an import may
    replace a topic because it is broken)."""
    try:
        return load()
    except KBError:
        return None


def _refusal(folder: Path, dropped: list[str]) -> str:
    names = " and ".join(dropped)
    what = " and ".join(RECORDED_APART[name] for name in dropped)
    return (
        f"{folder}: --replace would drop {names} ({what}, by claim id and reference "
        "number, which a new version may change); move it out of the folder, import, "
        "then put back what still applies (`ekb check` names what does not)"
    )


@dataclass(frozen=True)
class Followed:
    """What a summary import writes of the works the new version cites: its references
    by number, with what was recorded of each kept, and notices.toml (None: none kept)."""

    references: dict[int, dict[str, Any]]
    notices: str | None


@dataclass(frozen=True)
class RecordedWork:
    """A reference of the folder replaced: what the summary's list said of its work
    (`given`), and the fields beyond it or otherwise (`beyond`, what `ekb refs import`
    or an editor wrote; none for most works, but every work is followed, since a
    notice may be on any)."""

    given: Mapping[str, Any]
    beyond: Mapping[str, Any]

    @property
    def fields(self) -> dict[str, Any]:
        """All references.toml records of the work."""
        return {**self.given, **self.beyond}

    def is_listed_as(self, new: Mapping[str, Any]) -> bool:
        """Whether the new version's entry `new` is this work: the same line but for
        its number, or the same DOI or PMID (the new line's, or the recorded)."""
        line, new_line = self.given.get("citation_text"), new.get("citation_text")
        if isinstance(line, str) and isinstance(new_line, str):
            body = entry_body(line)
            if body is not None and body == entry_body(new_line):
                return True
        recorded = self.fields
        doi, new_doi = recorded.get("doi"), new.get("doi")
        if isinstance(doi, str) and isinstance(new_doi, str) and doi_key(doi) == doi_key(new_doi):
            return True
        return recorded.get("pmid") is not None and recorded.get("pmid") == new.get("pmid")


def _recorded(parsed: Mapping[str, Any], from_summary: bool) -> dict[int, RecordedWork]:
    """references.toml's works by number: each with what the summary's list said of it
    and what it records beyond that; a claims-jsonl file's, all given by the file."""
    tables = parsed.get("reference")
    found: dict[int, RecordedWork] = {}
    for table in tables if isinstance(tables, list) else ():
        if not isinstance(table, dict) or not isinstance(table.get("number"), int):
            continue
        if not from_summary:
            found[table["number"]] = RecordedWork(dict(table), {})
            continue
        line = table.get("citation_text")
        body = entry_body(line) if isinstance(line, str) else None
        given = read_entry(line, body) if isinstance(line, str) and body is not None else {}
        beyond = {
            key: value
            for key, value in table.items()
            if key not in ("number", "citation_text") and given.get(key) != value
        }
        found[table["number"]] = RecordedWork(given, beyond)
    return found


_NAMED_AT_MOST = 5  # sets of fields named in the refusal; the rest counted


def _dropped_references(left: Mapping[int, RecordedWork]) -> str:
    """The refusal of an import that would drop what `left` records beyond the summary:
    the works by number, those recording the same fields named together."""
    by_fields: dict[tuple[str, ...], list[int]] = {}
    for number, work in sorted(left.items()):
        by_fields.setdefault(tuple(work.beyond), []).append(number)
    named = [f"{_numbers(numbers)}: {', '.join(fields)}" for fields, numbers in by_fields.items()]
    if len(named) > _NAMED_AT_MOST:
        named[_NAMED_AT_MOST:] = [f"and {len(named) - _NAMED_AT_MOST} more"]
    return (
        f"--replace would drop what {REFERENCES_FILE} records beyond the summary "
        f"({'; '.join(named)}) of works the new version does not give as the same (the same "
        "line in its reference list but for the number, or the same DOI or PMID): a number "
        f"may now name another work. Move {REFERENCES_FILE} out of the folder, import, then "
        "put back what still applies (`ekb refs import` adds a reference manager's records)"
    )


def _numbers(numbers: list[int]) -> str:
    if len(numbers) == 1:
        return f"reference {numbers[0]}"
    return f"references {', '.join(map(str, numbers[:-1]))} and {numbers[-1]}"


def _toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


def _claims(parsed: Mapping[str, Any]) -> dict[str, Kept]:
    tables = parsed.get("claim")
    if not isinstance(tables, list):
        return {}
    return {
        table["id"]: Kept(
            _said(table.get("text"), table.get("citations")),
            _text(table, "added"),
            _text(table, "changed"),
            table,
        )
        for table in tables
        if isinstance(table, dict) and isinstance(table.get("id"), str)
    }


def _said(text: object, citations: object) -> tuple[object, ...]:
    """What a claim's source gives of its meaning: its text and citation numbers (its
    strength and stances are the curator's or the import's to give)."""
    return (text, tuple(citations) if isinstance(citations, list | tuple) else citations)


def _text(table: Mapping[str, Any], key: str) -> str | None:
    value = table.get(key)
    return value if isinstance(value, str) else None
