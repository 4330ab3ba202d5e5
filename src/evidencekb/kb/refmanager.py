"""Records from reference managers, as reference fields: RIS, BibTeX, CSL-JSON, MEDLINE.

Each format is read by a well-kept parser (rispy for RIS, bibtexparser for
BibTeX, the standard json module for CSL-JSON, Biopython's Bio.Medline for
PubMed's MEDLINE/.nbib export), then mapped onto the fields of a reference
(kb/bibliography.py). Authors become "Family Initials", the form PubMed and
Vancouver use. A record may name its citation number: CSL-JSON's
`citation-number`, or a RIS `ID` or BibTeX key that is a number or the topic's
`<topic>-<number>` (as `ekb export` names works); otherwise records match the
topic's cited numbers in order.

rispy reads a RIS file line by line and never complains: a misspaced `ER -` becomes
part of the title, a record without `ER` merges into the next or is dropped, a tag
given twice keeps its first value. So the file's layout is checked first
(`_ris_layout`), and a line rispy would misread is refused by its number. A field
given by two tags the reader takes it from (TI and T1, AU and A1, PY and Y1) is read
once if they say the same, and refused at the line of the second if they differ:
neither is dropped without a word. A journal is the exception: its tags are its
spellings (JF its full name, a periodical's T2 its title, JO its full or abbreviated
name, "BMJ (Clinical research ed.)" and "BMJ"), and the fullest given is read. Pages
are read as MEDLINE's are (`full_range`), from SP and EP or from a range in SP
("924-6", as EndNote exports PubMed's records); an EP beside such a range is its last
page again, or refused at its line.

The file is read as kb/ files are (kb/files.py): a regular file of sensible size,
never a FIFO or a device, so a careless path cannot hang the command. A parser that
fails on what it is given (a number past Python's 4,300-digit limit, JSON nested
thousands deep, a broken entry) fails the whole file with one message; a parser's own
warnings are kept off the terminal. The values are taken as the file gives them: a
value of the wrong kind (an object where text belongs) is reported by the import's
check, never written.
"""

from __future__ import annotations

import json
import logging
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidencekb.errors import KBError, Problem, problems_error
from evidencekb.identifiers import bare_doi, is_pmcid, is_pmid
from evidencekb.kb.jsontext import load_json
from evidencekb.kb.text import shown
from evidencekb.reading import NotReadable, read_regular
from evidencekb.registry import INTERCHANGE_SEPARATOR, ReferenceField, named_in
from evidencekb.terminal import CONTROL_CODES

if TYPE_CHECKING:
    from bibtexparser.model import Entry

# Reference-manager exports run to a few megabytes for thousands of records.
MAX_REFERENCE_FILE_BYTES = 20_000_000

FORMATS: dict[str, str] = {
    ".ris": "ris",
    ".bib": "bibtex",
    ".json": "csl-json",
    ".nbib": "medline",
    ".medline": "medline",
}


# What a format's reader gives of each record: the number it names (as written, if
# any), its fields, and the line it starts on.
Read = tuple[Any, dict[str, Any], int]


@dataclass(frozen=True)
class Record:
    position: int  # 1-based order in the file
    line: int  # the line of the file it starts on
    number: int | None  # the citation number the record names, if any (`_number`)
    fields: dict[str, Any]  # reference fields the record gives, none empty


# What each format's records look like, for a file in which none is found.
_ALLOWED = {
    "ris": "a RIS record runs from a 'TY  - ' line to an 'ER  - ' line",
    "bibtex": "a BibTeX entry starts with @ and its type, like '@article{2,'",
    "csl-json": 'CSL-JSON is a list of items, like [{"citation-number": 2, "title": "..."}]',
    "medline": "a MEDLINE record starts with a 'PMID- ' line",
}


class LineFaults(ValueError):
    """What is wrong with a file, line by line: (line number, what is wrong; what is allowed)."""

    def __init__(self, faults: list[tuple[int, str]]) -> None:
        super().__init__(faults[0][1])
        self.faults = faults


# Exports saved as plain text, by the first line that starts a record: PubMed's
# "PubMed format" file (pubmed-...-set.txt) and EndNote's RIS output style write .txt.
# Lines before it are what the format's reader passes over: a publisher's RIS header
# ("Provider: ..."), JabRef's "% Encoding: UTF-8". CSL-JSON is JSON from its first
# character: a list of items or one item.
TEXT_SUFFIX = ".txt"
_RECORD_STARTS = {
    "medline": re.compile(r"PMID- "),
    "ris": re.compile(r"TY  - "),
    "bibtex": re.compile(r"@\s*[A-Za-z]+\s*[{(]"),
}
_CSL_JSON_START = re.compile(r"\s*(?:\[\s*(?:\{|\]|\Z)|\{)")


