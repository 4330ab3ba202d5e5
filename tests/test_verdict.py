"""The evidence summary's words, exactly as every surface shows them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evidencekb.kb import load_kb
from evidencekb.kb.retractions import record_retractions
from evidencekb.model import (
    Evidence,
    Quote,
    Relation,
    StrengthLevel,
    StrengthScheme,
    Term,
)
from evidencekb.verdict import Verdict, verdict
from fixtures import (
    REPO,
    RETRACTED_TOPIC,
    RETRACTION_WATCH_SAMPLE,
    add_retracted_sample,
    make_claim,
)

STANCES = (
    Term("supports", "Supports", "stance"),
    Term("contradicts", "Contradicts", "stance"),
    Term("no-evidence", "No evidence either way", "stance"),
    Term("not-stated", "Not recorded", "stance"),
)
SCHEME = StrengthScheme(
    levels=(
        StrengthLevel("low", 3, "Low", "", ""),
        StrengthLevel("very-low", 4, "Very low", "", ""),
        StrengthLevel("not-stated", 5, "Not stated", "", ""),
    ),
    hedging_words=("may", "limited"),
    explanation_md="",
)
# SciFact claim 2 and the abstract its annotators say contradicts it.
TEXT = "1 in 5 million in UK have abnormal PrP positivity."


# Real notices only, on the claims that cite their works: the retracted sample's two
# claims (tests/data/README.md), each its cited work's conclusion as its abstract
# states it, and rows of Retraction Watch's data on those works.
WAKEFIELD = "retracted-sample-e0fdfc19"  # cites reference 1, Wakefield et al., Lancet 1998
MEHRA = "retracted-sample-0b419dba"  # cites reference 2, Mehra et al., Lancet 2020
_SAMPLE = RETRACTION_WATCH_SAMPLE.read_text(encoding="utf-8").splitlines()
HEADER, WAKEFIELD_RETRACTION, MEHRA_CONCERN = _SAMPLE[:3]  # retracted 2010; concern 2020-06-03
WAKEFIELD_CORRECTION = (
    (REPO / "tests" / "data" / "retraction-watch-correction.csv")
    .read_text(encoding="utf-8")
    .splitlines()[1]
)  # The Lancet's "Retraction of an interpretation", 2004-03-06: a Correction to Retraction Watch


def real_verdict(kb_dir: Path, claim: str, *rows: str, supports: bool = False) -> Verdict:
    """The verdict on the retracted sample's `claim` in a kb copy, with the notices of
    `rows` (its works as they stood once those were published) recorded by `ekb refs
    retractions`, and with `supports` each claim's cited work recorded as supporting it."""
    folder = kb_dir / "topics" / RETRACTED_TOPIC
    if not folder.exists():
        add_retracted_sample(kb_dir, notices=False)
    (folder / "notices.toml").unlink(missing_ok=True)
    _record_support(folder / "evidence.toml", supports)
    if rows:
        csv = kb_dir.parent / "retraction-watch.csv"
        csv.write_text("\n".join((HEADER, *rows)) + "\n", encoding="utf-8")
        record_retractions(kb_dir, csv)
    kb = load_kb(kb_dir)
    return verdict(kb.claim(claim), kb.stances, kb.strength)


def _record_support(evidence: Path, supports: bool) -> None:
    """Each sample claim's cited work as supporting it, or nothing recorded: each claim
    is its work's own conclusion, word for word, so the work supports it."""
    evidence.unlink(missing_ok=True)
    if supports:
        tables = (
            f'[[evidence]]\nclaim = "{claim}"\ncitation = {number}\nstance = "supports"\n'
            for claim, number in ((WAKEFIELD, 1), (MEHRA, 2))
        )
        evidence.write_text("\n".join(tables), encoding="utf-8")


