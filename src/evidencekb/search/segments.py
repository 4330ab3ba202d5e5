"""Writing the search index in segments: which topics go in which, which an earlier
build already wrote, and the table of contents that lists them.

The index is a few whoosh segments, each holding a run of consecutive topics (so
document numbers are claim numbers) and named by its content key. A build plans
them (`plan_segments`: the groups, their keys, and what the earlier build has of
each), keeps the earlier build's where a key is the same and writes the others
(`write_segment`, each a part of the build: see search/stage.py), and then lists them
all in the table of contents (`write_table_of_contents`). Only writing imports this module:
`ekb search` starts faster without it.
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

from evidencekb.reuse import Earlier, content_hash, content_key
from evidencekb.search.analysis import Analysed, analysed, pooled, text_analyzer
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
        key = content_key(*(topic_key(earlier.code, vocabulary, topic) for topic in group))
        files = tuple(earlier_files.get(key, []))
        claims = sum(len(topic.claims) for topic in group)
        part = f"{SEGMENT_PART}{group[0].slug}"
        planned.append(PlannedSegment(part, key, group, claims, files, earlier_lengths.get(key)))
    return tuple(planned)


def segment_groups(topics: Iterable[Topic], size: int = SEGMENT_CLAIMS) -> list[tuple[Topic, ...]]:
    """The topics that have claims, in order, cut into runs of about `size` claims.

    A search looks each word up in every segment, so fewer are faster (one per topic
    made a search of the large benchmark kb markedly slower: BENCHMARKS.md);
    an edit rewrites its topic's whole segment, so smaller are cheaper to rebuild.
    Where to cut is decided by the content, as content-defined chunking does: once a
    run holds half of `size`, it ends after a topic with a probability of that topic's
    share of half of `size` (read off a hash of its slug, so the same in every build),
    and it always ends at twice `size`. Adding, removing or editing a topic then moves
    only the cuts near it: the other segments keep their content and are reused."""
    groups: list[tuple[Topic, ...]] = []
    current: list[Topic] = []
    claims = 0
    for topic in topics:
        if not topic.claims:
            continue
        current.append(topic)
        claims += len(topic.claims)
        if claims >= 2 * size or (claims >= size // 2 and _cut_after(topic, size // 2)):
            groups.append(tuple(current))
            current, claims = [], 0
    if current:
        groups.append(tuple(current))
    return groups


def _cut_after(topic: Topic, size: int) -> bool:
    digest = content_hash(8)
    digest.update(topic.slug.encode("utf-8"))
    return int.from_bytes(digest.digest(), "big") < (1 << 64) * len(topic.claims) // size


def write_segment(kb: KnowledgeBase, index_dir: Path, segment: PlannedSegment) -> FieldLengths:
    """Write `segment` into `index_dir`, through a scratch index beside it (a whoosh
    writer also writes a table of contents and a lock); return its total field lengths."""
    documents = indexed_documents(kb, segment.topics)
    # whoosh names its temporary files with `random`: leave the caller's sequence as it was.
    saved = random.getstate()
    try:
        given = preanalysed(counted_words(documents))
        return _write_segment(writing_schema(), given, index_dir, segment.key)
    finally:
        random.setstate(saved)


def writing_schema() -> Schema:
    """The index's schema as `write_segment` writes with it: the same fields, its text
    given as `preanalysed` gives it. (The table of contents records the plain one.)"""
    return schema(Preanalysed)


def preanalysed(documents: Iterable[dict[str, str]]) -> Iterator[dict[str, Any]]:
    """The documents with their text, heading, "body" and topic title analysed, for
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
        }


def counted_words(documents: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The documents with "words", the spelling dictionary (search/spelling.py), held
    by the last of them only: each word as many times as the claims that hold it.
    whoosh then writes a posting a word, not a posting a word and claim (a third of
    a segment's postings), and a word's frequency in the index (all segments'
    together) is still the number of claims that hold it."""
    counts: Counter[str] = Counter()
    claim_words = ClaimWords()
    previous: dict[str, Any] | None = None
    for document in documents:
        if previous is not None:
            yield previous
        counts.update(claim_words(document))
        previous = {name: value for name, value in document.items() if name != "words"}
    if previous is not None:
        yield previous | {"words": [word for word in sorted(counts) for _ in range(counts[word])]}


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
