"""SciFact's 809 train claims as a knowledge base, as a user makes it from a fresh
clone: bench/scifact.py, then `ekb import --format claims-jsonl`, `ekb check`, and
what `ekb export --format json` and `--format csl-json` give back; then `ekb build`.

Reads ../shared/data/scifact-claims/ (never copied into the repository): skipped
outside CI when it is absent, failing under CI=true.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fhir.resources.bundle import Bundle

from evidencekb.build import build
from evidencekb.kb.load import load_kb
from evidencekb.paths import EXPORT_NAME
from fixtures import REPO, REPO_KB

DATA = REPO.parent / "shared" / "data" / "scifact-claims"
SCRIPT = REPO / "bench" / "scifact.py"


def ekb(*args: str) -> str:
    """Run `ekb` as a user would; its standard output, after a clean exit."""
    result = subprocess.run(
        [sys.executable, "-m", "evidencekb", *args], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


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
    ekb("import", str(out), "--format", "claims-jsonl", "--topic", "scifact",
        "--title", "SciFact claims (train)", "--kb", str(kb_dir))  # fmt: skip
    assert ekb("check", "--kb", str(kb_dir)) == f"{kb_dir}: OK (2 topics, 829 claims)\n"
    return kb_dir


@pytest.fixture(scope="module")
def exported(scifact_kb: Path) -> list[dict[str, Any]]:
    """The topic's claims as `ekb export --format json` gives them."""
    text = ekb("export", "--format", "json", "--topic", "scifact", "--kb", str(scifact_kb))
    claims: list[dict[str, Any]] = json.loads(text)
    return claims


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html5lib")


def read_jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_json_export_has_exactly_scifacts_stances_and_quotations(
    data: Path, exported: list[dict[str, Any]]
) -> None:
    claims = exported
    source = read_jsonl(data / "claims_train.jsonl")
    corpus = {doc["doc_id"]: doc for doc in read_jsonl(data / "corpus.jsonl")}
    assert [c["text"] for c in claims] == [s["claim"] for s in source]  # verbatim, in order
    assert [c["citations"] for c in claims] == [s["cited_doc_ids"] for s in source]
    assert [[e["citation"] for e in c["evidence"]] for c in claims] == [
        c["citations"] for c in claims
    ]  # one object per citation, in order
    links = [(c, e) for c in claims for e in c["evidence"]]
    assert len(links) == 919
    assert all(list(e) == ["citation", "stance", "quotes"] for _, e in links)
    assert Counter(e["stance"] for _, e in links) == {
        "supports": 370,
        "contradicts": 194,
        "no-evidence": 355,
    }
    assert [(c["id"], e["stance"]) for c, e in links] == [
        (f"scifact-{s['id']}", expected_stance(s, doc))
        for s in source
        for doc in s["cited_doc_ids"]
    ]
    quoted = set()
    for claim, item in links:
        sentences = corpus[item["citation"]]["sentences"]
        for quote in item["quotes"]:
            assert list(quote) == ["text", "sentence"]
            assert quote["text"] == sentences[quote["sentence"]].strip()  # word for word
            quoted.add((claim["id"], item["citation"], quote["sentence"]))
    assert quoted == {
        (f"scifact-{s['id']}", int(doc), sentence)
        for s in source
        for doc, rationales in s["evidence"].items()
        for r in rationales
        for sentence in r["sentences"]
    }
    assert len(quoted) == 1025
    assert sum(1 for _, e in links if e["quotes"]) == 564
    assert {c["contested"] for c in claims} == {False}  # no SciFact claim mixes labels


def expected_stance(claim: dict[str, Any], doc: int) -> str:
    """SciFact's label for one cited abstract, in the vocabulary of kb/stance.toml: a
    cited abstract without a rationale is "no evidence either way"."""
    labels = {r["label"] for r in claim["evidence"].get(str(doc), [])}
    if not labels:
        return "no-evidence"
    (label,) = labels
    return {"SUPPORT": "supports", "CONTRADICT": "contradicts"}[label]


def test_the_references_read_back_with_their_titles_and_nothing_else(
    data: Path, scifact_kb: Path
) -> None:
    items = json.loads(
        ekb("export", "--format", "csl-json", "--topic", "scifact", "--kb", str(scifact_kb))
    )
    corpus = {doc["doc_id"]: doc for doc in read_jsonl(data / "corpus.jsonl")}
    cited = list(
        dict.fromkeys(
            d for s in read_jsonl(data / "claims_train.jsonl") for d in s["cited_doc_ids"]
        )
    )
    assert len(items) == len(cited) == 565
    assert sorted(item["citation-number"] for item in items) == sorted(cited)
    for item in items:
        number = item["citation-number"]
        # SciFact gives a title and nothing more: no author, year or journal is added.
        assert item == {
            "id": f"scifact-{number}",
            "citation-number": number,
            "type": "article",
            "title": corpus[number]["title"],
        }
    topic = load_kb(scifact_kb).topic("scifact")
    for reference in topic.references:
        assert list(reference.sentences) == [
            s.strip() for s in corpus[reference.number]["sentences"]
        ]


