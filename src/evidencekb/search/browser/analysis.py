"""What the site's search data is made from, analysed one topic at a time.

Analysing every claim's fields (tokens, stems, positions, highlights) is most of the
work of writing the search data (search/browser/data.py). It is done per topic, into a
`TopicPartial` that numbers the topic's claims from 0 and holds nothing that depends on
the other topics, so that a topic that did not change can be taken as an earlier build
left it (search/browser/cache.py) and only an edited one analysed again. `merge` then puts the
partials together in kb order, each topic's lists led by its mark (`topic_mark`), which
tells the reader where the topic's claims start: read so, the lists are exactly what
one pass over the whole kb would gather.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from typing import Any

from evidencekb.search import analysis
from evidencekb.search.fields import NAMED_TEXT_FIELDS
from evidencekb.search.index import ClaimWords
from evidencekb.search.query import KEYWORD_FIELDS
from evidencekb.search.whooshext import stored_length

# Ranked fields: "body" is heading and text pooled (see search/index.py).
RANKED_FIELDS = ("body", "heading", "text", "topic_title", "terms", *NAMED_TEXT_FIELDS)


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


# What json.dumps escapes in a string (ensure_ascii off), and what script_json does.
_ESCAPED = re.compile('[\\x00-\\x1f"\\\\<>&\u2028\u2029]')


def script_string(text: str) -> str:
    """script_json(text) for a string, sooner when nothing in it needs escaping (the
    search data's million keys, words and terms almost never do)."""
    return script_json(text) if _ESCAPED.search(text) else f'"{text}"'


def script_strings(texts: Iterable[str]) -> Callable[[str], str]:
    """script_string for any of `texts`, sooner: when none needs escaping (the search
    data's keys and terms almost never do), quoting alone, checked once for all."""
    if _ESCAPED.search(" ".join(texts)):  # a space is never escaped
        return script_string
    return '"{}"'.format


def utf16_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-16-le")) // 2


# Lists of numbers are kept as text, the JSON of their items: the search data writes
# them as JSON, and a string is one object where a list is thousands (reading a
# partial back, merging and writing cost per object). A topic's list of one term in
# one field, or of one keyword, is "FIRST,REST...": claim deltas, the first from the
# topic's first claim (for postings, lengths and positions too). The kb's list is the
# topics' lists one after the other, each led by its topic's mark (`topic_mark`).
Packed = str


def _packed(items: list[int]) -> Packed:
    return ",".join(map(str, items))


def topic_mark(number: int) -> str:
    """What leads a topic's share of a kb-wide list: -(its number in the kb + 1), a
    negative number where a claim delta would stand (a delta never is), telling the
    reader (static/search-core.js) to count the next claim from that topic's first
    (the manifest's `topicStarts`). So a topic's share is the same text whatever the
    topics before it hold, and merging the topics' lists is putting them one after
    the other: no number in them changes."""
    return f"-{number + 1},"


@dataclass(frozen=True)
class TopicPartial:
    """One topic's share of the search data, its claims numbered from 0. Plain data
    only (built-in containers, strings, numbers), so that it can be kept in a cache
    and read back without running code."""

    claims: int  # how many
    postings: dict[str, dict[str, Packed]]  # term -> field -> [delta, length, count, positions]
    keywords: dict[str, Packed]  # "section:research" -> deltas of the claims that have it
    words: dict[str, int]  # spelling dictionary: word -> claims holding it
    total_length: dict[str, int]  # field -> the sum of its lengths
    # Per claim, its display row but its id and topic (search/browser/rows.py), which
    # holds the JSON of its text's terms and their UTF-16 offsets.
    rows: list[str]

    def to_plain(self) -> tuple[object, ...]:
        return tuple(getattr(self, f.name) for f in fields(self))

    @classmethod
    def from_plain(cls, value: object) -> TopicPartial | None:
        """The partial `to_plain` gave, if `value` has its shape; None otherwise."""
        shapes = [int, dict, dict, dict, dict, list]
        if not isinstance(value, tuple) or len(value) != len(shapes):
            return None
        if not all(isinstance(part, shape) for part, shape in zip(value, shapes, strict=True)):
            return None
        return cls(*value)


@dataclass(frozen=True)
class _Field:
    """One field of a claim analysed: its (term, position) pairs, and those grouped as
    its posting lists take them (each term in order of first occurrence, with the
    field's stored length, the term's count and its position deltas)."""

    tokens: list[tuple[str, int]]
    grouped: list[tuple[str, list[int]]]

    @classmethod
    def of(cls, tokens: list[tuple[str, int]]) -> _Field:
        length = stored_length(len(tokens))
        grouped: dict[str, list[int]] = {}
        last: dict[str, int] = {}  # each term's position before
        for term, position in tokens:
            items = grouped.get(term)
            if items is None:
                grouped[term] = [length, 1, position]
            else:
                items[1] += 1
                items.append(position - last[term])
            last[term] = position
        return cls(tokens, list(grouped.items()))


@dataclass
class Analysers:
    """The analysers of one build's pass over the topics, with what they have worked
    out: each analyser keeps a cache of its stems, and a heading's, a title's or a list
    of names' analysis and the words after a claim's text are worked out once however
    many claims and topics hold them (a heading is shared by the claims of one
    abstract, a name by thousands of claims)."""

    text: Any = field(default_factory=analysis.text_analyzer)
    names: Any = field(default_factory=analysis.names_analyzer)
    fields: dict[tuple[str, str], _Field] = field(default_factory=dict)
    words_of: ClaimWords = field(default_factory=ClaimWords)

    def shared(self, analyzer: str, text: str) -> _Field:
        """A field that many claims hold the same (a heading, a topic's title, a claim's
        names), analysed with the analyser named "text" or "names"."""
        found = self.fields.get((analyzer, text))
        if found is None:
            tokens = _positions(getattr(self, analyzer), text)
            found = self.fields[analyzer, text] = _Field.of(tokens)
        return found


@dataclass
class _Gathering:
    """What a pass over one topic's claims gathers, numbers as lists."""

    postings: dict[str, dict[str, list[int]]] = field(default_factory=lambda: defaultdict(dict))
    # Field -> term -> the last claim so far in the term's list.
    last_claim: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    keywords: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    words: Counter[str] = field(default_factory=Counter)
    total_length: Counter[str] = field(default_factory=Counter)
    rows: list[str] = field(default_factory=list)


def _analysed(analyzer: Any, text: str) -> list[tuple[str, int, int, int]]:
    """(term, position, start, end) of each token of a field, as the index has them."""
    return [
        (t.text, t.pos, t.startchar, t.endchar)
        for t in analyzer(text, positions=True, chars=True, mode="index")
    ]


def _positions(analyzer: Any, text: str) -> list[tuple[str, int]]:
    """(term, position) of each token of a field."""
    return [(term, position) for term, position, _, _ in _analysed(analyzer, text)]


def _add_posting(data: _Gathering, name: str, doc: int, analysed: _Field) -> None:
    data.total_length[name] += len(analysed.tokens)
    last = data.last_claim[name]
    postings = data.postings
    for term, tail in analysed.grouped:
        flat = postings[term].setdefault(name, [])
        flat.append(doc - last.get(term, 0))
        flat += tail
        last[term] = doc


# Makes a claim's display row from its place among the documents analysed and the
# JSON of its highlights (search/browser/rows.py `row_tail`).
RowMaker = Callable[[int, str], str]


def analyse_documents(
    documents: Iterable[dict[str, str]], tools: Analysers, row: RowMaker
) -> TopicPartial:
    """The search data of claims given as search/index.py's documents, numbered from 0."""
    data = _Gathering()
    claims = 0
    for doc, document in enumerate(documents):
        claims += 1
        text = _analysed(tools.text, document["text"])
        for name, analysed in _ranked_fields(document, text, tools):
            _add_posting(data, name, doc, analysed)
        data.rows.append(row(doc, _highlights(document["text"], text)))
        data.words.update(tools.words_of(document))
        for name in KEYWORD_FIELDS:
            for value in document[name].split() if name != "id" else [document[name]]:
                key = f"{name}:{value}"
                if not data.keywords[key] or data.keywords[key][-1] != doc:
                    data.keywords[key].append(doc)
    postings = {
        term: {name: _packed(flat) for name, flat in by_field.items()}
        for term, by_field in data.postings.items()
    }
    return TopicPartial(
        claims=claims,
        postings=postings,
        keywords={key: _packed(_deltas(docs)) for key, docs in data.keywords.items()},
        words=dict(data.words),
        total_length=dict(data.total_length),
        rows=data.rows,
    )


def _ranked_fields(
    document: dict[str, str], text: list[tuple[str, int, int, int]], tools: Analysers
) -> list[tuple[str, _Field]]:
    """Each ranked field analysed, in RANKED_FIELDS's order; "body" put together from
    the heading's and the text's terms (analysis.pooled) rather than analysed a third
    time."""
    heading = tools.shared("text", document["heading"])
    in_text = [(term, pos) for term, pos, _, _ in text]
    first, body = analysis.pooled(
        document["heading"], _as_analysed(heading.tokens), _as_analysed(in_text)
    )
    found = {
        "body": _Field.of(list(zip(body, itertools.count(first)))),
        "heading": heading,
        "text": _Field.of(in_text),
        "topic_title": tools.shared("text", document["topic_title"]),
        "terms": tools.shared("names", document["terms"]),
        **{name: _Field.of(_positions(tools.text, document[name])) for name in NAMED_TEXT_FIELDS},
    }
    return [(name, found[name]) for name in RANKED_FIELDS]


def _as_analysed(tokens: list[tuple[str, int]]) -> analysis.Analysed:
    """(term, position) pairs of the text analyser, whose positions follow each other,
    as analysis.analysed gives them."""
    return (tokens[0][1], tuple(term for term, _ in tokens)) if tokens else (0, ())


def _highlights(text: str, tokens: list[tuple[str, int, int, int]]) -> str:
    """Each term of the text with where it is, in UTF-16 code units as JavaScript counts."""
    if max(text, default="") <= "\uffff":
        # No character takes two code units: they count as Python's characters do.
        found = [item for term, _, start, end in tokens for item in (term, start, end)]
    else:
        found = [
            item
            for term, _, start, end in tokens
            for item in (term, utf16_offset(text, start), utf16_offset(text, end))
        ]
    return script_json(found)


def _deltas(numbers: list[int]) -> list[int]:
    return [n - p for n, p in zip(numbers, [0, *numbers], strict=False)]


@dataclass
class Collected:
    """The whole kb's search data: the topics' partials merged, claims numbered across
    the kb; each list of numbers as its JSON items in pieces, one a topic, each led by
    its topic's mark (`topic_mark`)."""

    postings: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    keywords: dict[str, list[str]] = field(default_factory=dict)
    words: Counter[str] = field(default_factory=Counter)
    total_length: Counter[str] = field(default_factory=Counter)
    rows: list[str] = field(default_factory=list)  # as TopicPartial's, in kb order
    starts: list[int] = field(default_factory=list)  # each topic's first claim


def merge(partials: Iterable[TopicPartial]) -> Collected:
    """The partials of a kb's topics, in kb order, as one: each topic's lists put after
    the lists of the same key before them, led by the topic's mark."""
    data = Collected()
    postings = data.postings
    first = 0
    for number, partial in enumerate(partials):
        mark = topic_mark(number)
        for term, by_field in partial.postings.items():
            into = postings.get(term)
            if into is None:
                into = postings[term] = {}
            _add_lists(into, by_field, mark)
        _add_lists(data.keywords, partial.keywords, mark)
        data.words.update(partial.words)
        data.total_length.update(partial.total_length)
        data.rows += partial.rows
        data.starts.append(first)
        first += partial.claims
    return data


def _add_lists(into: dict[str, list[str]], lists: dict[str, Packed], mark: str) -> None:
    """A topic's packed lists put after the kb's lists of the same keys in `into`, led
    by the topic's mark: the merge's innermost loop, once for every list of every
    topic."""
    for key, items in lists.items():
        pieces = into.get(key)
        if pieces is None:
            into[key] = [mark + items]
        else:
            pieces.append(mark + items)