def read_records(path: Path, topic: str | None = None) -> tuple[Record, ...]:
    """Every record of a reference-manager file; its format from its extension, or
    for a .txt export from its first line. A record names a citation number by a bare
    number or `<topic>-<number>`."""
    suffix = path.suffix.lower()
    fmt = FORMATS.get(suffix)
    if fmt is None and suffix != TEXT_SUFFIX:
        raise KBError(
            f"{path}: unknown reference file type '{path.suffix}'; allowed: "
            ".ris (RIS), .bib (BibTeX), .json (CSL-JSON), .nbib or .medline (PubMed MEDLINE), "
            ".txt holding one of these"
        )
    name = shown(str(path))
    try:
        text = read_regular(path, limit=MAX_REFERENCE_FILE_BYTES).decode("utf-8-sig")
    except NotReadable as error:
        if not path.exists() and not path.is_symlink():
            raise KBError(f"{name}: file not found") from None
        raise KBError(f"{name}: {error.reason}") from None
    except UnicodeDecodeError:
        raise KBError(f"{name}: not UTF-8 text; export it as UTF-8 and try again") from None
    fmt = fmt or _format_of_text(name, text)
    readers: dict[str, Callable[[str], list[Read]]] = {
        "ris": _ris,
        "bibtex": _bibtex,
        "csl-json": _csl_json,
        "medline": _medline,
    }
    try:
        with _quiet():
            raw = readers[fmt](text)
    except RecursionError:
        raise KBError(f"{name}: not a readable {fmt} file (nested too deeply)") from None
    except LineFaults as error:
        raise problems_error([Problem(name, line, what) for line, what in error.faults]) from None
    except Exception as error:  # a third-party parser's failure on this file, whatever its kind
        reason = shown(str(error).splitlines()[0] if str(error) else type(error).__name__)
        raise KBError(f"{name}: not a readable {fmt} file ({reason})") from None
    if not raw:
        raise KBError(f"{name}: no records found; {_ALLOWED[fmt]}")
    return tuple(
        Record(position, line, _number(own, topic), _non_empty(fields))
        for position, (own, fields, line) in enumerate(raw, start=1)
    )


def _format_of_text(name: str, text: str) -> str:
    """The format of a .txt export: the first line that starts a record says it."""
    if _CSL_JSON_START.match(text):
        return "csl-json"
    lines = text.split("\n")  # as the readers count lines
    for line in lines:
        for fmt, pattern in _RECORD_STARTS.items():
            if pattern.match(line):
                return fmt
    number = next((n for n, line in enumerate(lines, 1) if line.strip()), 1)
    raise KBError(
        f"{name}:{number}: no line of this .txt file starts a record of a reference "
        "export: a MEDLINE record starts with 'PMID- ', a RIS record with 'TY  - ', a "
        "BibTeX entry with @ and its type ('@article{'), CSL-JSON with '[' or '{'"
    )


@contextmanager
def _quiet() -> Iterator[None]:
    """Keep the parsers' warnings (Python warnings, log records) off the terminal:
    what matters reaches the user as one message."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.disable(logging.CRITICAL)
        try:
            yield
        finally:
            logging.disable(logging.NOTSET)


def author_name(family: str, given: str = "", suffix: str = "") -> str:
    """'Cohen', 'Steven P.' -> 'Cohen SP'; with a suffix 'Jr.' -> 'Cohen SP Jr', as
    MEDLINE writes one. A name without given names, or with only given names ('Plato'),
    stays whole; so do given names in a script without capitals ('太郎'): they have no
    initials, and their first character is not one."""
    family, given, suffix = family.strip(), given.strip(), suffix.strip().rstrip(".")
    parts = [part for part in re.split(r"[\s.\-]+", given) if part]
    if family and all(part[0].lower() != part[0].upper() for part in parts):
        given = "".join(part[0].upper() for part in parts)
    return " ".join(part for part in (family, given, suffix) if part)


# White space a wrapped value holds, folded to one space; control characters
# (U+001C-U+001F are white space to str.split) stay, for the check to refuse.
_SPACES = re.compile(rf"(?:[\t\n\r]|(?![{CONTROL_CODES}])\s)+")


def _folded(value: Any) -> Any:
    """A text as one line (a wrapped title is one line); any other value as it is."""
    return _SPACES.sub(" ", value).strip(" ") if isinstance(value, str) else value


def _non_empty(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields that hold something. An empty item of a list (`AU  - ` with no name,
    a CSL name of empty parts) names no one, as an empty field says nothing."""
    kept: dict[str, Any] = {}
    for key, value in fields.items():
        value = _folded(value)
        if isinstance(value, list):
            value = [item for item in value if not isinstance(item, str) or item.strip()]
        if value not in (None, "", []):
            kept[key] = value
    return kept


# A whole number as a record writes one, of no more digits than a kb/ integer holds
# (TOML's are 64-bit): a longer run of digits is text, for the check to refuse.
_WHOLE = "[0-9]{1,18}"


