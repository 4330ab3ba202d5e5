"""JSON given to an import (a claims-jsonl file, a CSL-JSON file) says each value
once and never leaves one out in silence: a key given twice in one object, and a
null where a value is required, are problems at their line, through the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from fixtures import REPO

SAMPLE = REPO / "tests" / "data" / "evidence-sample.jsonl"


def sample_lines() -> list[dict[str, object]]:
    return [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]


def ekb(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "evidencekb", *args], capture_output=True, text=True, timeout=60
    )


def test_a_null_required_field_is_a_problem_not_a_claim_dropped(
    kb_dir: Path, tmp_path: Path
) -> None:
    """Before: the claim with `"section": null` vanished and the import succeeded
    with the others (its work was cited by another claim, so nothing else noticed)."""
    lines = sample_lines()
    lines[1] = {**lines[1], "section": None}
    path = tmp_path / "null.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    result = ekb("import", str(path), "--format", "claims-jsonl", "--topic", "null",
                 "--kb", str(kb_dir))  # fmt: skip
    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        "",
        f"{path}:2: field 'section' is null; it must be text in double quotes\n"
        "Error: 1 problem found\n",
    )
    assert not (kb_dir / "topics" / "null").exists()


def test_a_key_given_twice_is_a_problem_at_its_line(kb_dir: Path, tmp_path: Path) -> None:
    lines = [json.dumps(line) for line in sample_lines()]
    lines[0] = lines[0].replace('"section": "research"', '"section": "research", "section": "x"')
    path = tmp_path / "twice.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = ekb("import", str(path), "--format", "claims-jsonl", "--topic", "twice",
                 "--kb", str(kb_dir))  # fmt: skip
    assert result.returncode == 1
    assert (
        f'{path}:1: not usable JSON: the key "section" is given twice in one object\n'
        in result.stderr
    )
    assert not (kb_dir / "topics" / "twice").exists()


def test_a_csl_json_key_given_twice_is_one_error_line(kb_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "twice.json"
    path.write_text(
        '[{"id": "1", "citation-number": 1, "title": "Ketamine", "title": "Esketamine"}]',
        encoding="utf-8",
    )
    before = (kb_dir / "topics/ketamine-pain/references.toml").read_bytes()
    result = ekb("refs", "import", str(path), "--topic", "ketamine-pain", "--kb", str(kb_dir))
    assert (result.returncode, result.stderr) == (
        1,
        f'Error: {path}: not a readable csl-json file (the key "title" is given twice '
        "in one object)\n",
    )
    assert (kb_dir / "topics/ketamine-pain/references.toml").read_bytes() == before
