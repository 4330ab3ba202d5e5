"""The source page: each topic's summary exactly as imported, line by line, with an
anchor per line that every claim's provenance links to."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup

from evidencekb.kb.load import load_kb
from evidencekb.model import Claim, Evidence, KnowledgeBase, Topic
from evidencekb.names import CONTRADICTS
from evidencekb.paths import SOURCE_COPY
from evidencekb.site.context import source_listing
from fixtures import HOSTILE, REPO_KB, build, sample_kb

# HOSTILE without its line separator, so that the hostile claim stands on one line.
HOSTILE_LINE = HOSTILE.replace("\u2028", "")
SOURCE_PAGE = Path("topics") / "ketamine-pain" / "source.html"


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html5lib")


@pytest.fixture(scope="module")
def repo_kb() -> KnowledgeBase:
    return load_kb(REPO_KB)


@pytest.fixture(scope="module")
def repo_site(repo_kb: KnowledgeBase, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(repo_kb, tmp_path_factory.mktemp("repo") / "site")


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(sample_kb(HOSTILE_LINE), tmp_path_factory.mktemp("hostile") / "site")


def provenance_link(site: Path, claim: Claim) -> tuple[Path, str] | None:
    """The file and fragment the claim page's "From … line N" links to."""
    page = site / "claims" / f"{claim.id}.html"
    dd = soup(page).find("dt", string="From").find_next_sibling("dd")
    link = dd.find("a", href=lambda href: "#" in href and "source.html" in href)
    if link is None:
        return None
    parts = urlsplit(link["href"])
    return (page.parent / unquote(parts.path)).resolve(), parts.fragment


def assert_provenance_resolves(site: Path, claims: tuple[Claim, ...]) -> int:
    checked = 0
    for claim in claims:
        target = provenance_link(site, claim)
        assert target is not None, f"{claim.id}: provenance does not link to its line"
        path, fragment = target
        assert path == (site / "topics" / claim.topic / "source.html").resolve()
        assert fragment == f"L{claim.source_line}"
        line = soup(path).find(id=fragment)
        assert line is not None, f"{claim.id}: no #{fragment} in {path}"
        assert claim.text.rstrip(".") in line.select_one(".line-text").get_text()
        # ...and the line links back to the claim.
        hrefs = [a["href"] for a in line.select(".line-text a")]
        assert f"../../claims/{claim.id}.html" in hrefs
        checked += 1
    return checked


def test_the_loader_keeps_the_source_text_read_once_as_imported(
    repo_kb: KnowledgeBase, tmp_path: Path
) -> None:
    topic = repo_kb.topic("ketamine-pain")
    expected = (REPO_KB / "topics" / "ketamine-pain" / SOURCE_COPY).read_text(encoding="utf-8")
    assert topic.source_text == expected
    # A topic without a kept copy loads with an empty source text (and no provenance check).
    kb_dir = tmp_path / "kb"
    shutil.copytree(REPO_KB, kb_dir)
    (kb_dir / "topics" / "ketamine-pain" / SOURCE_COPY).unlink()
    assert load_kb(kb_dir).topic("ketamine-pain").source_text == ""


def test_every_provenance_link_of_the_repository_kb_reaches_its_claims_line(
    repo_kb: KnowledgeBase, repo_site: Path
) -> None:
    assert assert_provenance_resolves(repo_site, repo_kb.claims) == len(repo_kb.claims) == 20


def test_the_source_page_shows_every_line_exactly_as_imported(
    repo_kb: KnowledgeBase, repo_site: Path
) -> None:
    topic = repo_kb.topic("ketamine-pain")
    html = soup(repo_site / SOURCE_PAGE)
    lines = html.select("ol.source-lines > li")
    expected = topic.source_text.splitlines()
    assert [li["id"] for li in lines] == [f"L{n}" for n in range(1, len(expected) + 1)]
    assert [li.select_one(".line-text").get_text() for li in lines] == expected
    assert [li.select_one("a.line-number")["href"] for li in lines][:2] == ["#L1", "#L2"]
    assert lines[0].select_one("a.line-number").get_text() == "Line 1"
    # Every claim's words link to its page, once; heading lines carry no link.
    linked = [a["href"] for a in html.select(".line-text a")]
    assert linked == [f"../../claims/{c.id}.html" for c in topic.claims]
    assert not html.find(id="L1").select(".line-text a")
    notice = html.select_one("main .notice").get_text(" ", strip=True)
    assert "exactly as it was imported" in notice
    assert topic.source in notice and "topics/ketamine-pain/source.txt" in notice


def test_the_topic_page_links_to_its_source_summary(repo_site: Path) -> None:
    html = soup(repo_site / "topics" / "ketamine-pain" / "index.html")
    link = html.find("a", string="Read the source summary as imported")
    assert link["href"] == "../../topics/ketamine-pain/source.html"


