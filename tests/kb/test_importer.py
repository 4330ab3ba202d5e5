"""The importer on the seed and on each formatting variant it must tolerate."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from evidencekb.errors import KBError, ValidationError
from evidencekb.kb.exporter import summary_text
from evidencekb.kb.importer import claim_id, claim_ids, import_summary
from evidencekb.kb.load import load_kb
from evidencekb.kb.summary import parse_summary

SEED_CITATIONS = [
    (1,), (), (1,), (), (), (), (1,), (), (), (1,),
    (2,), (2, 3), (3,), (4,), (5,), (6,), (2,), (2,), (2, 4), (2,),
]  # fmt: skip
SEED_HEADINGS = (
    [None]
    + ["Key Points to Consider"] * 5
    + ["Clinical Considerations"] * 4
    + ["Overview of Ketamine in Pain Management"] * 2
    + ["Efficacy of Ketamine in Pain Management"] * 3
    + ["Administration and Side Effects of Ketamine"] * 3
    + ["Current Research and Recommendations"] * 2
)


def test_seed_statements_sections_headings_and_citations(seed_text: str) -> None:
    statements = parse_summary(seed_text, "seed.txt")
    assert len(statements) == 20
    assert [s.section for s in statements] == ["guidelines"] * 10 + ["research"] * 10
    assert [s.heading for s in statements] == SEED_HEADINGS
    assert [s.citations for s in statements] == SEED_CITATIONS
    assert sum(1 for s in statements if not s.citations) == 6


def test_seed_text_is_verbatim_without_the_marker(seed_text: str) -> None:
    statements = parse_summary(seed_text, "seed.txt")
    lines = seed_text.splitlines()
    for statement in statements:
        source_line = lines[statement.line - 1]
        assert statement.text.endswith(".")
        assert statement.text[:-1] in source_line
    assert statements[11].text == (
        "The mechanism of action of ketamine is primarily an antagonism of the "
        "N-methyl-D-aspartate (NMDA) receptor, although other mechanisms may be involved, "
        "including enhancement of descending inhibition and anti-inflammatory effects."
    )


def test_import_then_export_reproduces_the_seed(empty_kb: Path, seed_text: str, tmp_path: Path):
    source = tmp_path / "000_7edb83ebcba9957e.txt"
    source.write_text(seed_text, encoding="utf-8")
    import_summary(empty_kb, source, "ketamine-pain")
    topic = load_kb(empty_kb).topic("ketamine-pain")
    assert _lines(summary_text(topic)) == _lines(seed_text)


def test_the_curated_kb_still_reproduces_the_seed(repo_kb: Path, seed_text: str) -> None:
    topic = load_kb(repo_kb).topic("ketamine-pain")
    assert _lines(summary_text(topic)) == _lines(seed_text)


VARIANT = """\ufeff
From the Guidelines  \r
Lead paragraph about the topic [1].\r
\r
Key Points\r
* First point cites two.[2,3]\r
\u2022 Second point cites brackets [2, 4].\r
- Third point cites each [2][4].\r
-   Fourth point has no citation.   \r
- Fifth point cites one [3].\r
From the Research
Findings
- A finding (5).
"""


def test_variants_crlf_blank_lines_bullets_and_marker_styles() -> None:
    statements = parse_summary(VARIANT, "variant.txt")
    assert [(s.heading, s.text, s.citations, s.style) for s in statements] == [
        (None, "Lead paragraph about the topic.", (1,), "bracketed"),
        ("Key Points", "First point cites two.", (2, 3), "bracketed"),
        ("Key Points", "Second point cites brackets.", (2, 4), "bracketed"),
        ("Key Points", "Third point cites each.", (2, 4), "bracket-each"),
        ("Key Points", "Fourth point has no citation.", (), None),
        ("Key Points", "Fifth point cites one.", (3,), "bracketed"),
        ("Findings", "A finding.", (5,), "parenthesized"),
    ]
    assert [s.line for s in statements] == [3, 6, 7, 8, 9, 10, 13]


def test_lines_are_numbered_as_an_editor_numbers_them() -> None:
    # str.splitlines would also break at the form feed and U+2028 here.
    text = "From the Research\rH\r\n- A finding\u2028with a separator 1.\n- Page break 2.\n"
    statements = parse_summary(text, "x.txt")
    assert [(s.line, s.citations) for s in statements] == [(3, (1,)), (4, (2,))]
    # A form feed is kept in its line, where `ekb check` would refuse it.
    with pytest.raises(ValidationError) as caught:
        parse_summary(text.replace("Page break", "Page\x0cbreak"), "x.txt")
    assert [str(p) for p in caught.value.problems] == [
        "x.txt:4: the statement contains the control character U+000C; remove it"
    ]


def test_problems_are_collected_with_their_lines() -> None:
    bad = (
        "Title line\nA stray statement.\nFrom the Guidelines\nEmpty Heading\nNext Heading\n"
        "- \n- Same.\n- Same.\n"
    )
    with pytest.raises(ValidationError) as caught:
        parse_summary(bad, "bad.txt")
    assert [str(p) for p in caught.value.problems] == [
        'bad.txt:2: text before the first part heading; a summary starts with "From the '
        'Guidelines" or "From the Research"',
        'bad.txt:4: heading "Empty Heading" has no statements',
        "bad.txt:6: empty bullet: write the statement after it",
        "bad.txt:8: the same statement as line 7; remove one",
    ]


def test_import_refuses_to_overwrite_and_leaves_no_trace(empty_kb: Path, tmp_path: Path):
    source = tmp_path / "s.txt"
    source.write_text("From the Research\nH\n- A finding 1.\n", encoding="utf-8")
    import_summary(empty_kb, source, "topic-a")
    before = (empty_kb / "topics" / "topic-a" / "claims.toml").read_bytes()
    source.write_text("From the Research\nH\n- Another finding 2.\n", encoding="utf-8")
    with pytest.raises(KBError, match="already exists; pass --replace"):
        import_summary(empty_kb, source, "topic-a")
    source.write_text("nothing usable\n", encoding="utf-8")
    with pytest.raises(ValidationError):
        import_summary(empty_kb, source, "topic-a", replace=True)
    assert (empty_kb / "topics" / "topic-a" / "claims.toml").read_bytes() == before
    assert sorted(p.name for p in (empty_kb / "topics").iterdir()) == ["topic-a"]


def test_replace_swaps_the_topic(empty_kb: Path, tmp_path: Path) -> None:
    source = tmp_path / "s.txt"
    source.write_text("From the Research\nH\n- A finding 1.\n", encoding="utf-8")
    import_summary(empty_kb, source, "topic-a")
    source.write_text("From the Research\nH\n- Another finding 2.\n", encoding="utf-8")
    result = import_summary(empty_kb, source, "topic-a", replace=True)
    assert result.replaced
    (claim,) = load_kb(empty_kb).topic("topic-a").claims
    assert (claim.text, claim.citations) == ("Another finding.", (2,))


def test_ids_depend_on_the_text_only(empty_kb: Path, tmp_path: Path) -> None:
    source = tmp_path / "s.txt"
    source.write_text("From the Research\nH\n- One 1.\n- Two 2.\n", encoding="utf-8")
    import_summary(empty_kb, source, "t")
    ids = [c.id for c in load_kb(empty_kb).claims]
    source.write_text("From the Research\nH\n- Zero 3.\n- One 1.\n- Two 2.\n", encoding="utf-8")
    import_summary(empty_kb, source, "t", replace=True)
    assert [c.id for c in load_kb(empty_kb).claims][1:] == ids
    assert ids[0] == claim_id("t", "One.")


def test_import_proposes_entities_and_derives_strength(empty_kb: Path, tmp_path: Path) -> None:
    source = tmp_path / "s.txt"
    source.write_text(
        "From the Research\nH\n- CRPS may respond to IV ketamine but not to ivermectin 2.\n",
        encoding="utf-8",
    )
    import_summary(empty_kb, source, "t")
    (claim,) = load_kb(empty_kb).claims
    assert claim.entities == ("crps", "intravenous", "ketamine")
    assert (claim.strength, claim.strength_method) == ("low", "derived")
    assert claim.strength_basis == (
        'Derived: the source hedges the statement ("may") and does not grade its evidence. '
        "A statement from the research part of the summary; it cites source 2."
    )
    assert claim.categories == ()


def test_unreadable_sources_are_refused(empty_kb: Path, tmp_path: Path) -> None:
    with pytest.raises(KBError, match="file not found"):
        import_summary(empty_kb, tmp_path / "missing.txt", "t")
    binary = tmp_path / "b.txt"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(KBError, match="not UTF-8 text"):
        import_summary(empty_kb, binary, "t")
    with pytest.raises(KBError, match="is not a slug"):
        import_summary(empty_kb, binary, "Bad Slug")


def _lines(text: str) -> list[str]:
    """Lines as the round trip compares them: blank lines and trailing spaces aside."""
    return [line.rstrip() for line in text.splitlines() if line.strip()]


# Import succeeds only if `ekb check` then passes: each case below once imported
# with exit 0 and wrote a topic that check rejected.


def _topics(kb_dir: Path) -> list[str]:
    """Everything in topics/, hidden staging folders included."""
    return sorted(p.name for p in (kb_dir / "topics").iterdir())


def test_statements_check_would_reject_are_refused_at_their_lines(
    empty_kb: Path, tmp_path: Path
) -> None:
    source = tmp_path / "s.txt"
    source.write_bytes(
        "From the Research\nH\n- A finding [0].\n- Twice [2][2].\n- N\0L [3].\n- E\x1bC [3].\n"
        "- F\x0cF [3].\n- C\x85D [3].\n- Two markers 1 [2].\n##\n- After an empty heading [4].\n"
        "- Fine [5].\n".encode()
    )
    with pytest.raises(ValidationError) as caught:
        import_summary(empty_kb, source, "t")
    assert [str(p).removeprefix(f"{source}:") for p in caught.value.problems] == [
        "3: citation number 0 must be 1 or more",
        "4: a citation number is listed twice",
        "5: the statement contains the control character U+0000; remove it",
        "6: the statement contains the control character U+001B; remove it",
        "7: the statement contains the control character U+000C; remove it",
        "8: the statement contains the control character U+0085; remove it",
        "9: the statement ends in two citation markers; write them as one",
        "10: the heading is empty",
    ]
    assert _topics(empty_kb) == []


def test_titles_file_names_and_slugs_check_would_reject(empty_kb: Path, tmp_path: Path) -> None:
    source = tmp_path / "s.txt"
    source.write_text("From the Research\nH\n- A finding 1.\n", encoding="utf-8")
    refusals = {
        "--title is empty": lambda: import_summary(empty_kb, source, "t", title="   "),
        "--title contains the control character U+000A; remove it": lambda: import_summary(
            empty_kb, source, "t", title="A\nB"
        ),
        "topic 't\\n' is not a slug: use lower-case letters, digits and single hyphens": (
            lambda: import_summary(empty_kb, source, "t\n")
        ),
        f"topic '{'t' * 250}' is 250 characters long; at most 100 are allowed, as it names "
        "a file": lambda: import_summary(empty_kb, source, "t" * 250),
    }
    for message, attempt in refusals.items():
        with pytest.raises(KBError) as caught:
            attempt()
        assert str(caught.value) == message
    named = tmp_path / "new\nline.txt"
    named.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(KBError) as caught:
        import_summary(empty_kb, named, "t")
    assert str(caught.value) == (
        f"{tmp_path}/new\\nline.txt: the file name contains the control character U+000A; remove it"
    )
    assert _topics(empty_kb) == []


def test_colliding_ids_are_lengthened_and_no_other(empty_kb: Path, tmp_path: Path) -> None:
    # Found by search: the first 8 hex digits of their SHA-256 are the same (f46acbe1).
    one, two = "Statement 35558.", "Statement 161123."
    assert claim_id("t", one) == claim_id("t", two) == "t-f46acbe1"
    assert claim_ids("t", [one, "Other.", two]) == [
        "t-f46acbe1627e10ae",
        claim_id("t", "Other."),
        "t-f46acbe196960043",
    ]
    source = tmp_path / "s.txt"
    source.write_text(f"From the Research\nH\n- {one}\n- {two}\n", encoding="utf-8")
    import_summary(empty_kb, source, "t")
    assert [c.id for c in load_kb(empty_kb).claims] == ["t-f46acbe1627e10ae", "t-f46acbe196960043"]


def test_summaries_that_are_not_regular_files_of_sensible_size(
    empty_kb: Path, tmp_path: Path
) -> None:
    fifo = tmp_path / "fifo.txt"
    os.mkfifo(fifo)
    large = tmp_path / "large.txt"
    large.write_bytes(b"From the Research\nH\n" + b"- A finding 1.\n" * 700_000)
    cases = {
        fifo: f"{fifo}: is a FIFO (named pipe), not a regular file",
        Path("/dev/zero"): "/dev/zero: is a character device, not a regular file",
        tmp_path: f"{tmp_path}: is a folder, not a regular file",
        large: f"{large}: is larger than 10,000,000 bytes, the most that is read",
    }
    for source, message in cases.items():
        with pytest.raises(KBError) as caught:
            import_summary(empty_kb, source, "t")
        assert str(caught.value) == message
    binary = tmp_path / "b.txt"
    binary.write_bytes(b"From the Research\nH\n- A \xe9t\xe9 finding 1.\n")
    with pytest.raises(KBError) as caught:
        import_summary(empty_kb, binary, "t")
    assert str(caught.value) == (
        f"{binary}:3: not UTF-8 text: byte 0xe9 at column 5 is not part of a UTF-8 "
        "character; save the file as UTF-8"
    )
    assert _topics(empty_kb) == []


def test_replace_over_a_plain_file_leaves_nothing_behind(empty_kb: Path, tmp_path: Path) -> None:
    source = tmp_path / "s.txt"
    source.write_text("From the Research\nH\n- A finding 1.\n", encoding="utf-8")
    (empty_kb / "topics" / "t").write_text("not a topic\n", encoding="utf-8")
    with pytest.raises(KBError) as caught:
        import_summary(empty_kb, source, "t", replace=True)
    assert str(caught.value) == (
        f"{empty_kb}/topics/t exists and is not a folder; remove it or choose another --topic"
    )
    assert _topics(empty_kb) == ["t"]


def test_a_topics_folder_that_cannot_be_written(empty_kb: Path, tmp_path: Path) -> None:
    """Real, not simulated: the immutable attribute stops even root from creating the
    staging folder (EPERM where a non-root user on a read-only folder gets EACCES).
    Skipped where chattr is missing or the filesystem has no such attribute."""
    source = tmp_path / "s.txt"
    source.write_text("From the Research\nH\n- A finding 1.\n", encoding="utf-8")
    topics = empty_kb / "topics"
    if subprocess.run(["chattr", "+i", str(topics)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available here")
    try:
        with pytest.raises(KBError) as caught:
            import_summary(empty_kb, source, "t")
    finally:
        subprocess.run(["chattr", "-i", str(topics)], check=True)
    assert str(caught.value) == f"cannot write {topics}/t: Operation not permitted"
    assert _topics(empty_kb) == []
