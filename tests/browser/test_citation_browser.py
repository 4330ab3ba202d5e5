"""The pages that show formatted references and their links, checked by axe-core at
desktop and phone widths, and read back in Chromium: the grading topic's real works."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from evidencekb.build import build
from evidencekb.kb.load import load_kb
from evidencekb.model import KnowledgeBase
from evidencekb.progress import no_progress
from evidencekb.site.render import claim_href, reference_href, topic_href
from evidencekb.site.serve import serving
from fixtures import GRADING_TOPIC, REPO_KB, add_grading_topic

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}  # a common phone: what its first screen shows is tested


@pytest.fixture(scope="module")
def grading_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, KnowledgeBase]:
    work = tmp_path_factory.mktemp("grading-site")
    kb_dir = work / "kb"
    shutil.copytree(REPO_KB, kb_dir)
    add_grading_topic(kb_dir, work)
    build(kb_dir, work / "site", no_progress)
    return work / "site", load_kb(kb_dir)


@pytest.fixture(scope="module")
def grading_base(grading_site: tuple[Path, KnowledgeBase]) -> Iterator[str]:
    with serving(grading_site[0]) as base:
        yield base


def _pages(kb: KnowledgeBase) -> dict[str, str]:
    claim = kb.topic(GRADING_TOPIC).claims[1]  # cites Guyatt 2008: DOI, PubMed and PMC
    return {
        "topic": topic_href(GRADING_TOPIC),
        "claim": claim_href(claim),
        "reference": reference_href(GRADING_TOPIC, 2),
    }


@pytest.mark.parametrize("kind", ["topic", "claim", "reference"])
def test_formatted_references_pass_axe(
    page: Page,
    grading_base: str,
    grading_site: tuple[Path, KnowledgeBase],
    assert_accessible: Callable[[Page, str], None],
    kind: str,
) -> None:
    page.goto(grading_base + _pages(grading_site[1])[kind])
    assert_accessible(page, f"the {kind} page with formatted references")
    page.set_viewport_size(PHONE)
    assert_accessible(page, f"the {kind} page with formatted references at phone width")
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the {kind} page scrolls sideways by {overflow}px"


def test_links_and_jsonld_as_the_browser_reads_them(
    page: Page, grading_base: str, grading_site: tuple[Path, KnowledgeBase], expect: Any
) -> None:
    page.goto(grading_base + _pages(grading_site[1])["claim"])
    links = page.locator("ul.evidence-list a.work-link")
    expect(links).to_have_count(3)
    for i, label in enumerate(["DOI", "PubMed", "PMC"]):
        expect(links.nth(i)).to_have_accessible_name(f"{label} record of reference 2")
    script = page.locator('script[type="application/ld+json"]').text_content()
    assert script is not None
    assert json.loads(script)["citation"][0]["sameAs"][2] == (
        "https://pmc.ncbi.nlm.nih.gov/articles/PMC2335261/"
    )
