"""Commands declared once, their parsers made from the declarations by argparse.

A command is a function with its name, its arguments (as `add_argument` takes them)
and the stage packages it loads (`command`). `parse` finds the command the words
name, through groups such as `ekb refs`, and makes that command's parser alone:
`ekb search` starts without building the others'. The standard library's parser
costs `ekb search` about 1.5 ms to load where click cost 8 to 10 ms of its 150
(BENCHMARKS.md, "ekb search").

A word the parser refuses raises `UsageError`, which the CLI prints as its one
`Error:` line; `--help` prints the command's help and exits 0.
"""

from __future__ import annotations

import argparse
import inspect
import itertools
import sys
import textwrap
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any, NamedTuple, NoReturn

from evidencekb.errors import UsageError

# The records here are named tuples, not dataclasses: `ekb search` makes them as it
# starts, where a dataclass costs half a millisecond to make and a named tuple a tenth.


class Arg(NamedTuple):
    """One argument of a command: `add_argument(*flags, **options)`."""

    flags: tuple[str, ...]
    options: Mapping[str, Any]


def arg(*flags: str, **options: Any) -> Arg:
    return Arg(flags, options)


class Command(NamedTuple):
    """A command (`run` and its `arguments`), or a group of commands (`commands`)."""

    name: str
    summary: str  # its line in the list of commands
    description: str = ""  # its help, above the options
    run: Callable[..., None] | None = None
    arguments: tuple[Arg, ...] = ()
    stages: tuple[str, ...] = ()  # the packages it imports, loaded before it runs
    commands: tuple[Command, ...] = ()
    # It runs until stopped, building again and again (`ekb serve`): what start-up
    # loaded is not frozen, so that each build's own freeze is undone after it.
    lasting: bool = False


def command(
    name: str, *arguments: Arg, stages: tuple[str, ...] = (), lasting: bool = False
) -> Callable[[Callable[..., None]], Command]:
    """Declare the function below as the command `name`; its docstring is its help
    (the first paragraph its summary), its parameters the arguments' `dest`s."""

    def declare(run: Callable[..., None]) -> Command:
        doc = inspect.getdoc(run) or ""
        return Command(name, _summary(doc), doc, run, arguments, stages, lasting=lasting)

    return declare


def group(name: str, description: str, *commands: Command) -> Command:
    return Command(name, _summary(description), description, commands=commands)


def _summary(description: str) -> str:
    """A help's first paragraph, on one line."""
    return " ".join(description.split("\n\n")[0].split())


class Chosen(NamedTuple):
    """The command the words name, and its arguments' values by `dest`."""

    command: Command
    values: Mapping[str, Any]


def parse(program: Command, words: Sequence[str], *, version: str) -> Chosen:
    """The command `words` name (the program's arguments, without its name)."""
    found, prog, rest = program, program.name, list(words)
    while found.commands:
        if not rest or rest[0] in ("-h", "--help"):
            _print_help(found, prog, found is program, sys.stdout if rest else sys.stderr)
            raise SystemExit(0 if rest else 2)
        if found is program and rest[0] == "--version":
            _print(f"{program.name} {version}", sys.stdout)
            raise SystemExit(0)
        by_name = {sub.name: sub for sub in found.commands}
        if rest[0] not in by_name:
            known = ", ".join(by_name)
            raise UsageError(f"{prog}: no command {rest[0]!r} (commands: {known})")
        found, prog, rest = by_name[rest[0]], f"{prog} {rest[0]}", rest[1:]
    values = _parser(found, prog).parse_args(_options_first(found, rest))
    return Chosen(found, vars(values))


def _options_first(found: Command, words: list[str]) -> list[str]:
    """`words` with the options (and their values) first, then "--" and the other
    words, each in its order: an option may stand anywhere among a query's words,
    and a word after a "--" is never an option, whatever it starts with. (argparse's
    `parse_intermixed_args` loses the "--" in Python 3.11.) An option of ours takes
    one value (`--limit 3`, `--limit=3`) or none (`action` given: a flag)."""
    with_value = {
        flag
        for argument in found.arguments
        if argument.options.get("action") is None
        for flag in argument.flags
        if flag.startswith("-")
    }
    options: list[str] = []
    others: list[str] = []
    remaining = iter(words)
    for word in remaining:
        if word == "--":
            others.extend(remaining)
        elif word.startswith("-") and word != "-" and " " not in word:  # as argparse reads it
            options.append(word)
            if word in with_value:
                options.extend(itertools.islice(remaining, 1))
        else:
            others.append(word)
    if others and any(not argument.flags[0].startswith("-") for argument in found.arguments):
        return [*options, "--", *others]
    return [*options, *others]  # no word to give: argparse names what is left over


def _parser(found: Command, prog: str) -> argparse.ArgumentParser:
    parser = _Parser(
        prog=prog,
        description=found.description,
        formatter_class=_Formatter,
        allow_abbrev=False,
    )
    for argument in found.arguments:
        parser.add_argument(*argument.flags, **argument.options)
    return parser


def _print_help(found: Command, prog: str, program: bool, out: Any) -> None:
    width = max(len(sub.name) for sub in found.commands)
    lines = [f"Usage: {prog} COMMAND [ARGS]...", "", found.description, "", "Commands:"]
    for sub in found.commands:
        lines += textwrap.wrap(
            sub.summary,
            width=79,
            initial_indent=f"  {sub.name:<{width}}  ",
            subsequent_indent=" " * (width + 4),
        )
    lines += ["", "Options:", "  -h, --help  Show this help."]
    lines += ["  --version   Show the version."] if program else []
    lines += ["", f"`{prog} COMMAND --help` describes a command and its options."]
    _print("\n".join(lines), out)


def _print(text: str, out: Any) -> None:
    """Print help as argparse prints its own: a failure to write is left to the caller,
    which flushes the output and says why it cannot (cli.dispatch)."""
    with suppress(OSError):
        print(text, file=out)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see `{self.prog} --help`)")


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """The help as written in the docstring, and "Usage:" as in the lists of commands."""

    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "Usage: " if prefix is None else prefix)


# Types of values, each refusing with what is allowed.


def whole_number(low: int, high: int | None = None) -> Callable[[str], int]:
    allowed = f"a whole number from {low} to {high}" if high else f"a whole number, {low} or more"

    def convert(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            number = None
        if number is None or number < low or (high is not None and number > high):
            raise argparse.ArgumentTypeError(f"{text!r} is not {allowed}")
        return number

    convert.__name__ = "number"  # argparse names the type in its own messages
    return convert


def file_path(text: str) -> Path:
    """A file's path (which need not exist yet), never a folder's."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder, not a file")
    return path


def folder_path(text: str) -> Path:
    """A folder's path (which need not exist yet), never a file's."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file, not a folder")
    return path
