"""The site's search data: safe to embed, complete, and split so that every term is
found in the shard the manifest points to."""

from __future__ import annotations

import base64
import bisect
import json
import re
from pathlib import Path

import pytest

from evidencekb.site import search_data as site_search
from evidencekb.site.search_data import js_order, script_json, tokens
from fixtures import HOSTILE, build, sample_kb

CALL = re.compile(r"^EKBSearch\.(\w+)\((.*)\);\n$", re.DOTALL)


def load_call(path: Path) -> tuple[str, list[object]]:
    """The function a data script calls and its arguments, decoded."""
    match = CALL.match(path.read_text(encoding="utf-8"))
    assert match, path
    return match.group(1), json.loads(f"[{match.group(2)}]")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(sample_kb(), tmp_path_factory.mktemp("search") / "site")


def manifest(site: Path) -> dict:
    name, (data,) = load_call(site / "search" / "manifest.js")
    assert name == "manifest"
    return data


def test_script_json_escapes_what_could_end_a_script_or_a_line() -> None:
    text = script_json({"t": "</script><!-- & \u2028\u2029 é"})
    for raw in ("<", ">", "&", "\u2028", "\u2029"):
        assert raw not in text
    assert "é" in text
    assert json.loads(text) == {"t": "</script><!-- & \u2028\u2029 é"}


def test_search_data_never_holds_raw_markup_and_round_trips_hostile_text(site: Path) -> None:
    files = sorted((site / "search").glob("*.js"))
    assert files
    for path in files:
        raw = path.read_text(encoding="utf-8")
        for char in ("<", ">", "&", "\u2028", "\u2029"):
            assert char not in raw, (path.name, char)
    texts = [row[4] for path in (site / "search").glob("d-*.js") for row in load_call(path)[1][1]]
    assert HOSTILE in texts
    assert len(texts) == 6


def test_tokens_lowercase_split_on_non_letters_and_drop_stop_words() -> None:
    assert tokens("The N-methyl-D-aspartate (NMDA) receptor, 0.1-1.0 mg/kg; Ödem_x") == [
        "n",
        "methyl",
        "d",
        "aspartate",
        "nmda",
        "receptor",
        "0",
        "1",
        "1",
        "0",
        "mg",
        "kg",
        "ödem",
        "x",
    ]


def test_synonyms_and_abbreviations_expand_both_ways(site: Path) -> None:
    data = manifest(site)
    groups = [data["groups"][g] for g in data["names"]["crps"]]
    assert groups == [
        [
            ["complex", "regional", "pain", "syndrome"],
            ["complex", "regional", "pain", "syndromes"],
            ["crps"],
        ]
    ]
    assert data["names"]["complex regional pain syndrome"] == data["names"]["crps"]
    assert data["names"]["iv"] == data["names"]["intravenously"] == data["names"]["intravenous"]
    assert data["names"]["dosage"] == data["names"]["dosing"]  # categories expand too


def test_postings_find_every_claim_containing_a_word(site: Path) -> None:
    data = manifest(site)
    assert data["starts"] == [""]  # a small knowledge base is a single shard
    _, (number, entries) = load_call(site / "search" / "t-0000.js")
    assert number == 0
    index = {}
    for entry in entries:
        docs, total = [], 0
        for delta in entry[1]:
            total += delta
            docs.append(total)
        index[entry[0]] = docs
    claims = sample_kb().claims
    for word in ("crps", "ketamine", "complex", "script", "alert"):
        expected = [i for i, claim in enumerate(claims) if word in tokens(claim.text)]
        assert expected and index[word] == expected, word
    assert "the" not in index
    assert list(index) == sorted(index, key=js_order)


def test_filter_bitmaps_mark_exactly_the_claims_with_each_value(site: Path) -> None:
    data = manifest(site)
    claims = sample_kb().claims

    def members(key: str) -> list[int]:
        name, (got_key, encoded) = load_call(site / "search" / f"f-{key}.js")
        assert name == "facet" and got_key == key
        bits = base64.b64decode(encoded)
        return [i for i in range(len(claims)) if bits[i // 8] >> (i % 8) & 1]

    low = [label for label, *_ in data["strengths"]].index("low")
    assert members(f"strength-{low}") == [i for i, c in enumerate(claims) if c.strength == "low"]
    assert members("section-1") == [i for i, c in enumerate(claims) if c.section == "research"]
    assert members("topic-1") == [5]
    dosing = [term_id for term_id, _ in data["categories"]].index("dosing")
    assert members(f"category-{dosing}") == [2]


def test_a_large_index_is_cut_into_shards_every_term_can_be_found_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(site_search, "SHARD_BYTES", 40)
    site = build(sample_kb(), tmp_path / "site")
    starts = manifest(site)["starts"]
    assert len(starts) > 10 and starts[0] == ""
    keys = [js_order(start) for start in starts]
    assert keys == sorted(keys)
    for number in range(len(starts)):
        _, (got, entries) = load_call(site / "search" / f"t-{number:04d}.js")
        assert got == number and entries
        for entry in entries:
            # search.js: the last shard whose start sorts at or before the term
            assert bisect.bisect_right(keys, js_order(entry[0])) - 1 == number, entry[0]
