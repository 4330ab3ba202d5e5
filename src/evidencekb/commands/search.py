"""`ekb search`: the claims a query finds, from the index beside the site.

Its start-up is most of a short search (BENCHMARKS.md), so this module loads only
what declaring the command needs; the search stage is loaded with the program
(`stages`), before the collector resumes (`cli.started`)."""

from __future__ import annotations

import os
import sys
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
def search_command(
    words: list[str],
    limit: int,
    as_json: bool,
    kb_dir: Path,
    site_dir: Path,
    **filter_values: object,
) -> None:
    """Search the claims: words, "phrases", field:value, AND / OR / NOT.

    Claims with all the words rank first. Fields: section, strength, cites,
    category, entity, topic, heading, text, id. Over the works a claim cites:
    author and journal (a name, or words of one), year (2018, 2015..2020,
    2015.., ..2010), doi and pmid (exact; DOIs in any case). Over what the
    cited works say: stance (supports, contradicts, no-evidence, not-stated:
    kb/stance.toml), contested (yes, no) and notice (retraction,
    expression-of-concern, correction: an editorial notice on a cited
    work). changed: a claim's latest date (2026-12-05, 2026-12, 2026,
    2026-01.., ..2026-06, 2026-01..2026-06). Abbreviations and synonyms from
    kb/vocabulary expand the query; a misspelled word is corrected. The search
    index is rebuilt first if kb/ has changed since it was built.

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
