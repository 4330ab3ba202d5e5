"""The cache of parsed kb/ files (kb/parsecache.py) can make a check faster, never
give other results: cold, warm, corrupt, truncated, from another version, tampered
with, unwritable or shared by runs at once, `ekb check` says the same."""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from evidencekb.cache import cache_folder, read_entry, write_atomically
from evidencekb.errors import Cancelled, ValidationError
from evidencekb.hashing import content_key
from evidencekb.kb.files import scan_kb
from evidencekb.kb.load import load_kb
from evidencekb.kb.parsecache import AHEAD_BYTES, ParseCache, parse_ahead
from evidencekb.kb.tomlfile import parse_text
from evidencekb.model import KnowledgeBase
from evidencekb.paths import CACHE_DIRNAME, CHECKED_CACHE_DIRNAME, PARSE_CACHE_DIRNAME
from fixtures import EVIDENCE_TOPIC, REPO_KB, ekb_here

KETAMINE = "topics/ketamine-pain"
SAMPLE = f"topics/{EVIDENCE_TOPIC}"


def entries(cache_home: Path) -> list[Path]:
    folder = cache_home / CACHE_DIRNAME / PARSE_CACHE_DIRNAME
    return sorted(folder.iterdir()) if folder.is_dir() else []


def outcome(kb_dir: Path) -> KnowledgeBase | list[str]:
    """What a check finds: the whole knowledge base, or every problem as printed. Every
    topic is checked, so every file is read through the parse cache: a topic kept from
    an earlier check is not read (kb/checked.py), so its kept topics are removed first."""
    shutil.rmtree(
        Path(os.environ["XDG_CACHE_HOME"]) / CACHE_DIRNAME / CHECKED_CACHE_DIRNAME,
        ignore_errors=True,
    )
    try:
        return load_kb(kb_dir)
    except ValidationError as error:
        return [str(problem) for problem in error.problems]


def edit(kb_dir: Path, relative: str, old: str, new: str) -> None:
    path = kb_dir / relative
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new, 1), "utf-8")


def break_kb(kb_dir: Path) -> None:
    """Faults in four files, of kinds found while parsing (syntax, a number SQLite
    cannot hold), after it (a date where a number belongs, a vocabulary) and across
    files (a claim id two topics use), each needing its line."""
    edit(kb_dir, f"{KETAMINE}/claims.toml", "source_line = 4\n", "source_line = 2024-01-02\n")
    edit(kb_dir, f"{KETAMINE}/claims.toml", 'strength = "not-stated"', 'strength = "strong"')
    edit(kb_dir, f"{SAMPLE}/claims.toml", 'id = "scifact-10"', 'id = "ketamine-pain-6927e12e"')
    edit(kb_dir, f"{SAMPLE}/claims.toml", "source_line = 2\n", f"source_line = {2**64}\n")
    edit(kb_dir, f"{SAMPLE}/evidence.toml", 'stance = "contradicts"', 'stance = "contradicts')


@pytest.fixture(params=["valid", "broken"])
def any_kb(request: pytest.FixtureRequest, evidence_kb: Path) -> Path:
    """A kb copy with the evidence sample topic, as it is or with `break_kb`'s faults."""
    if request.param == "broken":
        break_kb(evidence_kb)
    return evidence_kb


def test_the_broken_kb_has_its_faults(evidence_kb: Path, cache_home: Path) -> None:
    break_kb(evidence_kb)
    found = outcome(evidence_kb)
    assert isinstance(found, list)
    text = "\n".join(found)
    for part in (
        "TOML syntax error",
        "whole number outside",
        "must be a whole number",
        "unknown strength 'strong'",
        "duplicate claim id 'ketamine-pain-6927e12e'",
    ):
        assert part in text  # fmt: skip


def test_a_warm_cache_gives_what_a_cold_one_does(any_kb: Path, cache_home: Path) -> None:
    cold = outcome(any_kb)
    kept = {entry: entry.stat().st_ino for entry in entries(cache_home)}
    # Every TOML file that parses has its entry.
    toml_files = [p for p in any_kb.rglob("*.toml")]
    assert len(kept) == len(toml_files) - (1 if isinstance(cold, list) else 0)
    assert outcome(any_kb) == cold
    # The warm run read the entries rather than parsing and writing them again.
    assert {entry: entry.stat().st_ino for entry in entries(cache_home)} == kept


