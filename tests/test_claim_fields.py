"""Issue 18, one declaration per field: a claim field is declared once
(registry.CLAIM_FIELDS) and every surface takes it from there. The registry cannot
gain a field at test time without patching our own internals, so these tests hold
each surface's list of fields to the registry's, refuse the declarations the rest
could not carry, and follow the existing optional fields `added` and `changed`
through every surface of a real kb (the repository's seed, a copy).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from evidencekb.model import Claim
from evidencekb.registry import (
    CLAIM_FIELDS,
    RESERVED_CLAIM_NAMES,
    ClaimField,
    QueryField,
    claim_values,
)
from fixtures import ekb_here

NAMES = [f.name for f in CLAIM_FIELDS]
SEED_CLAIMS = "topics/ketamine-pain/claims.toml"
FIRST_LINE = "source_line = 2\n"  # the seed's first claim's last line


@pytest.mark.parametrize(
    "name", ["warning", "verdict", "contested", "topic", "position", "stances", "rowid"]
)
def test_a_name_the_database_or_an_export_uses_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="RESERVED_CLAIM_NAMES"):
        ClaimField(name, "int", "A clash.", required=False)


@pytest.mark.parametrize("name", ["sample size", "sample-size", "Population", "n2", "_n", "a__b"])
def test_a_name_the_query_language_cannot_read_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="lower-case ASCII letters"):
        ClaimField(name, "text", "Unreadable.", required=False)
    with pytest.raises(ValueError, match="lower-case ASCII letters"):
        QueryField(name, "number", "a number", f"{name}:1", claim_values("source_line"))


def test_a_kind_outside_the_list_is_refused() -> None:
    with pytest.raises(ValueError, match="kind 'when'"):
        ClaimField("reviewed", "when", "When it was reviewed.", required=False)
    ClaimField("sample_size", "int", "How many took part.", required=False, least=1)


def test_the_model_holds_the_fields_in_the_registrys_order() -> None:
    """A claims.toml field is a Claim attribute (the one place besides the registry a
    new field needs); every other attribute is a reserved name."""
    attributes = [f.name for f in dataclasses.fields(Claim)]
    assert [name for name in attributes if name in NAMES] == NAMES
    public = {name for name in dir(Claim) if not name.startswith("_")} | set(attributes)
    assert public - set(NAMES) <= RESERVED_CLAIM_NAMES


def _dated(kb_dir: Path, added: str, changed: str) -> None:
    path = kb_dir / SEED_CLAIMS
    text = path.read_text("utf-8")
    dates = f'added = "{added}"\nchanged = "{changed}"\n'
    path.write_text(text.replace(FIRST_LINE, FIRST_LINE + dates, 1), "utf-8")


@pytest.mark.parametrize("field", [f.name for f in CLAIM_FIELDS if f.kind == "date"])
def test_every_date_field_is_held_to_one_rule(kb_dir: Path, field: str) -> None:
    """A field declared of kind "date" is checked as a date, whatever its name: one
    line with the file and line, what is wrong and what is allowed."""
    dates = {"added": "2026-11-23", "changed": "2026-12-05", field: "yesterday"}
    _dated(kb_dir, dates["added"], dates["changed"])
    result = ekb_here("check", "--kb", str(kb_dir))
    assert result.exit_code == 1
    line = 16 if field == "added" else 17
    assert (
        f"{SEED_CLAIMS}:{line}: {field} 'yesterday' must be a date written "
        '"YYYY-MM-DD", like "2026-12-05"'
    ) in result.output
