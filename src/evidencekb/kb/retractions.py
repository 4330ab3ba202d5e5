"""`ekb refs retractions`: record the editorial notices Retraction Watch lists on
the works a topic cites.

Retraction Watch's CSV, as Crossref publishes it, has one row per notice (Record ID,
Title, ..., RetractionDate, RetractionDOI, RetractionPubMedID, OriginalPaperDate,
OriginalPaperDOI, OriginalPaperPubMedID, RetractionNature, Reason, Paywalled, Notes),
dates like `6/5/2020 0:00`, reasons like `+Falsification/Fabrication of Data;+...;`,
and `Unavailable` or `0` where an identifier is missing. Rows are read one at a time
(the csv module, strict about quotes: a quote left open must not join rows unseen)
and matched to references by the original paper's DOI (compared without case, a
doi.org link or `doi:` prefix taken off; each of a cell that lists several) or PMID.
Each notice records the work it matched (its DOI and PMID as the file writes them),
which `ekb check` holds to the reference it is filed under. A row that matches a
reference by one identifier and gives another DOI or PMID than the reference's may be
about another work: it is not recorded but reported (`Conflict`). Each topic's notices.toml
is then written whole, in a fixed order, checked first as
`ekb check` would and replaced all at once: running the command twice changes nothing.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

import tomli_w

from evidencekb.atomic import replace_file, writes_kb
from evidencekb.errors import KBError, failure_reason
from evidencekb.identifiers import bare_doi, doi_key, is_doi, is_pmid
from evidencekb.kb.dates import ISO_DATE
from evidencekb.kb.exporter import select_topics
from evidencekb.kb.files import KbTree, scan_kb
from evidencekb.kb.load import check_edits, load_kb
from evidencekb.kb.text import shown
from evidencekb.model import Notice, Topic, notice_order
from evidencekb.names import NOTICE_NATURES
from evidencekb.paths import NOTICES_FILE, TOPICS_DIR
from evidencekb.reading import NotReadable, open_within
from evidencekb.terminal import plural

# Retraction Watch's whole database is some 50 MB; a file many times that is not it.
MAX_CSV_BYTES = 1 << 30
COLUMNS = (
    "Record ID",
    "RetractionDate",
    "RetractionDOI",
    "RetractionPubMedID",
    "OriginalPaperDOI",
    "OriginalPaperPubMedID",
    "RetractionNature",
    "Reason",
)
MISSING = ("", "unavailable", "0", "na", "n/a")  # how the file says "no identifier"
_US_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})(?:\s+[0-9:]+(?:\s*[AaPp][Mm])?)?")
_ISO_STAMP = re.compile(
    rf"({ISO_DATE})(?:[ T][0-9]{{2}}:[0-9]{{2}}(?::[0-9]{{2}}(?:\.[0-9]+)?)?"
    r"(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?"
)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # what the csv module counts as a line
# Where a line ends within a piece of the file read up to "\n": after a lone "\r".
_AFTER_LONE_CR = re.compile(rb"(?<=\r)(?!\n)")
_NATURES = {label.casefold(): key for key, label in NOTICE_NATURES.items()}
HEADER_COMMENT = (
    "# Editorial notices on the works this topic cites, by reference number and the\n"
    "# work's DOI or PMID (work_doi, work_pmid), which `ekb check` holds to each other.\n"
    "# Written by `ekb refs retractions` from Retraction Watch's data; see kb/README.md.\n"
)


@dataclass(frozen=True)
class Found:
    """One notice of the file on one reference of the kb."""

    topic: str
    number: int
    notice: Notice
    new: bool  # False: notices.toml records it already

    def describe(self) -> str:
        n = self.notice
        verb = "add" if self.new else "keep"
        record = f" (Retraction Watch record {n.record_id})" if n.record_id else ""
        return f"{self.topic} reference {self.number}: {verb} {n.nature_label} of {n.date}{record}"


@dataclass(frozen=True)
class Conflict:
    """A row that matches a reference by one identifier of the original paper and gives
    the other (DOI or PMID) unlike the reference's: it may be about another work (a
    slip in the file or in references.toml), so it is reported, never recorded."""

    where: str  # the row's file:line
    record: str  # its Record ID as the file writes it ("" where it gives none)
    place: Place
    matched: tuple[str, str]  # ("PMID", "9500320"): what matched, as the file writes it
    given: tuple[str, str]  # ("DOI", "10.1016/..."): the other, as the file writes it
    own: str  # the reference's own of that other identifier, as references.toml has it

    def describe(self) -> str:
        topic, number = self.place
        record = f"Record ID {self.record}" if self.record else "no Record ID"
        (kind, value), (other, given) = self.matched, self.given
        return (
            f"Conflict: {self.where} ({shown(record)}) gives {kind} {shown(value)}, {topic} "
            f"reference {number}'s, but {other} {shown(given)}, not reference {number}'s "
            f"({self.own}): not recorded, as it may be about another work"
        )


@dataclass(frozen=True)
class RetractionsResult:
    found: tuple[Found, ...]
    written: tuple[Path, ...]
    conflicts: tuple[Conflict, ...] = ()

    def closing(self, source: Path) -> list[str]:
        """The lines that end the command's report: conflicts left unrecorded, then
        what changed."""
        lines = []
        if self.conflicts:
            conflicts = plural(len(self.conflicts), "conflict")
            lines.append(
                f"Not recorded: {conflicts}; check each row against the reference it names."
            )
        added = sum(found.new for found in self.found)
        if not self.found:
            if not self.conflicts:  # a file whose every match conflicts has said so above
                lines.append(f"Nothing to change: no notice in {source} is on a work the kb cites.")
        elif not self.written:
            matched = plural(len(self.found), "notice")
            lines.append(f"Nothing to change: {matched} on the kb's works, all recorded already.")
        elif added:
            lines.append(f"{plural(added, 'notice')} recorded.")
        return lines


@writes_kb
def record_retractions(kb_dir: Path, source: Path, slug: str | None = None) -> RetractionsResult:
    """Match the notices of `source` to the references of `kb_dir` (of topic `slug`
    only, if given) and write each topic's notices.toml that gains one."""
    kb = load_kb(kb_dir)  # a kb that does not pass `ekb check` is not changed
    topics = select_topics(kb, slug)
    by_doi, by_pmid = identifier_places(topics)
    found: dict[tuple[str, int], dict[tuple[str, str, int | None], Notice]] = {}
    conflicts: list[Conflict] = []
    for item in read_notices(source, by_doi, by_pmid):
        if isinstance(item, Conflict):
            conflicts.append(_spelled(item, topics))
            continue
        places, notice = item
        for place in places:
            found.setdefault(place, {})[_key(notice)] = notice
    results: list[Found] = []
    written: list[Path] = []
    tree = scan_kb(kb_dir)
    for topic in topics:
        changed, reports = _merge(topic, found)
        results += reports
        if changed:
            written.append(_write(kb_dir, tree, topic.slug, changed, source))
    return RetractionsResult(tuple(results), tuple(written), tuple(conflicts))


