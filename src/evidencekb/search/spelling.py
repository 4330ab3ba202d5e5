"""Spelling correction: a query word found nowhere becomes the closest indexed word.

A word is left alone when it is short (under MIN_WORD letters), not purely
letters, a stop word (it has no index term: a question or function word is
not a typo, "does" is not "doses"), a known abbreviation (one letter off, an abbreviation names
something else: CRPS is not CRP), indexed already, or a vocabulary name.
A suggestion shares the word's first letter and is at most one edit away (two
for words of LONG_WORD letters or more); the fewest edits win, then the word
in most claims. The engine offers the corrected query only when it finds more
than the query as typed. The site's search-core.js follows the same rule with
these numbers, which the build writes into its data.
"""

from __future__ import annotations

import re
from typing import Any

from evidencekb.search.analysis import (
    TOKEN_PATTERN,
    Vocabulary,
    edit_distance,
    is_abbreviation,
)
from evidencekb.search.index import TEXT_FIELDS
from evidencekb.search.query import Node, Quoted, word_nodes

MIN_WORD = 4
LONG_WORD = 6


def corrected_query(query: str, tree: Node, searcher: Any, vocabulary: Vocabulary) -> str | None:
    """The query with each unknown word replaced by its closest indexed word."""
    reader = searcher.reader()
    edits: list[tuple[int, int, str]] = []
    for node in word_nodes(tree):
        # The word alone: a sign typed against it ("ketamime?", "ketamime,") stays.
        found = None if isinstance(node, Quoted) else _only_word(node.text)
        if found is None:
            continue
        word = found.group()
        tokens = vocabulary.query_terms(word)  # a known abbreviation in any case: unstemmed
        if len(word) < MIN_WORD or not word.isalpha() or len(tokens) != 1:
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
            edits.append((node.start + found.start(), node.start + found.end(), suggestion))
    if not edits:
        return None
    for start, end, replacement in sorted(edits, reverse=True):
        query = query[:start] + replacement + query[end:]
    return query


def _only_word(text: str) -> re.Match[str] | None:
    """The one word of a query word's text (TOKEN_PATTERN), or None if it has more
    or none."""
    found = list(re.finditer(TOKEN_PATTERN, text))
    return found[0] if len(found) == 1 else None


def _suggest(reader: Any, word: str) -> str | None:
    """The closest word in the index (fewest edits, then most claims: a word's
    frequency in "words" is how many claims hold it, see segments.with_words)."""
    for maxdist in (1, 2) if len(word) >= LONG_WORD else (1,):
        candidates: list[str] = [
            c for c in reader.terms_within("words", word, maxdist, prefix=1) if c != word
        ]
        if candidates:
            return min(
                candidates,
                key=lambda c: (edit_distance(word, c), -reader.frequency("words", c), c),
            )
    return None
