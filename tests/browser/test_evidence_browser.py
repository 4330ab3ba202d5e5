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

PHONE = {"width": 390, "height": 844}  # a common phone: what its first screen shows is tested
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


DESKTOP = {"width": 1280, "height": 800}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_contradicted_claim_says_so_in_its_first_screen(
    page: Page, evidence_site: dict[str, str], expect: Callable[..., Any], viewport: dict[str, int]
) -> None:
    """SciFact's annotators say abstract 13734012 contradicts claim 2: its page says so
    right under the claim, before its strength, without scrolling."""
    page.set_viewport_size(viewport)
    page.goto(evidence_site["claim with a quotation"])
    finding = page.locator(".verdict-panel .finding").first
    expect(finding).to_have_text("⚠ Cited work contradicts")
    strength = page.locator(".verdict-panel dt", has_text="Evidence strength")
    source = page.locator(".verdict-panel dt", has_text="From")
    for part in (finding, strength, source):
        box = part.bounding_box()
        assert box and box["y"] + box["height"] <= viewport["height"], part
    finding_box, strength_box = finding.bounding_box(), strength.bounding_box()
    assert finding_box and strength_box and finding_box["y"] < strength_box["y"]


def test_a_phone_shows_the_first_result_and_its_verdict_in_its_first_screen(
    page: Page, evidence_site: dict[str, str], expect: Callable[..., Any]
) -> None:
    page.set_viewport_size(PHONE)
    search = evidence_site["stances"].replace("stances.html", "search.html")
    page.goto(search + "?q=PrP&stance=contradicts")
    first = page.locator("#search-results li").first
    expect(first.locator(".finding")).to_have_text("⚠ Cited work contradicts")
    expect(first.locator("a.result-link")).to_be_in_viewport(ratio=1)
    # The filters fold away, their summary naming those in force.
    fold = page.locator("#search-filters")
    assert not fold.evaluate("element => element.open")
    expect(fold.locator("summary")).to_contain_text(
        "1 in force: A cited work's stance: Contradicts"
    )
    fold.locator("summary").click()
    expect(page.get_by_label("A cited work's stance")).to_be_visible()
    page.set_viewport_size(DESKTOP)
    page.goto(search)
    assert fold.evaluate("element => element.open")  # open at first on a wide screen


def test_a_claim_copied_from_its_heading_is_its_words_alone(
    page: Page, evidence_site: dict[str, str]
) -> None:
    """A screen reader hears a contradicted claim's finding first (EvidenceIndex.named);
    a copy of the heading took that hidden text too, glued to the claim's words."""
    page.goto(evidence_site["claim with a quotation"])
    heading = page.locator("h1.claim-title")
    assert heading.locator(".spoken-finding").count() == 1
    copied = heading.evaluate(
        "h => { const s = getSelection(); s.selectAllChildren(h); return s.toString(); }"
    )
    assert copied == "1 in 5 million in UK have abnormal PrP positivity."
    assert page.get_by_role("heading", level=1).first.get_attribute("class") == "claim-title"
