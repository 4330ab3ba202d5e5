"""The search data's analysis (site/search_analysis.py): "body" put together from the
heading's and the text's terms is what analysing the two joined gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from evidencekb.search.analysis import STOP_WORDS, text_analyzer
from evidencekb.site.search_analysis import _pooled

# Words of every kind the analyser treats apart: stop words (also first and last),
# words too short to index, abbreviations kept whole, numbers with a point, words
# outside ASCII, and what is no word at all.
OTHERS = ["a", "x", "CRPS", "NMDA", "IL10", "ketamine", "doses", "dosing", "0.5", "1.2.3"]
OTHERS += ["Müller", "naïve", "β-blockers", "—", "(", "e.g.", "n=12"]
WORDS = st.sampled_from([*sorted(STOP_WORDS)[:40], *OTHERS])
FIELD = st.lists(WORDS, max_size=12).map(" ".join)


def _terms(text: str) -> list[tuple[str, int]]:
    return [(t.text, t.pos) for t in text_analyzer()(text, positions=True, mode="index")]


@settings(max_examples=400, deadline=None)
@given(heading=FIELD, text=FIELD)
def test_body_put_together_is_body_analysed(heading: str, text: str) -> None:
    assert _pooled(heading, _terms(heading), _terms(text)) == _terms(f"{heading}\n{text}")