def _number(own: Any, topic: str | None) -> int | None:
    """The citation number a record's own name gives: "2", or "<topic>-2" for this
    topic, as `ekb export` names works (refexport.work_id). Any other name (another
    topic's "other-topic-2", a key like "guyatt-2008") names none."""
    text = _text(own)
    if not isinstance(text, str):
        return None
    text = text.strip()
    if topic is not None:
        text = text.removeprefix(f"{topic}-")
    return int(text) if re.fullmatch(_WHOLE, text) and int(text) >= 1 else None


def _year(value: Any) -> Any:
    """A year is four digits, alone or starting a date (RIS "2018/05/01/", MEDLINE
    "2018 May"). Anything else (20180, "in press") is returned as it is, a number as
    one, for the check to refuse: never cut to its first four digits."""
    text = _text(value)
    if text is None or text == "":
        return None
    if isinstance(text, str) and (match := re.fullmatch(r"\s*([0-9]{4})(?:[^0-9].*)?", text, re.S)):
        return int(match.group(1))
    return int(text) if isinstance(text, str) and re.fullmatch(_WHOLE, text) else value


def _pages(value: Any) -> Any:
    """A page range with one hyphen (BibTeX writes "--", LaTeX decoding an en dash),
    its last page written whole: every format may hold PubMed's "924-6" (Zotero and
    Mendeley keep it), and one work read from two files has one page range."""
    if not isinstance(value, str):
        return _text(value)
    return full_range(re.sub(r"\s*(?:-{1,2}|\u2013)\s*", "-", value).strip() or None)


def full_range(pages: str | None) -> str | None:
    """MEDLINE shortens a range's last page ("924-6"); write it whole ("924-926"). A
    range that cannot be so shortened (its last page written whole would not come
    after the first: "924-4", "929-6") is kept as the source gives it."""
    match = re.fullmatch(r"(\d+)-(\d+)", pages or "")
    if match is None or len(match.group(2)) >= len(match.group(1)):
        return pages
    first, last = match.groups()
    whole = first[: len(first) - len(last)] + last
    return f"{first}-{whole}" if int(whole) > int(first) else pages


# -- RIS ------------------------------------------------------------------------

_RIS_TYPES = {"JOUR": "journal-article", "BOOK": "book", "ELEC": "web-page", "WEB": "web-page"}


# The RIS types whose T2 is a journal; elsewhere T2 is a book's (CHAP) or a
# series' (BOOK) title, which is no journal.
_RIS_PERIODICALS = {"JOUR", "JFULL", "EJOUR", "MGZN", "NEWS", "ABST", "INPR"}


# The tags a field is read from, each with rispy's name for its value. A record may
# give a field by more than one of its tags if they say the same (as read: "Guyatt,
# Gordon H" and "Guyatt, G. H." are both "Guyatt GH"); if they differ, it is refused.
_RIS_FORMS: dict[str, dict[str, str]] = {
    "title": {"TI": "title", "T1": "primary_title"},
    "authors": {"AU": "authors", "A1": "first_authors"},
    "year": {"PY": "year", "Y1": "publication_year"},
    "journal": {"JF": "alternate_title3", "T2": "secondary_title", "JO": "journal_name"},
}
# The fields whose tags are spellings of one value, not claims that could disagree:
# the first given in the order above is read (a journal's full name before JO, which
# many exports fill with its abbreviation), whichever line it is on.
_RIS_SPELLINGS = frozenset({"journal"})


def _ris(text: str) -> list[Read]:
    import rispy

    lines = text.split("\n")  # as rispy splits them, so that line numbers agree
    layouts = _ris_layout(lines)
    # A blank line is read by rispy as a value of its own (an author ""): it holds none.
    entries = rispy.loads("\n".join(line for line in lines if line.strip()))
    assert len(entries) == len(layouts)  # the layout is checked: no record merged
    records, faults = [], []
    for entry, layout in zip(entries, layouts, strict=True):
        kind = entry.get("type_of_reference", "")
        pages, page_faults = _ris_pages(entry, layout)
        faults += page_faults
        given = {name: _ris_forms(entry, layout, name, kind) for name in _RIS_FORMS}
        faults += [
            fault
            for name, forms in given.items()
            if name not in _RIS_SPELLINGS
            for fault in _ris_conflicts(name, forms)
        ]
        fields = {
            "type": _RIS_TYPES.get(kind, "other"),
            **{name: forms[0].value if forms else None for name, forms in given.items()},
            **_named(entry, "ris"),
            "pages": pages,
            "doi": _bare_doi(entry.get("doi")),
            "url": _first(entry.get("urls")),
        }
        notes = [*_as_list(entry.get("notes")), *_ris_pmcid(entry.get("custom2"))]
        records.append((entry.get("id"), _with_note_ids(fields, notes), layout.start))
    if faults:
        raise LineFaults(sorted(faults))
    return records


