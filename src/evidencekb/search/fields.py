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

import datetime
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol, cast

from whoosh import query as wq

from evidencekb.errors import QueryError
from evidencekb.identifiers import bare_doi, doi_key, is_doi, is_pmid
from evidencekb.registry import QUERY_FIELDS, QueryField
from evidencekb.search.analysis import words
from evidencekb.search.codes import CodedTerm

if TYPE_CHECKING:
    from evidencekb.model import Claim, Reference


class AllowedValues(Protocol):
    """What a keyword query is checked against (search/index.py's IndexMeta)."""

    @property
    def values(self) -> Mapping[str, Mapping[str, Sequence[str]]]: ...
    @property
    def ranges(self) -> Mapping[str, tuple[int, ...] | tuple[str, ...]]: ...
    @property
    def codes(self) -> Mapping[str, str]: ...


# Between the words of a name in its key: a word never holds "+" (analysis.TOKEN_PATTERN).
KEY_JOINER = "+"
# year:2018, year:2015..2020, year:2015.. (from 2015 on), year:..2010 (up to 2010).
YEAR_PATTERN = r"^(?:([0-9]{4})|([0-9]{4})?\.\.([0-9]{4})?)$"
# changed:2026-12-05, changed:2026-12 (that month), changed:2026-01.. (from January 2026
# on), changed:..2026-06 (up to the end of June 2026), changed:2026-01..2026-06. A bound
# is a date, a month or a year; the claims hold ISO dates (YYYY-MM-DD).
DATE_PATTERN = (
    r"^(?:([0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2})?)?)"
    r"|([0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2})?)?)?\.\.([0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2})?)?)?)$"
)


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


def _keys(rule: str, values: Iterable[str]) -> Iterable[str]:
    """The keys the index holds for a field's raw values, by the field's rule."""
    if rule == "name":
        return (key for value in values for key in name_keys(value))
    if rule == "doi":
        return (doi_key(value) for value in values)
    return values


# The claim fields of free text searched by their name alone (`population:adults`):
# every query field of the "text" rule but the claim's text and heading, which the
# index holds of its own (and ranks plain words by, with the topic's title and the
# claim's names). Each is a field of the index and of the site's search data,
# analysed as the text is.
_NAMED_TEXT = tuple(
    f for f in QUERY_FIELDS if f.rule == "text" and f.name not in ("text", "heading")
)
NAMED_TEXT_FIELDS: tuple[str, ...] = tuple(f.name for f in _NAMED_TEXT)
# The keyword fields: every field but the words of the "text" rule and the id as written.
_KEYWORD = tuple(f for f in QUERY_FIELDS if f.rule not in ("text", "exact"))


def claim_texts(claim: Claim, works: tuple[Reference, ...]) -> dict[str, str]:
    """The claim's text in each of NAMED_TEXT_FIELDS, the items of a list a line each;
    `works` are the references it cites that its topic lists."""
    return {f.name: "\n".join(f.values(claim, works)) for f in _NAMED_TEXT}


def claim_fields(claim: Claim, works: tuple[Reference, ...]) -> dict[str, str]:
    """The claim's keys in every keyword field of the registry, space-separated (as
    whoosh's KEYWORD fields take them); `works` are the references it cites that its
    topic lists."""
    return {f.name: _joined(_keys(f.rule, f.values(claim, works))) for f in _KEYWORD}


def bad_value(field: QueryField, value: str) -> QueryError:
    return QueryError(f'{field.name}: needs {field.needs}, e.g. {field.example} (got "{value}")')


