"""`ekb refs`: the bibliographic records of a topic's references, filled from a
reference manager's file (`import`) and Retraction Watch's notices (`retractions`)."""

from __future__ import annotations

from pathlib import Path

from evidencekb.commandline import arg, command, file_path, group
from evidencekb.commands.options import flag, kb_option
from evidencekb.commands.output import echo
from evidencekb.terminal import plural


@command(
    "import",
    arg("source", type=file_path, metavar="SOURCE"),
    arg("--topic", dest="slug", required=True, metavar="SLUG", help="The topic to fill in."),
    flag("--replace", "Take the file's value where a field differs."),
    flag("--dry-run", "Show what would change; write nothing."),
    kb_option,
)
def refs_import(source: Path, slug: str, replace: bool, dry_run: bool, kb_dir: Path) -> None:
    """Fill references from a RIS, BibTeX, CSL-JSON or PubMed MEDLINE (.nbib) file,
    or a .txt export of one (PubMed's "PubMed format", EndNote's RIS).

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
    notices.toml. A row matching a reference by one and giving another DOI or PMID
    than the reference's is a conflict: reported, not recorded. Running it again
    with the same file changes nothing.
    """
    from evidencekb.kb.retractions import record_retractions

    result = record_retractions(kb_dir, source, slug)
    for found in result.found:
        echo(found.describe())
    for conflict in result.conflicts:
        echo(conflict.describe())
    for path in result.written:
        echo(f"Wrote {path}.")
    for line in result.closing(source):
        echo(line)


refs = group(
    "refs", "Bibliographic records of a topic's references.", refs_import, refs_retractions
)
