"""Datasette's metadata.json beside the database: every table, view and column described,
nothing described that is not there, and Datasette itself serving the database with it."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from evidencekb.build import build
from evidencekb.database.metadata import TABLES, drift, read_schema
from evidencekb.paths import DATABASE_NAME, DATASETTE_METADATA_NAME
from fixtures import REPO_KB, add_evidence_sample, add_grading_topic

DATASETTE = Path(sys.executable).with_name("datasette")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed, the evidence sample and the grading topic (real works), built: every
    table has rows."""
    work = tmp_path_factory.mktemp("metadata-site")
    kb_dir = work / "kb"
    shutil.copytree(REPO_KB, kb_dir)
    add_evidence_sample(kb_dir)
    add_grading_topic(kb_dir, work)
    build(kb_dir, work / "site")
    return work / "site"


def metadata(site: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((site / DATASETTE_METADATA_NAME).read_text("utf-8"))
    return data


def test_every_table_view_and_column_is_described(site: Path) -> None:
    tables = metadata(site)["databases"]["evidencekb"]["tables"]
    connection = sqlite3.connect(site / DATABASE_NAME)
    names = [
        row[0]
        for row in connection.execute(
            "select name from sqlite_master where type in ('table', 'view') order by name"
        )
    ]
    shown = [name for name in names if not name.startswith("claims_fts_")]  # FTS5's own
    assert sorted(tables) == shown
    for name in shown:
        columns = [row[1] for row in connection.execute(f"pragma table_info([{name}])")]
        assert list(tables[name]["columns"]) == columns, name
        assert all(tables[name]["columns"].values()), name
        assert tables[name]["description"], name
        for facet in tables[name].get("facets", []):
            assert facet in columns, (name, facet)
    connection.close()


def test_a_claims_column_a_view_shows_as_it_is_is_described_as_the_table_does(
    site: Path,
) -> None:
    """A view's column holding, row by row, the claims column of its name (the claim's
    text, heading, section, ...) reads as the registry describes that field, not as a
    second hand-written list that can go stale; a column of that name holding anything
    else (claim_overview.strength: the label's title) is described apart."""
    tables = metadata(site)["databases"]["evidencekb"]["tables"]
    connection = sqlite3.connect(site / DATABASE_NAME)
    claims = [row[1] for row in connection.execute("pragma table_info(claims)")]
    joins = {"claim_overview": "v.id = c.id", "contested_claims": "v.id = c.id"}
    joins["claims_fts"] = "v.rowid = c.rowid"
    same, apart = [], []
    for view, join in joins.items():
        for column in tables[view]["columns"]:
            if column not in claims:
                continue
            differ = connection.execute(
                f"select count(*) from [{view}] v join claims c on {join} "
                f"where v.[{column}] is not c.[{column}]"
            ).fetchone()[0]
            described = tables[view]["columns"][column] == tables["claims"]["columns"][column]
            (same if not differ else apart).append((view, column, described))
    connection.close()
    assert [entry for entry in same if not entry[2]] == []
    assert apart == [("claim_overview", "strength", False)]
    assert len(same) == 18  # 11 of claim_overview, 5 of contested_claims, 2 of claims_fts


def test_drift_is_found_both_ways(site: Path) -> None:
    schema = read_schema(site / DATABASE_NAME)
    assert drift(schema) == []
    schema["claims"] = (*schema["claims"], "certainty")
    schema["cited_works"] = tuple(c for c in schema["cited_works"] if c != "pmid")
    schema["claim_notes"] = ("claim_id", "note")
    del schema["sections"]
    assert set(drift(schema)) == {
        "table claim_notes has no description",
        "described table sections is not in the database",
        "column claims.certainty has no description",
        "described column cited_works.pmid is not in the database",
    }


def test_labels_and_facets(site: Path) -> None:
    tables = metadata(site)["databases"]["evidencekb"]["tables"]
    # A row linking a claim named it by its words: a contradicted claim's read as fact
    # on the rows of claim_citations, claim_entities and claim_relations.
    assert "label_column" not in tables["claims"]
    assert tables["claims"]["facets"] == [
        "topic",
        "section",
        "strength",
        "strength_method",
        "contested",
        "warning",
    ]
    assert tables["claim_citations"]["facets"] == ["stance"]
    assert {name for name, t in tables.items() if "label_column" in t} == {
        name for name, described in TABLES.items() if described.label_column
    }


def datasette_get(site: Path, path: str) -> str:
    """Datasette's answer to one request, through its own command line."""
    result = subprocess.run(
        [
            str(DATASETTE),
            str(site / DATABASE_NAME),
            "-m",
            str(site / DATASETTE_METADATA_NAME),
            "--get",
            path,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_datasette_serves_the_database_with_its_descriptions(site: Path) -> None:
    described = metadata(site)["databases"]["evidencekb"]["tables"]["claims"]
    html = BeautifulSoup(datasette_get(site, "/evidencekb/claims"), "html5lib")
    assert (
        html.select_one(".metadata-description").get_text(strip=True) == (described["description"])
    )
    columns = html.select_one("dl.column-descriptions")
    shown = {dt.get_text(): dt.find_next_sibling("dd").get_text() for dt in columns.select("dt")}
    assert shown == described["columns"]
    page = json.loads(datasette_get(site, "/evidencekb/claims.json?topic=grading"))
    assert list(page["facet_results"]) == described["facets"]
    assert page["filtered_table_rows_count"] == 3
    links = json.loads(
        datasette_get(site, "/evidencekb/claim_citations.json?_labels=on&_shape=array")
    )
    graded = [row for row in links if row["work_id"]["value"] == "grading-ref-2"]
    # The claim linked by its id, never by its words without what its works found; the
    # work by its title.
    assert graded[0]["claim_id"]["label"] == graded[0]["claim_id"]["value"]
    assert graded[0]["work_id"]["label"] != graded[0]["work_id"]["value"]


def test_same_database_same_bytes(site: Path, tmp_path: Path) -> None:
    from evidencekb.database.metadata import write_datasette_metadata
    from evidencekb.kb.load import load_kb

    again = tmp_path / DATASETTE_METADATA_NAME
    write_datasette_metadata(site / DATABASE_NAME, again, load_kb(site.parent / "kb"))
    assert again.read_bytes() == (site / DATASETTE_METADATA_NAME).read_bytes()
