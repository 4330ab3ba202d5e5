"""Evidence per citation on the site: stance badges with their definitions, quotations,
the contested banner with both sides, reference pages' supports and contradicts lists,
the topic's contested page and stance counts, and the stance legend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from evidencekb.kb.load import load_kb
from evidencekb.site.evidence import Quoted
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
    assert text(badge.parent) == "Stance of the cited work: Supports"  # not a strength
    assert badge["href"] == "../stances.html#supports"
    assert "For it." in text(items[0])  # the stance's definition
    quote = items[0].select_one("figure.quote")
    assert quote.blockquote.get_text() == HOSTILE  # escaped, shown as text
    # The kb's sentence 1 is the second: people count from 1.
    assert quote.figcaption.a["href"] == f"../topics/{K}/references/1.html#sentence-2"
    assert text(quote.figcaption) == "Reference 1, sentence 2"
    # The first screen says it too, with the finding.
    panel = page.select_one(".verdict-panel")
    assert "verdict-supported" in panel["class"]
    assert text(panel.select_one(".finding")) == "Cited work supports"
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


def test_a_claim_a_curator_links_is_quoted_after_its_own_findings(site: Path) -> None:
    """The relation list quoted the other claim's words alone: a claim its own cited
    works contradict read there as fact (as on a contested claim's sides)."""
    page = soup(site / "claims" / f"{K}-00000001.html")
    quoted = page.select_one(".relation-list .quoted-claim")
    assert quoted is not None
    verdict = quoted.select_one(".verdict")
    assert "verdict-contested" in verdict["class"]
    assert text(verdict).startswith(
        "⚠ Contested: cited works disagree (1 supports · 1 contradicts)"
    )
    assert verdict.find_next_sibling("q") is not None  # the words after the findings
    assert text(quoted).endswith(text(quoted.q))


def test_stances_never_stated_read_not_stated(site: Path) -> None:
    page = soup(site / "claims" / f"{K}-00000001.html")
    # Said once, in words, rather than a "Not recorded" badge per work.
    assert not page.select(".evidence-item a.stance")
    assert text(page.select_one("#evidence-heading")) == "Cited works"
    assert "Nobody has recorded what this work says about the claim" in text(page.main)
    assert text(page.select_one(".verdict-panel .finding")) == (
        "No cited work's finding recorded (1 cited work)"
    )
    assert "Claim 4 of Ketamine for pain refines this claim" in text(
        page.select_one(".relation-list")
    )


def test_reference_pages_list_supported_and_contradicted_claims_apart(site: Path) -> None:
    first = soup(site / "topics" / K / "references" / "1.html")
    sentences = first.select("ol.sentences li")
    # Numbered from 1 for people; the quoted one marked, with who quotes it.
    assert [li["id"] for li in sentences] == ["sentence-1", "sentence-2"]
    assert not first.select_one("ol.sentences").has_attr("start")
    assert not sentences[0].mark and sentences[1].mark.get_text() == HOSTILE  # the words only
    assert sentences[1].get_text().startswith("The second: " + HOSTILE)
    assert text(sentences[1].select_one(".quoted-by")) == "quoted by claim 3"
    supports = first.select_one("#supports-heading")
    assert text(supports).startswith("Stance of this work: Supports")
    assert [a["href"] for a in supports.find_next_sibling("ul").select("a.claim-link")] == [
        f"../../../claims/{K}-00000003.html"
    ]
    assert not first.select_one("#contradicts-heading")  # no empty list
    third = soup(site / "topics" / K / "references" / "3.html")
    contradicts = third.select_one("#contradicts-heading").find_next_sibling("ul")
    assert [a["href"] for a in contradicts.select("a.claim-link")] == [
        f"../../../claims/{K}-00000004.html"
    ]
    # Each claim once a page.
    hrefs = [a["href"] for a in third.select("a.claim-link")]
    assert len(hrefs) == len(set(hrefs)) == 2
    no_stance = soup(site / "topics" / "opioids-pain" / "references" / "1.html")
    assert not no_stance.select("#supports-heading")


def test_contested_page_and_stance_counts(site: Path) -> None:
    contested = soup(site / "topics" / K / "contested.html")
    # Each heading names its claim led, for a screen reader, by its finding: a list of
    # headings read alone named each contested claim by its words, as fact.
    assert [text(h2) for h2 in contested.select(".contested-claim h2")] == [
        "⚠ Contested: cited works disagree (1 supports · 1 contradicts): It works in complex "
        "regional pain syndromes, although the evidence is weak."
    ]
    assert contested.select_one(".contested-claim h2 .spoken-finding") is not None
    # A topic with none has no page (nothing links one): the topic page says so.
    assert not (site / "topics" / "opioids-pain" / "contested.html").exists()
    topic = soup(site / "topics" / K / "index.html")
    counts = [text(li) for li in topic.select(".stance-counts li")]
    assert counts == ["Supports 2 links", "Contradicts 1 link", "Not recorded 2 links"]
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
    # Nothing about stances nobody recorded, and no link to an empty contested page.
    assert not topic.select("#evidence") and not topic.select("a[href$='/contested.html']")
    stances = soup(site / "stances.html")
    assert not stances.select("a[href$='/contested.html']")
    for claim in kb.claims:
        page = soup(site / "claims" / f"{claim.id}.html")
        assert not page.select(".evidence-item a.stance") and not page.select(".contested-banner")
        assert "verdict-open" in page.select_one(".verdict-panel")["class"]


def test_quoted_words_are_marked_where_they_stand_in_their_sentence() -> None:
    sentence = "Ketamine eased pain at 24 hours; nausea was common; no one withdrew."
    quoted = Quoted(words={"nausea was common", "eased pain", "pain at 24"})
    assert quoted.parts(sentence) == [
        ("Ketamine ", False),
        ("eased pain at 24", True),  # overlapping quotations marked as one
        (" hours; ", False),
        ("nausea was common", True),
        ("; no one withdrew.", False),
    ]
    # A quotation not found word for word marks the whole sentence, never nothing.
    assert Quoted(words={"nausea, common"}).parts(sentence) == [(sentence, True)]
