"""A claim's evidence summary, defined once for every place a claim is read.

What the cited works found (their stances, counted), whether the claim is
contested, and how strong the evidence is with how that label was reached. The
terminal (`ekb search`, `ekb show`), the JSON outputs and the site all show this
one summary, worded here, so that no surface can make a claim read as settled
when its own cited work contradicts it.

Nothing is inferred: a citation without a recorded stance counts as "not
recorded", and a label the source did not grade says so. Stance labels and the
strength scheme are the kb's (kb/stance.toml, kb/strength.toml), passed in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from evidencekb.model import CitedNotice, Claim, KnowledgeBase, StrengthScheme, Term
from evidencekb.names import CONTRADICTS, NOT_STATED, NOTICE_MARKS, SUPPORTS, WARNED_MARKS

# The two stances that take a side are verbs; the rest are counted with their label.
_VERBS = {SUPPORTS: ("supports", "support"), CONTRADICTS: ("contradicts", "contradict")}
NOT_RECORDED = "not recorded"  # a stance nobody recorded: never the strength's "not stated"
NOTHING_CITED = "No work cited"
NOTHING_RECORDED = "No cited work's finding recorded"
DISAGREE = "cited works disagree"
CURATOR = "a curator links a contradicting claim"


@dataclass(frozen=True)
class StanceCount:
    stance: str  # an id of kb/stance.toml
    label: str  # its label there
    count: int

    @property
    def phrase(self) -> str:
        """ "2 support", "1 contradicts", "1 no evidence either way", "3 not recorded"."""
        if self.stance in _VERBS:
            singular, plural = _VERBS[self.stance]
            return f"{self.count} {singular if self.count == 1 else plural}"
        if self.stance == NOT_STATED:
            return f"{self.count} {NOT_RECORDED}"
        return f"{self.count} {self.label.lower()}"


@dataclass(frozen=True)
class StrengthNote:
    """The strength label and how it was reached."""

    label: str  # a StrengthLevel.label
    title: str  # its title in kb/strength.toml
    method: str  # "stated" or "derived"
    basis: str  # the claim's strength_basis
    hedge: str | None  # for a label derived from a hedging word: that word, as written

    @property
    def how(self) -> str:
        """How the label was reached, quoting what it was reached from."""
        if self.method == "stated":
            return f'stated by the source: "{self.basis}"'
        if self.hedge is not None:
            return f'derived from "{self.hedge}"'
        return "not stated by the source"

    @property
    def graded(self) -> bool:
        """Whether the claim carries a grade: stated by the source or derived from a
        hedging word (else the label only records that the source gives none)."""
        return not (self.method == "derived" and self.hedge is None)

    @property
    def text(self) -> str:
        """ "Strength: low, derived from "may"" or "Strength: not stated by the source"."""
        if not self.graded:
            return "Strength: not stated by the source"
        return f"Strength: {self.title.lower()}, {self.how}"

    @property
    def brief(self) -> str:
        """How the label was reached, without the stated basis's words, for lists where
        many claims stand together: "stated by the source", "derived from "may""."""
        return "stated by the source" if self.method == "stated" else self.how


@dataclass(frozen=True)
class Verdict:
    counts: tuple[StanceCount, ...]  # in kb/stance.toml's order; stances no citation has left out
    cited: int  # how many works the claim cites
    contested_because: tuple[str, ...]  # DISAGREE and/or CURATOR
    strength: StrengthNote
    notices: tuple[CitedNotice, ...] = ()  # cited works editorial notices mark (notices.toml)
    # How many supporting works no retraction or expression of concern marks.
    standing_support: int = 0

    def count(self, stance: str) -> int:
        return sum(c.count for c in self.counts if c.stance == stance)

    @property
    def recorded(self) -> int:
        """How many cited works have a recorded stance."""
        return self.cited - self.count(NOT_STATED)

    @property
    def contradicted(self) -> bool:
        """Every cited work that takes a side contradicts the claim (and one does)."""
        return contradicted(c.stance for c in self.counts)

    @property
    def contested(self) -> bool:
        return bool(self.contested_because)

    @property
    def kind(self) -> str:
        """The finding in one word, for a surface to mark it by: "contradicted",
        "contested", "supported", "cautioned" (every supporting work retracted or under
        an expression of concern, or nothing recorded and a cited work so marked) or
        "open" (nothing recorded takes a side). A claim whose only support is retracted
        is never marked as supported."""
        if self.contradicted:
            return "contradicted"
        if self.contested:
            return "contested"
        if self.standing_support:
            return "supported"
        return "cautioned" if self.warning else "open"

    @property
    def warning(self) -> bool:
        """What a reader must not miss: contradicted, contested, or resting on a work
        retracted or under an expression of concern."""
        return bool(self.cautions)

    @property
    def cautions(self) -> tuple[str, ...]:
        """What makes it a `warning`, a few words each, for a line too short for the
        findings: "contradicted", "contested", "reference 3 retracted"."""
        return _cautions(self.contradicted, self.contested, self.notices)

    @property
    def finding_line(self) -> str:
        """What the evidence says, strength aside, in one line of plain text, marked as
        the pages mark it (macros.findings): for a feed's title."""
        return ("\u26a0 " if self.warning else "") + " · ".join(self.findings)

    @property
    def lead(self) -> str:
        """What leads the claim's words where they name it (a page's heading, a link, a
        FHIR resource's title) when a reader must not miss its finding: the finding
        line and a colon; "" otherwise."""
        return f"{self.finding_line}: " if self.warning else ""

    @property
    def stances_text(self) -> str:
        """ "2 support · 1 contradicts"; "" when the claim cites nothing."""
        return " · ".join(c.phrase for c in self.counts)

    @property
    def finding(self) -> str:
        """What the cited works found, in a few words."""
        stances = [c.stance for c in self.counts for _ in range(c.count)]
        return _finding(stances, self.contested_because)

    @property
    def detail(self) -> str:
        """The counts behind the finding, where they add to it."""
        if self.cited == 0:
            return ""
        if self.recorded == 0:
            return f"{self.cited} cited work" + ("s" if self.cited > 1 else "")
        if len(self.counts) == 1 and self.cited == 1:
            return ""  # "Cited work contradicts (1 contradicts)" says it twice
        return self.stances_text

    @property
    def findings(self) -> tuple[str, ...]:
        """What the evidence says, strength aside: the finding with its counts, and a
        curator's contradiction where there is one."""
        parts = [f"{self.finding} ({self.detail})" if self.detail else self.finding]
        if CURATOR in self.contested_because:
            parts.append(f"Contested: {CURATOR}")
        parts += [f"Reference {n.citation}: {NOTICE_MARKS[n.mark]}" for n in self.notices]
        return tuple(parts)

    @property
    def text(self) -> str:
        """One line for terminals and listings."""
        return " · ".join((*self.findings, self.strength.text))

    def to_dict(self) -> dict[str, object]:
        """The summary as data, for `--json` outputs and the site's search data."""
        return {
            "text": self.text,
            "kind": self.kind,
            "finding": self.finding,
            "detail": self.detail,
            "cited": self.cited,
            "stances": {c.stance: c.count for c in self.counts},
            "stances_text": self.stances_text,
            "contradicted": self.contradicted,
            "contested": self.contested,
            "contested_because": list(self.contested_because),
            "warning": self.warning,
            "notices": [n.to_dict() for n in self.notices],
            "strength": {
                "label": self.strength.label,
                "title": self.strength.title,
                "method": self.strength.method,
                "basis": self.strength.basis,
                "hedge": self.strength.hedge,
                "how": self.strength.how,
                "text": self.strength.text,
            },
        }


