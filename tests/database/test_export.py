"""The JSON export a build writes (database/export.py): a gzip member per topic and for
the list's brackets and separators, which gzip, zcat and Python read as one stream,
decompressing to exactly the text `ekb export --format json` gives: for kbs with empty
topics anywhere and with no claims at all; after edits to claims, topics, stances and
the strength scheme with the cache warm from before each edit; and whatever happened
to the cache (entries damaged, stale, of another format, code or place, naming a
class; a folder that cannot be written)."""

from __future__ import annotations

import dataclasses
import gzip
import json
import pickle
import shutil
import subprocess
import zlib
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from evidencekb.cache import (
    EXPORT_MEMBERS,
    PickledEntries,
    TopicEntries,
    read_entry,
    write_atomically,
)
from evidencekb.database.export import write_export
from evidencekb.database.kept import TopicWork
from evidencekb.kb import claims_json, export, load_kb
from evidencekb.model import KnowledgeBase, Topic
from evidencekb.verdict import claim_json, summary_inputs
from fixtures import (
    DAMAGED_ON_DISK,
    REPO_KB,
    Marker,
    add_evidence_sample,
    add_retracted_sample,
    damaged_entries_written_anew,
    entry_inodes,
    sample_kb,
)

# RFC 1952: magic, deflate, no flags (so no file name), modification time 0.
DETERMINISTIC_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00"


