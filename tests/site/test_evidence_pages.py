"""Evidence per citation on the site: stance badges with their definitions, quotations,
the contested banner with both sides, reference pages' supports and contradicts lists,
the topic's contested page and stance counts, and the stance legend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from evidencekb.kb.load import load_kb
from fixtures import HOSTILE, build, sample_kb

K = "ketamine-pain"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(sample_kb(), tmp_path_factory.mktemp("site") / "site")


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html5lib")


def text(node: Any) -> str:
    assert node is not None
    return " ".join(node.get_text(" ").split())


def test_a_claim_page_shows_each_works_stance_definition_and_quotations(site: Path) -> None:
    page = soup(site / "claims" / f"{K}-00000003.html")
    items = page.select(".evidence-item")
    assert len(items) == 1
    badge = items[0].select_one("a.stance")
    assert text(badge) == "Stance: Supports"
    assert badge["href"] == "../stances.html#supports"
    assert "For it." in text(items[0])  # the stance's definition
    quote = items[0].select_one("figure.quote")
    assert quote.blockquote.get_text() == HOSTILE  # escaped, shown as text
    assert quote.figcaption.a["href"] == f"../topics/{K}/references/1.html#sentence-1"
    assert not page.select(".contested-banner")


def test_a_contested_claim_shows_both_sides_side_by_side(site: Path) -> None:
    page = soup(site / "claims" / f"{K}-00000004.html")
    banner = page.select_one(".contested-banner")
    assert banner is not None and text(banner.h2) == "Contested"
    # The banner stands right under the claim, before its facts.
    assert banner.find_previous("h1")["class"] == ["claim-title"]
    for_side, against = banner.select(".side-for"), banner.select(".side-against")
    assert "Reference 2" in text(for_side[0]) and "Supports" in text(for_side[0])
    assert "Reference 3" in text(against[0]) and "Contradicts" in text(against[0])
    relations = text(page.select_one(".relation-list"))
    assert relations.startswith("This claim refines claim 1 of Ketamine for pain")


def test_stances_never_stated_read_not_stated(site: Path) -> None:
    page = soup(site / "claims" / f"{K}-00000001.html")
    assert [text(a) for a in page.select(".evidence-item a.stance")] == ["Stance: Not stated"]
    assert "Claim 4 of Ketamine for pain refines this claim" in text(
        page.select_one(".relation-list")
    )


def test_reference_pages_list_supported_and_contradicted_claims_apart(site: Path) -> None:
    first = soup(site / "topics" / K / "references" / "1.html")
    sentences = first.select("ol.sentences li")
    assert [li["id"] for li in sentences] == ["sentence-0", "sentence-1"]
    assert first.select_one("ol.sentences")["start"] == "0"
    supports = first.select_one("section[aria-labelledby=supports-heading]")
    assert [a["href"] for a in supports.select("a.claim-link")] == [
        f"../../../claims/{K}-00000003.html"
    ]
    contradicts = first.select_one("section[aria-labelledby=contradicts-heading]")
    assert text(contradicts).endswith("None recorded.")
    third = soup(site / "topics" / K / "references" / "3.html")
    contradicts = third.select_one("section[aria-labelledby=contradicts-heading]")
    assert [a["href"] for a in contradicts.select("a.claim-link")] == [
        f"../../../claims/{K}-00000004.html"
    ]
    no_stance = soup(site / "topics" / "opioids-pain" / "references" / "1.html")
    assert not no_stance.select("section[aria-labelledby=supports-heading]")


def test_contested_page_and_stance_counts(site: Path) -> None:
    contested = soup(site / "topics" / K / "contested.html")
    assert [text(h2) for h2 in contested.select(".contested-claim h2")] == [
        "It works in complex regional pain syndromes, although the evidence is weak."
    ]
    none = soup(site / "topics" / "opioids-pain" / "contested.html")
    assert "No claim of this topic is contested" in text(none.main)
    topic = soup(site / "topics" / K / "index.html")
    counts = [text(li) for li in topic.select(".stance-counts li")]
    assert counts == ["Supports 2 links", "Contradicts 1 link", "Not stated 2 links"]
    link = topic.select_one("#evidence a[href$='/contested.html']")
    assert text(link) == "1 contested claim"


def test_the_stance_legend(site: Path) -> None:
    page = soup(site / "stances.html")
    assert [dt["id"] for dt in page.select("dt[id]")][:4] == [
        "supports",
        "contradicts",
        "no-evidence",
        "not-stated",
    ]
    assert page.select_one("#contested")


def test_the_seed_builds_with_every_stance_not_stated(repo_kb: Path, tmp_path: Path) -> None:
    kb = load_kb(repo_kb)
    site = build(kb, tmp_path / "site")
    topic = soup(site / "topics" / K / "index.html")
    links = sum(len(claim.citations) for claim in kb.claims)
    assert [text(li) for li in topic.select(".stance-counts li")] == [f"Not stated {links} links"]
    assert text(topic.select_one("#evidence a[href$='/contested.html']")) == "0 contested claims"
    for claim in kb.claims:
        page = soup(site / "claims" / f"{claim.id}.html")
        badges = {text(a) for a in page.select(".evidence-item a.stance")}
        assert badges <= {"Stance: Not stated"} and not page.select(".contested-banner")
