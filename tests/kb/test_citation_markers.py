"""Citation markers where a reviewer found them misread: before a "?" or "!", lists
with ";" or "&" or of separate markers, in a sentence swallowed by a heading, and
inside a statement. Each is read in full, or refused at its line; never a number
dropped, never marker debris left in a claim's text. Statements are the seed's."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidencekb.kb.citations import split_marker
from fixtures import ekb_here

# Statements of the seed summary (kb/topics/ketamine-pain/source.txt).
LEAD = "Ketamine is used to treat various chronic pain syndromes"
ANALGESIA = "Low-dose ketamine produces strong analgesia in neuropathic pain states"
RESEARCH = (
    "Further research is required to assess whether the benefits of ketamine outweigh the risks"
)
ROUTES = "Ketamine can be administered via multiple routes"


def imported(kb: Path, source: Path, text: str) -> tuple[int, str, str]:
    """`ekb import` of `text` as `source` into `kb` (topic t): exit code, stdout, stderr."""
    source.write_text(text, encoding="utf-8")
    ran = ekb_here("import", str(source), "--topic", "t", "--kb", str(kb), "--date", "2025-01-01")
    return ran.exit_code, ran.stdout, ran.stderr


def created(kb: Path, claims: int, sources: int) -> str:
    return (
        f"Created {kb}/topics/t: {claims} claims citing {sources} sources. "
        "Curate it, then run `ekb check`.\n"
    )


# -- 1. a marker before "?" or "!" ------------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "text", "citations"),
    [
        (f"{RESEARCH} [2, 4]?", f"{RESEARCH}?", (2, 4)),
        (f"{ANALGESIA} 3!", f"{ANALGESIA}!", (3,)),
        (f"{ANALGESIA}\u00b3!", f"{ANALGESIA}!", (3,)),
        (f"{RESEARCH}?\u00b2", f"{RESEARCH}?", (2,)),
    ],
)
def test_a_marker_before_a_question_or_exclamation_mark(
    statement: str, text: str, citations: tuple[int, ...]
) -> None:
    marker = split_marker(statement)
    assert marker is not None
    assert (marker.text, marker.citations) == (text, citations)


def test_statements_ending_in_a_marker_then_a_question_mark_import_and_check(
    empty_kb: Path, tmp_path: Path
) -> None:
    source = tmp_path / "s.txt"
    summary = f"From the Research\nOpen Questions\n- {RESEARCH} [2, 4]?\n- {ANALGESIA} 3!\n"
    assert imported(empty_kb, source, summary) == (0, created(empty_kb, 2, 3), "")
    claims = empty_kb / "topics" / "t" / "claims.toml"
    assert f'text = "{RESEARCH}?"' in claims.read_text(encoding="utf-8")
    assert ekb_here("check", "--kb", str(empty_kb)).exit_code == 0
    # The check is still exact: a claim whose words or end are edited is refused.
    for edited in (f"{RESEARCH}!", f"{RESEARCH} and costs?", f"{RESEARCH[:-1]}?"):
        kept = claims.read_text(encoding="utf-8")
        claims.write_text(kept.replace(f'"{RESEARCH}?"', f'"{edited}"'), encoding="utf-8")
        ran = ekb_here("check", "--kb", str(empty_kb))
        claims.write_text(kept, encoding="utf-8")
        assert (ran.exit_code, ran.stdout) == (1, "")
        assert ran.stderr.splitlines()[0] == (
            f"{claims}:9: text is not on line 3 of source.txt word for word, and claim text "
            "must be verbatim: undo the edit; or, if the source itself says so now, edit "
            "line 3 of source.txt too, or import it again (ekb import SOURCE --topic t "
            "--replace)"
        )
