"""The site's search data: safe to embed, complete, and split so that every term is
found in the shard the manifest points to."""

from __future__ import annotations

import bisect
import json
import re
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from evidencekb import identifiers
from evidencekb.kb.fingerprint import Fingerprint
from evidencekb.registry import QUERY_FIELDS, allowed_values
from evidencekb.search import analysis, fields, write_index
from evidencekb.search.browser import data as site_search
from evidencekb.search.browser.data import js_order, script_json
from evidencekb.search.engine import DEFAULT_RANKING
from fixtures import HOSTILE, build, sample_kb, search_list

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


def entries(site: Path) -> dict[str, list[object]]:
    """Every shard entry, by key."""
    found: dict[str, list[object]] = {}
    for path in sorted((site / "search").glob("t-*.js")):
        for entry in load_call(path)[1][1]:
            found[entry[0]] = entry
    return found


def decoded(flat: list[int], starts: list[int]) -> dict[int, tuple[int, list[int]]]:
    """A field's postings: claim number -> (stored length, positions)."""
    return {doc: (length, positions) for doc, length, positions in search_list(flat, starts, True)}


def test_the_analysis_and_ranking_rules_come_from_python(site: Path) -> None:
    data = manifest(site)["analysis"]
    kb = sample_kb()
    assert data["token"] == analysis.JS_TOKEN_PATTERN
    assert data["stopWords"] == sorted(analysis.STOP_WORDS)
    assert data["groups"] == analysis.Vocabulary.from_kb(kb).to_json()["groups"]
    assert data["abbreviations"] == ["crps", "iv"]
    assert [data["k1"], data["b"]] == [DEFAULT_RANKING.k1, DEFAULT_RANKING.b]
    assert data["boosts"] == [list(pair) for pair in DEFAULT_RANKING.field_boosts]
    # The cited works' and the evidence's fields: patterns and values from Python.
    assert data["yearPattern"] == fields.YEAR_PATTERN
    assert [data["doiPattern"], data["doiPrefix"], data["pmidPattern"]] == [
        identifiers.DOI_PATTERN,
        identifiers.DOI_PREFIX_PATTERN,
        identifiers.PMID_PATTERN,
    ]
    # Every field of the registry, with its rule, in the order the error messages list.
    assert list(data["fields"]) == sorted(f.name for f in QUERY_FIELDS)
    assert data["fields"]["design"] == {
        "rule": "term",
        "needs": "a publication type or study design",
        "example": "design:rct",
    }
    assert data["values"] == allowed_values(kb)
    assert data["values"]["stance"] == {t.id: [t.label] for t in kb.stances}
    assert list(data["values"]["contested"]) == ["yes", "no"]
    assert data["ranges"]["year"] == [2020]  # the one dated work that a claim cites


def test_postings_and_statistics_are_whooshs_own(site: Path, tmp_path: Path) -> None:
    """The numbers the browser scores with are those `ekb search` scores with."""
    kb = sample_kb()
    write_index(kb, tmp_path / "whoosh", fingerprint=Fingerprint("sample", read_started_ns=0))
    data, starts = manifest(site)["analysis"], manifest(site)["topicStarts"]
    found = entries(site)
    with whoosh_index.open_dir(str(tmp_path / "whoosh")).searcher() as searcher:
        reader = searcher.reader()
        for field in ("body", "heading", "text", "topic_title", "terms"):
            assert data["averageLength"][field] == searcher.avg_field_length(field)
            for term in reader.field_terms(field):
                postings = reader.postings(field, term)
                expected = {
                    doc: (searcher.doc_field_length(doc, field), list(positions))
                    for doc, positions in postings.items_as("positions")
                }
                assert decoded(found[term][1][field], starts) == expected, (field, term)
        for field in ("section", "strength", "topic", "category", "entity", "cites", "id"):
            for value in reader.field_terms(field):
                docs = list(reader.postings(field, value).all_ids())
                listed = search_list(found[f"{field}:{value}"][1]["docs"], starts, False)
                assert [doc for (doc,) in listed] == docs


def test_the_shards_hold_index_terms_and_keywords_only(site: Path, tmp_path: Path) -> None:
    """The browser stems a query's words itself (static/stem.js): no word is listed
    with its index term, neither a word of the claims nor a form they never use."""
    kb = sample_kb()
    write_index(kb, tmp_path / "whoosh", fingerprint=Fingerprint("sample", read_started_ns=0))
    found = entries(site)
    with whoosh_index.open_dir(str(tmp_path / "whoosh")).searcher() as searcher:
        reader = searcher.reader()
        ranked = {
            t
            for f in ("body", "heading", "text", "topic_title", "terms")
            for t in reader.field_terms(f)
        }
    assert {key for key in found if ":" not in key} == ranked
    assert all(len(entry) == 2 for entry in found.values())
    assert "ketamin" in found and "ketamine" not in found and "ketamines" not in found


def test_the_spelling_dictionary_counts_claims_per_word(site: Path, tmp_path: Path) -> None:
    kb = sample_kb()
    write_index(kb, tmp_path / "whoosh", fingerprint=Fingerprint("sample", read_started_ns=0))
    listed = {}
    for path in (site / "search").glob("s-*.js"):
        listed.update(dict(load_call(path)[1][1]))
    with whoosh_index.open_dir(str(tmp_path / "whoosh")).searcher() as searcher:
        reader = searcher.reader()
        assert listed == {
            word: reader.frequency("words", word) for word in reader.field_terms("words")
        }


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
