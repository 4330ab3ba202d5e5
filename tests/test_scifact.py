"""SciFact's 809 train claims as a knowledge base: bench/scifact.py, then
`ekb import --format claims-jsonl`, `ekb check`, the JSON export and `ekb build`.

Reads ../shared/data/scifact-claims/ (never copied into the repository): skipped
outside CI when it is absent, failing under CI=true.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from evidencekb.build import build
from evidencekb.kb.claims_jsonl import import_claims_jsonl
from evidencekb.kb.export import export
from evidencekb.kb.load import load_kb
from evidencekb.paths import EXPORT_NAME
from fixtures import REPO, REPO_KB

DATA = REPO.parent / "shared" / "data" / "scifact-claims"
SCRIPT = REPO / "bench" / "scifact.py"


@pytest.fixture(scope="module")
def data() -> Path:
    if not (DATA / "claims_train.jsonl").is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{DATA} is missing; CI must have the shared SciFact data")
        pytest.skip(f"{DATA} is absent (the shared test data)")
    return DATA


@pytest.fixture(scope="module")
def scifact_kb(data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("scifact")
    out = work / "scifact.jsonl"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--claims", str(data / "claims_train.jsonl"),
         "--corpus", str(data / "corpus.jsonl"), str(out)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == f"Wrote {out}: 809 claims, 919 claim-work links, 565 works.\n"
    kb_dir = work / "kb"
    shutil.copytree(REPO_KB, kb_dir)
    import_claims_jsonl(kb_dir, out, "scifact", "SciFact claims (train)")
    return kb_dir


def read_jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_export_has_exactly_scifacts_stances_and_quotations(
    data: Path, scifact_kb: Path
) -> None:
    kb = load_kb(scifact_kb)  # `ekb check` accepts it
    claims = json.loads(export(kb, "json", "scifact"))
    source = read_jsonl(data / "claims_train.jsonl")
    corpus = {doc["doc_id"]: doc for doc in read_jsonl(data / "corpus.jsonl")}
    assert [c["text"] for c in claims] == [s["claim"] for s in source]  # verbatim, in order
    assert [c["citations"] for c in claims] == [s["cited_doc_ids"] for s in source]
    links = [(c, e) for c in claims for e in c["evidence"]]
    assert len(links) == 919
    assert Counter(e["stance"] for _, e in links) == {
        "supports": 370,
        "contradicts": 194,
        "no-evidence": 355,
    }
    quoted = set()
    for claim, item in links:
        sentences = corpus[item["citation"]]["sentences"]
        for quote in item["quotes"]:
            assert quote["text"] == sentences[quote["sentence"]].strip()  # word for word
            quoted.add((claim["id"], item["citation"], quote["sentence"]))
    assert len(quoted) == 1025
    assert sum(1 for _, e in links if e["quotes"]) == 564
    assert not any(c["contested"] for c in claims)  # no SciFact claim mixes labels
    topic = kb.topic("scifact")
    assert len(topic.references) == 565
    for reference in topic.references:
        doc = corpus[reference.number]
        assert reference.title == doc["title"]
        assert list(reference.sentences) == [s.strip() for s in doc["sentences"]]
        assert (reference.authors, reference.year, reference.journal) == ((), None, None)


def test_ekb_build_publishes_it(scifact_kb: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = build(scifact_kb, site)
    assert (result.topics, result.claims) == (2, 829)
    page = (site / "topics" / "scifact" / "references" / "13734012.html").read_text("utf-8")
    assert "Prevalent abnormal prion protein in human appendixes" in page
    claim = (site / "claims" / "scifact-2.html").read_text(encoding="utf-8")
    assert "RESULTS Of the 32,441 appendix samples 16 were positive" in claim
    exported = json.loads((site / EXPORT_NAME).read_text(encoding="utf-8"))
    assert sum(len(c["evidence"]) for c in exported if c["topic"] == "scifact") == 919


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    claims = tmp_path / "claims.jsonl"
    claims.write_text('{"id": 1, "claim": "A.", "cited_doc_ids": [5]}\n', encoding="utf-8")
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--claims", str(claims), "--corpus", str(corpus), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stderr) == (
        1,
        f"Error: {claims}:1: cites doc 5, not in {corpus}\n",
    )
    assert sorted(tmp_path.iterdir()) == [claims, corpus]  # no output, no temporary file