@pytest.fixture(scope="module")
def three_topics(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    """The repository's kb with the evidence and retracted samples: claims with
    stances, quotations, curated relations and cited works under notices."""
    kb_dir = tmp_path_factory.mktemp("kb") / "kb"
    shutil.copytree(REPO_KB, kb_dir)
    add_evidence_sample(kb_dir)
    add_retracted_sample(kb_dir)
    kb = load_kb(kb_dir)
    assert len(kb.topics) == 3 and any(c.notices for c in kb.claims)
    return kb


def specified(kb: KnowledgeBase) -> str:
    """The export's text as it is specified: every claim's JSON, as json.dumps writes
    the list, with a final line break."""
    items = [claim_json(kb, claim) for claim in kb.claims]
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"


def members(data: bytes) -> list[bytes]:
    """Each gzip member of `data`, decompressed; each written with no name or time."""
    found = []
    while data:
        assert data.startswith(DETERMINISTIC_HEADER)
        reader = zlib.decompressobj(wbits=31)  # one gzip member, and what follows it
        found.append(reader.decompress(data))
        assert reader.eof
        data = reader.unused_data
    return found


def cache_in(folder: Path | None, code: str = "code") -> TopicWork:
    return TopicWork(TopicEntries(EXPORT_MEMBERS, Path("/kb"), PickledEntries(folder)), code)


def no_cache() -> TopicWork:
    return cache_in(None)


def written(kb: KnowledgeBase, path: Path, cache: TopicWork) -> bytes:
    write_export(kb, path, cache)
    return path.read_bytes()


def emptied(kb: KnowledgeBase, index: int) -> KnowledgeBase:
    """`kb` with its topic `index` left without claims (and so without references: a
    kb/ topic folder with empty claims.toml and references.toml passes `ekb check`)."""
    topics = list(kb.topics)
    topics[index] = dataclasses.replace(topics[index], claims=(), references=())
    return dataclasses.replace(kb, topics=tuple(topics))


def no_claims(kb: KnowledgeBase) -> KnowledgeBase:
    for index in range(len(kb.topics)):
        kb = emptied(kb, index)
    return kb


KBS: dict[str, Callable[[KnowledgeBase], KnowledgeBase]] = {
    "three topics": lambda kb: kb,
    "first topic empty": lambda kb: emptied(kb, 0),
    "middle topic empty": lambda kb: emptied(kb, 1),
    "last topic empty": lambda kb: emptied(kb, 2),
    "one topic with claims": lambda kb: emptied(emptied(kb, 0), 2),
    "topics without claims": no_claims,
    "no topics": lambda kb: dataclasses.replace(kb, topics=()),
    "hostile text": lambda kb: sample_kb(),
}


@pytest.mark.parametrize("variant", KBS)
def test_the_export_reads_as_the_json_export(
    three_topics: KnowledgeBase, tmp_path: Path, variant: str
) -> None:
    kb = KBS[variant](three_topics)
    data = written(kb, tmp_path / "export.json.gz", cache_in(tmp_path / "cache"))
    text = specified(kb)
    assert gzip.decompress(data).decode("utf-8") == text
    assert claims_json(kb, kb.claims) == export(kb, "json") == text
    # gzip itself (what zcat runs) reads the members as one stream.
    unzipped = subprocess.run(["gzip", "-dc"], input=data, capture_output=True, check=True)
    assert unzipped.stdout == text.encode("utf-8")
    # The opening, a member a topic with claims, a separator between two, the closing.
    topics = sum(1 for topic in kb.topics if topic.claims)
    assert len(members(data)) == (2 * topics + 1 if topics else 1)
    assert written(kb, tmp_path / "again.json.gz", cache_in(tmp_path / "cache")) == data
    assert written(kb, tmp_path / "fresh.json.gz", no_cache()) == data


def test_no_claims_is_an_empty_list(three_topics: KnowledgeBase, tmp_path: Path) -> None:
    data = written(no_claims(three_topics), tmp_path / "export.json.gz", no_cache())
    assert members(data) == [b"[]\n"]


# -- edits, with the cache warm from before each ---------------------------------------


def _with_topic(kb: KnowledgeBase, index: int, topic: Topic) -> KnowledgeBase:
    topics = list(kb.topics)
    topics[index] = topic
    return dataclasses.replace(kb, topics=tuple(topics))


def reword(kb: KnowledgeBase) -> KnowledgeBase:
    """The middle claim of the middle topic gains a word."""
    topic = kb.topics[1]
    claims = list(topic.claims)
    middle = len(claims) // 2
    claims[middle] = dataclasses.replace(claims[middle], text=f"Naïve {claims[middle].text}")
    return _with_topic(kb, 1, dataclasses.replace(topic, claims=tuple(claims)))


def unmark(kb: KnowledgeBase) -> KnowledgeBase:
    """A claim's cited works lose their notices (a retraction withdrawn)."""
    index, topic = next((i, t) for i, t in enumerate(kb.topics) if any(c.notices for c in t.claims))
    claims = tuple(dataclasses.replace(c, notices=()) if c.notices else c for c in topic.claims)
    return _with_topic(kb, index, dataclasses.replace(topic, claims=claims))


def relabel_stance(kb: KnowledgeBase) -> KnowledgeBase:
    stances = list(kb.stances)
    stances[-1] = dataclasses.replace(stances[-1], label=f"{stances[-1].label} (relabelled)")
    return dataclasses.replace(kb, stances=tuple(stances))


def retitle_level(kb: KnowledgeBase) -> KnowledgeBase:
    levels = tuple(
        dataclasses.replace(level, title=f"{level.title}!") for level in kb.strength.levels
    )
    return dataclasses.replace(kb, strength=dataclasses.replace(kb.strength, levels=levels))


def drop_hedging_words(kb: KnowledgeBase) -> KnowledgeBase:
    return dataclasses.replace(kb, strength=dataclasses.replace(kb.strength, hedging_words=()))


def move_to_end(kb: KnowledgeBase) -> KnowledgeBase:
    return dataclasses.replace(kb, topics=(*kb.topics[1:], kb.topics[0]))


def drop_first(kb: KnowledgeBase) -> KnowledgeBase:
    return dataclasses.replace(kb, topics=kb.topics[1:])


# Each edit, and how many topics' members it makes anew ("all": every topic's).
EDITS: list[tuple[Callable[[KnowledgeBase], KnowledgeBase], int | str]] = [
    (reword, 1),
    (unmark, 1),
    (relabel_stance, "all"),
    (retitle_level, "all"),
    (drop_hedging_words, "all"),
    (move_to_end, 0),
    (drop_first, 0),
    (lambda kb: emptied(kb, 1), 0),
]


@pytest.mark.parametrize(("edit", "remade"), EDITS)
def test_a_warm_cache_writes_what_no_cache_writes(
    three_topics: KnowledgeBase,
    tmp_path: Path,
    edit: Callable[[KnowledgeBase], KnowledgeBase],
    remade: int | str,
) -> None:
    cache = cache_in(tmp_path / "cache")
    written(three_topics, tmp_path / "before.json.gz", cache)  # the build before the edit
    before = entry_inodes(tmp_path / "cache")
    assert len(before) == len(three_topics.topics)
    kb = edit(three_topics)
    assert kb != three_topics
    data = written(kb, tmp_path / "warm.json.gz", cache)
    assert data == written(kb, tmp_path / "fresh.json.gz", no_cache())
    assert gzip.decompress(data).decode("utf-8") == specified(kb)
    after = entry_inodes(tmp_path / "cache")
    assert set(after) == set(before)  # an edited topic's entry replaced, never added to
    changed = [name for name in after if after[name] != before[name]]
    assert len(changed) == (len(three_topics.topics) if remade == "all" else remade)


# -- a damaged, stale or foreign cache -------------------------------------------------


FORGED = gzip.compress(b'{"id": "forged"},\n', mtime=0)


def spoil(kind: str, entry: Path, marker: Path) -> None:
    """Damage `entry`: on disk (DAMAGED_ON_DISK, or a byte of its member changed), or
    whole as the cache writes entries but not one this topic's member may come from
    (the rest)."""
    data = entry.read_bytes()
    form, place, key, member = pickle.loads(read_entry(entry) or b"")
    if kind in DAMAGED_ON_DISK:
        entry.write_bytes(DAMAGED_ON_DISK[kind](data))
    elif kind == "changed-on-disk":
        at = data.rindex(member) + len(member) // 2
        entry.write_bytes(data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :])
    else:
        spoiled = {
            "stale": (form, place, "0" * len(key), FORGED),  # made for other claims
            "foreign-format": ("evidencekb-export-member-0", place, key, FORGED),
            "other-place": (form, "/another/kb/topics/x", key, FORGED),
            "not-bytes": (form, place, key, FORGED.decode("latin-1")),
            "other-shape": (form, place, key),
            "class": (form, place, key, Marker(marker)),
        }[kind]
        write_atomically(entry, pickle.dumps(spoiled))