def _spelled(conflict: Conflict, topics: tuple[Topic, ...]) -> Conflict:
    """`conflict` naming the reference's identifier as references.toml writes it (the
    file is read with DOIs in the form they are compared in)."""
    slug, number = conflict.place
    topic = next(topic for topic in topics if topic.slug == slug)
    reference = next(ref for ref in topic.references if ref.number == number)
    own = reference.doi if conflict.given[0] == "DOI" else reference.pmid
    return replace(conflict, own=own or conflict.own)


Place = tuple[str, int]  # (topic slug, reference number)
Places = dict[str, list[Place]]


def identifier_places(topics: tuple[Topic, ...]) -> tuple[Places, Places]:
    by_doi: Places = {}
    by_pmid: Places = {}
    for topic in topics:
        for ref in topic.references:
            if ref.doi:
                by_doi.setdefault(doi_key(ref.doi), []).append((topic.slug, ref.number))
            if ref.pmid:
                by_pmid.setdefault(ref.pmid, []).append((topic.slug, ref.number))
    return by_doi, by_pmid


def _key(notice: Notice) -> tuple[str, str, int | None]:
    return (notice.nature, notice.date, notice.record_id)


Matched = tuple[tuple[Place, ...], Notice]


def read_notices(source: Path, dois: Places, pmids: Places) -> Iterator[Matched | Conflict]:
    """(the places of the works it is on, notice) for each row of `source` about a
    work whose DOI key is in `dois` or PMID in `pmids`, and a `Conflict` for each place
    a row matches by one identifier and contradicts by the other; other rows are only
    scanned."""
    name = shown(str(source))
    try:
        file = open_within(source, MAX_CSV_BYTES)
    except NotReadable as error:
        raise KBError(f"{name} {error.reason}") from None
    with file:
        yield from _matched(_lines(file, name), name, dois, pmids)