def _ris_pmcid(custom: Any) -> list[str]:
    """EndNote's PMCID, its field Custom 2 (C2 in RIS, filled by a PubMed import), as a
    line of the record's notes: a note that gives another PMCID leaves it with none
    (`_note_ids`). Other managers put anything in C2: only a PMCID whole is one."""
    value = custom.strip() if isinstance(custom, str) else ""
    return [note_line("pmcid", value)] if is_pmcid(value) else []


def _ris_pages(entry: dict[str, Any], layout: _RisRecord) -> tuple[Any, list[tuple[int, str]]]:
    """The pages SP and EP give, read as MEDLINE's PG is ("SP 924" with "EP 6", or
    "SP 924-6" alone, is "924-926"), and a fault at the EP line if SP holds a range
    that EP does not end: an EP that is its end, as written or whole, adds nothing."""
    start, end = _pages(entry.get("start_page")), _pages(entry.get("end_page"))
    if not (start and end):
        return full_range(start) if start else end, []
    first, dash, _ = start.partition("-")
    if not dash:
        return full_range(f"{start}-{end}"), []
    if full_range(f"{first}-{end}") == full_range(start):
        return full_range(start), []
    written = _shown(_folded(entry["start_page"]))  # as the file gives it, not made whole
    fault = f"the record gives its last page twice, in SP ({written}) and as EP "
    return None, [(layout.seen["EP"], f"{fault}({_shown(end)}); keep one")]


@dataclass(frozen=True)
class _RisForm:
    line: int  # the tag's first line
    tag: str
    value: Any  # as read into the field
    shown: str  # as the message shows it


def _ris_forms(entry: dict[str, Any], layout: _RisRecord, name: str, kind: str) -> list[_RisForm]:
    """The tags by which a record gives field `name`, in file order (a spelling, in
    `_RIS_FORMS`' order), with the value each gives: a T2 only for a periodical's
    journal, an empty value none."""
    forms = []
    for tag, key in _RIS_FORMS[name].items():
        given = entry.get(key)
        if tag not in layout.seen or not given or (tag == "T2" and kind not in _RIS_PERIODICALS):
            continue
        if name == "authors":
            names = [_ris_author(author) for author in given]
            forms.append(_RisForm(layout.seen[tag], tag, names, ", ".join(map(_shown, names))))
        else:
            value = _year(given) if name == "year" else _folded(given)
            forms.append(_RisForm(layout.seen[tag], tag, value, _shown(_folded(given))))
    return forms if name in _RIS_SPELLINGS else sorted(forms, key=lambda form: form.line)


def _ris_conflicts(name: str, forms: list[_RisForm]) -> list[tuple[int, str]]:
    """A fault at the line of each form of field `name` that says otherwise than the
    first."""
    if not forms:
        return []
    first = forms[0]
    return [
        (form.line, f"the record gives its {name} twice, as {first.tag} ({first.shown}) "
         f"and {form.tag} ({form.shown}); keep one")
        for form in forms[1:]
        if form.value != first.value
    ]  # fmt: skip


def _shown(value: str) -> str:
    return f'"{shown(value)}"'


def _ris_author(name: str) -> str:
    """RIS writes a name 'Last, First' or 'Last, First, Suffix'; one of more parts, or
    of one ('GRADE Working Group'), is kept as written."""
    parts = name.split(",")
    return author_name(*parts) if len(parts) in (2, 3) else name.strip()


# Tags rispy keeps one value of (the first): a second is refused, never dropped. Those
# of the fields the registry names in RIS are added (`_ris_once`).
_RIS_ONCE = {"ID", "TI", "T1", "PY", "Y1", "JF", "JO", "T2", "SP", "EP", "DO", "C2"}
_RIS_AUTHORS = {"AU", "A1"}
# A tag line written with other spacing ("ER -", "TY- JOUR"): not RIS, and rispy
# would read it as the value above continued.
_RIS_MISSPACED = re.compile(r"[A-Z][A-Z0-9]\s*-(?:\s|$)")
_TAG_LINE = "a tag line is two capitals, two spaces, a hyphen and a space, like 'TI  - '"
_END = "end each record with 'ER  - '"


def _ris_tag(line: str) -> str | None:
    """The tag of a RIS tag line ('TI  - text'), None for other lines."""
    return line[:2] if _rispy_tag(line) and line[5:6] in " " else None


def _rispy_tag(line: str) -> bool:
    """Whether rispy reads `line` as a tag line: it then takes the value from the
    seventh character on, so 'TI  -Title' would lose its 'T'."""
    return line[2:5] == "  -" and line[:2].isupper() and line[:1].isalpha()


def _misspaced(line: str) -> bool:
    return bool(_RIS_MISSPACED.match(line)) or _rispy_tag(line)


