"""`ekb import`: turn an evidence summary into a new topic folder in kb/.

The summary format: a "From the Guidelines" and a "From the Research" part,
each with an optional lead paragraph and sub-headings over bullet statements
that end in citation numbers. The importer keeps each statement verbatim,
moves its citation marker into `citations`, labels its strength by the written
rule (strength.py), proposes the vocabulary entities its text names, and leaves
categories to the curator. Nothing is guessed: no reference details, no
stated strength.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from evidencekb.atomic import staged_dir
from evidencekb.errors import KBError, Problem, ValidationError
from evidencekb.kb.citations import Marker, split_marker
from evidencekb.kb.load import load_kb
from evidencekb.kb.reflist import Entry, list_start, parse_reference_list
from evidencekb.kb.strength import derive_strength
from evidencekb.kb.tables import SLUG
from evidencekb.kb.tomlfile import format_keys, format_table
from evidencekb.model import SECTIONS, KnowledgeBase, Term, split_lines
from evidencekb.paths import (
    CLAIMS_FILE,
    OVERVIEW_FILE,
    REFERENCES_FILE,
    SOURCE_COPY,
    TOPIC_FILE,
    TOPICS_DIR,
)

_SECTION = re.compile(r"^(?:#+\s*)?from the (guidelines|research)\s*:?$", re.IGNORECASE)
_BULLET = re.compile(r"^[-*\u2022]\s*(.*)$")
_HEADING_MARKUP = re.compile(r"^#+\s*|\s*:$")


@dataclass(frozen=True)
class Statement:
    section: str
    heading: str | None
    text: str
    citations: tuple[int, ...]
    style: str | None  # how its marker was written; None when uncited
    line: int


@dataclass(frozen=True)
class ImportResult:
    topic_dir: Path
    statements: int
    cited_sources: int
    replaced: bool


def parse_summary(text: str, display: str) -> tuple[Statement, ...]:
    """Parse a summary; raise ValidationError naming every line that does not fit."""
    parser = _SummaryParser(display)
    lines = split_lines(text.lstrip("\ufeff"))
    end = list_start(lines)  # the reference list, if any, is reflist.py's
    for number, raw in enumerate(lines[:end], start=1):
        if line := raw.strip():
            parser.feed(number, line)
    return parser.finish()


class _SummaryParser:
    """Reads a summary line by line: part headings, sub-headings, statements."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.problems: list[Problem] = []
        self.statements: list[Statement] = []
        self.section: str | None = None
        self.heading: str | None = None
        self.heading_line = 0
        self.heading_used = True
        self.first_seen: dict[str, int] = {}  # statement text -> its line

    def problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.display, line, message))

    def feed(self, number: int, line: str) -> None:
        """Take one non-blank line (stripped) of the summary."""
        if match := _SECTION.match(line):
            self.start_section(match.group(1).lower())
            return
        if self.section is None:
            self.problem(
                number,
                "text before the first part heading; a summary starts with "
                '"From the Guidelines" or "From the Research"',
            )
            return
        bullet = _BULLET.match(line)
        body = bullet.group(1).strip() if bullet else line
        if bullet and not body:
            self.problem(number, "empty bullet: write the statement after it")
            return
        marker = split_marker(body)
        if not bullet and marker is None and not body.endswith((".", "!", "?")):
            self.start_heading(number, _HEADING_MARKUP.sub("", line))
            return
        self.add_statement(self.section, number, body, marker)

    def start_section(self, section: str) -> None:
        self.close_heading()
        self.section, self.heading, self.heading_used = section, None, True

    def start_heading(self, number: int, heading: str) -> None:
        self.close_heading()
        self.heading, self.heading_line, self.heading_used = heading, number, False

    def close_heading(self) -> None:
        if not self.heading_used:
            self.problem(self.heading_line, f'heading "{self.heading}" has no statements')

    def add_statement(self, section: str, number: int, body: str, marker: Marker | None) -> None:
        text = marker.text if marker else body
        if text in self.first_seen:
            self.problem(number, f"the same statement as line {self.first_seen[text]}; remove one")
            return
        self.first_seen[text] = number
        self.heading_used = True
        self.statements.append(
            Statement(
                section=section,
                heading=self.heading,
                text=text,
                citations=marker.citations if marker else (),
                style=marker.style if marker else None,
                line=number,
            )
        )

    def finish(self) -> tuple[Statement, ...]:
        self.close_heading()
        if not self.statements and not self.problems:
            self.problem(1, "no statements found")
        if self.problems:
            raise ValidationError(self.problems)
        return tuple(self.statements)


