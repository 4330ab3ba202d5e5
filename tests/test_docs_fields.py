"""The documents that list fields list exactly the registry's (issue 18): the field
table of kb/README.md, the starter README that `ekb init` copies, the README's query
language and `ekb search` options, and `ekb search --help`, which is made from the
registry. A field declared and not documented, or documented and gone, fails here.
"""

from __future__ import annotations

import re

from evidencekb.commands.search import fields_help
from evidencekb.kb.init import STARTER
from evidencekb.registry import (
    CLAIM_FIELDS,
    QUERY_FIELD_NAMES,
    QUERY_FIELDS,
    TOPIC_FIELDS,
    filters,
)
from fixtures import REPO, ekb_here


def _section(text: str, heading: str) -> str:
    """The Markdown section under `heading`, to the next heading of its level or above."""
    start = text.index(f"\n{heading}\n")
    level = heading.split(" ")[0]
    end = re.search(rf"\n#{{1,{len(level)}}} ", text[start + len(heading) + 2 :])
    return text[start : start + len(heading) + 2 + end.start()] if end else text[start:]


def test_the_kb_readme_claims_table_is_the_registrys() -> None:
    section = _section(
        (REPO / "kb" / "README.md").read_text("utf-8"), "## Claims: `topics/<slug>/claims.toml`"
    )
    rows = re.findall(r"^\| `([a-z_]+)` \| (yes|no) \|", section, flags=re.MULTILINE)
    assert rows == [(f.name, "yes" if f.required else "no") for f in CLAIM_FIELDS]


def test_the_kb_readme_names_every_topic_field_and_no_other() -> None:
    section = _section(
        (REPO / "kb" / "README.md").read_text("utf-8"), "## Topics: `topic.toml` and `overview.md`"
    )
    named = set(re.findall(r"^([a-z_]+) = ", section, flags=re.MULTILINE))
    named |= set(re.findall(r"`([a-z_]+)` is ", section))
    declared = {f.name for f in TOPIC_FIELDS}
    assert named - {"date", "summary", "conclusions_changed"} == declared  # [[change]]'s


def test_the_starter_readme_names_every_claim_field() -> None:
    text = (STARTER / "README.md").read_text("utf-8")
    named = re.findall(r"`([a-z_]+)`", text[text.index("[[claim]]") :].split("\n\n")[0])
    assert sorted(named) == sorted(f.name for f in CLAIM_FIELDS)


def test_the_readmes_query_language_is_the_registrys() -> None:
    section = _section((REPO / "README.md").read_text("utf-8"), "## Search")
    assert set(re.findall(r"`([a-z_]+):", section)) == set(QUERY_FIELD_NAMES)
    options = re.search(r"`ekb search` options: (.*?);", section, flags=re.DOTALL)
    assert options is not None
    named = re.findall(r"`--([a-z_]+)", options.group(1))
    assert named == [f.name for f in filters()] + ["limit", "json"]


def test_ekb_search_help_lists_every_query_field() -> None:
    shown = ekb_here("search", "--help").stdout
    assert fields_help() in shown
    listed = re.findall(r"^  ([a-z_]+)\*? ", fields_help(), flags=re.MULTILINE)
    assert listed == [f.name for f in QUERY_FIELDS]
