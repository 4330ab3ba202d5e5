"""Search results for people and programs: the terminal listing and JSON."""

from __future__ import annotations

import json
from html import escape
from typing import TYPE_CHECKING

from evidencekb.terminal import terminal_safe

if TYPE_CHECKING:
    from evidencekb.search.engine import SearchResults

_MARK_ON, _MARK_OFF = "\x1b[1;33m", "\x1b[0m"
_DIM_ON, _BOLD_ON = "\x1b[2m", "\x1b[1m"


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
    return json.dumps(out, ensure_ascii=False, indent=2)


def _html_marked(text: str, marks: tuple[tuple[int, int], ...]) -> str:
    """The text HTML-escaped, matched words in <mark>: safe to insert in a page."""

    pieces, cursor = [], 0
    for start, end in marks:
        pieces.append(escape(text[cursor:start]))
        pieces.append(f"<mark>{escape(text[start:end])}</mark>")
        cursor = end
    pieces.append(escape(text[cursor:]))
    return "".join(pieces)


def results_text(results: SearchResults, *, colour: bool) -> str:
    """The human-readable listing, with matched words coloured if `colour`."""
    lines = []
    if results.corrected_query is not None:
        lines.append(
            f'Did you mean "{terminal_safe(results.corrected_query)}"? Showing results for it.'
        )
    if not results.hits:
        lines.append(f'No claims match "{terminal_safe(results.query)}".')
        return "\n".join(lines)
    for rank, hit in enumerate(results.hits, 1):
        claim = hit.claim
        where = str(claim["section"])
        if claim.get("heading"):
            where += f" > {claim['heading']}"
        head = terminal_safe(f"{rank}. {claim['id']}  [{claim['strength']}]  {where}")
        lines.append(f"{_BOLD_ON}{head}{_MARK_OFF}" if colour else head)
        text = str(claim["text"])
        lines.append(
            "   " + (_ansi_marked(text, hit.highlights) if colour else terminal_safe(text))
        )
        citations = claim.get("citations")
        cited = ", ".join(str(n) for n in citations) if isinstance(citations, list) else ""
        cited = cited or "none"
        lines.append(f"   Citations: {cited}")
        for notice in _notices(claim):
            lines.append(f"   {_BOLD_ON}{notice}{_MARK_OFF}" if colour else f"   {notice}")
    shown = len(results.hits)
    noun = "claim matches" if results.total == 1 else "claims match"
    summary = f"{results.total} {noun} (showing {shown})"
    if results.by_section:
        summary += " · " + ", ".join(f"{k} {v}" for k, v in results.by_section)
    if results.by_strength:
        summary += " · strength: " + ", ".join(f"{k} {v}" for k, v in results.by_strength)
    lines.append("")
    summary = terminal_safe(summary)
    lines.append(f"{_DIM_ON}{summary}{_MARK_OFF}" if colour else summary)
    return "\n".join(lines)


def _notices(claim: dict[str, object]) -> list[str]:
    """ "Reference 4: RETRACTED" for each cited work editorial notices mark."""
    notices = claim.get("notices")
    if not isinstance(notices, list):
        return []
    return [f"Reference {n['citation']}: {str(n['label']).upper()}" for n in notices]


def _ansi_marked(text: str, marks: tuple[tuple[int, int], ...]) -> str:
    pieces, cursor = [], 0
    for start, end in marks:
        pieces += [terminal_safe(text[cursor:start]), _MARK_ON]
        pieces += [terminal_safe(text[start:end]), _MARK_OFF]
        cursor = end
    pieces.append(terminal_safe(text[cursor:]))
    return "".join(pieces)
