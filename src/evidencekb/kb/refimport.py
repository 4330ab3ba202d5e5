"""`ekb refs import`: fill a topic's references.toml from a reference manager's file.

Records (refmanager.py) match the topic's citation numbers by the number a
record names, or else in order. The result is a list of changes: a field the
topic lacks is added; a field that differs is kept as it is unless `replace`
is given, and reported either way, so that nothing an editor wrote is lost
without being asked for. Every imported value must pass its field's rule
(bibliography.py) before anything is written, and the kb with the new file must
pass `ekb check`; the file is then replaced all at once. Only the changed values
are edited (tomledit.py): an editor's comments and layout stay as they were.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evidencekb.atomic import replace_file, writes_kb
from evidencekb.errors import KBError, Problem, failure_reason, problems_error
from evidencekb.identifiers import doi_key
from evidencekb.kb.bibliography import RECORD_FIELDS, check_record
from evidencekb.kb.files import scan_kb
from evidencekb.kb.load import check_edits, load_kb, read_as_loaded
from evidencekb.kb.refmanager import Record, full_range, read_records
from evidencekb.kb.tables import TableChecker
from evidencekb.kb.text import shown
from evidencekb.kb.tomledit import ReferencesDocument
from evidencekb.kb.tomlfile import Located
from evidencekb.model import Reference
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
    """Match the records of `source` to topic `slug`'s references and write them in.

    The whole read, check and write holds kb/'s writer lock: two imports at once
    would each edit the file as it was before the other, and the last one written
    would undo the first without a word."""
    if dry_run:  # writes nothing, so may run where nothing can be written
        return _import_references(kb_dir, source, slug, replace, dry_run)
    return writes_kb(_import_references)(kb_dir, source, slug, replace, dry_run)


def _import_references(
    kb_dir: Path, source: Path, slug: str, replace: bool, dry_run: bool
) -> RefsImportResult:
    kb = load_kb(kb_dir)  # a kb that does not pass `ekb check` is not changed
    try:
        numbers = [reference.number for reference in kb.topic(slug).references]
    except KeyError:
        known = ", ".join(t.slug for t in kb.topics) or "(none)"
        raise KBError(f"no topic '{shown(slug)}'; topics: {known}") from None
    records = read_records(source, slug)
    matched = match_records(records, numbers, source)
    _check_values(matched, source)
    _check_same_works(matched, kb.topic(slug).references, replace, source)
    relative = f"{TOPICS_DIR}/{slug}/{REFERENCES_FILE}"
    path = kb_dir / relative
    tree = scan_kb(kb_dir)
    text = read_as_loaded(tree, relative).decode("utf-8") if tree.is_file(relative) else ""
    document = ReferencesDocument(text)
    changes = [
        change
        for number, record in matched
        for change in _merge(document.row(number), record, replace)
    ]
    written = not dry_run and any(change.applied for change in changes)
    if written:
        new_text = document.text()
        edits = {f"{TOPICS_DIR}/{slug}/{REFERENCES_FILE}": new_text.encode("utf-8")}
        check_edits(tree, edits, f"{shown(str(source))}: nothing imported")
        try:
            replace_file(path, new_text.encode("utf-8"))
        except OSError as error:
            raise KBError(f"cannot write {path}: {failure_reason(error)}") from None
    return RefsImportResult(path, tuple(changes), written)


def match_records(
    records: tuple[Record, ...], numbers: list[int], source: Path
) -> list[tuple[int, Record]]:
    """(citation number, record) pairs: by the number each record names, or in order."""
    name = shown(str(source))
    named = [record for record in records if record.number is not None]
    if not named:
        if len(records) != len(numbers):
            count = f"{len(records)} record" + ("s" if len(records) != 1 else "")
            raise KBError(
                f"{name}: {count}, but the topic cites {len(numbers)} "
                "numbers; to match records by order give one record per number, or give "
                "each record its number (CSL-JSON citation-number, a RIS ID or BibTeX key)"
            )
        return list(zip(numbers, records, strict=True))
    if len(named) != len(records):
        unnamed = next(r for r in records if r.number is None)
        raise KBError(
            f"{name}:{unnamed.line}: record {unnamed.position} names no citation number "
            "while others do; give every record its number, or none"
        )
    seen: dict[int, Record] = {}
    for record in named:
        assert record.number is not None
        if record.number not in numbers:
            raise KBError(
                f"{name}:{record.line}: record {record.position} names reference "
                f"{record.number}, which the topic does not cite; cited: "
                f"{', '.join(map(str, numbers)) or '(none)'}"
            )
        if record.number in seen:
            first = seen[record.number]
            raise KBError(
                f"{name}:{record.line}: records {first.position} (line {first.line}) and "
                f"{record.position} both name reference {record.number}"
            )
        seen[record.number] = record
    return [(record.number, record) for record in named if record.number is not None]


def _check_values(matched: list[tuple[int, Record]], source: Path) -> None:
    """Every value against the rule `ekb check` holds references.toml to (the same
    field declarations and checks): a value of the wrong kind, a control character,
    an identifier of the wrong shape is refused before anything is written."""
    name = shown(str(source))
    problems = [
        Problem(
            name,
            record.line,
            f"nothing imported: record {record.position} (reference {number}): {message}",
        )
        for number, record in matched
        for message in record_faults(record.fields)
    ]
    if problems:
        raise problems_error(problems)


def _check_same_works(
    matched: list[tuple[int, Record]],
    references: tuple[Reference, ...],
    replace: bool,
    source: Path,
) -> None:
    """A record whose DOI or PMID is not its reference's is another work: merged, the
    reference would hold two works' identifiers and details. Refused, unless it names
    its number and `replace` says to take its values (a wrong DOI put right)."""
    by_number = {reference.number: reference for reference in references}
    for number, record in matched:
        reference = by_number[number]
        clash = _clash(reference, record.fields)
        if clash is None or (replace and record.number is not None):
            continue
        how = "in order" if record.number is None else "by the number it names"
        raise KBError(
            f"{shown(str(source))}:{record.line}: nothing imported: record "
            f"{record.position}, matched {how} to reference {number}, is another work: "
            f"{clash}; give each record the number of the reference it is (a RIS ID, "
            "BibTeX key or CSL-JSON citation-number), or --replace to take a named "
            "record's values"
        )


def _clash(reference: Reference, fields: dict[str, Any]) -> str | None:
    """How the record's identifiers or title contradict the reference's; None if they do
    not. Titles are compared by their letters and digits alone (`_same_title`), as
    exports write one title in title case (Better BibTeX), in lower case (Google
    Scholar), with PubMed's closing period (Mendeley) or without its subtitle; words
    that differ are another title, even where identifiers are shared (a slip in the
    summary's line to put right, not a work to merge into it). A reference its line
    gives no title, DOI or PMID of (a Harvard-style list) is held to its line: the
    record's title must stand in it. A summary's reference list gives titles, seldom
    identifiers: without this, a file exported in another order (a reference
    manager's, by author) gave each reference the DOI and PMID of another work."""
    doi, pmid, title = fields.get("doi"), fields.get("pmid"), fields.get("title")
    if isinstance(doi, str) and reference.doi and doi_key(doi) != doi_key(reference.doi):
        return f"its DOI {shown(doi)} is not the reference's {reference.doi}"
    if isinstance(pmid, str) and reference.pmid and pmid != reference.pmid:
        return f"its PMID {shown(pmid)} is not the reference's {reference.pmid}"
    if not isinstance(title, str):
        return None
    shared = bool(
        (isinstance(doi, str) and reference.doi) or (isinstance(pmid, str) and reference.pmid)
    )
    if reference.title and not _same_title(title, reference.title, cut=shared):
        return f'its title "{shown(title)}" is not the reference\'s "{shown(reference.title)}"'
    line = reference.citation_text
    if not (reference.title or shared) and line and _letters(title) not in _letters(line):
        return f'its title "{shown(title)}" is not in the reference\'s line'
    return None


def _same_title(one: str, other: str, *, cut: bool = False) -> bool:
    """Whether two titles are one, their letters compared (`_letters`), the one perhaps
    without the other's subtitle (BibLaTeX's `title` beside its `subtitle`, a list that
    cut it): "GRADE guidelines 26" and "GRADE guidelines 26: informative statements...".
    With `cut` (the record shares an identifier with the reference), the one may be the
    other cut short anywhere after its fifth word, as a list shortens a long title."""
    if _letters(one) == _letters(other):
        return True
    short, long = sorted((one, other), key=len)
    proper = _SUBTITLE.split(long, maxsplit=1)[0]
    if proper != long and _letters(proper) == _letters(short):
        return True
    return cut and len(short.split()) > _CUT_AFTER and _letters(long).startswith(_letters(short))


_CUT_AFTER = 5  # words


# Where a title proper ends and its subtitle starts.
_SUBTITLE = re.compile(r"\s*[:.?!]\s+")
# Markup a title may carry (CSL's rich text, `<i>BMJ</i>`), and "&" for "and".
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_AND = re.compile(r"\s*&\s*")


def _letters(text: str) -> str:
    """`text`'s letters and digits, lowercased and without accents, markup, entities or
    "&" for "and": "GRADE: An Emerging Consensus." and "grade: an emerging consensus"
    are one title, and so are "Pain Medicine &amp; the Society" and "... and the ..."."""
    plain = _AND.sub(" and ", html.unescape(_TAG.sub("", text)))
    decomposed = unicodedata.normalize("NFKD", plain.casefold())
    return "".join(char for char in decomposed if char.isalnum())


def record_faults(fields: dict[str, Any]) -> list[str]:
    """What `ekb check` would say of a reference with these bibliographic `fields`."""
    checker = TableChecker()
    doc = Located("", {})
    values = checker.fields(doc, "reference", 0, fields, RECORD_FIELDS, check_unknown=False)
    if values is not None:
        check_record(checker, doc, 0, values)
    return [problem.message for problem in checker.problems]


def _merge(row: MutableMapping[str, Any], record: Record, replace: bool) -> list[Change]:
    """Change `row` in place by what `record` adds; every difference as a Change."""
    changes = []
    for key in REFERENCE_FIELD_NAMES:
        if key not in record.fields or key == "citation_text":  # the summary's, not theirs
            continue
        new, old = record.fields[key], row.get(key)
        if old is None and _implied(key, {**record.fields, **row}, new):
            continue
        if old is None:
            row[key] = new
            changes.append(Change(row["number"], key, None, new, True))
        elif not _same(key, old, new):
            if replace:
                row[key] = new
            changes.append(Change(row["number"], key, old, new, replace))
    return changes


# Reference types a file's type cannot tell apart: CSL-JSON, RIS and BibTeX have one
# type for articles, reviews and guidelines a journal published, and `ekb export`
# writes a guideline without a journal as a report, which reads back as "other". The
# kb's more exact type is then the same type, not a difference to report or replace.
_STANDS_FOR = {"journal-article": ("review", "guideline"), "other": ("guideline",)}


def _same(key: str, old: Any, new: Any) -> bool:
    if key == "doi":
        return bool(doi_key(old) == doi_key(new))
    if key == "type" and old in _STANDS_FOR.get(new, ()):
        return True
    if key == "pages" and isinstance(old, str) and isinstance(new, str):
        # A range written short ("924-6", as MEDLINE writes it) is the range read whole.
        return full_range(_spaced(old)) == full_range(_spaced(new))
    return bool(_spaced(old) == _spaced(new))


def _spaced(value: Any) -> Any:
    """`value` with each text's runs of white space as one space: every reader folds a
    file's wrapped or doubled spaces so (refmanager.py), and the same title spaced
    otherwise in kb/ is the same title, so an export read back changes nothing."""
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, list):
        return [_spaced(item) for item in value]
    return value


def _implied(key: str, row: Mapping[str, Any], new: Any) -> bool:
    """Whether `new` only says what the reference already implies: the type a work
    with no type is exported as (an article of its journal, else "other"), so that
    importing an export adds nothing."""
    return key == "type" and new == ("journal-article" if row.get("journal") else "other")


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return f'"{value}"' if isinstance(value, str) else str(value)
