"""whoosh queries of our own, for speed: each matches and scores exactly as the whoosh
query it replaces, and makes its matchers with less work in each segment (the parts
that reach into whoosh's internals are in whooshext.py, `Union` among them).

Only the compiled query (query.py) uses them. A search of a large kb reads several
segments, and a phrase with its vocabulary's synonyms in four fields makes a dozen
phrases in each: what a segment costs to set up is what a search costs.
"""

from __future__ import annotations

from typing import Any

from whoosh import query as wq
from whoosh.matching import Matcher, NullMatcher, UnionMatcher, WrappingMatcher

from evidencekb.search.whooshext import ExcludingMatcher, tree_sum


class Phrase(wq.Phrase):
    """whoosh's Phrase (its words side by side, in order), matched by PhraseMatcher:
    each word looked up in a segment for its scorer and its postings only, where
    whoosh's looks it up twice more, and no span objects made."""

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        if not searcher.is_atomic() or self.slop != 1:
            return super().matcher(searcher, context)  # whoosh's way
        postings = _postings(searcher, context, self.fieldname, self.words)
        if postings is None:
            return NullMatcher()
        matcher = PhraseMatcher(postings)
        return matcher if self.boost == 1.0 else WrappingMatcher(matcher, boost=self.boost)


class PhraseMatcher(Matcher):
    """The claims of a segment where the words of `postings` (one matcher a word, in
    the phrase's order) stand side by side, scored as whoosh's phrase matcher scores
    them (the words' scores added in its order, `tree_sum`). whoosh's matcher finds
    the same claims through a tree of intersections and a span object for every
    position of every word; this one compares the words' positions as sets."""

    def __init__(self, postings: list[Any]) -> None:
        self._words = postings
        self._active = True
        self._settle()

    def _settle(self) -> None:
        """Move on to the first claim, from the first word's, with the phrase."""
        first = self._words[0]
        while first.is_active():
            claim = first.id()
            ahead = _catch_up(self._words[1:], claim)
            if ahead is None:
                break
            if ahead > claim:
                first.skip_to(ahead)
            elif side_by_side(self._words):
                return
            else:
                first.next()
        self._active = False

    def is_active(self) -> bool:
        return self._active

    def id(self) -> int:
        return int(self._words[0].id())

    def next(self) -> None:
        self._words[0].next()
        self._settle()

    def skip_to(self, claim: int) -> None:
        if self._active and self._words[0].id() < claim:
            self._words[0].skip_to(claim)
            self._settle()

    def score(self) -> float:
        return tree_sum([m.score() for m in self._words])

    def max_quality(self) -> float:
        return tree_sum([m.max_quality() for m in self._words]) if self._active else 0.0

    def block_quality(self) -> float:
        return self.max_quality()

    def supports_block_quality(self) -> bool:
        return False  # a block of the first word's may hold no phrase: claim by claim

    def replace(self, minquality: float = 0) -> Any:
        return self if self._active else NullMatcher()

    def copy(self) -> Any:
        return PhraseMatcher([m.copy() for m in self._words]) if self._active else NullMatcher()

    def reset(self) -> None:
        for m in self._words:
            m.reset()
        self._active = True
        self._settle()


def _catch_up(postings: list[Any], claim: int) -> int | None:
    """Move each word's postings up to `claim`: the first claim one of them is
    past it at, `claim` if all are on it, or None if one has run out."""
    for m in postings:
        if m.is_active() and m.id() < claim:
            m.skip_to(claim)
        if not m.is_active():
            return None
        if m.id() > claim:
            return int(m.id())
    return claim


def side_by_side(postings: list[Any]) -> bool:
    """Whether the words (postings on one claim) stand side by side there, in order:
    a position of the first word with each next word one place further on."""
    first, *rest = (m.value_as("positions") for m in postings)
    later = [set(positions) for positions in rest]
    return any(all(p + i in s for i, s in enumerate(later, 1)) for p in first)


