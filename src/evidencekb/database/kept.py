"""Work made from one topic's claims with their evidence summaries, kept a topic at a
time between builds in the user's cache folder (cache.TopicEntries): a topic's share
of the JSON export (export.py), its claims' verdicts for the database (tables.py).
After an edit only the edited topic's is made again.

An entry is used only for the key of all it is made from: the code, its kind's format,
what the claims' evidence summaries read of the kb (verdict.summary_inputs) and the
topic's claims whole (all that a claim's JSON or verdict reads of it); and only if it
is what its kind holds. Anything else means making it again, so the cache can make a
build faster, never give it other bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar, cast

from evidencekb.cache import CacheKind, PickledEntries, TopicEntries
from evidencekb.hashing import content_key
from evidencekb.model import Topic

T = TypeVar("T")


@dataclass(frozen=True)
class TopicWork:
    """The entries of one kind for the topics of a kb, made by `code` (reuse.code_version)."""

    entries: TopicEntries
    code: str

    @classmethod
    def of(cls, kind: CacheKind, kb_dir: Path, code: str) -> TopicWork:
        return cls(TopicEntries.of(kind, kb_dir), code)

    @classmethod
    def unkept(cls, kind: CacheKind) -> TopicWork:
        """None kept: for work made without a kb folder."""
        return cls(TopicEntries(kind, Path("/"), PickledEntries(None)), "")

    def key(self, summary: str, topic: Topic) -> str:
        """The content key of `topic`'s work; `summary`: the repr of
        verdict.summary_inputs(kb)."""
        return content_key(self.code, self.entries.kind.format, summary, topic.claims_key)

    def get(self, topic: Topic, key: str) -> object | None:
        """What the topic's entry holds, if it was kept for `key`."""
        return self.entries.get(topic.slug, key)

    def made(
        self, topic: Topic, summary: str, make: Callable[[], T], fits: Callable[[object], bool]
    ) -> T:
        """`topic`'s work: kept, if its entry for this key `fits`, else made and kept."""
        key = self.key(summary, topic)
        kept = self.get(topic, key)
        if kept is not None and fits(kept):
            return cast("T", kept)
        made = make()
        self.entries.put(topic.slug, key, made)
        return made
