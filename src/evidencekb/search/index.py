"""The Whoosh search index: what it holds, how it is written, how it stays fresh.

Each claim is one document. Its export JSON (`Claim.to_dict()`) is stored
whole, so a search never needs to read kb/ to show a result. Beside whoosh's
own files, `evidencekb-index.json` records what queries are checked against
(sections, strength labels, topics, vocabulary) and the kb fingerprint; its
mtime is the freshness stamp (see freshness.py).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec, W3Segment

from evidencekb.errors import KBError, failure_reason
from evidencekb.paths import INDEX_META_NAME
from evidencekb.progress import Progress, no_progress
from evidencekb.search.analysis import (
    NAME_SEPARATOR,
    Vocabulary,
    names_analyzer,
    text_analyzer,
    word_analyzer,
)
from evidencekb.search.codes import encode
from evidencekb.search.fields import EVIDENCE_FIELDS, WORK_FIELDS, claim_fields
from evidencekb.search.freshness import Fingerprint, kb_fingerprint, touched_since

if TYPE_CHECKING:
    from whoosh.fields import Schema

    from evidencekb.model import Claim, KnowledgeBase, Reference, Term, Topic
    from evidencekb.reuse import Earlier

# Modules only writing needs are imported where they are used: `ekb search`
# starts faster without them.

# Bump when the schema or analysis changes: an older index is then rebuilt.
# 2: abbreviations in capitals are not stemmed; 3: the vocabulary's abbreviations;
# 4: the pooled "body" field; 5: question and function words are stop words;
# 6: the cited works' and the evidence's fields (search/fields.py); 7: Porter2 stemming;
# 8: each claim's section and strength coded in the metadata; 9: the stemmer's cache
# unbounded (the schema pickles its size)
FORMAT_VERSION = 9
_INDEX_NAME = "MAIN"  # whoosh's default index name: its files are MAIN_<segment>.<ext>
# The claims in one segment, about (see segment_groups): a search of the 80,000-claim
# benchmark kb reads 8 segments, and a one-claim edit rewrites one of 10,000 claims.
SEGMENT_CLAIMS = 10_000

# Fields scored by the ranking, and the fields a plain word is looked up in.
# "body" is the heading and the text as one field: BM25 then saturates a
# word's count over both together against their joint length, as FTS5's
# bm25() does, instead of adding two separately saturated scores.
TEXT_FIELDS: tuple[str, ...] = ("body", "heading", "topic_title", "terms")


def schema() -> Schema:
    from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema

    analyzer = text_analyzer()
    return Schema(
        id=ID(unique=True),
        claim=STORED(),  # the claim's export JSON
        text=TEXT(analyzer=analyzer),
        heading=TEXT(analyzer=analyzer),
        body=TEXT(analyzer=analyzer),  # heading and text together, for ranking
        topic_title=TEXT(analyzer=analyzer),
        terms=TEXT(analyzer=names_analyzer()),  # names of its entities and categories
        words=TEXT(analyzer=word_analyzer(), phrase=False),  # spelling dictionary
        topic=ID(sortable=True),
        section=ID(sortable=True),
        strength=ID(sortable=True),
        category=KEYWORD(),
        entity=KEYWORD(),
        cites=KEYWORD(),
        # the cited works' records and the evidence per citation (search/fields.py)
        **{name: KEYWORD() for name in (*WORK_FIELDS, *EVIDENCE_FIELDS)},
    )


@dataclass(frozen=True)
class IndexMeta:
    """What a search checks a query against, read from INDEX_META_NAME."""

    fingerprint: str
    sections: tuple[str, ...]
    strength_labels: tuple[str, ...]  # strongest first
    topics: tuple[str, ...]
    categories: dict[str, tuple[str, ...]]  # id -> names (label, synonyms, abbreviations)
    entities: dict[str, tuple[str, ...]]
    vocabulary: Vocabulary
    stances: dict[str, tuple[str, ...]]  # id -> label (kb/stance.toml)
    years: tuple[int, ...]  # of the cited works, ascending: what year ranges expand to
    # Each claim's section and strength, one character per claim (see codes.py).
    codes: dict[str, str]


def write_index(
    kb: KnowledgeBase,
    index_dir: Path,
    *,
    fingerprint: Fingerprint,
    progress: Progress = no_progress,
    earlier: Earlier | None = None,
) -> dict[str, str]:
    """Write the whole index of `kb` into `index_dir`: a new folder, or an empty one.
    Return the content key of each topic's segment (see `_write_segments`).

    Call `kb_fingerprint(kb_dir)` before reading kb/: the stamp then records
    when kb/ was read, so an edit made during the build is still noticed.
    `earlier`: the build before, whose segments are kept where their key is the same.
    """
    from evidencekb.reuse import Earlier

    index_dir.mkdir(exist_ok=True)
    if any(index_dir.iterdir()):
        raise FileExistsError(errno.EEXIST, "not an empty folder", str(index_dir))
    keys = _write_segments(kb, index_dir, earlier or Earlier.nothing(""), progress)
    meta = _index_meta(kb, fingerprint.digest)
    meta_path = index_dir / INDEX_META_NAME
    meta_path.write_text(json.dumps(meta, ensure_ascii=False, sort_keys=True) + "\n", "utf-8")
    stamp = fingerprint.stamp_ns
    os.utime(meta_path, ns=(stamp, stamp))
    return keys


def claim_documents(kb: KnowledgeBase) -> Iterator[dict[str, str]]:
    """Each claim's searchable fields, in claim order (the index's document
    numbers; the site's search data numbers claims alike)."""
    for topic in kb.topics:
        yield from topic_documents(kb, topic)


