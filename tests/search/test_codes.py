"""Section and strength coded one character per claim (search/codes.py) match what
whoosh's own postings of those fields match, and count alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.matching import IntersectionMatcher

from evidencekb.search.codes import CodedAll, CodedTerm, claim_test, count
from evidencekb.search.engine import search
from evidencekb.search.index import read_meta
from fixtures import seed_index


@pytest.fixture(scope="module", params=["seed", "three segments"])
def index_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_index(request.param, tmp_path_factory.mktemp("codes"))


def test_coded_terms_match_the_claims_whoosh_postings_match(index_dir: Path) -> None:
    meta = read_meta(index_dir)
    assert meta is not None
    ix = whoosh_index.open_dir(str(index_dir))
    checked = together = 0
    with ix.searcher() as searcher:
        for field, allowed in (("section", meta.sections), ("strength", meta.strength_labels)):
            for value in allowed:
                coded = CodedTerm(field, value, meta.codes[field], allowed)
                expected = sorted(searcher.docs_for_query(wq.Term(field, value)))
                assert sorted(searcher.docs_for_query(coded)) == expected
                both = wq.And([coded, wq.Term("text", "ketamin")])
                plain = wq.And([wq.Term(field, value), wq.Term("text", "ketamin")])
                found = sorted(searcher.docs_for_query(both))
                assert found == sorted(searcher.docs_for_query(plain))
                together += len(found)
                checked += len(expected)
    assert checked == 2 * searcher.doc_count_all() > 0  # every claim, once per field
    assert together > 0  # the claims about ketamine, once per field


def test_counts_follow_the_order_of_the_allowed_values_and_leave_out_zeros() -> None:
    codes = "0110"  # four claims: guidelines, research, research, guidelines
    assert count(codes, ("guidelines", "research"), [0, 1, 2]) == (
        ("guidelines", 1),
        ("research", 2),
    )
    assert count(codes, ("guidelines", "research"), [1]) == (("research", 1),)


def test_coded_terms_together_match_what_both_postings_match(index_dir: Path) -> None:
    meta = read_meta(index_dir)
    assert meta is not None
    ix = whoosh_index.open_dir(str(index_dir))
    found = 0
    with ix.searcher() as searcher:
        for section in meta.sections:
            for label in meta.strength_labels:
                pair = (
                    CodedTerm("section", section, meta.codes["section"], meta.sections),
                    CodedTerm("strength", label, meta.codes["strength"], meta.strength_labels),
                )
                plain = wq.And([wq.Term("section", section), wq.Term("strength", label)])
                expected = sorted(searcher.docs_for_query(plain))
                assert sorted(searcher.docs_for_query(CodedAll(pair))) == expected
                results = search(index_dir, f"section:{section} AND strength:{label}", limit=3)
                assert results.total == len(expected)
                assert [hit.claim["id"] for hit in results.hits] == [
                    json.loads(searcher.stored_fields(docnum)["claim"])["id"]
                    for docnum in expected[:3]
                ]
                found += len(expected)
    assert found == searcher.doc_count_all()  # every claim in one of the pairs


def test_a_claim_test_of_coded_terms_allows_the_claims_they_match(index_dir: Path) -> None:
    meta = read_meta(index_dir)
    assert meta is not None
    ix = whoosh_index.open_dir(str(index_dir))
    section = CodedTerm("section", "research", meta.codes["section"], meta.sections)
    strength = CodedTerm("strength", "low", meta.codes["strength"], meta.strength_labels)
    with ix.searcher() as searcher:
        claims = range(searcher.doc_count_all())
        for query in (section, CodedAll((section, strength)), wq.And([section, strength])):
            test = claim_test(query)
            assert test is not None
            expected = set(searcher.docs_for_query(query))
            assert 0 < len(expected) < len(claims)
            assert {docnum for docnum in claims if test(docnum)} == expected
    assert claim_test(wq.And([section, wq.Term("entity", "ketamine")])) is None


def test_a_coded_part_of_an_and_says_how_much_its_claims_score(index_dir: Path) -> None:
    """whoosh asks each part of an AND for its most, once a search has its best few
    and drops the parts that cannot reach them (`onli section:research` on the large
    benchmark kb stopped there with a traceback)."""
    meta = read_meta(index_dir)
    assert meta is not None
    ix = whoosh_index.open_dir(str(index_dir))
    with ix.searcher() as searcher:
        coded = CodedTerm("section", "research", meta.codes["section"], meta.sections)
        matcher = coded.matcher(searcher.leaf_searchers()[0][0])
        assert matcher.max_quality() == matcher.score() == 1.0
        word = wq.Term("text", "ketamin").matcher(searcher.leaf_searchers()[0][0])
        both = IntersectionMatcher(word, matcher).replace(0.5)
        assert both.is_active()
        assert IntersectionMatcher(word, coded.matcher(searcher)).replace(1e9).is_active() is False
