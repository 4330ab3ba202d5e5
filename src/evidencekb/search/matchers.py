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
from whoosh.matching import NullMatcher, UnionMatcher, WrappingMatcher
from whoosh.reading import TermNotFound

from evidencekb.search.whooshext import ExcludingMatcher, phrase_matcher, tree_sum


class Phrase(wq.Phrase):
    """whoosh's Phrase, looking each word up twice in a segment (for its scorer and its
    postings) where whoosh's looks it up twice more (whether the segment has it, for
    the phrase and again for the word)."""

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        if not searcher.is_atomic():
            return super().matcher(searcher, context)  # whoosh's way, for the whole index
        postings = _postings(searcher, context, self.fieldname, self.words)
        if postings is None:
            return NullMatcher()
        matcher = phrase_matcher(postings, self.slop)
        return matcher if self.boost == 1.0 else WrappingMatcher(matcher, boost=self.boost)


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
    weighting = searcher.weighting if context is None else context.weighting
    reader = searcher.reader()
    postings = []
    for word in words:
        text = field.to_bytes(word)
        try:
            scorer = weighting.scorer(searcher, fieldname, text)
            postings.append(reader.postings(fieldname, text, scorer=scorer))
        except TermNotFound:
            return None
    return postings


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
        for m in self.postings:
            if m.is_active() and m.id() < docnum:
                m.skip_to(docnum)
            if not m.is_active() or m.id() != docnum:
                return None
        if len(self.postings) > 1 and not self._side_by_side():
            return None
        score = tree_sum([m.score() for m in self.postings])
        return score if self.boost == 1.0 else score * self.boost

    def _side_by_side(self) -> bool:
        first, *rest = (m.value_as("positions") for m in self.postings)
        later = [set(positions) for positions in rest]
        return any(all(p + i in s for i, s in enumerate(later, 1)) for p in first)


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
