"""The rules for a bibliographic record in references.toml, written once.

A reference may say what kind of work it is, its title, authors, year, journal,
volume, issue, pages, identifiers (DOI, PMID, PMCID), web address, and the
reference exactly as the source wrote it (`citation_text`). Every field is
optional: nothing is ever guessed. `check_record` checks one record's fields
and `check_identifiers` the records of one topic together (one work listed
under two numbers). Both report through the loader's `TableChecker`, so each
problem names its file, line and field. Stdlib only (the search path loads kb/).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

from evidencekb.identifiers import bare_doi, doi_key, has_doi_prefix, is_doi, is_pmcid, is_pmid
from evidencekb.kb.tables import Field, TableChecker
from evidencekb.kb.tomlfile import Located
from evidencekb.registry import REFERENCE_FIELDS

# The bibliographic fields of a `[[reference]]` table, as registry.REFERENCE_FIELDS
# declares them: all optional; a field of choices is text (or texts) of its ids.
# `number` is the loader's own.
_TOML_KINDS = {"choice": "text", "choices": "texts"}
RECORD_FIELDS: dict[str, Field] = {
    f.name: Field(_TOML_KINDS.get(f.kind, f.kind), required=False) for f in REFERENCE_FIELDS
}

WEB_SCHEMES: tuple[str, ...] = ("http", "https")
# Where a reader looks a work up by its identifier, written once: the site's links, its
# JSON-LD and the FHIR export's identifier systems all come from here.
DOI_ORG = "https://doi.org"
PUBMED = "https://pubmed.ncbi.nlm.nih.gov"
PMC = "https://pmc.ncbi.nlm.nih.gov"
# Identifier field -> (the name readers know it by, its record's address).
IDENTIFIER_LINKS: dict[str, tuple[str, str]] = {
    "doi": ("DOI", DOI_ORG + "/{}"),
    "pmid": ("PubMed", PUBMED + "/{}/"),
    "pmcid": ("PMC", PMC + "/articles/{}/"),
}
# No printed work this knowledge base could cite predates movable type in Europe;
# an earlier year is a typing slip.
EARLIEST_YEAR = 1450

_EXAMPLES = {
    "doi": '"10.1097/AAP.0000000000000808"',
    "pmid": '"31711912"',
    "pmcid": '"PMC2335261"',
}


def identifier_url(key: str, value: str) -> str:
    """The address of a work's record under one of IDENTIFIER_LINKS' identifiers. A DOI
    may hold characters a URL cannot ("<", ">", "#", "?"): those are percent-encoded,
    which doi.org decodes."""
    return IDENTIFIER_LINKS[key][1].format(quote(value, safe="/:;()"))


def doi_problem(doi: str, key: str = "doi") -> str | None:
    """Why `doi` is not a DOI as the record keeps it; None when it is one. `key`: the
    field that holds it, as the message names it."""
    if has_doi_prefix(doi):
        return f"{key} '{doi}' must be the DOI alone, without a link or prefix: \"{bare_doi(doi)}\""
    if not is_doi(doi):
        return (
            f"{key} '{doi}' is not a DOI: it starts with '10.', a registrant number, '/', "
            f"then the suffix, like {_EXAMPLES['doi']}"
        )
    return None


def url_problem(url: str) -> str | None:
    message = f"url '{url}' must be a web address starting with http:// or https://"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (a port that is not a number raises here)
    except ValueError:  # an unclosed IPv6 bracket, "http://[::1"
        return message
    if parts.scheme.lower() not in WEB_SCHEMES or not parts.netloc or re.search(r"\s", url):
        return message
    return None


def year_problem(year: int, today: datetime.date | None = None) -> str | None:
    this_year = (today or datetime.date.today()).year
    if not EARLIEST_YEAR <= year <= this_year:
        return (
            f"year {year} is not plausible: use the year of publication, "
            f"{EARLIEST_YEAR} to {this_year}"
        )
    return None


def record_problems(values: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, message) for each field of one type-checked record that breaks its rule."""
    found: list[tuple[str, str]] = []
    rules: dict[str, Callable[[Any], str | None]] = {
        "doi": doi_problem,
        "url": url_problem,
        "year": year_problem,
        "pmid": pmid_problem,
        "pmcid": pmcid_problem,
    }
    for key, rule in rules.items():
        if key in values and (message := rule(values[key])):
            found.append((key, message))
    for author in values.get("authors") or ():
        if not author.strip():
            found.append(("authors", "an author's name is empty"))
    return found


def pmid_problem(pmid: str, key: str = "pmid") -> str | None:
    if is_pmid(pmid):
        return None
    return (
        f"{key} '{pmid}' must be its digits alone, with no leading zero, like {_EXAMPLES['pmid']}"
    )


def pmcid_problem(pmcid: str) -> str | None:
    return None if is_pmcid(pmcid) else _id_message("pmcid", pmcid, "'PMC' and digits")


def _id_message(key: str, value: str, shape: str) -> str:
    return f"{key} '{value}' must be {shape}, like {_EXAMPLES[key]}"


def check_record(checker: TableChecker, doc: Located, index: int, values: dict[str, Any]) -> None:
    """Report every rule the `index`th `[[reference]]` of `doc` breaks."""
    for declared in REFERENCE_FIELDS:
        if declared.choices and declared.name in values:
            given = values[declared.name]
            ids = tuple(choice.id for choice in declared.choices)
            noun = f"reference {declared.label.lower()}"
            for value in given if declared.is_list else (given,):
                checker.choice(doc, "reference", index, declared.name, value, ids, noun)
            if declared.is_list:
                checker.listed_once(doc, "reference", index, declared.name, list(given))
    for key, message in record_problems(values):
        checker.report(doc, message, "reference", index, key)


def check_identifiers(
    checker: TableChecker, doc: Located, records: Sequence[tuple[int, dict[str, Any]]]
) -> None:
    """Report a DOI or PMID that two references of one topic share: one work under
    two numbers. `records` pairs each table's index with its checked values."""
    for key, normal in (("doi", doi_key), ("pmid", str)):
        first: dict[str, tuple[int, int]] = {}  # normal form -> (index, number)
        for index, values in records:
            value = values.get(key)
            if value is None:
                continue
            if normal(value) in first:
                other_index, other_number = first[normal(value)]
                checker.report(
                    doc,
                    f"references {other_number} and {values['number']} have the same "
                    f"{key} '{value}' (line {doc.line('reference', other_index, key)}): "
                    "list a work under one number",
                    "reference",
                    index,
                    key,
                )
            else:
                first[normal(value)] = (index, values["number"])
