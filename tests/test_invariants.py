"""The two promises between the commands, as properties over generated input:

- `ekb import` succeeds only if `ekb check` then passes: over generated summaries
  in every layout (plain text, Markdown, the article layout; arbitrary Unicode
  statements, every citation spelling, headings, lead-ins, sections, line endings),
  `import_summary` either raises a KBError and writes nothing, or writes a topic
  that `load_kb` accepts, that `ekb export --format text` writes back as it was,
  and that `build` builds.
- `ekb check` passes only if `ekb build` will succeed: over generated edits of a
  small kb copy (huge and negative numbers, control characters, duplicates, long
  ids, odd Unicode in claims, references and vocabularies), whenever `load_kb`
  accepts the kb, `build` writes the site without an exception.

Bounded (a few dozen examples each, a build only for an accepted kb) so that they
add seconds, not minutes, to `make test`. The kb copies are made per example in a
temporary folder, not with pytest's function-scoped fixtures, which Hypothesis
would share between examples.
"""

from __future__ import annotations

import shutil
import tempfile
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import tomli_w
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from evidencekb.build import build
from evidencekb.errors import KBError, ValidationError
from evidencekb.kb.exporter import summary_text
from evidencekb.kb.importer import import_summary
from evidencekb.kb.load import load_kb
from fixtures import REPO_KB

# Bounded for `make test`; a build takes a good part of a second, so fewer of those.
# too_slow: each example copies a kb and reads it (twice for an import).
BOUNDED = settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
BUILDS = settings(BOUNDED, max_examples=25)

# Any character a UTF-8 file can hold (lone surrogates cannot be encoded).
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
# Text an editor might plausibly write: any Unicode but control characters. Most
# examples draw this, so that many pass and reach the stage that must not fail.
FAIR_TEXT = st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=40).filter(
    str.strip
)
CONTROL = st.sampled_from(["\0", "\x1b", "\x0c", "\x85", "\x9f", "\t", "\u2028", "\ufeff"])
# Text that shows as nothing: spaces and characters of no width (a title, name or claim
# a page would show as nothing).
INVISIBLE = st.text(
    st.sampled_from(" \u200b\u00ad\ufeff\u2060\u3164\ufe0f"), min_size=1, max_size=4
)
ODD_TEXT = st.one_of(ANY_TEXT, st.builds(str.__add__, FAIR_TEXT, CONTROL), INVISIBLE)


