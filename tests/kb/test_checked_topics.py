"""Topics kept from an earlier check (kb/checked.py), in the cache folder or remembered
by the process (`ekb serve`), make a check faster, never give it another result:
whatever is edited between two checks, and in whatever order the topics define a claim
id twice, a check with the cache finds what one without finds."""

from __future__ import annotations

import pickle
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidencekb.cache import read_entry, write_atomically
from evidencekb.errors import ValidationError
from evidencekb.hashing import content_key
from evidencekb.kb.checked import RememberedTopics
from evidencekb.kb.files import scan_kb
from evidencekb.kb.load import load_tree, read_kb
from evidencekb.model import KnowledgeBase
from evidencekb.paths import CACHE_DIRNAME, CHECKED_CACHE_DIRNAME
from fixtures import EVIDENCE_TOPIC, REPO_KB, add_evidence_sample

KETAMINE = "topics/ketamine-pain"
SAMPLE = f"topics/{EVIDENCE_TOPIC}"


def outcome(kb_dir: Path, remembered: RememberedTopics | None = None) -> KnowledgeBase | list[str]:
    """What a check finds: the whole knowledge base, or every problem as printed."""
    try:
        return load_tree(scan_kb(kb_dir), None, remembered)
    except ValidationError as error:
        return [str(problem) for problem in error.problems]


def uncached(kb_dir: Path, monkeypatch: pytest.MonkeyPatch, blocker: Path) -> object:
    """What a check finds with no cache at all: a file where the cache folder would be."""
    blocker.touch()
    with monkeypatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(blocker))
        return outcome(kb_dir)


def kept_entries(cache_home: Path) -> list[Path]:
    folder = cache_home / CACHE_DIRNAME / CHECKED_CACHE_DIRNAME
    return sorted(folder.iterdir()) if folder.is_dir() else []


def replace_in(kb_dir: Path, relative: str, old: str, new: str) -> None:
    path = kb_dir / relative
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new, 1), "utf-8")


def test_a_kept_topic_is_the_topic_checked(evidence_kb: Path, cache_home: Path) -> None:
    cold = outcome(evidence_kb)
    assert isinstance(cold, KnowledgeBase)
    kept = {entry: entry.stat().st_ino for entry in kept_entries(cache_home)}
    assert len(kept) == len(cold.topics) == 2
    warm = read_kb(evidence_kb)
    assert warm.kb == cold
    # Taken, not written again; and the build's fingerprint still covers every file.
    assert {entry: entry.stat().st_ino for entry in kept_entries(cache_home)} == kept
    assert warm.fingerprint.digest == read_kb(evidence_kb).fingerprint.digest


def test_a_kept_topic_comes_with_its_claims_key_and_one_with_evidence_finds_it_anew(
    evidence_kb: Path, cache_home: Path
) -> None:
    """A topic's claims' keys (model.Topic.claims_key, and each claim's, which the
    site's page keys take) are kept with it, so that a build does not hash its claims
    again; a topic whose claims gain evidence.toml's evidence after it is taken is
    another topic, whose keys are found from its claims as they are."""
    outcome(evidence_kb)
    topics = {topic.slug: topic for topic in read_kb(evidence_kb).kb.topics}
    plain, with_evidence = topics[KETAMINE.split("/")[1]], topics[EVIDENCE_TOPIC]
    assert {"claims_key", "claim_keys"} <= vars(plain).keys()
    assert not {"claims_key", "claim_keys"} & vars(with_evidence).keys()
    assert any(claim.evidence for claim in with_evidence.claims)
    for topic in (plain, with_evidence):
        keys = tuple(content_key(repr(claim)) for claim in topic.claims)
        assert topic.claim_keys == keys
        assert topic.claims_key == content_key(*keys)


def test_a_remembered_topic_is_taken_again_and_an_edited_one_checked_anew(
    evidence_kb: Path, cache_home: Path
) -> None:
    """`ekb serve` reads kb/ after every save: a topic whose files did not change is the
    very one read before, not unpickled again (even with the cache folder emptied); an
    edited topic is checked anew, its problems found as without it; a topic folder
    removed is forgotten. (Ketamine has no evidence.toml evidence: the sample, which
    has, is made anew after every reading, remembered or not.)"""
    remembered = RememberedTopics()
    first = outcome(evidence_kb, remembered)
    assert isinstance(first, KnowledgeBase) and len(remembered) == 2
    for entry in kept_entries(cache_home):
        entry.unlink()
    again = outcome(evidence_kb, remembered)
    assert isinstance(again, KnowledgeBase)
    assert again.topics[0] is first.topics[0]
    with (evidence_kb / KETAMINE / "claims.toml").open("a", encoding="utf-8") as claims:
        claims.write("\n# An editor's note: the topic is the same, its file is not.\n")
    edited = outcome(evidence_kb, remembered)
    assert isinstance(edited, KnowledgeBase) and edited == outcome(evidence_kb)
    assert edited.topics[0] is not first.topics[0] and edited.topics[0] == first.topics[0]
    replace_in(evidence_kb, f"{KETAMINE}/claims.toml", 'strength = "not-stated"', 'strength = "x"')
    problems = outcome(evidence_kb, remembered)
    assert isinstance(problems, list) and len(problems) == 1
    assert "unknown strength 'x'" in problems[0]
    shutil.rmtree(evidence_kb / SAMPLE)
    outcome(evidence_kb, remembered)
    assert len(remembered) == 1  # ketamine's folder alone: the sample's is gone


def test_an_edited_topic_is_checked_again(evidence_kb: Path, cache_home: Path) -> None:
    outcome(evidence_kb)
    replace_in(evidence_kb, f"{KETAMINE}/claims.toml", 'strength = "not-stated"', 'strength = "x"')
    problems = outcome(evidence_kb)
    assert isinstance(problems, list) and len(problems) == 1
    assert "unknown strength 'x'" in problems[0]