def summary(text: str = TEXT, *stances: str, **extra: Any) -> Any:
    numbers = tuple(range(13734012, 13734012 + max(len(stances), 1)))
    evidence = tuple(Evidence(n, s) for n, s in zip(numbers, stances, strict=False))
    fields: dict[str, Any] = {"citations": numbers if stances else (), "evidence": evidence}
    fields.update(extra)
    claim = make_claim("scifact", 2, "research", None, text, **fields)
    return verdict(claim, STANCES, SCHEME)


def test_a_claim_only_contradicted_says_so_first() -> None:
    v = summary(TEXT, "contradicts")
    assert v.text == "Cited work contradicts · Strength: not stated by the source"
    assert v.contradicted and v.warning and not v.contested


def test_several_contradicting_works_are_counted() -> None:
    v = summary(TEXT, "contradicts", "contradicts", "not-stated")
    assert v.text == (
        "Cited works contradict (2 contradict · 1 not recorded) · "
        "Strength: not stated by the source"
    )


def test_disagreeing_works_make_the_claim_contested() -> None:
    v = summary(TEXT, "supports", "supports", "contradicts")
    assert v.finding == "Contested: cited works disagree"
    assert v.stances_text == "2 support · 1 contradicts"
    assert v.contested and not v.contradicted


def test_support_and_no_evidence() -> None:
    assert summary(TEXT, "supports").text == (
        "Cited work supports · Strength: not stated by the source"
    )
    assert summary(TEXT, "supports", "no-evidence").finding == "Cited work supports"
    assert summary(TEXT, "supports", "no-evidence").detail == (
        "1 supports · 1 no evidence either way"
    )
    assert summary(TEXT, "no-evidence").text == (
        "No cited work takes a side · Strength: not stated by the source"
    )


def test_nothing_known_is_said_in_a_few_words() -> None:
    assert summary(TEXT).text == "No work cited · Strength: not stated by the source"
    assert summary(TEXT, "not-stated", "not-stated").text == (
        "No cited work's finding recorded (2 cited works) · Strength: not stated by the source"
    )
    assert summary(TEXT, "not-stated").detail == "1 cited work"


def test_a_curators_contradicting_relation_is_named() -> None:
    relation = Relation("contradicts", "scifact-00000002", "scifact-10")
    v = summary(TEXT, "supports", relations=(relation,))
    assert v.text == (
        "Cited work supports · Contested: a curator links a contradicting claim · "
        "Strength: not stated by the source"
    )
    assert v.warning and not v.contradicted


def test_the_strength_says_how_it_was_reached() -> None:
    hedged = summary("Ketamine may have a Limited place.", strength="low")
    assert hedged.strength.text == 'Strength: low, derived from "may"'
    stated = summary(
        "The evidence is very weak.",
        strength="very-low",
        strength_method="stated",
        strength_basis="evidence is very weak",
    )
    assert (
        stated.strength.text == 'Strength: very low, stated by the source: "evidence is very weak"'
    )
    assert summary(TEXT).strength.how == "not stated by the source"


def test_lists_get_the_strength_briefly_and_the_findings_apart() -> None:
    """A list of claims says how each label was reached without quoting each basis,
    and shows the findings apart from the strength (the site styles them apart)."""
    hedged = summary("Ketamine may have a Limited place.", "contradicts", strength="low")
    assert (hedged.strength.graded, hedged.strength.brief) == (True, 'derived from "may"')
    stated = summary(TEXT, strength="low", strength_method="stated", strength_basis="weak")
    assert (stated.strength.graded, stated.strength.brief) == (True, "stated by the source")
    ungraded = summary(TEXT, "contradicts")
    assert (ungraded.strength.graded, ungraded.strength.brief) == (
        False,
        "not stated by the source",
    )
    assert ungraded.findings == ("Cited work contradicts",)
    assert [summary(TEXT, *stances).kind for stances in (
        ("contradicts", "no-evidence"), ("supports", "contradicts"), ("supports",), ("not-stated",)
    )] == ["contradicted", "contested", "supported", "open"]  # fmt: skip
    relation = Relation("contradicts", "scifact-00000002", "scifact-10")
    assert summary(TEXT, "supports", relations=(relation,)).findings == (
        "Cited work supports",
        "Contested: a curator links a contradicting claim",
    )


