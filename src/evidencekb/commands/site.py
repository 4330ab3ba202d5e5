"""The site's commands: build it from kb/ (`build`) and preview it, rebuilt as kb/
changes (`serve`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from evidencekb.commandline import arg, command, whole_number
from evidencekb.commands.options import flag, kb_option, site_option
from evidencekb.commands.output import echo, on_terminal, say, write
from evidencekb.terminal import plural


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
