"""Searching the claims: the query language, spelling correction, ranking, results.

Query language: plain words (claims holding all of them rank first, then
claims holding some), "quoted phrases", field queries (section:, strength:,
cites:, category:, entity:, topic:, heading:, text:, id:), AND / OR / NOT and
parentheses. A run of words that names a vocabulary term (label, synonym or
abbreviation) also matches every other name of that term, as a phrase.

The parser and the translation into whoosh queries live in query.py; the
analyzers and the vocabulary in analysis.py.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.scoring import BM25F

from evidencekb.analysis import Vocabulary, edit_distance, is_abbreviation, spans, terms
from evidencekb.errors import KBError, QueryError
from evidencekb.index import TEXT_FIELDS, IndexMeta, read_meta
from evidencekb.query import (
    Compiler,
    Node,
    Quoted,
    allowed_value,
    parse,
    parse_words,
    term_id,
    word_nodes,
)


class RobertsonBM25F(BM25F):
    """whoosh's BM25F with the Robertson-Sparck Jones idf (as in Lucene and
    SQLite FTS5) instead of whoosh's log(N/(df+1))+1, which lets common words
    weigh too much against rare ones."""

    def idf(self, searcher, fieldname, text):  # type: ignore[no-untyped-def]
        docs = searcher.doc_count_all()
        df = searcher.doc_frequency(fieldname, text)
        return math.log(1 + (docs - df + 0.5) / (df + 0.5))


@dataclass(frozen=True)
class Ranking:
    """BM25F parameters and query options; the defaults are the tuned ones
    (see BENCHMARKS.md, "Relevance")."""

    k1: float = 1.2
    b: float = 0.75
    # "body" (heading and text together) carries the ranking; the heading's
    # own small weight adds what a title says about the whole claim.
    field_boosts: tuple[tuple[str, float], ...] = (
        ("body", 1.0),
        ("heading", 0.3),
        ("topic_title", 0.2),
        ("terms", 0.5),
    )
    # True: claims with every word first, then the rest; False: one ranking
    # of every claim with any of the words.
    all_words_first: bool = True
    correct_spelling: bool = True
    # Pseudo-relevance feedback (RM3): add the `feedback_terms` words most
    # typical of the `feedback_docs` best claims, with this share of the weight.
    # Off by default: on a small curated kb it drifts, and a student should
    # be able to see why each claim matched.
    feedback_terms: int = 0
    feedback_docs: int = 10
    feedback_weight: float = 0.5
    # Extras for people, not ranking: the benchmark turns them off for speed.
    highlight: bool = True
    count: bool = True  # count every match by section and strength


DEFAULT_RANKING = Ranking()


@dataclass(frozen=True)
class Filters:
    """Restrictions from command-line options; None means no restriction."""

    section: str | None = None
    strength: str | None = None
    cites: int | None = None
    topic: str | None = None
    category: str | None = None


@dataclass(frozen=True)
class Hit:
    claim: dict[str, object]  # the claim's export JSON (`Claim.to_dict()`)
    score: float
    highlights: tuple[tuple[int, int], ...]  # character spans of matched words in the text


@dataclass(frozen=True)
class SearchResults:
    query: str
    corrected_query: str | None  # what the query was corrected to, if it was
    hits: tuple[Hit, ...]
    total: int  # matching claims, of which `hits` are the best
    by_section: tuple[tuple[str, int], ...] = ()
    by_strength: tuple[tuple[str, int], ...] = ()


def search(
    index_dir: Path,
    query: str,
    *,
    filters: Filters = Filters(),
    limit: int = 10,
    ranking: Ranking = DEFAULT_RANKING,
    syntax: bool = True,
) -> SearchResults:
    """Run `query` against the index in `index_dir` (see the module docstring).

    With `syntax=False` the query is plain text: no operators, fields or
    phrases, every word just a word (how the relevance benchmark asks).
    """
    if limit < 1:
        raise QueryError("--limit must be at least 1")
    reader = parse if syntax else parse_words
    tree = reader(query)  # syntax errors first, before touching the index
    for attempt in range(3):
        try:
            ix = whoosh_index.open_dir(str(index_dir))
            meta = read_meta(index_dir)
            if meta is None:
                raise OSError("index metadata missing")
            with ix.searcher(weighting=RobertsonBM25F(B=ranking.b, K1=ranking.k1)) as searcher:
                return _run(searcher, meta, query, tree, filters, limit, ranking, reader)
        except (OSError, whoosh_index.IndexError):
            # A rebuild swapped the index while we opened it: try the new one.
            if attempt == 2:
                raise KBError(f"cannot read the search index at {index_dir}") from None
            time.sleep(0.05)
    raise AssertionError("unreachable")


def _run(searcher, meta, query, tree, filters, limit, ranking, reader) -> SearchResults:  # type: ignore[no-untyped-def]
    corrected = None
    if ranking.correct_spelling and tree is not None:
        corrected = _corrected(query, tree, searcher, meta.vocabulary)
        if corrected is not None:
            tree = reader(corrected)
    compiler = Compiler(meta, dict(ranking.field_boosts))
    plan = compiler.compile(tree)
    filter_query = _filter_query(meta, filters)
    if plan.strict is None:
        return SearchResults(query, corrected, (), 0)  # stop words only, or no words
    widest = plan.relaxed  # None unless loose words could be relaxed
    matching = widest if widest is not None else plan.strict
    # The search over every matching claim (the widest query) also counts them
    # by section and strength, in the same pass: whoosh's facets.
    facets = _count_facets() if ranking.count else None
    counted = None  # the whoosh Results holding those counts
    ranked: list[tuple[int, float]] = []
    if widest is None or ranking.all_words_first:
        grouped = facets if widest is None else None
        found = searcher.search(plan.strict, limit=limit, filter=filter_query, groupedby=grouped)
        ranked = _top(found, limit)
        counted = found if grouped else None
    if widest is not None and (len(ranked) < limit or facets):
        wanted = limit + len(ranked)
        found = searcher.search(widest, limit=wanted, filter=filter_query, groupedby=facets)
        counted = found if facets else None
        if len(ranked) < limit:
            seen = {docnum for docnum, _ in ranked}
            more = [item for item in _top(found, wanted) if item[0] not in seen]
            ranked = (ranked + more)[:limit]
    if ranking.feedback_terms and ranked:
        matching = wq.Or([matching, _feedback(searcher, ranked, plan, ranking)])
        found = searcher.search(matching, limit=limit, filter=filter_query, groupedby=facets)
        ranked = _top(found, limit)
        counted = found if facets else None
    hits = []
    for docnum, score in ranked:
        claim = json.loads(searcher.stored_fields(docnum)["claim"])
        marks = tuple(spans(str(claim["text"]), plan.highlight_terms)) if ranking.highlight else ()
        hits.append(Hit(claim, round(score, 4), marks))
    if counted is None:
        return SearchResults(query, corrected, tuple(hits), len(hits))
    sections = counted.groups("section")
    total = sum(sections.values())  # every claim has exactly one section
    by_section = _ordered(sections, meta.sections)
    by_strength = _ordered(counted.groups("strength"), meta.strength_labels)
    return SearchResults(query, corrected, tuple(hits), total, by_section, by_strength)


def _top(found, limit: int) -> list[tuple[int, float]]:  # type: ignore[no-untyped-def]
    """The best `limit` hits as (docnum, score). A grouped search holds every
    match, ranked; the rest only feed the counts."""
    return [(found.docnum(i), found.score(i)) for i in range(min(limit, found.scored_length()))]


def _count_facets() -> dict[str, object]:
    """Facets that count matches by section and strength (from their columns:
    far cheaper than loading every claim)."""
    from whoosh import sorting

    return {
        name: sorting.FieldFacet(name, maptype=sorting.Count) for name in ("section", "strength")
    }


def _feedback(searcher, ranked, plan, ranking: Ranking) -> wq.Query:  # type: ignore[no-untyped-def]
    """RM3's expansion: terms weighted by their share of each top claim's
    words, times that claim's share of the top claims' scores."""
    top = ranked[: ranking.feedback_docs]
    total_score = sum(score for _, score in top) or 1.0
    weights: dict[str, float] = {}
    for docnum, score in top:
        claim = json.loads(searcher.stored_fields(docnum)["claim"])
        words = terms(f"{claim.get('heading') or ''} {claim['text']}")
        for word in words:
            weights[word] = weights.get(word, 0.0) + score / total_score / len(words)
    chosen = sorted(weights.items(), key=lambda item: (-item[1], item[0]))
    chosen = chosen[: ranking.feedback_terms]
    norm = sum(weight for _, weight in chosen) or 1.0
    # The original query's terms weigh (1 - λ) / n each; scale the new ones to match.
    scale = ranking.feedback_weight / (1 - ranking.feedback_weight)
    scale *= max(len(plan.highlight_terms), 1)
    boosts = dict(ranking.field_boosts)
    return wq.Or(
        [
            wq.Term(field, word, boost=boosts[field] * scale * weight / norm)
            for word, weight in chosen
            for field in ("body",)
        ]
    )


def _ordered(counts: dict[str, int], order: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    return tuple((key, counts[key]) for key in order if counts.get(key))


def _filter_query(meta: IndexMeta, filters: Filters) -> wq.Query | None:
    parts = []
    if filters.section is not None:
        parts.append(wq.Term("section", allowed_value("section", filters.section, meta.sections)))
    if filters.strength is not None:
        label = allowed_value("strength", filters.strength, meta.strength_labels)
        parts.append(wq.Term("strength", label))
    if filters.topic is not None:
        parts.append(wq.Term("topic", allowed_value("topic", filters.topic, meta.topics)))
    if filters.category is not None:
        parts.append(wq.Term("category", term_id("category", filters.category, meta.categories)))
    if filters.cites is not None:
        parts.append(wq.Term("cites", str(filters.cites)))
    return wq.And(parts) if parts else None


# Spelling ---------------------------------------------------------------


def _corrected(query: str, tree: Node, searcher, vocabulary: Vocabulary) -> str | None:  # type: ignore[no-untyped-def]
    """The query with each unknown word replaced by its closest indexed word."""
    reader = searcher.reader()
    edits: list[tuple[int, int, str]] = []
    for node in word_nodes(tree):
        if isinstance(node, Quoted):
            continue
        word = node.text
        tokens = terms(word)
        if len(word) < 4 or not word.isalpha() or len(tokens) != 1:
            continue
        # An unknown abbreviation is not a typo: one letter off, it names
        # something else (CRPS is not CRP).
        if is_abbreviation(word):
            continue
        if any(reader.doc_frequency(f, tokens[0]) for f in TEXT_FIELDS):
            continue
        if vocabulary.group_of(tokens) is not None:
            continue
        suggestion = _suggest(reader, word.lower())
        if suggestion is not None:
            edits.append((node.start, node.end, suggestion))
    if not edits:
        return None
    for start, end, replacement in sorted(edits, reverse=True):
        query = query[:start] + replacement + query[end:]
    return query


def _suggest(reader, word: str) -> str | None:  # type: ignore[no-untyped-def]
    """The closest word in the index (fewest edits, then most claims)."""
    for maxdist in (1, 2) if len(word) >= 6 else (1,):
        candidates = [c for c in reader.terms_within("words", word, maxdist, prefix=1) if c != word]
        if candidates:
            return min(
                candidates,
                key=lambda c: (edit_distance(word, c), -reader.doc_frequency("words", c), c),
            )
    return None


# Output -----------------------------------------------------------------

_MARK_ON, _MARK_OFF = "\x1b[1;33m", "\x1b[0m"
_DIM_ON, _BOLD_ON = "\x1b[2m", "\x1b[1m"


def results_json(results: SearchResults) -> str:
    """A JSON list: each claim's export keys, plus score, highlights and the
    corrected query (null when the query was taken as written)."""
    out = []
    for hit in results.hits:
        item = dict(hit.claim)
        item["score"] = hit.score
        item["highlighted"] = _html_marked(str(hit.claim["text"]), hit.highlights)
        item["highlights"] = [list(span) for span in hit.highlights]
        item["corrected_query"] = results.corrected_query
        out.append(item)
    return json.dumps(out, ensure_ascii=False, indent=2)


def _html_marked(text: str, marks: tuple[tuple[int, int], ...]) -> str:
    """The text HTML-escaped, matched words in <mark>: safe to insert in a page."""
    from html import escape

    pieces, cursor = [], 0
    for start, end in marks:
        pieces.append(escape(text[cursor:start]))
        pieces.append(f"<mark>{escape(text[start:end])}</mark>")
        cursor = end
    pieces.append(escape(text[cursor:]))
    return "".join(pieces)


def results_text(results: SearchResults, *, colour: bool) -> str:
    """The human-readable listing, with matched words coloured if `colour`."""
    lines = []
    if results.corrected_query is not None:
        lines.append(
            f'Did you mean "{_printable(results.corrected_query)}"? Showing results for it.'
        )
    if not results.hits:
        lines.append(f'No claims match "{_printable(results.query)}".')
        return "\n".join(lines)
    for rank, hit in enumerate(results.hits, 1):
        claim = hit.claim
        where = str(claim["section"])
        if claim.get("heading"):
            where += f" > {claim['heading']}"
        head = f"{rank}. {claim['id']}  [{claim['strength']}]  {where}"
        lines.append(f"{_BOLD_ON}{head}{_MARK_OFF}" if colour else head)
        text = str(claim["text"])
        lines.append("   " + (_ansi_marked(text, hit.highlights) if colour else text))
        citations = claim.get("citations") or []
        cited = ", ".join(str(n) for n in citations) if citations else "none"  # type: ignore[union-attr]
        lines.append(f"   Citations: {cited}")
    shown = len(results.hits)
    noun = "claim matches" if results.total == 1 else "claims match"
    summary = f"{results.total} {noun} (showing {shown})"
    if results.by_section:
        summary += " · " + ", ".join(f"{k} {v}" for k, v in results.by_section)
    if results.by_strength:
        summary += " · strength: " + ", ".join(f"{k} {v}" for k, v in results.by_strength)
    lines.append("")
    lines.append(f"{_DIM_ON}{summary}{_MARK_OFF}" if colour else summary)
    return "\n".join(lines)


def _ansi_marked(text: str, marks: tuple[tuple[int, int], ...]) -> str:
    pieces, cursor = [], 0
    for start, end in marks:
        pieces += [text[cursor:start], _MARK_ON, text[start:end], _MARK_OFF]
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


def _printable(text: str) -> str:
    """The query as typed, minus control characters (no terminal escapes)."""
    return "".join(ch for ch in text if ch.isprintable())
