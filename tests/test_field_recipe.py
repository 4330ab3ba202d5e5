"""Issue 18, one declaration per field, followed as an editor follows it: ARCHITECTURE.md's
recipe for a new claim field, applied to a copy of the package (registry.py and
model.py, nothing else), then every surface checked on a kb whose claim has the new
fields. The registry cannot gain a field inside this process without patching our own
internals, so the copy runs in processes of its own, as `python -m evidencekb`.

The fields are the recipe's example (`sample_size`, a number) and a list of free texts
(`outcomes`), each labelled and searchable.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import evidencekb
from fixtures import REPO, node

SEED_CLAIMS = "topics/ketamine-pain/claims.toml"
FIRST_LINE = "source_line = 2\n"  # the seed's first claim's last line

# ARCHITECTURE.md, "A new claim field": step 1 (registry.py) and step 2 (model.py).
CLAIM_FIELD_ENTRIES = """\
    ClaimField(
        "sample_size", "int", "How many took part.", required=False, least=1,
        label="Sample size",
    ),
    ClaimField("outcomes", "texts", "The outcomes measured.", required=False, label="Outcomes"),
"""
QUERY_FIELD_ENTRIES = """\
    QueryField(
        "sample_size", "number", "a whole number", "sample_size:40", claim_values("sample_size")
    ),
    QueryField("outcomes", "name", "an outcome", "outcomes:mortality", claim_values("outcomes")),
"""
MODEL_ATTRIBUTES = """\
    sample_size: int | None = None
    outcomes: tuple[str, ...] = ()
"""


def _insert_at_end(text: str, opening: str, entries: str) -> str:
    """`entries` added as the last items of the tuple that `opening` starts."""
    start = text.index(opening)
    end = text.index("\n)\n", start) + 1
    return text[:end] + entries + text[end:]


def _insert_in_claim(text: str, attributes: str) -> str:
    """`attributes` added after the last attribute of the model's Claim."""
    start = text.index("\nclass Claim:\n")
    end = text.index("\n\n    @property", start) + 1
    return text[:end] + attributes + text[end:]


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the package with the recipe applied: the folder to put on PYTHONPATH."""
    root = tmp_path_factory.mktemp("recipe")
    copy = root / "evidencekb"
    shutil.copytree(
        Path(evidencekb.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__")
    )
    registry = copy / "registry.py"
    text = registry.read_text("utf-8")
    text = _insert_at_end(text, "CLAIM_FIELDS: tuple[ClaimField, ...] = (", CLAIM_FIELD_ENTRIES)
    text = _insert_at_end(text, "QUERY_FIELDS: tuple[QueryField, ...] = (", QUERY_FIELD_ENTRIES)
    registry.write_text(text, "utf-8")
    model = copy / "model.py"
    model.write_text(_insert_in_claim(model.read_text("utf-8"), MODEL_ATTRIBUTES), "utf-8")
    return root


def ekb(package: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(package), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "evidencekb", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
    )


def _claim_lines(kb_dir: Path, lines: str) -> None:
    path = kb_dir / SEED_CLAIMS
    text = path.read_text("utf-8")
    assert FIRST_LINE in text
    path.write_text(text.replace(FIRST_LINE, FIRST_LINE + lines, 1), "utf-8")


@pytest.fixture(scope="module")
def built(package: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """The seed with its first claim given both fields, checked and built by the copy:
    (kb, site, the claim's id)."""
    folder = tmp_path_factory.mktemp("recipe-kb")
    kb_dir, site = folder / "kb", folder / "site"
    shutil.copytree(REPO / "kb", kb_dir)
    _claim_lines(kb_dir, 'sample_size = 40\noutcomes = ["pain at 24 hours", "opioid use"]\n')
    checked = ekb(package, "check", "--kb", str(kb_dir))
    assert checked.returncode == 0, checked.stderr
    made = ekb(package, "build", "-q", "--kb", str(kb_dir), "--site-dir", str(site))
    assert made.returncode == 0, made.stderr
    (claim,) = _cli_search(package, kb_dir, site, "sample_size:40")
    return kb_dir, site, claim


def test_the_check_holds_each_new_field_to_its_kind(package: Path, kb_dir: Path) -> None:
    _claim_lines(kb_dir, 'sample_size = 0\noutcomes = "opioid use"\n')
    checked = ekb(package, "check", "--kb", str(kb_dir))
    assert checked.returncode == 1
    assert "sample_size" in checked.stderr and "outcomes" in checked.stderr
    assert "Traceback" not in checked.stderr


def test_the_database_has_a_column_and_a_table_of_the_list(built: tuple[Path, Path, str]) -> None:
    _, site, claim = built
    with sqlite3.connect(site / "evidencekb.db") as db:
        (size,) = db.execute("select sample_size from claims where id = ?", (claim,)).fetchone()
        rows = db.execute("select * from claim_outcomes order by claim_id, position").fetchall()
        keys = db.execute("pragma foreign_key_list(claim_outcomes)").fetchall()
    assert size == 40
    assert rows == [(claim, 1, "pain at 24 hours"), (claim, 2, "opioid use")]
    assert [(key[2], key[3], key[4]) for key in keys] == [("claims", "claim_id", "id")]
    metadata = json.loads((site / "metadata.json").read_text("utf-8"))
    tables = metadata["databases"]["evidencekb"]["tables"]
    assert tables["claims"]["columns"]["sample_size"] == "How many took part."
    assert tables["claim_outcomes"]["description"].startswith("The outcomes measured.")


def test_the_exports_carry_both_fields(package: Path, built: tuple[Path, Path, str]) -> None:
    kb_dir, _, claim = built
    exported = ekb(package, "export", "--kb", str(kb_dir), "--format", "json")
    claims = {c["id"]: c for c in json.loads(exported.stdout)}
    assert claims[claim]["sample_size"] == 40
    assert claims[claim]["outcomes"] == ["pain at 24 hours", "opioid use"]
    table = ekb(package, "export", "--kb", str(kb_dir), "--format", "csv")
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(table.stdout))}
    assert rows[claim]["sample_size"] == "40"
    assert "opioid use" in rows[claim]["outcomes"]


