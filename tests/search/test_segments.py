"""The index in segments of about SEGMENT_CLAIMS claims, cut where the content says."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import STORED_COLUMN, W3Codec

from evidencekb.kb.fingerprint import kb_fingerprint
from evidencekb.kb.load import load_kb
from evidencekb.model import KnowledgeBase, Topic
from evidencekb.search.analysis import words
from evidencekb.search.index import INDEX_NAME, indexed_documents, schema, topic_documents
from evidencekb.search.segments import SEGMENT_CLAIMS, segment_groups, with_words, words_apart
from evidencekb.search.whooshext import SCORED_ARRAYS_EXT
from evidencekb.search.writer import write_index
from evidencekb.verdict import claim_json
from fixtures import REPO_KB, one_segment_per_topic


def test_segments_hold_about_ten_thousand_claims_cut_where_the_content_says() -> None:
    """A kb of 90 topics of 600 to 1,400 claims (the seed's claims over and over) in
    segments: in order, none under half or much over 1.5 times SEGMENT_CLAIMS, and a
    topic edited, removed or added changes the segments around it only; the rest are reused."""
    (seed,) = load_kb(REPO_KB).topics

    def topic(name: str, copies: int) -> Topic:
        return replace(seed, slug=name, claims=seed.claims * copies)

    topics = [topic(f"topic-{n:03d}", 30 + n * 7 % 41) for n in range(90)]
    groups = segment_groups(topics)
    assert [t for group in groups for t in group] == topics
    sizes = [sum(len(t.claims) for t in group) for group in groups]
    assert all(size >= SEGMENT_CLAIMS // 2 for size in sizes[:-1])
    assert all(sum(len(t.claims) for t in group[:-1]) < 1.5 * SEGMENT_CLAIMS for group in groups)
    assert 5 <= len(groups) <= 15

    def lost(changed: list[Topic]) -> int:
        """How many segments of `topics` are not among those of `changed`."""
        shape = [[(t.slug, len(t.claims)) for t in group] for group in segment_groups(changed)]
        return sum([(t.slug, len(t.claims)) for t in group] not in shape for group in groups)

    for i in (0, 13, 44, 61, 89):
        edited = [*topics[:i], topic(topics[i].slug, 12), *topics[i + 1 :]]
        removed = [*topics[:i], *topics[i + 1 :]]
        added = [*topics[:i], topic("a-new-topic", 50), *topics[i:]]
        assert max(lost(edited), lost(removed), lost(added)) <= 2, i


def test_a_segment_records_where_each_claims_stored_value_starts(tmp_path: Path) -> None:
    """So that whoosh reads one result without adding up its segment's lengths."""
    kb = load_kb(REPO_KB)
    write_index(kb, tmp_path / "whoosh", fingerprint=kb_fingerprint(REPO_KB))
    with whoosh_index.open_dir(str(tmp_path / "whoosh")).reader() as reader:
        (segment,) = reader.leaf_readers()
        stored = segment[0]._perdoc._cached_reader("_stored", STORED_COLUMN)
        assert stored._child.had_stored_offsets
        claims = [json.loads(fields["claim"]) for fields in reader.all_stored_fields()]
    assert claims == [claim_json(kb, claim) for claim in kb.claims]


def _seed_over_and_over() -> KnowledgeBase:
    """Three topics of the seed's claims ten times over: terms, headings, titles, names
    and keywords held by more claims than a block of postings holds (128)."""
    kb = load_kb(REPO_KB)
    (seed,) = kb.topics
    copies = [replace(seed, slug=f"copy-{n}", claims=seed.claims * 10) for n in range(3)]
    return replace(kb, topics=tuple(copies))


@pytest.mark.parametrize("made", [lambda: load_kb(REPO_KB), _seed_over_and_over])
def test_a_segment_is_whooshs_own_but_for_the_stored_values_offsets(
    tmp_path: Path, made: Callable[[], KnowledgeBase]
) -> None:
    """Our writer changes how a segment is written (its text analysed beforehand,
    postings gathered by term and handed over a block at a time, each field's analysis
    shared by the claims that share its value, field lengths kept), not what: every
    file but the stored values is whoosh's, with its postings left uncompressed."""
    kb = made()
    write_index(kb, tmp_path / "ours", fingerprint=kb_fingerprint(REPO_KB))
    (tmp_path / "plain").mkdir()
    plain = whoosh_index.create_in(str(tmp_path / "plain"), schema(), INDEX_NAME)
    writer = plain.writer(codec=W3Codec(compression=0), compound=False)
    for document in with_words(*words_apart(indexed_documents(kb, kb.topics))):
        writer.add_document(**document)  # what we give whoosh, but analysed
    writer.commit(merge=False)

    def parts(folder: Path) -> dict[str, bytes]:
        found = {}
        for path in folder.glob(f"{INDEX_NAME}_*.*"):
            if not path.name.endswith(".toc"):
                found[path.name.partition(".")[2]] = path.read_bytes()
        return found

    ours, theirs = parts(tmp_path / "ours"), parts(tmp_path / "plain")
    # Beside whoosh's files, ours has the scored fields' postings as plain arrays.
    assert ours.pop(SCORED_ARRAYS_EXT.removeprefix(".")).startswith(b"HSH3")
    assert sorted(ours) == sorted(theirs)
    assert [name for name in ours if ours[name] != theirs[name]] == ["_stored.col"]


@pytest.mark.parametrize("segments", ["one segment", "a segment a topic"])
def test_a_words_frequency_is_the_number_of_claims_holding_it(
    tmp_path: Path, segments: str
) -> None:
    """The spelling dictionary holds each word once a segment, as often as its claims
    hold it (segments.with_words): over all segments, the tie-break between
    suggestions, most claims first, counts claims, as the site's search does."""
    (seed,) = load_kb(REPO_KB).topics
    copies = [replace(seed, slug=f"copy-{n}", claims=seed.claims[n:]) for n in range(3)]
    kb = replace(load_kb(REPO_KB), topics=tuple(copies))
    write_index(kb, tmp_path / "whoosh", fingerprint=kb_fingerprint(REPO_KB))
    if segments == "a segment a topic":
        one_segment_per_topic(kb, tmp_path / "whoosh")
    holding: Counter[str] = Counter()
    for topic in kb.topics:
        for document in topic_documents(kb, topic):
            holding.update(set(words(document["words"])))
    with whoosh_index.open_dir(str(tmp_path / "whoosh")).reader() as reader:
        found = {word: reader.frequency("words", word) for word in reader.field_terms("words")}
    assert found == holding
    assert max(holding.values()) > 1