def import_summary(
    kb_dir: Path, source: Path, slug: str, title: str | None = None, replace: bool = False
) -> ImportResult:
    """Write `source` as topic `slug` into kb/, all at once or not at all."""
    if not SLUG.match(slug):
        raise KBError(
            f"topic '{slug}' is not a slug: use lower-case letters, digits and single hyphens"
        )
    try:
        text = source.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise KBError(f"{source}: file not found") from None
    except UnicodeDecodeError:
        raise KBError(f"{source}: not UTF-8 text; save it as UTF-8 and import again") from None
    target = kb_dir / TOPICS_DIR / slug
    existed = target.exists()
    if existed and not replace:
        raise KBError(f"{target} already exists; pass --replace to overwrite it")
    statements = parse_summary(text, str(source))
    first_cites = {n: s.line for s in reversed(statements) for n in s.citations}
    listed = parse_reference_list(split_lines(text), str(source), first_cites)
    kb = load_kb(kb_dir)  # the vocabularies and strength rule come from kb/
    with staged_dir(target) as staged:
        (staged / SOURCE_COPY).write_text(text, encoding="utf-8")
        _write_topic(
            staged, kb, slug, title or _title_from_slug(slug), source.name, statements, listed
        )
    cited = {n for s in statements for n in s.citations}
    return ImportResult(target, len(statements), len(cited), existed)


def claim_id(slug: str, text: str) -> str:
    """A stable id: it depends on the claim's own text only, never on its position."""
    return f"{slug}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:8]}"


def mentioned_entities(text: str, entities: tuple[Term, ...]) -> tuple[str, ...]:
    """Ids of the entities `text` names, in order of first mention.

    Labels and synonyms match in any case; abbreviations only as written, so
    that "IV" is found but not the "iv" inside a word or a Roman numeral.
    """
    found: list[tuple[int, str]] = []
    for term in entities:
        positions = [
            match.start()
            for name in (term.label, *term.synonyms)
            for match in re.finditer(rf"\b{re.escape(name)}\b", text, re.IGNORECASE)
        ] + [
            match.start()
            for name in term.abbreviations
            for match in re.finditer(rf"\b{re.escape(name)}\b", text)
        ]
        if positions:
            found.append((min(positions), term.id))
    return tuple(term_id for _, term_id in sorted(found))


def _write_topic(
    folder: Path,
    kb: KnowledgeBase,
    slug: str,
    title: str,
    source_name: str,
    statements: tuple[Statement, ...],
    listed: dict[int, Entry],
) -> None:
    styles = Counter(s.style for s in statements if s.style)
    style = styles.most_common(1)[0][0] if styles else "plain"
    (folder / TOPIC_FILE).write_text(
        format_keys({"title": title, "source": source_name, "citation_style": style}),
        encoding="utf-8",
    )
    (folder / OVERVIEW_FILE).write_text(
        _overview(source_name, statements, bool(listed)), encoding="utf-8"
    )
    claims = [
        "# Claims in source order. `ekb import` wrote this file; curators add categories,\n"
        "# review entities and, where the source grades its evidence, a stated strength.\n"
        "# kb/README.md explains every field.\n"
    ]
    for statement in statements:
        rule = derive_strength(
            statement.text, statement.section, statement.citations, kb.strength.hedging_words
        )
        row = {
            "id": claim_id(slug, statement.text),
            "section": statement.section,
            "heading": statement.heading,
            "text": statement.text,
            "citations": list(statement.citations),
            "strength": rule.label,
            "strength_method": "derived",
            "strength_basis": rule.basis,
            "categories": [],
            "entities": list(mentioned_entities(statement.text, kb.entities)),
            "source_line": statement.line,
        }
        claims.append("\n" + format_table("claim", row))
    (folder / CLAIMS_FILE).write_text("".join(claims), encoding="utf-8")
    numbers = sorted({n for s in statements for n in s.citations})
    gives = "a reference list" if listed else "their numbers only"
    references = [
        f"# The works this topic cites. {source_name} gives {gives}.\n"
        "# Add other fields to a reference only from the work itself: never guess them.\n"
        "# kb/README.md explains every field.\n"
    ]
    references += [
        "\n" + format_table("reference", {"number": n, **(listed[n].fields if n in listed else {})})
        for n in numbers
    ]
    (folder / REFERENCES_FILE).write_text("".join(references), encoding="utf-8")


def _overview(source_name: str, statements: tuple[Statement, ...], has_list: bool) -> str:
    counts = Counter(s.section for s in statements)
    parts = " and ".join(
        f"{counts[section]} from the {section}" for section in SECTIONS if counts[section]
    )
    cited = len({n for s in statements for n in s.citations})
    uncited = sum(1 for s in statements if not s.citations)
    lines = [
        f"Imported from `{source_name}`: {len(statements)} statements, {parts}.",
        "",
        f"The statements cite {cited} sources by number. "
        + (
            "The summary lists them under its references."
            if has_list
            else "The summary gives no bibliographic details for them, so none are shown here."
        ),
    ]
    if uncited:
        lines[-1] += f" {uncited} statements cite no source."
    return "\n".join(lines) + "\n"


def _title_from_slug(slug: str) -> str:
    return slug.replace("-", " ").capitalize()
