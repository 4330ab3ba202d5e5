"""How claim text becomes search terms, and the clinical vocabulary that expands queries.

The index and the query side must analyse text identically, so both take their
analyzers from here. `Vocabulary` turns kb/'s controlled vocabularies (each
term's label, synonyms and abbreviations) into groups of equivalent token
sequences, so that "CRPS" finds "complex regional pain syndrome" and back.
The query language itself (parser and translation into whoosh queries) is in
query.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from whoosh.analysis import (
    Composable,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.lang.porter2 import stem

if TYPE_CHECKING:
    from evidencekb.model import KnowledgeBase, Term

# A hyphen or slash splits words ("N-methyl-D-aspartate", "mg/kg"); a dot
# between digits does not ("0.1").
TOKEN_PATTERN = r"\w+(\.?\w+)*"
# The same rule for the site's JavaScript (flags "gu"): Python's \w on text is a
# Unicode letter or number, or "_" (tests/site/test_search_parity.py checks that the
# two agree on every character).
JS_TOKEN_PATTERN = r"[\p{L}\p{N}_]+(?:\.?[\p{L}\p{N}_]+)*"
# Words shorter than this are not indexed or searched.
MIN_WORD_LENGTH = 2
# The full-width forms of ASCII's digits and letters, as an East Asian input method
# types them and Japanese text writes them (COVID, 6 mg): read as ASCII's, in
# claims and queries alike (`narrowed`), so that either finds the other. Full-width
# signs stay as they are: a full-width bracket typed as punctuation is none of the query
# language. The ranges (first, last) and how far each is from its ASCII character.
FULL_WIDTH_RANGES = ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
FULL_WIDTH_DISTANCE = 0xFF10 - ord("0")
_NARROW = {
    code: code - FULL_WIDTH_DISTANCE
    for first, last in FULL_WIDTH_RANGES
    for code in range(first, last + 1)
}


def narrowed(text: str) -> str:
    """`text` with each full-width digit and letter as the ASCII one (one character
    for one: offsets in it are offsets in `text`)."""
    return text.translate(_NARROW)


class NarrowingTokenizer(RegexTokenizer):
    """whoosh's RegexTokenizer over the text `narrowed`: its tokens' characters are
    where they stand in the text as written."""

    def __call__(self, value: str, **kwargs: Any) -> Iterator[Any]:
        tokens: Iterator[Any] = super().__call__(narrowed(value), **kwargs)
        return tokens


# Words that carry no weight: articles, pronouns, auxiliaries, common
# prepositions and conjunctions, and the words questions are made of ("does
# ketamine help ...", "what are the side effects of ...", "can it be taken by
# mouth"). They are never searched and never "corrected" as typos. Whoosh's
# own list, then the question and function words. "no" and
# "without" stay searchable: they change what a claim says.
STOP_WORDS: frozenset[str] = frozenset(
    (
        *("a", "an", "and", "are", "as", "at", "be", "by", "can", "for", "from", "have", "if"),
        *("in", "is", "it", "may", "not", "of", "on", "or", "tbd", "that", "the", "this", "to"),
        *("us", "we", "when", "will", "with", "yet", "you", "your"),
        # question and function words
        *("about", "am", "any", "been", "being", "could", "did", "do", "does", "done", "had"),
        *("has", "he", "her", "hers", "him", "his", "how", "i", "its", "me", "might", "must", "my"),
        *("our", "ours", "shall", "she", "should", "so", "than", "their", "theirs", "them", "then"),
        *("there", "these", "they", "those", "was", "were", "what", "where", "which", "who"),
        *("whom", "whose", "why", "would"),
    )
)


class SortedStopFilter(StopFilter):
    """whoosh's StopFilter, pickled with its stop list in sorted order.

    The index stores its schema as a pickle; a frozenset pickles in hash order,
    which changes from one process to the next and would make two builds of the
    same kb differ byte for byte.
    """

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state["stops"] = tuple(sorted(self.stops))
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        state = dict(state)
        stops = state["stops"]
        assert isinstance(stops, tuple)
        state["stops"] = frozenset(stops)
        self.__dict__.update(state)


# An abbreviation has at least ABBREVIATION_LETTERS letters and at most
# ABBREVIATION_MOST_LETTERS. A longer word in capitals is a word (KETAMINE typed with
# caps lock on, DEVELOPMENT in a shouted heading, a trial's name, RECOVERY), stemmed as
# any other, in claims and queries alike: a stemmer leaves a long acronym as it is
# (NMDAR, COVID) or takes its plural off (NSAIDS is NSAID), where a short one's last
# letter is its own (CRPS is not the plural of CRP, nor AIDS of "aid").
ABBREVIATION_LETTERS = 2
ABBREVIATION_MOST_LETTERS = 4


def letters(word: str) -> int:
    return sum(char.isalpha() for char in word)


def is_abbreviation(word: str) -> bool:
    """Whether `word` is written in capitals as an abbreviation: two to four letters,
    none of them lowercase ("CRPS", "NMDA", "IL10"; not "MgSO4", nor "KETAMINE")."""
    return word.isupper() and ABBREVIATION_LETTERS <= letters(word) <= ABBREVIATION_MOST_LETTERS


class MarkAbbreviationsFilter(Filter):
    """Notes on each token, before it is lowercased, whether it was written as
    an abbreviation (see AbbreviationKeepingStemFilter)."""

    def __call__(self, tokens: Iterator[Any]) -> Iterator[Any]:
        for token in tokens:
            # Tokenizers reuse one token object: set the mark on every token.
            token.abbreviation = is_abbreviation(token.text)
            yield token


class AbbreviationKeepingStemFilter(StemFilter):
    """Stemming with `stem`, except for words marked as abbreviations: the stemmer
    would read CRPS (complex regional pain syndrome) as the plural of CRP
    (C-reactive protein) and make them one term.

    `stem` is Porter2 (Snowball English), not whoosh's default Porter: that one
    skips a step of Porter's rule 1b, so "activated" stems to "activat" and never
    meets "activation" ("activ"), nor "hopping" (kept "hopp") "hop". The site's
    search stems query words with the same algorithm: whoosh's code ported to
    JavaScript (site/static/stem.js), tested word for word against this one."""

    def __init__(self) -> None:
        # Every word's stem kept (whoosh keeps a bounded number by default, evicting the
        # least used): a large kb has more distinct words than that, and the eviction
        # cost more than the stems it saved.
        super().__init__(stemfn=stem, cachesize=-1)

    def __call__(self, tokens: Iterator[Any]) -> Iterator[Any]:
        stem = self._stem
        for token in tokens:
            if not token.stopped and not getattr(token, "abbreviation", False):
                token.text = stem(token.text)
            yield token


def text_analyzer() -> Composable:
    """Words, lowercased, stop words dropped, stemmed: benzodiazepines and
    benzodiazepine, dose, doses and dosing, activated and activation each meet on
    one term.
    Abbreviations written in capitals are kept whole (CRPS is not CRP)."""
    return _searched_words() | AbbreviationKeepingStemFilter()


def _searched_words() -> Composable:
    """Words, abbreviations marked, lowercased, stop words dropped: how the text and
    the names analyzers begin, so that a name and the same words in a claim's text
    reach the same terms."""
    return (
        NarrowingTokenizer(TOKEN_PATTERN)
        | MarkAbbreviationsFilter()
        | LowercaseFilter()
        | SortedStopFilter(STOP_WORDS, minsize=MIN_WORD_LENGTH)
    )


# Written between the names in a claim's "terms" field; never indexed itself.
NAME_SEPARATOR = " xnamebreakx "


class NameGapFilter(Filter):
    """Drops NAME_SEPARATOR and leaves a wide gap in positions there, so that
    a phrase never matches across two names ("pain ; chronic" is no phrase)."""

    def __call__(self, tokens: Iterator[Any]) -> Iterator[Any]:
        gap = 0
        for token in tokens:
            if token.text == NAME_SEPARATOR.strip():
                gap += 100
                continue
            if token.positions:
                token.pos += gap
            yield token


def names_analyzer() -> Composable:
    """The text analyzer for a list of names joined with NAME_SEPARATOR."""
    return _searched_words() | NameGapFilter() | AbbreviationKeepingStemFilter()


def word_analyzer() -> Composable:
    """Words as written (lowercased): the dictionary that spelling corrections
    are drawn from, so that a suggestion is a real word, not a stem."""
    return NarrowingTokenizer(TOKEN_PATTERN) | LowercaseFilter()


_TEXT = text_analyzer()
_WORDS = word_analyzer()


def terms(text: str) -> tuple[str, ...]:
    """The index terms of `text`, in order."""
    return tuple(token.text for token in _TEXT(text))


def words(text: str) -> tuple[str, ...]:
    """The lowercased words of `text`, in order."""
    return tuple(token.text for token in _WORDS(text))


# A field's index terms in order, and the position of the first. That is every
# position: whoosh's stop filter gives a field's first term the place of its word
# among all the words, stop words included, and each later term the next place.
Analysed = tuple[int, tuple[str, ...]]


def analysed(analyzer: Any, text: str) -> Analysed:
    """`text` as `analyzer` indexes it."""
    found = [(token.pos, token.text) for token in analyzer(text, positions=True, mode="index")]
    return (found[0][0], tuple(term for _, term in found)) if found else (0, ())


def pooled(heading_text: str, heading: Analysed, text: Analysed) -> Analysed:
    """The terms of "body" (the heading, a line break, the text: search/index.py) from
    the heading's and the text's: no token spans the line break, so only the first
    position needs working out."""
    if heading[1]:
        return (heading[0], heading[1] + text[1])
    if text[1]:
        return (len(words(heading_text)) + text[0], text[1])  # every word, stop words too
    return (0, ())


def spans(text: str, phrases: Iterable[tuple[str, ...]]) -> list[tuple[int, int]]:
    """Character spans in `text` where one of `phrases` (term sequences) occurs,
    merged where they overlap: what a search result highlights."""
    wanted = {phrase for phrase in phrases if phrase}
    if not wanted:
        return []
    tokens = [(t.text, t.startchar, t.endchar) for t in _TEXT(text, chars=True)]
    found: list[tuple[int, int]] = []
    for i, (term, start, _) in enumerate(tokens):
        for phrase in wanted:
            if phrase[0] == term and tuple(t[0] for t in tokens[i : i + len(phrase)]) == phrase:
                end = tokens[i + len(phrase) - 1][2]
                if found and start <= found[-1][1]:
                    found[-1] = (found[-1][0], max(found[-1][1], end))
                else:
                    found.append((start, end))
    return found


@dataclass(frozen=True)
class VocabularyGroup:
    """The names of one vocabulary term, each as its index-term sequence, and the
    names of the terms narrower than it (`Term.broader`, followed all the way
    down): a query naming the term also finds those, but they do not name it."""

    kind: str  # "entity" or "category"
    id: str
    names: tuple[tuple[str, ...], ...]
    narrower: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class Vocabulary:
    groups: tuple[VocabularyGroup, ...]
    # The vocabularies' abbreviations, lowercased: a query word spelled like one,
    # in any case, means that abbreviation ("crps" is CRPS, not the plural of CRP).
    abbreviations: frozenset[str] = frozenset()

    @classmethod
    def from_kb(cls, kb: KnowledgeBase) -> Vocabulary:
        groups = _groups("entity", kb.entities) + _groups("category", kb.categories)
        abbreviations = {
            word.lower()
            for term in (*kb.entities, *kb.categories)
            for abbreviation in term.abbreviations
            for word in words(abbreviation)
            if is_abbreviation(word.upper())
        }
        expanding = (group for group in groups if len(group.names) > 1 or group.narrower)
        return cls(tuple(expanding), frozenset(abbreviations))

    def to_json(self) -> dict[str, object]:
        return {
            "groups": [
                [g.kind, g.id, [list(name) for name in g.names], [list(n) for n in g.narrower]]
                for g in self.groups
            ],
            "abbreviations": sorted(self.abbreviations),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Vocabulary:
        groups = [
            VocabularyGroup(
                kind,
                term_id,
                tuple(tuple(name) for name in names),
                tuple(tuple(name) for name in narrower),
            )
            for kind, term_id, names, narrower in data["groups"]
        ]
        return cls(tuple(groups), frozenset(data["abbreviations"]))

    def query_terms(self, text: str) -> tuple[str, ...]:
        """The index terms of a query's words, reading a word spelled like a known
        abbreviation as that abbreviation, so that it is not stemmed, and one in
        capitals that is a known abbreviation's plural ("BZDS", typed with caps lock
        on for "BZDs") as that abbreviation."""
        if self.abbreviations:
            text = re.sub(TOKEN_PATTERN, self._spelled, text)
        return terms(text)

    def _spelled(self, match: re.Match[str]) -> str:
        word = match.group()
        lower = word.lower()
        if lower in self.abbreviations:
            return word.upper()
        if is_abbreviation(word) and word.endswith("S") and lower[:-1] in self.abbreviations:
            return word[:-1]
        return word

    def longest_match(
        self, tokens: Sequence[str], start: int
    ) -> tuple[int, VocabularyGroup] | None:
        """The longest name beginning at `tokens[start]`: (its length, its group)."""
        best: tuple[int, VocabularyGroup] | None = None
        for group in self.groups:
            for name in group.names:
                size = len(name)
                if best is not None and size <= best[0]:
                    continue
                if tuple(tokens[start : start + size]) == name:
                    best = (size, group)
        return best

    def group_of(self, tokens: Sequence[str]) -> VocabularyGroup | None:
        """The group that has exactly this token sequence as one of its names."""
        key = tuple(tokens)
        for group in self.groups:
            if key in group.names:
                return group
        return None


def _groups(kind: str, vocabulary: tuple[Term, ...]) -> list[VocabularyGroup]:
    below: dict[str, list[Term]] = {term.id: [] for term in vocabulary}
    by_id = {term.id: term for term in vocabulary}
    for term in vocabulary:
        for term_id in broader_ids(term, by_id) if term.broader else ():
            below[term_id].append(term)
    groups = []
    for term in vocabulary:
        names = _analysed(term.names, [])
        narrower = _analysed([name for other in below[term.id] for name in other.names], names)
        groups.append(VocabularyGroup(kind, term.id, tuple(names), tuple(narrower)))
    return groups


def _analysed(names: Iterable[str], taken: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Each name's index terms, once, leaving out those in `taken`."""
    out: list[tuple[str, ...]] = []
    for name in names:
        analysed = terms(name)
        if analysed and analysed not in out and analysed not in taken:
            out.append(analysed)
    return out


def with_broader(ids: Iterable[str], by_id: Mapping[str, Term]) -> list[str]:
    """`ids` and, after them, the ids of every term broader than one of them, once."""
    out = list(ids)
    for term_id in list(out):
        term = by_id.get(term_id)
        if term is not None and term.broader:
            out += [other for other in broader_ids(term, by_id) if other not in out]
    return out


def broader_ids(term: Term, by_id: Mapping[str, Term]) -> tuple[str, ...]:
    """The ids of every term of `by_id` (a vocabulary by id) broader than `term`,
    nearest first; a circle (which kb/vocabulary.py refuses) ends the walk."""
    found: list[str] = []
    waiting = list(term.broader)
    while waiting:
        term_id = waiting.pop(0)
        if term_id in found or term_id == term.id or term_id not in by_id:
            continue
        found.append(term_id)
        waiting += by_id[term_id].broader
    return tuple(found)


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (adjacent transpositions count as one edit)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            cost = 0 if char_a == char_b else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]
