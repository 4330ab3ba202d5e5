"""Searching the claims: the query language, spelling correction, ranking, results.

Query language: plain words (claims holding all of them rank first, then
claims holding some), "quoted phrases", field queries (section:, strength:,
cites:, category:, entity:, topic:, heading:, text:, id:), AND / OR / NOT and
parentheses. A run of words that names a vocabulary term (label, synonym or
abbreviation) also matches every other name of that term, as a phrase.

The parser is our own rather than whoosh's QueryParser: whoosh's never fails,
it guesses, while a student should hear exactly what is wrong with a query,
and multi-word synonyms need the word sequence before it is split into terms.
The parser and the translation into whoosh queries live in analysis.py.
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

from evidencekb.analysis import (
    Compiler,
    Node,
    Quoted,
    Vocabulary,
    allowed_value,
    edit_distance,
    parse,
    parse_words,
    spans,
    term_id,
    terms,
    word_nodes,
)
from evidencekb.errors import KBError, QueryError
from evidencekb.index import TEXT_FIELDS, IndexMeta, read_meta


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
    field_boosts: tuple[tuple[str, float], ...] = (
        ("text", 1.0),
        ("heading", 0.5),
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
    # Every matching claim, when a search found fewer than it asked for; then
    # the counts need no second pass over the index.
    complete: list[int] | None = None
    ranked: list[tuple[int, float]] = []
    if widest is None or ranking.all_words_first:
        found = searcher.search(plan.strict, limit=limit, filter=filter_query)
        ranked = [(hit.docnum, hit.score) for hit in found]
        if widest is None and len(ranked) < limit:
            complete = [docnum for docnum, _ in ranked]
    if widest is not None and len(ranked) < limit:
        wanted = limit + len(ranked)
        more = [
            (hit.docnum, hit.score)
            for hit in searcher.search(widest, limit=wanted, filter=filter_query)
        ]
        if len(more) < wanted:
            complete = [docnum for docnum, _ in more]
        seen = {docnum for docnum, _ in ranked}
        ranked = (ranked + [item for item in more if item[0] not in seen])[:limit]
    if ranking.feedback_terms and ranked:
        matching = wq.Or([matching, _feedback(searcher, ranked, plan, ranking)])
        complete = None
        found = searcher.search(matching, limit=limit, filter=filter_query)
        ranked = [(hit.docnum, hit.score) for hit in found]
    hits = []
    for docnum, score in ranked:
        claim = json.loads(searcher.stored_fields(docnum)["claim"])
        marks = tuple(spans(str(claim["text"]), plan.highlight_terms)) if ranking.highlight else ()
        hits.append(Hit(claim, round(score, 4), marks))
    if not ranking.count:
        return SearchResults(query, corrected, tuple(hits), len(hits))
    if complete is None:
        if filter_query is not None:
            matching = wq.And([matching, filter_query])
        complete = list(matching.docs(searcher))
    total, by_section, by_strength = _counts(searcher, complete, meta)
    return SearchResults(query, corrected, tuple(hits), total, by_section, by_strength)


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
            for field in ("text", "heading")
        ]
    )


def _counts(searcher, docnums: list[int], meta: IndexMeta):  # type: ignore[no-untyped-def]
    """How many claims match, in all and by section and strength (from two
    columns: far cheaper than loading every claim)."""
    reader = searcher.reader()
    sections, strengths = reader.column_reader("section"), reader.column_reader("strength")
    section_counts: dict[str, int] = {}
    strength_counts: dict[str, int] = {}
    total = 0
    for docnum in docnums:
        total += 1
        section, strength = sections[docnum], strengths[docnum]
        section_counts[section] = section_counts.get(section, 0) + 1
        strength_counts[strength] = strength_counts.get(strength, 0) + 1
    by_section = _ordered(section_counts, meta.sections)
    by_strength = _ordered(strength_counts, meta.strength_labels)
    return total, by_section, by_strength


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
