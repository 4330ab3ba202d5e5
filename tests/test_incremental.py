"""An incremental `ekb build` writes exactly what a full build writes.

One site is built again after each edit, keeping what it can from itself; beside it
a fresh `--full` build of the same kb/. Every file of the two must be the same bytes
(the database, the index, the pages, the search data, the manifest), and the
incremental build must have kept the parts the edit did not touch (by its own account,
and the same file: left where it was in the site, which is updated in place), or it
would prove nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from evidencekb.build import build
from evidencekb.paths import (
    BUILD_MANIFEST_NAME,
    CACHE_DIRNAME,
    DATABASE_NAME,
    EXPORT_CACHE_DIRNAME,
    EXPORT_NAME,
    INDEX_CACHE_DIRNAME,
    SEARCH_CACHE_DIRNAME,
    SEARCH_DATA_DIRNAME,
    VERDICT_CACHE_DIRNAME,
    index_dir,
)
from evidencekb.reuse import Earlier
from evidencekb.search.segments import SEGMENT_PART
from fixtures import EVIDENCE_TOPIC, add_evidence_sample, reword

TOPIC = "ketamine-pain"


INDEX = "index:"  # the names of the index's files, beside the site's (paths.index_dir)


def files(site: Path) -> dict[str, bytes]:
    """Every file a build wrote (and every folder, as its name and "/": none may be left
    empty by an update in place), the site's, and the search index's beside it."""
    found = {}
    for path in sorted(site.rglob("*")):
        name = str(path.relative_to(site))
        found[name + "/" if path.is_dir() else name] = b"" if path.is_dir() else path.read_bytes()
    index = index_dir(site)
    found |= {f"{INDEX}{p.name}": p.read_bytes() for p in sorted(index.iterdir()) if p.is_file()}
    return found


def folder_inodes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_ino for p in root.rglob("*") if p.is_file()}


def inodes(site: Path) -> dict[str, int]:
    """The inode of every file a build wrote: the site's, and the index's beside it."""
    index = folder_inodes(index_dir(site))
    return folder_inodes(site) | {f"{INDEX}{name}": inode for name, inode in index.items()}


def rebuild_and_compare(kb_dir: Path, site: Path, scratch: Path) -> tuple[set[str], set[str]]:
    """Build `site` again (incremental, with the cache the earlier builds filled) and a
    fresh full site (with an empty cache folder: parsing, formatting and analysing
    everything); assert they are the same bytes; return the parts (reuse.Part, by
    name: a page's is its path) the incremental build kept and those it wrote, having
    checked that each page kept is the very file that was there."""
    before = inodes(site) if site.exists() else {}
    result = build(kb_dir, site)
    full, cache = scratch / "full", scratch / "empty-cache"
    shutil.rmtree(full, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(cache))
        build(kb_dir, full, full=True)
    incremental, fresh = files(site), files(full)
    assert sorted(incremental) == sorted(fresh)
    assert [name for name in fresh if incremental[name] != fresh[name]] == []
    after = inodes(site)
    assert [name for name in result.kept if name in after and after[name] != before.get(name)] == []
    return set(result.kept), set(result.written)


def cache_entries(name: str) -> dict[str, int]:
    """The entries of one cache (a folder name of paths.py) in the suite's cache folder
    (conftest.py)."""
    folder = Path(os.environ["XDG_CACHE_HOME"]) / CACHE_DIRNAME / name
    return folder_inodes(folder) if folder.is_dir() else {}


def replaced(before: dict[str, int], after: dict[str, int]) -> set[str]:
    """The entries written anew between two looks at a cache."""
    return {name for name, inode in after.items() if before.get(name) != inode}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), "utf-8")


def claim_blocks(kb_dir: Path) -> tuple[Path, list[str]]:
    path = kb_dir / "topics" / TOPIC / "claims.toml"
    return path, re.split(r"(?m)^(?=\[\[claim\]\])", path.read_text("utf-8"))


def claim_page(kb_dir: Path, words: str) -> str:
    """The path of the page of the topic's claim whose text has `words`."""
    _, blocks = claim_blocks(kb_dir)
    found = [tomllib.loads(block)["claim"][0]["id"] for block in blocks[1:] if words in block]
    assert len(found) == 1, found
    return f"claims/{found[0]}.html"


def test_incremental_builds_equal_full_builds(evidence_kb: Path, tmp_path: Path) -> None:
    kb_dir, site = evidence_kb, tmp_path / "site"
    kept, _ = rebuild_and_compare(kb_dir, site, tmp_path)
    assert kept == set()  # nothing to keep the first time

    # A claim reworded: its topic's pages and its index segment are written (a kb this
    # small is one segment: see segment_groups); the other topic's pages are kept, and
    # so are the other topic's analysis for the search data (search/browser/cache.py),
    # its claims analysed for the index (search/segments.py) and its share of the
    # export (database/export.py).
    caches = (
        SEARCH_CACHE_DIRNAME,
        INDEX_CACHE_DIRNAME,
        EXPORT_CACHE_DIRNAME,
        VERDICT_CACHE_DIRNAME,  # the database's verdicts (database/evidence.py)
    )
    entries = {name: cache_entries(name) for name in caches}
    search_data = folder_inodes(site / SEARCH_DATA_DIRNAME)
    reword(kb_dir, "interrupt pain signaling pathways", "interrupt the pain signaling pathways")
    kept, written = rebuild_and_compare(kb_dir, site, tmp_path)
    # The search data is written anew, but only the files that changed reach the site:
    # the edited claim's display chunk and the spelling dictionary that has "the".
    changed = replaced(search_data, folder_inodes(site / SEARCH_DATA_DIRNAME))
    assert SEARCH_DATA_DIRNAME in written
    assert changed == {"d-00000.js", "s-0074.js"}
    for name, before in entries.items():
        after = cache_entries(name)
        assert len(replaced(before, after)) == 1 and len(after) == len(before), name  # not added
    assert f"topics/{EVIDENCE_TOPIC}/index.html" in kept
    assert f"topics/{TOPIC}/index.html" in written
    assert {DATABASE_NAME, EXPORT_NAME} <= written  # made from the whole kb
    # A claim's page is keyed by what it shows: of the topic's claims' pages, the
    # reworded claim's and those that list it are written, the others kept.
    page = claim_page(kb_dir, "interrupt the pain signaling pathways")
    pages = {name for name in kept | written if name.startswith(f"claims/{TOPIC}-")}
    listing = {name for name in pages if f'href="../{page}"' in (site / name).read_text("utf-8")}
    assert page in written and listing and listing <= written
    assert len(pages - written) >= len(pages) // 2
    # A reference's page too: the page of the work it cites lists it, the others are kept.
    works = {name for name in kept | written if name.startswith(f"topics/{TOPIC}/references/")}
    cites = {
        name for name in works if f'href="../../../{page}"' in (site / name).read_text("utf-8")
    }
    assert cites and cites <= written and works - cites <= kept
    segments = {name for name in kept | written if name.startswith(SEGMENT_PART)}
    assert segments and segments <= written

    # Nothing changed: everything but the pages rendered each time and the index's
    # table of contents and stamp is kept.
    kept, written = rebuild_and_compare(kb_dir, site, tmp_path)
    assert DATABASE_NAME in kept
    assert {name for name in written if name.endswith(".html")} <= {
        "index.html", "search.html", "strength.html", "about.html", "downloads.html",
        "stances.html", "entities/index.html", "categories/index.html", "changes.html",
    }  # fmt: skip

    # A claim's changed date stamped, then a topic's change logged: the What's new page
    # and the feed list them as a full build does; the claim's page gives the date.
    path, blocks = claim_blocks(kb_dir)
    edit(path, blocks[1], blocks[1].rstrip("\n") + '\nchanged = "2026-12-05"\n\n')
    kept, written = rebuild_and_compare(kb_dir, site, tmp_path)
    assert {"changes.html", "changes.atom"} <= written
    assert b"2026-12-05T00:00:00Z" in (site / "changes.atom").read_bytes()
    topic = kb_dir / "topics" / TOPIC / "topic.toml"
    logged = (
        '\n[[change]]\ndate = "2026-12-06"\nsummary = "Reviewed."\nconclusions_changed = false\n'
    )
    topic.write_text(topic.read_text("utf-8") + logged, "utf-8")
    kept, written = rebuild_and_compare(kb_dir, site, tmp_path)
    assert b"Reviewed." in (site / "changes.atom").read_bytes()
    assert f"topics/{EVIDENCE_TOPIC}/index.html" in kept

    # A cited work's title taken out of its record, then put back: the citing claims'
    # pages, the reference's page and its topic's index segment (author:, journal:...).
    references = kb_dir / "topics" / EVIDENCE_TOPIC / "references.toml"
    recorded = references.read_text("utf-8")
    untitled = re.sub(r'(?m)^title = "Prevalent abnormal prion protein.*\n', "", recorded)
    assert untitled != recorded
    references.write_text(untitled, "utf-8")
    kept, written = rebuild_and_compare(kb_dir, site, tmp_path)
    assert f"topics/{TOPIC}/index.html" in kept
    assert f"topics/{EVIDENCE_TOPIC}/index.html" in written
    references.write_text(recorded, "utf-8")
    rebuild_and_compare(kb_dir, site, tmp_path)

    # A claim removed from the middle of its topic (later positions move up), then put back.
    path, blocks = claim_blocks(kb_dir)
    original = path.read_text("utf-8")
    path.write_text("".join(blocks[:3] + blocks[4:]), "utf-8")
    rebuild_and_compare(kb_dir, site, tmp_path)
    path.write_text(original, "utf-8")
    rebuild_and_compare(kb_dir, site, tmp_path)

    # A topic removed, then added again.
    shutil.rmtree(kb_dir / "topics" / EVIDENCE_TOPIC)
    rebuild_and_compare(kb_dir, site, tmp_path)
    add_evidence_sample(kb_dir)
    rebuild_and_compare(kb_dir, site, tmp_path)

    # The first topic left without claims (and so without cited works), then filled
    # again: the export has no share of it, and the other topic's share is kept.
    emptied = {
        name: kb_dir / "topics" / TOPIC / name for name in ("claims.toml", "references.toml")
    }
    filled = {name: path.read_text("utf-8") for name, path in emptied.items()}
    for path in emptied.values():
        path.write_text("", "utf-8")
    exported = cache_entries(EXPORT_CACHE_DIRNAME)
    rebuild_and_compare(kb_dir, site, tmp_path)
    assert replaced(exported, cache_entries(EXPORT_CACHE_DIRNAME)) == set()
    for name, path in emptied.items():
        path.write_text(filled[name], "utf-8")
    rebuild_and_compare(kb_dir, site, tmp_path)


def add_synonym(kb: Path) -> None:
    edit(
        kb / "vocabulary/entities.toml",
        'label = "Ketamine"\n',
        'label = "Ketamine"\nsynonyms = ["Ketalar"]\n',
    )


def add_entity(kb: Path) -> None:
    path = kb / "vocabulary/entities.toml"
    entry = '\n[[entity]]\nid = "pregabalin"\nlabel = "Pregabalin"\nkind = "drug"\n'
    path.write_text(path.read_text("utf-8") + entry, "utf-8")


def relabel_entity(kb: Path) -> None:
    edit(kb / "vocabulary/entities.toml", 'label = "Ketamine"', 'label = "Ketamine (K)"')


def reword_level(kb: Path) -> None:
    edit(kb / "strength.toml", "is strong or of high quality.", "is strong or of high quality!")


def extend_method(kb: Path) -> None:
    edit(kb / "strength.md", "\n", "\n\nThis sentence is new.\n")


@pytest.mark.parametrize(
    "change", [add_synonym, add_entity, relabel_entity, reword_level, extend_method]
)
def test_a_change_many_pages_show_rewrites_them_all(
    evidence_kb: Path, tmp_path: Path, change: Callable[[Path], None]
) -> None:
    """The vocabularies and the strength scheme are in every page's key."""
    site = tmp_path / "site"
    build(evidence_kb, site)
    change(evidence_kb)
    kept, _ = rebuild_and_compare(evidence_kb, site, tmp_path)
    assert not {name for name in kept if name.endswith(".html")}


def test_new_code_keeps_nothing(evidence_kb: Path, tmp_path: Path) -> None:
    """Templates, modules and static files are in every key (reuse.code_version): an
    earlier build by other code gives nothing to keep."""
    site = tmp_path / "site"
    build(evidence_kb, site)
    earlier = Earlier.read(site, kb_digest="")
    assert earlier.keys and earlier.code == Earlier.nothing("").code
    for manifest in (site / BUILD_MANIFEST_NAME, index_dir(site) / BUILD_MANIFEST_NAME):
        text = manifest.read_text("utf-8")
        # The keys as other code would have made them: none matches now.
        manifest.write_text(re.sub(r'"[0-9a-f]{20}"', '"00000000000000000000"', text), "utf-8")
    kept, _ = rebuild_and_compare(evidence_kb, site, tmp_path)
    assert kept == set()


def test_full_keeps_nothing(evidence_kb: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    build(evidence_kb, site)
    before = inodes(site)
    build(evidence_kb, site, full=True)
    assert not {name for name, inode in inodes(site).items() if before.get(name) == inode}