def test_an_edit_is_seen_through_a_warm_cache(evidence_kb: Path, cache_home: Path) -> None:
    assert isinstance(outcome(evidence_kb), KnowledgeBase)
    # Same size, same second: only the bytes tell the versions apart.
    path = evidence_kb / KETAMINE / "claims.toml"
    before = path.stat()
    edit(evidence_kb, f"{KETAMINE}/claims.toml", 'section = "guidelines"', 'section = "guidelinez"')
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    problems = outcome(evidence_kb)
    assert isinstance(problems, list) and len(problems) == 1
    assert "unknown section 'guidelinez'" in problems[0]
    edit(evidence_kb, f"{KETAMINE}/claims.toml", 'section = "guidelinez"', 'section = "guidelines"')
    assert isinstance(outcome(evidence_kb), KnowledgeBase)


def spoil_truncated(entry: Path) -> None:
    data = entry.read_bytes()
    entry.write_bytes(data[: len(data) // 2])


def spoil_garbage(entry: Path) -> None:
    entry.write_bytes(b"\x80\x05not a pickle at all" * 3)


def spoil_empty(entry: Path) -> None:
    entry.write_bytes(b"")


def spoil_other_version(entry: Path) -> None:
    """An entry another version of evidencekb (or Python) wrote for the same bytes,
    holding other data, whole as the cache writes entries: it must not be used."""
    form, path, content_hash, _, _ = pickle.loads(read_entry(entry) or b"")
    other = ("evidencekb-parsed-toml-0" + form.removeprefix("evidencekb-parsed-toml-1"),)
    write_atomically(entry, pickle.dumps((*other, path, content_hash, {}, ())))


def spoil_other_shape(entry: Path) -> None:
    """Right stamp, wrong kind of data (a list where a table belongs)."""
    form, path, content_hash, _, _ = pickle.loads(read_entry(entry) or b"")
    write_atomically(entry, pickle.dumps((form, path, content_hash, ["x"], ())))


@pytest.mark.parametrize(
    "spoil",
    [spoil_truncated, spoil_garbage, spoil_empty, spoil_other_version, spoil_other_shape],
)
def test_a_spoilt_cache_gives_what_no_cache_does(
    any_kb: Path, cache_home: Path, spoil: Callable[[Path], None]
) -> None:
    cold = outcome(any_kb)
    for entry in entries(cache_home):
        spoil(entry)
    assert outcome(any_kb) == cold
    # The spoilt entries were replaced: the next run is warm again.
    kept = {entry: entry.stat().st_ino for entry in entries(cache_home)}
    assert outcome(any_kb) == cold
    assert {entry: entry.stat().st_ino for entry in entries(cache_home)} == kept


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (Path.touch, (str(self.marker),))  # type: ignore[return-value]


def test_a_tampered_entry_runs_no_code(any_kb: Path, cache_home: Path, tmp_path: Path) -> None:
    cold = outcome(any_kb)
    marker = tmp_path / "code-ran"
    for entry in entries(cache_home):
        form, path, content_hash, _, _ = pickle.loads(read_entry(entry) or b"")
        write_atomically(entry, pickle.dumps((form, path, content_hash, _Payload(marker), ())))
    assert outcome(any_kb) == cold
    assert not marker.exists()


def test_an_unwritable_cache_is_no_cache(
    evidence_kb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A file where the cache folder would be: even root cannot make the folder.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", "utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    clean = ekb_here("check", "--kb", str(evidence_kb))
    assert clean.exit_code == 0, clean.output
    break_kb(evidence_kb)
    broken = ekb_here("check", "--kb", str(evidence_kb))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    cached = [ekb_here("check", "--kb", str(evidence_kb)) for _ in range(2)]
    assert [(run.exit_code, run.output) for run in cached] == [(1, broken.output)] * 2
    assert blocker.read_text("utf-8") == ""


def test_runs_at_once_share_the_cache(evidence_kb: Path, cache_home: Path) -> None:
    break_kb(evidence_kb)
    expected = outcome(evidence_kb)
    assert isinstance(expected, list)
    for entry in entries(cache_home):
        entry.unlink()
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home)}
    command = [sys.executable, "-m", "evidencekb", "check", "--kb", str(evidence_kb)]
    runs = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    results = [(run.wait(), *run.communicate()) for run in runs]
    assert {(code, err.decode()) for code, _, err in results} == {
        (1, "".join(f"{p}\n" for p in expected) + f"Error: {len(expected)} problems found\n")
    }
    # Whole entries only, no temporary file left behind, and they serve the next run.
    assert all(not entry.name.startswith(".") for entry in entries(cache_home))
    assert outcome(evidence_kb) == expected


def test_the_cache_is_not_kept_beside_kb(evidence_kb: Path, cache_home: Path) -> None:
    before = sorted(evidence_kb.parent.iterdir())
    outcome(evidence_kb)
    assert entries(cache_home)
    assert sorted(evidence_kb.parent.iterdir()) == before


def test_a_large_cold_kb_is_parsed_ahead_on_two_cores(cache_home: Path) -> None:
    """With AHEAD_BYTES or more of TOML to parse and no entries, every file that
    parses gets its entry before kb/ is read (both processes write them); one that
    does not parse gets none, and is reported as it always is."""
    seed = (REPO_KB / KETAMINE / "claims.toml").read_bytes()
    copies = AHEAD_BYTES // (2 * len(seed)) + 1
    big = {f"part-{n}.toml": seed * copies for n in range(2)}  # arrays of tables: TOML
    tree = scan_kb(REPO_KB).with_folder("topics/big", {**big, "broken.toml": b"text = "})
    cache = ParseCache(cache_folder(PARSE_CACHE_DIRNAME))
    parse_ahead(tree, cache)
    for relative in tree.all_files():
        path, data = os.path.abspath(REPO_KB / relative), tree.read(relative)
        kept = cache.get(path, content_key(data))
        if relative.endswith(".toml") and not relative.endswith("broken.toml"):
            assert kept == parse_text(data.decode("utf-8"), relative, []), relative
        else:
            assert kept is None, relative


def test_parsing_ahead_stops_once_stop_is_set(cache_home: Path) -> None:
    """`ekb serve` stopping while a large cold kb/ is parsed ahead: no share is parsed
    once `stop` is set; Cancelled is raised (one share here, parsed in this process)."""
    seed = (REPO_KB / KETAMINE / "claims.toml").read_bytes()
    big = {"part.toml": seed * (AHEAD_BYTES // len(seed) + 1)}
    tree = scan_kb(REPO_KB).with_folder("topics/big", big)
    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled):
        parse_ahead(tree, ParseCache(cache_folder(PARSE_CACHE_DIRNAME)), stop)
    assert entries(cache_home) == []


def test_a_small_cold_kb_is_not_parsed_ahead(cache_home: Path) -> None:
    parse_ahead(scan_kb(REPO_KB), ParseCache(cache_folder(PARSE_CACHE_DIRNAME)))
    assert entries(cache_home) == []


def test_only_a_cache_this_process_can_write_is_parsed_ahead_into(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parsing ahead into a cache that keeps nothing would parse every file twice."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", "utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert not ParseCache(cache_folder(PARSE_CACHE_DIRNAME)).entries.writable()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    entries = ParseCache(cache_folder(PARSE_CACHE_DIRNAME)).entries
    assert entries.writable()
    assert entries.folder is not None and entries.folder.is_dir()


def large(kb_dir: Path) -> Path:
    """`kb_dir` with the seed topic copied (claim ids renamed) until its TOML comes to
    AHEAD_BYTES: a check with an empty cache then parses it ahead, on two cores."""
    seed = kb_dir / KETAMINE
    size = sum(path.stat().st_size for path in seed.glob("*.toml"))
    for n in range(AHEAD_BYTES // size + 1):
        copy = kb_dir / "topics" / f"copy-{n:03d}"
        shutil.copytree(seed, copy)
        edit_all(copy / "claims.toml", 'id = "ketamine-pain-', f'id = "copy-{n:03d}-')
    return kb_dir


def edit_all(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text("utf-8").replace(old, new), "utf-8")


def test_a_large_kb_checks_alike_parsed_ahead_warm_and_without_cache(
    evidence_kb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb_dir = large(evidence_kb)
    break_kb(kb_dir)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", "utf-8")
    runs = []
    for home in (tmp_path / "xdg-cache", tmp_path / "xdg-cache", blocker):
        monkeypatch.setenv("XDG_CACHE_HOME", str(home))
        result = ekb_here("check", "--kb", str(kb_dir))
        runs.append((result.exit_code, result.output))
    assert runs[0][0] == 1 and "duplicate claim id" in runs[0][1]
    assert runs == [runs[0]] * 3
