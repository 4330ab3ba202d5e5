"""Fixtures shared by the whole suite: paths from this file, never the working folder."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixtures import REPO_KB, SEED_COPY, add_evidence_sample, reword


@pytest.fixture(autouse=True, scope="session")
def private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The suite's own cache folder ($XDG_CACHE_HOME, which `ekb` and the child
    processes the tests start honour): kb/ files parsed by the tests are kept
    there (kb/parsecache.py), not in the user's cache."""
    folder = tmp_path_factory.mktemp("xdg-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(folder))
        # Terminal output wraps to $COLUMNS, else to 80 columns off a terminal: tests
        # expect 80 whatever terminal runs them (a test sets COLUMNS to check wrapping).
        patch.delenv("COLUMNS", raising=False)
        yield folder


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    """A private copy of the repository's kb/, safe to edit."""
    target = tmp_path / "kb"
    shutil.copytree(REPO_KB, target)
    return target


@pytest.fixture
def evidence_kb(kb_dir: Path) -> Path:
    """A kb copy with the evidence sample topic added (tests/data/evidence-sample)."""
    add_evidence_sample(kb_dir)
    return kb_dir


@pytest.fixture
def empty_kb(tmp_path: Path) -> Path:
    """The repository's scheme and vocabularies with no topics yet."""
    target = tmp_path / "kb"
    shutil.copytree(REPO_KB, target, ignore=shutil.ignore_patterns("topics"))
    (target / "topics").mkdir()
    return target


@pytest.fixture
def seed_text() -> str:
    """The seed summary, from the knowledge base's verbatim copy of it, so that the
    suite runs wherever the repository is cloned (test_seed_copy proves the copy)."""
    return SEED_COPY.read_text(encoding="utf-8")


@pytest.fixture
def repo_kb() -> Path:
    """The repository's own kb/, read-only."""
    return REPO_KB


@pytest.fixture(name="reword")
def reword_fixture() -> object:
    """`reword(kb_dir, old, new)`: edit a claim's wording in a kb copy."""
    return reword
