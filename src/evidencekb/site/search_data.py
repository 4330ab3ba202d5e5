"""The site's search data: a MiniSearch index, sharded so a first search stays small.

Why this shape (static/search.js is the reader):

- The data is JavaScript that calls a global (`EKBSearch.shard(...)`), loaded by
  `<script>` tags, never fetch(): browsers refuse fetch() from file://, and the site
  must search when opened straight from disk.
- The inverted index is cut into shards of consecutive terms in sorted order, each about
  SHARD_BYTES, like the leaves of a B-tree; the manifest lists where each shard starts.
  A query loads only the shards of its own words and of their synonyms (a word's
  prefix matches lie in one or two neighbouring shards) and the browser merges them into
  one MiniSearch index with `loadJS`, so ranking, prefix and fuzzy matching are
  MiniSearch's own, over collection-wide statistics. A typo is corrected within the
  loaded shards: everywhere in a small knowledge base (one shard), among the
  alphabetical neighbours in a large one.
- Shards hold postings only. Ranking ignores claim length (BM25 with b = 0: claims are
  single sentences), so no per-claim numbers are needed to score; filters are bitmaps,
  one per value (a strength, a section, a category, a topic), loaded only when chosen.
- Claim text for display sits in fixed-size chunks by claim number, loaded only for the
  results shown.
- The manifest (always loaded) holds the shard boundaries, the filter vocabularies and
  the synonym and abbreviation groups of kb/'s vocabularies, the same ones `ekb search`
  expands a query with, both ways.

Tokenisation must agree with search.js: lower-case, then runs of Unicode letters and
digits (`[^\\W_]+` here, `[\\p{L}\\p{N}]+` there), without STOP_WORDS. Terms are ordered
by UTF-16 code units, as JavaScript compares strings.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

from evidencekb.model import SECTION_TITLES, SECTIONS, Claim, KnowledgeBase, Term
from evidencekb.paths import SEARCH_DATA_DIRNAME

FORMAT_VERSION = 2
DOCS_PER_CHUNK = 16
SHARD_BYTES = 32_000
# Function words too common to search for. Clinically meaningful small words ("no",
# "not", "may") are kept.
STOP_WORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "their",
        "this",
        "to",
        "was",
        "were",
        "which",
        "with",
    }
)
_TOKEN = re.compile(r"[^\W_]+")


def tokens(text: str) -> list[str]:
    return [word for word in _TOKEN.findall(text.lower()) if word not in STOP_WORDS]


def js_order(term: str) -> bytes:
    """Sort key matching JavaScript's `<` on strings (UTF-16 code units)."""
    return term.encode("utf-16-be")


def script_json(value: object) -> str:
    """JSON that is safe inside a script: no `<`, `>` or `&` (so no `</script>` or
    comment tricks), and no U+2028/U+2029 (line breaks in older JavaScript)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text


def _deltas(numbers: Iterable[int]) -> list[int]:
    previous = 0
    out = []
    for number in numbers:
        out.append(number - previous)
        previous = number
    return out


def expansion_groups(terms: Iterable[Term]) -> tuple[list[list[list[str]]], dict[str, list[int]]]:
    """Synonym groups: each vocabulary term's names (label, synonyms, abbreviations, id) as
    token lists, and for every name (tokens joined by spaces) the groups it belongs to.
    A query naming any of them searches for all of them, both ways."""
    groups: list[list[list[str]]] = []
    names: dict[str, list[int]] = defaultdict(list)
    for term in terms:
        alternatives: list[list[str]] = []
        # The id too: `ekb search` accepts it (category:adverse-effects).
        for name in (*term.names, term.id):
            words = tokens(name)
            if words and words not in alternatives:
                alternatives.append(words)
        if len(alternatives) < 2:
            continue  # nothing to expand to
        for words in alternatives:
            names[" ".join(words)].append(len(groups))
        groups.append(alternatives)
    return groups, {name: sorted(set(ids)) for name, ids in sorted(names.items())}


def _shard_terms(postings: dict[str, dict[int, int]]) -> list[list[list[object]]]:
    """Encoded index entries, cut into runs of about SHARD_BYTES in term order."""
    shards: list[list[list[object]]] = [[]]
    size = 0
    for word in sorted(postings, key=js_order):
        docs = postings[word]
        ids = sorted(docs)
        repeated = {str(d): docs[d] for d in ids if docs[d] > 1}
        entry: list[object] = [word, _deltas(ids)]
        if repeated:
            entry.append(repeated)
        entry_size = len(script_json(entry)) + 1
        if shards[-1] and size + entry_size > SHARD_BYTES:
            shards.append([])
            size = 0
        shards[-1].append(entry)
        size += entry_size
    return shards if shards[0] else []


def _boundaries(shards: list[list[list[object]]]) -> list[str]:
    """Where each shard starts: the shortest prefix of its first term that sorts after
    the previous shard's last term ("" for the first shard)."""
    starts = [""]
    for previous, shard in itertools.pairwise(shards):
        last, first = str(previous[-1][0]), str(shard[0][0])
        cut = next(
            first[:k] for k in range(1, len(first) + 1) if js_order(first[:k]) > js_order(last)
        )
        starts.append(cut)
    return starts


