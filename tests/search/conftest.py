"""Shared by the search tests: a loaded kb of two topics of real claims."""

from __future__ import annotations

import shutil

import pytest

from evidencekb.kb.load import load_kb
from evidencekb.model import KnowledgeBase
from fixtures import REPO_KB, add_evidence_sample


@pytest.fixture(scope="module")
def evidence_kb_loaded(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    """The repository's kb with the evidence sample topic: two topics of real claims."""
    kb_dir = tmp_path_factory.mktemp("kb") / "kb"
    shutil.copytree(REPO_KB, kb_dir)
    add_evidence_sample(kb_dir)
    return load_kb(kb_dir)