@pytest.mark.parametrize(
    "kind",
    [
        *DAMAGED_ON_DISK,
        "changed-on-disk",
        "stale",
        "foreign-format",
        "other-place",
        "not-bytes",
        "other-shape",
        "class",
    ],
)
def test_a_wrong_entry_is_made_again(
    three_topics: KnowledgeBase, tmp_path: Path, kind: str
) -> None:
    kb, cache, marker = three_topics, cache_in(tmp_path / "cache"), tmp_path / "ran"

    def write(name: str, warm: bool) -> bytes:
        return written(kb, tmp_path / f"{name}.json.gz", cache if warm else no_cache())

    damaged_entries_written_anew(write, tmp_path / "cache", partial(spoil, kind, marker=marker))
    assert not marker.exists()


def test_an_entry_of_other_code_or_another_kb_is_not_used(
    three_topics: KnowledgeBase, tmp_path: Path
) -> None:
    kb, folder = three_topics, tmp_path / "cache"
    old = cache_in(folder, code="old code")
    written(kb, tmp_path / "out.json.gz", old)
    summary = repr(summary_inputs(kb))
    assert all(old.get(t, old.key(summary, t)) is not None for t in kb.topics)
    new = cache_in(folder, code="new code")
    assert all(new.get(t, new.key(summary, t)) is None for t in kb.topics)
    elsewhere = TopicWork(dataclasses.replace(old.entries, kb_dir=Path("/another/kb")), old.code)
    assert all(elsewhere.get(t, old.key(summary, t)) is None for t in kb.topics)


def test_a_cache_folder_that_cannot_be_written_means_no_cache(
    three_topics: KnowledgeBase, tmp_path: Path
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be", "utf-8")
    data = written(three_topics, tmp_path / "out.json.gz", cache_in(blocked / "cache"))
    assert data == written(three_topics, tmp_path / "fresh.json.gz", no_cache())
    assert blocked.is_file()
