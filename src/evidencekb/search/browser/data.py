"""The site's search data: what static/search-core.js needs to answer a query exactly
as `ekb search` does, cut into files so that a first search stays small.

Python owns the analysis (evidencekb.search.analysis): the browser never tokenises
claim text or holds a list of its own. It stems a query's words itself, with
static/stem.js: whoosh's Porter2, which the index is stemmed with, ported to JavaScript
and tested word for word against it (tests/site/test_stem_js.py), so that a word no
claim spells reaches the same index term in both front ends. What it gets:

- The manifest (always loaded): the token pattern, stop words, the abbreviation rule's
  numbers and the vocabulary's abbreviations, the vocabulary groups as index-term
  sequences (already expanded both ways), the query fields and their allowed values,
  the ranking function's parameters and the collection statistics it needs (claim
  count, each field's average length), the patterns and examples that the cited works'
  fields read their values with (search/fields.py, identifiers.py), and the shard
  boundaries.
- Shards (t-NNNN.js) of one sorted key space, each entry [key, postings]:
  * every index term -> its postings in each ranked field ("body", "heading", "text",
    "topic_title", "terms"): per claim the claim number (delta-coded), the field's
    length as whoosh stores it (lengths are kept in one byte, so lossy, and BM25
    scores with that value), and the term's positions (for phrases);
  * every keyword value ("section:research", "entity:crps", "cites:2",
    "id:ketamine-pain-8008e692", "author:guyatt+gh", "stance:supports") -> the claims
    that have it (search/fields.py says what a claim holds in the cited works' fields).
  Each topic's claims in a list are led by the topic's mark, a negative number: the
  next claim is counted from that topic's first (the manifest's topicStarts), so
  that a topic's share of a list is the same text whatever the topics before it
  hold (search/browser/analysis.py's `topic_mark`).
  A query loads the shards of its words' index terms.
- Spelling dictionaries (s-XXXX.js, one per first letter): every word as written in
  claims, headings and names, with the number of claims holding it; loaded only when a
  query word is found nowhere.
- Display chunks (d-NNNNN.js) of DOCS_PER_CHUNK claims: what a result shows, and the
  index terms of the claim text with their character offsets (UTF-16, as JavaScript
  counts), which highlighting matches against, and the claim's evidence summary
  (search/browser/rows.py).

Why this shape: data is JavaScript that calls a global (`EKBSearch.shard(...)`), loaded
by `<script>` tags, never fetch(), which browsers refuse from file://. Keys are ordered
by UTF-16 code units, as JavaScript compares strings.
"""

from __future__ import annotations

import functools
import itertools
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial
from pathlib import Path

from evidencekb import identifiers
from evidencekb.inplace import write_or_link
from evidencekb.model import KnowledgeBase
from evidencekb.names import SECTION_TITLES, SECTIONS
from evidencekb.paths import SEARCH_DATA_DIRNAME
from evidencekb.registry import FIELD_NAME_PATTERN, QUERY_FIELDS, allowed_values
from evidencekb.search import analysis, fields
from evidencekb.search.browser.analysis import (
    RANKED_FIELDS,
    Collected,
    merge,
    script_json,
    script_strings,
)
from evidencekb.search.browser.cache import TopicCache, topic_partials
from evidencekb.search.browser.rows import ROW_FIELDS, joined
from evidencekb.search.engine import DEFAULT_RANKING, SCORE_PRECISION
from evidencekb.search.index import ranged_values
from evidencekb.search.output import NOT_EVERY_WORD, UNSEARCHED
from evidencekb.search.spelling import LONG_WORD, MIN_WORD
from evidencekb.workers import collector_paused

# 6: each display row ends with the claim's evidence summary; 7: rows named by the
# manifest's rowFields; 8: each topic's share of a list led by its mark; 9: the values a
# range expands to, by field; 10: a warned claim's row gives its lead; 11: the sentences
# `ekb search` prints where the page says the same.
FORMAT_VERSION = 11
DOCS_PER_CHUNK = 16
SHARD_BYTES = 32_000


def js_order(term: str) -> bytes:
    """Sort key matching JavaScript's `<` on strings (UTF-16 code units)."""
    return term.encode("utf-16-be")


def js_sorted(keys: Iterable[str]) -> list[str]:
    """`keys` in JavaScript's order. Without characters beyond U+FFFF (a pair of UTF-16
    code units each) that is Python's own order of strings, by code points: far sooner
    than js_order for the search data's million keys."""
    keys = list(keys)
    if max("".join(keys), default="") <= "\uffff":
        return sorted(keys)
    return sorted(keys, key=js_order)


def _entries(data: Collected) -> Iterator[tuple[str, str]]:
    """Shard entries, [key, postings], in key order, each with its JSON (the postings'
    lists put together from their pieces). A keyword ("section:research") is never an
    index term: a term has no colon."""
    postings, keywords = data.postings, data.keywords
    keys = js_sorted({*postings, *keywords})
    quoted = script_strings(keys)
    for key in keys:
        docs = keywords.get(key)
        if docs is not None:
            found = '{"docs":[' + ",".join(docs) + "]}"
        else:  # field names: plain ASCII words
            found = "{" + ",".join(f'"{n}":[{",".join(p)}]' for n, p in postings[key].items()) + "}"
        yield key, f"[{quoted(key)},{found}]"


