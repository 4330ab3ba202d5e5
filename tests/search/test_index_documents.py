"""Each topic's claims analysed for the search index, kept between runs
(search/segments.py's TopicDocuments, cache.INDEX_DOCUMENTS): an index written with
the cache warm is byte for byte the index written without it, over generated edits
and whatever happened to the cache; and an edit analyses its own topic again, no
other."""

from __future__ import annotations

import pickle
from functools import partial
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from evidencekb.cache import (
    INDEX_DOCUMENTS,
    PickledEntries,
    TopicEntries,
    read_entry,
    write_atomically,
)
from evidencekb.kb.fingerprint import Fingerprint
from evidencekb.model import KnowledgeBase
from evidencekb.search.writer import write_index
from fixtures import (
    DAMAGED_ON_DISK,
    EDIT_LISTS,
    Edit,
    Marker,
    damaged_entries_written_anew,
    entry_inodes,
    folder_bytes,
    reword_claim,
    scratch,
    with_worded_stances,
)


def kept_in(folder: Path) -> TopicEntries:
    return TopicEntries(INDEX_DOCUMENTS, Path("/kb"), PickledEntries(folder))


def index_files(kb: KnowledgeBase, out: Path, kept: TopicEntries | None) -> dict[str, bytes]:
    """The files of `kb`'s index written anew into `out` (nothing kept from an earlier
    index: every segment is written)."""
    out.mkdir(parents=True)
    write_index(kb, out, fingerprint=Fingerprint("test", read_started_ns=0), kept=kept)
    return folder_bytes(out)


@settings(
    max_examples=10, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(edits=EDIT_LISTS)
def test_a_warm_cache_writes_the_index_a_fresh_pass_writes(
    evidence_kb_loaded: KnowledgeBase,
    edits: list[tuple[Edit, int, str]],
) -> None:
    kb = with_worded_stances(evidence_kb_loaded)
    with scratch() as folder:
        kept = kept_in(folder / "cache")
        index_files(kb, folder / "before", kept)  # the run before the edits
        for number, (edit, index, word) in enumerate(edits):
            kb = edit(kb, index, word)
            warm = index_files(kb, folder / f"warm-{number}", kept)
            assert warm == index_files(kb, folder / f"fresh-{number}", None)


def test_an_edit_analyses_its_own_topic_again_and_no_other(
    evidence_kb_loaded: KnowledgeBase, tmp_path: Path
) -> None:
    kb = evidence_kb_loaded
    assert len(kb.topics) == 2
    kept = kept_in(tmp_path / "cache")
    index_files(kb, tmp_path / "first", kept)
    before = entry_inodes(tmp_path / "cache")
    assert len(before) == len(kb.topics)
    edited = reword_claim(kb, 1, "ketamine")
    index_files(edited, tmp_path / "edited", kept)
    after = entry_inodes(tmp_path / "cache")
    assert after.keys() == before.keys()
    entry = kept.entries.entry(kept.place(kb.topics[1].slug))
    assert entry is not None
    assert [name for name in after if after[name] != before[name]] == [entry.name]


def spoil(kind: str, entry: Path, marker: Path) -> None:
    """Damage `entry`: on disk (DAMAGED_ON_DISK), or whole as the cache writes entries
    but holding what it would never write (the rest)."""
    payload = read_entry(entry) or b""
    if kind in DAMAGED_ON_DISK:
        entry.write_bytes(DAMAGED_ON_DISK[kind](entry.read_bytes()))
        return
    form, place, key, (documents, words) = pickle.loads(payload)
    spoilt = {
        "foreign-format": ("evidencekb-index-documents-0", place, key, (documents, words)),
        "other-shape": (form, place, key, (documents,)),
        "words-not-a-map": (form, place, key, (documents, list(words))),
        "class": (form, place, key, Marker(marker)),
    }[kind]
    write_atomically(entry, pickle.dumps(spoilt))


@pytest.mark.parametrize(
    "kind", [*DAMAGED_ON_DISK, "foreign-format", "other-shape", "words-not-a-map", "class"]
)
def test_a_damaged_entry_is_analysed_again(
    evidence_kb_loaded: KnowledgeBase, tmp_path: Path, kind: str
) -> None:
    kb, kept, marker = evidence_kb_loaded, kept_in(tmp_path / "cache"), tmp_path / "ran"

    def write(name: str, warm: bool) -> dict[str, bytes]:
        return index_files(kb, tmp_path / name, kept if warm else None)

    damaged_entries_written_anew(write, tmp_path / "cache", partial(spoil, kind, marker=marker))
    assert not marker.exists()


def test_a_cache_folder_that_cannot_be_written_means_no_cache(
    evidence_kb_loaded: KnowledgeBase, tmp_path: Path
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be", "utf-8")
    kb = evidence_kb_loaded
    written = index_files(kb, tmp_path / "out", kept_in(blocked / "cache"))
    assert written == index_files(kb, tmp_path / "fresh", None)
    assert blocked.is_file()
