"""A damaged search index (a file of it cut short or garbled) is one `Error:` line
that says so and how to write it anew, never a traceback; and that way works."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from evidencekb.errors import KBError
from evidencekb.paths import INDEX_META_NAME
from evidencekb.search.damage import damaged
from evidencekb.search.engine import search
from fixtures import ekb_here


def halved(data: bytes) -> bytes:
    return data[: len(data) // 2]


def zeroed(data: bytes) -> bytes:
    return bytes(len(data))


def garbled(data: bytes) -> bytes:
    return bytes(byte ^ 0x5A if at % 7 == 0 else byte for at, byte in enumerate(data))


# Each damage with a query it fails (before, each a traceback of its own: struct.error,
# TypeError, UnicodeEncodeError, a bare Exception, FileFormatError, zlib.error, pickle's).
DAMAGES = [
    ("_stored.col", halved, "ketamine"),
    ("_body_len.col", halved, "ketamine pain"),
    ("_heading_len.col", zeroed, "ketamine pain"),
    (".pst", zeroed, '"neuropathic pain"'),
    (".trm", zeroed, "ketamine"),
    (".trm", garbled, "ketamine"),
    ("_stored.col", garbled, "ketamine"),
    (".toc", halved, "ketamine"),
    (".arr", halved, "ketamine"),  # our scored postings beside each segment
]


@pytest.fixture
def built(kb_dir: Path, tmp_path: Path) -> tuple[list[str], Path]:
    """The arguments of `ekb search` on a kb copy, and its index folder, built."""
    args = ["--kb", str(kb_dir), "--site-dir", str(tmp_path / "site")]
    assert ekb_here("search", *args, "ketamine").exit_code == 0
    return args, tmp_path / ".site.ekb-index"


def damage(index: Path, suffix: str, how: Callable[[bytes], bytes]) -> None:
    (file,) = index.glob(f"*{suffix}")
    file.write_bytes(how(file.read_bytes()))


@pytest.mark.parametrize(("suffix", "how", "query"), DAMAGES)
def test_a_damaged_index_is_said_to_be_damaged(
    built: tuple[list[str], Path], suffix: str, how: Callable[[bytes], bytes], query: str
) -> None:
    args, index = built
    damage(index, suffix, how)
    with pytest.raises(KBError) as caught:
        search(index, query)
    said = str(caught.value)
    # What failed is named, so that a fault of the code cannot pass for damage unseen.
    assert re.fullmatch(
        rf"cannot read the search index at {re.escape(str(index))}( \(\w+(: .+)?\)|: .+); "
        r"it may be damaged: run `ekb build --full` to write it anew",
        said,
    ), said
    result = ekb_here("search", *args, query)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"Error: {said}\n")


def test_ekb_build_full_writes_a_damaged_index_anew(built: tuple[list[str], Path]) -> None:
    args, index = built
    damage(index, "_stored.col", halved)
    assert ekb_here("search", *args, "ketamine").exit_code == 1
    assert ekb_here("build", "--full", "--quiet", *args).exit_code == 0
    again = ekb_here("search", *args, "ketamine")
    assert (again.exit_code, again.stderr) == (0, "")


def test_a_query_error_is_no_damage() -> None:
    from evidencekb.errors import QueryError

    assert not damaged(QueryError("unknown field"))
    assert not damaged(KBError("no knowledge base"))
    assert damaged(Exception("Block tag error b''"))


def test_a_fault_of_the_code_is_no_damage_but_the_readers_stumble_is() -> None:
    """A KeyError or TypeError is damage only where the code reading the index raised
    it: one of our own search code must stay a fault, its traceback whole."""
    from whoosh.scoring import bm25

    try:
        {}["oops"]
    except KeyError as error:
        ours = error
    assert not damaged(ours)
    try:
        bm25(1.0, 1.0, None, 1.0, 0.75, 1.2)  # a length byte read as None, as whoosh scores
    except TypeError as error:
        theirs = error
    assert damaged(theirs)


def test_a_fifo_in_place_of_an_index_file_is_damage_not_a_hang(
    built: tuple[list[str], Path],
) -> None:
    """whoosh opens its files as they are named: a FIFO left there waited for a writer."""
    args, index = built
    (arrays,) = index.glob("*.arr")
    arrays.unlink()
    os.mkfifo(arrays)
    result = ekb_here("search", *args, "ketamine")
    assert (result.exit_code, result.stdout, result.stderr) == (
        1,
        "",
        f"Error: cannot read the search index at {index}: {arrays} is a FIFO (named pipe), "
        "not a regular file; it may be damaged: run `ekb build --full` to write it anew\n",
    )


@pytest.mark.parametrize(
    "edit",
    [
        lambda meta: meta.pop("fingerprint"),
        lambda meta: meta.update(values=5),
        lambda meta: meta.update(codes=[1, 2]),
        lambda meta: meta.update(vocabulary={"x": 1}),
    ],
    ids=["no fingerprint", "values a number", "codes a list", "vocabulary without groups"],
)
def test_metadata_damaged_by_hand_is_no_index_and_written_anew(
    built: tuple[list[str], Path], edit: Callable[[dict[str, Any]], object]
) -> None:
    """Each was a traceback of its own (KeyError, AttributeError, TypeError)."""
    args, index = built
    meta_path = index / INDEX_META_NAME
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    edit(meta)
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    result = ekb_here("search", *args, "ketamine")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"no search index at {index}; building it…\n"
    assert result.stdout.startswith("1. ketamine-pain-")


def test_an_index_that_lost_its_metadata_is_still_one_a_build_replaces(
    built: tuple[list[str], Path],
) -> None:
    """The index folder's path comes from --site-dir: a build that refused to replace it
    ("not empty and has no evidencekb-index.json") refused for good."""
    args, index = built
    (index / INDEX_META_NAME).unlink()
    built_again = ekb_here("build", "--quiet", *args)
    assert (built_again.exit_code, built_again.stderr) == (0, "")
    assert (index / INDEX_META_NAME).is_file()