def _bitmap(members: Iterable[int], count: int) -> str:
    """A set of claim numbers as base64 bits (bit i of byte i // 8, low bit first)."""
    bits = bytearray((count + 7) // 8)
    for doc in members:
        bits[doc // 8] |= 1 << (doc % 8)
    return base64.b64encode(bytes(bits)).decode("ascii")


def _facets(kb: KnowledgeBase, claims: tuple[Claim, ...]) -> dict[str, list[str]]:
    """Filter name -> for each of its values (manifest order), the claims having it."""
    values: dict[str, list[str]] = {
        "section": list(SECTIONS),
        "strength": list(kb.strength.labels),
        "category": [term.id for term in kb.categories],
        "topic": [topic.slug for topic in kb.topics],
    }
    members: dict[str, dict[str, list[int]]] = {name: defaultdict(list) for name in values}
    for doc, claim in enumerate(claims):
        members["section"][claim.section].append(doc)
        members["strength"][claim.strength].append(doc)
        members["topic"][claim.topic].append(doc)
        for category in claim.categories:
            members["category"][category].append(doc)
    return {
        name: [_bitmap(members[name][value], len(claims)) for value in vals]
        for name, vals in values.items()
    }


def write_search_data(kb: KnowledgeBase, out_dir: Path) -> dict[str, int]:
    """Write search/manifest.js, the index shards (t-*.js), the filter bitmaps (f-*.js)
    and the display chunks (d-*.js) under out_dir; return how many of each."""
    folder = out_dir / SEARCH_DATA_DIRNAME
    folder.mkdir(parents=True, exist_ok=True)
    claims = kb.claims
    topic_index = {topic.slug: i for i, topic in enumerate(kb.topics)}
    strength_index = {label: i for i, label in enumerate(kb.strength.labels)}

    postings: dict[str, dict[int, int]] = defaultdict(dict)
    for doc, claim in enumerate(claims):
        for word, count in Counter(tokens(claim.text)).items():
            postings[word][doc] = count
    shards = _shard_terms(postings)
    for number, entries in enumerate(shards):
        _write_script(
            folder / f"t-{number:04d}.js", f"EKBSearch.shard({number},{script_json(entries)});"
        )

    for name, bitmaps in _facets(kb, claims).items():
        for number, bitmap in enumerate(bitmaps):
            key = f"{name}-{number}"
            _write_script(
                folder / f"f-{key}.js",
                f"EKBSearch.facet({script_json(key)},{script_json(bitmap)});",
            )

    chunks = 0
    for start in range(0, len(claims), DOCS_PER_CHUNK):
        rows = [
            [c.id, topic_index[c.topic], c.section, c.heading, c.text, strength_index[c.strength]]
            for c in claims[start : start + DOCS_PER_CHUNK]
        ]
        number = start // DOCS_PER_CHUNK
        _write_script(
            folder / f"d-{number:05d}.js", f"EKBSearch.docs({number},{script_json(rows)});"
        )
        chunks += 1

    groups, names = expansion_groups((*kb.entities, *kb.categories))
    manifest = {
        "version": FORMAT_VERSION,
        "starts": _boundaries(shards),
        "docCount": len(claims),
        "docsPerChunk": DOCS_PER_CHUNK,
        "stopWords": sorted(STOP_WORDS),
        "topics": [[t.slug, t.title] for t in kb.topics],
        "sections": [[s, SECTION_TITLES[s]] for s in SECTIONS],
        "strengths": [[lv.label, lv.title, lv.rank] for lv in kb.strength.levels],
        "categories": [[term.id, term.label] for term in kb.categories],
        "groups": groups,
        "names": names,
    }
    _write_script(folder / "manifest.js", f"EKBSearch.manifest({script_json(manifest)});")
    return {"shards": len(shards), "chunks": chunks}


def _write_script(path: Path, text: str) -> None:
    path.write_text(text + "\n", encoding="utf-8", newline="\n")