def test_hostile_source_lines_are_escaped_and_still_linked(hostile_site: Path) -> None:
    raw = (hostile_site / SOURCE_PAGE).read_text(encoding="utf-8")
    assert "<script>alert(1)" not in raw and "<img src=x" not in raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    html = soup(hostile_site / SOURCE_PAGE)
    assert not html.find("script") and not html.find("img")
    assert not any(tag.attrs.get("onerror") for tag in html.find_all(True))
    line = html.find(id="L10")
    assert line.select_one(".line-text").get_text() == f"- {HOSTILE_LINE} 3."
    assert line.select_one(".line-text a").get_text() == HOSTILE_LINE
    topic = sample_kb(HOSTILE_LINE).topic("ketamine-pain")
    assert assert_provenance_resolves(hostile_site, topic.claims) == 5


def test_a_topic_without_a_kept_summary_has_no_source_page_or_line_links(
    hostile_site: Path,
) -> None:
    assert not (hostile_site / "topics" / "opioids-pain" / "source.html").exists()
    topic = soup(hostile_site / "topics" / "opioids-pain" / "index.html")
    assert not topic.find("a", string="Read the source summary as imported")
    claim = soup(hostile_site / "claims" / "opioids-pain-00000001.html")
    dd = claim.find("dt", string="From").find_next_sibling("dd")
    assert "line 2" in dd.get_text() and "source.html" not in str(dd)


def test_a_claim_whose_words_are_not_on_its_line_is_still_linked_from_it(tmp_path: Path) -> None:
    # load_kb refuses such a claim, but a page built from any KnowledgeBase must not lose it.
    kb = sample_kb()
    topic = kb.topics[0]
    moved = replace(topic.claims[4], text="Words that stand on no line of the source.")
    topic = replace(topic, claims=(*topic.claims[:4], moved, *topic.claims[5:]))
    site = build(replace(kb, topics=(topic, *kb.topics[1:])), tmp_path / "site")
    line = soup(site / SOURCE_PAGE).find(id=f"L{moved.source_line}")
    assert line.select_one(".line-claims").get_text(" ", strip=True) == (
        "Recorded on this line: claim 5"
    )
    assert line.select_one(".line-claims a")["href"] == f"../../claims/{moved.id}.html"


def test_two_builds_give_the_same_source_page_bytes(repo_kb: KnowledgeBase, tmp_path: Path) -> None:
    first = build(repo_kb, tmp_path / "one") / SOURCE_PAGE
    second = build(load_kb(REPO_KB), tmp_path / "two") / SOURCE_PAGE
    assert first.read_bytes() == second.read_bytes()


def _topic(source_text: str, *claims: tuple[str, int]) -> Topic:
    return Topic(
        slug="t",
        title="T",
        source="t.txt",
        citation_style="plain",
        overview_md="",
        claims=tuple(
            Claim(
                id=f"t-{n}",
                topic="t",
                section="research",
                heading=None,
                text=text,
                citations=(),
                strength="not-stated",
                strength_method="derived",
                strength_basis="",
                categories=(),
                entities=(),
                source="t.txt",
                source_line=line,
                position=n,
            )
            for n, (text, line) in enumerate(claims, start=1)
        ),
        references=(),
        source_text=source_text,
    )


def test_claims_sharing_a_line_each_get_their_own_words() -> None:
    topic = _topic(
        "Heading\nIt helps. It helps 2. Rarely it harms 3.\n",
        ("It helps.", 2),
        ("It helps.", 2),
        ("Rarely it harms.", 2),
        ("Not on this line.", 2),
    )
    first, second = source_listing(topic)
    assert first.parts == (("Heading", None),) and first.unplaced == ()
    one, two, three, four = topic.claims
    assert second.parts == (
        ("It helps", one),
        (". ", None),
        ("It helps", two),
        (" 2. ", None),
        ("Rarely it harms", three),
        (" 3.", None),
    )
    assert second.unplaced == (four,)
    assert "".join(text for text, _ in second.parts) == topic.source_text.splitlines()[1]


def test_a_blank_line_is_kept_as_an_empty_line() -> None:
    lines = source_listing(_topic("a\n\n  indented\n"))
    assert [(line.number, line.parts) for line in lines] == [
        (1, (("a", None),)),
        (2, ()),
        (3, (("  indented", None),)),
    ]


def test_a_claim_its_cited_work_contradicts_is_marked_beside_its_line(
    repo_kb: KnowledgeBase, tmp_path: Path
) -> None:
    """The source's words stay as written; the claim's finding stands beside them."""
    topic = repo_kb.topic("ketamine-pain")
    cited = next(c for c in topic.claims if c.citations == (2,))
    marked = replace(cited, evidence=(Evidence(2, CONTRADICTS),))
    claims = tuple(marked if c == cited else c for c in topic.claims)
    kb = replace(repo_kb, topics=(replace(topic, claims=claims),))
    html = soup(build(kb, tmp_path / "site") / SOURCE_PAGE)
    line = html.find(id=f"L{cited.source_line}")
    assert (
        line.select_one(".line-text").get_text()
        == topic.source_text.splitlines()[cited.source_line - 1]
    )
    assert [" ".join(v.get_text(" ").split()) for v in html.select(".line-verdict")] == [
        f"Claim {cited.position}: ⚠ Cited work contradicts"
    ]
    assert line.select_one(".line-verdict") is not None
