"""Analysis done once and shared: "body" put together from the heading's and the
text's terms (analysis.pooled), and the index's segments written from text analysed
beforehand (segments.preanalysed), are what whoosh's own analysis gives."""

from __future__ import annotations

from hypothesis import given, settings

from evidencekb.search.analysis import analysed, pooled, text_analyzer
from evidencekb.search.index import schema
from evidencekb.search.segments import preanalysed, writing_schema
from fixtures import ANALYSED_TEXT


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
