"""Formatted references (citeproc-py, the vendored Vancouver style) with DOI, PubMed and
PMC links on the topic, claim and reference pages, and the claim pages' schema.org
JSON-LD. Every work here is real (tests/fixtures.py)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from evidencekb.build import build
from evidencekb.cache import cache_folder, read_entry
from evidencekb.kb.bibliography import identifier_url
from evidencekb.kb.load import load_kb
from evidencekb.model import KnowledgeBase
from evidencekb.site.citation import STYLE_FILE, CitationFormatter
from evidencekb.verdict import verdict
from fixtures import (
    COHEN_2018,
    GRADING_TOPIC,
    GUYATT_2008,
    HOSTILE,
    NEWCOMBE_1998,
    REPO_KB,
    SANTESSO_2020,
    add_grading_topic,
    reference,
    sample_kb,
)
from fixtures import build as build_sample

# The works as Citing Medicine (NLM/Vancouver) writes them: six authors then "et al.",
# pages shortened (521-546 -> 521\u201346: an en dash), identifiers at the end.
VANCOUVER = {
    1: "Cohen SP, Bhatia A, Buvanendran A, Schwenk ES, Wasan AD, Hurley RW, et al. "
    "Consensus Guidelines on the Use of Intravenous Ketamine Infusions for Chronic Pain "
    "From the American Society of Regional Anesthesia and Pain Medicine, the American "
    "Academy of Pain Medicine, and the American Society of Anesthesiologists. Reg Anesth "
    "Pain Med. 2018;43(5):521\u201346. doi:10.1097/AAP.0000000000000808 PubMed PMID: 29870458.",
    2: "Guyatt GH, Oxman AD, Vist GE, Kunz R, Falck-Ytter Y, Alonso-Coello P, et al. GRADE: "
    "an emerging consensus on rating quality of evidence and strength of recommendations. "
    "BMJ. 2008;336(7650):924\u20136. doi:10.1136/bmj.39489.470347.AD PubMed PMID: 18436948; "
    "PubMed Central PMCID: PMC2335261.",
    3: "Santesso N, Glenton C, Dahm P, Garner P, Akl EA, Alper B, et al. GRADE guidelines "
    "26: informative statements to communicate the findings of systematic reviews of "
    "interventions. J Clin Epidemiol. 2020;119:126\u201335. "
    "doi:10.1016/j.jclinepi.2019.10.014 PubMed PMID: 31711912.",
}
LINKS = {
    1: [
        ("DOI", "https://doi.org/10.1097/AAP.0000000000000808"),
        ("PubMed", "https://pubmed.ncbi.nlm.nih.gov/29870458/"),
    ],
    2: [
        ("DOI", "https://doi.org/10.1136/bmj.39489.470347.AD"),
        ("PubMed", "https://pubmed.ncbi.nlm.nih.gov/18436948/"),
        ("PMC", "https://pmc.ncbi.nlm.nih.gov/articles/PMC2335261/"),
    ],
    3: [
        ("DOI", "https://doi.org/10.1016/j.jclinepi.2019.10.014"),
        ("PubMed", "https://pubmed.ncbi.nlm.nih.gov/31711912/"),
    ],
}
WORKS = {1: COHEN_2018, 2: GUYATT_2008, 3: SANTESSO_2020}


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html5lib")


@pytest.fixture(scope="module")
def grading(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, KnowledgeBase]:
    """The seed kb (its references numbers only) plus the grading topic (real works,
    recorded in full), built."""
    work = tmp_path_factory.mktemp("citation-site")
    kb_dir = work / "kb"
    shutil.copytree(REPO_KB, kb_dir)
    add_grading_topic(kb_dir, work)
    build(kb_dir, work / "site")
    return work / "site", load_kb(kb_dir)


def test_the_style_file_is_the_published_one_with_its_licence() -> None:
    note = (STYLE_FILE.parent / "LICENSE.md").read_text(encoding="utf-8")
    assert hashlib.sha256(STYLE_FILE.read_bytes()).hexdigest() in note
    info = ET.parse(STYLE_FILE).getroot().find("{http://purl.org/net/xbiblio/csl}info")
    assert info is not None
    rights = info.find("{http://purl.org/net/xbiblio/csl}rights")
    title = info.find("{http://purl.org/net/xbiblio/csl}title")
    assert rights is not None and title is not None
    assert rights.get("license") == "http://creativecommons.org/licenses/by-sa/3.0/"
    assert "CC BY-SA 3.0" in note and f'"{title.text}"' in note


@pytest.mark.parametrize("number", sorted(WORKS))
def test_real_works_in_vancouver_style(number: int) -> None:
    formatted = CitationFormatter().formatted(reference("grading", number, WORKS[number]))
    assert formatted == VANCOUVER[number]


def test_a_doi_with_markup_characters_stays_text() -> None:
    formatted = CitationFormatter().formatted(reference("stats", 1, NEWCOMBE_1998))
    assert formatted is not None
    assert "17:8&lt;857::AID-SIM777&gt;3.0.CO;2-E" in formatted
    assert BeautifulSoup(formatted, "html5lib").body.find_all(True) == []
    assert formatted.startswith("Newcombe RG. Two-sided confidence intervals")
    assert identifier_url("doi", NEWCOMBE_1998["doi"]) == (
        "https://doi.org/10.1002/(SICI)1097-0258(19980430)17:8%3C857::AID-SIM777%3E3.0.CO;2-E"
    )


def test_a_number_alone_is_not_formatted() -> None:
    formatter = CitationFormatter()
    assert formatter.formatted(reference("ketamine-pain", 4, {})) is None


def test_formatting_is_repeatable() -> None:
    works = [reference("grading", n, work) for n, work in WORKS.items()]
    first = [CitationFormatter(cache=None).formatted(work) for work in works]
    again = [CitationFormatter(cache=None).formatted(work) for work in reversed(works)]
    assert first == again[::-1]


def test_a_later_build_reads_the_cache_and_ignores_what_it_did_not_write(
    tmp_path: Path,
) -> None:
    guyatt = reference("grading", 2, GUYATT_2008)
    assert CitationFormatter(cache=tmp_path).formatted(guyatt) == VANCOUVER[2]
    (entry,) = tmp_path.iterdir()
    assert read_entry(entry) == VANCOUVER[2].encode("utf-8")
    assert CitationFormatter(cache=tmp_path).formatted(guyatt) == VANCOUVER[2]
    # An entry changed on disk, a FIFO or a link to /dev/zero in its place: ignored
    # (no hang), formatted again and written anew.
    spoilers: list[Callable[[Path], None]] = [
        lambda path: path.write_text("<i>Forged</i> BMJ."),
        lambda path: path.write_bytes(path.read_bytes()[:-1]),
        lambda path: (path.unlink(), os.mkfifo(path)),
        lambda path: (path.unlink(), path.symlink_to("/dev/zero")),
    ]
    for spoil in spoilers:
        spoil(entry)
        assert CitationFormatter(cache=tmp_path).formatted(guyatt) == VANCOUVER[2]
        assert read_entry(entry) == VANCOUVER[2].encode("utf-8")
    # Another record of the work is another entry: nothing stale is shown.
    corrected = reference("grading", 2, {**GUYATT_2008, "pages": "924-6"})
    assert CitationFormatter(cache=tmp_path).formatted(corrected) == VANCOUVER[2]
    assert len(list(tmp_path.iterdir())) == 2


def test_only_a_cache_folder_of_ones_own_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    own = tmp_path / "evidencekb"
    assert cache_folder("citations") == own / "citations"
    own.mkdir()
    own.chmod(0o777)  # made under a umask of 000: made private, then used
    assert cache_folder("citations") == own / "citations"
    assert own.stat().st_mode & 0o777 == 0o755
    (own / "citations").symlink_to(tmp_path)
    assert cache_folder("citations") is None
    (own / "citations").unlink()
    if os.geteuid() == 0:  # only root can give a folder away
        os.chown(own, 65534, -1)
        assert cache_folder("citations") is None


def test_a_titles_markup_is_shown_as_written() -> None:
    hostile = {**GUYATT_2008, "title": "A <b>bold</b> claim & <script>x</script> too"}
    formatted = str(CitationFormatter(cache=None).formatted(reference("grading", 2, hostile)))
    assert "A &lt;b&gt;bold&lt;/b&gt; claim &amp; &lt;script&gt;x&lt;/script&gt; too" in formatted
    assert "<b>" not in formatted and "<script" not in formatted


@pytest.mark.parametrize(
    ("pages", "shown"),
    [
        ("924-926", "924\u20136"),
        ("999-1001", "999\u20131001"),
        # citeproc-py's minimal form drops what the ends share, character by character:
        # these it would write "S1-0", "1-00", "100-0", "e1-0", "XII-V", "0-", "-", "926-4".
        ("S1-S10", "S1\u2013S10"),
        ("1-100", "1\u2013100"),
        ("100-1000", "100\u20131000"),
        ("e1-e10", "e1\u2013e10"),
        ("XII-XV", "XII\u2013XV"),
        ("0-0", "0\u20130"),
        ("-5", "\u20135"),
        ("926-924", "926\u2013924"),
        ("1-", "1\u2013"),
    ],
)
def test_a_page_range_is_never_shortened_wrong(pages: str, shown: str) -> None:
    """Only a range of two numbers of as many digits, the second the greater, is
    shortened; any other is written whole (BMJ 2008;336:924, its pages as a kb may hold)."""
    work = reference("grading", 2, {**GUYATT_2008, "pages": pages})
    formatted = str(CitationFormatter(cache=None).formatted(work))
    assert f"BMJ. 2008;336(7650):{shown}. doi:" in formatted


def _links(element: BeautifulSoup) -> list[tuple[str, str]]:
    return [(a.contents[0].strip(), a["href"]) for a in element.select("a.work-link")]


def test_topic_reference_list(grading: tuple[Path, KnowledgeBase]) -> None:
    site, _ = grading
    items = soup(site / "topics" / GRADING_TOPIC / "index.html").select(".reference-list li")
    assert [li["value"] for li in items] == ["1", "2", "3"]
    for number, item in zip(WORKS, items, strict=True):
        assert item.select_one(".citation").get_text() == VANCOUVER[number]
        assert _links(item) == LINKS[number]
        hidden = item.select_one("a.work-link .visually-hidden").get_text()
        assert hidden == f" record of reference {number}"
    seed = soup(site / "topics" / "ketamine-pain" / "index.html").select(".reference-list li")
    assert seed and all("(the source gives only the number)" in li.get_text() for li in seed)
    assert not any(li.select(".citation, a.work-link") for li in seed)


def test_claim_page_lists_the_works_it_cites(grading: tuple[Path, KnowledgeBase]) -> None:
    site, kb = grading
    for claim in kb.topic(GRADING_TOPIC).claims:
        html = soup(site / "claims" / f"{claim.id}.html")
        (item,) = html.select("ul.evidence-list li")
        (number,) = claim.citations
        assert item.a["href"] == f"../topics/{GRADING_TOPIC}/references/{number}.html"
        assert item.select_one(".citation").get_text() == VANCOUVER[number]
        assert _links(item) == LINKS[number]
    seed = kb.topic("ketamine-pain").claims
    cited = next(claim for claim in seed if claim.citations)
    items = soup(site / "claims" / f"{cited.id}.html").select("ul.evidence-list li")
    assert len(items) == len(cited.citations)
    assert all("(the source gives only the number)" in li.get_text() for li in items)


def test_reference_page_cites_the_work(grading: tuple[Path, KnowledgeBase]) -> None:
    site, _ = grading
    folder = site / "topics" / GRADING_TOPIC / "references"
    for number, work in WORKS.items():
        html = soup(folder / f"{number}.html")
        assert html.select_one(".cite-as .citation").get_text() == VANCOUVER[number]
        details = {dt.get_text(): dt.find_next_sibling("dd") for dt in html.select("dl.facts dt")}
        assert details["DOI"].a["href"] == identifier_url("doi", work["doi"])
        assert details["PMID"].a["href"] == identifier_url("pmid", work["pmid"])
        # The publication type in words, as people write it.
        words = {"journal-article": "Journal article", "guideline": "Guideline"}
        assert details["Type"].get_text() == words[str(work["type"])]
    assert soup(folder / "2.html").select_one("dl.facts").find("dt", string="PMCID")
    seed = soup(site / "topics" / "ketamine-pain" / "references" / "1.html")
    assert not seed.select(".cite-as")
    assert "The source gives only the number 1" in seed.select_one(".notice").get_text()


def jsonld(path: Path) -> dict[str, object]:
    (script,) = soup(path).select('script[type="application/ld+json"]')
    data: dict[str, object] = json.loads(script.string)
    return data


def test_claim_jsonld_names_the_claim_its_topic_and_its_works(
    grading: tuple[Path, KnowledgeBase],
) -> None:
    site, kb = grading
    claim = kb.topic(GRADING_TOPIC).claims[1]  # cites reference 2, Guyatt 2008
    data = jsonld(site / "claims" / f"{claim.id}.html")
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Claim"
    assert data["text"] == claim.text
    assert data["identifier"] == claim.id
    # Its evidence summary, so that the data alone never reads as settled fact.
    summary = verdict(claim, kb.stances, kb.strength).text
    assert data["description"] == summary
    # So does the page's description, what a search engine's snippet shows.
    page = BeautifulSoup((site / "claims" / f"{claim.id}.html").read_bytes(), "html5lib")
    description = page.select_one('meta[name="description"]')
    assert description is not None
    assert description["content"] == f"{summary} — {claim.text}"
    assert data["isPartOf"] == {
        "@type": "WebPage",
        "name": "Rating the quality of evidence",
        "url": f"../topics/{GRADING_TOPIC}/index.html",
    }
    assert data["appearance"]["url"] == (
        f"../topics/{GRADING_TOPIC}/source.html#L{claim.source_line}"
    )
    (work,) = data["citation"]
    assert work["@type"] == "ScholarlyArticle"
    assert work["name"] == GUYATT_2008["title"]
    assert [a["name"] for a in work["author"]] == GUYATT_2008["authors"]
    assert work["datePublished"] == "2008"
    assert work["isPartOf"] == {"@type": "Periodical", "name": "BMJ"}
    assert work["identifier"] == [
        {"@type": "PropertyValue", "propertyID": "DOI", "value": GUYATT_2008["doi"]},
        {"@type": "PropertyValue", "propertyID": "PMID", "value": "18436948"},
        {"@type": "PropertyValue", "propertyID": "PMCID", "value": "PMC2335261"},
    ]
    assert work["sameAs"] == [url for _, url in LINKS[2]]
    assert work["mainEntityOfPage"] == f"../topics/{GRADING_TOPIC}/references/2.html"


def test_claim_jsonld_says_when_only_a_number_is_known(
    grading: tuple[Path, KnowledgeBase],
) -> None:
    site, kb = grading
    topic = kb.topic("ketamine-pain")
    claim = next(claim for claim in topic.claims if claim.citations)
    works = jsonld(site / "claims" / f"{claim.id}.html")["citation"]
    number = claim.citations[0]
    assert works[0] == {
        "@type": "CreativeWork",
        "name": f"Reference {number} of {topic.title}",
        "description": f"The source gives only the number {number}.",
        "mainEntityOfPage": f"../topics/ketamine-pain/references/{number}.html",
    }


def test_claim_jsonld_cannot_end_its_script_early(tmp_path: Path) -> None:
    site = build_sample(sample_kb(), tmp_path / "site")
    page = site / "claims" / "ketamine-pain-00000005.html"
    raw = page.read_text(encoding="utf-8")
    start = raw.index('<script type="application/ld+json">') + len(
        '<script type="application/ld+json">'
    )
    body = raw[start : raw.index("</script>", start)]
    assert not {"<", ">", "&"} & set(body)
    assert json.loads(body)["text"] == HOSTILE
    assert jsonld(page)["text"] == HOSTILE
