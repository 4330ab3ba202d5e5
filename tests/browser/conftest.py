"""Fixtures for the real-browser tests: Debian's Chromium driven by Playwright.

One site is built per session from a copy of the repository's kb/ and reached two
ways, over http from a local server and straight from disk (file://), because the
site must work both ways. Outside CI a machine without Chromium, Playwright or
axe-core skips these tests; under CI the same lack fails them, so a green CI run
always means the browser tests ran.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from evidencekb.build import build
from evidencekb.kb.importer import import_summary
from evidencekb.kb.load import load_kb
from evidencekb.model import KnowledgeBase
from evidencekb.progress import no_progress
from evidencekb.site.serve import serving
from fixtures import REPO, REPO_KB

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

AXE_SCRIPT = REPO / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = Path("/usr/bin/chromium")
# Chromium's own background traffic (updates, sync, QUIC probes) is switched off so
# that every request a test sees comes from the page under test.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]
TIMEOUT_MS = 15_000  # generous: CI machines are shared and slow, but a hang must end
LOCAL_URL = re.compile(r"^(file:|data:|about:|blob:|http://127\.0\.0\.1[:/])")


def in_ci() -> bool:
    return bool(os.environ.get("CI"))


def unavailable(reason: str) -> NoReturn:
    """Skip on a developer's machine without the tool; fail under CI."""
    if in_ci():
        pytest.fail(f"{reason} (CI is set, so this fails instead of skipping)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        unavailable("Playwright's Python package is not installed")
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as playwright:
        try:
            # Playwright gives the browser a fresh temporary profile of its own.
            launched = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
        except Error as error:
            unavailable(f"Chromium at {CHROMIUM} did not start: {error.message.splitlines()[0]}")
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def expect(browser: Browser) -> Callable[..., Any]:
    """Playwright's retrying assertions, with the same patience as the pages."""
    from playwright.sync_api import expect as playwright_expect

    playwright_expect.set_options(timeout=TIMEOUT_MS)
    return playwright_expect


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built once from a copy of kb/, so a test never writes into the repo."""
    work = tmp_path_factory.mktemp("browser-site")
    kb_dir = work / "kb"
    shutil.copytree(REPO_KB, kb_dir)
    site = work / "site"
    build(kb_dir, site, no_progress)
    return site


@pytest.fixture(scope="session")
def seed_kb() -> KnowledgeBase:
    """The knowledge base the site is built from, for the tests' expectations."""
    return load_kb(REPO_KB)


@pytest.fixture(scope="session")
def http_base(site_dir: Path) -> Iterator[str]:
    with serving(site_dir) as base:
        yield base


@pytest.fixture(scope="session")
def file_base(site_dir: Path) -> str:
    """The site's root as a file:// URL, as when opened straight from disk."""
    return site_dir.as_uri() + "/"


@pytest.fixture(params=["http", "file"])
def base_url(request: pytest.FixtureRequest) -> str:
    """Each test that asks for it runs once over http and once from file://."""
    return request.getfixturevalue(f"{request.param}_base")


# A summary whose statements and topic title are markup and script: the site must show
# them as text everywhere (pages and search results) and never run them.
HOSTILE_SUMMARY = """From the Guidelines
Key Points to Consider
- Ketamine <img src=x onerror="window.__hostile=1"> eases CRPS & "quoted" \
<script>window.__hostile=2</script> pain 1.
From the Research
Findings
- Ketamine </script><b id="injected">bold</b> &amp; CRPS relief <!-- comment 2.
"""
HOSTILE_TITLE = "Hostile </script><script>window.__hostile=3</script> & <i>topic</i>"


@pytest.fixture(scope="session")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, KnowledgeBase]:
    """The seed plus a topic imported from HOSTILE_SUMMARY, built into its own site."""
    work = tmp_path_factory.mktemp("hostile-site")
    kb_dir = work / "kb"
    shutil.copytree(REPO_KB, kb_dir)
    source = work / "hostile.txt"
    source.write_text(HOSTILE_SUMMARY, encoding="utf-8")
    import_summary(kb_dir, source, "hostile", title=HOSTILE_TITLE)
    build(kb_dir, work / "site", no_progress)
    return work / "site", load_kb(kb_dir)


@pytest.fixture(scope="session")
def hostile_base(hostile_site: tuple[Path, KnowledgeBase]) -> Iterator[str]:
    with serving(hostile_site[0]) as base:
        yield base


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser context per test that refuses, and records, any request
    leaving this machine: the site must load nothing from another host."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(TIMEOUT_MS)
    outside: list[str] = []

    def refuse(route: Any) -> None:
        outside.append(route.request.url)
        route.abort()

    ctx.route(lambda url: not LOCAL_URL.match(url), refuse)
    yield ctx
    ctx.close()
    assert not outside, f"the site requested other hosts: {outside}"


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """A page that fails the test on any uncaught JavaScript error."""
    new_page = context.new_page()
    errors: list[str] = []
    new_page.on("pageerror", lambda error: errors.append(str(error)))
    yield new_page
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_SCRIPT.exists():
        unavailable(f"{AXE_SCRIPT.relative_to(REPO)} is missing (run `npm ci`)")
    return AXE_SCRIPT.read_text(encoding="utf-8")


def format_violations(violations: list[dict[str, Any]]) -> str:
    """axe-core's findings as lines a person can act on: rule, impact, help, where."""
    lines: list[str] = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation.get('impact')}): {violation['help']}"
            f" <{violation['helpUrl']}>"
        )
        for node in violation["nodes"]:
            target = " ".join(json.dumps(part) for part in node["target"])
            lines.append(f"    at {target}: {node['html'][:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"      {summary}")
    return "\n".join(lines)


@pytest.fixture
def assert_accessible(axe_source: str) -> Callable[[Page, str], None]:
    """Inject axe-core into the page and fail with a readable list of violations."""

    def check(page: Page, what: str) -> None:
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.add_script_tag(content=axe_source)
        violations = page.evaluate(
            "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)"
        )
        if violations:
            pytest.fail(
                f"axe-core found {len(violations)} violation(s) on {what} ({page.url}):\n"
                + format_violations(violations),
                pytrace=False,
            )

    return check


PHONE = {"width": 390, "height": 844}  # a common phone: what its first screen shows is tested
NARROWEST = 320  # WCAG 1.4.10 Reflow: no sideways scrolling at 320 CSS pixels


@pytest.fixture
def assert_accessible_at_all_widths(
    assert_accessible: Callable[[Page, str], None],
) -> Callable[[Page, str], None]:
    """axe-core at the desktop and phone widths, then no sideways scrolling at the
    narrowest width, on the page as loaded."""

    def check(page: Page, what: str) -> None:
        assert_accessible(page, what)
        page.set_viewport_size(PHONE)
        assert_accessible(page, f"{what} at phone width")
        page.set_viewport_size({"width": NARROWEST, "height": 640})
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{what} scrolls sideways by {overflow}px at {NARROWEST}px"

    return check