def _ris_layout(lines: list[str]) -> list[_RisRecord]:
    """Each record's layout (the line of each tag); LineFaults for a line rispy would
    misread. Lines outside records are skipped, as rispy skips them, unless they
    look like part of one."""
    faults: list[tuple[int, str]] = []
    records: list[_RisRecord] = []
    record: _RisRecord | None = None
    for number, line in enumerate((line.rstrip("\r") for line in lines), start=1):
        tag = _ris_tag(line)
        if record is None:
            fault = _ris_outside(line, tag)
            if tag == "TY" and fault is None:
                record = _RisRecord(number)
        elif tag == "ER":
            records.append(record)
            record, fault = None, None
        elif tag == "TY":  # read from here as a record of its own, so faults do not pile up
            fault = f"a record starts before the one on line {record.start} ended; {_END}"
            record = _RisRecord(number)
        else:
            fault = record.add(number, line, tag)
        if fault:
            faults.append((number, fault))
    if record is not None:
        cut = "the record starting here has no end (is the file cut off?)"
        faults.append((record.start, f"{cut}; {_END}"))
    if faults:
        raise LineFaults(faults)
    return records


def _ris_outside(line: str, tag: str | None) -> str | None:
    """What is wrong with a line outside any record: one rispy would take for a record's
    start ("TY" misspaced), or a tag line that belongs to a record."""
    if tag == "TY" or not line.strip():
        return None
    if tag is not None or line.startswith("TY") or _misspaced(line):
        return f"{_quoted(line)} stands outside any record; {_ALLOWED['ris']}"
    return None  # a header or note an export writes between records


@dataclass
class _RisRecord:
    start: int  # the line of its TY
    seen: dict[str, int] = field(default_factory=dict)  # tag -> its first line
    last: str = "TY"

    def add(self, number: int, line: str, tag: str | None) -> str | None:
        """Take the record's next line; what is wrong with it, if anything."""
        if tag in _ris_once() and tag in self.seen:
            return (
                f"{tag} is given again (first on line {self.seen[tag]}); RIS gives {tag} "
                "once a record: keep one"
            )
        if tag is not None:
            self.seen.setdefault(tag, number)
            self.last = tag
            return None
        return self._continued(line)

    def _continued(self, line: str) -> str | None:
        """A line that is no tag line continues the value above (a wrapped title), but
        neither the TY line nor an author (rispy would make it another author)."""
        if _misspaced(line):
            return f"{_quoted(line)} is not a RIS tag line; {_TAG_LINE}"
        if not line.strip():
            return None
        if self.last == "TY":
            return f"{_quoted(line)} continues no value; {_TAG_LINE}"
        if self.last in _RIS_AUTHORS:
            return (
                f"{_quoted(line)} would be read as another author; give each author "
                f"a line of its own, like '{self.last}  - Guyatt, Gordon H'"
            )
        return None


@cache
def _ris_once() -> frozenset[str]:
    """The tags rispy keeps one value of: ours, and each tag of a field the registry
    names in RIS (by rispy's name for it) that rispy does not read as a list."""
    import rispy

    named = {name for _, name in named_in("ris")}
    tags = {tag for tag, key in rispy.TAG_KEY_MAPPING.items() if key in named}
    return frozenset(_RIS_ONCE | (tags - set(rispy.LIST_TYPE_TAGS)))


def _quoted(line: str) -> str:
    """A line shown in a message: its start, escaped."""
    short = line if len(line) <= 40 else line[:40] + "..."
    return f"'{shown(short)}'"


# -- BibTeX ---------------------------------------------------------------------

_BIBTEX_TYPES = {"article": "journal-article", "book": "book", "online": "web-page"}
_VERBATIM = {"doi", "url"}


def _bibtex(text: str) -> list[Read]:
    from bibtexparser import middlewares
    from bibtexparser.entrypoint import parse_string
    from bibtexparser.model import DuplicateBlockKeyBlock

    from evidencekb.kb.bibtex import decoder

    library = parse_string(
        text, append_middleware=[middlewares.SeparateCoAuthors(), middlewares.SplitNameParts()]
    )
    if library.failed_blocks:
        block = library.failed_blocks[0]
        line = (block.start_line or 0) + 1
        if isinstance(block, DuplicateBlockKeyBlock):
            raise LineFaults([(line, f"the entry has the key of an earlier one, {block.key}")])
        raise LineFaults(
            [
                (
                    line,
                    "cannot read the BibTeX entry that starts here: check its braces, quotes "
                    "and commas (each field written name = {value},)",
                )
            ]
        )
    faults = [fault for entry in library.entries for fault in _bibtex_bare_words(entry)]
    if faults:
        raise LineFaults(faults)
    latex = decoder()

    def text_of(value: Any) -> Any:
        return latex.latex_to_text(value) if isinstance(value, str) else value

    records = []
    for entry in library.entries:
        raw = {field.key.lower(): field.value for field in entry.fields}
        # LaTeX everywhere but in the address fields, which BibTeX styles print verbatim.
        values = {key: value if key in _VERBATIM else text_of(value) for key, value in raw.items()}
        names = [name for name in raw.get("author") or [] if not _bibtex_et_al(name)]
        authors = [
            author_name(*(text_of(" ".join(part)) for part in (n.von + n.last, n.first, n.jr)))
            for n in names
        ]
        fields = {
            "type": _BIBTEX_TYPES.get(entry.entry_type.lower(), "other"),
            "title": values.get("title"),
            "authors": authors,
            # BibLaTeX (JabRef, Zotero's BibLaTeX) writes a `date` and a `journaltitle`.
            "year": _year(values.get("year") or values.get("date")),
            "journal": values.get("journal") or values.get("journaltitle"),
            **_named(values, "bibtex"),
            **_eprint_pmid(values),
            "pages": _pages(values.get("pages")),
            "doi": _bare_doi(values.get("doi")),
            "url": values.get("url"),
        }
        line = (entry.start_line or 0) + 1
        records.append((entry.key, _with_note_ids(fields, values.get("note")), line))
    return records


