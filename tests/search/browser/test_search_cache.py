"""The search data made per topic and kept between builds (site/search_analysis.py,
site/search_cache.py) is byte for byte what one pass over the whole kb writes: over
generated edits (topics removed, added, moved, retitled; claims reworded; the
vocabulary changed), with the cache warm from the kb before each edit; and whatever
happened to the cache (entries corrupt, truncated, of another format, naming a
class, of another shape; a folder that cannot be written)."""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
import shutil
from functools import partial
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidencekb.cache import (
    SEARCH_PARTIALS,
    PickledEntries,
    TopicEntries,
    read_entry,
    write_atomically,
)
from evidencekb.model import KnowledgeBase, Topic
from evidencekb.search.browser.analysis import (
    Analysers,
    Collected,
    analyse_documents,
    merge,
    script_json,
    script_string,
    script_strings,
)
from evidencekb.search.browser.cache import TopicCache, topic_partials
from evidencekb.search.browser.data import js_order, js_sorted, write_search_data
from evidencekb.search.browser.rows import joined, row_tail, row_verdict
from evidencekb.search.index import topic_documents
from evidencekb.verdict import verdict
from fixtures import (
    DAMAGED_ON_DISK,
    EDIT_LISTS,
    HOSTILE,
    Edit,
    Marker,
    damaged_entries_written_anew,
    sample_kb,
    scratch,
    search_list,
    with_worded_stances,
)


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def written(kb: KnowledgeBase, out: Path, cache: TopicCache | None) -> dict[str, bytes]:
    shutil.rmtree(out, ignore_errors=True)
    write_search_data(kb, out, cache)
    return files(out)


def as_written(data: Collected) -> tuple[object, ...]:
    """What the files are written from, in the order they are written, each list of
    numbers as the browser reads it (merged data holds them in pieces, one a topic,
    each led by its topic's mark: fixtures.search_list)."""

    def read(pieces: list[str], full: bool) -> list[tuple[object, ...]]:
        return search_list(json.loads("[" + ",".join(pieces) + "]"), data.starts, full)

    postings = {
        term: [(name, read(pieces, True)) for name, pieces in by_field.items()]
        for term, by_field in data.postings.items()
    }
    keywords = {key: read(pieces, False) for key, pieces in data.keywords.items()}
    return postings, keywords, data.words, data.total_length, data.rows


def one_pass(kb: KnowledgeBase) -> Collected:
    """Every claim of the kb analysed as one topic would be, then "merged" alone."""
    documents = (document for topic in kb.topics for document in topic_documents(kb, topic))
    claims = kb.claims

    def row(doc: int, highlights: str) -> str:
        return row_tail(kb, claims[doc], highlights)

    return merge([analyse_documents(documents, Analysers(), row)])


def test_topics_merged_equal_one_pass_over_the_kb(evidence_kb_loaded: KnowledgeBase) -> None:
    kb = dataclasses.replace(
        evidence_kb_loaded, topics=(*evidence_kb_loaded.topics, *sample_kb().topics)
    )
    per_topic = merge(topic_partials(kb, None))
    assert as_written(per_topic) == as_written(one_pass(kb))
    # Not vacuous: claims of several topics share terms, whose lists are then merged.
    assert any(
        len(pieces) > 1 for by_field in per_topic.postings.values() for pieces in by_field.values()
    )


def cache_in(folder: Path | None, code: str = "code") -> TopicCache:
    return TopicCache(TopicEntries(SEARCH_PARTIALS, Path("/kb"), PickledEntries(folder)), code)


