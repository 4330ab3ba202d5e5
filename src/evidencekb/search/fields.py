"""Field queries over the works a claim cites and what each of them says of it:
`author:`, `journal:`, `year:`, `doi:` and `pmid:` read the cited works' records
(references.toml); `stance:` and `contested:` the evidence per citation
(evidence.toml, with kb/stance.toml's vocabulary).

Written once here: what a claim holds in each field (the index's documents, from
which the site's search data is also made) and how a query's value becomes the key
it is looked up by. The site's search core gets the patterns and value lists through
its manifest (search/browser/data.py) and only looks keys up.

Names (authors, journals) match by their words: for every author of every work a
claim cites, the claim holds every run of the name's words (the whole name, each word,
and the words between), lowercased, so that author:Guyatt, author:"Guyatt GH" and
author:Alonso-Coello all find the claims citing GRADE's 2008 paper; words of two
authors' names together are no name.
A word with accents is also held without them (author:Schunemann finds Schünemann);
only the index folds accents, so a query's value is only split into words and
lowercased, which the site's search does alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from whoosh import query as wq

from evidencekb.errors import QueryError
from evidencekb.identifiers import bare_doi, doi_key, is_doi, is_pmid
from evidencekb.search.analysis import words

if TYPE_CHECKING:
    from evidencekb.model import Claim, Reference

# Fields over the cited works' records, and over the evidence per citation.
WORK_FIELDS: tuple[str, ...] = ("author", "journal", "year", "doi", "pmid")
EVIDENCE_FIELDS: tuple[str, ...] = ("stance", "contested")
# contested:yes is a claim whose cited works disagree or that a curator says another
# claim contradicts (model.Claim.contested); each value with the search page's wording.
CONTESTED_LABELS: tuple[tuple[str, str], ...] = (
    ("yes", "Contested: its evidence disagrees"),
    ("no", "Not contested"),
)
CONTESTED_VALUES: tuple[str, ...] = tuple(value for value, _ in CONTESTED_LABELS)
# Between the words of a name in its key: a word never holds "+" (analysis.TOKEN_PATTERN).
KEY_JOINER = "+"
# year:2018, year:2015..2020, year:2015.. (from 2015 on), year:..2010 (up to 2010).
YEAR_PATTERN = r"^(?:([0-9]{4})|([0-9]{4})?\.\.([0-9]{4})?)$"
# What a value of each work field must be, for the error message of a bad one, and an
# example (a real work: GRADE's 2008 paper in the BMJ, Guyatt and others).
VALUE_NEEDS: dict[str, str] = {
    "author": "a name or words of one",
    "journal": "a name or words of one",
    "year": "a year or a range of years",
    "doi": "a DOI",
    "pmid": "a PubMed id (digits)",
}
EXAMPLES: dict[str, str] = {
    "author": "author:Guyatt",
    "journal": 'journal:BMJ or journal:"J Clin Epidemiol"',
    "year": "year:2008 or year:2015..2020",
    "doi": "doi:10.1136/bmj.39489.470347.AD",
    "pmid": "pmid:18436948",
    "stance": "stance:supports",
    "contested": "contested:yes",
}


def _fold(text: str) -> str:
    """`text` without accents: "schünemann" -> "schunemann"."""
    import unicodedata  # only the index's writer folds: `ekb search` never loads it

    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def name_keys(name: str) -> set[str]:
    """The keys a name is found by: every run of its words (the whole name, each word,
    "alonso+coello" of "Alonso-Coello P"), lowercased, each also without accents."""
    found = words(name)
    keys = {
        KEY_JOINER.join(found[start:end])
        for start in range(len(found))
        for end in range(start + 1, len(found) + 1)
    }
    return keys | {_fold(key) for key in keys}


def name_key(value: str) -> str:
    """The key a query's name is looked up by: its words, lowercased."""
    return KEY_JOINER.join(words(value))


def _joined(values: Iterable[str]) -> str:
    return " ".join(sorted(set(values)))


def claim_fields(claim: Claim, works: Iterable[Reference]) -> dict[str, str]:
    """The claim's values in every field of this module, space-separated (as whoosh's
    KEYWORD fields take them); `works` are the references it cites that its topic lists."""
    works = tuple(works)
    return {
        "author": _joined(
            key for work in works for name in work.authors for key in name_keys(name)
        ),
        "journal": _joined(
            key for work in works if work.journal for key in name_keys(work.journal)
        ),
        "year": _joined(str(work.year) for work in works if work.year is not None),
        "doi": _joined(doi_key(work.doi) for work in works if work.doi),
        "pmid": _joined(work.pmid for work in works if work.pmid),
        "stance": _joined(evidence.stance for evidence in claim.citation_evidence),
        "contested": CONTESTED_VALUES[0] if claim.contested else CONTESTED_VALUES[1],
    }


def bad_value(field: str, value: str) -> QueryError:
    return QueryError(
        f'{field}: needs {VALUE_NEEDS[field]}, e.g. {EXAMPLES[field]} (got "{value}")'
    )


def work_query(field: str, value: str, years: tuple[int, ...]) -> wq.Query:
    """The query of one work field's value; `years` are the years the index holds."""
    if field in ("author", "journal"):
        key = name_key(value)
        if not key:
            raise bad_value(field, value)
        return wq.Term(field, key)
    if field == "year":
        return _year_query(value, years)
    if field == "doi":
        doi = bare_doi(value)
        if not is_doi(doi):
            raise bad_value(field, value)
        return wq.Term(field, doi_key(doi))
    if not is_pmid(value):
        raise bad_value(field, value)
    return wq.Term(field, value)


def _year_query(value: str, years: tuple[int, ...]) -> wq.Query:
    match = re.fullmatch(YEAR_PATTERN, value)
    if match is None or match.group(0) == "..":
        raise bad_value("year", value)
    if match.group(1) is not None:
        return wq.Term("year", match.group(1))
    first = int(match.group(2)) if match.group(2) else min(years, default=0)
    last = int(match.group(3)) if match.group(3) else max(years, default=0)
    if match.group(2) and match.group(3) and first > last:
        raise QueryError(f"year range {value} ends before it starts")
    # One score for the range, however many of a claim's works fall in it: a claim
    # citing three works of those years must not outrank one citing a single work.
    within = [wq.Term("year", str(year)) for year in years if first <= year <= last]
    return wq.ConstantScoreQuery(wq.Or(within), 1.0)
