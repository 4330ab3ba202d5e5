"""`ekb import --format claims-jsonl`: claims with their works, stances and quotations."""

from __future__ import annotations

import datetime
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from evidencekb import registry
from evidencekb.errors import KBError, ValidationError
from evidencekb.kb.claims_jsonl import CLAIM_FIELDS, CLAIM_LINE_KEYS, import_claims_jsonl
from evidencekb.kb.exporter import export
from evidencekb.kb.importer import FROM_SOURCE, READ_OF_A_CLAIM, WORKED_OUT, claim_table
from evidencekb.kb.load import load_kb
from evidencekb.kb.replacing import Replaced
from evidencekb.kb.summary import Statement
from evidencekb.model import Evidence, Quote
from fixtures import REPO

# Three SciFact claims and the two abstracts they cite, as bench/scifact.py writes them.
SAMPLE = REPO / "tests" / "data" / "evidence-sample.jsonl"


def sample_lines() -> list[dict[str, object]]:
    return [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]


def write(path: Path, lines: list[dict[str, object]] | list[str]) -> Path:
    path.write_text(
        "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines),
        encoding="utf-8",
    )
    return path


def failed_import(kb_dir: Path, source: Path) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        import_claims_jsonl(kb_dir, source, "sample")
    assert not (kb_dir / "topics" / "sample").exists()
    assert [p.name for p in (kb_dir / "topics").iterdir()] == ["ketamine-pain"]  # no debris
    return [str(p).removeprefix(f"{source.parent}/") for p in caught.value.problems]


def test_import_keeps_claims_works_stances_and_quotations(kb_dir: Path) -> None:
    result = import_claims_jsonl(kb_dir, SAMPLE, "sample", "SciFact sample")
    assert (result.statements, result.cited_sources, result.replaced) == (3, 2, False)
    kb = load_kb(kb_dir)
    topic = kb.topic("sample")
    assert (topic.title, topic.source) == ("SciFact sample", "evidence-sample.jsonl")
    lines = sample_lines()
    assert [c.text for c in topic.claims] == [line["text"] for line in lines[:3]]
    assert [(c.id, c.source_line) for c in topic.claims] == [
        ("scifact-2", 1),
        ("scifact-10", 2),
        ("scifact-11", 3),
    ]
    prion = topic.claims[0]
    # Its basis names the file it came from, not a part of a summary it never had.
    assert prion.strength_basis == (
        "Derived: the source does not grade this evidence. A claim from "
        "evidence-sample.jsonl; it cites source 13734012."
    )
    sentence = prion.citation_evidence[0].quotes[0].text
    assert prion.citation_evidence == (Evidence(13734012, "contradicts", (Quote(4, sentence),)),)
    assert sentence.startswith("RESULTS Of the 32,441 appendix samples 16 were positive")
    assert topic.claims[1].citation_evidence == (Evidence(32587939, "no-evidence"),)
    work = topic.references[0]
    assert (work.number, work.title, work.authors, work.year) == (
        13734012,
        lines[3]["title"],
        (),
        None,
    )
    assert list(work.sentences) == lines[3]["sentences"]
    assert all(c.entities == () and c.categories == () for c in topic.claims)
    claims = json.loads(export(kb, "json", "sample"))
    assert claims[0]["evidence"][0]["quotes"] == [{"text": sentence, "sentence": 4}]


def test_the_overview_says_what_the_source_recorded(kb_dir: Path, tmp_path: Path) -> None:
    """Which stays true once an editor records the stance the source left out."""
    lines = sample_lines()
    del lines[2]["evidence"]
    import_claims_jsonl(kb_dir, write(tmp_path / "in.jsonl", lines), "sample")
    overview = (kb_dir / "topics" / "sample" / "overview.md").read_text(encoding="utf-8")
    assert overview.endswith(
        "Stances recorded by the source: 1 contradicts, 1 no evidence either way. The "
        "source records no stance for any other citation.\n"
    )


def test_relations_and_generated_ids(kb_dir: Path, tmp_path: Path) -> None:
    lines = sample_lines()
    del lines[1]["id"]
    lines[2]["relations"] = [{"relation": "contradicts", "other": "ketamine-pain-6927e12e"}]
    import_claims_jsonl(kb_dir, write(tmp_path / "in.jsonl", lines), "sample")
    kb = load_kb(kb_dir)
    generated = kb.topic("sample").claims[1].id
    assert generated.startswith("sample-") and len(generated) == len("sample-") + 8
    assert kb.claim("scifact-11").contested and kb.claim("ketamine-pain-6927e12e").contested


