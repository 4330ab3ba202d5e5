"""whooshext.py reaches into whoosh's internals: these tests fail, by name, when the
installed whoosh is not the one it was written against or lacks a part it relies on."""

from __future__ import annotations

import importlib
import inspect
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
import whoosh
from whoosh import columns
from whoosh import index as whoosh_index
from whoosh.fields import TEXT
from whoosh.reading import TermNotFound

from evidencekb.errors import KBError
from evidencekb.paths import index_dir as index_dir_of
from evidencekb.search import ensure_fresh_index, whooshext
from evidencekb.search.whooshext import (
    RELIED_ON,
    WHOOSH_DISTRIBUTION,
    WHOOSH_VERSION,
    Reliance,
    RememberedTerms,
    check_whoosh,
    remember_terms,
)

PYPROJECT = Path(__file__).parents[2] / "pyproject.toml"


def test_the_installed_whoosh_is_the_version_the_extensions_were_written_against() -> None:
    installed = metadata.version(WHOOSH_DISTRIBUTION)
    assert installed == WHOOSH_VERSION, (
        f"{WHOOSH_DISTRIBUTION} {installed} is installed, but evidencekb/search/whooshext.py "
        f"was written against {WHOOSH_VERSION}: check each of its overrides against it"
    )
    assert whoosh.versionstring() == WHOOSH_VERSION
    check_whoosh()  # and the index writer's own check passes


def test_pyproject_pins_the_version_the_extensions_were_written_against() -> None:
    dependencies = tomllib.loads(PYPROJECT.read_text("utf-8"))["project"]["dependencies"]
    assert f"{WHOOSH_DISTRIBUTION}=={WHOOSH_VERSION}" in dependencies


def test_the_index_writer_refuses_another_whoosh(monkeypatch: pytest.MonkeyPatch) -> None:
    """A different version installed stops a build with one clear line."""
    monkeypatch.setattr(whooshext, "installed_whoosh", lambda: "2.8.0")
    with pytest.raises(KBError, match=r"whoosh-reloaded==2\.7\.5, but 2\.8\.0 is installed"):
        check_whoosh()


def _owner(reliance: Reliance) -> object:
    """The module or class `reliance.owner` names under `whoosh`."""
    path = reliance.owner.split(".")
    for cut in range(len(path), 0, -1):
        try:
            found: object = importlib.import_module(".".join(["whoosh", *path[:cut]]))
        except ImportError:
            continue
        for name in path[cut:]:
            found = getattr(found, name)
        return found
    raise AssertionError(f"whoosh has no {reliance.owner}")


def _has(owner: object, attribute: str) -> bool:
    """Whether `owner` has `attribute`: as a class attribute, or as one its module sets
    on instances (`SegmentWriter.pool`; `W3Segment._fieldlengths`, which whoosh's
    per-document writer sets on its segment)."""
    if hasattr(owner, attribute):
        return True
    source = inspect.getsource(inspect.getmodule(owner))  # type: ignore[arg-type]
    return re.search(rf"\.{re.escape(attribute)}\s*=", source) is not None


@pytest.mark.parametrize("reliance", RELIED_ON, ids=lambda r: f"{r.owner}.{r.attribute}")
def test_whoosh_still_has_each_part_the_extensions_rely_on(reliance: Reliance) -> None:
    owner = _owner(reliance)
    assert _has(owner, reliance.attribute), (
        f"whoosh's {reliance.owner} has no {reliance.attribute}, which "
        f"evidencekb/search/whooshext.py relies on ({reliance.why})"
    )