def _lines(file: BinaryIO, name: str) -> Iterator[str]:
    """The file's lines, each with its line break as the csv module wants them, decoded
    one at a time: the file is streamed, never held whole (it is tens of MB), and a byte
    that is not UTF-8 is named at its own line. No byte of a UTF-8 sequence is a line
    break, so line by line decodes the text the whole file would."""
    number = 0
    for piece in file:
        for line in _AFTER_LONE_CR.split(piece):
            if not line:
                continue  # after a lone carriage return that ends the file
            number += 1
            try:
                yield line.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as error:
                raise KBError(f"{name}:{number}: not UTF-8 text ({error.reason})") from None


def _matched(
    lines: Iterator[str], name: str, dois: Places, pmids: Places
) -> Iterator[Matched | Conflict]:
    """What `read_notices` yields, from the file's lines (the csv module strict about
    quotes: a quote left open must not join rows unseen)."""
    rows = csv.reader(lines, strict=True)
    try:
        header = [column.strip() for column in next(rows, [])]
        missing = [column for column in COLUMNS if column not in header]
        if missing:
            raise KBError(
                f"{name}:1: not a Retraction Watch CSV: no column {', '.join(missing)} "
                f"(it needs {', '.join(COLUMNS)})"
            )
        at = {column: header.index(column) for column in COLUMNS}
        owners = _owners(dois), _owners(pmids)
        end = rows.line_num
        for row in rows:
            start, end = end + 1, rows.line_num  # a quoted field may hold line breaks
            if not any(cell.strip() for cell in row):
                continue
            _fit(row, header, f"{name}:{start}")
            places = _places(row, at, dois, pmids)
            if places:
                yield from _sorted_out(_Row(name, start, row), at, places, owners)
    except csv.Error as error:
        raise KBError(f"{name}:{rows.line_num}: not CSV ({error})") from None


WorkIds = tuple[str | None, str | None]  # the original paper's DOI and PMID that matched


def _places(
    row: list[str], at: dict[str, int], dois: Places, pmids: Places
) -> dict[Place, WorkIds]:
    """The places of the works the row is on, by any DOI or PMID of the original paper,
    each with the DOI and PMID (as the file writes them) it matched by."""
    found: dict[Place, WorkIds] = {}
    for doi in _dois(row[at["OriginalPaperDOI"]]):
        for place in dois.get(doi_key(doi), ()):
            matched, _ = found.get(place, (None, None))
            found[place] = (matched or doi, None)
    for pmid in _pmids(row[at["OriginalPaperPubMedID"]]):
        for place in pmids.get(pmid, ()):
            by_doi, matched = found.get(place, (None, None))
            found[place] = (by_doi, matched or pmid)
    return found


def _owners(places: Places) -> dict[Place, str]:
    """Each place's identifier (a DOI key or PMID): what a row's other identifier is
    compared with."""
    return {place: key for key, found in places.items() for place in found}


def _sorted_out(
    row: _Row,
    at: dict[str, int],
    places: dict[Place, WorkIds],
    owners: tuple[dict[Place, str], dict[Place, str]],
) -> Iterator[Matched | Conflict]:
    """The row's conflicts (by reference), then its notice on the places it matched
    without one."""
    conflicts = [
        conflict
        for place, ids in sorted(places.items())
        if (conflict := _conflict(row, at, place, ids, owners)) is not None
    ]
    yield from conflicts
    clashed = {conflict.place for conflict in conflicts}
    kept = {place: ids for place, ids in places.items() if place not in clashed}
    if kept:
        yield from _by_work(kept, _notice(row.cells, at, row))


