"""`terminal_safe`: what the CLI prints of kb/ or user text cannot drive the terminal."""

from __future__ import annotations

import json
import re

from hypothesis import given
from hypothesis import strategies as st

from evidencekb.terminal import terminal_safe

# Every character a terminal acts on rather than shows, bar the line break and tab.
UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def test_escape_sequences_become_visible_text() -> None:
    assert terminal_safe("Ketamine\x1b]0;pwned\x07 for pain\x1b[2J") == (
        "Ketamine\\u001b]0;pwned\\u0007 for pain\\u001b[2J"
    )
    assert terminal_safe("a\rb\x08c\x9b31md\x7f") == "a\\u000db\\u0008c\\u009b31md\\u007f"


def test_bidi_overrides_and_isolates_are_escaped_and_the_marks_kept() -> None:
    assert terminal_safe("dose\u202e gm 05\u202c") == "dose\\u202e gm 05\\u202c"
    assert terminal_safe("\u2066x\u2069") == "\\u2066x\\u2069"
    # Marks, joiners and spaces of real text are text, not control.
    text = "עברית\u200f (RLM), 10\u00a0mg, 👩\u200d⚕️, zero\u200bwidth, naïve"
    assert terminal_safe(text) == text


def test_layout_stays() -> None:
    assert terminal_safe("one\n\ttwo\n") == "one\n\ttwo\n"


@given(st.text())
def test_nothing_unsafe_is_left_and_safe_text_is_kept(text: str) -> None:
    safe = terminal_safe(text)
    assert not UNSAFE.search(safe)
    assert terminal_safe(safe) == safe
    if not UNSAFE.search(text):
        assert safe == text


@given(st.recursive(st.text() | st.integers(), lambda inner: st.lists(inner, max_size=4)))
def test_json_stays_valid_and_says_the_same(value: object) -> None:
    shown = terminal_safe(json.dumps(value, ensure_ascii=False, indent=2))
    assert json.loads(shown) == value
