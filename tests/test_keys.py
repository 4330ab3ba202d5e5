"""One helper makes every content key (hashing.content_key, and content_hash for a key
made as a stream), and one registry declares every cache (cache.CACHES)."""

from __future__ import annotations

import ast
from pathlib import Path

import evidencekb
from evidencekb import cache
from evidencekb.cache import CACHES, PickledEntries
from evidencekb.hashing import KEY_BYTES, content_hash, content_key

PACKAGE = Path(evidencekb.__file__).parent
# A claim's id is made from its words once, when it is imported, and never changes (as
# a FHIR id cut short is made from its name): an identifier, not the key of a content.
NOT_KEYS = {"kb/tables.py"}  # tables.stable_id


def test_no_module_but_reuse_makes_a_hash_of_its_own() -> None:
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        if name in NOT_KEYS or name == "hashing.py":
            continue
        imported = {
            alias.name
            for node in ast.walk(ast.parse(path.read_text("utf-8")))
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        } | {
            node.module
            for node in ast.walk(ast.parse(path.read_text("utf-8")))
            if isinstance(node, ast.ImportFrom)
        }
        assert "hashlib" not in imported, f"{name} hashes by itself: use hashing.content_key"


def test_a_key_made_as_a_stream_is_made_with_the_same_hash() -> None:
    streamed = content_hash()
    for part in (b"2:", b"ab", b"1:", b"c"):
        streamed.update(part)
    assert streamed.hexdigest() == content_key("ab", "c")
    assert len(content_key()) == 2 * KEY_BYTES
    assert content_key("ab", "c") != content_key("a", "bc")


def test_every_cache_is_declared_once_with_its_own_folder_and_format() -> None:
    assert len({kind.folder for kind in CACHES}) == len(CACHES)
    assert len({kind.format for kind in CACHES}) == len(CACHES)
    declared = [value for value in vars(cache).values() if isinstance(value, cache.CacheKind)]
    assert sorted(declared, key=lambda kind: kind.folder) == sorted(
        CACHES, key=lambda kind: kind.folder
    )
    assert all(kind.key for kind in CACHES)


def test_a_cache_entry_is_named_by_the_content_key_of_its_name(tmp_path: Path) -> None:
    entries = PickledEntries(tmp_path)
    assert entries.entry("a/path") == tmp_path / content_key("a/path")
    surrogate = "kb/\udcff.toml"  # a file name that is not UTF-8 still names an entry
    assert entries.entry(surrogate) == tmp_path / content_key(
        surrogate.encode("utf-8", "surrogatepass")
    )
