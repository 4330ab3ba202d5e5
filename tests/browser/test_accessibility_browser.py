"""Every page type checked by axe-core in headless Chromium, at desktop and phone widths.

Issue 4's bar is zero axe-core violations on every page type (WCAG 2.1 AA among its
rules). axe-core is injected from node_modules/ (installed by `npm ci` from the
repository's package-lock.json), never shipped with the site.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from evidencekb.model import KnowledgeBase
from evidencekb.paths import listing_page
from evidencekb.site.render import (
    TEMPLATES_DIR,
    category_href,
    claim_href,
    entity_href,
    reference_href,
    source_href,
    topic_href,
)
from evidencekb.site.serve import serving
from fixtures import HOSTILE, build, claims_citing, long_kb, sample_kb

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

Expect = Callable[..., Any]
PHONE = {"width": 390, "height": 844}  # a common phone: what its first screen shows is tested
NARROWEST = 320  # WCAG 1.4.10 Reflow: no sideways scrolling at 320 CSS pixels


def page_types(kb: KnowledgeBase) -> dict[str, str]:
    """One address per page type, each picked from the seed so it has content."""
    topic = kb.topics[0]
    claim = max(topic.claims, key=lambda c: (len(c.citations) + len(c.entities), -c.position))
    cited = claims_citing(topic, claim.citations[0]) if claim.citations else ()
    entity = next(term for term in kb.entities if any(term.id in c.entities for c in kb.claims))
    category = next(t for t in kb.categories if any(t.id in c.categories for c in kb.claims))
    assert cited, "the chosen claim cites no reference"
    return {
        "home": "index.html",
        "topic": topic_href(topic.slug),
        "claim": claim_href(claim),
        "reference": reference_href(topic.slug, claim.citations[0]),
        "source": source_href(topic.slug),
        "entity index": "entities/index.html",
        "entity": entity_href(entity.id),
        "category index": "categories/index.html",
        "category": category_href(category.id),
        "strength": "strength.html",
        "about": "about.html",
        "downloads": "downloads.html",
        "search, empty": "search.html",
        "search with results": "search.html?q=CRPS",
        "stances": "stances.html",
        "what's new": "changes.html",
    }


PAGE_TYPES = [
    "home",
    "topic",
    "claim",
    "reference",
    "source",
    "entity index",
    "entity",
    "category index",
    "category",
    "strength",
    "about",
    "downloads",
    "search, empty",
    "search with results",
    "stances",
    "what's new",
]


def open_page(page: Page, url: str, expect: Expect) -> None:
    page.goto(url)
    if "search.html" in url:
        # Check the page as a visitor sees it once the search has run.
        expect(page.locator("#search-results")).to_have_attribute("data-state", "done")
        if "?q=" in url:
            expect(page.locator("#search-results a.result-link").first).to_be_visible()


@pytest.mark.parametrize("kind", PAGE_TYPES)
def test_no_axe_violations(
    page: Page,
    http_base: str,
    expect: Expect,
    seed_kb: KnowledgeBase,
    assert_accessible: Callable[[Page, str], None],
    kind: str,
) -> None:
    open_page(page, http_base + page_types(seed_kb)[kind], expect)
    assert_accessible(page, f"the {kind} page")
    page.set_viewport_size(PHONE)
    assert_accessible(page, f"the {kind} page at phone width")


@pytest.mark.parametrize("kind", PAGE_TYPES)
def test_reflows_without_sideways_scrolling(
    page: Page, http_base: str, expect: Expect, seed_kb: KnowledgeBase, kind: str
) -> None:
    page.set_viewport_size({"width": NARROWEST, "height": 640})
    open_page(page, http_base + page_types(seed_kb)[kind], expect)
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the {kind} page scrolls sideways by {overflow}px at {NARROWEST}px"


# A word wider than any line (a security-test string: a kb may hold a gene name, an
# address or a paste gone wrong), and widths from a phone's to a desktop's.
LONG_WORD = "Supercalifragilistic" + "x" * 300
REFLOW_WIDTHS = (NARROWEST, 800, 1280)


@pytest.fixture(scope="module")
def long_word_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample kb with LONG_WORD in its hostile text (a claim, an entity's label, the
    overview, the summary), a topic's title, a table of its overview, and a strength
    the source states, whose basis the claim page quotes."""
    kb = sample_kb(f"{HOSTILE} {LONG_WORD}")
    topic = kb.topics[0]
    stated = next(claim for claim in topic.claims if claim.strength_method == "stated")
    words = f"the evidence is weak and stated at length {LONG_WORD}"
    claims = tuple(
        replace(claim, text=f"{claim.text} {words}.", strength_basis=words)
        if claim is stated
        else claim
        for claim in topic.claims
    )
    topic = replace(
        topic,
        title=f"{topic.title} {LONG_WORD}",
        overview_md=f"{topic.overview_md}\n| word | n |\n|---|---|\n| {LONG_WORD} | 1 |\n",
        claims=claims,
    )
    kb = replace(kb, topics=(topic, *kb.topics[1:]))
    return build(kb, tmp_path_factory.mktemp("long-word") / "site")