def mostly(usual: st.SearchStrategy[Any], rare: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`usual` nine times in ten, so that most examples pass the first checks."""
    return st.integers(0, 9).flatmap(lambda n: rare if n == 0 else usual)


@contextmanager
def kb_copy(keep_topics: int) -> Iterator[Path]:
    """A private kb: the repository's scheme and vocabularies, and the first
    `keep_topics` claims of its topic (0: no topics folder content at all)."""
    with tempfile.TemporaryDirectory() as folder:
        kb = Path(folder) / "kb"
        shutil.copytree(REPO_KB, kb)
        topic = kb / "topics" / "ketamine-pain"
        if keep_topics:
            _trim_topic(topic, keep_topics)
        else:
            shutil.rmtree(topic)
        yield kb


def _trim_topic(topic: Path, claims: int) -> None:
    data = tomllib.loads((topic / "claims.toml").read_text(encoding="utf-8"))
    kept = data["claim"][:claims]
    cited = {n for claim in kept for n in claim["citations"]}
    (topic / "claims.toml").write_text(tomli_w.dumps({"claim": kept}), encoding="utf-8")
    references = tomllib.loads((topic / "references.toml").read_text(encoding="utf-8"))
    rows = [row for row in references["reference"] if row["number"] in cited]
    (topic / "references.toml").write_text(tomli_w.dumps({"reference": rows}), encoding="utf-8")


# -- import succeeds only if check then passes ---------------------------------------

SUPERSCRIPT = str.maketrans(
    "0123456789", "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"
)
MARKERS = {
    "plain": lambda ns: " " + ", ".join(map(str, ns)),
    "compact": lambda ns: " " + ",".join(map(str, ns)),
    "bracketed": lambda ns: " [" + ", ".join(map(str, ns)) + "]",
    "bracket-each": lambda ns: " " + "".join(f"[{n}]" for n in ns),
    "parenthesized": lambda ns: " (" + ", ".join(map(str, ns)) + ")",
    "superscript": lambda ns: "\u02d2".join(str(n).translate(SUPERSCRIPT) for n in ns),
    "range": lambda ns: f" [{min(ns)}-{max(ns)}]",
}


@st.composite
def statements(draw: st.DrawFn) -> str:
    text = draw(mostly(FAIR_TEXT, ODD_TEXT))
    bullet = draw(st.sampled_from(["- ", "* ", "\u2022 ", "-", ""]))
    number = mostly(st.integers(1, 999), st.integers(0, 1200))
    numbers = draw(st.lists(number, max_size=3))
    style = draw(st.sampled_from(sorted(MARKERS)))
    marker = MARKERS[style](numbers) if numbers else ""
    end = draw(st.sampled_from([".", "", "!"]))
    if draw(st.booleans()):  # the marker after the sentence's period
        return f"{bullet}{text}{end}{marker}"
    return f"{bullet}{text}{marker}{end}"


@st.composite
def summaries(draw: st.DrawFn) -> str:
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        part = draw(st.sampled_from(["Guidelines", "Research", "research"]))
        lines.append(
            draw(st.sampled_from(["From the {}", "## From the {}:", "FROM THE {}"])).format(part)
        )
        for _ in range(draw(st.integers(0, 3))):
            if draw(st.booleans()):
                heading = draw(mostly(FAIR_TEXT, ODD_TEXT))
                lines.append(draw(st.sampled_from(["{}", "### {}", "{}:"])).format(heading))
            lines += draw(st.lists(statements(), min_size=1, max_size=4))
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return ending.join(lines) + ending


@st.composite
def markdown_summaries(draw: st.DrawFn) -> str:
    """Summaries in Markdown: a title, part headings or none, headings of any depth,
    lead-in paragraphs, lists of every kind and depth, statements of any text (which
    Markdown may read as emphasis, links or code)."""
    blocks: list[str] = []
    if draw(st.booleans()):
        blocks.append("# " + draw(mostly(FAIR_TEXT, ODD_TEXT)))
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.integers(0, 3)):
            part = draw(st.sampled_from(["Guidelines", "Research"]))
            form = draw(st.sampled_from(["## From the {}", "**From the {}**", "From the {}\n---"]))
            blocks.append(form.format(part))
        for _ in range(draw(st.integers(0, 3))):
            if draw(st.booleans()):
                heading = draw(mostly(FAIR_TEXT, ODD_TEXT))
                form = draw(st.sampled_from(["### {}", "#### {}", "{}:", "**{}**"]))
                blocks.append(form.format(heading))
            marker = draw(st.sampled_from(["* ", "- ", "1. ", "2) ", "", "  * "]))
            items = draw(st.lists(statements(), min_size=1, max_size=4))
            blocks.append("\n".join(marker + item for item in items))
    return draw(st.sampled_from(["\n\n", "\n"])).join(blocks) + "\n"


@st.composite
def article_summaries(draw: st.DrawFn) -> str:
    """Summaries in the article layout: a title line, headings, lead-in lines,
    indented bullets, citation numbers after the sentence."""
    lines = [draw(FAIR_TEXT)] if draw(st.booleans()) else []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["heading", "lead-in", "paragraph", "bullets"]))
        text = draw(mostly(FAIR_TEXT, ODD_TEXT))
        if kind == "heading":
            lines.append(text)
        elif kind == "lead-in":
            lines.append(text + ":")
        else:
            indent = draw(st.sampled_from(["", "  ", "    ", "\t"]))
            bullet = "\u2022 " if kind == "bullets" else ""
            for statement in draw(st.lists(statements(), min_size=1, max_size=3)):
                lines.append(indent + bullet + statement)
        if draw(st.booleans()):
            lines.append("")
    return "\n".join(lines) + "\n"


@BOUNDED
@given(
    layout=st.sampled_from(["markdown", "article"]),
    data=st.data(),
    section=st.sampled_from([None, "guidelines", "research"]),
)
def test_every_layout_imports_only_what_check_passes_and_exports_it_back(
    layout: str, data: st.DataObject, section: str | None
) -> None:
    summary = data.draw(markdown_summaries() if layout == "markdown" else article_summaries())
    name = "summary.md" if layout == "markdown" else "summary.txt"
    with kb_copy(keep_topics=0) as kb, tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / name
        source.write_bytes(summary.encode("utf-8"))
        try:
            import_summary(kb, source, "t", section=section, layout=layout)
        except KBError:
            event("refused")
            assert list((kb / "topics").iterdir()) == []
            return
        event("imported")
        topic = load_kb(kb).topic("t")
        assert summary_text(topic) == summary  # the round trip, in its own layout


@settings(BUILDS, max_examples=60)  # most are refused at once; a few build
@given(
    layout=st.sampled_from(["text", "markdown", "article"]),
    data=st.data(),
    section=st.sampled_from([None, "research"]),
)
def test_an_imported_summary_of_any_layout_builds(
    layout: str, data: st.DataObject, section: str | None
) -> None:
    drawn = {"text": summaries, "markdown": markdown_summaries, "article": article_summaries}
    summary = data.draw(drawn[layout]())
    with kb_copy(keep_topics=0) as kb, tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "summary.txt"
        source.write_bytes(summary.encode("utf-8"))
        try:
            import_summary(kb, source, "t", section=section, layout=layout)
        except KBError:
            event("refused")
            return
        event("built")
        build(kb, kb.parent / "site")
        assert (kb.parent / "site" / "topics" / "t" / "index.html").is_file()


@BOUNDED
@given(
    summary=summaries(),
    slug=mostly(st.sampled_from(["t", "ketamine-pain", "a-1"]), st.text(max_size=12)),
    title=mostly(st.one_of(st.none(), FAIR_TEXT), ODD_TEXT),
    name=mostly(
        st.just("summary.txt"),
        st.text(
            st.characters(exclude_categories=("Cs",), exclude_characters="/\0"),
            min_size=1,
            max_size=20,
        ),
    ),
)
def test_import_succeeds_only_if_check_then_passes(
    summary: str, slug: str, title: str | None, name: str
) -> None:
    with kb_copy(keep_topics=0) as kb, tempfile.TemporaryDirectory() as folder:
        if name in {".", ".."}:
            name = "summary.txt"
        source = Path(folder) / name
        source.write_bytes(summary.encode("utf-8"))
        try:
            import_summary(kb, source, slug, title=title)
        except KBError:
            event("refused")
            assert list((kb / "topics").iterdir()) == []  # refused: nothing written
            return
        event("imported")
        load_kb(kb)


# -- check passes only if build will succeed -------------------------------------------

TOPIC = "topics/ketamine-pain"
# (file, table, keys a curator may edit); table "" for top-level keys.
EDITABLE = [
    (f"{TOPIC}/references.toml", "reference",
     ["number", "title", "authors", "year", "journal", "doi", "pmid", "url"]),
    (f"{TOPIC}/claims.toml", "claim",
     ["id", "heading", "categories", "entities", "citations", "source_line"]),
    (f"{TOPIC}/topic.toml", "", ["title"]),
    ("vocabulary/entities.toml", "entity",
     ["id", "label", "definition", "synonyms", "abbreviations", "kind"]),
    ("vocabulary/categories.toml", "category",
     ["id", "label", "definition", "synonyms", "abbreviations"]),
    ("strength.toml", "level", ["label", "title", "definition", "rank"]),
]  # fmt: skip
TERM_IDS = ["ketamine", "crps", "efficacy", "mechanism", "dosing", "chronic-pain"]
HUGE = st.sampled_from([2**63, 2**63 - 1, -(2**63), -(2**63) - 1, 2**64, 0, -1])
LONG_ID = st.integers(150, 260).map(lambda n: "a" * n)
# A name of many words (a term's names are searched as phrases).
LONG_NAME = st.integers(150, 260).map(lambda n: ("pain " * n)[:n].strip())
# What a key usually holds, by key; anything else is drawn now and then (WILD).
TYPED = {
    "text": FAIR_TEXT,
    "texts": st.lists(FAIR_TEXT, max_size=3),
    "terms": st.lists(st.sampled_from(TERM_IDS), max_size=4, unique=True),
    "int": st.integers(1, 2000),
    "id": st.from_regex(r"[a-z0-9]{1,12}(-[a-z0-9]{1,12}){0,3}", fullmatch=True),
    "ints": st.lists(st.integers(1, 6), max_size=3, unique=True),
}
KINDS = {
    "title": "text", "journal": "text", "doi": "text", "pmid": "text", "url": "text",
    "heading": "text", "label": "text", "definition": "text", "kind": "text",
    "authors": "texts", "synonyms": "texts", "abbreviations": "texts",
    "categories": "terms", "entities": "terms",
    "year": "int", "rank": "int", "number": "int", "source_line": "int",
    "id": "id", "citations": "ints",
}  # fmt: skip
WILD = st.one_of(
    ODD_TEXT,
    HUGE,
    LONG_ID,
    LONG_NAME,
    st.lists(LONG_NAME, min_size=1, max_size=2),
    st.lists(st.sampled_from(TERM_IDS), min_size=2, max_size=4),  # duplicates likely
    st.lists(st.one_of(HUGE, st.integers(-1, 7)), max_size=3),
    st.lists(ODD_TEXT, max_size=3),
    st.just("COPY"),  # the same key's value in another row: a duplicate
)


@st.composite
def edits(draw: st.DrawFn) -> list[tuple[str, str, int, str, Any]]:
    chosen = []
    for _ in range(draw(st.integers(1, 2))):
        relative, table, keys = draw(st.sampled_from(EDITABLE))
        key = draw(st.sampled_from(keys))
        value = draw(mostly(TYPED[KINDS[key]], WILD))
        chosen.append((relative, table, draw(st.integers(0, 9)), key, value))
    return chosen


def apply_edit(kb: Path, relative: str, table: str, index: int, key: str, value: Any) -> None:
    path = kb / relative
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    rows = data[table] if table else [data]
    row = rows[index % len(rows)]
    if value == "COPY":
        value = rows[(index + 1) % len(rows)].get(key, "")
    row[key] = value
    path.write_text(tomli_w.dumps(data), encoding="utf-8")


@BUILDS
@given(changes=edits())
def test_check_passes_only_if_build_succeeds(changes: list[tuple[str, str, int, str, Any]]) -> None:
    with kb_copy(keep_topics=3) as kb:
        for change in changes:
            apply_edit(kb, *change)
        try:
            load_kb(kb)
        except ValidationError:
            event("rejected by check")
            return
        event("built")
        build(kb, kb.parent / "site")
        assert (kb.parent / "site" / "index.html").is_file()
