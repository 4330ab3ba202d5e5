"""The static site as HTML: structure, links, reachability, escaping, determinism.

The knowledge base is built here from the model's dataclasses, so these tests do not
depend on kb/ or the loader; one test renders the repository's own kb/ as well.
"""

from __future__ import annotations

import json
import re
from collections import deque
from pathlib import Path
from urllib.parse import unquote, urlsplit

import html5lib
import pytest
from bs4 import BeautifulSoup

from evidencekb.errors import KBError
from evidencekb.kb.claims import TOPIC_PAGE_ANCHORS
from evidencekb.model import (
    Claim,
    KnowledgeBase,
    Topic,
)
from evidencekb.paths import DATABASE_NAME, DATASETTE_METADATA_NAME, EXPORT_NAME
from evidencekb.registry import CONTESTED_CHOICES, STUDY_DESIGNS, filters
from evidencekb.site.context import SiteLookups
from evidencekb.site.evidence import EvidenceIndex
from evidencekb.site.listing import PAGE_CLAIMS
from evidencekb.site.render import Renderer, _downloads, _environment
from fixtures import HOSTILE_MARKERS, REPO_KB, build, sample_kb, write_site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(sample_kb(), tmp_path_factory.mktemp("site") / "site")


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html5lib")


def local_target(page: Path, href: str) -> tuple[Path, str] | None:
    """The file and fragment a relative link points at; None for other hosts."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc:
        return None
    target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
    return target, unquote(parts.fragment)


def test_every_page_is_valid_html5_without_parse_errors(site: Path) -> None:
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    for page in pages(site):
        parser.parse(page.read_bytes())  # strict: raises on the first parse error
        assert not parser.errors, (page, parser.errors)
        html = soup(page)
        assert html.html["lang"] == "en"
        assert html.find("main", id="main"), page
        assert html.find("a", class_="skip-link")["href"] == "#main"
        assert html.find("meta", attrs={"name": "viewport"})
        assert html.title.get_text().strip()
        assert len(html.find_all("h1")) == 1, page


def test_every_internal_link_and_anchor_resolves(site: Path) -> None:
    ids: dict[Path, set[str]] = {}
    checked = 0
    for page in pages(site):
        html = soup(page)
        for element, attribute in (("a", "href"), ("link", "href"), ("script", "src")):
            for tag in html.find_all(element, attrs={attribute: True}):
                value = tag[attribute]
                target = local_target(page, value)
                if target is None:
                    inline = value.startswith("data:")  # the empty favicon: no request
                    assert tag.name == "a" or inline, f"{page}: loads {value} from another host"
                    continue
                path, fragment = target
                assert not value.endswith("/"), f"{page}: links to a folder: {value}"
                assert path.is_file(), f"{page}: broken link {value}"
                assert site.resolve() in path.parents, f"{page}: {value} leaves the site"
                if fragment and path.suffix == ".html":
                    if path not in ids:
                        ids[path] = {t["id"] for t in soup(path).find_all(id=True)}
                    assert fragment in ids[path], f"{page}: no #{fragment} in {path}"
                checked += 1
    assert checked > 200


def test_nothing_is_requested_from_another_host(site: Path) -> None:
    for page in pages(site):
        html = soup(page)
        for tag in html.find_all(["script", "link", "img", "iframe", "source", "style"]):
            for attribute in ("src", "href"):
                value = tag.get(attribute)
                assert value is None or not urlsplit(value).netloc, (page, value)
                assert value is None or not value.startswith("//"), (page, value)
    css = (site / "static" / "style.css").read_text(encoding="utf-8")
    assert "url(" not in css and "@import" not in css


def clicks_from_home(site: Path, most: int | None = None) -> dict[Path, int]:
    """Each page a chain of links from the home page leads to (of at most `most`
    clicks), with its fewest clicks."""
    home = (site / "index.html").resolve()
    depth = {home: 0}
    queue = deque([home])
    while queue:
        page = queue.popleft()
        if depth[page] == most:
            continue
        for tag in soup(page).find_all("a", href=True):
            target = local_target(page, tag["href"])
            if target and target[0].suffix == ".html" and target[0] not in depth:
                depth[target[0]] = depth[page] + 1
                queue.append(target[0])
    return depth


def test_every_claim_is_reachable_from_home_within_three_clicks(site: Path) -> None:
    depth = clicks_from_home(site, most=3)
    claims = sorted((site / "claims").glob("*.html"))
    assert len(claims) == 6
    for claim in claims:
        assert claim.resolve() in depth, f"{claim.name} is more than 3 clicks from home"


def unreachable(site: Path) -> list[str]:
    """The pages no chain of links from the home page leads to."""
    seen = clicks_from_home(site)
    return [page.relative_to(site).as_posix() for page in pages(site) if page.resolve() not in seen]


def test_every_page_is_reachable_from_home(site: Path) -> None:
    # A topic without contested claims (opioids-pain) has no contested page: nothing
    # links one, and it said only "none contested".
    assert unreachable(site) == []
    assert not (site / "topics" / "opioids-pain" / "contested.html").exists()


def test_hostile_text_is_escaped_on_every_page(site: Path) -> None:
    seen_as_text = 0
    for page in pages(site):
        raw = page.read_text(encoding="utf-8")
        for marker in HOSTILE_MARKERS:
            assert marker not in raw, f"{page}: unescaped {marker!r}"
        html = soup(page)
        assert not html.find("img"), page
        for script in html.find_all("script"):
            if script.get("type") == "application/ld+json":  # data, never run
                assert "<" not in script.string and json.loads(script.string), page
            else:
                assert script.get("src") and not script.string, page
        assert not any(tag.attrs.get("onerror") for tag in html.find_all(True))
        if "<script>alert(1)</script>" in html.get_text():
            seen_as_text += 1
    # shown, as text, on its claim page, topic page, reference page, entity page...
    assert seen_as_text >= 4


def test_markdown_prose_cannot_inject_html_or_script_links(site: Path) -> None:
    strength = (site / "strength.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in strength
    assert "javascript:" not in strength
    topic = soup(site / "topics" / "ketamine-pain" / "index.html")
    overview = topic.find(id="overview")  # under Provenance: `ekb import` starts it
    assert overview.find("strong").get_text() == "bold"
    assert overview.find("table")
    assert "<script>alert(1)</script>" in overview.get_text()


def test_two_renders_are_byte_identical(tmp_path: Path) -> None:
    first = build(sample_kb(), tmp_path / "one")
    second = build(sample_kb(), tmp_path / "two")
    files_one = {p.relative_to(first): p.read_bytes() for p in first.rglob("*") if p.is_file()}
    files_two = {p.relative_to(second): p.read_bytes() for p in second.rglob("*") if p.is_file()}
    assert files_one.keys() == files_two.keys()
    assert [name for name in files_one if files_one[name] != files_two[name]] == []


def test_topic_page_reassembles_the_summary_in_source_order(site: Path) -> None:
    html = soup(site / "topics" / "ketamine-pain" / "index.html")
    assert html.h1.get_text() == "Ketamine for pain"
    sections = [h.get_text() for h in html.select("section.summary-section > h2")]
    assert sections == ["From the Guidelines", "From the Research"]
    guidelines = html.find(id="guidelines")
    lead = guidelines.select_one(".lead-paragraph p.claim")
    assert lead["id"] == "ketamine-pain-00000001"
    assert [h.get_text() for h in guidelines.find_all("h3")] == ["Key Points"]
    order = [tag["id"] for tag in html.select(".claim")]
    assert order == [f"ketamine-pain-{n:08x}" for n in range(1, 6)]
    weak = html.find(id="ketamine-pain-00000004")
    assert [a.get_text() for a in weak.select(".citations a")] == ["reference 2", "reference 3"]
    assert [a["href"] for a in weak.select(".citations a")] == [
        "../../topics/ketamine-pain/references/2.html",
        "../../topics/ketamine-pain/references/3.html",
    ]
    badge = weak.select_one("a.badge")
    assert badge["href"] == "../../strength.html#low"
    # Each claim starts with its evidence summary: what its cited works found, then its
    # strength, each saying what it is.
    verdict = weak.select_one(".verdict")
    assert weak.contents[0] is verdict and "verdict-contested" in verdict["class"]
    assert verdict.get_text(" ", strip=True) == (
        "⚠ Contested: cited works disagree (1 supports · 1 contradicts) "
        "Strength: Low , stated by the source"
    )
    assert badge.get_text() == "Low" and badge.find_parent(class_="strength-note")
    uncited = html.find(id="ketamine-pain-00000002")
    assert not uncited.select(".citations")
    assert (
        uncited.select_one("a.details-link")["href"] == "../../claims/ketamine-pain-00000002.html"
    )


def test_claim_page_shows_strength_basis_provenance_and_related_claims(site: Path) -> None:
    html = soup(site / "claims" / "ketamine-pain-00000004.html")
    said = "It works in complex regional pain syndromes, although the evidence is weak."
    # A screen reader's list of headings hears what the cited works found first.
    hidden = html.h1.select_one(".visually-hidden")
    assert hidden.get_text() == ("⚠ Contested: cited works disagree (1 supports · 1 contradicts): ")
    assert html.h1.get_text() == hidden.get_text() + said
    # The first screen, right under the claim: what the cited works found, how strong,
    # from where.
    panel = html.h1.find_next_sibling("section")
    brief = {
        dt.get_text(): dt.find_next_sibling("dd").get_text(" ", strip=True)
        for dt in panel.select("dt")
    }
    assert brief == {
        "What the cited works found": "⚠ Contested: cited works disagree "
        "(1 supports · 1 contradicts) · both sides "
        "Stance of the cited work: Supports Reference 2 details of reference 2 "
        "Stance of the cited work: Contradicts Reference 3 details of reference 3",
        "Evidence strength": 'Low , stated by the source: "the evidence is weak" '
        "basis of the strength",
        "From": "ketamine-pain.txt , line 9 of the summary as imported , "
        "citing reference 2 , reference 3",
    }
    assert "verdict-contested" in panel["class"]
    facts = {
        dt.get_text(): dt.find_next_sibling("dd").get_text(" ", strip=True)
        for dt in html.select("dl.facts dt")
    }
    assert facts["Strength's basis"].startswith("Stated by the source: “the evidence is weak”")
    assert facts["Mentions"] == "Complex regional pain syndrome"
    assert facts["Listed in"] == "Claim 4 of 5 in Ketamine for pain"
    assert facts["Permanent id"] == "ketamine-pain-00000004"
    # Said once: the level's definition is on the strength page the badge links to,
    # the source's line in "From".
    definition = soup(site / "strength.html").select_one("#low p").get_text()
    assert definition not in html.get_text()
    basis = html.find("dt", string="Strength's basis").find_next_sibling("dd")
    assert basis.select_one("a.badge")["href"] == "../strength.html#low"
    source = panel.find("dt", string="From").find_next_sibling("dd")
    assert source.a["href"] == "../topics/ketamine-pain/source.html#L9"
    # One name for people: the breadcrumb, the line above the claim and its provenance.
    assert html.select(".breadcrumbs li")[-1].get_text() == "Claim 4"
    assert html.select_one(".eyebrow").get_text().startswith("Claim 4 of 5 · ")
    related = {
        h.get_text(" ", strip=True): [
            a["href"] for a in h.find_next_sibling("ul").select("a.claim-link")
        ]
        for h in html.select("h3.related-heading")
    }
    assert related == {
        "Also citing reference 3": ["../claims/ketamine-pain-00000005.html"],
        "Also mentioning Complex regional pain syndrome": [
            "../claims/ketamine-pain-00000002.html",
            "../claims/opioids-pain-00000001.html",
        ],
    }
    derived = soup(site / "claims" / "ketamine-pain-00000002.html")
    method = derived.find("dt", string="Strength's basis").find_next_sibling("dd")
    assert method.get_text(" ", strip=True).startswith("Derived: ")
    assert "(the written rule )" in method.get_text(" ", strip=True)
    assert "the source cites no reference for it" in derived.get_text()


def test_reference_pages_are_honest_about_what_is_known(site: Path) -> None:
    folder = site / "topics" / "ketamine-pain" / "references"
    assert sorted(p.name for p in folder.iterdir()) == ["1.html", "2.html", "3.html"]
    described = soup(folder / "1.html")
    details = {dt.get_text(): dt.find_next_sibling("dd") for dt in described.select("dl.facts dt")}
    assert details["Title"].get_text() == "A described work"
    assert details["Authors"].get_text() == "Doe J; Roe R"
    assert details["DOI"].a["href"] == "https://doi.org/10.1000/xyz"
    assert not described.select(".notice")
    for number in (2, 3):  # 3 is cited but has no entry at all
        page = soup(folder / f"{number}.html")
        assert "The source gives only the number" in page.select_one(".notice").get_text()
    citing = soup(folder / "3.html")
    cited_by = citing.select("section[aria-labelledby=citing-heading] a.claim-link")
    assert [a["href"] for a in cited_by] == [
        "../../../claims/ketamine-pain-00000004.html",
        "../../../claims/ketamine-pain-00000005.html",
    ]  # each once, under what this work says of it
    assert [h.get_text(" ", strip=True) for h in citing.select("h3")] == [
        "Stance of this work: Contradicts 1 claim",
        "Stance of this work: Not recorded 1 claim",
    ]
    assert "From the Research \u203a Efficacy" in citing.select_one(".claim-meta").get_text()


def test_entity_pages_list_claims_across_topics(site: Path) -> None:
    html = soup(site / "entities" / "crps.html")
    assert html.h1.get_text() == "Complex regional pain syndrome"
    assert [a["href"] for a in html.select("a.claim-link")] == [
        "../claims/ketamine-pain-00000002.html",
        "../claims/ketamine-pain-00000004.html",
        "../claims/opioids-pain-00000001.html",
    ]
    assert "CRPS" in html.select_one("dl.facts").get_text()
    index = soup(site / "entities" / "index.html")
    assert {a["href"] for a in index.select(".term-list a")} == {
        "../entities/crps.html",
        "../entities/iv.html",
        "../entities/odd.html",
    }
    category = soup(site / "categories" / "dosing.html")
    assert [a["href"] for a in category.select("a.claim-link")] == [
        "../claims/ketamine-pain-00000003.html"
    ]


def test_strength_page_has_an_anchor_per_level_and_the_method(site: Path) -> None:
    html = soup(site / "strength.html")
    for label in ("high", "low", "not-stated"):
        assert html.find(id=label)
    method = html.find(id="method")
    assert method.find("h3").get_text() == "How"


def test_home_about_downloads_and_search_pages(site: Path) -> None:
    home = soup(site / "index.html")
    rows = [
        [cell.get_text() for cell in row.find_all(["th", "td"])] for row in home.select("tbody tr")
    ]
    assert rows == [
        ["Ketamine for pain", "5", "3", "2", "3"],
        ["Opioids for pain", "1", "0", "1", "1"],
    ]
    form = home.find("form", attrs={"role": "search"})
    assert form["action"] == "search.html" and form["method"] == "get"
    assert home.find("label", attrs={"for": "home-search-input"})
    about = soup(site / "about.html").get_text()
    assert "not medical advice" in about.lower()
    downloads = soup(site / "downloads.html")
    assert {a["href"] for a in downloads.select(".download-list a")} == {
        DATABASE_NAME,
        DATASETTE_METADATA_NAME,
        EXPORT_NAME,
    }
    search = soup(site / "search.html")
    for control in (
        "search-input",
        "filter-section",
        "filter-strength",
        "filter-category",
        "filter-topic",
        "filter-stance",
        "filter-contested",
    ):
        assert search.find("label", attrs={"for": control}), control

    def options(control: str) -> list[tuple[str, str]]:
        return [(o["value"], o.get_text()) for o in search.select(f"#{control} option")]

    # A menu for each filter the registry gives one, in its order.
    menus = [s["name"] for s in search.find_all("select", attrs={"data-filter": True})]
    assert menus == [f.name for f in filters() if f.menu]
    assert options("filter-design")[1] == (STUDY_DESIGNS[0].id, STUDY_DESIGNS[0].label)
    # The stance menu is kb/stance.toml's vocabulary; contested: the registry's values.
    assert options("filter-stance") == [
        ("", "Any stance"),
        ("supports", "Supports"),
        ("contradicts", "Contradicts"),
        ("no-evidence", "No evidence either way"),
        ("not-stated", "Not recorded"),
    ]
    assert options("filter-contested")[1:] == [(c.id, c.label) for c in CONTESTED_CHOICES]
    assert search.find(id="search-results") and search.find(id="search-status")["role"] == "status"
    assert "needs JavaScript" in search.find("noscript").get_text()
    assert [s["src"] for s in search.find_all("script")] == [
        "static/stem.js",
        "static/search-core.js",
        "static/search.js",
        "search/manifest.js",
    ]


def test_a_topic_page_anchors_nothing_but_claims_and_its_declared_anchors(
    site: Path, tmp_path: Path
) -> None:
    """`ekb check` refuses a claim id that is one of a topic page's own anchors
    (claims.TOPIC_PAGE_ANCHORS): the list must hold every id the pages have, or a
    claims-jsonl claim could take one and the page would have it twice. The large
    benchmark kb's pages are paginated (page-2.html): one is built here too."""
    kb = sample_kb()
    topic = kb.topics[1]
    claims = tuple(
        Claim(**{**topic.claims[n % len(topic.claims)].__dict__, "id": f"{topic.slug}-{n:04d}"})
        for n in range(PAGE_CLAIMS + 1)
    )
    long = Topic(**{**topic.__dict__, "claims": claims})
    kb = KnowledgeBase(kb.strength, kb.categories, kb.entities, kb.entity_kinds, (long,))
    many = tmp_path / "paginated"
    write_site(kb, many)
    claim_ids = {claim.id for claim in sample_kb().claims} | {claim.id for claim in claims}
    ids: set[str] = set()
    for folder in (site, many):
        topics = folder / "topics"
        for page in sorted([*topics.glob("*/index.html"), *topics.glob("*/page-*")]):
            ids |= {tag["id"] for tag in soup(page).find_all(id=True)}
    assert list((many / "topics").glob("*/page-2.html"))
    assert ids - claim_ids <= TOPIC_PAGE_ANCHORS
    assert {"main", "research", "references", "evidence"} <= TOPIC_PAGE_ANCHORS