def test_the_parts_relied_on_take_what_the_extensions_give_them() -> None:
    """The signatures the overrides call or replace, as whoosh 2.7.5 has them."""
    from whoosh.codec.whoosh3 import (
        W3Codec,
        W3FieldWriter,
        W3PerDocWriter,
        W3PostingsWriter,
        W3TermsReader,
    )
    from whoosh.collectors import TopCollector
    from whoosh.formats import Positions
    from whoosh.query import CompoundQuery, Or
    from whoosh.writing import SegmentWriter

    def parameters(function: object) -> list[str]:
        return list(inspect.signature(function).parameters)  # type: ignore[arg-type]

    assert parameters(W3FieldWriter.add_postings) == ["self", "schema", "lengths", "items"]
    assert parameters(W3FieldWriter.start_term) == ["self", "btext"]
    assert parameters(W3FieldWriter.__init__) == ["self", "codec", "storage", "segment"]
    assert parameters(W3FieldWriter.close) == ["self"]
    assert parameters(W3PostingsWriter._write_block) == ["self", "last"]
    assert parameters(W3PerDocWriter.add_field) == [
        "self",
        "fieldname",
        "fieldobj",
        "value",
        "length",
    ]
    assert parameters(SegmentWriter._check_fields) == ["self", "schema", "fieldnames"]
    assert parameters(Positions.encode) == ["self", "poslist"]
    assert parameters(W3PerDocWriter._create_column) == ["self", "fieldname", "column"]
    assert parameters(Or._matcher) == ["self", "subs", "searcher", "context"]
    assert parameters(CompoundQuery._tree_matcher)[:6] == [
        "self", "subs", "mcls", "searcher", "context", "q_weight_fn",
    ]  # fmt: skip
    assert parameters(TopCollector._collect) == ["self", "global_docnum", "score"]
    assert parameters(W3TermsReader.matcher) == ["self", "fieldname", "tbytes", "format_", "scorer"]
    assert parameters(W3TermsReader.term_info) == ["self", "fieldname", "tbytes"]
    assert parameters(W3Codec.postings_reader) == [
        "self", "dbfile", "terminfo", "format_", "term", "scorer",
    ]  # fmt: skip
    assert parameters(TEXT.index) == ["self", "value", "kwargs"]  # start_pos to the analyzer
    assert "cutoff" in parameters(columns.VarBytesColumn.Writer.__init__)


def test_another_whoosh_stops_a_search_with_one_line(repo_kb: Path, tmp_path: Path) -> None:
    """Even before any index is read: the module refuses to load."""
    shim = (
        "import sys, whoosh\n"
        "whoosh.__version__ = (2, 8, 0)\n"
        "from evidencekb.cli import main\n"
        "sys.argv = ['ekb', *sys.argv[1:]]\n"
        "main()\n"
    )
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-c", shim, "search", "ketamine", "--kb", str(repo_kb),
         "--site-dir", str(site)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr == (
        "Error: evidencekb's search needs whoosh 2.7.5, not 2.8.0: "
        "reinstall evidencekb (`make .venv/.installed`)\n"
    )
    assert not site.exists()


def test_remembered_terms_read_each_term_once_and_give_what_whoosh_gives(
    repo_kb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A segment's term information and postings, as whoosh's own reader gives them,
    for a word it has and one it has not; read from the index once per search."""
    index_dir = index_dir_of(tmp_path / "site")
    ensure_fresh_index(repo_kb, index_dir, notify=lambda _: None)
    ix = whoosh_index.open_dir(str(index_dir))
    with ix.searcher() as plain, ix.searcher() as remembering:
        remember_terms(remembering)
        remember_terms(remembering)  # once is enough: not wrapped twice
        [(reader, _)] = remembering.reader().leaf_readers()
        [(whooshs, _)] = plain.reader().leaf_readers()
        assert isinstance(reader._terms, RememberedTerms)
        assert not isinstance(reader._terms._terms, RememberedTerms)
        looked_up: list[tuple[str, bytes]] = []
        table = reader._terms._terms
        monkeypatch.setattr(
            table,
            "term_info",
            lambda f, t, read=table.term_info: looked_up.append((f, t)) or read(f, t),
        )
        for _ in range(3):
            for word in ("ketamin", "laryngospasm", "zzzz"):
                found = ("body", word) in whooshs
                assert (("body", word) in reader) == found
                assert reader.doc_frequency("body", word) == whooshs.doc_frequency("body", word)
                assert reader.frequency("body", word) == whooshs.frequency("body", word)
                if not found:
                    with pytest.raises(TermNotFound):
                        reader.postings("body", word)
                    continue
                ours, theirs = reader.postings("body", word), whooshs.postings("body", word)
                assert list(ours.items_as("positions")) == list(theirs.items_as("positions"))
        assert sorted(looked_up) == [
            ("body", b"ketamin"),
            ("body", b"laryngospasm"),
            ("body", b"zzzz"),
        ]