def _conflict(
    row: _Row,
    at: dict[str, int],
    place: Place,
    ids: WorkIds,
    owners: tuple[dict[Place, str], dict[Place, str]],
) -> Conflict | None:
    """A conflict where the row matched `place` by one identifier and gives the other
    unlike the reference's. A row or reference without the other is none: there is
    nothing to compare."""
    doi_cell, pmid_cell = row.cells[at["OriginalPaperDOI"]], row.cells[at["OriginalPaperPubMedID"]]
    (by_doi, by_pmid), (own_doi, own_pmid) = ids, (owners[0].get(place), owners[1].get(place))
    dois, pmids = _dois(doi_cell), _pmids(pmid_cell)
    record = row.cells[at["Record ID"]].strip()
    record = "" if record.casefold() in MISSING else record
    where = f"{row.name}:{row.start}"
    if by_doi is None and by_pmid and own_doi and dois and own_doi not in map(doi_key, dois):
        given = ("DOI", doi_cell.strip())
        return Conflict(where, record, place, ("PMID", by_pmid), given, own_doi)
    if by_pmid is None and by_doi and own_pmid and pmids and own_pmid not in pmids:
        given = ("PMID", pmid_cell.strip())
        return Conflict(where, record, place, ("DOI", by_doi), given, own_pmid)
    return None


def _by_work(
    places: dict[Place, WorkIds], notice: Notice
) -> Iterator[tuple[tuple[Place, ...], Notice]]:
    """The row's notice for the places of each work it matched, recording that work
    (notices.toml's work_doi and work_pmid): what `ekb check` holds it to, so that it
    never follows a reference number to another work."""
    works: dict[WorkIds, list[Place]] = {}
    for place, ids in places.items():
        works.setdefault(ids, []).append(place)
    for (doi, pmid), found in works.items():
        yield tuple(found), replace(notice, work_doi=doi, work_pmid=pmid)


def _fit(row: list[str], header: list[str], where: str) -> None:
    """Make `row` as long as the header: a row may leave off the header's last cell
    (its trailing comma names no column, and a writer may drop a last empty cell), never
    more; a row longer than the header may only end in empty cells. Anything else is a
    row out of step with its columns, read from the wrong ones if it went on."""
    short = len(header) - len(row)
    if short > 1 or (short < 0 and any(cell.strip() for cell in row[len(header) :])):
        raise KBError(
            f"{where}: {len(row)} fields, but the header has {len(header)}; is a quote left open?"
        )
    row.extend([""] * short)


@dataclass(frozen=True)
class _Row:
    """Where a row stands in the file, to name the line of each of its cells."""

    name: str
    start: int  # the line the row starts on
    cells: list[str]

    def at(self, column: int) -> str:
        """`file:line` of the cell in `column`: a quoted cell before it may hold line
        breaks, each moving it a line down."""
        breaks = sum(len(_LINE_BREAK.findall(cell)) for cell in self.cells[:column])
        return f"{self.name}:{self.start + breaks}"


# What stands between the identifiers of a cell that lists several.
_LIST_SEPARATORS = re.compile(r"[;,|\s]+")


def _identifiers(
    cell: str, valid: Callable[[str], bool], bare: Callable[[str], str]
) -> tuple[str, ...]:
    """The identifiers a cell holds (`bare` takes off what may be written before one):
    the cell's text if it is one; several, if it lists them apart (each part one), as
    a record of a work published twice may; none where the file writes "missing". A
    part that is not one makes the cell one identifier or none: old Wiley DOIs hold
    ";" of their own."""
    text = cell.strip()
    parts = [bare(part) for part in _LIST_SEPARATORS.split(text) if part]
    if len(parts) > 1 and all(valid(part) for part in parts):
        return tuple(dict.fromkeys(parts))
    whole = bare(text)
    return (whole,) if whole.casefold() not in MISSING and valid(whole) else ()


def _dois(cell: str) -> tuple[str, ...]:
    """The DOIs a cell holds, a doi.org link or `doi:` prefix taken off."""
    return _identifiers(cell, is_doi, bare_doi)


def _pmids(cell: str) -> tuple[str, ...]:
    return _identifiers(cell, is_pmid, str.strip)


# The digits a Record ID may have: kb/ keeps it as a TOML integer, 64-bit.
_RECORD_DIGITS = 18


def _notice(row: list[str], at: dict[str, int], where: _Row) -> Notice:
    nature_text = row[at["RetractionNature"]].strip()
    nature = _NATURES.get(nature_text.casefold())
    if nature is None:
        allowed = ", ".join(NOTICE_NATURES.values())
        raise KBError(
            f"{where.at(at['RetractionNature'])}: unknown RetractionNature "
            f"'{shown(nature_text)}'; known: {allowed}"
        )
    record = row[at["Record ID"]].strip()
    if record.casefold() in MISSING:
        record_id = None
    elif record.isascii() and record.isdigit() and len(record) <= _RECORD_DIGITS and int(record):
        record_id = int(record)
    else:
        raise KBError(
            f"{where.at(at['Record ID'])}: Record ID '{shown(record)}' is not a whole number "
            f"above 0 of at most {_RECORD_DIGITS} digits"
        )
    return Notice(
        nature=nature,
        date=_date(row[at["RetractionDate"]], where.at(at["RetractionDate"])),
        doi=next(iter(_dois(row[at["RetractionDOI"]])), None),  # the first, if it lists several
        pmid=next(iter(_pmids(row[at["RetractionPubMedID"]])), None),
        reasons=reasons(row[at["Reason"]]),
        record_id=record_id,
    )


