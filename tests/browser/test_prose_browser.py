"""Script links in kb/ prose, clicked in a real browser: none of them runs."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from evidencekb.build import build
from evidencekb.paths import OVERVIEW_FILE
from evidencekb.progress import no_progress
from evidencekb.site.serve import serving
from fixtures import PROSE_ATTACKS, REPO_KB

if TYPE_CHECKING:
    from playwright.sync_api import Dialog, Page

pytestmark = pytest.mark.browser

Expect = Callable[..., Any]


@pytest.fixture(scope="module")
def prose_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The seed kb with every prose attack appended to its topic's overview."""
    work = tmp_path_factory.mktemp("prose-site")
    kb_dir = work / "kb"
    shutil.copytree(REPO_KB, kb_dir)
    overview = kb_dir / "topics" / "ketamine-pain" / OVERVIEW_FILE
    overview.write_text(
        overview.read_text("utf-8") + "\n" + "\n\n".join(PROSE_ATTACKS) + "\n", "utf-8"
    )
    build(kb_dir, work / "site", no_progress)
    with serving(work / "site") as base:
        yield base


def test_clicking_each_link_in_the_overview_runs_no_script(
    page: Page, prose_base: str, expect: Expect
) -> None:
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    topic = prose_base + "topics/ketamine-pain/index.html"
    page.goto(topic)
    links = page.locator("#overview a")
    expect(links.first).to_be_visible()
    count = links.count()
    assert count >= 5  # [a] to [h]: the links stay, as text, without their targets
    for number in range(count):
        links.nth(number).click()
        page.wait_for_timeout(50)  # a javascript: URL runs as the click is handled
        assert page.url == topic, f"link {number} navigated to {page.url}"
    page.locator("#overview").click()  # the <p onclick> attack, had it survived
    assert dialogs == []
    assert page.evaluate("document.querySelectorAll('#overview img, #overview iframe').length") == 0
