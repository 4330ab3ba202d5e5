"""A claim's row of the search data's display chunks (d-NNNNN.js): what a search result
shows of it.

A row is made once per topic analysis and kept with the topic's partial
(search/browser/analysis.py): working out each claim's evidence summary and quoting its
texts is most of the work of the display chunks, and none of it changes when another
topic does. What a row reads beyond the claim is the kb's stances and strength scheme,
which the topic's cache key covers (search/index.py `vocabulary_key`). The one item
that is not the topic's alone, its place in the kb's list of topics (topics added
before it move it), is left out of the kept text and put in when the chunks are
written (`joined`), with the claim's id that comes before it: one kept text a claim,
the row from its section on.
"""

from __future__ import annotations

from evidencekb.model import Claim, KnowledgeBase
from evidencekb.search.browser.analysis import script_json, script_string
from evidencekb.verdict import Verdict, verdict

# The names of a display row's items, in order: the manifest hands them to the
# browser, whose core turns each row into an object by them (search-core.js
# Engine.row), so that no page code reads an item by its position.
ROW_FIELDS: tuple[str, ...] = (
    "id", "topic", "section", "heading", "text", "strength", "highlights", "verdict",
)  # fmt: skip


def row_tail(kb: KnowledgeBase, claim: Claim, highlights: str) -> str:
    """The JSON of a claim's row after its topic: the items from "section" on, with the
    closing bracket (the strength as its place in the manifest's list; the highlights
    are JSON already), as script_json would write them."""
    strength = kb.strength.labels.index(claim.strength)
    summary = script_json(row_verdict(verdict(claim, kb.stances, kb.strength)))
    heading = "null" if claim.heading is None else script_string(claim.heading)
    texts = f"{script_string(claim.section)},{heading},{script_string(claim.text)}"
    return f"{texts},{strength},{highlights},{summary}]"


def joined(claim: Claim, topic: int, tail: str) -> str:
    """The claim's whole row: its id and its topic's place in the manifest's list of
    topics, then the kept `row_tail`."""
    return f"[{script_string(claim.id)},{topic},{tail}"


def row_verdict(summary: Verdict) -> dict[str, object]:
    """What a search result shows of the claim's evidence summary (verdict.py), before
    its text: the finding in one word (`kind`, which the page styles it by), whether
    it is marked as a warning, the findings in words, whether its strength is graded
    and how the label was reached; and, for a claim a reader must not miss, what leads
    its words in the result's link (`Verdict.lead`, as the site's lists name it)."""
    shown: dict[str, object] = {
        "kind": summary.kind,
        "warning": summary.warning,
        "findings": list(summary.findings),
        "graded": summary.strength.graded,
        "how": summary.strength.brief,
    }
    return shown | {"lead": summary.lead} if summary.warning else shown
