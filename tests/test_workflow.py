"""The GitHub Pages workflow cannot run here, so its YAML is checked against the
GitHub workflow schema that check-jsonschema bundles (SchemaStore's), offline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ruamel.yaml import YAML  # what check-jsonschema reads YAML with (YAML 1.2)

WORKFLOW = Path(__file__).resolve().parent.parent / ".github" / "workflows" / "pages.yml"


def check(path: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema"]
    command += ["vendor.github-workflows", "--disable-formats", "*", str(path)]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def test_the_pages_workflow_is_a_valid_github_workflow() -> None:
    result = check(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_refuses_a_broken_workflow(tmp_path: Path) -> None:
    text = WORKFLOW.read_text("utf-8")
    assert text.count("    runs-on: ubuntu-latest\n") == 2
    path = tmp_path / "broken.yml"
    # A job must say where it runs.
    path.write_text(text.replace("    runs-on: ubuntu-latest\n", "", 1), "utf-8")
    result = check(path)
    assert result.returncode == 1
    assert "runs-on" in result.stdout


def test_the_workflow_builds_with_make_site_and_publishes_the_site_folder() -> None:
    workflow = YAML(typ="safe").load(WORKFLOW.read_text("utf-8"))
    assert workflow["on"]["push"]["branches"] == ["main"]
    steps = workflow["jobs"]["build"]["steps"]
    assert {"run": "make site"} in steps
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages"))
    assert upload["with"] == {"path": "site"}
    deploy = workflow["jobs"]["deploy"]["steps"][0]["uses"]
    assert deploy.startswith("actions/deploy-pages@")


def test_the_workflow_keeps_the_build_cache_between_runs() -> None:
    """A run restores the cache folder the last run saved (the newest whose key starts
    alike), and saves its own under a key of its commit."""
    workflow = YAML(typ="safe").load(WORKFLOW.read_text("utf-8"))
    steps = workflow["jobs"]["build"]["steps"]
    cache = next(s for s in steps if s.get("uses", "").startswith("actions/cache@"))
    assert steps.index(cache) < steps.index({"run": "make site"})
    assert cache["with"]["path"] == "~/.cache/evidencekb"
    assert cache["with"]["key"].startswith(cache["with"]["restore-keys"])
