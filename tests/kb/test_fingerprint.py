"""kb/'s fingerprint taken from the reading that loads it: one read of each file, the
same hash as `kb_fingerprint`, whatever order the files are read in."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from evidencekb.errors import ValidationError
from evidencekb.kb.files import scan_kb
from evidencekb.kb.fingerprint import TreeDigest, kb_fingerprint
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
