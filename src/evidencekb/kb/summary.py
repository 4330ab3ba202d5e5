"""The summary format `ekb import` reads, and what each line of one must be.

A "From the Guidelines" and a "From the Research" part, each with an optional
lead paragraph and sub-headings over bullet statements that end in citation
numbers. Each statement is kept verbatim; its citation marker becomes
numbers. Every line that would give a claim `ekb check` rejects (a citation
0, a number twice, a control character) is a problem at that line, with the
same rule the check applies (citations.py, tables.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from evidencekb.errors import Problem, ValidationError
from evidencekb.kb.citations import Marker, citation_faults, split_marker
from evidencekb.kb.reflist import list_start
from evidencekb.kb.text import shown, text_fault
from evidencekb.model import split_lines

_SECTION = re.compile(r"(?:#+\s*)?from the (guidelines|research)\s*:?", re.IGNORECASE)
_BULLET = re.compile(r"[-*\u2022]\s*(.*)", re.DOTALL)
_HEADING_MARKUP = re.compile(r"^#+\s*|\s*:\Z")


@dataclass(frozen=True)
class Statement:
    section: str
    heading: str | None
    text: str
    citations: tuple[int, ...]
    style: str | None  # how its marker was written; None when uncited
    line: int


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
        self.problems.append(Problem(self.display, line, shown(message)))

    def feed(self, number: int, line: str) -> None:
        """Take one non-blank line (stripped) of the summary."""
        if match := _SECTION.fullmatch(line):
            self.start_section(match.group(1).lower())
            return
        if self.section is None:
            self.problem(
                number,
                "text before the first part heading; a summary starts with "
                '"From the Guidelines" or "From the Research"',
            )
            return
        bullet = _BULLET.fullmatch(line)
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
        if fault := text_fault(heading):
            self.problem(number, f"the heading {fault}")

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
        self.check_statement(number, text, marker)
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

    def check_statement(self, number: int, text: str, marker: Marker | None) -> None:
        """The rules `ekb check` applies to a claim's text and citations."""
        if fault := text_fault(text):
            self.problem(number, f"the statement {fault}")
        if split_marker(text) is not None:
            self.problem(number, "the statement ends in two citation markers; write them as one")
        for fault in citation_faults(marker.citations if marker else ()):
            self.problem(number, fault)

    def finish(self) -> tuple[Statement, ...]:
        self.close_heading()
        if not self.statements and not self.problems:
            self.problem(1, "no statements found")
        if self.problems:
            raise ValidationError(self.problems)
        return tuple(self.statements)
