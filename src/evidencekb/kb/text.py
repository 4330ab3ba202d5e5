"""One-line text: what may not stand in it, and how to show it in a message.

Control characters (line breaks, terminal escapes, C1 codes) have no place in
a one-line field, and could rewrite a terminal that prints the claim. Every
message that quotes a user's value or path shows them as escapes, so that an
`Error:` stays one line. Stdlib only: kb/files.py uses it on the search path.
"""

from __future__ import annotations

import re

from evidencekb.terminal import CONTROL_CODES

_CONTROL = re.compile(f"[{CONTROL_CODES}]")
# Half of a UTF-16 pair alone (JSON's "\ud800"): no character, and no UTF-8 file can hold it.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def control_fault(text: str) -> str | None:
    """Why `text` cannot stand in a one-line field, or None."""
    if text.isprintable():  # no control character is printable; a third of the search's time
        return None
    if match := _CONTROL.search(text):
        return f"contains the control character U+{ord(match.group()):04X}; remove it"
    if match := _SURROGATE.search(text):
        code = ord(match.group())
        return f"contains U+{code:04X}, a lone surrogate that is no character; remove it"
    return None


def text_fault(text: str) -> str | None:
    """Why `text` is not a usable one-line text, or None."""
    if not text.strip():
        return "is empty"
    return control_fault(text)


def shown(value: str) -> str:
    """`value` for a one-line message: control characters as \\n or \\xNN escapes."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), value)
