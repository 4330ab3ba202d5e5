"""Writing the index, its fingerprint and freshness, and the atomic rebuild."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from evidencekb.errors import ValidationError
from evidencekb.kb.fingerprint import (
    CLOCK_MARGIN_NS,
    Fingerprint,
    kb_fingerprint,
    touched_since,
)
from evidencekb.kb.load import load_kb
from evidencekb.model import (
    Claim,
    KnowledgeBase,
    StrengthLevel,
    StrengthScheme,
    Term,
    Topic,
)
from evidencekb.paths import INDEX_META_NAME
from evidencekb.search.engine import search
from evidencekb.search.index import FORMAT_VERSION, is_fresh, read_meta
from evidencekb.search.writer import ensure_fresh_index, rebuild_index, write_index

BUILD_SCRIPT = """
import sys
from pathlib import Path
from evidencekb.kb.fingerprint import kb_fingerprint
from evidencekb.search.writer import write_index
from evidencekb.kb.load import load_kb
kb_dir, out = Path(sys.argv[1]), Path(sys.argv[2])
write_index(load_kb(kb_dir), out, fingerprint=kb_fingerprint(kb_dir))
"""


def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_the_same_kb_builds_byte_identical_indexes(kb_dir: Path, tmp_path: Path) -> None:
    # Separate processes with different hash seeds: nothing may depend on
    # set order, the clock or the random module's state.
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"index-{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-c", BUILD_SCRIPT, kb_dir, out], check=True, env=env)
        outputs.append(tree_bytes(out))
    assert outputs[0] == outputs[1]
    assert INDEX_META_NAME in outputs[0]


def test_write_index_refuses_a_folder_that_holds_anything(kb_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "whoosh").mkdir()
    (tmp_path / "whoosh" / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        write_index(
            load_kb(kb_dir), tmp_path / "whoosh", fingerprint=Fingerprint("x", read_started_ns=0)
        )


def test_write_index_leaves_the_random_module_alone(kb_dir: Path, tmp_path: Path) -> None:
    import random

    random.seed(7)
    expected = random.random()
    random.seed(7)
    write_index(load_kb(kb_dir), tmp_path / "whoosh", fingerprint=kb_fingerprint(kb_dir))
    assert random.random() == expected


def test_fingerprint_follows_content_not_times(kb_dir: Path) -> None:
    before = kb_fingerprint(kb_dir).digest
    claims = kb_dir / "topics" / "ketamine-pain" / "claims.toml"
    os.utime(claims, (1, 1))
    assert kb_fingerprint(kb_dir).digest == before
    claims.write_text(claims.read_text("utf-8") + "\n", "utf-8")
    edited = kb_fingerprint(kb_dir).digest
    assert edited != before
    (kb_dir / "topics" / "ketamine-pain" / "notes.md").write_text("x", "utf-8")
    assert len({before, edited, kb_fingerprint(kb_dir).digest}) == 3


def test_the_fingerprint_carries_when_kb_was_read(kb_dir: Path) -> None:
    """No state kept between kb_fingerprint and write_index: the reading time travels
    in the value, and a fingerprint made up without reading a kb/ stamps 0."""
    started = time.time_ns()
    fingerprint = kb_fingerprint(kb_dir)
    assert started <= fingerprint.read_started_ns <= time.time_ns()
    assert fingerprint.stamp_ns == fingerprint.read_started_ns - CLOCK_MARGIN_NS
    assert Fingerprint("made-up", read_started_ns=0).stamp_ns == 0


def test_touched_since_sees_edits_additions_and_deletions(kb_dir: Path) -> None:
    later = time.time_ns() + 10_000_000_000  # in the future: nothing is newer
    assert not touched_since(kb_dir, later)
    assert touched_since(kb_dir, 0)
    topic = kb_dir / "topics" / "ketamine-pain"
    (topic / "overview.md").unlink()
    assert touched_since(kb_dir, time.time_ns() - CLOCK_MARGIN_NS)


def test_a_file_copied_in_with_its_old_times_is_a_change(kb_dir: Path) -> None:
    """`cp -a`, `rsync -a`, `tar -x` or a restored backup give a file its original's
    modification time, older than the last build: a search served the old claims, and
    `ekb serve` the old site. The change time, which no tool sets back, says so."""
    stamp = time.time_ns() - CLOCK_MARGIN_NS
    past = stamp - 60_000_000_000
    claims = kb_dir / "topics" / "ketamine-pain" / "claims.toml"
    claims.write_text(claims.read_text("utf-8") + "\n", "utf-8")
    for path in [kb_dir, *kb_dir.rglob("*")]:
        os.utime(path, ns=(past, past))
    assert all(p.stat().st_mtime_ns < stamp for p in [kb_dir, *kb_dir.rglob("*")])
    assert touched_since(kb_dir, stamp)


def test_an_index_is_fresh_until_kb_changes(kb_dir: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "whoosh"
    write_index(load_kb(kb_dir), index_dir, fingerprint=kb_fingerprint(kb_dir))
    assert is_fresh(kb_dir, index_dir)
    overview = kb_dir / "topics" / "ketamine-pain" / "overview.md"
    overview.write_text(overview.read_text("utf-8"), "utf-8")  # saved unchanged
    assert is_fresh(kb_dir, index_dir)
    overview.write_text(overview.read_text("utf-8") + "More.\n", "utf-8")
    assert not is_fresh(kb_dir, index_dir)


def test_an_edit_during_the_build_leaves_the_index_stale(kb_dir: Path, tmp_path: Path) -> None:
    fingerprint = kb_fingerprint(kb_dir)  # kb/ is read here...
    overview = kb_dir / "topics" / "ketamine-pain" / "overview.md"
    overview.write_text("Edited while building.\n", "utf-8")  # ...and edited here
    write_index(load_kb(kb_dir), tmp_path / "whoosh", fingerprint=fingerprint)
    assert not is_fresh(kb_dir, tmp_path / "whoosh")


def test_an_index_of_another_format_is_not_fresh(kb_dir: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "whoosh"
    write_index(load_kb(kb_dir), index_dir, fingerprint=kb_fingerprint(kb_dir))
    meta = index_dir / INDEX_META_NAME
    current = f'"format": {FORMAT_VERSION}'
    meta.write_text(meta.read_text("utf-8").replace(current, '"format": 0'), "utf-8")
    assert read_meta(index_dir) is None
    assert not is_fresh(kb_dir, index_dir)


def test_ensure_fresh_builds_a_missing_index_and_says_so(kb_dir: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "site" / "whoosh"
    said: list[str] = []
    ensure_fresh_index(kb_dir, index_dir, notify=said.append)
    assert said == [f"no search index at {index_dir}; building it…"]
    assert search(index_dir, "laryngospasm").hits
    said.clear()
    ensure_fresh_index(kb_dir, index_dir, notify=said.append)
    assert said == []
    # No staging left; only the lock its writers take.
    assert sorted(p.name for p in index_dir.parent.iterdir()) == [".whoosh.lock", "whoosh"]


def test_a_failed_rebuild_keeps_the_old_index(kb_dir: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "whoosh"
    rebuild_index(kb_dir, index_dir)
    before = tree_bytes(index_dir)
    claims = kb_dir / "topics" / "ketamine-pain" / "claims.toml"
    claims.write_text("[[claim]\n", "utf-8")
    with pytest.raises(ValidationError):
        ensure_fresh_index(kb_dir, index_dir, notify=lambda message: None)
    assert tree_bytes(index_dir) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".whoosh.lock", "kb", "whoosh"]


def test_a_rebuild_after_another_built_the_missing_index_swaps_with_it(
    kb_dir: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "whoosh"

    def meanwhile(stage: str, done: int, total: int) -> None:
        if not index_dir.exists():
            rebuild_index(kb_dir, index_dir)  # another search gets there first

    rebuild_index(kb_dir, index_dir, progress=meanwhile)
    assert is_fresh(kb_dir, index_dir)
    assert search(index_dir, "laryngospasm").hits
    assert [p.name for p in tmp_path.iterdir()] == ["kb", "whoosh"]  # no staging left


def test_a_searcher_open_during_a_rebuild_keeps_reading_the_old_index(
    kb_dir: Path, tmp_path: Path, reword: Callable[[Path, str, str], None]
) -> None:
    from whoosh import index as whoosh_index

    index_dir = tmp_path / "whoosh"
    rebuild_index(kb_dir, index_dir)
    searcher = whoosh_index.open_dir(str(index_dir)).searcher()
    try:
        reword(kb_dir, "and laryngospasm", "and bronchospasm")
        rebuild_index(kb_dir, index_dir)
        assert searcher.doc_frequency("text", "laryngospasm") == 1  # the old one, whole
    finally:
        searcher.close()
    assert search(index_dir, "bronchospasm").hits


def small_kb() -> KnowledgeBase:
    """A kb built from the model alone, with its own vocabulary."""
    levels = tuple(
        StrengthLevel(label, rank, label, "", "") for rank, label in enumerate(("high", "low"), 1)
    )

    def claim(number: int, text: str, entities: tuple[str, ...] = ()) -> Claim:
        return Claim(
            id=f"t-{number}", topic="t", section="research", heading="H", text=text,
            citations=(number,), strength="low", strength_method="derived",
            strength_basis="", categories=(), entities=entities, source="s.txt",
            source_line=number, position=number,
        )  # fmt: skip

    claims = (
        claim(1, "Magnesium sulfate eases migraine.", ("mgso4",)),
        claim(2, "MgSO4 given IV reduced headache days."),
        claim(3, "Physiotherapy helps."),
    )
    topic = Topic("t", "Test topic", "s.txt", "plain", "", claims, ())
    mgso4 = Term("mgso4", "Magnesium sulfate", "drug", "", ("magnesium sulphate",), ("MgSO4",))
    return KnowledgeBase(StrengthScheme(levels, (), ""), (), (mgso4,), ("drug",), (topic,))


def test_vocabulary_from_a_hand_built_kb_expands_both_ways(tmp_path: Path) -> None:
    index_dir = tmp_path / "whoosh"
    write_index(small_kb(), index_dir, fingerprint=Fingerprint("test", read_started_ns=0))
    by_abbreviation = {h.claim["id"] for h in search(index_dir, "MgSO4").hits}
    by_name = {h.claim["id"] for h in search(index_dir, "magnesium sulphate").hits}
    assert by_abbreviation == by_name == {"t-1", "t-2"}
    assert [h.claim["id"] for h in search(index_dir, "entity:mgso4").hits] == ["t-1"]


def test_a_rebuild_keeps_the_segments_nothing_changed(
    kb_dir: Path, tmp_path: Path, reword: Callable[[Path, str, str], None]
) -> None:
    """A search that finds the index stale writes only the segments whose topics
    changed: the others are linked from the index it replaces (its own manifest)."""
    index_dir = tmp_path / "index"
    rebuild_index(kb_dir, index_dir)

    def segments() -> dict[str, int]:
        return {p.name: p.stat().st_ino for p in index_dir.iterdir() if p.name.startswith("MAIN_")}

    before = segments()
    rebuild_index(kb_dir, index_dir)  # nothing changed: every segment file kept
    assert segments() == before
    reword(kb_dir, "a viable option", "a workable option")
    rebuild_index(kb_dir, index_dir)  # its one segment written anew, under a new key
    assert segments() and not set(segments()) & set(before)
    assert search(index_dir, "workable").hits
