"""The query language: `parse` reads a query into a syntax tree (or says
exactly what is wrong with it), and `Compiler` turns the tree into whoosh
queries, expanding vocabulary names on the way. The fields over the works a
claim cites and their evidence (author:, journal:, year:, doi:, pmid:, stance:,
contested:) read their values as fields.py says.

The parser is our own rather than whoosh's QueryParser: whoosh's never fails,
it guesses, while a student should hear exactly what is wrong with a query,
and multi-word synonyms need the word sequence before it is split into terms.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

from whoosh import query as wq

from evidencekb.errors import QueryError
from evidencekb.registry import (
    FIELD_NAME_PATTERN,
    KEYWORD_FIELD_NAMES,
    QUERY_FIELD_NAMES,
    query_field,
)
from evidencekb.search.analysis import VocabularyGroup
from evidencekb.search.codes import CodedAll, CodedTerm
from evidencekb.search.fields import keyword_query
from evidencekb.search.matchers import Excluding, Phrase, Within
from evidencekb.search.whooshext import Intersection, Union

if TYPE_CHECKING:
    from evidencekb.search.index import IndexMeta

FIELDS: tuple[str, ...] = QUERY_FIELD_NAMES
KEYWORD_FIELDS = frozenset(KEYWORD_FIELD_NAMES)
MAX_QUERY_CHARS = 2000
MAX_QUERY_WORDS = 200
MAX_NESTING = 20
# What may name a field before a colon: the registry's one rule for names, which the
# browser's lexer is handed too (search manifest's `fieldName`).
_FIELD_NAME = re.compile(FIELD_NAME_PATTERN)


class Word(NamedTuple):
    text: str
    start: int  # character offsets in the query string
    end: int


class Quoted(NamedTuple):
    text: str
    start: int
    end: int


class Fielded(NamedTuple):
    name: str
    value: Node


class Negated(NamedTuple):
    node: Node


class AllOf(NamedTuple):
    parts: tuple[Node, ...]
    implicit: bool  # words side by side, no AND written: may be relaxed to "some of"


class AnyOf(NamedTuple):
    parts: tuple[Node, ...]


Node = Word | Quoted | Fielded | Negated | AllOf | AnyOf


class _Token(NamedTuple):
    kind: str  # "word", "phrase", "field", "(", ")", "AND", "OR", "NOT"
    text: str
    start: int
    end: int


def parse(query: str) -> Node | None:
    """The query's syntax tree (None for an empty query); QueryError if malformed."""
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(f"query too long: {len(query)} characters (at most {MAX_QUERY_CHARS})")
    tokens = _lex(query)
    count = sum(1 for t in tokens if t.kind in ("word", "phrase"))
    if count > MAX_QUERY_WORDS:
        raise QueryError(f"query too long: {count} words (at most {MAX_QUERY_WORDS})")
    if not tokens:
        return None
    return _Parser(tokens).parse()


