"""Commands declared once, parsed by argparse: which command the words name, its
values, its help, and one clear line for each word it refuses."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from evidencekb.commandline import (
    Command,
    arg,
    command,
    file_path,
    folder_path,
    group,
    parse,
    whole_number,
)
from evidencekb.errors import UsageError


def _search(words: list[str], limit: int, kb: Path) -> None:
    """Find claims.

    The rest of the help."""


def _fill(source: Path) -> None:
    """Fill the references from SOURCE."""


SEARCH = command(
    "search",
    arg("words", nargs="+", metavar="QUERY"),
    arg("--limit", type=whole_number(1), default=10, metavar="N"),
    arg("--kb", type=folder_path, default=Path("kb")),
    stages=("evidencekb.search",),
)(_search)
FILL = command("fill", arg("source", type=file_path))(_fill)
PROGRAM = group("prog", "A program.", SEARCH, group("refs", "References.\n\nMore.", FILL))


def chosen(*words: str) -> tuple[Command, dict[str, object]]:
    found = parse(PROGRAM, words, version="1.2")
    return found.command, dict(found.values)


def test_a_command_is_its_function_its_docstring_and_its_arguments() -> None:
    assert SEARCH.run is _search
    assert (SEARCH.summary, SEARCH.description) == (
        "Find claims.",
        "Find claims.\n\nThe rest of the help.",
    )
    assert SEARCH.stages == ("evidencekb.search",)
    assert PROGRAM.commands[1].summary == "References."


def test_the_words_name_a_command_and_give_its_values_by_dest() -> None:
    assert chosen("search", "ketamine") == (
        SEARCH,
        {"words": ["ketamine"], "limit": 10, "kb": Path("kb")},
    )
    # Options anywhere among the query's words, as a user types them.
    assert chosen("search", "ketamine", "--limit", "3", "dosing")[1]["words"] == [
        "ketamine",
        "dosing",
    ]
    assert chosen("refs", "fill", "r.ris") == (FILL, {"source": Path("r.ris")})
    # After "--", a word is never an option, whatever it starts with.
    assert chosen("search", "--", "-ketamine", "--limit")[1]["words"] == ["-ketamine", "--limit"]
    assert chosen("search", "a", "--limit=2", "--", "-b")[1] == {
        "words": ["a", "-b"],
        "limit": 2,
        "kb": Path("kb"),
    }
    assert chosen("refs", "fill", "--", "-r.ris") == (FILL, {"source": Path("-r.ris")})


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["nope"], "prog: no command 'nope' (commands: search, refs)"),
        (["refs", "nope"], "prog refs: no command 'nope' (commands: fill)"),
        (
            ["search"],
            "prog search: the following arguments are required: QUERY (see `prog search --help`)",
        ),
        (
            ["search", "x", "--limit", "0"],
            "prog search: argument --limit: '0' is not a whole number, 1 or more "
            "(see `prog search --help`)",
        ),
        (
            ["search", "x", "--limit", "ten"],
            "prog search: argument --limit: 'ten' is not a whole number, 1 or more "
            "(see `prog search --help`)",
        ),
        (
            ["search", "x", "--lim", "3"],
            "prog search: unrecognized arguments: --lim (see `prog search --help`)",
        ),
        (
            ["search", "--limit"],
            "prog search: argument --limit: expected one argument (see `prog search --help`)",
        ),
        (
            ["refs", "fill", "a.ris", "b.ris"],
            "prog refs fill: unrecognized arguments: b.ris (see `prog refs fill --help`)",
        ),
    ],
)
def test_a_word_the_parser_refuses_is_one_usage_error(words: list[str], message: str) -> None:
    with pytest.raises(UsageError) as raised:
        chosen(*words)
    assert str(raised.value) == message


def test_help_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        chosen("--help")
    assert done.value.code == 0
    assert capsys.readouterr().out == (
        "Usage: prog COMMAND [ARGS]...\n\nA program.\n\nCommands:\n"
        "  search  Find claims.\n  refs    References.\n\n"
        "Options:\n  -h, --help  Show this help.\n  --version   Show the version.\n\n"
        "`prog COMMAND --help` describes a command and its options.\n"
    )
    with pytest.raises(SystemExit) as done:
        chosen()  # no command: the help, as an error
    assert done.value.code == 2
    assert capsys.readouterr().err.startswith("Usage: prog COMMAND [ARGS]...\n")
    with pytest.raises(SystemExit) as done:
        chosen("search", "--help")
    assert done.value.code == 0
    help_text = capsys.readouterr().out
    assert help_text.startswith("Usage: prog search [-h] [--limit N] [--kb KB] QUERY [QUERY ...]\n")
    assert "\nFind claims.\n\nThe rest of the help.\n" in help_text
    with pytest.raises(SystemExit) as done:
        chosen("--version")
    assert (done.value.code, capsys.readouterr().out) == (0, "prog 1.2\n")


def test_value_types_refuse_with_what_is_allowed(tmp_path: Path) -> None:
    port = whole_number(0, 65535)
    assert port("0") == 0 and port("65535") == 65535
    with pytest.raises(
        argparse.ArgumentTypeError, match="'65536' is not a whole number from 0 to 65535"
    ):
        port("65536")
    (tmp_path / "file").write_text("x", encoding="utf-8")
    assert file_path(str(tmp_path / "file")) == tmp_path / "file"
    assert file_path(str(tmp_path / "new.ris")) == tmp_path / "new.ris"  # not there yet
    with pytest.raises(argparse.ArgumentTypeError, match="is a folder, not a file"):
        file_path(str(tmp_path))
    assert folder_path(str(tmp_path / "new")) == tmp_path / "new"
    with pytest.raises(argparse.ArgumentTypeError, match="is a file, not a folder"):
        folder_path(str(tmp_path / "file"))


def test_a_reader_that_stops_early_ends_the_program_quietly(repo_kb: Path) -> None:
    """`ekb export | head -1`: what is left goes nowhere, without a traceback. Here
    the reader is gone before the export is written."""
    reading = subprocess.Popen(
        [sys.executable, "-m", "evidencekb", "export", "--kb", str(repo_kb)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert reading.stdout is not None
    reading.stdout.close()
    _, errors = reading.communicate(timeout=60)
    assert (reading.returncode, errors) == (1, b"")
