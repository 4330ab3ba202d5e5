"""Writing the search index in segments: which topics go in which, which an earlier
build already wrote, and the table of contents that lists them.

The index is a few whoosh segments, each holding a run of consecutive topics (so
document numbers are claim numbers) and named by its content key. A build plans
them (`plan_segments`: the groups, their keys, and what the earlier build has of
each), keeps the earlier build's where a key is the same and writes the others
(`write_segment`, each a part of the build: see search/stage.py), and then lists them
all in the table of contents (`write_table_of_contents`). Only writing imports this module:
`ekb search` starts faster without it.

A segment is written from its topics' claims analysed (`TopicDocuments`), which are
kept per topic between runs in the user's cache (cache.INDEX_DOCUMENTS): after an
edit, the segment that holds the edited topic is written anew, but only that topic's
claims are analysed again, not the other ~9,000 of its segment.
"""

from __future__ import annotations

import os
import random
import shutil
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidencekb.cache import INDEX_DOCUMENTS, TopicEntries
from evidencekb.hashing import content_hash, content_key
from evidencekb.reuse import Earlier
from evidencekb.search.analysis import Analysed, analysed, pooled, text_analyzer
from evidencekb.search.fields import NAMED_TEXT_FIELDS
from evidencekb.search.index import (
    INDEX_NAME,
    ClaimWords,
    indexed_documents,
    schema,
    topic_key,
    vocabulary_key,
)
from evidencekb.search.whooshext import (
    FieldLengths,
    ListedSegment,
    Preanalysed,
    check_whoosh,
    read_toc,
    write_segment_files,
    write_toc,
)

if TYPE_CHECKING:
    from whoosh.fields import Schema

    from evidencekb.model import KnowledgeBase, Topic

# The claims in one segment, about (see segment_groups): a search reads every segment,
# and a one-claim edit rewrites the one that holds its topic.
SEGMENT_CLAIMS = 10_000
SEGMENT_PART = "segment/"  # a segment's part name (reuse.Part): this and its first topic


@dataclass(frozen=True)
class PlannedSegment:
    part: str  # its name among the build's parts (reuse.py)
    key: str  # its content key, which is also its whoosh segment id
    topics: tuple[Topic, ...]
    topic_keys: tuple[str, ...]  # each topic's content key (index.topic_key)
    claims: int
    earlier_files: tuple[str, ...]  # the earlier index's files of this key (index-relative)
    earlier_lengths: FieldLengths | None  # and its field lengths; None: it had none


def plan_segments(
    kb: KnowledgeBase, index_dir: Path, earlier: Earlier
) -> tuple[PlannedSegment, ...]:
    """The segments of `kb`'s index in `index_dir`, each keyed by what it is made
    from: the code, the vocabulary's names, and its topics' titles, references and
    claims; with the earlier build's files and field lengths of a segment of that key."""
    check_whoosh()
    vocabulary = vocabulary_key(kb)
    earlier_files, earlier_lengths = _earlier_segments(earlier)
    planned = []
    for group in segment_groups(kb.topics):
        topic_keys = tuple(topic_key(earlier.code, vocabulary, topic) for topic in group)
        key = content_key(*topic_keys)
        files = tuple(earlier_files.get(key, []))
        claims = sum(len(topic.claims) for topic in group)
        part = f"{SEGMENT_PART}{group[0].slug}"
        lengths = earlier_lengths.get(key)
        planned.append(PlannedSegment(part, key, group, topic_keys, claims, files, lengths))
    return tuple(planned)


