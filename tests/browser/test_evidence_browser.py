"""Evidence per citation in a real browser: the pages that show stances, quotations and
contested claims, checked by axe-core at desktop and phone widths and for reflow, on a
site built from the seed plus the evidence sample (tests/data/evidence-sample)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from evidencekb.build import build
from evidencekb.kb.load import load_kb
from evidencekb.progress import no_progress
from evidencekb.site.evidence import contested_href
from evidencekb.site.render import claim_href, reference_href, topic_href
from evidencekb.site.serve import serving
from fixtures import EVIDENCE_TOPIC, REPO_KB, add_evidence_sample

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
PAGE_KINDS = [
    "claim with a quotation",
    "contested claim",
    "reference with its text",
    "contested page",
    "topic with stance counts",
    "stances",
]


@pytest.fixture(scope="module")
def evidence_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The address of each evidence page kind on a served site."""
    work = tmp_path_factory.mktemp("evidence-site")
    kb_dir = work / "kb"
    shutil.copytree(REPO_KB, kb_dir)
    add_evidence_sample(kb_dir)
    kb = load_kb(kb_dir)
    build(kb_dir, work / "site", no_progress)
    paths = {
        "claim with a quotation": claim_href(kb.claim("scifact-2")),
        "contested claim": claim_href(kb.claim("scifact-11")),
        "reference with its text": reference_href(EVIDENCE_TOPIC, 13734012),
        "contested page": contested_href(EVIDENCE_TOPIC),
        "topic with stance counts": topic_href(EVIDENCE_TOPIC),
        "stances": "stances.html",
    }
    assert set(paths) == set(PAGE_KINDS)
    with serving(work / "site") as base:
        yield {kind: base + path for kind, path in paths.items()}


@pytest.mark.parametrize("kind", PAGE_KINDS)
def test_no_axe_violations(
    page: Page,
    evidence_site: dict[str, str],
    assert_accessible_at_all_widths: Callable[[Page, str], None],
    kind: str,
) -> None:
    page.goto(evidence_site[kind])
    assert_accessible_at_all_widths(page, f"the {kind} page")


def test_the_contested_sides_stand_side_by_side(page: Page, evidence_site: dict[str, str]) -> None:
    page.goto(evidence_site["contested claim"])
    for_box = page.locator(".contested-banner .side-for").bounding_box()
    against_box = page.locator(".contested-banner .side-against").bounding_box()
    assert for_box and against_box
    assert abs(for_box["y"] - against_box["y"]) < 1 and against_box["x"] > for_box["x"]
    page.set_viewport_size(PHONE)  # stacked on a phone
    for_box = page.locator(".contested-banner .side-for").bounding_box()
    against_box = page.locator(".contested-banner .side-against").bounding_box()
    assert for_box and against_box and against_box["y"] > for_box["y"]


def test_the_search_page_filters_by_stance_and_contested(
    page: Page, evidence_site: dict[str, str], expect: Callable[..., Any]
) -> None:
    """The menus the page offers restrict the results as `ekb search --stance` and
    `--contested` do: SciFact labels abstract 13734012 CONTRADICT for claim 2; a
    curator says claim 11 contradicts claim 10."""
    page.goto(evidence_site["stances"].replace("stances.html", "search.html"))
    results = page.locator("#search-results a.result-link")
    page.get_by_label("A cited work's stance").select_option(label="Contradicts")
    page.get_by_role("searchbox").fill("PrP")
    expect(results).to_have_count(1)
    expect(results.first).to_have_attribute("href", "claims/scifact-2.html")
    page.get_by_label("A cited work's stance").select_option(label="Supports")
    expect(page.locator("#search-status")).to_contain_text("No claim matches")
    page.get_by_label("A cited work's stance").select_option(label="Any stance")
    page.get_by_label("Contested").select_option(value="yes")
    page.get_by_role("searchbox").fill("endoplasmic reticulum stress")
    expect(results).to_have_count(2)
    assert "contested=yes" in page.url and "stance" not in page.url