def test_a_vocabulary_change_checks_every_topic_again(evidence_kb: Path, cache_home: Path) -> None:
    outcome(evidence_kb)
    replace_in(evidence_kb, "vocabulary/categories.toml", 'id = "efficacy"', 'id = "efficiency"')
    problems = outcome(evidence_kb)
    assert isinstance(problems, list)
    assert any("unknown category 'efficacy'" in problem for problem in problems)


@pytest.mark.parametrize("copy", ["aaa-copy", "zzz-copy"])
def test_a_duplicate_id_is_found_whichever_topic_is_kept(
    evidence_kb: Path, cache_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, copy: str
) -> None:
    """A copy of a kept topic before it (the kept one is checked anew) or after it (the
    kept one's lines are what the duplicates point at)."""
    outcome(evidence_kb)
    shutil.copytree(evidence_kb / KETAMINE, evidence_kb / "topics" / copy)
    expected = uncached(evidence_kb, monkeypatch, tmp_path / "blocker")
    assert isinstance(expected, list) and "duplicate claim id" in expected[0]
    assert outcome(evidence_kb) == expected
    assert outcome(evidence_kb) == expected  # both topics kept now, when they can be


def test_a_spoilt_or_tampered_entry_is_checked_again(
    evidence_kb: Path, cache_home: Path, tmp_path: Path
) -> None:
    cold = outcome(evidence_kb)
    marker = tmp_path / "code-ran"
    spoilers: list[Callable[[Path], None]] = [
        lambda entry: entry.write_bytes(entry.read_bytes()[:100]),
        lambda entry: write_atomically(entry, pickle.dumps(("x", "y", "z", "w"))),
        lambda entry: write_atomically(entry, _tampered(entry, marker)),
    ]
    for spoil in spoilers:
        for entry in kept_entries(cache_home):
            spoil(entry)
        assert outcome(evidence_kb) == cold
        assert not marker.exists()


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (Path.touch, (str(self.marker),))  # type: ignore[return-value]


def _tampered(entry: Path, marker: Path) -> bytes:
    form, place, key, _ = pickle.loads(read_entry(entry) or b"")
    return pickle.dumps((form, place, key, _Payload(marker)))


# Edits between checks: each leaves kb/ valid or gives it problems that involve a kept
# topic (its ids defined twice, its vocabulary changed, a folder where its file was).
EDITS: dict[str, Callable[[Path], None]] = {
    "copy ketamine before it": lambda kb: _copy(kb, KETAMINE, "aaa-ketamine"),
    "copy ketamine after it": lambda kb: _copy(kb, KETAMINE, "zzz-ketamine"),
    "copy the sample after it": lambda kb: _copy(kb, SAMPLE, "zzz-sample"),
    "remove the copies": lambda kb: [
        shutil.rmtree(path) for path in (kb / "topics").glob("[az][az][az]-*")
    ],
    "take a ketamine id into the sample": lambda kb: _swap(
        kb, f"{SAMPLE}/claims.toml", 'id = "scifact-10"', 'id = "ketamine-pain-6927e12e"'
    ),
    "break a strength": lambda kb: _swap(
        kb, f"{KETAMINE}/claims.toml", 'strength = "not-stated"', 'strength = "strong"'
    ),
    "rename a category": lambda kb: _swap(
        kb, "vocabulary/categories.toml", 'id = "efficacy"', 'id = "efficiency"'
    ),
    "a folder for notices": lambda kb: (kb / SAMPLE / "notices.toml").mkdir(exist_ok=True),
    "no folder for notices": lambda kb: shutil.rmtree(kb / SAMPLE / "notices.toml", True),
    "remove the sample's references": lambda kb: (kb / SAMPLE / "references.toml").unlink(True),
    "link the sample's claims out of kb/": lambda kb: _link_out(kb / SAMPLE / "claims.toml"),
    "remove the sample's claims": lambda kb: (kb / SAMPLE / "claims.toml").unlink(True),
}


def _link_out(path: Path) -> None:
    """The file moved out of kb/ and a link to it left in its place, which kb/'s scan
    refuses (kb/files.py)."""
    if path.is_file() and not path.is_symlink():
        outside = path.parent.parent.parent.parent / "claims-outside.toml"
        path.rename(outside)
        path.symlink_to(outside)


def _copy(kb_dir: Path, topic: str, slug: str) -> None:
    if not (kb_dir / "topics" / slug).exists():
        shutil.copytree(kb_dir / topic, kb_dir / "topics" / slug)


def _swap(kb_dir: Path, relative: str, one: str, other: str) -> None:
    """Write `other` for `one` in the file, or back again: each edit can be undone."""
    path = kb_dir / relative
    if not path.is_file():  # removed by an earlier edit
        return
    text = path.read_text("utf-8")
    path.write_text(text.replace(one, other, 1) if one in text else text.replace(other, one, 1))


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(edits=st.lists(st.sampled_from(sorted(EDITS)), min_size=1, max_size=4))
def test_a_check_finds_what_it_finds_without_the_cache(
    edits: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        kb_dir = root / "kb"
        shutil.copytree(REPO_KB, kb_dir)
        add_evidence_sample(kb_dir)
        monkeypatch.setenv("XDG_CACHE_HOME", str(root / "cache"))
        remembered = RememberedTopics()  # as `ekb serve` reads kb/ after each save
        outcome(kb_dir, remembered)  # every topic kept, and remembered
        for name in edits:
            EDITS[name](kb_dir)
            expected = uncached(kb_dir, monkeypatch, root / "blocker")
            assert outcome(kb_dir) == expected, name
            assert outcome(kb_dir, remembered) == expected, name
