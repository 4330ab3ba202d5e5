"""The export's JSON text (kb/exporter.py's `indented_json`, written by orjson) is
json.dumps's with indent=2 and ensure_ascii off, to the character: for any value of
JSON's own kinds, and for every claim of the repository's kb and the evidence sample."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from evidencekb.kb.exporter import claims_json, indented_json
from evidencekb.kb.load import load_kb
from evidencekb.verdict import claim_json
from fixtures import HOSTILE, REPO_KB, add_evidence_sample

# Strings with what JSON escapes (quotes, backslashes, control characters) and what it
# leaves (DEL, U+2028, characters beyond U+FFFF), besides any text at all.
STRINGS = st.one_of(
    st.text(),
    st.text(
        st.sampled_from(
            ['"', "\\", "\x00", "\x1f", "\n", "\t", "\x7f", "\u2028", "é", "\U0001d465"]
        )
    ),
    st.just(HOSTILE),
)
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**64 - 1), STRINGS)
VALUES = st.recursive(
    LEAVES,
    lambda inner: st.one_of(
        st.lists(inner), st.lists(inner).map(tuple), st.dictionaries(STRINGS, inner)
    ),
    max_leaves=40,
)


@settings(max_examples=500, deadline=None)
@given(VALUES)
def test_it_is_json_dumps_text_for_any_json_value(value: object) -> None:
    assert indented_json(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_every_claim_of_the_kb_is_written_as_json_dumps_writes_it(tmp_path: Path) -> None:
    kb_dir = tmp_path / "kb"
    shutil.copytree(REPO_KB, kb_dir)
    add_evidence_sample(kb_dir)
    kb = load_kb(kb_dir)
    items = [claim_json(kb, claim) for claim in kb.claims]
    assert any(item["evidence"] for item in items)  # stances and quotations among them
    assert claims_json(kb, kb.claims) == json.dumps(items, indent=2, ensure_ascii=False) + "\n"
