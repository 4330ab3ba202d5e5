"""Editing a kb/ TOML file in place: values change, everything else stays.

Editors keep kb/ in pull requests; a command that rewrites one of its files must
not drop their comments or reflow their arrays, or every import would be a diff
of the whole file. tomlkit keeps a document's comments, blank lines and layout
as it parses them, and writes back only what was changed: an edited value is
replaced where it stands, a new field goes after the table's last field (before
any comment or blank line that leads into the next table), a new table goes in
number order with a blank line before it.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

import tomlkit
import tomlkit.exceptions
from tomlkit.items import AoT, Item, Table

from evidencekb.errors import KBError

# An array longer than this on one line is written one item a line, as editors do.
_LINE_LENGTH = 100


class ReferencesDocument:
    """A references.toml as tomlkit reads it: `[[reference]]` tables by number."""

    def __init__(self, text: str) -> None:
        self.empty = not text.strip()
        try:
            self.document = tomlkit.parse(text)
        except tomlkit.exceptions.ParseError as error:  # tomllib read it; tomlkit may not
            raise KBError(f"references.toml cannot be edited in place ({error})") from None
        if "reference" not in self.document:
            self.document.append("reference", tomlkit.aot())
        tables = self.document["reference"]
        if not isinstance(tables, AoT):
            raise KBError("references.toml must write its references as [[reference]] tables")
        self.tables: AoT = tables

    def row(self, number: int) -> Row:
        """The reference numbered `number`; its table is added when a field is first set."""
        for table in self.tables:
            if table.get("number") == number:
                return Row(self, number, table)
        return Row(self, number, None)

    def add(self, number: int) -> Table:
        """A new `[[reference]]` table for `number`, placed in number order."""
        table = tomlkit.table()
        table.append("number", number)
        table.trivia.indent = "\n"  # a blank line before its header
        later = [n for n, t in enumerate(self.tables) if _number(t) > number]
        if later:
            table.append(None, tomlkit.nl())  # and one before the next header
            self.tables.insert(later[0], table)
        else:
            self.tables.append(table)
        return table

    def text(self) -> str:
        text = tomlkit.dumps(self.document)
        return text.lstrip("\n") if self.empty else text


class Row(MutableMapping[str, Any]):
    """One reference's fields as plain values; setting one edits the document."""

    def __init__(self, document: ReferencesDocument, number: int, table: Table | None) -> None:
        self.document = document
        self.number = number
        self.table = table

    def _values(self) -> dict[str, Any]:
        if self.table is None:
            return {"number": self.number}
        return dict(self.table.unwrap())

    def __getitem__(self, key: str) -> Any:
        return self._values()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values())

    def __len__(self) -> int:
        return len(self._values())

    def __setitem__(self, key: str, value: Any) -> None:
        if self.table is None:
            self.table = self.document.add(self.number)
        item = _item(value)
        if key in self.table:
            self.table[key] = item
            return
        body = self.table.value.body
        last = [name.key for name, _ in body if name is not None]
        if last:
            self.table.value._insert_after(last[-1], key, item)
        else:
            self.table.append(key, item)

    def __delitem__(self, key: str) -> None:
        raise KBError("an import never removes a field")


def _item(value: Any) -> Item:
    item: Item = tomlkit.item(value)
    if isinstance(value, list) and len(item.as_string()) > _LINE_LENGTH:
        array = tomlkit.array()
        array.extend(value)
        array.multiline(True)
        return array
    return item


def _number(table: Table) -> int:
    number = table.get("number")
    return number if isinstance(number, int) else 0
