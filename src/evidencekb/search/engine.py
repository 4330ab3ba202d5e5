"""`search()`: one query against the index, from the words typed to ranked results.

It ties the other modules together: query.py reads the query and compiles it
into whoosh queries (vocabulary names expanded), spelling.py offers a
correction when that finds more, and this module runs the query with the
ranking both front ends share (`RobertsonBM25F` with the parameters of
`Ranking`, which the site's search data carries too), applies the filters
and returns `SearchResults` for output.py to show. A query of words is scored
a posting list at a time (bulk.py); any other, by whoosh's matchers. The query
language itself is documented in query.py and the README.
"""

from __future__ import annotations

import heapq
import json
import math
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.collectors import FilterCollector
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile
from whoosh.scoring import BM25F

from evidencekb.errors import KBError, QueryError, failure_reason
from evidencekb.reading import open_regular
from evidencekb.registry import query_field
from evidencekb.search.analysis import TOKEN_PATTERN, narrowed, spans
from evidencekb.search.bulk import BulkScores
from evidencekb.search.codes import CodedAll, CodedTerm, claim_test, count
from evidencekb.search.damage import damaged
from evidencekb.search.fields import keyword_query
from evidencekb.search.index import IndexMeta, read_meta
from evidencekb.search.query import Compiler, Node, Plan, parse
from evidencekb.search.spelling import corrected_query
from evidencekb.search.whooshext import CountingCollector, remember_terms


class RobertsonBM25F(BM25F):
    """whoosh's BM25F with the Robertson-Sparck Jones idf (as in Lucene and
    SQLite FTS5) instead of whoosh's log(N/(df+1))+1, which lets common words
    weigh too much against rare ones."""

    def idf(self, searcher: Any, fieldname: str, text: str) -> float:
        docs = searcher.doc_count_all()
        df = searcher.doc_frequency(fieldname, text)
        return math.log(1 + (docs - df + 0.5) / (df + 0.5))


@dataclass(frozen=True)
class Ranking:
    """BM25F parameters; the defaults are the tuned ones (see BENCHMARKS.md,
    "Relevance"). Claims with every word rank first, then the rest."""

    k1: float = 1.2
    b: float = 0.9
    # "body" (heading and text together) carries the ranking; the heading's
    # own small weight adds what a title says about the whole claim.
    field_boosts: tuple[tuple[str, float], ...] = (
        ("body", 1.0),
        ("heading", 0.3),
        ("topic_title", 0.2),
        ("terms", 0.5),
    )


DEFAULT_RANKING = Ranking()


@dataclass(frozen=True)
class Filters:
    """Restrictions from command-line options, as (field, value) pairs of the
    registry's filter fields (`registry.filters()`): each restricts as the query
    `field:value` would."""

    given: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, **values: object) -> Filters:
        """The filters given a value (None: that filter is not given)."""
        return cls(tuple((name, str(v)) for name, v in values.items() if v is not None))


@dataclass(frozen=True)
class Hit:
    claim: dict[str, object]  # the claim's export JSON (`Claim.to_dict()`)
    score: float
    highlights: tuple[tuple[int, int], ...]  # character spans of matched words in the text


@dataclass(frozen=True)
class SearchResults:
    query: str
    corrected_query: str | None  # what the query was corrected to, if it was
    hits: tuple[Hit, ...]
    total: int  # matching claims, of which `hits` are the best
    by_section: tuple[tuple[str, int], ...] = ()
    by_strength: tuple[tuple[str, int], ...] = ()
    # False when no claim has every word and the hits are claims with any of them.
    every_word: bool = True
    filters: Filters = Filters()  # the filters the results are restricted by
    # True when the query has words but none is searched: only very common words
    # (STOP_WORDS) or words too short, as the site's `hasWords` without `words`.
    unsearched: bool = False


def search(
    index_dir: Path,
    query: str,
    *,
    filters: Filters = Filters(),
    limit: int = 10,
    ranking: Ranking = DEFAULT_RANKING,
) -> SearchResults:
    """Run `query` against the index in `index_dir` (see the module docstring)."""
    if limit < 1:
        raise QueryError("--limit must be at least 1")
    # Composed, as the site's search composes it: "Schu\u0308nemann" pasted from a PDF is
    # the name as typed, "Schünemann", not two words split at the accent; and narrowed:
    # KETAMINE typed full-width (U+FF2B U+FF25 ...) is "KETAMINE".
    query = narrowed(unicodedata.normalize("NFC", query))
    tree = parse(query)  # syntax errors first, before touching the index
    run = partial(_run, query=query, tree=tree, filters=filters, limit=limit, ranking=ranking)
    failure: Exception | None = None
    for attempt in range(3):
        try:
            return _search_once(index_dir, ranking, run)
        except Exception as error:
            if not isinstance(error, OSError) and not damaged(error):
                raise
            failure = error
        if attempt < 2:  # a rebuild may have swapped the index as we opened it: try the new one
            time.sleep(0.05)
    assert failure is not None
    raise _unreadable(index_dir, failure) from failure