def topic_documents(kb: KnowledgeBase, topic: Topic) -> Iterator[dict[str, str]]:
    """The documents of one topic's claims, in order."""
    works = {work.number: work for work in topic.references}
    for claim in topic.claims:
        names = [n for i in claim.entities for n in _names(kb.entities, i)]
        names += [n for i in claim.categories for n in _names(kb.categories, i)]
        yield {
            "id": claim.id,
            "claim": json.dumps(claim.to_dict(), ensure_ascii=False),
            "text": claim.text,
            "heading": claim.heading or "",
            "body": f"{claim.heading or ''}\n{claim.text}",
            "topic_title": topic.title,
            "terms": NAME_SEPARATOR.join(names),
            "words": " ".join((claim.text, claim.heading or "", *names)),
            "topic": claim.topic,
            "section": claim.section,
            "strength": claim.strength,
            "category": " ".join(claim.categories),
            "entity": " ".join(claim.entities),
            "cites": " ".join(str(number) for number in claim.citations),
            **claim_fields(claim, _cited_works(claim, works)),
        }


def vocabulary_key(kb: KnowledgeBase) -> str:
    """The content key of what every topic's documents take from the vocabularies."""
    from evidencekb.reuse import content_key

    return content_key(repr(kb.entities), repr(kb.categories), repr(kb.stances))


def topic_key(code: str, vocabulary: str, topic: Topic) -> str:
    """The content key of `topic_documents(kb, topic)` and all that is made from them
    alone (the topic's index segment, its share of the site's search data): the code
    (reuse.code_version), `vocabulary_key(kb)`, the topic's slug, title, cited works
    and claims."""
    from evidencekb.reuse import content_key

    references = repr(topic.references)
    return content_key(
        code, vocabulary, topic.slug, topic.title, references, *map(repr, topic.claims)
    )


def _cited_works(claim: Claim, works: dict[int, Reference]) -> list[Reference]:
    """The works a claim cites that its topic lists (a cited number may have no entry)."""
    return [works[number] for number in claim.citations if number in works]


class _NamedSegmentCodec(W3Codec):  # type: ignore[misc]
    """whoosh's codec, except that the new segment gets the id given, not a random one."""

    def __init__(self, segment_id: str) -> None:
        super().__init__()
        self.segment_id = segment_id

    def new_segment(self, storage: Any, indexname: str) -> W3Segment:
        return W3Segment(self, indexname, segid=self.segment_id)


def _write_segments(
    kb: KnowledgeBase, index_dir: Path, earlier: Earlier, progress: Progress
) -> dict[str, str]:
    import random

    # whoosh names its temporary files with `random`: leave the caller's sequence as it was.
    saved = random.getstate()
    try:
        return _write_segments_in_order(kb, index_dir, earlier, progress)
    finally:
        random.setstate(saved)