def verdict(claim: Claim, stances: tuple[Term, ...], strength: StrengthScheme) -> Verdict:
    """The evidence summary of `claim`; `stances` and `strength` are the kb's
    (KnowledgeBase.stances and .strength)."""
    found = [e.stance for e in claim.citation_evidence]
    order = [t.id for t in stances] + sorted(set(found) - {t.id for t in stances})
    labels = {t.id: t.label for t in stances}
    counts = tuple(StanceCount(s, labels.get(s, s), found.count(s)) for s in order if s in found)
    warned = {n.citation for n in claim.notices if n.mark in WARNED_MARKS}
    standing = sum(
        e.stance == SUPPORTS and e.citation not in warned for e in claim.citation_evidence
    )
    return Verdict(
        counts,
        len(found),
        _contested_because(claim),
        _strength(claim, strength),
        claim.notices,
        standing,
    )


def contradicted(stances: Iterable[str]) -> bool:
    """Whether, of the stances its cited works take, every one that takes a side
    contradicts the claim (and one does)."""
    taken = set(stances)
    return CONTRADICTS in taken and SUPPORTS not in taken


def cautions(claim: Claim) -> tuple[str, ...]:
    """`Verdict.cautions` of `claim`, without working out the rest of its verdict (its
    strength reads its text for hedging words: a list of 80,000 claims took a second)."""
    stances = (e.stance for e in claim.citation_evidence)
    return _cautions(contradicted(stances), bool(_contested_because(claim)), claim.notices)