# A shard: its entries' keys and their JSON texts, in key order.
Shard = list[tuple[str, str]]


def _shards(entries: Iterable[tuple[str, str]]) -> Iterator[Shard]:
    """Entries cut into runs of about SHARD_BYTES, one run at a time (the search data
    of a large kb is over a hundred megabytes of text: it is written as it is made)."""
    shard: Shard = []
    size = 0
    for key, text in entries:
        if shard and size + len(text) + 1 > SHARD_BYTES:
            yield shard
            shard, size = [], 0
        shard.append((key, text))
        size += len(text) + 1
    if shard:
        yield shard


def _boundaries(spans: list[tuple[str, str]]) -> list[str]:
    """Where each shard starts, given each shard's first and last key: the shortest
    prefix of its first key that sorts after the previous shard's last key ("" for the
    first shard; none where there is none, a kb of no claims)."""
    starts = [""] if spans else []
    for (_, last), (first, _) in itertools.pairwise(spans):
        cut = next(
            first[:k] for k in range(1, len(first) + 1) if js_order(first[:k]) > js_order(last)
        )
        starts.append(cut)
    return starts


def _spelling(words: Counter[str]) -> dict[str, list[list[object]]]:
    """The spelling dictionary by first character (a suggestion shares the first
    character of the word it replaces): [word, claims holding it], sorted."""
    by_letter: dict[str, list[list[object]]] = defaultdict(list)
    for word in js_sorted(words):
        by_letter[word[0]].append([word, words[word]])
    return by_letter


def spelling_file(letter: str) -> str:
    return f"s-{ord(letter):04x}.js"


# Beyond the Basic Multilingual Plane, Python takes no character for a space and folds
# none otherwise than it lowers it (tests/site/test_search_parity.py checks them all).
_LAST = 0xFFFF


@functools.cache
def _characters() -> str:
    """Every character up to _LAST, surrogates left out."""
    return "".join(chr(c) for c in range(_LAST + 1) if not 0xD800 <= c < 0xE000)


def space_class() -> str:
    """The characters query.py's lexer splits a query at (`str.isspace`), as a class of a
    JavaScript pattern for search-core.js: JavaScript's own \\s leaves out U+001C to
    U+001F and U+0085, and takes U+FEFF (a byte order mark), which Python does not."""
    runs: list[list[int]] = []
    for c in (ord(char) for char in _characters() if char.isspace()):
        if runs and runs[-1][1] == c - 1:
            runs[-1][1] = c
        else:
            runs.append([c, c])
    return (
        "[" + "".join(f"\\u{a:04x}" if a == b else f"\\u{a:04x}-\\u{b:04x}" for a, b in runs) + "]"
    )


def case_folds(values: Mapping[str, Mapping[str, Sequence[str]]]) -> dict[str, str]:
    """The characters whose `str.casefold` is not their `str.lower` ("ß" is "ss", the
    micro sign the Greek mu, a final sigma the other sigma), each with its fold:
    fields.term_id compares a value with the ids and names of `values`
    (registry.allowed_values) casefolded, and search-core.js lowers every other
    character. Only those that can matter: the characters of the ids and names, and
    those whose fold is spelled with the folded ids' and names' characters alone (any
    other folds to a text that no name folds to, and its lowering does too)."""
    names = [text for named in values.values() for key, of in named.items() for text in (key, *of)]
    spelled = set("".join(names))
    held = set("".join(names).casefold())
    folds = {}
    everything, block = _characters(), 256
    for start in range(0, len(everything), block):
        chars = everything[start : start + block]
        if chars.casefold() == chars.lower():  # most blocks: looked at one by one only
            continue  # where the two differ
        for char in chars:
            fold = char.casefold()
            if fold != char.lower() and (char in spelled or held.issuperset(fold)):
                folds[char] = fold
    return folds