# BibTeX's own @strings, the months ("month = apr"), which bibtexparser leaves as written.
_BIBTEX_MONTHS = frozenset({"month"})


def _bibtex_bare_words(entry: Entry) -> list[tuple[int, str]]:
    """A fault at the line of each value that is neither braced, quoted nor a number:
    the name of an @string the file does not define (bibtexparser replaces those it
    defines), or values joined by '#', which bibtexparser leaves as written. Either
    would be read as its own words ("bmj"), a value the record does not give."""
    faults = []
    for given in entry.fields:
        value = given.value
        if not isinstance(value, str):  # an author list, split into names by then
            value = " and ".join(name.merge_first_name_first for name in value)
        if given.enclosing != "no-enclosing" or given.key.lower() in _BIBTEX_MONTHS:
            continue
        if "#" in value:
            why = "joins values with '#', which is not read; write the value whole in braces"
        elif not value[:1].isdigit():
            why = f"'{shown(value)}' is no @string the file defines; write the value in braces"
        else:
            continue
        faults.append((given.start_line + 1, f"{given.key}: {why}, like {given.key} = {{...}}"))
    return faults


# The eprint types that name PubMed: BibLaTeX's manual's, and Better BibTeX's (Zotero).
_PUBMED_EPRINTS = frozenset({"pubmed", "pmid"})


def _eprint_pmid(values: dict[str, Any]) -> dict[str, Any]:
    """The PMID BibLaTeX gives as an eprint of type `pubmed` (its manual's name for
    PubMed) or `pmid` (as Better BibTeX writes it), where no `pmid` field gives one."""
    kind = values.get("eprinttype")
    if values.get("pmid") or not isinstance(kind, str):
        return {}
    if kind.strip().lower() not in _PUBMED_EPRINTS:
        return {}
    return {"pmid": values.get("eprint")}


def _bibtex_et_al(name: Any) -> bool:
    """Whether a name is BibTeX's "and others", its "et al.": no one to list."""
    return bool(name.last == ["others"] and not (name.first or name.von or name.jr))


# -- CSL-JSON -------------------------------------------------------------------

_CSL_TYPES = {"article-journal": "journal-article", "book": "book", "webpage": "web-page"}
# CSL types whose container-title is a book's (or proceedings') title, not a journal.
_CSL_IN_BOOKS = {"chapter", "entry", "entry-dictionary", "entry-encyclopedia", "paper-conference"}
# The CSL-JSON keys an item is read by (with the registry's, `named_in`), and its "id":
# an item holding none of them is not a CSL item.
_CSL_KEYS = frozenset(
    {
        "id", "type", "title", "author", "issued", "container-title", "container-title-short",
        "journalAbbreviation", "page", "DOI", "URL", "note", "citation-number",
    }
)  # fmt: skip
_CSL_SOME = "id, type, title, author, issued, DOI"
# The parts of a CSL name, the particles written before the family name.
_CSL_NAME_PARTS = ("dropping-particle", "non-dropping-particle", "family", "given", "suffix")


def _csl_json(text: str) -> list[Read]:
    try:
        items = load_json(text)
    except json.JSONDecodeError as error:
        why = f"not a readable csl-json file ({error.msg.lower()} at column {error.colno})"
        raise LineFaults([(error.lineno, f"{why}; {_ALLOWED['csl-json']}")]) from None
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ValueError("expected a list of CSL-JSON items")
    known = _CSL_KEYS | {name for _, name in named_in("csl")}
    for number, item in enumerate(items, start=1):
        if not known & set(item):  # JSON of another kind ({"items": [...]}): not read as empty
            raise ValueError(f"item {number} holds none of CSL-JSON's fields, such as {_CSL_SOME}")
    records = []
    for item, line in zip(items, _csl_item_lines(text, len(items)), strict=True):
        fields = {
            "type": _csl_type(item.get("type")),
            "title": item.get("title"),
            "authors": _csl_authors(item.get("author")),
            "year": _year(_csl_first_year(item.get("issued"))),
            "journal": None
            if item.get("type") in _CSL_IN_BOOKS
            # Zotero names the abbreviation "journalAbbreviation" besides CSL's name.
            else item.get("container-title-short")
            or item.get("journalAbbreviation")
            or item.get("container-title"),
            **_named(item, "csl"),
            "pages": _pages(item.get("page")),
            "doi": _bare_doi(item.get("DOI")),
            "url": item.get("URL"),
        }
        number = item.get("citation-number")
        records.append((number, _with_note_ids(fields, item.get("note")), line))
    return records


