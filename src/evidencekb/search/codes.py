"""Each claim's section and strength as one character per claim, in claim order.

A broad field query (`section:research AND strength:low` on a large kb) spent
most of its time in whoosh walking posting lists one entry at a time in Python
(to intersect them) and reading each match's column values (to count matches
by section and strength). With the values as strings, `str.find` steps from one
matching claim to the next in C, and the counts are a look-up per match. The
index metadata stores the strings (see index.py). The site's search core reads
its own postings of these fields and scores a match alike (1.0).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from whoosh import query as wq
from whoosh.matching import Matcher

# The fields coded this way are those the registry declares `coded` (section and
# strength): every claim has exactly one value of each.
_FIRST = 0x30  # the character of a field's first value ("0")


def encode(values: Iterable[str], allowed: tuple[str, ...]) -> str:
    """One character per claim: the position of its value in `allowed`."""
    position = {value: i for i, value in enumerate(allowed)}
    return "".join(chr(_FIRST + position[value]) for value in values)


def count(
    codes: str, allowed: tuple[str, ...], docnums: Iterable[int]
) -> tuple[tuple[str, int], ...]:
    """How many of the claims `docnums` have each value, in the order of
    `allowed`, leaving out values none has."""
    tally = Counter(map(codes.__getitem__, docnums))
    found = ((value, tally[chr(_FIRST + i)]) for i, value in enumerate(allowed))
    return tuple((value, number) for value, number in found if number)


def _for_searcher(searcher: Any, codes: str) -> str:
    """The part of `codes` that `searcher` reads. whoosh asks a query for one
    matcher per segment (a large index has several), numbering that segment's
    claims from 0, or for one over the whole index (numbered as `codes`)."""
    parent = searcher.get_parent()
    if parent is searcher:
        return codes
    for leaf, offset in parent.leaf_searchers():
        if leaf is searcher:
            return codes[offset : offset + searcher.doc_count_all()]
    raise ValueError("a segment searcher its parent does not list")


class CodedTerm(wq.Term):  # type: ignore[misc]
    """`field:value` for a coded field, matched by scanning the codes string.
    It scores as whoosh scores its unscored keyword fields: 1.0 times the boost."""

    def __init__(self, fieldname: str, text: str, codes: str, allowed: tuple[str, ...]) -> None:
        super().__init__(fieldname, text)
        self.codes = codes
        self.code = chr(_FIRST + allowed.index(text))

    def matcher(self, searcher: Any, context: Any = None) -> CodeMatcher:
        return CodeMatcher(((_for_searcher(searcher, self.codes), self.code),), self.boost)


class CodedAll(wq.Query):  # type: ignore[misc]
    """Coded terms that must all hold (`section:research AND strength:low`), as one
    matcher: whoosh would intersect them a claim at a time in Python."""

    def __init__(self, terms: tuple[CodedTerm, ...]) -> None:
        self.terms = terms

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CodedAll) and other.terms == self.terms

    def __hash__(self) -> int:
        return hash(self.terms)

    def __repr__(self) -> str:
        return f"CodedAll({self.terms!r})"

    def estimate_size(self, reader: Any) -> int:
        return min(term.codes.count(term.code) for term in self.terms)

    def matcher(self, searcher: Any, context: Any = None) -> CodeMatcher:
        # The rarest value leads: the others are checked only where it holds.
        conditions = sorted(
            ((_for_searcher(searcher, t.codes), t.code) for t in self.terms),
            key=lambda condition: condition[0].count(condition[1]),
        )
        return CodeMatcher(tuple(conditions), sum(term.boost for term in self.terms))


def claim_test(query: wq.Query) -> Callable[[int], bool] | None:
    """Whether a claim (by its number in the index) matches `query`, read off the
    codes strings, for a query of coded terms only (a CodedTerm, a CodedAll, an And
    of those); None for any other."""
    conditions = _conditions(query)
    if conditions is None:
        return None
    if len(conditions) == 1:
        ((codes, code),) = conditions
        return lambda docnum: codes[docnum] == code
    return lambda docnum: all(codes[docnum] == code for codes, code in conditions)


def _conditions(query: wq.Query) -> list[tuple[str, str]] | None:
    if isinstance(query, CodedTerm):
        return [(query.codes, query.code)]
    if isinstance(query, CodedAll):
        return [(term.codes, term.code) for term in query.terms]
    if type(query) is wq.And:
        found: list[tuple[str, str]] = []
        for sub in query.subqueries:
            conditions = _conditions(sub)
            if conditions is None:
                return None
            found += conditions
        return found
    return None


class CodeMatcher(Matcher):  # type: ignore[misc]
    """The claims whose character in each of the codes strings is the code given
    with it, in order: the first string is scanned with `str.find`, the others
    checked where it matches."""

    def __init__(self, conditions: tuple[tuple[str, str], ...], score: float = 1.0) -> None:
        self._conditions = conditions
        self._score = score
        self._id = self._find(0)

    def _find(self, start: int) -> int:
        (codes, code), *rest = self._conditions
        found = codes.find(code, start)
        while found >= 0 and not all(other[found] == want for other, want in rest):
            found = codes.find(code, found + 1)
        return found

    def is_active(self) -> bool:
        return self._id >= 0

    def reset(self) -> None:
        self._id = self._find(0)

    def id(self) -> int:
        return self._id

    def next(self) -> bool:
        self._id = self._find(self._id + 1)
        return False

    def skip_to(self, target: int) -> None:
        if target > self._id:
            self._id = self._find(target)

    def all_ids(self) -> Iterator[int]:
        found = self._id
        while found >= 0:
            yield found
            found = self._find(found + 1)

    def copy(self) -> CodeMatcher:
        twin = CodeMatcher(self._conditions, self._score)
        twin._id = self._id
        return twin

    def supports_block_quality(self) -> bool:
        return False

    def max_quality(self) -> float:
        """The most a claim it matches can score: every one scores alike. whoosh asks
        each part of an AND for it when it drops parts that cannot reach the score a
        hit needs (once the best few are found: a query's suggestion is tried so)."""
        return self._score

    def weight(self) -> float:
        return 1.0

    def score(self) -> float:
        return self._score

    def value(self) -> bytes:
        return b""