def test_a_claim_id_unfit_for_a_file_name_is_refused(tmp_path: Path) -> None:
    kb = sample_kb()
    topic = kb.topics[1]
    bad = Claim(**{**topic.claims[0].__dict__, "id": "../../evil"})
    kb = KnowledgeBase(
        kb.strength,
        kb.categories,
        kb.entities,
        kb.entity_kinds,
        (kb.topics[0], Topic(**{**topic.__dict__, "claims": (bad,)})),
    )
    with pytest.raises(KBError, match=re.escape("claim id '../../evil' cannot be a page name")):
        write_site(kb, tmp_path)


def test_the_repository_kb_renders(tmp_path: Path) -> None:
    from evidencekb.kb.load import load_kb

    repo_kb = REPO_KB
    kb = load_kb(repo_kb)
    site = build(kb, tmp_path / "site")
    assert len(list((site / "claims").glob("*.html"))) == len(kb.claims) == 20
    topic = soup(site / "topics" / "ketamine-pain" / "index.html")
    assert [h.get_text() for h in topic.select("section.summary-section > h2")] == [
        "From the Guidelines",
        "From the Research",
    ]
    note = soup(site / "topics" / "ketamine-pain" / "references" / "2.html")
    assert "The source gives only the number 2" in note.select_one(".notice").get_text()
    # No stance is recorded in kb/, so no badge links the stances page: the strength
    # page does, and every page is reachable.
    assert unreachable(site) == []