def test_made_ids_that_collide_are_lengthened_as_a_summarys_are(
    kb_dir: Path, tmp_path: Path
) -> None:
    # Found by search: the first 8 hex digits of their SHA-256 are the same (f46acbe1),
    # as in tests/kb/test_importer.py; before, the import failed on a duplicate id.
    lines = [
        {"type": "claim", "text": text, "section": "research", "citations": [1]}
        for text in ("Statement 35558.", "Statement 161123.")
    ]
    source = tmp_path / "collide.jsonl"
    source.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    import_claims_jsonl(kb_dir, source, "t")
    assert [c.id for c in load_kb(kb_dir).topic("t").claims] == [
        "t-f46acbe1627e10ae",
        "t-f46acbe196960043",
    ]


def test_every_bad_line_is_reported_and_nothing_written(kb_dir: Path, tmp_path: Path) -> None:
    claim, _, _, prion, wolfram = sample_lines()
    quoted = json.loads(json.dumps(claim))
    quoted["evidence"][0]["quotes"][0]["text"] = "17 were positive"
    lines: list[dict[str, object]] | list[str] = [
        "{not json",
        json.dumps([1]),
        json.dumps({"type": "paper"}),
        {**claim, "id": "scifact-a", "section": "results", "stance": "supports"},
        {**claim, "id": "scifact-b", "evidence": [{"citation": 7, "stance": "supports"}]},
        {**claim, "id": "scifact-c", "evidence": [{"citation": 13734012, "stance": "agrees"}]},
        {**quoted, "id": "scifact-d"},
        {"type": "claim", "text": "No citations."},
        prion,
        {**prion, "title": 3},
        wolfram,
    ]
    path = write(tmp_path / "bad.jsonl", lines)
    assert failed_import(kb_dir, path) == [
        "bad.jsonl:1: not JSON: Expecting property name enclosed in double quotes (column 2)",
        'bad.jsonl:2: a line must be a JSON object: {"type": "claim", ...}',
        "bad.jsonl:3: field 'type' is \"paper\"; allowed: claim, work",
        "bad.jsonl:4: unknown field 'stance'; allowed fields: citations, evidence, heading, "
        "id, relations, section, text, type",
        "bad.jsonl:4: unknown section 'results'; allowed: guidelines, research",
        "bad.jsonl:5: evidence 1: citation 7 is not one the claim cites",
        'bad.jsonl:6: evidence 1: stance "agrees" is not allowed; allowed: supports, '
        "contradicts, no-evidence (leave a citation out of 'evidence' for not-stated)",
        "bad.jsonl:7: a quote of work 13734012 is not in its sentence 4 word for word; "
        "a quotation must be verbatim, whole words",
        "bad.jsonl:8: missing field 'citations'",
        "bad.jsonl:8: missing field 'section'",
        "bad.jsonl:10: field 'title' must be text in double quotes",
        "bad.jsonl:10: work 13734012 is already given on line 9",
        "bad.jsonl:11: work 32587939 is not cited by any claim",
    ]


def test_import_fails_when_check_would(kb_dir: Path, tmp_path: Path) -> None:
    """A claim id another topic already has passes the file's own checks, not `ekb check`."""
    lines = sample_lines()
    lines[0]["id"] = "ketamine-pain-6927e12e"
    lines[2]["relations"] = [{"relation": "contradicts", "other": "scifact-99"}]
    lines[3]["year"] = 1449
    problems = failed_import(kb_dir, write(tmp_path / "in.jsonl", lines))
    # At the lines of the file the user can edit, not of topic files never written.
    assert problems == [
        "in.jsonl:1: duplicate claim id 'ketamine-pain-6927e12e' "
        f"(first defined at {kb_dir}/topics/ketamine-pain/claims.toml:6)",
        "in.jsonl:3: no claim has the id 'scifact-99'",
        "in.jsonl:4: year 1449 is not plausible: use the year of publication, 1450 to "
        f"{datetime.date.today().year}",
    ]


def test_an_existing_topic_needs_replace(kb_dir: Path) -> None:
    import_claims_jsonl(kb_dir, SAMPLE, "sample")
    with pytest.raises(KBError, match="already exists; pass --replace to overwrite it"):
        import_claims_jsonl(kb_dir, SAMPLE, "sample")
    assert import_claims_jsonl(kb_dir, SAMPLE, "sample", replace=True).replaced


