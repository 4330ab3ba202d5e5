"""Search results for people and programs: the terminal listing and JSON."""

from __future__ import annotations

import json
import re
import textwrap
from html import escape
from typing import TYPE_CHECKING

from evidencekb.terminal import NARROWEST, SURROGATE, terminal_safe, wrapped

if TYPE_CHECKING:
    from evidencekb.search.engine import Hit, SearchResults

_MARK_ON, _MARK_OFF = "\x1b[1;33m", "\x1b[0m"
_DIM_ON, _BOLD_ON, _WARN_ON = "\x1b[2m", "\x1b[1m", "\x1b[1;31m"


def results_json(results: SearchResults) -> str:
    """A JSON list: each claim's export keys, plus score, highlights and the
    corrected query (null when the query was taken as written)."""
    out = []
    for hit in results.hits:
        item = dict(hit.claim)
        item["score"] = hit.score
        item["highlighted"] = _html_marked(str(hit.claim["text"]), hit.highlights)
        item["highlights"] = [list(span) for span in hit.highlights]
        item["corrected_query"] = results.corrected_query
        out.append(item)
    # A query's bytes that are not UTF-8 reach it as lone surrogates (Python reads
    # arguments with surrogateescape), which no UTF-8 text holds: in a corrected query
    # they are written as JSON's own escape, so the document stays valid JSON.
    return SURROGATE.sub(_escaped, json.dumps(out, ensure_ascii=False, indent=2))


def _escaped(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def _html_marked(text: str, marks: tuple[tuple[int, int], ...]) -> str:
    """The text HTML-escaped, matched words in <mark>: safe to insert in a page."""

    pieces, cursor = [], 0
    for start, end in marks:
        pieces.append(escape(text[cursor:start]))
        pieces.append(f"<mark>{escape(text[start:end])}</mark>")
        cursor = end
    pieces.append(escape(text[cursor:]))
    return "".join(pieces)


# The site's search page says the same: these are written into its data (the search
# manifest's "sentences") for search.js.
NOT_EVERY_WORD = "No claim has all the words; showing claims with any of them."
UNSEARCHED = "Type a more specific word: very common words such as “the” are not searched."
INDENT = "   "
CAUTION = "\u26a0 "  # before an evidence summary a reader must not miss


def results_text(results: SearchResults, *, colour: bool, width: int = 80) -> str:
    """The human-readable listing, wrapped to `width` columns, with matched words
    coloured if `colour`: each claim's evidence summary (verdict.py) beside it."""
    lines = []
    if results.corrected_query is not None:
        lines += wrapped(
            f'Did you mean "{terminal_safe(results.corrected_query)}"? Showing results for it.',
            width,
        )
    if not results.hits:
        return "\n".join(lines + wrapped(_nothing_found(results), width))
    if not results.every_word:
        lines += wrapped(NOT_EVERY_WORD, width)
    for rank, hit in enumerate(results.hits, 1):
        lines += _hit_lines(rank, hit, colour, width)
    lines.append("")
    summary = "\n".join(wrapped(terminal_safe(_summary(results)), width))
    lines.append(f"{_DIM_ON}{summary}{_MARK_OFF}" if colour else summary)
    return "\n".join(lines)


def _nothing_found(results: SearchResults) -> str:
    if results.unsearched:
        return UNSEARCHED
    said = f'No claims match "{terminal_safe(results.query)}"'
    given = [f"--{name} {terminal_safe(value)}" for name, value in results.filters.given]
    return f"{said} with {', '.join(given)}." if given else f"{said}."


def _hit_lines(rank: int, hit: Hit, colour: bool, width: int) -> list[str]:
    claim = hit.claim
    where = str(claim["section"])
    if claim.get("heading"):
        where += f" > {claim['heading']}"
    head = "\n".join(wrapped(terminal_safe(f"{rank}. {claim['id']}  {where}"), width, "", INDENT))
    lines = [f"{_BOLD_ON}{head}{_MARK_OFF}" if colour else head]
    # What the cited works found before the claim's words, as every list shows it: a
    # claim they contradict is never read as fact first.
    lines += _verdict_lines(claim.get("verdict"), colour, width)
    lines += _marked_lines(str(claim["text"]), hit.highlights if colour else (), width)
    citations = claim.get("citations")
    cited = ", ".join(str(n) for n in citations) if isinstance(citations, list) else ""
    lines += wrapped(f"Citations: {cited or 'none'}", width, INDENT)
    for notice in _notices(claim):
        marked = "\n".join(wrapped(terminal_safe(notice), width, INDENT))
        lines.append(f"{_BOLD_ON}{marked}{_MARK_OFF}" if colour else marked)
    return lines


def _verdict_lines(summary: object, colour: bool, width: int) -> list[str]:
    if not isinstance(summary, dict):
        return []
    caution = bool(summary.get("warning"))  # as the site marks it (Verdict.warning)
    text = terminal_safe(f"Evidence: {summary['text']}")
    if not caution:
        return wrapped(text, width, INDENT)
    lines = wrapped(text, width, INDENT[: -len(CAUTION)] + CAUTION, INDENT)
    return [f"{_WARN_ON}{line}{_MARK_OFF}" for line in lines] if colour else lines


def _marked_lines(text: str, marks: tuple[tuple[int, int], ...], width: int) -> list[str]:
    """The claim's text wrapped and indented, its matched words marked line by line
    (the marks are spans of the unwrapped text)."""
    wrapper = textwrap.TextWrapper(
        width=max(width - len(INDENT), NARROWEST),
        expand_tabs=False,
        replace_whitespace=False,
        break_on_hyphens=False,
        break_long_words=False,
    )
    lines, cursor = [], 0
    for line in wrapper.wrap(text):
        start = text.find(line, cursor)
        end = cursor = start + len(line)
        inside = tuple(
            (max(a, start) - start, min(b, end) - start) for a, b in marks if a < end and b > start
        )
        lines.append(INDENT + _ansi_marked(line, inside))
    return lines


def _summary(results: SearchResults) -> str:
    shown = len(results.hits)
    noun = "claim matches" if results.total == 1 else "claims match"
    summary = f"{results.total} {noun} (showing {shown})"
    if results.by_section:
        summary += " · " + ", ".join(f"{k} {v}" for k, v in results.by_section)
    if results.by_strength:
        summary += " · strength: " + ", ".join(f"{k} {v}" for k, v in results.by_strength)
    return summary


def _notices(claim: dict[str, object]) -> list[str]:
    """ "Reference 4: RETRACTED" for each cited work editorial notices mark."""
    notices = claim.get("notices")
    if not isinstance(notices, list):
        return []
    return [f"Reference {n['citation']}: {str(n['label']).upper()}" for n in notices]


def _ansi_marked(text: str, marks: tuple[tuple[int, int], ...]) -> str:
    """The text made terminal-safe piece by piece, matched words between colour codes."""
    pieces, cursor = [], 0
    for start, end in marks:
        pieces += [terminal_safe(text[cursor:start]), _MARK_ON]
        pieces += [terminal_safe(text[start:end]), _MARK_OFF]
        cursor = end
    pieces.append(terminal_safe(text[cursor:]))
    return "".join(pieces)
