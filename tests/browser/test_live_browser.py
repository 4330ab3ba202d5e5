"""An editor's loop in headless Chromium: save kb/, and the open page changes by itself."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from evidencekb.live import live_serving
from fixtures import reword

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

RELOAD_TIMEOUT_MS = 30_000  # a build plus the watcher's debounce, on a busy machine


def test_a_saved_edit_reloads_the_page_and_a_broken_kb_is_shown_on_it(
    page: Page, expect: Callable[..., Any], kb_dir: Path, tmp_path: Path
) -> None:
    site_dir = tmp_path / "site"
    with live_serving(kb_dir, site_dir, 0, lambda line: None) as url:
        page.goto(url + "topics/ketamine-pain/index.html")
        main = page.locator("main")
        expect(main).to_contain_text("nightmares, and laryngospasm")

        reword(kb_dir, "nightmares, and laryngospasm", "nightmares, and bronchospasm")
        expect(main).to_contain_text("nightmares, and bronchospasm", timeout=RELOAD_TIMEOUT_MS)

        claims = kb_dir / "topics" / "ketamine-pain" / "claims.toml"
        good = claims.read_text("utf-8")
        claims.write_text(good.replace('section = "research"', 'section = "opinion"', 1), "utf-8")
        problems = page.get_by_role("alert")
        expect(problems).to_contain_text("claims.toml:", timeout=RELOAD_TIMEOUT_MS)
        expect(problems).to_contain_text("opinion")
        expect(main).to_contain_text("nightmares, and bronchospasm")  # the last good site

        claims.write_text(good, "utf-8")
        expect(problems).to_have_count(0, timeout=RELOAD_TIMEOUT_MS)


def test_seven_open_tabs_all_reload(
    page: Page, expect: Callable[..., Any], kb_dir: Path, tmp_path: Path
) -> None:
    """A stream per tab held the six connections a browser keeps to one host: six open
    tabs stopped reloading, and a seventh never loaded. The tabs share one stream."""
    with live_serving(kb_dir, tmp_path / "site", 0, lambda line: None) as url:
        tabs = [page, *(page.context.new_page() for _ in range(6))]
        for tab in tabs:
            tab.goto(url + "topics/ketamine-pain/index.html", timeout=RELOAD_TIMEOUT_MS)
            expect(tab.locator("main")).to_contain_text("nightmares, and laryngospasm")
        reword(kb_dir, "nightmares, and laryngospasm", "nightmares, and bronchospasm")
        for tab in tabs:
            expect(tab.locator("main")).to_contain_text(
                "nightmares, and bronchospasm", timeout=RELOAD_TIMEOUT_MS
            )