def test_cli(kb_dir: Path, tmp_path: Path) -> None:
    def ekb(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "evidencekb", *args, "--kb", str(kb_dir)],
            capture_output=True,
            text=True,
            check=False,
        )

    result = ekb("import", str(SAMPLE), "--format", "claims-jsonl", "--topic", "sample")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"Created {kb_dir}/topics/sample: 3 claims citing 2 sources. "
        "Curate it, then run `ekb check`.\n"
    )
    bad = write(tmp_path / "bad.jsonl", ['{"type": "work", "number": 0}'])
    result = ekb("import", str(bad), "--format", "claims-jsonl", "--topic", "other")
    assert (result.returncode, result.stderr) == (
        1,
        f"{bad}:1: work number 0 must be 1 or more\nError: 1 problem found\n",
    )


def test_a_work_whose_sentences_are_refused_is_one_problem_on_its_line(
    kb_dir: Path, tmp_path: Path
) -> None:
    """Its quotations are not also reported as of a work no line gives sentences for (that
    once a quotation, where the line gives them)."""
    claim, _, _, prion, _ = sample_lines()
    sentences = list(prion["sentences"])  # type: ignore[call-overload]
    sentences[0] = sentences[0].replace(" ", "\t", 1)
    quoted = json.loads(json.dumps(claim))
    quoted["evidence"][0]["quotes"] *= 2  # the same quotation twice
    path = write(tmp_path / "bad.jsonl", [quoted, {**prion, "sentences": sentences}])
    assert failed_import(kb_dir, path) == [
        "bad.jsonl:2: field 'sentences' contains the control character U+0009; remove it"
    ]
    path = write(
        tmp_path / "bad.jsonl", [quoted, {k: v for k, v in prion.items() if k != "sentences"}]
    )
    assert failed_import(kb_dir, path) == [
        "bad.jsonl:1: work 13734012 is quoted but no line gives its 'sentences'"
    ]


def test_a_line_takes_every_declared_claim_field_but_those_the_import_works_out(
    kb_dir: Path,
) -> None:
    """What a line may hold of a claim is the registry's (its declared claim fields but
    the strength, the line, the dates, the terms that the import works out itself)
    besides its own keys; and the fields the importer writes by name are the very ones
    `claim_table` writes, so that neither list can leave the registry or the code."""
    declared = [f.name for f in registry.CLAIM_FIELDS]
    assert set(READ_OF_A_CLAIM + WORKED_OUT) <= set(declared)
    assert [f.name for f in FROM_SOURCE] == [
        name for name in declared if name not in READ_OF_A_CLAIM + WORKED_OUT
    ]
    assert set(CLAIM_FIELDS) == CLAIM_LINE_KEYS.keys() | set(declared) - set(WORKED_OUT)
    # The SciFact claim 2 line as a statement of a summary, with a heading and a date.
    prion = sample_lines()[0]
    statement = Statement("research", "Prevalence", str(prion["text"]), (13734012,), None, 1)
    table = claim_table(load_kb(kb_dir), "scifact-2", statement, (), Replaced(), "2026-12-05")
    (written,) = tomllib.loads(table)["claim"]
    # In the registry's order; all but `changed`, as a new claim has never changed.
    assert list(written) == [
        name for name in declared if name in READ_OF_A_CLAIM + WORKED_OUT and name != "changed"
    ]


def test_the_kb_readme_names_the_fields_a_line_may_not_give() -> None:
    """kb/README.md's claims-jsonl table names the fields the import works out, which a
    line may not give, as kb/importer.py names them."""
    text = (REPO / "kb" / "README.md").read_text("utf-8")
    (row,) = [line for line in text.splitlines() if line.startswith("| claim | any other field")]
    named = row.split(" | ")[1].split("(which")[0]
    assert re.findall(r"`([a-z_]+)`", named) == list(WORKED_OUT)


def test_a_lines_own_keys_are_names_no_claim_field_may_take() -> None:
    """A claim field named as a line's own key (`type`, `evidence`, `relations`) could
    never be given by a line: the registry refuses such a name as it loads."""
    assert CLAIM_LINE_KEYS.keys() <= registry.RESERVED_CLAIM_NAMES