def _write_segments_in_order(
    kb: KnowledgeBase, index_dir: Path, earlier: Earlier, progress: Progress
) -> dict[str, str]:
    """One whoosh segment per group of topics (`segment_groups`; documents in claim
    order, so document numbers are claim numbers), named by its content key: the code,
    the vocabulary's names, and its topics' titles, references and claims. A segment
    whose key the earlier build had is linked from it; the rest are written. The table
    of contents, written last, lists them all."""
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import TOC

    from evidencekb.reuse import content_key

    the_schema = schema()
    vocabulary = vocabulary_key(kb)
    earlier_files, earlier_lengths = _earlier_segments(earlier, index_dir.name)
    keys: dict[str, str] = {}
    segments: list[W3Segment] = []
    codec = W3Codec()
    done = 0
    for group in segment_groups(kb.topics):
        key = content_key(*(topic_key(earlier.code, vocabulary, topic) for topic in group))
        part = f"{index_dir.name}/{group[0].slug}"
        keys[part] = key
        files = [f"{index_dir.name}/{name}" for name in earlier_files.get(key, [])]
        lengths = earlier_lengths.get(key)
        if lengths is None or not earlier.keep(part, key, files, index_dir.parent):
            documents = (document for topic in group for document in topic_documents(kb, topic))
            lengths = _write_segment(the_schema, documents, index_dir, key)
        # The table of contents lists each segment with its total field lengths (for
        # ranking); made afresh with one codec object, it pickles to the same bytes
        # whether the segment was written now or kept.
        claims = sum(len(topic.claims) for topic in group)
        segment = W3Segment(codec, _INDEX_NAME, doccount=claims, segid=key)
        # Field names as the schema's own strings: pickle writes a string it has seen
        # as a back-reference, so which objects they are changes the bytes.
        segment._fieldlengths = {n: lengths[n] for n in the_schema.names() if n in lengths}
        segments.append(segment)
        done += claims
        progress("search index", done, len(kb.claims))
    TOC(the_schema, segments, 1).write(FileStorage(str(index_dir)), _INDEX_NAME)
    return keys