def test_a_word_wider_than_a_line_never_scrolls_a_page_sideways(
    page: Page, long_word_site: Path
) -> None:
    """Every page, at every width: a long word wraps inside its box (breadcrumbs, table
    cells, the claim page's quoted strength basis) rather than widening the page."""
    pages = sorted(
        path.relative_to(long_word_site).as_posix() for path in long_word_site.rglob("*.html")
    )
    scrolling = []
    with serving(long_word_site) as base:
        for width in REFLOW_WIDTHS:
            page.set_viewport_size({"width": width, "height": 640})
            for path in pages:
                page.goto(base + path)
                overflow = page.evaluate(
                    "() => document.documentElement.scrollWidth"
                    " - document.documentElement.clientWidth"
                )
                if overflow > 0:
                    scrolling.append(f"{path} at {width}px: {overflow}px")
    assert not scrolling, "pages scroll sideways: " + "; ".join(scrolling)


# Right-to-left words as a claim's text (a security-test string: "security test" in
# Arabic); the claim cites two works.
RTL_WORDS = "اختبار أمان"


@pytest.fixture(scope="module")
def rtl_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    kb = sample_kb()
    topic = kb.topics[0]
    claims = tuple(
        replace(claim, text=RTL_WORDS) if len(claim.citations) == 2 else claim
        for claim in topic.claims
    )
    kb = replace(kb, topics=(replace(topic, claims=claims), *kb.topics[1:]))
    with serving(build(kb, tmp_path_factory.mktemp("rtl") / "site")) as base:
        yield base


# Where the claim's words and its citation links stand on the line, left to right.
_PLACES = """claim => {
  const walker = document.createTreeWalker(claim, NodeFilter.SHOW_TEXT);
  while (walker.nextNode() && !walker.currentNode.data.includes(%r)) {}
  const words = document.createRange();
  words.selectNodeContents(walker.currentNode);
  const box = words.getBoundingClientRect();
  const links = [...claim.querySelectorAll('.citations a')];
  return {words: [box.left, box.right], links: links.map(a => a.getBoundingClientRect().left)};
}"""


def test_right_to_left_words_keep_their_citations_after_them(page: Page, rtl_base: str) -> None:
    """In a left-to-right page, numbers after right-to-left words joined their run:
    "1, 2" showed left of the words and read "2 ,1". The words are isolated (<bdi>),
    so the citations stand after them in their own order."""
    page.goto(rtl_base + topic_href("ketamine-pain"))
    claim = page.locator("li.claim", has_text=RTL_WORDS)
    places = claim.evaluate(_PLACES % RTL_WORDS)
    links = places["links"]
    assert len(links) == 2 and places["words"][1] <= links[0] < links[1], places


def test_page_types_cover_every_page_template(seed_kb: KnowledgeBase) -> None:
    """A new template must get a page type here (and so an axe-core check)."""
    templates = {path.stem for path in TEMPLATES_DIR.glob("*.html")} - {"base"}
    covered = {
        "home",
        "topic",
        "claim",
        "reference",
        "source",
        "entities",
        "entity",
        "categories",
        "category",
        "strength",
        "about",
        "downloads",
        "search",
        "contested",  # the seed contests nothing: test_evidence_browser.py checks it
        "stances",
        "changes",
    }
    assert templates == covered
    assert set(page_types(seed_kb)) == set(PAGE_TYPES)


@pytest.fixture(scope="module")
def long_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A site whose topic, entity and category listings run to several pages."""
    site = build(long_kb(), tmp_path_factory.mktemp("long") / "site")
    with serving(site) as base:
        yield base


LISTING_PAGES = {
    "topic, page 1": listing_page(topic_href("scifact-part-1"), 1),
    "topic, page 2": listing_page(topic_href("scifact-part-1"), 2),
    "topic, last page": listing_page(topic_href("scifact-part-2"), 3),
    "entity, page 2": listing_page(entity_href("cell"), 2),
    "category, page 2": listing_page(category_href("cell-biology"), 2),
}


@pytest.mark.parametrize("kind", list(LISTING_PAGES))
def test_pages_of_long_listings_have_no_axe_violations(
    page: Page,
    long_base: str,
    assert_accessible_at_all_widths: Callable[[Page, str], None],
    kind: str,
) -> None:
    page.goto(long_base + LISTING_PAGES[kind])
    assert page.locator("nav.pagination [aria-current=page]").count() == 1
    assert_accessible_at_all_widths(page, f"the {kind} page")


# Whether the focused element draws a focus indicator (WCAG 2.4.7 Focus Visible).
_FOCUS_SHOWN = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  return {
    shown: outline || style.boxShadow !== 'none',
    what: element.outerHTML.slice(0, 120),
  };
}"""


@pytest.mark.parametrize("kind", ["home", "topic", "claim", "search with results"])
def test_every_focus_stop_is_visible(
    page: Page, http_base: str, expect: Expect, seed_kb: KnowledgeBase, kind: str
) -> None:
    open_page(page, http_base + page_types(seed_kb)[kind], expect)
    for _ in range(40):  # the first 40 stops cover header, navigation and the content
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement === document.body"):
            break  # wrapped past the last stop
        focus = page.evaluate(_FOCUS_SHOWN)
        assert focus["shown"], f"no visible focus on the {kind} page at {focus['what']}"