def _search_once(
    index_dir: Path, ranking: Ranking, run: Callable[[Any, BulkScores, IndexMeta], SearchResults]
) -> SearchResults:
    """`run` on the index in `index_dir`, opened (its searcher, scorer and metadata)."""
    storage = _Storage(str(index_dir))
    try:
        ix = whoosh_index.FileIndex(storage)
        meta = read_meta(index_dir)
        if meta is None:
            raise OSError("index metadata missing")
        weighting = RobertsonBM25F(B=ranking.b, K1=ranking.k1)
        with ix.searcher(weighting=weighting) as searcher, BulkScores(searcher) as bulk:
            remember_terms(searcher)
            return run(searcher, bulk, meta)
    except BaseException:
        storage.close_opened()
        raise


class _Storage(FileStorage):
    """whoosh's storage of an index folder, remembering the files it opens: a reader
    whose constructor fails on a damaged file leaves it open, and a search that fails
    closes them all."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.opened: list[Any] = []

    def open_file(self, name: str, **kwargs: Any) -> Any:
        # As whoosh's own, but never blocking on a FIFO put in place of an index file.
        opened = StructFile(open_regular(Path(self._fpath(name))), name=name, **kwargs)
        self.opened.append(opened)
        return opened

    def close_opened(self) -> None:
        for opened in self.opened:
            if not opened.is_closed:  # whoosh's StructFile refuses to close twice
                opened.close()


_REASON_CHARS = 120  # of what failed, in the message of an index that could not be read


def _unreadable(index_dir: Path, error: Exception) -> KBError:
    """What to say of an index that could not be read, and how to write it anew (only
    --full: a build keeps the files of the index whose inputs did not change), naming
    what failed."""
    if isinstance(error, OSError):
        return KBError(
            f"cannot read the search index at {index_dir}: {failure_reason(error)}; it "
            "may be damaged: run `ekb build --full` to write it anew"
        )
    what = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    if len(what) > _REASON_CHARS:
        what = what[:_REASON_CHARS] + "…"
    return KBError(
        f"cannot read the search index at {index_dir} ({what}); it may be damaged: "
        "run `ekb build --full` to write it anew"
    )


def _run(
    searcher: Any,
    bulk: BulkScores,
    meta: IndexMeta,
    query: str,
    tree: Node | None,
    filters: Filters,
    limit: int,
    ranking: Ranking,
) -> SearchResults:
    compiler = Compiler(meta, dict(ranking.field_boosts))
    filter_query = _filter_query(meta, filters)
    plan = compiler.compile(tree)
    corrected = None
    suggestion = None if tree is None else corrected_query(query, tree, searcher, meta.vocabulary)
    suggested = None if suggestion is None else _query_tree(suggestion)
    if suggested is not None:
        # A correction is offered only when it finds more than the query as typed.
        better = compiler.compile(suggested)
        if _reach(searcher, better, filter_query) > _reach(searcher, plan, filter_query):
            corrected, plan = suggestion, better
    if plan.strict is None:
        # Stop words only, or no words.
        unsearched = re.search(TOKEN_PATTERN, query) is not None
        return SearchResults(query, corrected, (), 0, filters=filters, unsearched=unsearched)
    widest = plan.relaxed  # None unless loose words could be relaxed
    # The claims the widest query matches are the ones counted, by section and
    # strength too: with its best hits when the strict query leaves room on the
    # page, else only counted.
    wanted = limit + TIE_MARGIN
    scored = Scored(searcher, bulk, filter_query)
    best, matched = scored.collect(plan.strict, wanted, every=widest is None)
    ranked = best[:limit]
    every_word = bool(ranked) or widest is None
    if widest is not None and len(ranked) == limit:
        # The page is full of claims with every word: the widest query ranks none
        # of them, so its matches are only counted.
        matched = scored.matches(widest)
    elif widest is not None:
        wanted = limit + len(ranked) + TIE_MARGIN
        best, matched = scored.collect(widest, wanted, every=True)
        seen = {docnum for docnum, _ in ranked}
        more = [item for item in best if item[0] not in seen]
        ranked = (ranked + more)[:limit]
    hits = []
    for docnum, score in ranked:
        claim = json.loads(searcher.stored_fields(docnum)["claim"])
        marks = tuple(spans(str(claim["text"]), plan.highlight_terms))
        hits.append(Hit(claim, round(score, 4), marks))
    by_section = count(meta.codes["section"], meta.sections, matched)
    by_strength = count(meta.codes["strength"], meta.strength_labels, matched)
    total = len(matched)
    return SearchResults(
        query, corrected, tuple(hits), total, by_section, by_strength, every_word, filters
    )


def _query_tree(suggestion: str) -> Node | None:
    """The tree of a corrected query, or None if it is no query one may type: longer
    than the query as typed, it may pass the limits on a query's length, and then it is
    not offered (the one who followed it would be told it is too long)."""
    try:
        return parse(suggestion)
    except QueryError:
        return None


def _reach(searcher: Any, plan: Plan, filter_query: wq.Query | None) -> tuple[bool, bool]:
    """Whether a plan finds a claim with all its words, and one with any."""

    def found(query: wq.Query | None) -> bool:
        if query is None:
            return False
        return bool(searcher.search(query, limit=1, filter=filter_query).scored_length())

    every = found(plan.strict)
    return every, every or found(plan.relaxed)


# Scores equal to SCORE_PRECISION are ties, ranked by claim order (the order of
# kb/): the site's JavaScript adds the same numbers in another order, and must
# rank alike. A few more hits than shown are fetched so that a tie at the cut
# is broken the same way.
SCORE_PRECISION = 1e9
TIE_MARGIN = 10


def _rank(item: tuple[int, float]) -> tuple[int, int]:
    """A hit's place: its score to SCORE_PRECISION, highest first, then claim order."""
    docnum, score = item
    return -math.floor(score * SCORE_PRECISION + 0.5), docnum


