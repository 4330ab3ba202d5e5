"""Long listings in pages, and claim pages that list a bounded number of related claims.

The site of `long_kb` (518 real SciFact sentences in two topics, 117 of them naming
cells) has topics of three pages and an entity and a category of two; its pages are
parsed here as HTML, and crawled from the home page to prove every claim stays within
three clicks.
"""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup

from evidencekb.model import Claim, KnowledgeBase
from evidencekb.paths import listing_page
from evidencekb.reuse import Earlier, write_manifest
from evidencekb.site.context import RELATED_LIMIT, SiteLookups
from evidencekb.site.listing import PAGE_CLAIMS, paginate
from evidencekb.site.render import (
    category_href,
    claim_href,
    entity_href,
    reference_href,
    topic_href,
)
from fixtures import build, claims_citing, long_kb, make_claim, sample_kb, write_site


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return long_kb()


@pytest.fixture(scope="module")
def site(kb: KnowledgeBase, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(kb, tmp_path_factory.mktemp("long") / "site")


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def resolve(page: Path, href: str) -> Path | None:
    """The local file a link opens; None for another host or an anchor on the page."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path:
        return None
    return (page.parent / parts.path).resolve()


def claim_ids(html: BeautifulSoup, selector: str) -> list[str]:
    return [a["href"].rsplit("/", 1)[1].removesuffix(".html") for a in html.select(selector)]


# Paging without a site: pure functions of the claims.


def test_page_n_of_a_listing_sits_in_the_folder_its_first_page_names() -> None:
    assert listing_page("topics/x/index.html", 1) == "topics/x/index.html"
    assert listing_page("topics/x/index.html", 2) == "topics/x/page-2.html"
    assert listing_page("entities/crps.html", 1) == "entities/crps.html"
    assert listing_page("entities/crps.html", 12) == "entities/crps/page-12.html"
    assert listing_page("categories/a.b.html", 3) == "categories/a.b/page-3.html"


def _claims(runs: list[int]) -> list[Claim]:
    """Claims under consecutive headings, `runs[i]` of them under heading i."""
    claims: list[Claim] = []
    for heading, size in enumerate(runs):
        for _ in range(size):
            claims.append(make_claim("t", len(claims) + 1, "research", f"H{heading}", "Text."))
    return claims


def _heading(claim: Claim) -> str | None:
    return claim.heading


def test_pages_keep_a_heading_together_unless_it_is_longer_than_a_page() -> None:
    claims = _claims([60, 30, 20, 250, 5])
    pages = paginate(claims, _heading)
    # H3 is cut into full pages; H4 fits after its last part.
    assert [len(page) for page in pages] == [90, 20, 100, 100, 55]
    assert [claim for page in pages for claim in page] == claims  # order kept, none lost
    assert {claim.heading for claim in pages[1]} == {"H2"}  # H2 did not fit after H0, H1
    assert all(len(page) <= PAGE_CLAIMS for page in pages)


def test_a_listing_without_claims_still_has_its_first_page() -> None:
    assert paginate([], _heading) == ((),)
    assert len(paginate(_claims([PAGE_CLAIMS]), _heading)) == 1


def test_short_listings_have_one_page_and_no_page_navigation(tmp_path: Path) -> None:
    site = build(sample_kb(), tmp_path / "site")
    for page in ("topics/ketamine-pain/index.html", "entities/crps.html", "categories/dosing.html"):
        assert not soup(site / page).select("nav.pagination"), page
    assert not list(site.rglob("page-*.html"))


# The long site.


def test_a_long_topic_is_cut_into_pages_in_its_order(site: Path, kb: KnowledgeBase) -> None:
    lookups = SiteLookups.build(kb)
    for topic in kb.topics:
        count = len(lookups.topic_pages[topic.slug])
        assert count == 3
        shown: list[str] = []
        for number in range(1, count + 1):
            path = site / listing_page(topic_href(topic.slug), number)
            html = soup(path)
            ids = claim_ids(html, "a.details-link")
            assert 0 < len(ids) <= PAGE_CLAIMS
            shown += ids
            assert html.h1.get_text() == topic.title
            assert html.title.get_text().startswith(f"{topic.title}, page {number} of 3")
            # The list of references stays on the first page; the others link to it.
            assert bool(html.select("#references")) == (number == 1)
            toc = {a.get_text(" ", strip=True): a["href"] for a in html.select("nav.toc a")}
            if number == 1:
                assert toc.pop("References") == "#references"
            else:
                href = toc.pop("References (on page 1)")
                assert href == f"../../{topic_href(topic.slug)}#references"
            assert toc.pop("Pages") == "#pages"
        assert shown == [claim.id for claim in topic.claims]
    assert not (site / listing_page(topic_href(kb.topics[0].slug), 4)).exists()


def test_page_navigation_links_every_page_with_prev_next_and_current(
    site: Path, kb: KnowledgeBase
) -> None:
    first = topic_href(kb.topics[0].slug)
    for number in (1, 2, 3):
        path = site / listing_page(first, number)
        html = soup(path)
        (nav,) = html.select("nav.pagination")
        assert nav["aria-label"] == f"Pages of the claims of {kb.topics[0].title}"
        targets = {a.get_text(" ", strip=True): resolve(path, a["href"]) for a in nav.select("a")}
        for n in (1, 2, 3):
            assert targets[f"Page {n}"] == (site / listing_page(first, n)).resolve()
        current = nav.select('a[aria-current="page"]')
        assert [a.get_text(" ", strip=True) for a in current] == [f"Page {number}"]
        prev, next_ = nav.select('a[rel="prev"]'), nav.select('a[rel="next"]')
        assert [resolve(path, a["href"]) for a in prev] == (
            [(site / listing_page(first, number - 1)).resolve()] if number > 1 else []
        )
        assert [resolve(path, a["href"]) for a in next_] == (
            [(site / listing_page(first, number + 1)).resolve()] if number < 3 else []
        )
        crumbs = [a.get_text() for a in html.select("nav.breadcrumbs a")]
        assert crumbs == (["Topics"] if number == 1 else ["Topics", kb.topics[0].title])


def test_entity_and_category_pages_come_in_pages_too(site: Path, kb: KnowledgeBase) -> None:
    naming = [claim.id for claim in kb.claims if "cell" in claim.entities]
    assert len(naming) == 117
    for first, heading in ((entity_href("cell"), "117 claims mention it"),
                           (category_href("cell-biology"), "117 claims")):  # fmt: skip
        pages = [soup(site / listing_page(first, n)) for n in (1, 2)]
        listed = [i for html in pages for i in claim_ids(html, "a.claim-link")]
        assert listed == naming
        for number, html in enumerate(pages, start=1):
            assert html.h2.get_text(" ", strip=True) == f"{heading} page {number} of 2"
            assert (
                html.select_one('nav.pagination a[aria-current="page"]').get_text(" ", strip=True)
                == f"Page {number}"
            )
        assert not (site / listing_page(first, 3)).exists()


def test_a_claim_links_to_the_page_of_its_topic_that_holds_it(
    site: Path, kb: KnowledgeBase
) -> None:
    lookups = SiteLookups.build(kb)
    topic = kb.topics[0]
    for claim in (lookups.topic_pages[topic.slug][0][0], lookups.topic_pages[topic.slug][2][-1]):
        page = site / claim_href(claim)
        link = soup(page).find("dt", string="Listed in").find_next_sibling("dd").select("a")[-1]
        target = resolve(page, link["href"])
        assert target is not None and link["href"].endswith(f"#{claim.id}")
        assert soup(target).find(id=claim.id) is not None


def test_a_claim_page_lists_a_few_related_claims_and_links_to_all(
    site: Path, kb: KnowledgeBase
) -> None:
    lookups = SiteLookups.build(kb)
    topic = kb.topics[0]
    claim = next(c for c in topic.claims if len(claims_citing(topic, c.citations[0])) > 5)
    number = claim.citations[0]
    others = [c.id for c in claims_citing(topic, number) if c.id != claim.id]
    page = site / claim_href(claim)
    html = soup(page)
    heading = html.select_one("h3.related-heading")
    assert heading.get_text(" ", strip=True) == f"Also citing reference {number}"
    listed = claim_ids(heading.find_next_sibling("ul"), "a.claim-link")
    assert listed == others[:RELATED_LIMIT]  # the first ones, in kb order
    more = heading.find_next_sibling("p", class_="more")
    assert more.get_text(" ", strip=True) == (
        f"See all {len(others)} other claims citing reference {number} ."
    )
    rest = resolve(page, more.a["href"])
    assert rest == (site / reference_href(topic.slug, number)).resolve()
    assert claim_ids(soup(rest), "a.claim-link") == [claim.id, *others]  # all, there
    # Claims under the same heading as this one do not repeat it.
    assert not heading.find_next_sibling("ul").select(".meta-part")
    for other in kb.claims:  # no claim page lists more than the bound per group, nor twice
        listed = [c.id for group in lookups.related(other) for c in group.claims]
        assert all(len(group.claims) <= RELATED_LIMIT for group in lookups.related(other))
        assert len(listed) == len(set(listed)) and other.id not in listed


def test_every_claim_is_within_three_clicks_of_the_home_page(site: Path, kb: KnowledgeBase) -> None:
    """Breadth-first over the links of the built pages, from index.html."""
    home = (site / "index.html").resolve()
    depth = {home: 0}
    queue = deque([home])
    while queue:
        page = queue.popleft()
        if depth[page] == 3 or page.suffix != ".html":
            continue
        for tag in soup(page).find_all("a", href=True):
            target = resolve(page, tag["href"])
            if target is not None and target.is_file() and target not in depth:
                depth[target] = depth[page] + 1
                queue.append(target)
    claims = {(site / claim_href(claim)).resolve() for claim in kb.claims}
    assert len(claims) == 518 == len(list((site / "claims").iterdir()))
    far = sorted(path.name for path in claims if path not in depth)
    assert not far, f"{len(far)} claims are more than 3 clicks from home, e.g. {far[:3]}"
    # The crawl did need the later pages: some claims are exactly three clicks away.
    last_page = (site / listing_page(topic_href(kb.topics[0].slug), 3)).resolve()
    assert depth[last_page] == 2
    assert max(depth[path] for path in claims) == 3


def test_the_long_site_renders_the_same_bytes_twice(kb: KnowledgeBase, tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    for out in (one, two):
        build(kb, out)
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file())
    assert all((one / f).read_bytes() == (two / f).read_bytes() for f in files)


def test_an_edit_rewrites_the_claim_pages_in_other_topics_that_list_the_claim(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    """A claim page's related claims may stand in other topics; its key has what it reads
    of them (pagekeys.py: the first claims mentioning each of its entities, and how many
    there are). An edit to one of those rewrites the page; an edit further down the
    entity's claims keeps it. Either way the pages are those a full build writes."""
    cells = SiteLookups.build(kb).by_entity["cell"]
    listed, unlisted = cells[0], cells[RELATED_LIMIT + 1]
    reader = next(claim for claim in cells if claim.topic != listed.topic)
    assert unlisted.topic == listed.topic and cells.index(reader) > RELATED_LIMIT
    for edited, rewritten in ((listed, True), (unlisted, False)):
        new_kb = changed(kb, edited, text=edited.text.removesuffix(".") + ", as reported.")
        pages = rewritten_and_kept(kb, new_kb, tmp_path / edited.id)
        assert (claim_href(reader) in pages) is rewritten


def changed(kb: KnowledgeBase, claim: Claim, **fields: Any) -> KnowledgeBase:
    """`kb` with `claim`'s `fields` changed."""
    topics = tuple(
        replace(
            topic,
            claims=tuple(replace(c, **fields) if c == claim else c for c in topic.claims),
        )
        for topic in kb.topics
    )
    return replace(kb, topics=topics)


def rewritten_and_kept(kb: KnowledgeBase, new_kb: KnowledgeBase, tmp_path: Path) -> set[str]:
    """The pages an incremental build of `new_kb` over `kb`'s site rewrites, having
    checked that it writes what a full build of `new_kb` does."""
    earlier, full, incremental = (tmp_path / name for name in ("earlier", "full", "kept"))
    for out in (earlier, full, incremental):
        out.mkdir(parents=True)
    write_manifest(earlier, write_site(kb, earlier), "", 0)
    write_site(new_kb, full)
    write_site(new_kb, incremental, earlier=Earlier.read(earlier, kb_digest=""))
    assert page_files(incremental) == page_files(full)
    return {
        str(path.relative_to(incremental))
        for path in incremental.rglob("*.html")
        if path.stat().st_ino != (earlier / path.relative_to(incremental)).stat().st_ino
    }


def test_an_entitys_claim_count_is_in_the_claim_pages_key(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    """A claim page says how many claims mention each of its entities ("see all N"):
    a claim far down an entity's claims that stops mentioning it rewrites the pages of
    that entity's claims in other topics too."""
    cells = SiteLookups.build(kb).by_entity["cell"]
    dropped = cells[-1]
    assert cells.index(dropped) > RELATED_LIMIT
    reader = next(claim for claim in cells if claim.topic != dropped.topic)
    entities = tuple(entity for entity in dropped.entities if entity != "cell")
    assert claim_href(reader) in rewritten_and_kept(
        kb, changed(kb, dropped, entities=entities), tmp_path
    )


def page_files(site: Path) -> dict[str, bytes]:
    return {str(path.relative_to(site)): path.read_bytes() for path in site.rglob("*.html")}
