"""Citation markers at the end of a statement: `... pathways 1.`, `[2, 4].`, `[2][4].`

One module reads them (the importer, and `ekb check` looking for a marker
left in a claim's text) and writes them back (`ekb export --format text`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Citation numbers have at most three digits, so that a year ending a sentence
# ("... in 2019.") is not taken for a citation.
_NUMBER = r"\d{1,3}"
_PLAIN = re.compile(
    rf"^(?P<text>.*?\S)\s+(?P<marker>{_NUMBER}(?:\s*,\s*{_NUMBER})*)\s*(?P<end>\.?)\Z"
)
_BRACKETS = re.compile(
    rf"^(?P<text>.*?)\s*(?P<marker>(?:\[\s*{_NUMBER}(?:\s*,\s*{_NUMBER})*\s*\])+)\s*(?P<end>\.?)\Z"
)
# The text before a plain marker must not end in something that makes the
# number part of the sentence: "over 1-4", "grade 3", "0.1-1".
_NOT_BEFORE_PLAIN = re.compile(
    r"(?:[\d.,:/+\-\u2013]|\b(?:of|to|and|or|grade|stage|type|level))\Z", re.IGNORECASE
)


@dataclass(frozen=True)
class Marker:
    text: str  # the statement without the marker, final period kept
    citations: tuple[int, ...]
    style: str  # a key of model.CITATION_STYLES


def split_marker(statement: str) -> Marker | None:
    """Split a trailing citation marker off `statement`; None if it has none."""
    if match := _BRACKETS.match(statement):
        marker = match.group("marker")
        numbers = tuple(int(n) for n in re.findall(r"\d+", marker))
        style = "bracket-each" if marker.count("[") > 1 else "bracketed"
        return Marker(match.group("text") + match.group("end"), numbers, style)
    if (match := _PLAIN.match(statement)) and not _NOT_BEFORE_PLAIN.search(match.group("text")):
        marker = match.group("marker")
        numbers = tuple(int(n) for n in re.findall(r"\d+", marker))
        style = "compact" if len(numbers) > 1 and not re.search(r",\s", marker) else "plain"
        return Marker(match.group("text") + match.group("end"), numbers, style)
    return None


def citation_faults(citations: tuple[int, ...] | list[int]) -> list[str]:
    """What is wrong with a claim's citation numbers: each must be 1 or more, once."""
    faults = [f"citation number {n} must be 1 or more" for n in citations if n < 1]
    if len(set(citations)) != len(citations):
        faults.append("a citation number is listed twice")
    return faults


def format_marker(citations: tuple[int, ...], style: str) -> str:
    """The marker as the topic's source wrote it, or "" for an uncited statement."""
    if not citations:
        return ""
    numbers = [str(n) for n in citations]
    if style == "compact":
        return ",".join(numbers)
    if style == "bracketed":
        return "[" + ", ".join(numbers) + "]"
    if style == "bracket-each":
        return "".join(f"[{n}]" for n in numbers)
    return ", ".join(numbers)


def with_marker(text: str, citations: tuple[int, ...], style: str) -> str:
    """Put the marker back before the final period: `... pathways 1.`"""
    marker = format_marker(citations, style)
    if not marker:
        return text
    body, end = (text[:-1], ".") if text.endswith(".") else (text, "")
    return f"{body} {marker}{end}"