def _best(found: dict[int, float], limit: int) -> list[tuple[int, float]]:
    """The best `limit` of the claims `found` with their scores, ranked as `_rank`
    ranks them. Only a claim within two SCORE_PRECISION steps of the `limit`-th best
    score can be among them (any lower rounds below `limit` others): the few left
    are sorted, not the thousands."""
    if len(found) > limit:
        cut = heapq.nlargest(limit, found.values())[-1] - 2 / SCORE_PRECISION
        found = {docnum: score for docnum, score in found.items() if score >= cut}
    return sorted(found.items(), key=_rank)[:limit]


def _top(found: Any, limit: int) -> list[tuple[int, float]]:
    """The best `limit` hits whoosh found, as (docnum, score), ties in claim order."""
    items = [(found.docnum(i), found.score(i)) for i in range(min(limit, found.scored_length()))]
    return sorted(items, key=_rank)


class Scored:
    """One search's queries run in `searcher`, within `filter_query` (None: all
    claims): scored a posting list at a time where `bulk` can (bulk.py), else by
    whoosh's matchers."""

    def __init__(self, searcher: Any, bulk: BulkScores, filter_query: wq.Query | None) -> None:
        self.searcher, self.bulk, self.filter_query = searcher, bulk, filter_query
        self._test: Callable[[int], bool] | None = None

    def collect(
        self, query: wq.Query, limit: int, *, every: bool
    ) -> tuple[list[tuple[int, float]], list[int]]:
        """The best `limit` hits as (docnum, score), ties in claim order, and, if
        `every`, the numbers of all the claims matching (else none: whoosh may
        then skip the hopeless ones)."""
        searcher, filter_query = self.searcher, self.filter_query
        if every and filter_query is None and isinstance(query, CodedTerm | CodedAll):
            # Section and strength only: every match scores alike, so the first
            # in claim order are the best, and whoosh need not visit each one.
            matcher = query.matcher(searcher)
            matched = list(matcher.all_ids())
            return [(docnum, matcher.score()) for docnum in matched[:limit]], matched
        found = self._bulk(query)
        if found is not None:
            return _best(found, limit), list(found) if every else []
        if not every:
            return _top(searcher.search(query, limit=limit, filter=filter_query), limit), []
        collector = CountingCollector(limit)
        outer = collector
        if filter_query is not None:
            outer = FilterCollector(collector, allow=filter_query)
        searcher.search_with_collector(query, outer)
        return _top(outer.results(), limit), collector.matched

    def matches(self, query: wq.Query) -> list[int]:
        """The numbers of all the claims `query` matches, which `collect` would count,
        found without a score for each (in no particular order: they are counted)."""
        claims = self.bulk.claims(query)
        found = self.searcher.docs_for_query(query) if claims is None else claims
        return list(found) if self.filter_query is None else list(filter(self._allows(), found))

    def _bulk(self, query: wq.Query) -> dict[int, float] | None:
        """The query's claims with their scores (bulk.py), within the filter."""
        found = self.bulk.scores(query)
        if found is None or self.filter_query is None:
            return found
        allows = self._allows()
        return {docnum: score for docnum, score in found.items() if allows(docnum)}

    def _allows(self) -> Callable[[int], bool]:
        """Whether the filter allows a claim: read off the codes of section and
        strength (a filter of those lets most claims through, each looked up more
        cheaply than all of them listed), or else the filter's claims, listed once."""
        if self._test is None:
            assert self.filter_query is not None
            test = claim_test(self.filter_query)
            if test is None:
                test = frozenset(self.searcher.docs_for_query(self.filter_query)).__contains__
            self._test = test
        return self._test


def _filter_query(meta: IndexMeta, filters: Filters) -> wq.Query | None:
    parts = [keyword_query(query_field(name), value, meta) for name, value in filters.given]
    return wq.And(parts) if parts else None