def test_show_and_the_page_list_them_by_label(package: Path, built: tuple[Path, Path, str]) -> None:
    kb_dir, site, claim = built
    shown = ekb(package, "show", "--kb", str(kb_dir), claim).stdout
    assert "Sample size: 40" in shown
    assert "Outcomes:    pain at 24 hours; opioid use" in shown
    page = (site / "claims" / f"{claim}.html").read_text("utf-8")
    assert "<dt>Sample size</dt><dd>40</dd>" in page
    assert "<dt>Outcomes</dt><dd>pain at 24 hours; opioid use</dd>" in page


@pytest.mark.parametrize("query", ["sample_size:40", "outcomes:opioid", 'outcomes:"opioid use"'])
def test_both_front_ends_find_the_claim_by_each_field(
    package: Path, built: tuple[Path, Path, str], query: str
) -> None:
    kb_dir, site, claim = built
    assert _cli_search(package, kb_dir, site, query) == [claim]
    assert _site_search(site, query) == [claim]


def test_a_value_no_claim_has_finds_nothing_in_either(
    package: Path, built: tuple[Path, Path, str]
) -> None:
    kb_dir, site, _ = built
    for query in ("sample_size:41", "outcomes:mortality"):
        assert _cli_search(package, kb_dir, site, query) == []
        assert _site_search(site, query) == []


def _cli_search(package: Path, kb_dir: Path, site: Path, query: str) -> list[str]:
    """The claims `ekb search` finds, run by the copy."""
    found = ekb(package, "search", "--kb", str(kb_dir), "--site-dir", str(site), "--json", query)
    assert found.returncode == 0, found.stderr
    return [hit["id"] for hit in json.loads(found.stdout)]


def _site_search(site: Path, query: str) -> list[str]:
    """The claims the site's search code finds (static/search-core.js under Node.js)."""
    done = subprocess.run(
        [node(), str(REPO / "bench" / "search_core.js"), str(site), "10"],
        input=json.dumps({"query": query}) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    (answer,) = map(json.loads, done.stdout.splitlines())
    assert answer["error"] is None, answer["error"]
    return list(answer["ids"])