@settings(
    max_examples=15, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(edits=EDIT_LISTS)
def test_a_warm_cache_writes_what_a_fresh_pass_writes(
    evidence_kb_loaded: KnowledgeBase,
    edits: list[tuple[Edit, int, str]],
) -> None:
    kb = with_worded_stances(evidence_kb_loaded)
    with scratch() as folder:
        cache = cache_in(folder / "cache")
        written(kb, folder / "warm", cache)  # the build before the edits
        for edit, index, word in edits:
            kb = edit(kb, index, word)
            assert written(kb, folder / "warm", cache) == written(kb, folder / "fresh", None)
            assert as_written(merge(topic_partials(kb, cache))) == as_written(one_pass(kb))
        # One entry a topic folder: edits replace entries, never add to them.
        slugs = {t.slug for t in (*evidence_kb_loaded.topics, *kb.topics, *sample_kb().topics)}
        assert len(os.listdir(folder / "cache")) <= len(slugs)


# -- a damaged cache -----------------------------------------------------------------


def spoil(kind: str, entry: Path, marker: Path) -> None:
    """Damage `entry`: on disk (DAMAGED_ON_DISK), or whole as the cache writes entries
    but holding what it would never write (the rest)."""
    payload = read_entry(entry) or b""
    if kind in DAMAGED_ON_DISK:
        entry.write_bytes(DAMAGED_ON_DISK[kind](entry.read_bytes()))
    elif kind == "foreign-format":
        form, place, key, partial = pickle.loads(payload)
        foreign = ("evidencekb-search-data-partial-0", place, key, partial)
        write_atomically(entry, pickle.dumps(foreign))
    elif kind == "other-shape":
        form, place, key, partial = pickle.loads(payload)
        write_atomically(entry, pickle.dumps((form, place, key, partial[:-1])))
    elif kind == "class":
        form, place, key, partial = pickle.loads(payload)
        write_atomically(entry, pickle.dumps((form, place, key, Marker(marker))))


@pytest.mark.parametrize("kind", [*DAMAGED_ON_DISK, "foreign-format", "other-shape", "class"])
def test_a_damaged_entry_is_analysed_again(
    evidence_kb_loaded: KnowledgeBase, tmp_path: Path, kind: str
) -> None:
    kb, cache, marker = evidence_kb_loaded, cache_in(tmp_path / "cache"), tmp_path / "ran"

    def write(name: str, warm: bool) -> dict[str, bytes]:
        return written(kb, tmp_path / name, cache if warm else None)

    damaged_entries_written_anew(write, tmp_path / "cache", partial(spoil, kind, marker=marker))
    assert not marker.exists()
    assert len(list((tmp_path / "cache").iterdir())) == len(kb.topics)
    # Each damaged entry was replaced by a good one: a build reads them all.
    assert all(kept(cache, t, key) for t, key in keys(kb, cache))


def kept(cache: TopicCache, topic: Topic, key: str) -> bool:
    """Whether `cache` holds `topic`'s partial for `key`."""
    return cache.get(topic, key) is not None


def keys(kb: KnowledgeBase, cache: TopicCache) -> list[tuple[Topic, str]]:
    from evidencekb.search.index import topic_key, vocabulary_key

    return [(t, topic_key(cache.code, vocabulary_key(kb), t)) for t in kb.topics]


def test_an_entry_of_other_code_or_another_place_is_not_used(
    evidence_kb_loaded: KnowledgeBase, tmp_path: Path
) -> None:
    kb = evidence_kb_loaded
    cache = cache_in(tmp_path / "cache", code="old code")
    written(kb, tmp_path / "out", cache)
    newer = cache_in(tmp_path / "cache", code="new code")
    assert not any(kept(newer, t, key) for t, key in keys(kb, newer))
    moved = dataclasses.replace(cache.entries, kb_dir=Path("/another/kb"))
    elsewhere = TopicCache(moved, cache.code)
    assert not any(kept(elsewhere, t, key) for t, key in keys(kb, cache))
    assert all(kept(cache, t, key) for t, key in keys(kb, cache))


def test_a_cache_folder_that_cannot_be_written_means_no_cache(
    evidence_kb_loaded: KnowledgeBase, tmp_path: Path
) -> None:
    kb = evidence_kb_loaded
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be", "utf-8")
    cache = cache_in(blocked / "cache")
    assert written(kb, tmp_path / "out", cache) == written(kb, tmp_path / "fresh", None)
    assert blocked.is_file()


# -- the shortcuts the writer takes ----------------------------------------------------


# Where UTF-16 and code points disagree: U+E000 to U+FFFF sort after a character beyond
# U+FFFF in UTF-16 (its first code unit is D800 to DBFF), before it by code point.
UTF16_ODDITIES = st.sampled_from(["a", "\ue000", "\ufb01", "\uffff", "\U00010000", "\U0001d465"])


@settings(max_examples=200, deadline=None, database=None)
@given(
    st.lists(
        st.text(st.one_of(st.characters(exclude_categories=("Cs",)), UTF16_ODDITIES), min_size=1)
    )
)
def test_js_sorted_is_javascripts_order(keys: list[str]) -> None:
    assert js_sorted(keys) == sorted(keys, key=js_order)


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(st.characters(exclude_categories=("Cs",))))
def test_script_string_is_script_json(text: str) -> None:
    assert script_string(text) == script_json(text)


@settings(max_examples=200, deadline=None, database=None)
@given(st.lists(st.text(st.characters(exclude_categories=("Cs",)))))
def test_script_strings_is_script_json(texts: list[str]) -> None:
    quoted = script_strings(texts)
    assert [quoted(text) for text in texts] == [script_json(text) for text in texts]


@settings(max_examples=200, deadline=None, database=None)
@given(
    text=st.text(st.characters(exclude_categories=("Cs",)), min_size=1),
    heading=st.none() | st.text(st.characters(exclude_categories=("Cs",))),
)
def test_a_display_row_is_script_json(
    evidence_kb_loaded: KnowledgeBase, text: str, heading: str | None
) -> None:
    claim = dataclasses.replace(evidence_kb_loaded.claims[0], text=text, heading=heading)
    highlights = script_json([HOSTILE, 0, 4])
    summary = verdict(claim, evidence_kb_loaded.stances, evidence_kb_loaded.strength)
    strength = evidence_kb_loaded.strength.labels.index(claim.strength)
    items = [claim.id, 3, claim.section, heading, text, strength]
    row = joined(claim, 3, row_tail(evidence_kb_loaded, claim, highlights))
    assert row == script_json(items)[:-1] + f",{highlights},{script_json(row_verdict(summary))}]"