def browser_analysis(kb: KnowledgeBase, data: Collected) -> dict[str, object]:
    """The analysis and ranking rules, as numbers and lists for search-core.js."""
    vocabulary = analysis.Vocabulary.from_kb(kb)
    ranking = DEFAULT_RANKING
    count = max(len(kb.claims), 1)
    values = allowed_values(kb)
    return {
        "token": analysis.JS_TOKEN_PATTERN,
        "space": space_class(),
        "minLength": analysis.MIN_WORD_LENGTH,
        "fullWidth": {
            "ranges": [list(pair) for pair in analysis.FULL_WIDTH_RANGES],
            "distance": analysis.FULL_WIDTH_DISTANCE,
        },
        "stopWords": sorted(analysis.STOP_WORDS),
        "abbreviationLetters": analysis.ABBREVIATION_LETTERS,
        "abbreviationMostLetters": analysis.ABBREVIATION_MOST_LETTERS,
        "abbreviations": sorted(vocabulary.abbreviations),
        "groups": vocabulary.to_json()["groups"],
        "fields": {
            f.name: {"rule": f.rule, "needs": f.needs, "example": f.example}
            for f in sorted(QUERY_FIELDS, key=lambda f: f.name)
        },
        "fieldName": FIELD_NAME_PATTERN,
        "keyJoiner": fields.KEY_JOINER,
        "yearPattern": fields.YEAR_PATTERN,
        "datePattern": fields.DATE_PATTERN,
        "doiPattern": identifiers.DOI_PATTERN,
        "doiPrefix": identifiers.DOI_PREFIX_PATTERN,
        "pmidPattern": identifiers.PMID_PATTERN,
        "k1": ranking.k1,
        "b": ranking.b,
        "boosts": [list(pair) for pair in ranking.field_boosts],
        "averageLength": {name: data.total_length[name] / count for name in RANKED_FIELDS},
        "scorePrecision": SCORE_PRECISION,
        "spelling": {"minLength": MIN_WORD, "longWord": LONG_WORD},
        "values": values,
        "caseFolds": case_folds(values),
        "ranges": ranged_values(kb),
    }


def write_search_data(
    kb: KnowledgeBase,
    out_dir: Path,
    cache: TopicCache | None = None,
    earlier_dir: Path | None = None,
) -> dict[str, int]:
    """Write search/manifest.js, the shards (t-*.js), the spelling dictionaries (s-*.js)
    and the display chunks (d-*.js) under out_dir; return how many of each. `cache`:
    where each topic's analysis is kept between builds (None: analyse every topic).
    `earlier_dir`: the site of the build before, whose file of the same name and bytes
    is linked rather than written again (inplace.write_or_link)."""
    # Merged, the kb's postings are lists by the million, in no cycle, alive until the
    # last shard is written: the collector walked them again and again as the files
    # were made (a fifth of the time after an edit of the benchmark kb).
    with collector_paused():
        return _write_search_data(kb, out_dir, cache, earlier_dir)


def _write_search_data(
    kb: KnowledgeBase, out_dir: Path, cache: TopicCache | None, earlier_dir: Path | None
) -> dict[str, int]:
    folder = out_dir / SEARCH_DATA_DIRNAME
    folder.mkdir(parents=True, exist_ok=True)
    earlier = None if earlier_dir is None else earlier_dir / SEARCH_DATA_DIRNAME
    write = partial(_write_script, folder, earlier)
    claims = kb.claims
    data = merge(topic_partials(kb, cache))
    spans = []  # each shard's first and last key
    for number, shard in enumerate(_shards(_entries(data))):
        # The same bytes as script_json(entries): a JSON list is its items' JSON joined.
        entries = ",".join(text for _, text in shard)
        write(f"t-{number:04d}.js", f"EKBSearch.shard({number},[{entries}]);")
        spans.append((shard[0][0], shard[-1][0]))
    spelling = _spelling(data.words)
    for letter, words in spelling.items():
        write(
            spelling_file(letter),
            f"EKBSearch.spelling({script_json(letter)},{script_json(words)});",
        )

    chunks = _write_chunks(kb, data.rows, write)
    manifest = {
        "version": FORMAT_VERSION,
        "starts": _boundaries(spans),
        "docCount": len(claims),
        "docsPerChunk": DOCS_PER_CHUNK,
        "rowFields": list(ROW_FIELDS),
        "spelling": sorted(spelling, key=js_order),
        "topics": [[t.slug, t.title] for t in kb.topics],
        "topicStarts": data.starts,
        "sections": [[s, SECTION_TITLES[s]] for s in SECTIONS],
        "strengths": [[lv.label, lv.title, lv.rank] for lv in kb.strength.levels],
        "categories": [[term.id, term.label] for term in kb.categories],
        "analysis": browser_analysis(kb, data),
        "sentences": {"notEveryWord": NOT_EVERY_WORD, "unsearched": UNSEARCHED},
    }
    write("manifest.js", f"EKBSearch.manifest({script_json(manifest)});")
    return {"shards": len(spans), "chunks": chunks}


def _write_chunks(kb: KnowledgeBase, tails: list[str], write: Callable[[str, str], None]) -> int:
    """The display chunks (d-NNNNN.js), each claim's row joined from the part its
    topic's analysis kept (search/browser/rows.py); return how many."""
    places = {topic.slug: i for i, topic in enumerate(kb.topics)}
    rows = [joined(c, places[c.topic], tail) for c, tail in zip(kb.claims, tails, strict=True)]
    starts = range(0, len(rows), DOCS_PER_CHUNK)
    for number, start in enumerate(starts):
        text = ",".join(rows[start : start + DOCS_PER_CHUNK])
        write(f"d-{number:05d}.js", f"EKBSearch.docs({number},[{text}]);")
    return len(starts)


def _write_script(folder: Path, earlier: Path | None, name: str, text: str) -> None:
    """Write the script `name` into `folder`, or link the earlier build's of the same bytes."""
    was = None if earlier is None else os.path.join(earlier, name)
    write_or_link(os.path.join(folder, name), (text + "\n").encode("utf-8"), was)
