"""The fixed names of the knowledge base's scheme: its sections, layouts, citation
styles, the stances the code relies on, and the natures and marks of notices.

Plain constants, kept apart from model.py's classes: `ekb search` reads some of them
at start-up (the query fields' allowed values, the CLI's choices), and building the
model's dataclasses is a start-up cost a search need not pay.
"""

from __future__ import annotations

SECTIONS: tuple[str, ...] = ("guidelines", "research")
SECTION_TITLES: dict[str, str] = {
    "guidelines": "From the Guidelines",
    "research": "From the Research",
}
STRENGTH_METHODS: tuple[str, ...] = ("stated", "derived")
# How a topic's source wrote its citation markers, so that `ekb export
# --format text` can write them back the same way.
CITATION_STYLES: dict[str, str] = {
    "plain": "2, 4",
    "compact": "2,4",
    "bracketed": "[2, 4]",
    "bracket-each": "[2][4]",
    "parenthesized": "(2, 4)",
    "superscript": "\u00b2\u02d2\u2074",
    "caret": "^2,4^",  # pandoc's Markdown superscript
}
# The layouts a summary is written in (kb/layouts.py reads each), so that `ekb
# export --format text` writes a topic back in its own; "text" when not recorded.
LAYOUTS: tuple[str, ...] = ("text", "markdown", "article")
DEFAULT_LAYOUT = "text"
# What a topic's source is: an evidence summary (the default; kept as source.txt), or
# claims one JSON object a line (`ekb import --format claims-jsonl`), whose claims name
# that file, not a part of a summary, in their strength basis (kb/strength.py).
SUMMARY, JSONL = "summary", "jsonl"
SOURCE_FORMATS: tuple[str, ...] = (SUMMARY, JSONL)
# Stances the code itself relies on (kb/stance.toml defines them all, with their
# definitions): the default where nobody has said what a cited work shows, and the
# two whose meeting makes a claim contested.
NOT_STATED = "not-stated"
SUPPORTS = "supports"
CONTRADICTS = "contradicts"

# The natures of an editorial notice on a cited work (notices.toml), as Retraction
# Watch names them, by id; and the mark each leaves on the work, the most serious
# first. A reinstatement lifts an earlier retraction or expression of concern.
NOTICE_NATURES: dict[str, str] = {
    "retraction": "Retraction",
    "expression-of-concern": "Expression of concern",
    "correction": "Correction",
    "reinstatement": "Reinstatement",
}
# The order in which notices of one day are read (kb/notices.py lists them so, and
# model.notice_mark reads them so, the latest deciding): the order such notices happen
# to a work. An expression of concern or a correction is issued while a work stands; a
# retraction ends it (often the concern's outcome); a reinstatement can only undo a
# retraction or concern issued before it. Read alphabetically, a retraction and its
# reinstatement of one day read Reinstatement first and left the work Retracted.
NOTICE_SEQUENCE: tuple[str, ...] = (
    "expression-of-concern",
    "correction",
    "retraction",
    "reinstatement",
)
NOTICE_MARKS: dict[str, str] = {
    "retraction": "Retracted",
    "expression-of-concern": "Expression of concern",
    "correction": "Correction",
}
# The marks `ekb check` warns of: a claim resting on such a work needs a curator's look;
# each with how a short line says a work bears it ("reference 2 retracted").
WARNED_MARKS: dict[str, str] = {
    "retraction": "retracted",
    "expression-of-concern": "under an expression of concern",
}