def _csl_item_lines(text: str, count: int) -> list[int]:
    """The line each of the file's `count` items starts on: its list read an item at a
    time (the file is read already, so each is whole JSON); a file of one item, line 1
    or its brace's."""
    decoder = json.JSONDecoder()
    at = _skip_space(text, 0)
    if count == 1 and text.startswith("{", at):
        return [text.count("\n", 0, at) + 1]
    lines: list[int] = []
    line, counted = 1, 0
    at = _skip_space(text, at + 1)  # past "["
    while len(lines) < count:
        line += text.count("\n", counted, at)
        counted = at
        lines.append(line)
        _, at = decoder.raw_decode(text, at)
        at = _skip_space(text, _skip_space(text, at) + 1)  # past ","
    return lines


def _skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at] in " \t\r\n":
        at += 1
    return at


def _csl_type(value: Any) -> Any:
    """The reference type of a CSL type ("other" for one the kb has no name for);
    a value that is not text as it is, for the check to refuse."""
    return _CSL_TYPES.get(value, "other") if isinstance(value, str) else value


def _csl_authors(value: Any) -> Any:
    """Names as "Family Initials"; a list holding anything but name objects is
    returned as it is, for the check to refuse."""
    if not isinstance(value, list):
        return value
    names: list[Any] = []
    for author in value:
        if not isinstance(author, dict):
            return value
        parts = [author.get(key, "") for key in (*_CSL_NAME_PARTS, "literal")]
        if not all(isinstance(part, str) for part in parts):
            return value
        # "De Beer": the particles belong to the family name, as Vancouver writes it.
        family = " ".join(part.strip() for part in parts[:3] if part.strip())
        names.append(author_name(family, parts[3], parts[4]) or parts[5])
    return names


def _csl_first_year(issued: Any) -> Any:
    """The first date's year of CSL `issued` ({"date-parts": [[2018, 5]]}), else of the
    date it gives as text (citeproc-js reads "raw" and "literal"), when that text starts
    with a year ("2018-05-01", "2018 May"); None if it gives none ("Spring 2018")."""
    if not isinstance(issued, dict):
        return None
    parts = issued.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        return parts[0][0]
    text = issued.get("raw") or issued.get("literal")
    return text if isinstance(text, str) and re.match(r"\s*[0-9]{4}(?![0-9])", text) else None


# -- PubMed MEDLINE -------------------------------------------------------------


def _medline(text: str) -> list[Read]:
    import io

    from Bio import Medline

    # Bio.Medline is untyped: each record is a dict of tag to text or list of texts.
    parse: Callable[[Iterable[str]], Iterable[dict[str, Any]]] = Medline.parse
    tags = _MedlineTags()
    records: list[Read] = []
    for entry in parse(tags.lines(io.StringIO(text))):
        if "PMID" not in entry:
            raise ValueError("a record has no PMID line")
        given, line = tags.taken()
        # Each LID and AID line whole: PubMed gives a publisher's item id and the DOI
        # on two LID lines, which Bio.Medline runs into one text ("S0140-... [pii] 10...").
        ids = [value for tag, value in given if tag in ("LID", "AID")]
        doi = _first(i.removesuffix(" [doi]") for i in ids if i.endswith(" [doi]"))
        fields = {
            "type": _medline_type(_as_list(entry.get("PT", []))),
            # MEDLINE ends every title with a period that is not the title's own.
            "title": (entry.get("TI") or "").removesuffix("."),
            "authors": [value for tag, value in given if tag in _MEDLINE_AUTHORS],
            "year": _year(entry.get("DP")),
            "journal": entry.get("TA"),
            **_named(_medline_values(given), "medline"),
            "pages": _pages(entry.get("PG")),
            "doi": doi,
        }
        records.append((None, fields, line))
    return records


# A record's authors in its order: persons (AU) and groups (CN, "GRADE Working Group"),
# a group where PubMed lists it.
_MEDLINE_AUTHORS = ("AU", "CN")