def _lex(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(query)
    while i < n:
        char = query[i]
        if char.isspace():
            i += 1
        elif char in "()":
            tokens.append(_Token(char, char, i, i + 1))
            i += 1
        elif char == '"':
            close = query.find('"', i + 1)
            if close < 0:
                raise QueryError(f'unclosed quote (") at character {i + 1}; close it or remove it')
            tokens.append(_Token("phrase", query[i + 1 : close], i + 1, close))
            i = close + 1
        else:
            j = i
            while j < n and not query[j].isspace() and query[j] not in '()"':
                j += 1
            tokens.extend(_chunk(query, i, j))
            i = j
    return tokens


def _chunk(query: str, i: int, j: int) -> list[_Token]:
    chunk = query[i:j]
    if chunk in ("AND", "OR", "NOT"):
        return [_Token(chunk, chunk, i, j)]
    name, colon, value = chunk.partition(":")
    if not colon or _FIELD_NAME.fullmatch(name) is None or value.startswith("/"):
        return [_Token("word", chunk, i, j)]
    name = name.lower()
    followed = j < len(query) and query[j] in '("'
    if not value and not followed:
        if name in FIELDS:
            example = query_field(name).example
            raise QueryError(f'"{name}:" at character {i + 1} needs a value, e.g. {example}')
        return [_Token("word", chunk, i, j)]  # prose such as "note:"
    if name not in FIELDS:
        raise QueryError(
            f'unknown field "{name}:" at character {i + 1} (fields: {", ".join(FIELDS)})'
        )
    tokens = [_Token("field", name, i, i + len(name) + 1)]
    if value:
        tokens.append(_Token("word", value, i + len(name) + 1, j))
    return tokens


class _Parser:
    """Recursive descent: or := and (OR and)*; and := not (AND? not)*;
    not := NOT not | primary; primary := ( or ) | field: primary | "phrase" | word."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    def parse(self) -> Node:
        node = self._or(0)
        if self.pos < len(self.tokens):
            token = self.tokens[self.pos]
            raise QueryError(f"unmatched ')' at character {token.start + 1}")
        return node

    def _peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _operand_follows(self, operator: _Token) -> None:
        token = self._peek()
        if token is None or token.kind in (")", "AND", "OR"):
            raise QueryError(
                f"{operator.text} at character {operator.start + 1} needs a term after it"
            )

    def _or(self, depth: int) -> Node:
        parts = [self._and(depth)]
        while (token := self._peek()) is not None and token.kind == "OR":
            self.pos += 1
            self._operand_follows(token)
            parts.append(self._and(depth))
        return parts[0] if len(parts) == 1 else AnyOf(tuple(parts))

    def _and(self, depth: int) -> Node:
        parts = [self._not(depth)]
        explicit = False
        while (token := self._peek()) is not None and token.kind not in (")", "OR"):
            if token.kind == "AND":
                self.pos += 1
                self._operand_follows(token)
                explicit = True
            parts.append(self._not(depth))
        return parts[0] if len(parts) == 1 else AllOf(tuple(parts), implicit=not explicit)

    def _not(self, depth: int) -> Node:
        token = self._peek()
        if token is not None and token.kind == "NOT":
            self.pos += 1
            self._operand_follows(token)
            return Negated(self._not(depth))
        return self._primary(depth)

    def _primary(self, depth: int) -> Node:
        token = self.tokens[self.pos]
        self.pos += 1
        if token.kind == "word":
            return Word(token.text, token.start, token.end)
        if token.kind == "phrase":
            return Quoted(token.text, token.start, token.end)
        if token.kind == "field":
            following = self._peek()
            if following is None or following.kind not in ("word", "phrase", "("):
                raise QueryError(f'"{token.text}:" at character {token.start + 1} needs a value')
            return Fielded(token.text, self._primary(depth))
        if token.kind == "(":
            if depth >= MAX_NESTING:
                raise QueryError(f"parentheses nested too deeply (at most {MAX_NESTING} levels)")
            following = self._peek()
            if following is not None and following.kind == ")":
                raise QueryError(f"empty parentheses at character {token.start + 1}")
            if following is None:
                raise QueryError(f"unclosed '(' at character {token.start + 1}")
            node = self._or(depth + 1)
            closing = self._peek()
            if closing is None or closing.kind != ")":
                raise QueryError(f"unclosed '(' at character {token.start + 1}")
            self.pos += 1
            return node
        if token.kind == ")":
            raise QueryError(f"unmatched ')' at character {token.start + 1}")
        raise QueryError(f"{token.text} at character {token.start + 1} needs a term before it")


def word_nodes(node: Node | None, *, in_text: bool = True) -> list[Word | Quoted]:
    """The words and phrases searched in the text (not negated, not field values)."""
    if node is None:
        return []
    if isinstance(node, Word | Quoted):
        return [node] if in_text else []
    if isinstance(node, Fielded):
        return word_nodes(node.value, in_text=in_text and node.name in ("text", "heading"))
    if isinstance(node, Negated):
        return []
    return [found for part in node.parts for found in word_nodes(part, in_text=in_text)]


# From syntax tree to whoosh query ------------------------------------------


class Plan(NamedTuple):
    strict: wq.Query | None  # the query as written
    relaxed: wq.Query | None  # side-by-side words loosened to "any of them", if any
    highlight_terms: frozenset[tuple[str, ...]]  # term sequences to highlight


class Compiler:
    """Turns a syntax tree into whoosh queries, checking field values against
    the index's metadata and expanding vocabulary names."""

    def __init__(self, meta: IndexMeta, field_boosts: dict[str, float]) -> None:
        self.meta = meta
        self.boosts = field_boosts
        self.highlight: set[tuple[str, ...]] = set()

    def compile(self, tree: Node | None) -> Plan:
        self.highlight = set()
        if tree is None:
            return Plan(None, None, frozenset())
        strict = self._node(tree, None, False)
        relaxed = None
        if isinstance(tree, AllOf) and tree.implicit:
            # Loosen only the plain words; field queries and NOTs still bind.
            loose: list[wq.Query] = []
            bound: list[wq.Query] = []
            for query, plain in self._conjuncts(tree.parts, None, False):
                (loose if plain else bound).append(query)
            if len(loose) > 1:
                relaxed = _combine([*bound, Union(loose)], any_of=False)
        return Plan(strict, relaxed, frozenset(self.highlight))

    def _node(self, node: Node, field: str | None, negated: bool) -> wq.Query | None:
        if isinstance(node, Word | Quoted):
            if field in KEYWORD_FIELDS:
                return self._keyword(field, node.text)
            tokens = self.meta.vocabulary.query_terms(node.text)
            if not tokens:
                return None
            group = self.meta.vocabulary.group_of(tokens) if field is None else None
            if group is not None:
                return self._expansion(group, [tokens], negated)
            return self._text(tokens, field, negated)
        if isinstance(node, Fielded):
            return self._node(node.value, node.name, negated)
        if isinstance(node, Negated):
            inner = self._node(node.node, field, not negated)
            return None if inner is None else wq.Not(inner)
        if isinstance(node, AnyOf):
            subs = [q for part in node.parts if (q := self._node(part, field, negated))]
            return Union(subs) if len(subs) > 1 else (subs[0] if subs else None)
        conjuncts = self._conjuncts(node.parts, field, negated)
        return _combine([query for query, _ in conjuncts], any_of=False)

    def _conjuncts(
        self, parts: tuple[Node, ...], field: str | None, negated: bool
    ) -> list[tuple[wq.Query, bool]]:
        """Queries for side-by-side parts, each flagged True if it is plain
        words or a phrase. Runs of plain words are matched against the
        vocabulary first, so multi-word names stay together."""
        out: list[tuple[wq.Query | None, bool]] = []
        i = 0
        while i < len(parts):
            if field is None and isinstance(parts[i], Word):
                j = i
                while j < len(parts) and isinstance(parts[j], Word):
                    j += 1
                words = [w for w in parts[i:j] if isinstance(w, Word)]
                run = [self.meta.vocabulary.query_terms(w.text) for w in words]
                out += [(query, True) for query in self._run(run, negated)]
                i = j
            else:
                plain = field is None and isinstance(parts[i], Quoted)
                out.append((self._node(parts[i], field, negated), plain))
                i += 1
        # A word written twice counts once (as in FTS5): whoosh would score
        # each copy, so that repeating a word would outweigh a rarer one.
        kept: list[tuple[wq.Query, bool]] = []
        for query, plain in out:
            if query is not None and all(query != seen for seen, _ in kept):
                kept.append((query, plain))
        return kept

    def _run(self, word_terms: list[tuple[str, ...]], negated: bool) -> list[wq.Query | None]:
        flat = [t for tokens in word_terms for t in tokens]
        boundaries = {0}
        for tokens in word_terms:
            boundaries.add(max(boundaries) + len(tokens))
        out: list[wq.Query | None] = []
        k, position = 0, 0
        while k < len(word_terms):
            match = self.meta.vocabulary.longest_match(flat, position) if word_terms[k] else None
            if match is not None and position + match[0] in boundaries:
                size, group = match
                covered, end = [], position
                while end < position + size:
                    covered.append(word_terms[k])
                    end += len(word_terms[k])
                    k += 1
                out.append(self._expansion(group, covered, negated))
                position = end
            else:
                # A compound written as one word ("40mg/day", "IFN-gamma") counts
                # as its words, as in FTS5: a claim writing "40 mg per day"
                # still scores, where a phrase would give it nothing.
                tokens = word_terms[k]
                out += [self._text((token,), None, negated) for token in tokens]
                position += len(tokens)
                k += 1
        return out

    def _expansion(
        self, group: VocabularyGroup, written: list[tuple[str, ...]], negated: bool
    ) -> wq.Query:
        """The words as written, or any other name of the same term, or a name of a
        narrower term, as a phrase."""
        # A stop word inside a name ("mechanism of action") has no terms.
        written = [tokens for tokens in written if tokens]
        as_written = _combine([self._text(t, None, negated) for t in written], any_of=False)
        flat = tuple(t for tokens in written for t in tokens)
        others = [self._text(name, None, negated) for name in group.names if name != flat]
        others += [self._text(name, None, negated) for name in group.narrower]
        return Union([as_written, *others]) if others else as_written

    def _text(self, tokens: tuple[str, ...], field: str | None, negated: bool) -> wq.Query:
        if not negated and field in (None, "text"):
            self.highlight.add(tokens)
        fields = self.boosts if field is None else {field: 1.0}
        if len(tokens) == 1:
            terms: list[wq.Query] = [
                wq.Term(name, tokens[0], boost=b) for name, b in fields.items()
            ]
            return terms[0] if len(terms) == 1 else Union(terms)
        phrases = {name: Phrase(name, list(tokens), boost=b) for name, b in fields.items()}
        if "body" in phrases and "heading" in phrases:
            # "body" is the heading and the text: the phrase in the heading is in it too.
            phrases["body"] = Within(phrases["body"], phrases.pop("heading"))
        subs = list(phrases.values())
        return subs[0] if len(subs) == 1 else Union(subs)

    def _keyword(self, field: str, value: str) -> wq.Query:
        return keyword_query(query_field(field), value, self.meta)


def _combine(queries: list[wq.Query], *, any_of: bool) -> wq.Query | None:
    """AND (or OR) of the positive queries, minus the negated ones."""
    positive = [q for q in queries if not isinstance(q, wq.Not)]
    negative = [q.query for q in queries if isinstance(q, wq.Not)]
    coded = tuple(q for q in positive if isinstance(q, CodedTerm))
    if not any_of and len(coded) > 1:
        positive = [CodedAll(coded), *(q for q in positive if not isinstance(q, CodedTerm))]
    if not positive and not negative:
        return None
    if not positive:
        base: wq.Query = wq.Every()
    elif len(positive) == 1:
        base = positive[0]
    else:
        base = Union(positive) if any_of else Intersection(positive)
    if not negative:
        return base
    return Excluding(base, negative[0] if len(negative) == 1 else Union(negative))