def keyword_query(field: QueryField, value: str, meta: AllowedValues) -> wq.Query:
    """The query of one keyword field's value, read by the field's rule; `meta` gives
    the allowed values of "choice" and "term" fields and the values a range of a year
    or date field expands to (index.ranged_values)."""
    rule, name = field.rule, field.name
    if rule == "choice":
        allowed = allowed_value(name, value, tuple(meta.values[name]))
        if field.coded:
            return CodedTerm(name, allowed, meta.codes[name], tuple(meta.values[name]))
        return wq.Term(name, allowed)
    if rule == "term":
        return wq.Term(name, term_id(name, value, meta.values[name]))
    if rule == "number":  # 1 or more, as citation numbers are (and as --cites N takes)
        if not value.isascii() or not value.isdigit() or int(value) < 1:
            raise bad_value(field, value)
        return wq.Term(name, str(int(value)))
    if rule == "name":
        key = name_key(value)
        if not key:
            raise bad_value(field, value)
        return wq.Term(name, key)
    if rule == "year":
        return _year_query(field, value, cast("tuple[int, ...]", meta.ranges[name]))
    if rule == "date":
        return _date_query(field, value, cast("tuple[str, ...]", meta.ranges[name]))
    if rule == "doi":
        doi = bare_doi(value)
        if not is_doi(doi):
            raise bad_value(field, value)
        return wq.Term(name, doi_key(doi))
    if rule == "pmid" and not is_pmid(value):
        raise bad_value(field, value)
    return wq.Term(name, value)  # pmid, exact


def allowed_value(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value.lower() in allowed:
        return value.lower()
    raise QueryError(f'unknown {name} "{value}" (allowed: {", ".join(allowed)})')


def term_id(name: str, value: str, names: Mapping[str, Sequence[str]]) -> str:
    """The id of the vocabulary term that `value` is the id or a name of."""
    wanted = value.casefold()
    for term, term_names in names.items():
        if wanted == term.casefold() or any(wanted == n.casefold() for n in term_names):
            return term
    raise QueryError(f'unknown {name} "{value}" (allowed: {", ".join(sorted(names))})')


def _bounds(field: QueryField, value: str, pattern: str) -> re.Match[str]:
    """`value` matched by `pattern` (YEAR_PATTERN, DATE_PATTERN), each bound in it a
    year, month or day the calendar has; else the field's error."""
    match = re.fullmatch(pattern, value)
    if match is None or match.group(0) == ".." or not all(map(_real, match.groups())):
        raise bad_value(field, value)
    return match


def _real(bound: str | None) -> bool:
    """Whether a bound (2026, 2026-02, 2026-02-28; None: not given) is a year, month or
    day of the calendar, as datetime.date has it: from year 1, months 1 to 12, no
    February 30. (search-core.js's realDate is the same rule.)"""
    if bound is None:
        return True
    year, month, day = (*map(int, bound.split("-")), 1, 1)[:3]
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return True


def _year_query(field: QueryField, value: str, years: tuple[int, ...]) -> wq.Query:
    match = _bounds(field, value, YEAR_PATTERN)
    if match.group(1) is not None:
        return wq.Term(field.name, match.group(1))
    first = int(match.group(2)) if match.group(2) else min(years, default=0)
    last = int(match.group(3)) if match.group(3) else max(years, default=0)
    if match.group(2) and match.group(3) and first > last:
        raise QueryError(f"year range {value} ends before it starts")
    # One score for the range, however many of a claim's works fall in it: a claim
    # citing three works of those years must not outrank one citing a single work.
    within = [wq.Term(field.name, str(year)) for year in years if first <= year <= last]
    return wq.ConstantScoreQuery(wq.Or(within), 1.0)


def _date_query(field: QueryField, value: str, dates: tuple[str, ...]) -> wq.Query:
    """The dates the index holds that fall on `value` or in its range: a bound of a
    month or a year takes all of it (2026-01..2026-06 runs to June 30)."""
    match = _bounds(field, value, DATE_PATTERN)
    first, last = (match.group(1),) * 2 if match.group(1) else match.group(2, 3)
    if first and last and first[: len(last)] > last:
        raise QueryError(f"date range {value} ends before it starts")
    within = [
        wq.Term(field.name, date)
        for date in dates
        if (not first or date >= first) and (not last or date[: len(last)] <= last)
    ]
    return wq.ConstantScoreQuery(wq.Or(within), 1.0)
