"""One-line text: what may not stand in it, and how to show it in a message.

Control characters (line breaks, terminal escapes, C1 codes) have no place in
a one-line field, and could rewrite a terminal that prints the claim. Every
message that quotes a user's value or path shows them as escapes, so that an
`Error:` stays one line. Stdlib only: kb/files.py uses it on the search path.
"""

from __future__ import annotations

import re
import unicodedata

from evidencekb.terminal import BIDI_CLOSES, CONTROL_CODES, SURROGATE

_CONTROL = re.compile(f"[{CONTROL_CODES}]")
# The bidi controls, each opener with its closer (terminal.BIDI_CLOSES). One left open
# reorders what a page shows after it, beyond the value it stands in ("CRPS 12, 13"
# shown as "31 ,21"): text copied from a PDF can carry one unseen. Closed ones stay,
# as right-to-left text may need them.
_BIDI_CLOSERS = frozenset(BIDI_CLOSES.values())


def control_fault(text: str) -> str | None:
    """Why `text` cannot stand in a one-line field, or None."""
    if text.isprintable():  # no control character is printable; a third of the search's time
        return None
    if match := _CONTROL.search(text):
        return f"contains the control character U+{ord(match.group()):04X}; remove it"
    if match := SURROGATE.search(text):
        code = ord(match.group())
        return f"contains U+{code:04X}, a lone surrogate that is no character; remove it"
    return _bidi_fault(text)


def _bidi_fault(text: str) -> str | None:
    """Why the bidi controls in `text` would reorder text after it: one not closed, or
    a close with nothing open."""
    opened: list[str] = []
    for char in text:
        if char in BIDI_CLOSES:
            opened.append(char)
        elif char in _BIDI_CLOSERS:
            if not opened or BIDI_CLOSES[opened[-1]] != char:
                return (
                    f"contains U+{ord(char):04X}, which closes no bidi control before it; remove it"
                )
            opened.pop()
    if opened:
        code, close = ord(opened[-1]), ord(BIDI_CLOSES[opened[-1]])
        return (
            f"contains U+{code:04X}, a bidi control left open, which reverses or reorders the "
            f"text shown after it; close it with U+{close:04X} or remove it"
        )
    return None


# Unicode's default-ignorable characters that are not format characters (Cf): each
# shows as nothing, as do the format characters (U+200B ZERO WIDTH SPACE, U+00AD SOFT
# HYPHEN, U+FEFF, U+2060 WORD JOINER, the tag characters).
_IGNORABLE = re.compile(
    "[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\ufe00-\ufe0f\uffa0\U000e0100-\U000e01ef]"
)


def _invisible(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) == "Cf" or bool(_IGNORABLE.match(char))


def text_fault(text: str) -> str | None:
    """Why `text` is not a usable one-line text, or None. A text of only invisible
    characters is as empty as one of spaces: a page would show a title, a name or a
    claim as nothing, a link with no words to click."""
    return empty_fault(text) or control_fault(text)


def empty_fault(text: str) -> str | None:
    """Why `text` shows as nothing, or None."""
    if not text.strip():
        return "is empty"
    if all(_invisible(char) for char in text):  # stops at the first visible character
        code = next(ord(char) for char in text if not char.isspace())
        return f"is empty: it holds only invisible characters, such as U+{code:04X}"
    return None


def shown(value: str) -> str:
    """`value` for a one-line message: control characters as \\n or \\xNN escapes."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), value)
