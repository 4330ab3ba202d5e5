"""How a list is one cell of the database, by one rule for every table: the ids of a
closed list separated by "; ", free texts as a JSON array (Datasette shows one as a
list, and any SQLite client reads it with json_each)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from evidencekb.registry import ReferenceField

CHOICES_CELL = " Several are separated by '; '."
TEXTS_CELL = " Several are a JSON list, in order."


def json_list(values: Iterable[str]) -> str:
    """A list of free texts as one cell: a JSON array of them, in order, written as they
    are (not as \\u escapes). No separator would do, for any may stand inside an item (an
    author "Wakefield; AJ", a reason "Falsification; Fabrication"), and then the cell
    could not be read back into the kb's list."""
    return json.dumps(list(values), ensure_ascii=False)


def list_cell(field: ReferenceField, values: tuple[str, ...]) -> str | None:
    """A list field of a reference as one cell, None when empty: ids of a closed list
    (lower-case letters, digits and hyphens) separated by "; ", free texts as
    `json_list`. Metadata describes each by the same rule (`list_cell_description`)."""
    if not values:
        return None
    return "; ".join(values) if field.kind == "choices" else json_list(values)


def list_cell_description(field: ReferenceField) -> str:
    """What metadata.json adds to a list field's description: how `list_cell` writes it."""
    return CHOICES_CELL if field.kind == "choices" else TEXTS_CELL
