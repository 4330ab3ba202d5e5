"""Scoring every match at once (search/bulk.py) finds the claims whoosh's matchers
find, each with the score whoosh gives it, to the last bit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import index as whoosh_index
from whoosh import query as wq

from evidencekb.search.bulk import BulkScores
from evidencekb.search.engine import DEFAULT_RANKING, RobertsonBM25F
from evidencekb.search.matchers import Phrase
from evidencekb.search.whooshext import SCORED_ARRAYS_EXT, Intersection, ScoredArrays, Union
from fixtures import seed_index

# Index terms of the seed kb (stemmed), common and rare, and one it does not have.
WORDS = ("ketamin", "pain", "opioid", "chronic", "neuropath", "dose", "delirium", "crps")
WORDS += ("absentword",)
FIELDS = ("body", "heading", "text", "topic_title", "terms")
BOOSTS = (1.0, 0.3, 2.5)

terms = st.builds(
    lambda field, word, boost: wq.Term(field, word, boost=boost),
    st.sampled_from(FIELDS),
    st.sampled_from(WORDS),
    st.sampled_from(BOOSTS),
)
queries = st.recursive(
    terms,
    lambda parts: st.one_of(
        st.builds(Union, st.lists(parts, min_size=1, max_size=4), boost=st.sampled_from(BOOSTS)),
        st.builds(
            Intersection, st.lists(parts, min_size=1, max_size=3), boost=st.sampled_from(BOOSTS)
        ),
    ),
    max_leaves=10,
)


@pytest.fixture(scope="module", params=["seed", "three segments"])
def index(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> object:
    return whoosh_index.open_dir(str(seed_index(request.param, tmp_path_factory.mktemp("bulk"))))


def searcher_of(index: object) -> object:
    weighting = RobertsonBM25F(B=DEFAULT_RANKING.b, K1=DEFAULT_RANKING.k1)
    return index.searcher(weighting=weighting)  # type: ignore[attr-defined]


def whoosh_scores(searcher: object, query: wq.Query) -> dict[int, float]:
    results = searcher.search(query, limit=None)  # type: ignore[attr-defined]
    return {results.docnum(i): results.score(i) for i in range(results.scored_length())}


@settings(max_examples=150, deadline=None)
@given(query=queries)
def test_every_match_has_the_score_whoosh_gives_it(index: object, query: wq.Query) -> None:
    with searcher_of(index) as searcher, BulkScores(searcher) as bulk:  # type: ignore[attr-defined]
        expected = whoosh_scores(searcher, query)
        claims = bulk.claims(query)  # the parts not scored yet
        assert claims is not None and sorted(claims) == sorted(expected)
        assert bulk.scores(query) == expected
        assert sorted(bulk.claims(query) or ()) == sorted(expected)  # all scored by now


def test_the_words_of_a_query_are_scored_once_for_its_strict_and_relaxed_forms(
    index: object,
) -> None:
    words = [Union([wq.Term(f, w) for f in FIELDS]) for w in ("ketamin", "pain", "chronic")]
    with searcher_of(index) as searcher, BulkScores(searcher) as bulk:  # type: ignore[attr-defined]
        every, some = bulk.scores(Intersection(words)), bulk.scores(Union(words))
        assert every and some and set(every) < set(some)
        assert every == whoosh_scores(searcher, Intersection(words))
        assert some == whoosh_scores(searcher, Union(words))
        # each claim with every word scores as in the relaxed form: one order of addition
        assert all(some[docnum] == score for docnum, score in every.items())


@pytest.mark.parametrize(
    "query",
    [
        Phrase("body", ["chronic", "pain"]),
        Union([wq.Term("body", "pain"), Phrase("body", ["chronic", "pain"])]),
        wq.And([wq.Term("body", "pain"), wq.Term("body", "ketamin")]),
        wq.Term("section", "research"),  # a keyword field: whoosh does not score by length
    ],
    ids=["phrase", "a phrase inside", "whoosh's And", "keyword field"],
)
def test_a_query_of_other_parts_is_left_to_whoosh(index: object, query: wq.Query) -> None:
    with searcher_of(index) as searcher, BulkScores(searcher) as bulk:  # type: ignore[attr-defined]
        assert bulk.scores(query) is None


def test_the_arrays_beside_each_segment_hold_whoosh_s_postings(tmp_path: Path) -> None:
    """Every term of every scored field: the same claims with the same weights. (The
    "three segments" index is written by whoosh's own writer, one topic at a time, so
    it has none: the property test above scores it from whoosh's blocks.)"""
    index = whoosh_index.open_dir(str(seed_index("seed", tmp_path)))
    with searcher_of(index) as searcher:  # type: ignore[attr-defined]
        checked = 0
        for leaf, _ in searcher.leaf_searchers():
            reader = leaf.reader()
            arrays = ScoredArrays.of(reader)
            assert arrays is not None
            for fieldname, term in reader.all_terms():
                found = arrays.postings(fieldname, term)
                if not searcher.schema[fieldname].scorable:
                    assert found is None
                    continue
                matcher = reader.postings(fieldname, term)
                expected = list(zip(*((m.id(), m.weight()) for m in _each(matcher)), strict=True))
                assert found is not None
                assert (list(found[0]), list(found[1])) == (list(expected[0]), list(expected[1]))
                checked += 1
            arrays.close()
        assert checked > 100


def _each(matcher: object) -> Iterator[object]:
    while matcher.is_active():  # type: ignore[attr-defined]
        yield matcher
        matcher.next()  # type: ignore[attr-defined]


def test_an_index_without_the_arrays_is_scored_from_whoosh_s_postings_alike(
    tmp_path: Path,
) -> None:
    """An index written before there were arrays files reads whoosh's blocks."""
    folder = seed_index("seed", tmp_path)
    words = [Union([wq.Term(f, w) for f in FIELDS]) for w in ("ketamin", "pain", "chronic")]
    queries = [Intersection(words), Union(words), *words]
    index = whoosh_index.open_dir(str(folder))
    with searcher_of(index) as searcher, BulkScores(searcher) as bulk:  # type: ignore[attr-defined]
        with_arrays = [bulk.scores(query) for query in queries]
    for path in folder.glob(f"*{SCORED_ARRAYS_EXT}"):
        path.unlink()
    index = whoosh_index.open_dir(str(folder))
    with searcher_of(index) as searcher, BulkScores(searcher) as bulk:  # type: ignore[attr-defined]
        assert all(ScoredArrays.of(leaf.reader()) is None for leaf, _ in searcher.leaf_searchers())
        assert [bulk.scores(query) for query in queries] == with_arrays
        assert with_arrays == [whoosh_scores(searcher, query) for query in queries]