class Within(wq.AndMaybe):
    """`outer` OR `inner`, where `inner` is a phrase that can only match a claim that
    `outer` matches too: the same phrase in "heading" where `outer` is in "body" (the
    heading followed by the text). The claims are `outer`'s, and where `inner` also
    matches, its score is added, as an Or adds it. But `inner` is looked at only on
    `outer`'s claims, never walked through the segment on its own (whoosh's phrase
    matcher does that as it is made, to find its first match)."""

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        outer = self.a.matcher(searcher, context)
        inner = self.b
        if not searcher.is_atomic():
            return UnionMatcher(outer, inner.matcher(searcher, context))
        if not outer.is_active():
            return outer
        postings = _postings(searcher, context, inner.fieldname, inner.words)
        if postings is None:
            return outer
        return _WithinMatcher(outer, _PhraseAt(postings, inner.boost))


def _postings(searcher: Any, context: Any, fieldname: str, words: list[str]) -> list[Any] | None:
    """A segment's scored postings of each word in a field, or None if one is missing."""
    if fieldname not in searcher.schema:
        return None
    field = searcher.schema[fieldname]
    # A part of a query that only excludes claims is matched without scores
    # (whoosh's boolean context has no weighting); its postings are read as whoosh
    # reads them then, with the searcher's.
    weighting = getattr(context, "weighting", None) or searcher.weighting
    reader = searcher.reader()
    texts = [field.to_bytes(word) for word in words]
    # Every word there first (a look-up the segment remembers: whooshext.remember_terms),
    # before any scorer is made or block of postings read.
    if not all((fieldname, text) in reader for text in texts):
        return None
    return [
        reader.postings(fieldname, text, scorer=weighting.scorer(searcher, fieldname, text))
        for text in texts
    ]


class _PhraseAt:
    """A phrase looked at claim by claim, in increasing order: its words' postings move
    forward to the claim asked about, and whether the words stand side by side there
    is read from their positions, as whoosh's phrase matcher reads it."""

    def __init__(self, postings: list[Any], boost: float) -> None:
        self.postings = postings
        self.boost = boost
        # The most the phrase can add to a claim's score, for whoosh's pruning.
        self.max_score = tree_sum([m.max_quality() for m in postings]) * boost

    def copy(self) -> _PhraseAt:
        return _PhraseAt([m.copy() for m in self.postings], self.boost)

    def reset(self) -> None:
        for m in self.postings:
            m.reset()

    def score_at(self, docnum: int) -> float | None:
        """The phrase's score in claim `docnum`, or None if it is not there."""
        if _catch_up(self.postings, docnum) != docnum:
            return None
        if len(self.postings) > 1 and not side_by_side(self.postings):
            return None
        score = tree_sum([m.score() for m in self.postings])
        return score if self.boost == 1.0 else score * self.boost


class _WithinMatcher(WrappingMatcher):
    """`outer`'s matcher, with the inner phrase's score added where it is present."""

    def __init__(self, child: Any, inner: _PhraseAt) -> None:
        super().__init__(child)
        self.inner = inner

    def copy(self) -> _WithinMatcher:
        return _WithinMatcher(self.child.copy(), self.inner.copy())

    def reset(self) -> None:
        self.child.reset()
        self.inner.reset()

    # whoosh prunes a matcher that cannot reach the score a search's top results need
    # (`replace`, `max_quality`): the inner phrase may add up to its best score.
    def replace(self, minquality: float = 0) -> Any:
        child = self.child.replace(max(minquality - self.inner.max_score, 0))
        if not child.is_active():
            return NullMatcher()
        return self if child is self.child else _WithinMatcher(child, self.inner)

    def max_quality(self) -> float:
        return float(self.child.max_quality()) + self.inner.max_score

    def block_quality(self) -> float:
        return float(self.child.block_quality()) + self.inner.max_score

    def supports_block_quality(self) -> bool:
        # Skipping a block by quality moves the child alone: keep to claim by claim.
        return False

    def score(self) -> float:
        score: float = self.child.score()
        inner = self.inner.score_at(self.child.id())
        return score if inner is None else score + inner


class Excluding(wq.AndNot):
    """a ANDNOT b, with whooshext.ExcludingMatcher."""

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        scored = self.a.matcher(searcher, context)
        excluded = self.b.matcher(searcher, searcher.boolean_context())
        return ExcludingMatcher(scored, excluded)
