"""kb/ prose becomes sanitized HTML: no script URL, tag or handler survives, whatever
the spelling, through the real pipeline (load, database, search index, pages)."""

from __future__ import annotations

import html
import re
import sqlite3
from pathlib import Path

import html5lib
import pytest
from bs4 import BeautifulSoup

from evidencekb.build import build
from evidencekb.paths import DATABASE_NAME, OVERVIEW_FILE, SOURCE_COPY, STRENGTH_PROSE
from evidencekb.site.prose import render_markdown
from fixtures import PROSE_ATTACKS

# Attributes a browser follows or loads as a URL.
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "srcset", "poster", "data", "xlink:href"}
# What a browser ignores in a URL before reading its scheme (the URL standard strips
# leading and trailing C0 controls and spaces, and removes tabs and newlines anywhere).
_IGNORED = re.compile(r"[\t\n\r]")
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):")
SAFE_SCHEMES = {"http", "https", "mailto"}
# The site's own favicon is an empty data: URL (no request, no content): base.html.
OWN_FAVICON = ("link", "href", "data:,")


def is_safe_url(value: str) -> bool:
    """As a browser reads the (already entity-decoded) attribute: relative, or one
    of SAFE_SCHEMES. Written independently of the sanitizer it checks."""
    url = _IGNORED.sub("", value.strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c"
                                       "\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19"
                                       "\x1a\x1b\x1c\x1d\x1e\x1f ")).lower()  # fmt: skip
    match = _SCHEME.match(url)
    return match is None or match.group(1) in SAFE_SCHEMES


def script_in_page(page: str) -> list[str]:
    """Every unsafe URL, event handler or script element in an HTML page."""
    found = []
    for tag in BeautifulSoup(page, "html5lib").find_all(True):
        if tag.name in ("script", "iframe", "object", "embed") and tag.get("src") is None:
            if tag.name == "script" and tag.string is None:
                continue
            # JSON-LD is a data block browsers never run; it escapes every "<" in it.
            if tag.get("type") == "application/ld+json" and "<" not in tag.string:
                continue
            found.append(f"<{tag.name}>")
        for name, value in tag.attrs.items():
            values = value if isinstance(value, list) else [value]
            if name.startswith("on"):
                found.append(f"<{tag.name} {name}>")
            elif name in URL_ATTRIBUTES:
                for url in values:
                    if not is_safe_url(url) and (tag.name, name, url) != OWN_FAVICON:
                        found.append(f"<{tag.name} {name}={url!r}>")
    return found


def test_the_checker_catches_what_it_is_for() -> None:
    assert not is_safe_url("\x01 Java\tScript:alert(1)")
    assert not is_safe_url("data:text/html,x")
    assert is_safe_url("topics/a/index.html#x") and is_safe_url("https://doi.org/10.1/x")
    assert script_in_page('<a href="java&#x09;script:x">a</a>') == ["<a href='java\\tscript:x'>"]
    assert script_in_page('<p onclick="x">a</p><script>x()</script>') == [
        "<p onclick>",
        "<script>",
    ]


@pytest.mark.parametrize("attack", PROSE_ATTACKS)
def test_each_attack_renders_inert(attack: str) -> None:
    rendered = render_markdown(f"Before {attack} after.\n")
    assert script_in_page(rendered) == []
    assert "Before" in rendered and "after." in rendered  # the prose itself stays


def test_what_the_prose_needs_survives() -> None:
    rendered = render_markdown(
        "# Method\n\nSee [GRADE](https://www.gradeworkinggroup.org/), "
        "[the levels](strength.html#high) or [write](mailto:editors@example.org).\n\n"
        "1. **one**\n2. *two* and `code`\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n"
    )
    page = BeautifulSoup(rendered, "html5lib")
    assert page.find("h3").get_text() == "Method"
    assert [a["href"] for a in page.find_all("a")] == [
        "https://www.gradeworkinggroup.org/",
        "strength.html#high",
        "mailto:editors@example.org",
    ]
    assert [tag.name for tag in page.find("ol").find_all(True)] == [
        "li", "strong", "li", "em", "code"
    ]  # fmt: skip
    assert page.find("th")["style"] == "text-align:left"


def test_attacks_in_overview_and_strength_reach_no_page_data_file_or_database(
    kb_dir: Path, tmp_path: Path
) -> None:
    prose = "Prose with links: " + " ".join(PROSE_ATTACKS) + "\n"
    for path in (kb_dir / STRENGTH_PROSE, *kb_dir.glob(f"topics/*/{OVERVIEW_FILE}")):
        path.write_text(path.read_text("utf-8") + "\n" + prose, "utf-8")
    site = build(kb_dir, tmp_path / "site").site_dir
    shown = 0
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        if path.name == DATABASE_NAME:
            continue
        data = path.read_bytes()
        if path.suffix == ".html":
            page = data.decode("utf-8")
            assert script_in_page(page) == [], path
            shown += "Prose with links:" in page
        else:  # search data, JSON export, Whoosh's files
            text = html.unescape(data.decode("utf-8", errors="replace"))
            flat = _IGNORED.sub("", text).lower()
            assert not re.search(r"(javascript|vbscript|data):", flat), path
    assert shown == 2  # the strength page and the topic page
    # The database keeps each overview as kb/ has it, Markdown source: data, like claim
    # text (shown escaped wherever a page shows it). The attacks stand nowhere else.
    with sqlite3.connect(site / DATABASE_NAME) as db:
        tables = [row[0] for row in db.execute("select name from sqlite_master where type='table'")]
        holding = [
            (table, value)
            for table in tables
            for row in db.execute(f'select * from "{table}"')
            for value in row
            if isinstance(value, str) and "alert(" in value
        ]
    overview = (kb_dir / "topics/ketamine-pain" / OVERVIEW_FILE).read_text("utf-8")
    assert holding == [("topics", overview)]


# Code points no HTML document may hold, which `ekb check` refuses in one-line fields
# but which a file of many lines (prose, a summary as imported) can carry: a C0 control,
# an escape sequence, DEL, a C1 control, noncharacters in and beyond the first plane.
CONTROLS = "a\x01b \x1b[31mred \x7f \x85 \ufffe \U0010ffff end"
SHOWN = "a\\u0001b \\u001b[31mred \\u007f \\u0085 \\ufffe \\U0010ffff end"


def test_control_characters_in_prose_and_the_summary_show_as_escapes(
    kb_dir: Path, tmp_path: Path
) -> None:
    """Every page stays HTML a parser reads without error (a browser would show such a
    character as a box, or nothing), and the reader sees where each one stands."""
    topic = kb_dir / "topics" / "ketamine-pain"
    for path in (kb_dir / STRENGTH_PROSE, topic / OVERVIEW_FILE, topic / SOURCE_COPY):
        path.write_text(path.read_text("utf-8") + f"\nSecurity test: {CONTROLS}\n", "utf-8")
    site = build(kb_dir, tmp_path / "site").site_dir
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    shown = []
    for path in sorted(site.rglob("*.html")):
        parser.parse(path.read_bytes())  # strict: raises on the first parse error
        if SHOWN in BeautifulSoup(path.read_bytes(), "html5lib").get_text():
            shown.append(path.relative_to(site).as_posix())
    assert shown == [
        "strength.html",
        "topics/ketamine-pain/index.html",
        "topics/ketamine-pain/source.html",
    ]
