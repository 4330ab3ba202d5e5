"""kb/'s fingerprint taken from the reading that loads it: one read of each file, the
same hash as `kb_fingerprint`, whatever order the files are read in."""

from __future__ import annotations

import os
import random
import shutil
import time
from pathlib import Path

import pytest

from evidencekb.errors import ValidationError
from evidencekb.kb.files import scan_kb
from evidencekb.kb.fingerprint import TreeDigest, kb_fingerprint, still_current, touched_since
from evidencekb.kb.load import load_tree, read_kb


def test_a_build_reads_each_file_once_and_hashes_what_it_loaded(kb_dir: Path) -> None:
    tree = scan_kb(kb_dir)
    read_by_the_digest: list[str] = []

    def read(relative: str) -> bytes:
        read_by_the_digest.append(relative)
        return tree.read(relative)

    digest = TreeDigest(tree.all_files(), read)
    kb = load_tree(tree, digest)
    fingerprint = digest.finish(started_ns=1)
    assert fingerprint.digest == kb_fingerprint(kb_dir).digest
    assert kb.claims and fingerprint.read_started_ns == 1
    # Only what the loader never opens (kb/README.md) is read again for the hash.
    assert read_by_the_digest == ["README.md"]
    assert read_kb(kb_dir).fingerprint.digest == fingerprint.digest


def test_the_hash_is_the_same_in_any_order_and_with_little_room_to_wait(
    kb_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = scan_kb(kb_dir)
    files = tree.all_files()
    expected = kb_fingerprint(kb_dir).digest
    for room in (TreeDigest.WAIT_BYTES, 1):
        monkeypatch.setattr(TreeDigest, "WAIT_BYTES", room)
        for seed in range(3):
            digest = TreeDigest(files, tree.read)
            shuffled = random.Random(seed).sample(files, len(files))
            for relative in shuffled[: len(files) // 2] + shuffled[:3]:  # some read twice
                digest.feed(relative, tree.read(relative))
            assert digest.finish(started_ns=0).digest == expected


def test_an_edit_changes_it(kb_dir: Path) -> None:
    before = read_kb(kb_dir).fingerprint.digest
    (kb_dir / "README.md").write_text("Edited.\n", encoding="utf-8")  # never loaded, still hashed
    after = read_kb(kb_dir).fingerprint.digest
    assert after != before
    assert after == kb_fingerprint(kb_dir).digest


def test_a_kb_that_does_not_load_is_the_loaders_error(kb_dir: Path) -> None:
    (kb_dir / "strength.toml").write_text("not = [toml", encoding="utf-8")
    with pytest.raises(ValidationError) as raised:
        read_kb(kb_dir)
    assert [problem.path for problem in raised.value.problems] == [str(kb_dir / "strength.toml")]


def test_another_kb_older_than_the_stamp_is_not_taken_for_the_one_hashed(
    kb_dir: Path, tmp_path: Path
) -> None:
    """Two kbs built into one site folder in turn: the second's stamp is later than
    every file of the first, which a search took as unchanged and searched the second's
    index. Its files' shape (paths and sizes) is not the second's: it is hashed."""
    other = tmp_path / "other"
    shutil.copytree(kb_dir, other)
    topic = other / "topics" / "ketamine-pain" / "topic.toml"
    topic.write_text(topic.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    stamp = tmp_path / "stamp"
    stamp.write_text("")
    later = time.time_ns() + 10**9
    os.utime(stamp, ns=(later, later))  # after every file of both kbs
    digest = kb_fingerprint(other).digest
    assert still_current(other, stamp, digest)
    assert not touched_since(kb_dir, later)  # untouched since: the time alone says current
    assert not still_current(kb_dir, stamp, digest)
    assert still_current(kb_dir, stamp, kb_fingerprint(kb_dir).digest)
