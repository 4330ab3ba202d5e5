"""Records from reference managers, as reference fields: RIS, BibTeX, CSL-JSON, MEDLINE.

Each format is read by a well-kept parser (rispy for RIS, bibtexparser for
BibTeX, the standard json module for CSL-JSON, Biopython's Bio.Medline for
PubMed's MEDLINE/.nbib export), then mapped onto the fields of a reference
(kb/bibliography.py). Authors become "Family Initials", the form PubMed and
Vancouver use. A record may name its citation number: CSL-JSON's
`citation-number`, or a RIS `ID` or BibTeX key that is a number; otherwise
records match the topic's cited numbers in order.

The file is read as kb/ files are (kb/files.py): a regular file of sensible size,
never a FIFO or a device, so a careless path cannot hang the command. A parser that
fails on what it is given (a number past Python's 4,300-digit limit, JSON nested
thousands deep, a broken entry) fails the whole file with one message; a parser's own
warnings are kept off the terminal. The values are taken as the file gives them: a
value of the wrong kind (an object where text belongs) is reported by the import's
check, never written.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evidencekb.errors import KBError
from evidencekb.identifiers import bare_doi
from evidencekb.kb.jsontext import load_json
from evidencekb.kb.text import shown
from evidencekb.reading import NotReadable, read_regular
from evidencekb.registry import reference_field

# Reference-manager exports run to a few megabytes for thousands of records.
MAX_REFERENCE_FILE_BYTES = 20_000_000

FORMATS: dict[str, str] = {
    ".ris": "ris",
    ".bib": "bibtex",
    ".json": "csl-json",
    ".nbib": "medline",
    ".medline": "medline",
}


@dataclass(frozen=True)
class Record:
    position: int  # 1-based order in the file
    number: int | None  # the citation number the record names, if any
    fields: dict[str, Any]  # reference fields the record gives, none empty


def read_records(path: Path) -> tuple[Record, ...]:
    """Every record of a reference-manager file; its format from its extension."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise KBError(
            f"{path}: unknown reference file type '{path.suffix}'; allowed: "
            ".ris (RIS), .bib (BibTeX), .json (CSL-JSON), .nbib or .medline (PubMed MEDLINE)"
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
    readers: dict[str, Callable[[str], list[tuple[int | None, dict[str, Any]]]]] = {
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
    except Exception as error:  # a third-party parser's failure on this file, whatever its kind
        reason = shown(str(error).splitlines()[0] if str(error) else type(error).__name__)
        raise KBError(f"{name}: not a readable {fmt} file ({reason})") from None
    if not raw:
        raise KBError(f"{name}: no records found")
    return tuple(
        Record(position, number, _non_empty(fields))
        for position, (number, fields) in enumerate(raw, start=1)
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


def author_name(family: str, given: str = "") -> str:
    """'Cohen', 'Steven P.' -> 'Cohen SP'; a name without given names stays whole."""
    initials = "".join(part[0].upper() for part in re.split(r"[\s.\-]+", given) if part)
    return f"{family.strip()} {initials}".strip()


def _non_empty(fields: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, value in fields.items():
        if isinstance(value, str):
            value = " ".join(value.split())  # a wrapped title is one line
        if value not in (None, "", []):
            kept[key] = value
    return kept


# A record's own number: "2", or "ketamine-pain-2" as `ekb export` names works.
_OWN_NUMBER = re.compile(r"^(?:[a-z0-9]+(?:-[a-z0-9]+)*-)?(\d+)$")


def _number(value: Any) -> int | None:
    text = _text(value)
    match = _OWN_NUMBER.match(text.strip()) if isinstance(text, str) else None
    return int(match.group(1)) if match and int(match.group(1)) >= 1 else None


def _year(value: Any) -> int | None:
    if not isinstance(value, str | int) or isinstance(value, bool):
        return None
    match = re.match(r"\s*(\d{4})", str(value))
    return int(match.group(1)) if match else None


def _pages(value: Any) -> Any:
    """A page range with one hyphen: BibTeX writes "--", LaTeX decoding an en dash."""
    if not isinstance(value, str):
        return _text(value)
    return re.sub(r"\s*(?:-{1,2}|\u2013)\s*", "-", value).strip() or None


def _full_range(pages: str | None) -> str | None:
    """MEDLINE shortens a range's last page ("924-6"); write it whole ("924-926")."""
    match = re.fullmatch(r"(\d+)-(\d+)", pages or "")
    if match is None or len(match.group(2)) >= len(match.group(1)):
        return pages
    first, last = match.groups()
    return f"{first}-{first[: len(first) - len(last)]}{last}"


# -- RIS ------------------------------------------------------------------------

# The publication types and study designs a record names (registry.STUDY_DESIGNS).
_DESIGN = reference_field("design")
_RIS_TYPES = {"JOUR": "journal-article", "BOOK": "book", "ELEC": "web-page", "WEB": "web-page"}


def _ris(text: str) -> list[tuple[int | None, dict[str, Any]]]:
    import rispy

    records = []
    for entry in rispy.loads(text):
        authors = [
            _ris_author(name) for name in entry.get("authors") or entry.get("first_authors") or []
        ]
        pages = "-".join(p for p in (entry.get("start_page"), entry.get("end_page")) if p)
        fields = {
            "type": _RIS_TYPES.get(entry.get("type_of_reference", ""), "other"),
            "design": _DESIGN.choice_ids(_as_list(entry.get("type_of_work") or [])),  # M3
            "title": entry.get("title") or entry.get("primary_title"),
            "authors": authors,
            "year": _year(entry.get("year") or entry.get("publication_year")),
            "journal": entry.get("alternate_title3")
            or entry.get("journal_name")
            or entry.get("secondary_title"),
            "volume": entry.get("volume"),
            "issue": entry.get("number"),
            "pages": pages or None,
            "doi": _bare_doi(entry.get("doi")),
            "url": _first(entry.get("urls")),
        }
        records.append((_number(entry.get("id")), fields))
    return records


def _ris_author(name: str) -> str:
    family, _, given = name.partition(",")
    return author_name(family, given) if given else name.strip()


# -- BibTeX ---------------------------------------------------------------------

_BIBTEX_TYPES = {"article": "journal-article", "book": "book", "online": "web-page"}
_VERBATIM = {"doi", "url"}


def _bibtex(text: str) -> list[tuple[int | None, dict[str, Any]]]:
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
            raise ValueError(f"the entry on line {line} has the key of an earlier one, {block.key}")
        raise ValueError(f"cannot parse the entry starting on line {line}")
    latex = decoder()

    def text_of(value: Any) -> Any:
        return latex.latex_to_text(value) if isinstance(value, str) else value

    records = []
    for entry in library.entries:
        raw = {field.key.lower(): field.value for field in entry.fields}
        # LaTeX everywhere but in the address fields, which BibTeX styles print verbatim.
        values = {key: value if key in _VERBATIM else text_of(value) for key, value in raw.items()}
        authors = [
            author_name(text_of(" ".join(name.von + name.last)), text_of(" ".join(name.first)))
            for name in raw.get("author") or []
        ]
        fields = {
            "type": _BIBTEX_TYPES.get(entry.entry_type.lower(), "other"),
            "title": values.get("title"),
            "authors": authors,
            "year": _year(values.get("year")),
            "journal": values.get("journal"),
            "volume": values.get("volume"),
            "issue": values.get("number"),
            "pages": _pages(values.get("pages")),
            "doi": _bare_doi(values.get("doi")),
            "pmid": values.get("pmid"),
            "pmcid": values.get("pmcid"),
            "url": values.get("url"),
        }
        records.append((_number(entry.key), fields))
    return records


# -- CSL-JSON -------------------------------------------------------------------

_CSL_TYPES = {"article-journal": "journal-article", "book": "book", "webpage": "web-page"}


def _csl_json(text: str) -> list[tuple[int | None, dict[str, Any]]]:
    items = load_json(text)
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ValueError("expected a list of CSL-JSON items")
    records = []
    for item in items:
        fields = {
            "type": _csl_type(item.get("type")),
            "design": _DESIGN.choice_ids(_as_list(item.get("genre") or [])),
            "title": item.get("title"),
            "authors": _csl_authors(item.get("author")),
            "year": _year(_csl_first_year(item.get("issued"))),
            "journal": item.get("container-title-short") or item.get("container-title"),
            "volume": _text(item.get("volume")),
            "issue": _text(item.get("issue")),
            "pages": _pages(item.get("page")),
            "doi": _bare_doi(item.get("DOI")),
            "pmid": _text(item.get("PMID")),
            "pmcid": _text(item.get("PMCID")),
            "url": item.get("URL"),
        }
        records.append((_number(item.get("citation-number")), fields))
    return records


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
        parts = [author.get(key, "") for key in ("family", "given", "literal")]
        if not all(isinstance(part, str) for part in parts):
            return value
        names.append(author_name(parts[0], parts[1]) or parts[2])
    return names


def _csl_first_year(issued: Any) -> Any:
    """The first date's year of CSL `issued` ({"date-parts": [[2018, 5]]}); None if
    it gives none (an empty date-parts, a "literal" date)."""
    parts = issued.get("date-parts") if isinstance(issued, dict) else None
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        return parts[0][0]
    return None


# -- PubMed MEDLINE -------------------------------------------------------------


def _medline(text: str) -> list[tuple[int | None, dict[str, Any]]]:
    import io

    from Bio import Medline

    # Bio.Medline is untyped: each record is a dict of tag to text or list of texts.
    parse: Callable[[io.StringIO], Iterable[dict[str, Any]]] = Medline.parse
    records: list[tuple[int | None, dict[str, Any]]] = []
    for entry in parse(io.StringIO(text)):
        if "PMID" not in entry:
            raise ValueError("a record has no PMID line")
        ids = _as_list(entry.get("LID", [])) + _as_list(entry.get("AID", []))
        doi = _first(i.removesuffix(" [doi]") for i in ids if i.endswith(" [doi]"))
        fields = {
            "type": _medline_type(_as_list(entry.get("PT", []))),
            "design": _DESIGN.choice_ids(_as_list(entry.get("PT", []))),
            # MEDLINE ends every title with a period that is not the title's own.
            "title": (entry.get("TI") or "").removesuffix("."),
            "authors": _as_list(entry.get("AU", [])),
            "year": _year(entry.get("DP")),
            "journal": entry.get("TA"),
            "volume": entry.get("VI"),
            "issue": entry.get("IP"),
            "pages": _full_range(_pages(entry.get("PG"))),
            "doi": doi,
            "pmid": entry.get("PMID"),
            "pmcid": entry.get("PMC"),
        }
        records.append((None, fields))
    return records


def _medline_type(publication_types: list[str]) -> str:
    if {"Guideline", "Practice Guideline"} & set(publication_types):
        return "guideline"
    if {"Review", "Systematic Review"} & set(publication_types):
        return "review"
    return "journal-article" if "Journal Article" in publication_types else "other"


# -- shared ---------------------------------------------------------------------


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