def test_the_fhir_bundle_gives_the_same_stances(
    scifact_kb: Path, exported: list[dict[str, Any]]
) -> None:
    """Each Evidence's relatedArtifact: the cited works in order, each with its stance."""
    bundle = Bundle.model_validate_json(
        ekb("export", "--format", "fhir", "--topic", "scifact", "--kb", str(scifact_kb))
    )
    evidence = [e.resource for e in bundle.entry if e.resource.get_resource_type() == "Evidence"]
    assert [
        [(a.resourceReference.reference, a.classifier[0].coding[0].code) for a in r.relatedArtifact]
        for r in evidence
    ] == [
        [(f"Citation/scifact-{e['citation']}", e["stance"]) for e in c["evidence"]]
        for c in exported
    ]
    # Each quotation verbatim, as the JSON export gives it (1,025 sentences quoted).
    labels = {"supports": "Supports", "contradicts": "Contradicts"}
    assert [[n.text for n in r.note[2:]] for r in evidence] == [
        [
            f"Reference {e['citation']} ({labels[e['stance']]}), sentence {q['sentence']} "
            f'(numbered from 0): "{q["text"]}"'
            for e in c["evidence"]
            for q in e["quotes"]
        ]
        for c in exported
    ]


def test_ekb_build_publishes_it(scifact_kb: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = build(scifact_kb, site)
    assert (result.topics, result.claims) == (2, 829)
    page = soup(site / "topics" / "scifact" / "references" / "13734012.html")
    assert "Prevalent abnormal prion protein in human appendixes" in page.get_text()
    contradicts = page.select_one("#contradicts-heading").find_next_sibling("ul")
    assert [a["href"] for a in contradicts.select("a.claim-link")] == [
        "../../../claims/scifact-2.html"
    ]
    # The claim it contradicts says so first, where it is listed and on its own page.
    assert contradicts.select_one(".finding").get_text(" ", strip=True) == (
        "⚠ Cited work contradicts"
    )
    # Claim 47 cites 3512154 (no evidence either way) and 26996935 (supports): the
    # page of 3512154 says what it says of the claim, beside the claim's own summary.
    read = soup(site / "topics" / "scifact" / "references" / "3512154.html")
    heading = read.select_one("#no-evidence-heading")
    assert (
        heading.get_text(" ", strip=True) == "Stance of this work: No evidence either way 1 claim"
    )
    assert [a["href"] for a in heading.find_next_sibling("ul").select("a.claim-link")] == [
        "../../../claims/scifact-47.html"
    ]
    topic = soup(site / "topics" / "scifact" / "index.html")
    assert [" ".join(li.get_text(" ").split()) for li in topic.select(".stance-counts li")] == [
        "Supports 370 links",
        "Contradicts 194 links",
        "No evidence either way 355 links",
    ]
    claim = (site / "claims" / "scifact-2.html").read_text(encoding="utf-8")
    assert "RESULTS Of the 32,441 appendix samples 16 were positive" in claim
    panel = soup(site / "claims" / "scifact-2.html").select_one(".verdict-panel")
    assert "verdict-contradicted" in panel["class"]
    exported = json.loads(gzip.decompress((site / EXPORT_NAME).read_bytes()))
    assert sum(len(c["evidence"]) for c in exported if c["topic"] == "scifact") == 919


def test_a_claim_its_cited_work_contradicts_says_so_in_the_terminal(scifact_kb: Path) -> None:
    found = ekb("search", "statins hip fracture", "--limit", "1", "--kb", str(scifact_kb),
                "--site-dir", str(scifact_kb.parent / "site"))  # fmt: skip
    assert found.splitlines()[:4] == [
        "1. scifact-1288  research",
        " \u26a0 Evidence: Cited work contradicts · Strength: not stated by the source",
        "   There is a positive correlation between hip fractures and statin use.",
        "   Citations: 4687948",
    ]
    shown = ekb("show", "scifact-1288", "--kb", str(scifact_kb)).splitlines()
    assert shown[3] == "Evidence:    \u26a0 Cited work contradicts"
    assert "    Stance of the cited work: Contradicts" in shown


def test_a_supported_claim_shows_supports_with_its_quotation(scifact_kb: Path) -> None:
    shown = ekb("show", "scifact-992", "--kb", str(scifact_kb)).splitlines()
    assert shown[3] == "Evidence:    Cited work supports"
    assert shown[-5:] == [
        "    Stance of the cited work: Supports",
        '    Sentence 6: "Remarkably, PDS reduces proliferation of HR-defective cells by',
        "      inducing DSB accumulation, checkpoint activation, and deregulated G2/M",
        "      progression and by enhancing the replication defect intrinsic to HR",
        '      deficiency."',
    ]


def run_script(claims: Path, corpus: Path, out: Path) -> subprocess.CompletedProcess[str]:
    """bench/scifact.py on `claims` and `corpus`, writing `out`."""
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--claims", str(claims), "--corpus", str(corpus), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    claims = tmp_path / "claims.jsonl"
    claims.write_text('{"id": 1, "claim": "A.", "cited_doc_ids": [5]}\n', encoding="utf-8")
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("", encoding="utf-8")
    result = run_script(claims, corpus, tmp_path / "out.jsonl")
    assert (result.returncode, result.stderr) == (
        1,
        f"Error: {claims}:1: cites doc 5, not in {corpus}\n",
    )
    assert sorted(tmp_path.iterdir()) == [claims, corpus]  # no output, no temporary file


@pytest.mark.parametrize(
    ("evidence", "message"),
    [
        ({"2": [{"label": "SUPPORT", "sentences": [3]}]},
         "rationale sentence 3 is outside doc 2, which has sentences 0 to 2"),
        ({"2": [{"label": "CONTRADICT", "sentences": [-1]}]},
         "rationale sentence -1 is outside doc 2, which has sentences 0 to 2"),
        ({"2": [{"label": "SUPPORT", "sentences": [True]}]},  # was quoted as sentence 1
         "doc 2's rationale sentences must be lists of whole numbers"),
        ({"2": [{"label": "SUPPORT", "sentences": 1}]},  # was a TypeError
         "doc 2's rationale sentences must be lists of whole numbers"),
        ({"2": [{"label": "SUPPORT", "sentences": [[1]]}]},  # was a TypeError
         "doc 2's rationale sentences must be lists of whole numbers"),
        ({"2": [{"label": "SUPPORT"}]},  # was "supports" quoting nothing
         "doc 2's rationale sentences must be lists of whole numbers"),
        ({"2": [{"label": "SUPPORT", "sentences": [1]}, "x"]},  # was an AttributeError
         'doc 2\'s rationales must each be {"label": ..., "sentences": [...]}'),
        ({"2": {}},  # was "no-evidence", a label the source did not give
         "doc 2's evidence must be a list of rationales"),
    ],
)  # fmt: skip
def test_a_bad_rationale_is_one_line_naming_its_file_and_line(
    tmp_path: Path, evidence: dict[str, Any], message: str
) -> None:
    claims = tmp_path / "claims.jsonl"
    lines = [
        {"id": 1, "claim": "A.", "cited_doc_ids": [2], "evidence": {}},
        {"id": 7, "claim": "B.", "cited_doc_ids": [2], "evidence": evidence},
    ]
    claims.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    corpus = tmp_path / "corpus.jsonl"
    doc = {"doc_id": 2, "title": "T", "sentences": ["A.", "B.", "C."]}
    corpus.write_text(json.dumps(doc) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = run_script(claims, corpus, out)
    assert (result.returncode, result.stderr) == (1, f"Error: {claims}:2: {message}\n")
    assert not out.exists()


@pytest.mark.parametrize("line", [{"id": True}, {"cited_doc_ids": [True]}])
def test_true_is_no_claim_id_nor_doc_id(tmp_path: Path, line: dict[str, Any]) -> None:
    claims = tmp_path / "claims.jsonl"
    claims.write_text(
        json.dumps({"id": 1, "claim": "A.", "cited_doc_ids": [1], **line}) + "\n",
        encoding="utf-8",
    )
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text('{"doc_id": 1, "title": "T", "sentences": ["A."]}\n', encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--claims", str(claims), "--corpus", str(corpus),
         str(tmp_path / "out.jsonl")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: {claims}:1: ")


def real_lines(path: Path, wanted: set[int], key: str) -> list[dict[str, Any]]:
    """The lines of a SciFact file whose `key` is in `wanted`, as they stand."""
    with path.open(encoding="utf-8") as lines:
        return [line for line in map(json.loads, lines) if line[key] in wanted]


def write_lines(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def test_ids_written_as_strings_are_the_same_ids(data: Path, tmp_path: Path) -> None:
    """BEIR and CSV exports write SciFact's ids as strings: claim "47", citing docs
    "3512154" (no evidence) and "26996935" (supports), converts as claim 47 does."""
    claims = real_lines(data / "claims_train.jsonl", {12, 47}, "id")
    docs = {doc for claim in claims for doc in claim["cited_doc_ids"]}
    corpus = real_lines(data / "corpus.jsonl", docs, "doc_id")
    as_strings = [
        {**claim, "id": str(claim["id"]), "cited_doc_ids": [str(d) for d in claim["cited_doc_ids"]]}
        for claim in claims
    ]
    corpus_strings = [{**doc, "doc_id": str(doc["doc_id"])} for doc in corpus]
    outputs = []
    for name, claim_lines, doc_lines in [
        ("numbers", claims, corpus),
        ("strings", as_strings, corpus_strings),
    ]:
        out = tmp_path / f"{name}.jsonl"
        result = run_script(
            write_lines(tmp_path / f"claims-{name}.jsonl", claim_lines),
            write_lines(tmp_path / f"corpus-{name}.jsonl", doc_lines),
            out,
        )
        assert result.returncode == 0, result.stderr
        outputs.append(out.read_text(encoding="utf-8"))
    assert outputs[0] == outputs[1]
    first = json.loads(outputs[1].splitlines()[1])
    assert (first["id"], first["citations"]) == ("scifact-47", [3512154, 26996935])
    assert [item["stance"] for item in first["evidence"]] == ["no-evidence", "supports"]
