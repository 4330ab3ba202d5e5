"""references.toml: what is known about the works a topic's claims cite."""

from __future__ import annotations

from evidencekb.kb.bibliography import RECORD_FIELDS, check_identifiers, check_record
from evidencekb.kb.reader import KbReader
from evidencekb.kb.tables import Field
from evidencekb.model import Claim, Reference

REFERENCE_FIELDS = {
    "number": Field("int"),
    **RECORD_FIELDS,
    "sentences": Field("texts", required=False),  # the work's text, that evidence quotes
}
LIST_FIELDS = tuple(name for name, field in REFERENCE_FIELDS.items() if field.kind == "texts")


def load_references(
    reader: KbReader, relative: str, slug: str, claims: tuple[Claim, ...] | None
) -> tuple[Reference, ...]:
    """One reference per cited number, described where the (optional) file describes it.

    `claims` is None when claims.toml could not be read; then no reference
    can be called uncited.
    """
    cited = sorted({number for claim in claims or () for number in claim.citations})
    described: dict[int, Reference] = {}
    doc = reader.read_optional(relative)
    if doc is not None:
        reader.unknown_keys(doc, "", 0, doc.data, {"reference"})
        records = []
        for index, row in enumerate(reader.rows(doc, "reference")):
            values = reader.fields(doc, "reference", index, row, REFERENCE_FIELDS)
            if values is None:
                continue
            check_record(reader, doc, index, values)
            records.append((index, dict(values)))
            number = values["number"]
            if number in described:
                reader.report(
                    doc, f"reference {number} is listed twice", "reference", index, "number"
                )
            elif claims is not None and number not in cited:
                reader.report(
                    doc,
                    f"reference {number} is not cited by any claim of this topic",
                    "reference",
                    index,
                    "number",
                )
            for key in LIST_FIELDS:
                values[key] = tuple(values.get(key) or ())
            described[number] = Reference(topic=slug, **values)
        check_identifiers(reader, doc, records)
    return tuple(described.get(n, Reference(topic=slug, number=n)) for n in cited)
