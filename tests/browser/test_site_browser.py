"""A clinician's journeys through the built site in headless Chromium.

Each journey that depends on how the site is reached runs twice, over http and from
file:// (the `base_url` fixture), because the site must work when opened from disk.
Expectations come from the seed kb itself, not from copies of its text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from evidencekb.model import Claim, KnowledgeBase
from fixtures import claims_citing

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Locator, Page

pytestmark = pytest.mark.browser

Expect = Callable[..., Any]
RESULTS = "#search-results a.result-link"


def crps_claims(kb: KnowledgeBase) -> list[Claim]:
    """The seed's two claims about complex regional pain syndrome: one names it with its
    abbreviation, the other spells it out ("complex regional pain syndromes")."""
    found = [
        claim
        for claim in kb.claims
        if "CRPS" in claim.text or "complex regional pain syndrome" in claim.text.lower()
    ]
    assert len(found) == 2, [claim.text for claim in found]
    return found


def search_results(page: Page, expect: Expect) -> Locator:
    """The result links, once the search has finished rendering them."""
    expect(page.locator("#search-results")).to_have_attribute("data-state", "done")
    return page.locator(RESULTS)


def search_from_home(page: Page, base_url: str, query: str) -> None:
    page.goto(base_url + "index.html")
    box = page.get_by_role("searchbox", name="Search the claims")
    box.fill(query)
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search\.html\?q="))


def test_search_crps_filter_and_follow_a_claim(
    page: Page, base_url: str, expect: Expect, seed_kb: KnowledgeBase
) -> None:
    expected = crps_claims(seed_kb)
    search_from_home(page, base_url, "CRPS")

    results = search_results(page, expect)
    expect(results).to_have_count(2)
    assert sorted(results.all_inner_texts()) == sorted(claim.text for claim in expected)
    expect(page.get_by_role("status")).to_contain_text("2 claims match")
    # The abbreviation is marked in one claim, the spelled-out synonym in the other.
    marked = " ".join(page.locator("#search-results mark").all_inner_texts())
    assert "CRPS" in marked
    assert "syndromes" in marked

    (research,) = [claim for claim in expected if claim.section == "research"]
    page.get_by_label("Section").select_option("research")
    results = search_results(page, expect)
    expect(results).to_have_count(1)
    expect(results).to_have_text(research.text)

    results.click()
    page.wait_for_url(re.compile(rf"/claims/{research.id}\.html$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(research.text)
    expect(page.locator(".verdict-panel")).to_contain_text(f"line {research.source_line}")


def test_search_filters_come_from_the_address(
    page: Page, base_url: str, expect: Expect, seed_kb: KnowledgeBase
) -> None:
    """A search address with filters (as the page writes it) can be bookmarked and shared."""
    (guideline,) = [claim for claim in crps_claims(seed_kb) if claim.section == "guidelines"]
    page.goto(base_url + "search.html?q=complex+regional+pain+syndrome&section=guidelines")
    expect(page.get_by_label("Section")).to_have_value("guidelines")
    results = search_results(page, expect)
    expect(results).to_have_count(1)
    expect(results).to_have_text(guideline.text)


def test_search_says_which_filters_of_the_address_it_did_not_apply(
    page: Page, base_url: str, expect: Expect
) -> None:
    """`ekb search --stance agrees` is an error; a page reached by such an address
    searched unfiltered and said nothing."""
    page.goto(base_url + "search.html?q=ketamine&stance=agrees&changed=2025&colour=red")
    expect(search_results(page, expect).first).to_be_visible()
    quoted = "\u201c\u2068{}\u2069\u201d".format
    expect(page.locator("#search-status")).to_contain_text(
        "Not applied, from the page\u2019s address: "
        f"stance {quoted('agrees')} (not one of its menu\u2019s); "
        f"changed {quoted('2025')} (no menu here: search for changed:2025); "
        f"colour {quoted('red')} (no such filter)."
    )
    expect(page.get_by_label("Stance")).to_have_value("")


def test_search_by_keyboard_alone(
    page: Page, base_url: str, expect: Expect, seed_kb: KnowledgeBase
) -> None:
    page.goto(base_url + "index.html")
    box = page.get_by_role("searchbox", name="Search the claims")
    for _ in range(20):
        page.keyboard.press("Tab")
        if box.evaluate("element => element === document.activeElement"):
            break
    else:
        pytest.fail("20 presses of Tab never reached the home page's search box")
    outline = box.evaluate("element => getComputedStyle(element).outlineStyle")
    assert outline != "none", "the focused search box shows no focus outline"

    page.keyboard.type("CRPS")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\.html\?q=CRPS"))
    results = search_results(page, expect)
    expect(results).to_have_count(2)

    search_box = page.get_by_role("searchbox")
    search_box.focus()
    page.keyboard.press("ArrowDown")
    expect(results.nth(0)).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(results.nth(1)).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(results.nth(0)).to_be_focused()
    first_text = results.nth(0).inner_text()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/claims/[^/]+\.html$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(first_text)
    assert any(claim.text == first_text for claim in crps_claims(seed_kb))


def test_typing_on_the_search_page_searches_as_you_type(
    page: Page, base_url: str, expect: Expect
) -> None:
    page.goto(base_url + "search.html")
    page.get_by_role("searchbox").press_sequentially("hallucinations", delay=20)
    results = search_results(page, expect)
    expect(results.first).to_contain_text("hallucinations")
    expect(page.locator("#search-results mark").first).to_have_text("hallucinations")


def shared_reference(kb: KnowledgeBase) -> tuple[Claim, int, Claim]:
    """A claim, a reference it cites, and another claim citing the same reference."""
    for topic in kb.topics:
        for claim in topic.claims:
            for number in claim.citations:
                others = [c for c in claims_citing(topic, number) if c.id != claim.id]
                if others:
                    return claim, number, others[0]
    raise AssertionError("the seed has no reference cited by two claims")


def test_claim_strength_reference_and_its_other_claims(
    page: Page, base_url: str, expect: Expect, seed_kb: KnowledgeBase
) -> None:
    """Home → topic → claim → what its strength means → a reference it cites →
    another claim citing that reference."""
    claim, number, other = shared_reference(seed_kb)
    topic = seed_kb.topic(claim.topic)
    level = seed_kb.strength.level(claim.strength)

    page.goto(base_url + "index.html")
    page.get_by_role("link", name=topic.title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(topic.title)
    page.locator(f"[id='{claim.id}'] a.details-link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(claim.text)

    page.locator(".facts a.badge").click()
    page.wait_for_url(re.compile(rf"/strength\.html#{re.escape(level.label)}$"))
    legend = page.locator(f"section[id='{level.label}']")
    expect(legend).to_contain_text(level.definition)
    expect(legend).to_be_in_viewport()
    page.go_back()

    page.get_by_role("link", name=f"Reference {number}", exact=True).first.click()
    page.wait_for_url(re.compile(rf"/topics/{topic.slug}/references/{number}\.html$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Reference {number}")
    citing = page.locator("a.claim-link")
    expect(citing).to_have_count(len(claims_citing(topic, number)))
    page.get_by_role("link", name=other.text, exact=True).click()
    page.wait_for_url(re.compile(rf"/claims/{other.id}\.html$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(other.text)
    expect(page.locator(".evidence-list")).to_contain_text(f"Reference {number}")


def test_pages_work_without_javascript_and_search_says_it_needs_it(
    browser: Browser, base_url: str, expect: Expect, seed_kb: KnowledgeBase
) -> None:
    context: BrowserContext = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        claim = seed_kb.claims[0]
        topic = seed_kb.topic(claim.topic)
        page.goto(base_url + "index.html")
        page.get_by_role("link", name=topic.title, exact=True).click()
        page.locator(f"[id='{claim.id}'] a.details-link").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(claim.text)
        page.goto(base_url + "search.html?q=CRPS")
        # innerText is what is rendered: the <noscript> message shows only without scripts.
        # (Playwright's text assertions skip <noscript> content, so read it directly.)
        assert "needs JavaScript" in page.locator("#search-status").inner_text()
    finally:
        context.close()


def assert_inert(page: Page, expect: Expect) -> None:
    """None of the hostile markup became an element, and none of its script ran."""
    injected = page.locator("main img, main script, main i, #injected, #search-results b")
    expect(injected).to_have_count(0)
    assert page.evaluate("window.__hostile") is None, f"hostile markup ran on {page.url}"


def test_hostile_text_is_shown_as_text_and_never_run(
    page: Page, hostile_site: tuple[Any, KnowledgeBase], hostile_base: str, expect: Expect
) -> None:
    """Claim text and a topic title full of markup, through the pages and through the
    search results that search.js builds in the browser."""
    topic = hostile_site[1].topic("hostile")
    page.goto(hostile_base + "search.html?q=CRPS&topic=hostile")
    results = search_results(page, expect)
    expect(results).to_have_count(len(topic.claims))
    assert sorted(results.all_inner_texts()) == sorted(claim.text for claim in topic.claims)
    expect(page.locator("#search-results .result-meta").first).to_contain_text(topic.title)
    assert_inert(page, expect)

    page.goto(hostile_base + "index.html")
    assert_inert(page, expect)
    page.get_by_role("link", name=topic.title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(topic.title)
    assert_inert(page, expect)
    for claim in topic.claims:
        page.goto(hostile_base + f"claims/{claim.id}.html")
        expect(page.get_by_role("heading", level=1)).to_have_text(claim.text)
        assert_inert(page, expect)


def test_a_printed_topic_keeps_the_claims_and_drops_the_navigation(
    page: Page, http_base: str, expect: Expect, seed_kb: KnowledgeBase
) -> None:
    topic = seed_kb.topics[0]
    page.goto(http_base + f"topics/{topic.slug}/index.html")
    page.emulate_media(media="print")
    for chrome in (".site-header", ".site-nav", ".skip-link", ".toc"):
        expect(page.locator(chrome)).to_be_hidden()
    for claim in topic.claims:
        expect(page.locator(f"[id='{claim.id}']")).to_be_visible()
        expect(page.locator(f"[id='{claim.id}'] .verdict")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(topic.title)
    assert page.pdf(format="A4")[:5] == b"%PDF-"


def test_the_first_tab_shows_a_skip_link_to_the_content(
    page: Page, http_base: str, expect: Expect, seed_kb: KnowledgeBase
) -> None:
    claim = seed_kb.claims[0]
    page.goto(http_base + f"claims/{claim.id}.html")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.closest('main') !== null")
    assert focused, "Tab after the skip link left the main content"


def test_the_search_boxs_focus_ring_is_not_an_error_red(page: Page, base_url: str) -> None:
    """A red ring reads as 'this input is wrong'; the site's focus ring is blue."""
    page.goto(base_url + "search.html")
    box = page.get_by_role("searchbox")
    box.focus()
    color = box.evaluate("element => getComputedStyle(element).outlineColor")
    red, green, blue = (int(part) for part in re.findall(r"\d+", color)[:3])
    assert blue > red and blue > green, color
