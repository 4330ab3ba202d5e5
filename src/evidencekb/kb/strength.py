"""The written rule that derives a claim's evidence-strength label.

kb/strength.md states the rule in prose; this is the same rule as code. The
importer labels new claims with it, and `ekb check` recomputes it for every
claim whose method is `derived`, so a derived label can never drift from the
facts it was derived from.
"""

from __future__ import annotations

from dataclasses import dataclass

from evidencekb.model import first_hedging_word

HEDGED_LABEL = "low"
UNGRADED_LABEL = "not-stated"
RULE_LABELS = (HEDGED_LABEL, UNGRADED_LABEL)


@dataclass(frozen=True)
class Derivation:
    label: str
    basis: str


def derive_strength(
    text: str,
    section: str,
    citations: tuple[int, ...],
    hedging_words: tuple[str, ...],
    origin: str | None = None,
) -> Derivation:
    """Label a claim whose source does not grade its evidence (rules 2 and 3). The
    basis names where the claim stands: a part of the summary, or for a claim taken
    from another file (claims-jsonl), `origin`, that file's name."""
    where = _section_phrase(section) if origin is None else f"A claim from {origin};"
    facts = f"{where} {_citation_phrase(citations)}"
    hedge = first_hedging_word(text, hedging_words)
    if hedge is not None:
        return Derivation(
            HEDGED_LABEL,
            f'Derived: the source hedges the statement ("{hedge}") and does not grade '
            f"its evidence. {facts}",
        )
    return Derivation(UNGRADED_LABEL, f"Derived: the source does not grade this evidence. {facts}")


def _section_phrase(section: str) -> str:
    return {
        "guidelines": "A statement from the guidelines part of the summary;",
        "research": "A statement from the research part of the summary;",
    }.get(section, f"A statement from the {section} part of the summary;")


def _citation_phrase(citations: tuple[int, ...]) -> str:
    if not citations:
        return "it cites no source."
    if len(citations) == 1:
        return f"it cites source {citations[0]}."
    numbers = ", ".join(str(n) for n in citations[:-1]) + f" and {citations[-1]}"
    return f"it cites sources {numbers}."
