"""strength.toml and strength.md: the evidence-strength levels and their rule."""

from __future__ import annotations

from evidencekb.kb.reader import KbReader
from evidencekb.kb.strength import RULE_LABELS
from evidencekb.kb.tables import SLUG_RULE, Field, is_slug
from evidencekb.kb.tomlfile import Located
from evidencekb.model import StrengthLevel, StrengthScheme
from evidencekb.paths import STRENGTH_FILE, STRENGTH_PROSE

LEVEL_FIELDS = {
    "label": Field("text"),
    "rank": Field("int"),
    "title": Field("text"),
    "definition": Field("text"),
    "assigned": Field("text"),
}


def load_scheme(reader: KbReader) -> StrengthScheme:
    """The levels in rank order, the hedging words and the prose that explains them."""
    prose = reader.optional_text(STRENGTH_PROSE)
    if prose is not None and not prose.strip():
        reader.file_problem(STRENGTH_PROSE, "missing or empty: explain the scheme")
    doc = reader.read(STRENGTH_FILE)
    if doc is None:
        return StrengthScheme((), (), prose or "")
    reader.unknown_keys(doc, "", 0, doc.data, {"hedging_words", "level"})
    hedging = reader.typed(doc, "", 0, "hedging_words", doc.data.get("hedging_words"), "texts")
    indexed: list[tuple[int, StrengthLevel]] = []
    for index, row in enumerate(reader.rows(doc, "level")):
        values = reader.fields(doc, "level", index, row, LEVEL_FIELDS)
        if values is not None:
            _check_label(reader, doc, index, values["label"])
            indexed.append((index, StrengthLevel(**values)))
    reader.unique(doc, "level", [(i, level.label) for i, level in indexed], "label")
    reader.unique(doc, "level", [(i, str(level.rank)) for i, level in indexed], "rank")
    levels = [level for _, level in indexed]
    labels = [level.label for level in levels]
    if not doc.data.get("level"):
        reader.report(doc, "no [[level]] tables: define the strength levels")
    for label in RULE_LABELS:
        if levels and label not in labels:
            reader.report(doc, f"the derivation rule needs a level labelled '{label}'")
    levels.sort(key=lambda level: level.rank)
    if hedging is None and "hedging_words" in doc.data:
        # Its problem is reported; without the words no claim's strength can be
        # derived, and checking each against a rule without them would report every
        # hedged claim too. No levels: claims' strengths wait for this file's fix.
        levels = []
    return StrengthScheme(tuple(levels), tuple(hedging or ()), prose or "")


# The anchors strength.html (site/templates) has of its own: a level's section is
# anchored by its label (strength.html#low), so no label may be one of them.
PAGE_ANCHORS = ("main", "levels-heading", "method", "method-heading")


def _check_label(reader: KbReader, doc: Located, index: int, label: str) -> None:
    """A label is an id: what queries write (strength:low) and an anchor of the site's
    strength page, which must name its level alone."""
    if not is_slug(label):
        reader.report(doc, f"label '{label}' must use {SLUG_RULE}", "level", index, "label")
    elif label in PAGE_ANCHORS:
        reader.report(
            doc,
            f"label '{label}' is taken: the site's strength page has an anchor of that "
            "name; choose another label",
            "level",
            index,
            "label",
        )