def _date(cell: str, where: str) -> str:
    """`6/5/2020 0:00` (month/day/year, as the file writes it) -> "2020-06-05". A date
    after today is no notice's (it would stand first in What's new for years): refused,
    with a day's grace for a date written where the day has already begun."""
    import datetime

    try:
        if match := _US_DATE.fullmatch(cell.strip()):
            month, day, year = (int(group) for group in match.groups())
            date = datetime.date(year, month, day)
        elif match := _ISO_STAMP.fullmatch(cell.strip()):  # as a spreadsheet may save it
            date = datetime.date.fromisoformat(match.group(1))
        else:
            raise ValueError(cell)
    except ValueError:
        raise KBError(
            f"{where}: RetractionDate '{shown(cell)}' is not a date like 6/5/2020 0:00"
        ) from None
    today = datetime.date.today()
    if date > today + datetime.timedelta(days=1):
        raise KBError(
            f"{where}: RetractionDate '{shown(cell)}' is after today ({today.isoformat()}); "
            "a notice is dated the day it was published"
        )
    return date.isoformat()


def reasons(cell: str) -> tuple[str, ...]:
    """`+Falsification/Fabrication of Data;+Investigation by Journal/Publisher;` -> each
    reason as written, without its "+" and the separators, each once."""
    found = (part.strip().removeprefix("+").strip() for part in cell.split(";"))
    return tuple(dict.fromkeys(reason for reason in found if reason))


def _merge(
    topic: Topic, found: dict[Place, dict[tuple[str, str, int | None], Notice]]
) -> tuple[dict[int, tuple[Notice, ...]] | None, list[Found]]:
    """Each reference's notices with the file's added (None: nothing to add), and a
    report of every notice the file has on the topic's works."""
    reports: list[Found] = []
    merged: dict[int, tuple[Notice, ...]] = {}
    added = False
    for ref in topic.references:
        known = {_key(n): n for n in ref.notices}
        new = found.get((topic.slug, ref.number), {})
        for key, notice in sorted(new.items(), key=lambda item: notice_order(item[1])):
            fresh = key not in known
            reports.append(Found(topic.slug, ref.number, notice, fresh))
            if fresh:
                known[key] = notice
                added = True
        if known:
            merged[ref.number] = tuple(sorted(known.values(), key=notice_order))
    return (merged if added else None), reports


def notices_toml(notices: dict[int, tuple[Notice, ...]]) -> str:
    """notices.toml, in reference then date order."""
    tables = [_table(number, notice) for number in sorted(notices) for notice in notices[number]]
    return HEADER_COMMENT + "\n" + tomli_w.dumps({"notice": tables})


def _table(number: int, notice: Notice) -> dict[str, object]:
    work = {"work_doi": notice.work_doi, "work_pmid": notice.work_pmid}
    table: dict[str, object] = {"reference": number}
    table.update({key: value for key, value in work.items() if value is not None})
    table.update(nature=notice.nature_label, date=notice.date)
    optional = {"doi": notice.doi, "pmid": notice.pmid, "record_id": notice.record_id}
    table.update({key: value for key, value in optional.items() if value is not None})
    if notice.reasons:
        table["reasons"] = list(notice.reasons)
    return table


def _write(
    kb_dir: Path, tree: KbTree, slug: str, notices: dict[int, tuple[Notice, ...]], source: Path
) -> Path:
    folder = f"{TOPICS_DIR}/{slug}"
    text = notices_toml(notices).encode("utf-8")
    check_edits(tree, {f"{folder}/{NOTICES_FILE}": text}, f"{shown(str(source))}: nothing recorded")
    path = kb_dir / folder / NOTICES_FILE
    try:
        replace_file(path, text)
    except OSError as error:
        raise KBError(f"cannot write {path}: {failure_reason(error)}") from None
    return path