def test_related_groups_say_what_the_claims_share() -> None:
    kb = sample_kb()
    claim = kb.topic("ketamine-pain").claims[3]  # cites 2 and 3, mentions CRPS
    groups = SiteLookups.build(kb).related(claim)
    assert [(g.citation, g.entity.id if g.entity else None) for g in groups] == [
        (3, None),  # no other claim cites 2: no group for it
        (None, "crps"),
    ]
    assert [[c.id for c in g.claims] for g in groups] == [
        ["ketamine-pain-00000005"],
        ["ketamine-pain-00000002", "opioids-pain-00000001"],
    ]
    assert [(g.total, g.more) for g in groups] == [(1, 0), (2, 0)]


def test_the_downloads_page_reads_no_look_up(site: Path, tmp_path: Path) -> None:
    """render_downloads gives the page empty look-ups (building them cost a large build
    a third of a second): rendered with the kb's own, the page is the same."""
    kb = sample_kb()
    renderer = Renderer(_environment(SiteLookups.build(kb), EvidenceIndex.build(kb)))
    variables = {"nav": "downloads", "downloads": _downloads(site)}
    renderer.write(tmp_path, "downloads.html", "downloads.html", variables)
    assert (tmp_path / "downloads.html").read_bytes() == (site / "downloads.html").read_bytes()
