"""JSON from outside kb/ (claims-jsonl lines, CSL-JSON files), parsed so that no
input can reach a traceback: Python refuses to convert a number of more than 4,300
digits and recurses once per nesting level, and either would escape as an error of
its own kind. Here both are a ValueError with a message a user can act on.

A key given twice in one object is refused too: Python's parser keeps the last
value without a word, and which of the two the writer meant cannot be known (TOML,
kb/'s format, refuses a repeated key for the same reason).
"""

from __future__ import annotations

import json
from typing import Any

# Digits a whole number may have: a PMID has 8, a 64-bit integer 19. A longer one is
# no number a reference or claim holds.
MAX_DIGITS = 20


def load_json(text: str) -> Any:
    """`text` as JSON; ValueError (json.JSONDecodeError for bad syntax) if it is not
    JSON, holds a number of more than MAX_DIGITS digits, gives a key twice in one
    object, or nests deeper than Python can recurse."""
    try:
        return json.loads(text, parse_int=_whole_number, object_pairs_hook=_object)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def _whole_number(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_DIGITS:
        raise ValueError(f"a whole number of {len(digits.lstrip('-'))} digits is too long")
    return int(digits)


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            shown = json.dumps(key, ensure_ascii=False)
            raise ValueError(f"the key {shown} is given twice in one object")
        data[key] = value
    return data