class _MedlineTags:
    """Each MEDLINE record's tag lines in its order, each value whole: its line and the
    lines that continue it. Bio.Medline runs a text tag's lines into one string, a tag
    given again as if it continued the first (PubMed's three IS lines, an ISSN each,
    became one), makes a wrapped line of a list tag a value of its own (a group's name
    wrapped onto a second line) and keeps each tag's values apart (the order of AU and
    CN). So the values are read here, from the lines it is given; it hands over a
    record when it reaches the blank line after it."""

    def __init__(self) -> None:
        self._given: list[tuple[str, str]] = []
        self._start = 1  # the line the record being read starts on

    def lines(self, lines: Iterable[str]) -> Iterator[str]:
        for number, line in enumerate(lines, start=1):
            if line.startswith("      "):  # continues the value above
                if self._given and line.strip():
                    tag, value = self._given[-1]
                    self._given[-1] = (tag, f"{value} {line.strip()}")
            elif line.strip():
                if not self._given:
                    self._start = number
                self._given.append((line[:4].rstrip(), line[6:].strip()))
            yield line

    def taken(self) -> tuple[list[tuple[str, str]], int]:
        """(tag, value) of the record read last, in order, and the line it starts on;
        then none, for the next."""
        given, self._given = self._given, []
        return given, self._start


def _medline_values(given: list[tuple[str, str]]) -> dict[str, Any]:
    """The values of a record's tags as the fields the registry names in MEDLINE hold
    them. A tag MEDLINE repeats gives a field of choices every value (PT, a publication
    type a line), which it reads as several names, and a field of one text the first:
    IS gives a journal's ISSNs, electronic, print and linking, a line each, and one
    joined to the next is no ISSN at all."""
    several = {name for f, name in named_in("medline") if f.choices}
    values: dict[str, list[str]] = {}
    for tag, value in given:
        values.setdefault(tag, []).append(value)
    return {tag: found if tag in several else found[0] for tag, found in values.items()}


def _medline_type(publication_types: list[str]) -> str:
    if {"Guideline", "Practice Guideline"} & set(publication_types):
        return "guideline"
    if {"Review", "Systematic Review"} & set(publication_types):
        return "review"
    return "journal-article" if "Journal Article" in publication_types else "other"


# -- shared ---------------------------------------------------------------------


# The identifiers a note may give, each on a line of its own as Zotero writes its Extra
# field ("PMID: 18436948"): RIS has no tag for them, and some exports of CSL-JSON and
# BibTeX leave them there too. `ekb export` writes them so in RIS (refexport.py).
NOTE_IDS = {"pmid": "PMID", "pmcid": "PMCID"}
_NOTE_ID_SHAPES: dict[str, Callable[[str], bool]] = {"pmid": is_pmid, "pmcid": is_pmcid}


def note_line(key: str, value: str) -> str:
    """An identifier as a line of a note: "PMID: 18436948"."""
    return f"{NOTE_IDS[key]}: {value}"


def _note_ids(notes: Any) -> dict[str, str]:
    """The identifiers lines of a record's notes give, each a line of its own, label
    and identifier alone. A line that says more ("Erratum in: ... PMID: 1") may be
    another work's, and two lines that differ say no one value: neither gives any."""
    lines = [line.strip() for text in _as_list(notes) for line in text.splitlines()]
    found = {}
    for key, label in NOTE_IDS.items():
        given = {line.partition(":")[2].strip() for line in lines if line.startswith(f"{label}:")}
        if len(given) == 1 and _NOTE_ID_SHAPES[key](value := given.pop()):
            found[key] = value
    return found


def _with_note_ids(fields: dict[str, Any], notes: Any) -> dict[str, Any]:
    """`fields` with the identifiers `notes` give where the record's own fields give none."""
    return {**_note_ids(notes), **{k: v for k, v in fields.items() if v not in (None, "")}}


def _named(record: Mapping[str, Any], format_name: str) -> dict[str, Any]:
    """The fields the format names (registry.named_in), read from a record by the
    format's names for them."""
    return {f.name: _read(f, record.get(name)) for f, name in named_in(format_name)}


def _read(field: ReferenceField, value: Any) -> Any:
    """A format's value as the field holds it. A text as it is (a number as text); a
    field of choices the ids its names give, several in one text separated as `ekb
    export` writes them (a choice the first): a name outside the list is not recorded,
    never guessed at (MEDLINE's PT "Journal Article" is no study design)."""
    if not field.choices:
        return _text(value)
    separator = INTERCHANGE_SEPARATOR.strip()
    ids = field.choice_ids(name for text in _as_list(value) for name in text.split(separator))
    return ids if field.is_list else next(iter(ids), None)


def _as_list(value: Any) -> list[str]:
    """A text or a list of texts as a list; anything else (in a CSL-JSON file, any JSON
    value) as the texts it holds, if any."""
    if isinstance(value, str):
        return [value]
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _first(values: Iterable[str] | None) -> str | None:
    return next(iter(values or ()), None)


def _text(value: Any) -> Any:
    """A number where text belongs ("volume": 43) as text; any other kind as it is,
    for the check to refuse."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _bare_doi(value: Any) -> Any:
    return bare_doi(value.strip()) if isinstance(value, str) and value else _text(value)
