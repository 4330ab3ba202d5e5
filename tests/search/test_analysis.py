"""Analysis done once and shared: "body" put together from the heading's and the
text's terms (analysis.pooled), and the index's segments written from text analysed
beforehand (segments.preanalysed), are what whoosh's own analysis gives."""

from __future__ import annotations

from hypothesis import given, settings

from evidencekb.kb.load import load_kb
from evidencekb.search.analysis import Vocabulary, analysed, pooled, terms, text_analyzer
from evidencekb.search.index import schema
from evidencekb.search.segments import preanalysed, writing_schema
from fixtures import ANALYSED_TEXT, REPO_KB


@settings(max_examples=400, deadline=None)
@given(heading=ANALYSED_TEXT, text=ANALYSED_TEXT)
def test_body_put_together_is_body_analysed(heading: str, text: str) -> None:
    analyzer = text_analyzer()
    found = pooled(heading, analysed(analyzer, heading), analysed(analyzer, text))
    assert found == analysed(analyzer, f"{heading}\n{text}")


@settings(max_examples=200, deadline=None)
@given(heading=ANALYSED_TEXT, text=ANALYSED_TEXT, title=ANALYSED_TEXT)
def test_a_preanalysed_document_gives_whooshs_postings(heading: str, text: str, title: str) -> None:
    document = {"text": text, "heading": heading, "body": f"{heading}\n{text}"}
    document["topic_title"] = title
    (given,) = preanalysed([document])
    plain, ours = schema(), writing_schema()
    for name, value in document.items():
        assert list(ours[name].index(given[name])) == list(plain[name].index(value)), name


def test_a_broader_term_carries_the_narrower_names_and_not_the_reverse() -> None:
    vocabulary = Vocabulary.from_kb(load_kb(REPO_KB))
    groups = {group.id: group for group in vocabulary.groups}
    assert groups["ketamine"].names == (("ketamin",),)
    assert groups["ketamine"].narrower == (("esketamin",), ("arketamin",))
    assert "esketamine" not in groups  # one name, nothing narrower: nothing to expand
    assert groups["nausea-vomiting"].narrower == (("nausea",), ("vomit",), ("emesi",))
    assert Vocabulary.from_json(vocabulary.to_json()) == vocabulary


def test_no_two_terms_of_the_repositorys_vocabulary_share_a_name_as_searched() -> None:
    """A shared name would make a narrower term's search find its broader one."""
    kb = load_kb(REPO_KB)
    owners: dict[tuple[str, ...], set[str]] = {}
    for term in (*kb.entities, *kb.categories):
        for name in term.names:
            owners.setdefault(terms(name), set()).add(term.id)
    assert {name: ids for name, ids in owners.items() if len(ids) > 1} == {}
