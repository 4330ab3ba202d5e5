"""Dates in kb/: ISO 8601 calendar dates written as text ("2026-12-05").

Written once for every dated field (a notice's date, a claim's `added` and `changed`,
a topic's `last_reviewed`, its change log). Stdlib only.
"""

from __future__ import annotations

import datetime
import re

ISO_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"  # its shape, for a pattern that holds one
_ISO_DATE = re.compile(ISO_DATE)
DATE_SHAPE = 'a date written "YYYY-MM-DD", like "2026-12-05"'


def date_fault(value: str) -> str | None:
    """Why `value` is not an ISO calendar date, or None."""
    if _ISO_DATE.fullmatch(value) is None:
        return f"'{value}' must be {DATE_SHAPE}"
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return f"'{value}' is not a day of the calendar"
    return None


def is_date(value: str) -> bool:
    return date_fault(value) is None
