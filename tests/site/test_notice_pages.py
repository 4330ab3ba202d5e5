"""Editorial notices on the site: the reference page gives each notice's date and links
under a "Retracted" mark; each citing claim's page says so in words, and so does every
listing of the work."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from evidencekb.kb.load import load_kb
from fixtures import REPO_KB, RETRACTED_TOPIC, add_retracted_sample, build

MEHRA = "retracted-sample-0b419dba"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("notices")
    shutil.copytree(REPO_KB, work / "kb")
    add_retracted_sample(work / "kb")
    return build(load_kb(work / "kb"), work / "site")


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html5lib")


def text(node: Any) -> str:
    assert node is not None
    return " ".join(node.get_text(" ").split())


def test_reference_page_gives_each_notice_with_its_date_and_links(site: Path) -> None:
    page = soup(site / "topics" / RETRACTED_TOPIC / "references" / "2.html")
    assert text(page.select_one("h1 .notice-mark")) == "Reference 2: Retracted"
    notices = page.select_one("section#notices")
    assert text(notices.h2) == "Editorial notices: Retracted"
    items = [text(li) for li in notices.select("li")]
    assert items == [
        "Expression of concern , 2020-06-03 · DOI 10.1016/S0140-6736(20)31290-3",
        "Retraction , 2020-06-05 · DOI 10.1016/S0140-6736(20)31324-6 · PubMed 32511943",
    ]
    links = [a["href"] for a in notices.select("a")]
    assert links == [
        "https://doi.org/10.1016/S0140-6736(20)31290-3",
        "https://doi.org/10.1016/S0140-6736(20)31324-6",
        "https://pubmed.ncbi.nlm.nih.gov/32511943/",
    ]


def test_citing_claims_page_says_retracted_in_words(site: Path) -> None:
    page = soup(site / "claims" / f"{MEHRA}.html")
    banner = page.select_one("section.notice-banner")
    assert "Retracted" in text(banner)
    assert "Retraction 2020-06-05" in text(banner)
    # Whether the work supports or contradicts the claim, the banner says neither: it
    # cites the work (a claim does not "rest on" a work that contradicts it).
    assert text(banner.p) == (
        "This claim cites this work: weigh what it says of it with the notices in mind."
    )
    marks = [text(m) for m in page.select(".evidence-list .notice-mark")]
    assert marks == ["Reference 2: Retracted"]
    # The evidence summary at the top names it too, marked as a warning.
    panel = page.select_one(".verdict-panel")
    assert "Reference 2: Retracted" in text(panel)
    assert panel.select_one(".finding-mark") is not None


def test_unmarked_works_carry_no_mark(site: Path) -> None:
    page = soup(site / "topics" / "ketamine-pain" / "references" / "1.html")
    assert page.select(".notice-mark") == [] and page.select_one("#notices") is None


def test_topic_listing_marks_the_citation(site: Path) -> None:
    page = soup(site / "topics" / RETRACTED_TOPIC / "index.html")
    # Each claim's evidence summary names its retracted work (verdict.py), in words.
    summaries = [text(claim.select_one(".verdict")) for claim in page.select(".claim")]
    assert ["Reference 1: Retracted" in s for s in summaries] == [True, False]
    assert ["Reference 2: Retracted" in s for s in summaries] == [False, True]
    assert len(page.select("li[value] .notice-mark")) == 2  # the topic's reference list
