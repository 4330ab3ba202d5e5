"""The `ekb` command line: parse options, call the library, map errors.

Each command is declared once (`commandline.command`: its name, its arguments, the
stages it loads) above the function that runs it. Stage modules are imported inside
the commands, not at the top: `ekb search` must start fast, so it never pays for
jinja2, markdown or sqlite_utils.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import importlib
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from functools import partial
from pathlib import Path
from typing import NoReturn, TextIO

from evidencekb import __version__, terminal
from evidencekb.commandline import (
    Arg,
    arg,
    command,
    file_path,
    folder_path,
    group,
    parse,
    whole_number,
)
from evidencekb.errors import KBError, QueryError, UsageError, ValidationError, failure_reason
from evidencekb.names import LAYOUTS, SECTIONS
from evidencekb.paths import DEFAULT_KB_DIR, DEFAULT_SITE_DIR
from evidencekb.terminal import one_line, plural, terminal_safe


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised wherever the program is, so that it unwinds as on
    Ctrl-C: a build or import removes its staging folder and the old one stays."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, frame: object) -> None:
    raise Stopped(signum)


def echo(text: str, *, err: bool = False, nl: bool = True) -> None:
    """Print text that holds kb/ or user values (titles, ids, paths, file content):
    nothing in it can drive the terminal. Only our own colour and progress codes
    are printed with `write` directly."""
    write(terminal_safe(text), err=err, nl=nl)


def write(text: str, *, err: bool = False, nl: bool = True) -> None:
    out = sys.stderr if err else sys.stdout
    name = "standard error" if err else "standard output"
    if out is None:  # Python's stream of a file descriptor closed at start (`>&-`)
        raise KBError(f"cannot write to {name}: it is closed")
    try:
        out.write(text + "\n" if nl else text)
        out.flush()  # a progress line ends without a line break
    except UnicodeEncodeError as error:
        # An output set to ASCII (PYTHONIOENCODING, an old locale): said in ASCII.
        unwritable = ascii(error.object[error.start : error.end])
        raise KBError(
            f"{name} is in {error.encoding}, which cannot write {unwritable}: "
            "set PYTHONIOENCODING=utf-8"
        ) from None
    except BrokenPipeError:
        raise  # the reader stopped early (`ekb export | head`): `main` ends quietly
    except OSError as error:  # a full disk (`> /dev/full`), a vanished device
        _discard(out)
        raise KBError(f"cannot write to {name}: {failure_reason(error)}") from None


def _discard(out: TextIO) -> None:
    """Send what is left in `out`'s buffer, and all after it, nowhere: Python's own
    flush at exit would fail on it again, with a message of its own."""
    try:
        descriptor = out.fileno()
    except (OSError, ValueError):
        return  # not a file (a test's buffer): nothing of it is flushed at exit
    nowhere = os.open(os.devnull, os.O_WRONLY)
    os.dup2(nowhere, descriptor)
    os.close(nowhere)


def on_terminal(out: TextIO | None) -> bool:
    """Whether `out` is a terminal (not when closed: None)."""
    return out is not None and out.isatty()


say = partial(echo, err=True)  # messages for the person at the terminal, on stderr


def report(line: str) -> None:
    """Print a line of a report (an error, a problem, a warning) on stderr, kept on
    one line whatever the values in it hold (`terminal.one_line`): each line
    says one thing, and a value typed by a user cannot pass for a line of ours."""
    write(one_line(line), err=True)


def _fail(message: str, status: int) -> NoReturn:
    with suppress(KBError):  # standard error is closed or full: the exit status alone tells
        report(f"Error: {message}")
    sys.exit(status)


def dispatch(words: Sequence[str]) -> None:
    """Run the command `words` name (the words after `ekb`): its stages loaded with
    the program, the collector then resumed (`started`), and the library's
    exceptions, Ctrl-C and SIGTERM turned into one `Error:` line and an exit status."""
    with reported():
        try:
            chosen = parse(EKB, words, version=__version__)
        except SystemExit as stop:
            if not stop.code:  # --help or --version printed: flushed here, where a
                write("", nl=False)  # failure to write is said as any other
            raise
        run = chosen.command.run
        assert run is not None  # parse gives a command, never a group
        for stage in chosen.command.stages:
            importlib.import_module(stage)
        started(freeze=not chosen.command.lasting)
        run(**chosen.values)


@contextmanager
def reported() -> Iterator[None]:
    try:
        yield
    except ValidationError as error:
        for problem in error.problems:
            report(str(problem))
        _fail(str(error), 1)
    except (QueryError, UsageError) as error:
        _fail(str(error), 2)
    except KBError as error:
        _fail(str(error), 1)
    except Stopped as error:
        _fail(f"stopped by {signal.Signals(error.signum).name}", 128 + error.signum)
    except KeyboardInterrupt:
        _fail("interrupted", 128 + signal.SIGINT)


def started(*, freeze: bool = True) -> None:
    """Start-up is over: what it loaded is frozen and the garbage collector resumes.

    Loading the program's modules (whoosh's and ours) makes objects by the ten
    thousand that live as long as the process. The collector, run as they are made,
    traces them again and again and frees none: 8 ms of the 160 ms an `ekb search`
    took (BENCHMARKS.md). So `ekb` starts with it paused (`__main__.main`); frozen
    (`gc.freeze`), they are never traced again. A command loads its stages before
    this (`dispatch`): `ekb search` is mostly loading. When the collector was running
    (the CLI called in another program's process), nothing is frozen.

    A command that runs until stopped and builds again and again (`ekb serve`)
    freezes nothing here (`freeze=False`): a build freezes the kb it loaded and
    unfreezes all at its end (`workers.frozen_heap`), unless something was frozen
    before it, and a server's builds must leave nothing frozen behind them."""
    if not gc.isenabled():
        if freeze:
            gc.freeze()
        gc.enable()


# Arguments shared by several commands, declared once.
kb_option = arg(
    "--kb",
    dest="kb_dir",
    type=folder_path,
    default=DEFAULT_KB_DIR,
    metavar="DIR",
    help="The knowledge base folder (default: %(default)s).",
)
site_option = arg(
    "--site-dir",
    dest="site_dir",
    type=folder_path,
    default=DEFAULT_SITE_DIR,
    metavar="DIR",
    help="Where `ekb build` writes the site; the search index goes beside it "
    "(.NAME.ekb-index) (default: %(default)s).",
)
json_option = arg("--json", dest="as_json", action="store_true", help="Output JSON.")
topic_option = arg("--topic", metavar="SLUG", help="Only this topic.")


def flag(name: str, text: str) -> Arg:
    return arg(name, action="store_true", help=text)


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
        _fail(f"{plural(len(warnings), 'warning')}, and --strict fails on warnings", 1)
    counted = f", {plural(len(warnings), 'warning')}" if warnings else ""
    echo(f"{kb_dir}: OK ({plural(topics, 'topic')}, {plural(claims, 'claim')}{counted})")


def _check_dates_since(kb_dir: Path, revision: str) -> None:
    from evidencekb.kb.changes import changes_since, unstamped, untrue_dates

    undated = unstamped(changes_since(kb_dir, revision))
    for change in undated:
        say(change.describe())
    if undated:
        _fail(untrue_dates(undated, revision), 1)


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


@command(
    "build",
    kb_option,
    site_option,
    arg("--quiet", "-q", action="store_true", help="Print nothing but errors."),
    flag(
        "--full",
        "Write every part anew instead of keeping the parts of the earlier build "
        "that kb/ and the code did not change.",
    ),
)
def build(kb_dir: Path, site_dir: Path, quiet: bool, full: bool) -> None:
    """Compile the knowledge base into the database, search index and static site.

    Parts of the site already there whose inputs did not change are kept (the
    result is byte for byte what --full writes)."""
    from evidencekb.build import build as build_site

    show_progress = not quiet and on_terminal(sys.stderr)
    progress = _terminal_progress if show_progress else _silent
    result = build_site(kb_dir, site_dir, progress, full=full, on_wait=say)
    if show_progress:
        write("\r\033[K", nl=False, err=True)
    if not quiet:
        parts = len(result.written) + len(result.kept)
        echo(
            f"Built {result.site_dir}/ from {plural(result.topics, 'topic')} and "
            f"{plural(result.claims, 'claim')}: wrote {len(result.written):,} of "
            f"{parts:,} parts, kept {len(result.kept):,}."
        )


def _terminal_progress(stage: str, done: int, total: int) -> None:
    write(f"\r\033[K{stage}: {done}/{total}", nl=False, err=True)


def _silent(stage: str, done: int, total: int) -> None:
    pass


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


@command(
    "import",
    arg("source", type=file_path, metavar="SOURCE"),
    arg("--topic", dest="slug", required=True, metavar="SLUG", help="The topic to fill in."),
    flag("--replace", "Take the file's value where a field differs."),
    flag("--dry-run", "Show what would change; write nothing."),
    kb_option,
)
def refs_import(source: Path, slug: str, replace: bool, dry_run: bool, kb_dir: Path) -> None:
    """Fill references from a RIS, BibTeX, CSL-JSON or PubMed MEDLINE (.nbib) file.

    Records match the topic's citation numbers by the number a record names
    (CSL-JSON citation-number, a RIS ID or BibTeX key that is a number or
    TOPIC-NUMBER, as `ekb export` writes them), or else in order. A field that
    differs is kept unless --replace is given.
    """
    from evidencekb.kb.refimport import import_references

    result = import_references(kb_dir, source, slug, replace=replace, dry_run=dry_run)
    for change in result.changes:
        echo(change.describe())
    applied = sum(change.applied for change in result.changes)
    if result.written:
        echo(f"Wrote {result.references_file}: {plural(applied, 'field')} changed.")
    elif dry_run and applied:
        echo(f"Dry run: {plural(applied, 'field')} would change; nothing written.")
    else:
        echo(f"Nothing to change in {result.references_file}.")


@command(
    "retractions",
    arg("source", type=file_path, metavar="SOURCE"),
    arg("--topic", dest="slug", metavar="SLUG", help="Only this topic (default: every topic)."),
    kb_option,
)
def refs_retractions(source: Path, slug: str | None, kb_dir: Path) -> None:
    """Record the notices (retractions, expressions of concern, corrections,
    reinstatements) of Retraction Watch's CSV SOURCE on the works the kb cites.

    Works match by DOI (without case) or PMID; each topic's notices go into its
    notices.toml. Running it again with the same file changes nothing.
    """
    from evidencekb.kb.retractions import record_retractions

    result = record_retractions(kb_dir, source, slug)
    for found in result.found:
        echo(found.describe())
    added = sum(found.new for found in result.found)
    for path in result.written:
        echo(f"Wrote {path}.")
    if not result.written:
        matched = plural(len(result.found), "notice")
        echo(f"Nothing to change: {matched} on the kb's works, all recorded already.")
    elif added:
        echo(f"{plural(added, 'notice')} recorded.")


@command(
    "serve",
    kb_option,
    site_option,
    arg(
        "--port",
        type=whole_number(0, 65535),
        default=8000,
        help="Port on 127.0.0.1 (0: any free port) (default: %(default)s).",
    ),
    arg(
        "--watch",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Rebuild when kb/ changes and reload the open pages (--no-watch: serve site/ "
        "as it is) (default: watch).",
    ),
    lasting=True,
)
def serve_command(kb_dir: Path, site_dir: Path, port: int, watch: bool) -> None:
    """Preview the site at http://127.0.0.1:PORT/ (Ctrl-C stops).

    While it runs, every save in kb/ rebuilds the site and reloads the pages open
    in a browser; a kb/ problem is printed here and shown on the page, and the
    last good site goes on being served.
    """
    if watch:
        from evidencekb.live import serve_live

        serve_live(kb_dir, site_dir, port, say)
    else:
        from evidencekb.site import serve

        serve(site_dir, port, announce=say)


refs = group(
    "refs", "Bibliographic records of a topic's references.", refs_import, refs_retractions
)
EKB = group(
    "ekb",
    "evidencekb: clinical evidence summaries as structured, searchable claims.",
    import_command,
    init,
    check,
    changes_command,
    export_command,
    show,
    list_command,
    build,
    search_command,
    refs,
    serve_command,
)


def main() -> None:
    """The `ekb` program (`__main__`): the command its arguments name."""
    # At exit Python's garbage collector traces every object left, whoosh's modules
    # included, to free what the process is about to give back anyway, a noticeable
    # share of a short `ekb search` (BENCHMARKS.md). Frozen objects are not traced.
    # atexit handlers run before that pass, and files are closed by then: every
    # command writes through context managers.
    atexit.register(gc.freeze)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) is not signal.SIG_IGN:  # nohup means: go on
            signal.signal(signum, _stop)
    try:
        dispatch(sys.argv[1:])
    except BrokenPipeError:
        # The reader stopped early (`ekb export | head`): what is left to print goes
        # nowhere, and Python's own flush at exit must not fail again.
        _discard(sys.stdout)
        sys.exit(1)
