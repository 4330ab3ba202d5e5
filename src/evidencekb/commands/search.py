"""`ekb search`: the claims a query finds, from the index beside the site.

Its start-up is most of a short search (BENCHMARKS.md), so this module loads only
what declaring the command needs; the search stage is loaded with the program
(`stages`), before the collector resumes (`cli.started`)."""

from __future__ import annotations

import os
import sys
import textwrap  # loaded with the command line anyway (commandline.py)
from collections.abc import Callable
from pathlib import Path

from evidencekb import terminal
from evidencekb.commandline import Arg, arg, command, whole_number
from evidencekb.commands.options import json_option, kb_option, site_option
from evidencekb.commands.output import echo, on_terminal, say, write


def filter_options() -> tuple[Arg, ...]:
    """An option for each filter of the registry (`registry.filters()`), in order."""
    from evidencekb.registry import filters

    return tuple(
        arg(
            f"--{declared.name}",
            type=whole_number(1) if declared.rule == "number" else str,
            metavar="N" if declared.rule == "number" else declared.name.upper(),
            help=declared.filter,
        )
        for declared in filters()
    )


def fields_help() -> str:
    """The query fields, a line each (wrapped under its name), as the registry declares
    them: what a value must be, an example, and whether it is a cited work's."""
    from evidencekb.registry import QUERY_FIELDS

    width = max(len(f.name) for f in QUERY_FIELDS) + 4
    lines = ["Fields (name:value; a claim matches when one of its cited works does, *):"]
    for declared in QUERY_FIELDS:
        said = f"{declared.needs}, e.g. {declared.example}"
        lead = f"  {declared.name}{'*' if declared.on_works else ''}".ljust(width)
        lines.append(textwrap.fill(said, 78, initial_indent=lead, subsequent_indent=" " * width))
    return "\n".join(lines)


def _with_fields(run: Callable[..., None]) -> Callable[..., None]:
    """Its docstring with the fields' lines where it says {fields}: the help lists the
    registry's fields, never a copy of them."""
    indented = fields_help().replace("\n", "\n    ")  # as the docstring's own lines are
    run.__doc__ = (run.__doc__ or "").replace("{fields}", indented)
    return run


@command(
    "search",
    arg("words", nargs="+", metavar="QUERY"),
    *filter_options(),
    arg(
        "--limit",
        type=whole_number(1),
        default=10,
        metavar="N",
        help="Show at most N claims (default: %(default)s).",
    ),
    json_option,
    kb_option,
    site_option,
    stages=("evidencekb.search",),
)
@_with_fields
def search_command(
    words: list[str],
    limit: int,
    as_json: bool,
    kb_dir: Path,
    site_dir: Path,
    **filter_values: object,
) -> None:
    """Search the claims: words, "phrases", field:value, AND / OR / NOT.

    Claims with all the words rank first. Abbreviations and synonyms from
    kb/vocabulary expand the query; a misspelled word is corrected. The search
    index is rebuilt first if kb/ has changed since it was built.

    {fields}

    Examples:
      ekb search CRPS
      ekb search '"neuropathic pain" NOT section:guidelines'
      ekb search --strength low --json dosing
      ekb search 'author:Guyatt year:2005..2010'
      ekb search --stance contradicts PrP
    """
    from evidencekb.paths import index_dir as index_dir_of
    from evidencekb.search import Filters, ensure_fresh_index, results_json, results_text, search

    index_dir = index_dir_of(site_dir)
    ensure_fresh_index(kb_dir, index_dir, notify=say)
    filters = Filters.of(**filter_values)
    results = search(index_dir, " ".join(words), filters=filters, limit=limit)
    if as_json:
        echo(results_json(results))
        return
    colour = on_terminal(sys.stdout) and not os.environ.get("NO_COLOR")
    # Made terminal-safe piece by piece inside, around its own colour codes.
    write(results_text(results, colour=colour, width=terminal.width()))
