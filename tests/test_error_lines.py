"""An error is one line: a line break, a tab or a line or paragraph separator a user
typed is shown escaped in it (`terminal.one_line`), as control characters are."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evidencekb.terminal import one_line, terminal_safe
from fixtures import ekb_here

BREAKS = "\n\t\u2028\u2029"


def test_one_line_escapes_layout_and_separators_as_control() -> None:
    assert one_line("a\nb\tc\u2028d\u2029e") == "a\\u000ab\\u0009c\\u2028d\\u2029e"
    assert one_line("\x1b[2J\r\x85") == "\\u001b[2J\\u000d\\u0085"


def test_text_of_many_lines_keeps_its_layout() -> None:
    assert terminal_safe("one\n\ttwo") == "one\n\ttwo"


@given(st.text(alphabet=st.characters(), max_size=40) | st.sampled_from(BREAKS))
def test_one_line_is_one_line_and_terminal_safe(text: str) -> None:
    line = one_line(text)
    assert len(line.splitlines()) <= 1
    assert "\t" not in line
    assert terminal_safe(line) == line
    assert one_line(line) == line


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["show", "8008e692\nINJECTED"],
            "Error: no claim '8008e692\\u000aINJECTED'; did you mean "
            "'ketamine-pain-8008e692'? (`ekb list` lists the ids)\n",
        ),
        (["list", "--topic", "a\nb"], "Error: no topic 'a\\u000ab'; topics: ketamine-pain\n"),
        (
            ["export", "--topic", "no\tpe"],
            "Error: no topic 'no\\u0009pe'; topics: ketamine-pain\n",
        ),
    ],
)
def test_a_value_with_a_line_break_stays_in_its_error_line(
    kb_dir: Path, args: list[str], expected: str
) -> None:
    result = ekb_here(*args, "--kb", str(kb_dir))
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", expected)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--strength", "low\nfake line", "ketamine"],
            'Error: unknown strength "low\\u000afake line" '
            "(allowed: high, moderate, low, very-low, not-stated)\n",
        ),
        (
            ['topic:"a\u2028b"'],
            'Error: unknown topic "a\\u2028b" (allowed: ketamine-pain)\n',
        ),
    ],
)
def test_a_search_value_with_a_line_break_stays_in_its_error_line(
    kb_dir: Path, tmp_path: Path, args: list[str], expected: str
) -> None:
    site = tmp_path / "site"
    assert ekb_here("search", "--kb", str(kb_dir), "--site-dir", str(site), "x").exit_code == 0
    result = ekb_here("search", "--kb", str(kb_dir), "--site-dir", str(site), *args)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", expected)


def test_a_kb_folder_with_a_line_break_in_its_name_is_one_line_each(tmp_path: Path) -> None:
    missing = tmp_path / "no\nkb"
    result = ekb_here("list", "--kb", str(missing))
    shown = str(missing).replace("\n", "\\u000a")
    assert result.exit_code == 1
    assert result.stderr == (
        f"{shown}:1: knowledge base folder not found; pass --kb DIR\nError: 1 problem found\n"
    )
