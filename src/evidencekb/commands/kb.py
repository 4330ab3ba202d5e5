"""The knowledge base's own commands: start one (`init`), fill it (`import`), check
it (`check`, `changes`), and read it back (`export`, `show`, `list`)."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path

from evidencekb import terminal
from evidencekb.commandline import arg, command, file_path
from evidencekb.commands.options import flag, json_option, kb_option, topic_option
from evidencekb.commands.output import echo, on_terminal, report, say, write
from evidencekb.errors import KBError
from evidencekb.names import LAYOUTS, SECTIONS
from evidencekb.terminal import plural, terminal_safe


@command(
    "import",
    arg("source", type=file_path, metavar="SOURCE"),
    arg("--topic", dest="slug", required=True, metavar="SLUG", help="The new topic's slug."),
    arg(
        "--title",
        help="The topic's title (default: the summary's title line, else from the slug).",
    ),
    flag("--replace", "Overwrite the topic if it exists."),
    arg(
        "--format",
        dest="fmt",
        choices=["summary", "claims-jsonl"],
        default="summary",
        help="summary: an evidence summary's text; claims-jsonl: claims with their cited "
        "works, stances and quotations, one JSON object a line (kb/README.md) "
        "(default: %(default)s).",
    ),
    arg(
        "--section",
        choices=SECTIONS,
        help="The part of a summary without part headings (From the Guidelines/Research).",
    ),
    arg(
        "--layout",
        choices=LAYOUTS,
        help="How the summary is written (default: found from the file; kb/README.md).",
    ),
    arg(
        "--date",
        dest="added",
        metavar="YYYY-MM-DD",
        help="The claims' added date (default: today, the one time evidencekb reads the clock).",
    ),
    kb_option,
)
def import_command(
    source: Path,
    slug: str,
    title: str | None,
    replace: bool,
    fmt: str,
    section: str | None,
    layout: str | None,
    added: str | None,
    kb_dir: Path,
) -> None:
    """Import an evidence summary (or claims-jsonl file) SOURCE as a new topic."""
    import datetime

    from evidencekb.kb import import_claims_jsonl, import_summary
    from evidencekb.kb.dates import date_fault

    if added is None:
        added = datetime.date.today().isoformat()
    elif fault := date_fault(added):
        raise KBError(f"--date {fault}")
    if fmt == "claims-jsonl":
        if section or layout:
            raise KBError("--section and --layout are for --format summary")
        result = import_claims_jsonl(
            kb_dir, source, slug, title=title, replace=replace, added=added
        )
    else:
        result = import_summary(
            kb_dir,
            source,
            slug,
            title=title,
            replace=replace,
            section=section,
            layout=layout,
            added=added,
        )
    verb = "Replaced" if result.replaced else "Created"
    claims, sources = plural(result.statements, "claim"), plural(result.cited_sources, "source")
    echo(f"{verb} {result.topic_dir}: {claims} citing {sources}. Curate it, then run `ekb check`.")


@command("init", arg("folder", type=Path, metavar="DIR"))
def init(folder: Path) -> None:
    """Start an empty knowledge base in DIR (new, or an empty folder): the strength
    and stance schemes, empty vocabularies and a README, ready for `ekb import`."""
    from evidencekb.kb.init import init_kb

    written = init_kb(folder)
    echo(f"Created {folder}/: {', '.join(written)}, topics/.")
    echo(
        f"Next: ekb import SUMMARY.txt --topic SLUG --kb {folder}, then "
        f"ekb check --kb {folder} (its README.md says more)."
    )


@command(
    "check",
    flag(
        "--strict",
        "Fail on warnings too (claims citing a retracted work or one under an "
        "expression of concern), for CI.",
    ),
    arg(
        "--since",
        dest="revision",
        metavar="REV",
        help="Also fail for each claim whose meaning changed since git revision REV "
        "without its changed date moving on, or whose added date moved (see `ekb changes`).",
    ),
    kb_option,
)
def check(strict: bool, revision: str | None, kb_dir: Path) -> None:
    """Validate the whole knowledge base and list every problem.

    Claims citing a retracted work or one under an expression of concern are listed
    as warnings: the exit status is 0 unless --strict is given."""
    from evidencekb.kb import load_kb
    from evidencekb.kb.notices import notice_warnings
    from evidencekb.workers import made_to_last

    with ExitStack() as scope:
        # Frozen as it is loaded: the collector would trace the whole kb once more
        # (75 ms of a 790 ms check of the large kb, BENCHMARKS.md).
        with made_to_last(scope):
            kb = load_kb(kb_dir)
        warnings = notice_warnings(kb)
    if revision is not None:
        _check_dates_since(kb_dir, revision)
    for warning in warnings:
        report(f"Warning: {warning}")
    topics, claims = len(kb.topics), len(kb.claims)
    if strict and warnings:
        raise KBError(f"{plural(len(warnings), 'warning')}, and --strict fails on warnings")
    counted = f", {plural(len(warnings), 'warning')}" if warnings else ""
    echo(f"{kb_dir}: OK ({plural(topics, 'topic')}, {plural(claims, 'claim')}{counted})")


def _check_dates_since(kb_dir: Path, revision: str) -> None:
    from evidencekb.kb.changes import changes_since, unstamped, untrue_dates

    undated = unstamped(changes_since(kb_dir, revision))
    for change in undated:
        say(change.describe())
    if undated:
        raise KBError(untrue_dates(undated, revision))


@command(
    "changes",
    arg("--since", dest="revision", required=True, metavar="REV", help="A git revision."),
    arg(
        "--stamp",
        metavar="DATE",
        help="Write DATE (YYYY-MM-DD) as the changed date of each claim listed (and as the "
        "added date of a new claim that has none).",
    ),
    kb_option,
)
def changes_command(revision: str, stamp: str | None, kb_dir: Path) -> None:
    """List the claims whose meaning (text, strength, citations, stances) differs
    from git revision REV, and the new ones. Formatting-only edits are not changes."""
    from evidencekb.kb.changes import changes_since
    from evidencekb.kb.changes import stamp as stamp_dates

    changes = changes_since(kb_dir, revision)
    for change in changes:
        echo(change.describe())
    if stamp is not None:
        for path in stamp_dates(kb_dir, changes, stamp):
            echo(f"Wrote {path}.")
    if not changes:
        echo(f"No claim has changed since {revision}.")


@command(
    "export",
    arg(
        "--format",
        dest="fmt",
        choices=["json", "csv", "text", "csl-json", "ris", "bibtex", "fhir"],
        default="json",
        help="json: a list of claim objects; csv: one row a claim; text: the summary "
        "itself; csl-json, ris, bibtex: the described references; fhir: a FHIR R5 Bundle "
        "of a Citation per described reference and an Evidence per claim "
        "(default: %(default)s).",
    ),
    topic_option,
    kb_option,
)
def export_command(fmt: str, topic: str | None, kb_dir: Path) -> None:
    """Write the claims to standard output."""
    from evidencekb.kb import export, load_kb
    from evidencekb.kb.exporter import nothing_to_export

    kb = load_kb(kb_dir)
    text = export(kb, fmt, topic)
    # Into a file or a program an export is data, written exactly; on a terminal a
    # person reads it.
    write(terminal_safe(text) if on_terminal(sys.stdout) else text, nl=False)
    if why := nothing_to_export(kb, fmt, topic):
        say(f"Note: {why}")


@command("show", arg("claim_id", metavar="ID"), json_option, kb_option)
def show(claim_id: str, as_json: bool, kb_dir: Path) -> None:
    """Show one claim with everything known about it: what its cited works found
    first, then each cited work with its stance and quotations.

    ID is a claim's id, any unique beginning of it, or its short hash (the id
    without the topic: `ekb show 8008e692`). `ekb list` lists the ids."""
    import json

    from evidencekb.kb import claim_details, claim_text, find_claim, load_kb

    kb = load_kb(kb_dir)
    claim = find_claim(kb, claim_id)
    if as_json:
        echo(json.dumps(claim_details(kb, claim), indent=2, ensure_ascii=False))
    else:
        echo(claim_text(kb, claim, width=terminal.width()))


@command("list", topic_option, kb_option)
def list_command(topic: str | None, kb_dir: Path) -> None:
    """List the claims' ids, each with the start of its text (for `ekb show ID`)."""
    from evidencekb.kb import claim_list, load_kb, select_topics

    kb = load_kb(kb_dir)
    echo(claim_list(select_topics(kb, topic), width=terminal.width()))
