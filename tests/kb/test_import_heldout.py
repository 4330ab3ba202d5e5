"""Summaries a held-out review found imported wrongly without a word: each is now read
as its reader reads it, or refused at its line with what to write instead. Statements
are the seed's (kb/topics/ketamine-pain/source.txt) or short clinical sentences; works
are the real ones of tests/fixtures.py."""

from __future__ import annotations

from pathlib import Path

from fixtures import ekb_here

# Statements of the seed summary.
LEAD = "Ketamine is used to treat various chronic pain syndromes"
ANALGESIA = "Low-dose ketamine produces strong analgesia in neuropathic pain states"
ROLE = "and may have a role in the treatment of opioid-resistant or pathological pain"
ROUTES = "Ketamine can be administered via multiple routes"


def imported(kb: Path, source: Path, text: str, *options: str) -> tuple[int, str]:
    """`ekb import` of `text` as `source` into `kb` (topic t): exit code and output."""
    source.write_text(text, encoding="utf-8")
    ran = ekb_here(
        "import", str(source), "--topic", "t", "--kb", str(kb), "--date", "2025-01-01", *options
    )
    return ran.exit_code, ran.output.replace(f"{source.parent}/", "")


def created(claims: int, sources: int) -> str:
    cited = f"{claims} claim{'s' * (claims != 1)} citing {sources} source{'s' * (sources != 1)}"
    return f"Created kb/topics/t: {cited}. Curate it, then run `ekb check`.\n"


# -- 1. a sentence wrapped onto the next line is no heading over its second half -------------


def test_a_wrapped_sentence_in_the_article_layout_is_refused_at_its_next_line(
    empty_kb: Path, tmp_path: Path
) -> None:
    article = f"Background\n{LEAD} [2].\n{ANALGESIA},\n{ROLE} [3].\n"
    assert imported(empty_kb, tmp_path / "s.txt", article, "--section", "research") == (
        1,
        "s.txt:4: this line continues the statement on line 3, and the article layout reads "
        "one line a statement; write each statement on one line\nError: 1 problem found\n",
    )
    assert list((empty_kb / "topics").iterdir()) == []


def test_a_wrapped_sentence_in_the_text_layout_is_refused_at_its_next_line(
    empty_kb: Path, tmp_path: Path
) -> None:
    text = f"From the Research\n{LEAD} 2.\n{ANALGESIA},\n{ROLE} 3.\n- {ROUTES} 6.\n"
    assert imported(empty_kb, tmp_path / "s.txt", text) == (
        1,
        "s.txt:4: this line continues the statement on line 3, and the text layout reads "
        "one line a statement; write each statement on one line\nError: 1 problem found\n",
    )
