"""Dates on the site: the claim page's "Added · changed", the topic page's review dates
and change log, the What's new page and its Atom feed (parsed with feedparser and as
XML), all from the dates kept in kb/."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import feedparser
import pytest
from bs4 import BeautifulSoup

from evidencekb.kb.load import load_kb
from fixtures import REPO_KB, RETRACTED_TOPIC, add_retracted_sample, build

MEHRA = "retracted-sample-0b419dba"
WAKEFIELD = "retracted-sample-e0fdfc19"
ATOM = "{http://www.w3.org/2005/Atom}"


def dated_kb(root: Path) -> Path:
    kb = root / "kb"
    shutil.copytree(REPO_KB, kb)
    folder = add_retracted_sample(kb)
    claims = folder / "claims.toml"
    text = claims.read_text(encoding="utf-8")
    text = text.replace("source_line = 1\n", 'source_line = 1\nadded = "2026-11-23"\n')
    text = text.replace(
        "source_line = 2\n", 'source_line = 2\nadded = "2026-11-23"\nchanged = "2026-12-05"\n'
    )
    claims.write_text(text, encoding="utf-8")
    topic = folder / "topic.toml"
    topic.write_text(
        topic.read_text(encoding="utf-8")
        + 'last_reviewed = "2026-12-05"\nliterature_searched = "2026-11-30"\n\n'
        '[[change]]\ndate = "2026-11-23"\nsummary = "Two claims imported."\n'
        "conclusions_changed = false\n\n"
        '[[change]]\ndate = "2026-12-04"\nsummary = "Both works found retracted."\n'
        "conclusions_changed = true\n",
        encoding="utf-8",
    )
    return kb


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("dated")
    return build(load_kb(dated_kb(work)), work / "site")


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html5lib")


def text(node: Any) -> str:
    assert node is not None
    return " ".join(node.get_text(" ").split())


def test_claim_page_gives_its_dates(site: Path) -> None:
    dates = soup(site / "claims" / f"{MEHRA}.html").select_one("dd.claim-dates")
    assert text(dates) == "Added 2026-11-23 · changed 2026-12-05 · topic last reviewed 2026-12-05"
    seed = soup(site / "claims" / "ketamine-pain-8008e692.html").select_one("dd.claim-dates")
    assert text(seed) == "Date added not recorded"


def test_topic_page_gives_review_dates_and_the_change_log(site: Path) -> None:
    page = soup(site / "topics" / RETRACTED_TOPIC / "index.html")
    assert text(page.select_one(".topic-dates")) == (
        "Last reviewed 2026-12-05 · literature searched to 2026-11-30 · change log"
    )
    entries = [text(li) for li in page.select("#changes li")]
    assert entries == [
        "2026-12-04 : Both works found retracted. Conclusions changed.",
        "2026-11-23 : Two claims imported. Conclusions unchanged.",
    ]


def test_whats_new_lists_changes_newest_first_each_linked(site: Path) -> None:
    page = soup(site / "changes.html")
    items = page.select("ol.whats-new li")
    assert [item.time["datetime"] for item in items] == [
        "2026-12-05",
        "2026-12-04",
        "2026-11-23",
        "2026-11-23",
        "2026-11-23",
        "2020-06-05",  # the editorial notices on the cited works, by their own dates
        "2020-06-03",
        "2010-02-02",
    ]
    assert items[0].a["href"] == f"claims/{MEHRA}.html"
    assert "Claim changed in Retracted sample" in text(items[0])
    assert items[1].a["href"] == f"topics/{RETRACTED_TOPIC}/index.html#changes"
    assert "Conclusions changed." in text(items[1])
    assert text(items[5]).startswith(
        "2020-06-05 · Retraction in Retracted sample: reference 2 — Hydroxychloroquine or "
    )
    assert items[5].a["href"] == f"topics/{RETRACTED_TOPIC}/references/2.html"
    assert "Expression of concern in Retracted sample: reference 2" in text(items[6])
    nav = page.select_one("nav.site-nav a[aria-current=page]")
    assert text(nav) == "What's new"


def test_whats_new_says_what_the_cited_works_found_beside_each_claim(site: Path) -> None:
    items = soup(site / "changes.html").select("ol.whats-new li")
    verdict = items[0].select_one(".verdict")
    assert verdict is not None and verdict.find_next_sibling("a") == items[0].a
    assert text(verdict) == (
        "⚠ No cited work's finding recorded (1 cited work) Reference 2: Retracted "
        "Strength: not stated by the source"
    )
    assert all(item.select_one(".verdict") for item in items if "Claim " in text(item))


def test_the_feed_is_atom_with_an_entry_linking_to_the_claim(site: Path) -> None:
    data = (site / "changes.atom").read_bytes()
    feed = feedparser.parse(data)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.updated == "2026-12-05T00:00:00Z"
    first = feed.entries[0]
    assert first.link == f"claims/{MEHRA}.html"
    assert first.updated == "2026-12-05T00:00:00Z"
    assert first.id.startswith("urn:uuid:")
    assert len({entry.id for entry in feed.entries}) == len(feed.entries) == 8
    # A claim's entry says what its cited works found before its text; a feed reader
    # shows only the title and summary.
    assert first.title == (
        "Claim changed in Retracted sample: ⚠ No cited work's finding recorded (1 cited"
        " work) · Reference 2: Retracted — We were unable to confirm a benefit of "
        "hydroxychloroquine or chloroquine, when used alone or with a macrolide, on "
        "in-hospital outcomes for COVID-19."
    )
    assert first.summary.startswith(
        "No cited work's finding recorded (1 cited work) · Reference 2: Retracted · "
        "Strength: not stated by the source. We were unable to confirm"
    )
    notice = feed.entries[5]
    assert notice.link == f"topics/{RETRACTED_TOPIC}/references/2.html"
    assert notice.updated == "2020-06-05T00:00:00Z"
    root = ET.fromstring(data)
    assert root.tag == f"{ATOM}feed"
    for entry in root.iter(f"{ATOM}entry"):
        assert {child.tag.removeprefix(ATOM) for child in entry} >= {"id", "title", "updated"}
    # The home page and What's new point feed readers at it; other pages do not repeat it.
    feed = 'link[type="application/atom+xml"]'
    assert soup(site / "index.html").select_one(feed)["href"] == "changes.atom"
    assert soup(site / "changes.html").select_one(feed)["href"] == "changes.atom"
    assert soup(site / "claims" / f"{MEHRA}.html").select_one(feed) is None


def test_entry_ids_stay_when_other_changes_come(tmp_path: Path) -> None:
    kb = dated_kb(tmp_path)
    first = feedparser.parse((build(load_kb(kb), tmp_path / "a") / "changes.atom").read_bytes())
    claims = kb / "topics" / RETRACTED_TOPIC / "claims.toml"
    claims.write_text(
        claims.read_text(encoding="utf-8").replace(
            'source_line = 1\nadded = "2026-11-23"\n',
            'source_line = 1\nadded = "2026-11-23"\nchanged = "2026-12-06"\n',
        ),
        encoding="utf-8",
    )
    second = feedparser.parse((build(load_kb(kb), tmp_path / "b") / "changes.atom").read_bytes())
    assert second.entries[0].link == f"claims/{WAKEFIELD}.html"
    assert {e.id for e in first.entries} < {e.id for e in second.entries}


def test_two_logged_changes_of_a_day_have_ids_of_their_own(tmp_path: Path) -> None:
    """The older keeps the id one change that day had: a later one adds an entry."""
    kb = dated_kb(tmp_path)
    one = feedparser.parse((build(load_kb(kb), tmp_path / "a") / "changes.atom").read_bytes())
    topic = kb / "topics" / RETRACTED_TOPIC / "topic.toml"
    logged = topic.read_text(encoding="utf-8").replace(
        '[[change]]\ndate = "2026-11-23"',
        '[[change]]\ndate = "2026-12-04"\nsummary = "Mehra\'s retraction recorded."\n'
        "conclusions_changed = false\n\n"
        '[[change]]\ndate = "2026-11-23"',
    )
    topic.write_text(logged, encoding="utf-8")
    two = feedparser.parse((build(load_kb(kb), tmp_path / "b") / "changes.atom").read_bytes())
    ids = {e.title: e.id for e in two.entries if e.title.startswith("Topic changed")}
    assert len(ids) == len(set(ids.values())) == 3
    before = {e.title: e.id for e in one.entries}
    for title in ("Both works found retracted.", "Two claims imported."):
        name = f"Topic changed in Retracted sample: {title}"
        assert ids[name] == before[name]


def test_two_notices_alike_on_one_work_would_have_ids_of_their_own(tmp_path: Path) -> None:
    """Two notices of one kind on one work and day (Retraction Watch records each
    notice) are two entries; the first keeps the id one such notice always had.

    Tested without inventing a notice: no real work known here had two alike notices on
    one day, so the real notices (Wakefield's retraction, Mehra's expression of concern
    and retraction) are each first of their kind and day, and the rule that tells
    alike ones apart is tested where it lives: how many alike come before each
    (`_alike_before`, by date and nature) and the id an entry after the first gets."""
    from dataclasses import replace

    from evidencekb.site.changes import _alike_before, latest_changes
    from evidencekb.site.render import claim_href, reference_href, topic_href

    kb = load_kb(dated_kb(tmp_path))
    found = latest_changes(kb, claim_href, topic_href, reference_href)
    notices = [c for c in found if c.kind == "notice"]
    assert [(c.date, c.nature, c.later) for c in notices] == [
        ("2020-06-05", "retraction", 0),
        ("2020-06-03", "expression-of-concern", 0),
        ("2010-02-02", "retraction", 0),
    ]
    assert len({c.entry_id for c in notices}) == 3
    assert _alike_before(["x", "y", "x", "x"]) == [0, 0, 1, 2]
    first = notices[0]
    assert replace(first, later=1).entry_id not in {c.entry_id for c in notices}
    assert replace(first, later=0).entry_id == first.entry_id


def test_the_feed_stays_xml_whatever_the_kb_text_holds(tmp_path: Path) -> None:
    """Markup, `]]>` and the two characters XML cannot write at all (U+FFFE, U+FFFF,
    which kb text may hold) in a claim and a logged change: the feed parses as XML,
    its entries newest first with ids of their own; the page shows the markup as text."""
    import re

    kb = dated_kb(tmp_path)
    hostile = "</title><script>alert(1)</script> ]]> & \\uFFFE\\uFFFF"
    claims = kb / "topics" / RETRACTED_TOPIC / "claims.toml"
    edit = claims.read_text(encoding="utf-8").replace(
        '"We were unable', f'"{hostile} We were unable'
    )
    claims.write_text(edit, encoding="utf-8")
    topic = kb / "topics" / RETRACTED_TOPIC / "topic.toml"
    logged = topic.read_text(encoding="utf-8").replace("Both works found", f"{hostile} Both found")
    topic.write_text(logged, encoding="utf-8")
    site = build(load_kb(kb), tmp_path / "site")
    root = ET.fromstring((site / "changes.atom").read_bytes())
    entries = list(root.iter(f"{ATOM}entry"))
    shown = "</title><script>alert(1)</script> ]]> & \ufffd\ufffd"
    titles = [entry.findtext(f"{ATOM}title") or "" for entry in entries]
    assert titles[0].endswith(
        f"Retracted — {shown} We were unable to confirm a benefit of "
        "hydroxychloroquine or chloroquine, when used alone or with a macrolide, on "
        "in-hospital outcomes for COVID-19."
    )
    assert f"Topic changed in Retracted sample: {shown} Both found retracted." in titles
    updated = [entry.findtext(f"{ATOM}updated") or "" for entry in entries]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00Z", date) for date in updated)
    assert updated == sorted(updated, reverse=True)
    ids = [entry.findtext(f"{ATOM}id") for entry in entries]
    assert len(set(ids)) == len(ids) == 8
    page = soup(site / "changes.html")
    assert page.select_one("ol.whats-new script") is None
    assert "</title><script>alert(1)</script>" in text(page.select_one("ol.whats-new"))


def test_a_work_renumbered_keeps_its_notices_entry_ids(tmp_path: Path) -> None:
    """The two works numbered the other way round (their notices and the claims citing
    them too): the same notices, at new addresses. Their ids were made from the
    address, and a feed reader would have shown each retraction as news again."""
    from dataclasses import replace

    from evidencekb.model import KnowledgeBase
    from evidencekb.site.changes import latest_changes
    from evidencekb.site.render import claim_href, reference_href, topic_href

    kb = load_kb(dated_kb(tmp_path))
    topic = kb.topic(RETRACTED_TOPIC)
    swapped = tuple(replace(r, number=3 - r.number) for r in reversed(topic.references))
    topics = tuple(replace(t, references=swapped) if t is topic else t for t in kb.topics)

    def notices(kb: KnowledgeBase) -> dict[tuple[str, str], tuple[str, str]]:
        found = latest_changes(kb, claim_href, topic_href, reference_href)
        return {(c.date, c.what): (c.entry_id, c.href) for c in found if c.kind == "notice"}

    before, after = notices(kb), notices(replace(kb, topics=topics))
    assert len(before) == 3 and before.keys() == after.keys()
    assert all(before[key][0] == after[key][0] for key in before)
    assert all(before[key][1] != after[key][1] for key in before)


def test_a_works_notices_stand_in_notice_order_the_latest_first(tmp_path: Path) -> None:
    """What's new orders a work's notices by the one order of notices,
    `model.notice_order`, the latest first as the page is newest first, so that a
    reinstatement of the day of its retraction stands above it, as the work's mark
    reads them. They stood in their position among the reference's notices (oldest
    first): a retraction above its reinstatement of one day, as if the latest.

    Only real notices: no real work known here had two notices on one day, so the
    order is held to `notice_order`'s on the real notices of Mehra et al.'s registry
    paper (an expression of concern on 3 June 2020, the retraction on 5 June), given to
    the reference in either position: on the page, and as `_notices` gives one work's
    entries, the order the page's sort by date keeps for the notices of one day."""
    from dataclasses import replace

    from evidencekb.model import notice_order
    from evidencekb.site.changes import _notices, latest_changes
    from evidencekb.site.render import claim_href, reference_href, topic_href

    kb = load_kb(dated_kb(tmp_path))
    topic = kb.topic(RETRACTED_TOPIC)
    wakefield, mehra = topic.references
    latest_first = sorted(mehra.notices, key=notice_order, reverse=True)
    expected = [(n.date, n.nature) for n in latest_first]
    assert expected == [("2020-06-05", "retraction"), ("2020-06-03", "expression-of-concern")]
    for position in (mehra.notices, mehra.notices[::-1]):
        given = replace(topic, references=(wakefield, replace(mehra, notices=position)))
        mehras = reference_href(RETRACTED_TOPIC, 2)
        entries = [(c.date, c.nature) for c in _notices(given, reference_href) if c.href == mehras]
        assert entries == expected
        topics = tuple(given if t is topic else t for t in kb.topics)
        page = latest_changes(replace(kb, topics=topics), claim_href, topic_href, reference_href)
        assert [(c.date, c.nature) for c in page if c.href == mehras] == expected