def test_to_dict_carries_the_summary_as_data() -> None:
    claim = make_claim(
        "scifact",
        2,
        "research",
        None,
        TEXT,
        citations=(13734012,),
        evidence=(Evidence(13734012, "contradicts", (Quote(4, "RESULTS Of the 32,441"),)),),
    )
    assert verdict(claim, STANCES, SCHEME).to_dict() == {
        "text": "Cited work contradicts · Strength: not stated by the source",
        "kind": "contradicted",
        "finding": "Cited work contradicts",
        "detail": "",
        "cited": 1,
        "stances": {"contradicts": 1},
        "stances_text": "1 contradicts",
        "contradicted": True,
        "contested": False,
        "contested_because": [],
        "warning": True,
        "notices": [],
        "strength": {
            "label": "not-stated",
            "title": "Not stated",
            "method": "derived",
            "basis": "Derived: the source does not grade this evidence.",
            "hedge": None,
            "how": "not stated by the source",
            "text": "Strength: not stated by the source",
        },
    }


def test_cautions_say_in_a_few_words_what_makes_a_warning(empty_kb: Path) -> None:
    assert summary(TEXT, "contradicts").cautions == ("contradicted",)
    retracted = real_verdict(empty_kb, WAKEFIELD, WAKEFIELD_RETRACTION)
    assert retracted.cautions == ("reference 1 retracted",)
    assert summary(TEXT, "supports", "contradicts").cautions == ("contested",)
    concern = real_verdict(empty_kb, MEHRA, MEHRA_CONCERN, supports=True)
    assert concern.cautions == ("reference 2 under an expression of concern",)
    assert concern.finding_line == (
        "\u26a0 Cited work supports · Reference 2: Expression of concern"
    )
    assert summary(TEXT, "supports").finding_line == "Cited work supports"
    quiet = summary(TEXT, "supports")
    assert (quiet.cautions, quiet.warning) == ((), False)


def test_a_claim_whose_only_support_is_retracted_is_not_marked_supported(empty_kb: Path) -> None:
    """Its page had the green "supported" panel around "⚠ Cited work supports ·
    Reference …: Retracted": marked as the one word surfaces style a claim by."""
    assert real_verdict(empty_kb, WAKEFIELD, supports=True).kind == "supported"
    retracted = real_verdict(empty_kb, WAKEFIELD, WAKEFIELD_RETRACTION, supports=True)
    assert (retracted.kind, retracted.finding_line) == (
        "cautioned",
        "\u26a0 Cited work supports · Reference 1: Retracted",
    )
    assert real_verdict(empty_kb, MEHRA, MEHRA_CONCERN, supports=True).kind == "cautioned"
    # A retracted work whose finding nobody recorded warns all the same.
    assert real_verdict(empty_kb, WAKEFIELD).kind == "open"
    assert real_verdict(empty_kb, WAKEFIELD, WAKEFIELD_RETRACTION).kind == "cautioned"


def test_a_correction_is_said_but_is_no_warning(empty_kb: Path) -> None:
    """Wakefield et al.'s paper as it stood from 2004 to 2010, corrected (Retraction
    Watch's record of The Lancet's "Retraction of an interpretation"): its support
    stands, the correction said beside it; retracted in 2010, the graver and later
    notice decides."""
    corrected = real_verdict(empty_kb, WAKEFIELD, WAKEFIELD_CORRECTION, supports=True)
    assert (corrected.kind, corrected.warning, corrected.cautions) == ("supported", False, ())
    assert corrected.text == (
        "Cited work supports · Reference 1: Correction · Strength: not stated by the source"
    )
    assert corrected.finding_line == "Cited work supports · Reference 1: Correction"
    both = real_verdict(
        empty_kb, WAKEFIELD, WAKEFIELD_CORRECTION, WAKEFIELD_RETRACTION, supports=True
    )
    assert (both.kind, both.cautions) == ("cautioned", ("reference 1 retracted",))
