"""The package layout's one hard rule: the search path stays light.

`ekb search` must start fast, so what it imports (the CLI and `evidencekb.search`)
loads nothing from the site stage, the database writer, the browser's search data
or kb/ beyond its fingerprint (the loader, the importer, the exporters), and none
of jinja2, markdown or sqlite_utils. Checked in a fresh interpreter, because this
test session has long since imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from evidencekb.kb.fingerprint import CLOCK_MARGIN_NS
from fixtures import ekb_here

FORBIDDEN = (
    "evidencekb.site",
    "evidencekb.build",
    "evidencekb.database",
    "evidencekb.search.browser",
    "evidencekb.kb",
    "jinja2",
    "markdown",
    "sqlite_utils",
    "sqlite3",
)
# The index's freshness check hashes kb/: the package's face is lazy (kb/__init__.py),
# so these two load nothing else of kb/.
ALLOWED = ("evidencekb.kb", "evidencekb.kb.fingerprint")

REPORT = """
import json, sys
{body}
forbidden = {forbidden!r}
allowed = {allowed!r}
print(json.dumps(sorted(
    name for name in sys.modules
    if name not in allowed
    and any(name == f or name.startswith(f + ".") for f in forbidden)
)))
"""


def loaded_after(body: str) -> list[str]:
    script = REPORT.format(body=body, forbidden=FORBIDDEN, allowed=ALLOWED)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.splitlines()[-1])


def test_importing_the_search_package_loads_nothing_heavy() -> None:
    assert loaded_after("import evidencekb.search, evidencekb.cli") == []


def test_a_search_on_a_fresh_index_loads_nothing_heavy(kb_dir: Path, tmp_path: Path) -> None:
    site_dir = tmp_path / "site"
    args = ["search", "--kb", str(kb_dir), "--site-dir", str(site_dir), "CRPS"]
    assert ekb_here(*args).exit_code == 0  # builds the index first
    # kb/ was copied just now: its files' change times fall within the clock's margin
    # of the index's stamp, so a search hashes kb/ (and finds it the same) until one
    # comes after the margin and moves the stamp past them, as on an editor's machine.
    time.sleep(CLOCK_MARGIN_NS / 1e9)
    assert ekb_here(*args).exit_code == 0
    body = (
        "from evidencekb.cli import dispatch\n"
        "try:\n"
        f"    dispatch({args!r})\n"
        "except SystemExit as stop:\n"
        "    assert stop.code in (0, None), stop.code\n"
    )
    assert loaded_after(body) == []


def test_the_rule_would_catch_a_heavy_import() -> None:
    # The check itself can fail: rendering a page does load jinja2.
    assert "jinja2" in loaded_after("import evidencekb.site")


def test_the_rule_would_catch_the_kb_loader() -> None:
    # kb/'s lazy face: naming load_kb loads the loader, which the rule then reports.
    loaded = loaded_after("from evidencekb.kb import load_kb")
    assert "evidencekb.kb.load" in loaded
    assert loaded_after("import evidencekb.kb.fingerprint") == []


def test_no_public_name_of_kb_is_a_module_of_kb() -> None:
    # Importing a submodule binds its name on the package, which would then shadow
    # a public name of the lazy face (`from evidencekb.kb import export` giving the
    # module once anything imported evidencekb.kb.export itself).
    import evidencekb.kb

    folder = Path(evidencekb.kb.__file__).parent
    assert [name for name in evidencekb.kb.__all__ if (folder / f"{name}.py").exists()] == []
    assert [name for name in evidencekb.kb.__all__ if (folder / name).is_dir()] == []