def segment_groups(topics: Iterable[Topic], size: int = SEGMENT_CLAIMS) -> list[tuple[Topic, ...]]:
    """The topics that have claims, in order, cut into runs of about `size` claims.

    A search looks each word up in every segment, so fewer are faster (one per topic
    made a search of the large benchmark kb markedly slower: BENCHMARKS.md);
    an edit rewrites its topic's whole segment, so smaller are cheaper to rebuild.
    Where to cut is decided by the content, as content-defined chunking does: once a
    run holds half of `size`, it ends after a topic with a probability of that topic's
    share of half of `size` (read off a hash of its slug, so the same in every build),
    and it always ends at one and a half times `size`. Adding, removing or editing a
    topic then moves only the cuts near it: the other segments keep their content and
    are reused. (Ending runs at twice `size` left two of the benchmark kb's eight
    segments at 20,000 claims, which an edit of any of their topics wrote whole; a
    chance that grows past `size`, as FastCDC's normalized chunking has, kept runs
    nearer `size` but moved more cuts after an edit.)"""
    groups: list[tuple[Topic, ...]] = []
    current: list[Topic] = []
    claims = 0
    for topic in topics:
        if not topic.claims:
            continue
        current.append(topic)
        claims += len(topic.claims)
        if 2 * claims >= 3 * size or (claims >= size // 2 and _cut_after(topic, size // 2)):
            groups.append(tuple(current))
            current, claims = [], 0
    if current:
        groups.append(tuple(current))
    return groups


def _cut_after(topic: Topic, size: int) -> bool:
    digest = content_hash(8)
    digest.update(topic.slug.encode("utf-8"))
    return int.from_bytes(digest.digest(), "big") < (1 << 64) * len(topic.claims) // size


def write_segment(
    kb: KnowledgeBase, index_dir: Path, segment: PlannedSegment, kept: TopicEntries | None
) -> FieldLengths:
    """Write `segment` into `index_dir`, through a scratch index beside it (a whoosh
    writer also writes a table of contents and a lock); return its total field lengths.
    `kept`: each topic's analysed claims kept by an earlier run (`kept_documents`),
    taken where the topic's key is the same, and kept for the next where it is not."""
    documents: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()
    for topic, key in zip(segment.topics, segment.topic_keys, strict=True):
        analysed = TopicDocuments.kept_or_made(kb, topic, key, kept)
        documents += analysed.documents
        counts.update(analysed.words)
    # whoosh names its temporary files with `random`: leave the caller's sequence as it was.
    saved = random.getstate()
    try:
        given = with_words(documents, counts)
        return _write_segment(writing_schema(), given, index_dir, segment.key)
    finally:
        random.setstate(saved)


def kept_documents(kb_dir: Path) -> TopicEntries:
    """The topics' analysed claims kept for the kb at `kb_dir` in the user's cache."""
    return TopicEntries.of(INDEX_DOCUMENTS, kb_dir)


@dataclass(frozen=True)
class TopicDocuments:
    """One topic's claims as its segment indexes them: each claim's document
    (index.indexed_documents) with its text analysed (`preanalysed`), but for its
    spelling words, which the segment's last claim holds for all (`with_words`); and
    how many of the topic's claims hold each of those words. Made from nothing but
    what the topic's key (index.topic_key) is made from; plain data, so that it can
    be kept in the cache and read back without running code."""

    documents: list[dict[str, Any]]
    words: dict[str, int]

    @classmethod
    def made(cls, kb: KnowledgeBase, topic: Topic) -> TopicDocuments:
        plain, counts = words_apart(indexed_documents(kb, (topic,)))
        return cls(list(preanalysed(plain)), dict(counts))

    @classmethod
    def kept_or_made(
        cls, kb: KnowledgeBase, topic: Topic, key: str, kept: TopicEntries | None
    ) -> TopicDocuments:
        """The topic's documents as `kept` holds them for `key`; else made, and kept."""
        found = None if kept is None else kept.get(topic.slug, key)
        if isinstance(found, tuple) and len(found) == 2:
            documents, words = found
            if isinstance(documents, list) and isinstance(words, dict):
                return cls(documents, words)
        made = cls.made(kb, topic)
        if kept is not None:
            kept.put(topic.slug, key, (made.documents, made.words))
        return made


def writing_schema() -> Schema:
    """The index's schema as `write_segment` writes with it: the same fields, its text
    given as `preanalysed` gives it. (The table of contents records the plain one.)"""
    return schema(Preanalysed)


def preanalysed(documents: Iterable[dict[str, str]]) -> Iterator[dict[str, Any]]:
    """The documents with their text, heading, "body", topic title and named text
    fields (fields.NAMED_TEXT_FIELDS) analysed, for
    a schema whose analysed text is `whooshext.Preanalysed`. "body" is pooled from the heading
    and the text (analysis.pooled), and a heading or a title, which the claims under
    it share, is analysed once: a segment's analysis costs a third of what whoosh's did."""
    analyzer = text_analyzer()
    shared: dict[str, Analysed] = {}
    for document in documents:
        heading, title = document["heading"], document["topic_title"]
        for value in (heading, title):
            if value not in shared:
                shared[value] = analysed(analyzer, value)
        text = analysed(analyzer, document["text"])
        yield document | {
            "text": text,
            "heading": shared[heading],
            "body": pooled(heading, shared[heading], text),
            "topic_title": shared[title],
            **{name: analysed(analyzer, document[name]) for name in NAMED_TEXT_FIELDS},
        }


def words_apart(documents: Iterable[dict[str, Any]]) -> tuple[list[dict[str, Any]], Counter[str]]:
    """The documents without their "words" field, and how many of them hold each word
    of it (index.ClaimWords): the spelling dictionary (search/spelling.py) is held by
    a segment's last claim only (`with_words`)."""
    counts: Counter[str] = Counter()
    claim_words = ClaimWords()
    plain = []
    for document in documents:
        counts.update(claim_words(document))
        plain.append({name: value for name, value in document.items() if name != "words"})
    return plain, counts


def with_words(documents: list[dict[str, Any]], counts: Mapping[str, int]) -> list[dict[str, Any]]:
    """The documents of a segment, the last holding its spelling dictionary: each word
    as many times as the claims that hold it (`counts`). whoosh then writes a posting a
    word, not a posting a word and claim (a third of a segment's postings), and a
    word's frequency in the index (all segments' together) is still the number of
    claims that hold it."""
    if not documents:
        return documents
    spelling = [word for word in sorted(counts) for _ in range(counts[word])]
    return [*documents[:-1], documents[-1] | {"words": spelling}]


def _write_segment(
    the_schema: Schema, documents: Iterable[dict[str, Any]], index_dir: Path, segment_id: str
) -> FieldLengths:
    """Write the segment through a scratch index beside the others (a whoosh writer
    also writes a table of contents and a lock), then move its files in."""
    scratch = index_dir / f".segment-{segment_id}"
    scratch.mkdir()
    lengths = write_segment_files(the_schema, documents, scratch, INDEX_NAME, segment_id)
    for name in os.listdir(scratch):
        if name.startswith(f"{INDEX_NAME}_{segment_id}."):
            os.rename(scratch / name, index_dir / name)
    shutil.rmtree(scratch)
    return lengths


def write_table_of_contents(
    index_dir: Path, planned: Iterable[PlannedSegment], lengths: Mapping[str, FieldLengths]
) -> None:
    """List every planned segment (`lengths`: its field lengths, by key) in the index's
    table of contents."""
    listed = (
        ListedSegment(segment.key, segment.claims, lengths[segment.key]) for segment in planned
    )
    write_toc(schema(), listed, index_dir, INDEX_NAME)


def _earlier_segments(earlier: Earlier) -> tuple[dict[str, list[str]], dict[str, FieldLengths]]:
    """The earlier index's segments by id (`earlier` is the index folder's build): their
    files (named MAIN_<id>.<ext>) and their total field lengths, as its table of
    contents records them. Nothing if there is no earlier index this code can read."""
    if earlier.site_dir is None:
        return {}, {}
    folder = earlier.site_dir
    try:
        lengths: dict[str, FieldLengths] = dict(read_toc(folder, INDEX_NAME))
        names = sorted(os.listdir(folder))
    except Exception:  # whoosh raises many kinds on a damaged index: build it anew
        return {}, {}
    files: dict[str, list[str]] = {}
    for name in names:
        stem, dot, _ = name.partition(".")
        if dot and stem.startswith(f"{INDEX_NAME}_"):
            files.setdefault(stem.removeprefix(f"{INDEX_NAME}_"), []).append(name)
    return files, lengths
