"""Every claim a query of words matches, with its score, a posting list at a time.

whoosh scores a query claim by claim, through a tree of matchers: for each claim,
each matcher of the tree is asked where it is, moved on and asked for its score.
Three common words on the large benchmark kb match 16,000 claims, and a search that
counts them all (the counts by section and strength) spent 180 ms in the tree. The
queries most searches are made of are words in fields (`Term`), any of them
(`Union`) and all of them (`Intersection`): for those, `BulkScores` reads each word's
postings in each segment whole, a block at a time, scores each posting with whoosh's
own scorer (`_score`, once for each weight and field length it meets), and adds the
scores up as whoosh's balanced trees of matchers add them (`make_binary_tree`): the
same claims, each with the same score to the last bit. A query with any other part
(a phrase, a NOT, a coded field) gets None, and the search runs whoosh's matchers.

What this reads of whoosh beyond its public API (a field's lengths read whole, the
postings a block at a time, a scorer's score of a weight and a length) is
whooshext.py's.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any

from whoosh import query as wq

from evidencekb.search.whooshext import (
    LENGTH_OF_BYTE,
    Intersection,
    ScoredArrays,
    Union,
    field_length_bytes,
    length_score,
    posting_blocks,
)

Scores = dict[int, float]  # a claim's number in its segment -> its score


def supported(query: wq.Query, schema: Any) -> bool:
    """Whether `BulkScores` scores this query: words in scored fields of `schema`
    (those whoosh scores by their length) or in fields it has not (which match
    nothing, as in whoosh), any or all of them."""
    if type(query) is wq.Term:
        return query.fieldname not in schema or bool(schema[query.fieldname].scorable)
    if isinstance(query, Union | Intersection):
        return all(supported(sub, schema) for sub in query.subqueries)
    return False


class BulkScores:
    """The scores of queries in one search's `searcher`, each part's worked out once
    per segment (a query's strict and relaxed forms share their words)."""

    def __init__(self, searcher: Any) -> None:
        self.weighting, self.schema = searcher.weighting, searcher.schema
        self.segments = list(searcher.leaf_searchers())
        self._known: dict[tuple[int, wq.Query], Scores] = {}
        self._arrays: dict[int, ScoredArrays | None] = {}

    def __enter__(self) -> BulkScores:
        return self

    def __exit__(self, *exc: object) -> None:
        for arrays in self._arrays.values():
            if arrays is not None:
                arrays.close()

    def scores(self, query: wq.Query) -> dict[int, float] | None:
        """Every claim `query` matches (its number in the index) with its score;
        None if `supported` says no."""
        if not supported(query, self.schema):
            return None
        found: dict[int, float] = {}
        for number, (searcher, offset) in enumerate(self.segments):
            part = self._part(number, searcher, query)
            found.update(zip(map(offset.__add__, part), part.values(), strict=True))
        return found

    def claims(self, query: wq.Query) -> list[int] | None:
        """The numbers of every claim `query` matches, as `scores` finds them, but for
        the parts not scored already found without adding up their scores."""
        if not supported(query, self.schema):
            return None
        found: list[int] = []
        for number, (searcher, offset) in enumerate(self.segments):
            found += map(offset.__add__, self._claims(number, searcher, query))
        return found

    def _claims(self, number: int, searcher: Any, query: wq.Query) -> Collection[int]:
        """The claims of one segment `query` matches: those of its scores if they are
        worked out already (a term's always are), else its parts' put together as
        whoosh's union and intersection matchers put them together."""
        known = self._known.get((number, query))
        if known is not None or type(query) is wq.Term:
            return known if known is not None else self._part(number, searcher, query)
        parts = [self._claims(number, searcher, sub) for sub in query.subqueries]
        if not parts:
            return ()
        if isinstance(query, Union):
            return set().union(*parts)
        smallest = min(parts, key=len)
        return set(smallest).intersection(*parts)

    def _part(self, number: int, searcher: Any, query: wq.Query) -> Scores:
        key = (number, query)
        if key not in self._known:
            self._known[key] = self._evaluate(number, searcher, query)
        return self._known[key]

    def _evaluate(self, number: int, searcher: Any, query: wq.Query) -> Scores:
        if type(query) is wq.Term:
            return self._term(number, searcher, query)
        parts = [self._part(number, searcher, sub) for sub in query.subqueries]
        if len(parts) <= 1:  # whoosh's compound of one part is that part, unboosted
            return parts[0] if parts else {}
        combine = _either if isinstance(query, Union) else _both
        return _boosted(_tree(combine, parts), query.boost)

    def _term(self, number: int, searcher: Any, term: wq.Term) -> Scores:
        """The term's postings in one segment, scored as whoosh's Term.matcher scores
        them (the searcher's weighting; its scorer's `_score` of each posting's
        weight and its claim's field length, times the term's boost unless it is 1)."""
        if term.fieldname not in searcher.schema:
            return {}
        try:
            text = searcher.schema[term.fieldname].to_bytes(term.text)
        except ValueError:
            return {}
        reader = searcher.reader()
        if (term.fieldname, text) not in reader:
            return {}
        scorer = self.weighting.scorer(searcher, term.fieldname, text)
        lengths = field_length_bytes(reader, term.fieldname)
        scored = _Scored(length_score(scorer), term.boost)
        found: Scores = {}
        # map and zip keep the loop over the postings in C: a score is looked up by
        # its weight and length byte, and worked out only the first time.
        for ids, weights in self._postings(number, reader, term.fieldname, text):
            keys = zip(weights, map(lengths.__getitem__, ids), strict=True)
            found.update(zip(ids, map(scored.__getitem__, keys), strict=True))
        return found

    def _postings(
        self, number: int, reader: Any, fieldname: str, text: bytes
    ) -> Iterable[tuple[Sequence[int], Sequence[float]]]:
        """The term's claims and weights in the segment: as plain arrays, from the
        file the index writes beside the segment; else a block at a time from
        whoosh's postings (an index written before there were such files)."""
        if number not in self._arrays:
            self._arrays[number] = ScoredArrays.of(reader)
        arrays = self._arrays[number]
        found = None if arrays is None else arrays.postings(fieldname, text)
        return (found,) if found is not None else posting_blocks(reader.postings(fieldname, text))


class _Scored(dict[tuple[float, int], float]):
    """`score` of a weight and a stored length byte, times `boost` as whoosh's
    WrappingMatcher multiplies it (unless it is 1), worked out once for each pair."""

    def __init__(self, score: Callable[[float, int | None], float], boost: float) -> None:
        super().__init__()
        self.score, self.boost = score, boost

    def __missing__(self, key: tuple[float, int]) -> float:
        weight, length = key
        found = self.score(weight, LENGTH_OF_BYTE[length])
        if self.boost != 1.0:
            found *= self.boost
        self[key] = found
        return found


def _boosted(scores: Scores, boost: float) -> Scores:
    """As whoosh's WrappingMatcher: each score times the boost, unless it is 1."""
    if boost == 1.0:
        return scores
    return {docnum: score * boost for docnum, score in scores.items()}


def _tree(combine: Callable[[Scores, Scores], Scores], parts: list[Scores]) -> Scores:
    """The parts combined as whoosh.util.make_binary_tree builds its tree of matchers."""
    if len(parts) == 1:
        return parts[0]
    half = len(parts) // 2
    return combine(_tree(combine, parts[:half]), _tree(combine, parts[half:]))


def _either(a: Scores, b: Scores) -> Scores:
    """As whoosh's UnionMatcher: a claim in either, its scores added where in both
    (x + y is y + x to the last bit, so the smaller is added into the larger)."""
    small, large = (a, b) if len(a) < len(b) else (b, a)
    out = dict(large)
    for docnum, score in small.items():
        found = out.get(docnum)
        out[docnum] = score if found is None else found + score
    return out


def _both(a: Scores, b: Scores) -> Scores:
    """As whoosh's IntersectionMatcher: a claim in both, its scores added."""
    small, large = (a, b) if len(a) < len(b) else (b, a)
    return {docnum: score + large[docnum] for docnum, score in small.items() if docnum in large}
