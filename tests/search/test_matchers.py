"""Our whoosh queries (search/matchers.py) match and score exactly as the whoosh
queries they stand for, on real SciFact abstracts in several segments."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import index as whoosh_index
from whoosh import query as wq

from evidencekb.kb.fingerprint import Fingerprint
from evidencekb.model import KnowledgeBase
from evidencekb.search.analysis import terms
from evidencekb.search.engine import DEFAULT_RANKING, RobertsonBM25F
from evidencekb.search.index import read_meta
from evidencekb.search.matchers import Phrase, Within
from evidencekb.search.query import Compiler, parse
from evidencekb.search.whooshext import Union
from evidencekb.search.writer import write_index
from fixtures import long_kb, one_segment_per_topic

BOOSTS = dict(DEFAULT_RANKING.field_boosts)


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return long_kb(abstracts=40)


@pytest.fixture(scope="module")
def index_dir(kb: KnowledgeBase, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The kb's index, its metadata included, rewritten with a segment per topic."""
    folder = tmp_path_factory.mktemp("matchers") / "whoosh"
    write_index(kb, folder, fingerprint=Fingerprint("test", read_started_ns=0))
    one_segment_per_topic(kb, folder)
    return folder


@pytest.fixture(scope="module")
def searcher(kb: KnowledgeBase, index_dir: Path) -> Iterator[Any]:
    """The index searched as `ekb search` searches it."""
    weighting = RobertsonBM25F(B=DEFAULT_RANKING.b, K1=DEFAULT_RANKING.k1)
    with whoosh_index.open_dir(str(index_dir)).searcher(weighting=weighting) as opened:
        assert len(opened.subsearchers) == len(kb.topics)
        yield opened


@pytest.fixture(scope="module")
def phrases(kb: KnowledgeBase) -> list[tuple[str, ...]]:
    """Runs of two and three index terms from the claims' headings and texts: phrases
    that are there, in the heading, the text or both."""
    found = set()
    for claim in kb.claims:
        for written in (claim.heading or "", claim.text):
            words = terms(written)
            for size in (2, 3):
                found.update(tuple(words[i : i + size]) for i in range(len(words) - size + 1))
    return sorted(found)


def _phrase(data: st.DataObject, phrases: list[tuple[str, ...]]) -> list[str]:
    """One of the kb's phrases, or its words side by side where the claims may not
    have them so."""
    words = sorted({word for phrase in phrases for word in phrase})
    drawn = data.draw(
        st.one_of(
            st.sampled_from(phrases),
            st.lists(st.sampled_from(words), min_size=2, max_size=3),
        )
    )
    return list(drawn)


def _all(searcher: Any, query: wq.Query) -> list[tuple[int, float]]:
    return [(hit.docnum, hit.score) for hit in searcher.search(query, limit=None)]


def _top(searcher: Any, query: wq.Query, limit: int) -> list[tuple[int, float]]:
    return [(hit.docnum, hit.score) for hit in searcher.search(query, limit=limit)]


@settings(max_examples=200, deadline=None)
@given(data=st.data(), limit=st.integers(1, 10))
def test_within_is_the_union_of_the_body_and_heading_phrases(
    searcher: Any, phrases: list[tuple[str, ...]], data: st.DataObject, limit: int
) -> None:
    """Same claims, same scores to the last bit, in whoosh's own order, for every claim
    and for the best few (where whoosh prunes by the best score a part can reach)."""
    words = _phrase(data, phrases)
    body, heading = BOOSTS["body"], BOOSTS["heading"]
    ours = Within(Phrase("body", words, boost=body), Phrase("heading", words, boost=heading))
    expected = wq.Or(
        [wq.Phrase("body", words, boost=body), wq.Phrase("heading", words, boost=heading)]
    )
    assert _all(searcher, ours) == _all(searcher, expected)
    cell = wq.Term("terms", "cell", boost=BOOSTS["terms"])
    assert _top(searcher, Union([ours, cell]), limit) == _top(
        searcher, wq.Or([expected, cell]), limit
    )


@settings(max_examples=200, deadline=None)
@given(
    data=st.data(),
    field=st.sampled_from(["body", "heading", "text", "terms"]),
    boost=st.sampled_from([1.0, 0.3]),
    limit=st.integers(1, 10),
)
def test_phrase_matches_and_scores_as_whooshs(
    searcher: Any,
    phrases: list[tuple[str, ...]],
    data: st.DataObject,
    field: str,
    boost: float,
    limit: int,
) -> None:
    """Every claim and the best few (PhraseMatcher against whoosh's span matcher),
    among them phrases with a word twice."""
    words = _phrase(data, phrases)
    expected = wq.Phrase(field, words, boost=boost)
    assert _all(searcher, Phrase(field, words, boost=boost)) == _all(searcher, expected)
    cell = wq.Term("terms", "cell", boost=BOOSTS["terms"])
    assert _top(searcher, Union([Phrase(field, words, boost=boost), cell]), limit) == _top(
        searcher, wq.Or([expected, cell]), limit
    )


def test_the_phrases_drawn_are_found_in_headings_and_beyond_them(
    searcher: Any, phrases: list[tuple[str, ...]]
) -> None:
    """So that the tests above compare claims that match, not empty lists."""
    in_heading = [p for p in phrases if _all(searcher, wq.Phrase("heading", list(p)))]
    beyond = [
        p
        for p in phrases[:400]
        if len(_all(searcher, wq.Phrase("body", list(p))))
        > len(_all(searcher, wq.Phrase("heading", list(p))))
    ]
    assert len(in_heading) > 100
    assert len(beyond) > 100


def test_a_phrase_is_compiled_with_the_heading_within_the_body(index_dir: Path) -> None:
    meta = read_meta(index_dir)
    assert meta is not None
    plan = Compiler(meta, BOOSTS).compile(parse('"cell death"'))
    assert isinstance(plan.strict, Union)
    within, *others = plan.strict.subqueries
    assert isinstance(within, Within)
    assert (within.a.fieldname, within.b.fieldname) == ("body", "heading")
    assert [q.fieldname for q in others] == ["topic_title", "terms"]


def test_the_best_few_keep_a_claim_that_ranks_high_by_its_heading(searcher: Any) -> None:
    """Found by the property above: whoosh prunes a part of a query that cannot reach
    the score the best few need, and a part must count what its heading adds."""
    words = ["acut", "administr"]
    body, heading = BOOSTS["body"], BOOSTS["heading"]
    ours = Within(Phrase("body", words, boost=body), Phrase("heading", words, boost=heading))
    expected = wq.Or(
        [wq.Phrase("body", words, boost=body), wq.Phrase("heading", words, boost=heading)]
    )
    cell = wq.Term("terms", "cell", boost=BOOSTS["terms"])
    best = _top(searcher, wq.Or([expected, cell]), 3)
    assert _top(searcher, Union([ours, cell]), 3) == best
    assert best[0][0] in {docnum for docnum, _ in _all(searcher, wq.Phrase("heading", words))}