def segment_groups(topics: Iterable[Topic], size: int = SEGMENT_CLAIMS) -> list[tuple[Topic, ...]]:
    """The topics that have claims, in order, cut into runs of about `size` claims.

    A search looks each word up in every segment, so fewer are faster (one per topic
    made a search of the 80,000-claim kb up to 1.9 times slower than one segment);
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
    digest = hashlib.blake2b(topic.slug.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") < (1 << 64) * len(topic.claims) // size


def _earlier_segments(
    earlier: Earlier, dirname: str
) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """The earlier index's segments by id: their files (named MAIN_<id>.<ext>) and
    their total field lengths, as its table of contents records them. Nothing if
    there is no earlier index this code can read."""
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import TOC

    if earlier.site_dir is None:
        return {}, {}
    folder = earlier.site_dir / dirname
    try:
        toc = TOC.read(FileStorage(str(folder)), _INDEX_NAME)
        names = sorted(os.listdir(folder))
    except Exception:  # whoosh raises many kinds on a damaged index: build it anew
        return {}, {}
    lengths = {segment.segid: segment._fieldlengths for segment in toc.segments}
    files: dict[str, list[str]] = {}
    for name in names:
        stem, dot, _ = name.partition(".")
        if dot and stem.startswith(f"{_INDEX_NAME}_"):
            files.setdefault(stem.removeprefix(f"{_INDEX_NAME}_"), []).append(name)
    return files, lengths


def _write_segment(
    the_schema: Schema, documents: Iterator[dict[str, str]], index_dir: Path, segment_id: str
) -> Any:
    """Write one segment named `segment_id` into index_dir, through a scratch index
    beside it (a whoosh writer also writes a table of contents and a lock)."""
    import shutil

    scratch = index_dir / f".segment-{segment_id}"
    scratch.mkdir()
    ix = whoosh_index.create_in(str(scratch), the_schema, _INDEX_NAME)
    # compound=False: a compound segment file records each part's mtime.
    # limitmb: a segment of 20,000 claims (the most segment_groups makes) then sorts its
    # postings in memory; at 128 MB whoosh spilled them to disk and read them back,
    # which took a third of the time.
    writer = ix.writer(codec=_NamedSegmentCodec(segment_id), limitmb=512, compound=False)
    for document in documents:
        writer.add_document(**document)
    writer.commit(merge=False)
    lengths = writer.newsegment._fieldlengths
    for name in os.listdir(scratch):
        if name.startswith(f"{_INDEX_NAME}_{segment_id}."):
            os.rename(scratch / name, index_dir / name)
    shutil.rmtree(scratch)
    return lengths


def _index_meta(kb: KnowledgeBase, fingerprint: str) -> dict[str, object]:
    from evidencekb.model import SECTIONS

    return {
        "format": FORMAT_VERSION,
        "fingerprint": fingerprint,
        "sections": list(SECTIONS),
        "strength_labels": list(kb.strength.labels),
        "topics": [topic.slug for topic in kb.topics],
        "categories": {t.id: list(t.names) for t in kb.categories},
        "entities": {t.id: list(t.names) for t in kb.entities},
        "vocabulary": Vocabulary.from_kb(kb).to_json(),
        "stances": {t.id: [t.label] for t in kb.stances},
        "years": cited_years(kb),
        "codes": {
            "section": encode((claim.section for claim in kb.claims), SECTIONS),
            "strength": encode((claim.strength for claim in kb.claims), kb.strength.labels),
        },
    }


def cited_years(kb: KnowledgeBase) -> list[int]:
    """The years of the works the claims cite, ascending."""
    years: set[int] = set()
    for topic in kb.topics:
        works = {work.number: work for work in topic.references}
        cited = (work for claim in topic.claims for work in _cited_works(claim, works))
        years.update(work.year for work in cited if work.year is not None)
    return sorted(years)


def _names(terms: tuple[Term, ...], term_id: str) -> tuple[str, ...]:
    for term in terms:
        if term.id == term_id:
            return term.names
    return ()


def read_meta(index_dir: Path) -> IndexMeta | None:
    """The index's metadata; None if there is no usable index of this format."""
    try:
        data = json.loads((index_dir / INDEX_META_NAME).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
        return None
    return IndexMeta(
        fingerprint=data["fingerprint"],
        sections=tuple(data["sections"]),
        strength_labels=tuple(data["strength_labels"]),
        topics=tuple(data["topics"]),
        categories={k: tuple(v) for k, v in data["categories"].items()},
        entities={k: tuple(v) for k, v in data["entities"].items()},
        vocabulary=Vocabulary.from_json(data["vocabulary"]),
        stances={k: tuple(v) for k, v in data["stances"].items()},
        years=tuple(data["years"]),
        codes=dict(data["codes"]),
    )


def is_fresh(kb_dir: Path, index_dir: Path) -> bool:
    """Whether the index at `index_dir` was built from kb/ as it is now."""
    meta_path = index_dir / INDEX_META_NAME
    try:
        stamp = meta_path.stat().st_mtime_ns
    except OSError:
        return False
    meta = read_meta(index_dir)
    if meta is None:
        return False
    if not touched_since(kb_dir, stamp):
        return True
    current = kb_fingerprint(kb_dir)
    if current.digest != meta.fingerprint:
        return False
    # Unchanged after all (a file was saved as it was): move the stamp up so
    # that the next search skips the hash. Best effort: site/ may be read-only.
    refreshed = current.stamp_ns
    if refreshed > stamp:
        with contextlib.suppress(OSError):
            os.utime(meta_path, ns=(refreshed, refreshed))
    return True


def ensure_fresh_index(
    kb_dir: Path,
    index_dir: Path,
    *,
    notify: Callable[[str], None],
    progress: Progress = no_progress,
) -> None:
    """Rebuild the index from kb/ if it is missing or older than kb/.

    The rebuild holds the site folder's writer lock, as `ekb build` does: a build
    running meanwhile is waited for (and has often made the index fresh), never
    swapped out from under the rebuild.
    """
    if not kb_dir.is_dir():
        raise KBError(f"no knowledge base folder at {kb_dir} (use --kb DIR)")
    if is_fresh(kb_dir, index_dir):
        return
    # Imported only to rebuild: a search of a fresh index starts faster without it.
    from evidencekb.atomic import writer_lock

    site_dir = index_dir.parent
    try:
        with writer_lock(site_dir, on_wait=lambda: notify(f"waiting for a build of {site_dir}…")):
            if is_fresh(kb_dir, index_dir):
                return
            if read_meta(index_dir) is None:
                notify(f"no search index at {index_dir}; building it…")
            else:
                notify("kb/ changed since the last build; rebuilding the search index…")
            rebuild_index(kb_dir, index_dir, progress=progress)
    except OSError as error:
        reason = failure_reason(error)
        raise KBError(f"cannot write the search index at {index_dir}: {reason}") from None


def rebuild_index(kb_dir: Path, index_dir: Path, *, progress: Progress = no_progress) -> None:
    """Build a new index beside `index_dir` and swap it in atomically.

    Searches running meanwhile keep reading the old index; none ever sees a
    half-written one. Callers other than ensure_fresh_index hold the writer lock.
    """
    from evidencekb.atomic import staged_dir
    from evidencekb.kb.load import load_kb  # only this rare path needs the loader

    fingerprint = kb_fingerprint(kb_dir)
    kb = load_kb(kb_dir)
    with staged_dir(index_dir) as staged:
        write_index(kb, staged, fingerprint=fingerprint, progress=progress)