def brief(claim: Claim) -> str:
    """A claim's finding in a few words, for a line too short for its findings (`ekb
    list`): what makes it a `Verdict.warning`, marked ("⚠ contradicted"), or else
    `Verdict.finding` ("Cited work supports", "No cited work's finding recorded"), so
    that a claim nobody has read a work for never reads as settled. Without its
    strength, which reads the text for hedging words (see `cautions`)."""
    said = cautions(claim)
    if said:
        return "\u26a0 " + ", ".join(said)
    return _finding([e.stance for e in claim.citation_evidence], _contested_because(claim))


def _finding(stances: list[str], contested_because: tuple[str, ...]) -> str:
    """`Verdict.finding` of a claim whose cited works take `stances`, one a work."""
    if not stances:
        return NOTHING_CITED
    if all(s == NOT_STATED for s in stances):
        return NOTHING_RECORDED
    if DISAGREE in contested_because:
        return f"Contested: {DISAGREE}"
    many = stances.count(CONTRADICTS) + stances.count(SUPPORTS) > 1
    if contradicted(stances):
        return "Cited works contradict" if many else "Cited work contradicts"
    if SUPPORTS in stances:
        return "Cited works support" if many else "Cited work supports"
    return "No cited work takes a side"


def _cautions(
    contradicts: bool, contested: bool, notices: Iterable[CitedNotice]
) -> tuple[str, ...]:
    found = [
        word for word, said in (("contradicted", contradicts), ("contested", contested)) if said
    ]
    found += [
        f"reference {n.citation} {WARNED_MARKS[n.mark]}" for n in notices if n.mark in WARNED_MARKS
    ]
    return tuple(found)


def _contested_because(claim: Claim) -> tuple[str, ...]:
    stances = {e.stance for e in claim.evidence}
    reasons = []
    if {SUPPORTS, CONTRADICTS} <= stances:
        reasons.append(DISAGREE)
    if any(r.kind == CONTRADICTS for r in claim.relations):
        reasons.append(CURATOR)
    return tuple(reasons)


def _strength(claim: Claim, scheme: StrengthScheme) -> StrengthNote:
    try:
        title = scheme.level(claim.strength).title
    except KeyError:
        title = claim.strength
    # `ekb check` holds a derived label to the written rule, so a hedging word in the
    # text is what the label was derived from.
    hedge = scheme.hedging_word(claim.text) if claim.strength_method == "derived" else None
    return StrengthNote(claim.strength, title, claim.strength_method, claim.strength_basis, hedge)


def summary_inputs(kb: KnowledgeBase) -> tuple[object, ...]:
    """What a claim's evidence summary reads of the kb beside the claim itself (the
    stances' labels and order, the strength scheme's titles and hedging words), for
    the content key of anything made from summaries."""
    return (kb.stances, kb.strength.levels, kb.strength.hedging_words)


def claim_json(kb: KnowledgeBase, claim: Claim) -> dict[str, object]:
    """A claim's export JSON with its evidence summary: what `ekb export --format
    json`, `ekb show --json` and `ekb search --json` give for a claim."""
    return {**claim.to_dict(), "verdict": verdict(claim, kb.stances, kb.strength).to_dict()}
