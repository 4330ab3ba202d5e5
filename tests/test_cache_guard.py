"""The user's cache folder holds only what evidencekb wrote there, or is not used: a
FIFO or a link to /dev/zero in place of an entry hangs nothing, a changed entry never
reaches a build's output, and a folder others may write in is no cache."""

from __future__ import annotations

import gzip
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from evidencekb.paths import (
    CACHE_DIRNAME,
    CHECKED_CACHE_DIRNAME,
    CITATION_CACHE_DIRNAME,
    EXPORT_CACHE_DIRNAME,
    PARSE_CACHE_DIRNAME,
    VERDICT_CACHE_DIRNAME,
)
from fixtures import folder_bytes

# The caches `ekb check` writes: each file parsed, and each topic checked.
CHECK_CACHES = (PARSE_CACHE_DIRNAME, CHECKED_CACHE_DIRNAME)


def check_entries(cache_home: Path) -> list[Path]:
    """The entries of every cache `ekb check` writes."""
    folders = [cache_home / CACHE_DIRNAME / name for name in CHECK_CACHES]
    return sorted(entry for folder in folders for entry in folder.iterdir())


def ekb(cache_home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home)}
    result = subprocess.run(
        [sys.executable, "-m", "evidencekb", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,  # a read that never ends fails the test here
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_entries_that_are_no_files_hang_nothing(kb_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert ekb(cache, "check", "--kb", str(kb_dir)).returncode == 0
    entries = check_entries(cache)
    assert {entry.parent.name for entry in entries} == set(CHECK_CACHES)
    for number, entry in enumerate(entries):
        entry.unlink()
        if number % 2:
            os.mkfifo(entry)
        else:
            entry.symlink_to("/dev/zero")
    result = ekb(cache, "check", "--kb", str(kb_dir))
    assert (result.returncode, result.stderr) == (0, "")
    assert all(entry.is_file() and not entry.is_symlink() for entry in entries)  # rewritten


# What a forger would put in each cache's entries that a build's output comes from:
# a formatted reference, a topic's share of the JSON export (a gzip member).
FORGED = {
    CITATION_CACHE_DIRNAME: b"<i>Forged</i> reference.",
    EXPORT_CACHE_DIRNAME: gzip.compress(b'{"id": "forged"},\n', mtime=0),
    VERDICT_CACHE_DIRNAME: pickle.dumps([("Cited works support · forged", 0)]),
}


@pytest.mark.parametrize("folder", FORGED)
def test_a_changed_entry_never_reaches_the_site(
    evidence_kb: Path, tmp_path: Path, folder: str
) -> None:
    cache = tmp_path / "cache"
    fresh = tmp_path / "fresh"
    assert (
        ekb(cache, "build", "-q", "--kb", str(evidence_kb), "--site-dir", str(fresh)).returncode
        == 0
    )
    entries = list((cache / CACHE_DIRNAME / folder).iterdir())
    assert entries
    for entry in entries:
        entry.write_bytes(FORGED[folder])
    for args in ([], ["--full"]):
        site = tmp_path / f"site{len(args)}"
        built = ekb(cache, "build", "-q", "--kb", str(evidence_kb), "--site-dir", str(site), *args)
        assert built.returncode == 0
        assert folder_bytes(site) == folder_bytes(fresh)


def test_entries_others_may_write_are_not_used(kb_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    (cache / CACHE_DIRNAME).mkdir(parents=True)
    (cache / CACHE_DIRNAME).chmod(0o777)
    assert ekb(cache, "check", "--kb", str(kb_dir)).returncode == 0
    assert (cache / CACHE_DIRNAME).stat().st_mode & 0o022 == 0  # made private
    entries = check_entries(cache)
    assert {entry.parent.name for entry in entries} == set(CHECK_CACHES)
    assert all(entry.stat().st_mode & 0o777 == 0o600 for entry in entries)
    for entry in entries:
        entry.chmod(0o666)
    assert ekb(cache, "check", "--kb", str(kb_dir)).returncode == 0
    assert all(entry.stat().st_mode & 0o777 == 0o600 for entry in entries)  # written anew
