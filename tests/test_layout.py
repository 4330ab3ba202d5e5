"""The package layout's one hard rule: the search path stays light.

`ekb search` must start fast, so what it imports (the CLI and `evidencekb.search`)
loads nothing from the site stage, the database writer or the kb/ loader, and none
of jinja2, markdown or sqlite_utils. Checked in a fresh interpreter, because this
test session has long since imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from evidencekb.cli import cli

FORBIDDEN = (
    "evidencekb.site",
    "evidencekb.build",
    "evidencekb.database",
    "evidencekb.kb",
    "jinja2",
    "markdown",
    "sqlite_utils",
    "sqlite3",
)

REPORT = """
import json, sys
{body}
forbidden = {forbidden!r}
print(json.dumps(sorted(
    name for name in sys.modules
    if any(name == f or name.startswith(f + ".") for f in forbidden)
)))
"""


def loaded_after(body: str) -> list[str]:
    script = REPORT.format(body=body, forbidden=FORBIDDEN)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.splitlines()[-1])


def test_importing_the_search_package_loads_nothing_heavy() -> None:
    assert loaded_after("import evidencekb.search, evidencekb.cli") == []


def test_a_search_on_a_fresh_index_loads_nothing_heavy(kb_dir: Path, tmp_path: Path) -> None:
    site_dir = tmp_path / "site"
    args = ["search", "--kb", str(kb_dir), "--site-dir", str(site_dir), "CRPS"]
    assert CliRunner().invoke(cli, args).exit_code == 0  # builds the index first
    body = (
        "from evidencekb.cli import cli\n"
        "try:\n"
        f"    cli({args!r})\n"
        "except SystemExit as stop:\n"
        "    assert stop.code in (0, None), stop.code\n"
    )
    assert loaded_after(body) == []


def test_the_rule_would_catch_a_heavy_import() -> None:
    # The check itself can fail: rendering a page does load jinja2.
    assert "jinja2" in loaded_after("import evidencekb.site")
