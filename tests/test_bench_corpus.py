"""bench/corpus.py: the benchmark kb generator, run on a tiny BEIR collection."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from evidencekb.kb.load import load_kb
from fixtures import REPO

CORPUS_SCRIPT = REPO / "bench" / "corpus.py"


def _load_corpus_module():
    spec = importlib.util.spec_from_file_location("bench_corpus", CORPUS_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


corpus = _load_corpus_module()

SCIFACT = [
    {
        "_id": "11",
        "title": "Ketamine for neuropathic pain.",
        "text": "Ketamine may reduce pain, e.g. in CRPS. It was given intravenous. "
        "Ketamine may reduce pain, e.g. in CRPS.",
        "metadata": {},
    },
    {
        "_id": "12",
        "title": "A second abstract.",
        "text": "The mean age was 45. E. coli grew at 37 C. in vitro (p < 0.05). Done! "
        "A stray \u0096 control character.",
        "metadata": {},
    },
    {"_id": "13", "title": "Only a number.", "text": "Enrolled 120.", "metadata": {}},
]
NFCORPUS = [
    {
        "_id": "MED-1",
        "title": "Statins and survival",
        "text": "Statin use was associated with lower mortality.",
        "metadata": {"url": "http://www.ncbi.nlm.nih.gov/pubmed/25329299"},
    },
    {
        "_id": "MED-2",
        "title": "Statins and survival",
        "text": "A second study with the same title found no effect.",
        "metadata": {"url": "http://www.ncbi.nlm.nih.gov/pubmed/25304447"},
    },
]


def write_collections(data: Path) -> Path:
    for name, rows in (("scifact", SCIFACT), ("nfcorpus", NFCORPUS)):
        (data / name).mkdir(parents=True)
        lines = "".join(json.dumps(row) + "\n" for row in rows)
        (data / name / "corpus.jsonl").write_text(lines, encoding="utf-8")
    return data


def generate(data: Path, out: Path) -> None:
    assert corpus.main([str(out), "--data", str(data), "--per-topic", "2"]) == 0


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_generated_kb_loads_and_is_deterministic(tmp_path: Path) -> None:
    data = write_collections(tmp_path / "data")
    generate(data, tmp_path / "one")
    generate(data, tmp_path / "two")
    assert files_of(tmp_path / "one") == files_of(tmp_path / "two")

    kb = load_kb(tmp_path / "one")
    # scifact-002's one abstract gives no claim, so there is no such topic.
    assert [t.slug for t in kb.topics] == ["nfcorpus-001", "scifact-001"]
    first = kb.topic("scifact-001")
    # "The mean age was 45." ends like a citation marker and the last sentence of the
    # second abstract holds a control character: both are left out. The abstract that
    # has no other sentence gets no reference.
    assert [c.text for c in first.claims] == [
        "Ketamine may reduce pain, e.g. in CRPS.",
        "It was given intravenous.",
        "Ketamine may reduce pain, e.g. in CRPS.",
        "E. coli grew at 37 C. in vitro (p < 0.05).",
        "Done!",
    ]
    assert [c.citations for c in first.claims] == [(1,), (1,), (1,), (2,), (2,)]
    assert first.claims[0].heading == "Ketamine for neuropathic pain."
    assert first.claims[0].strength == "low"  # hedged with "may"
    assert first.claims[3].strength == "not-stated"
    assert first.claims[1].entities == ("intravenous",)
    assert first.claims[0].source == "scifact/corpus.jsonl"
    assert [c.source_line for c in first.claims] == [1, 1, 1, 2, 2]
    ids = [c.id for c in kb.claims]
    assert len(set(ids)) == len(ids)
    assert all(c.id.startswith(f"{c.topic}-") for c in kb.claims)
    assert [r.title for r in first.references] == [
        "Ketamine for neuropathic pain.",
        "A second abstract.",
    ]

    nf = kb.topic("nfcorpus-001")
    assert [c.heading for c in nf.claims] == [
        "Statins and survival",
        "Statins and survival (corpus id MED-2)",
    ]
    assert nf.references[0].pmid == "25329299"
    assert nf.references[0].url == "http://www.ncbi.nlm.nih.gov/pubmed/25329299"


def test_shared_files_are_copied_unchanged(tmp_path: Path) -> None:
    generate(write_collections(tmp_path / "data"), tmp_path / "out")
    seed = corpus.SEED_KB_DIR
    for relative in ("strength.toml", "strength.md", "vocabulary/entities.toml"):
        assert (tmp_path / "out" / relative).read_bytes() == (seed / relative).read_bytes()


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("One. Two.", ["One.", "Two."]),
        ("Compared vs. Placebo it won. Next.", ["Compared vs. Placebo it won.", "Next."]),
        ("Smith et al. Found it. Yes.", ["Smith et al. Found it.", "Yes."]),
        ("Grew in E. coli cells. Then (B) did.", ["Grew in E. coli cells.", "Then (B) did."]),
        ("Is it? 3 of 4 were.", ["Is it?", "3 of 4 were."]),
        ("p = 0.05 was the cut-off.", ["p = 0.05 was the cut-off."]),
        ("  Spaced\n out.  ", ["Spaced out."]),
    ],
)
def test_split_sentences(text: str, sentences: list[str]) -> None:
    assert corpus.split_sentences(text) == sentences


def test_refuses_to_replace_a_folder_it_did_not_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_collections(tmp_path / "data")
    precious = tmp_path / "kb"
    (precious / "topics" / "ketamine-pain").mkdir(parents=True)
    assert corpus.main([str(precious), "--data", str(data)]) == 1
    assert capsys.readouterr().err == (
        f"Error: {precious}: not a generated benchmark kb (it holds 'ketamine-pain'); "
        "give a new folder or one this script wrote\n"
    )
    assert (precious / "topics" / "ketamine-pain").is_dir()


def test_bad_corpus_line_is_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_collections(tmp_path / "data")
    (data / "nfcorpus" / "corpus.jsonl").write_text('{"_id": "x"}\n', encoding="utf-8")
    assert corpus.main([str(tmp_path / "out"), "--data", str(data)]) == 1
    assert capsys.readouterr().err == (
        f"Error: {data / 'nfcorpus' / 'corpus.jsonl'}:1: not a BEIR corpus line "
        '(a JSON object with "_id", "title", "text" and optional "metadata")\n'
    )
    assert not (tmp_path / "out").exists()
