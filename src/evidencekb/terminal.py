"""What may reach a terminal: text from kb/ or from a user, made inert.

A title, a claim, a file name or a request line can carry escape sequences that
retitle the window, clear the screen or rewrite what was printed, and bidi
overrides that show text in another order than it is stored. Everything the
CLI prints that it did not write itself goes through `terminal_safe`. And
paragraphs are wrapped to the terminal's width (`ekb search`, `ekb show`). Stdlib
only: `ekb search` imports it.
"""

from __future__ import annotations

import re
import shutil
import textwrap

# C0 controls, DEL and C1 controls, as a regex character-class body: kb/text.py
# refuses them in one-line fields, and a terminal must not be handed them raw.
CONTROL_CODES = r"\x00-\x1f\x7f-\x9f"
# Half of a UTF-16 pair alone (JSON's "\ud800"; a command line's bytes that are not
# UTF-8, as Python reads them): no character, and no UTF-8 text can hold it. kb/text.py
# refuses one in a field; `ekb search --json` writes one as JSON's escape.
SURROGATE = re.compile(r"[\ud800-\udfff]")
# The bidi embeddings and overrides, each closed by POP DIRECTIONAL FORMATTING, and the
# isolates, closed by POP DIRECTIONAL ISOLATE (Unicode's bidi algorithm, UAX #9): they
# reorder the text after them (the "Trojan Source" trick), so a terminal is handed
# them escaped and kb/text.py refuses one left open. The marks (LRM, RLM, ALM) only
# settle the order of neutral characters and stay.
BIDI_CLOSES: dict[str, str] = {
    **dict.fromkeys("\u202a\u202b\u202d\u202e", "\u202c"),
    **dict.fromkeys("\u2066\u2067\u2068", "\u2069"),
}
_BIDI_CONTROLS = re.escape("".join(sorted({*BIDI_CLOSES, *BIDI_CLOSES.values()})))
# A line break and a tab are layout in text of many lines (search results, a claim
# shown), not control.
_LAYOUT = r"\n\t"
_UNSAFE = re.compile(rf"(?![{_LAYOUT}])[{CONTROL_CODES}]|[{_BIDI_CONTROLS}]")
# The line and paragraph separators, which break a line as a line break does
# (str.splitlines splits at them, as do some terminals and log viewers).
_SEPARATORS = r"\u2028\u2029"
# In a line that must stay one line (an `Error:` line), layout breaks it too.
_BREAKING = re.compile(rf"[{CONTROL_CODES}{_BIDI_CONTROLS}{_SEPARATORS}]")


def terminal_safe(text: str) -> str:
    """`text` with each control character written as a `\\uXXXX` escape: visible,
    inert, and the escape JSON itself uses, so a JSON document stays valid and
    says the same."""
    return _UNSAFE.sub(_escape, text)


def one_line(text: str) -> str:
    """`text` made terminal-safe and kept on one line: a line break, a tab, and a line
    or paragraph separator are escaped too (`\\u000a`), so that a value typed by a
    user cannot start a line of its own in a message about it."""
    return _BREAKING.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


NARROWEST = 20  # below this a wrapped line holds too little to read


def width() -> int:
    """The terminal's width in columns (COLUMNS if set; 80 when not a terminal)."""
    return shutil.get_terminal_size().columns


def wrapped(text: str, columns: int, first: str = "", rest: str | None = None) -> list[str]:
    """`text` in lines of at most `columns` (words longer than a line kept whole),
    the first indented by `first`, the others by `rest` (default: `first`)."""
    wrapper = textwrap.TextWrapper(
        width=max(columns, NARROWEST),
        initial_indent=first,
        subsequent_indent=first if rest is None else rest,
        break_on_hyphens=False,
        break_long_words=False,
    )
    return wrapper.wrap(text) or [first.rstrip()]


def plural(count: int, noun: str) -> str:
    """ "1 claim", "2 claims", "1,234 claims"."""
    return f"{count} {noun}" if count == 1 else f"{count:,} {noun}s"
