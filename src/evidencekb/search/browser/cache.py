"""Each topic's share of the search data kept between builds, so that after an edit
only the edited topic is analysed again.

Analysing the claims is most of the work of writing the search data (on the large
benchmark kb, some forty seconds of CPU), and a topic's analysis (a TopicPartial,
search/browser/analysis.py, with its claims' display rows, search/browser/rows.py)
depends on nothing but that topic, its cited works, the vocabularies, the stances and
strength scheme the rows' evidence summaries are worded by, and the code: what
search/index.py's `topic_key` hashes for the topic's index segment. The search data
itself numbers every claim across the kb, so it is written anew after any edit; its
partials are not.

One entry per topic folder, in the user's cache folder
(`$XDG_CACHE_HOME/evidencekb/search-data/`, see evidencekb/cache.py's TopicEntries): an
edited topic replaces its entry, so entries do not pile up edit after edit. Not in the
site: the site is published, and the cache would double what a build must keep. An
entry is used only if its format, its topic folder and the topic's key (the code's
version in it) are this topic's; anything else (none, truncated, corrupt, another
format's, one that names a class) means analysing the topic again. So the cache can
make a build faster, never give it other bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from evidencekb.cache import SEARCH_PARTIALS, TopicEntries
from evidencekb.model import KnowledgeBase, Topic
from evidencekb.search.browser.analysis import Analysers, TopicPartial, analyse_documents
from evidencekb.search.browser.rows import row_tail
from evidencekb.search.index import topic_documents, topic_key, vocabulary_key


@dataclass(frozen=True)
class TopicCache:
    """The partials kept for the topics of a kb (evidencekb/cache.py's TopicEntries),
    made by `code` (reuse.code_version)."""

    entries: TopicEntries
    code: str

    @classmethod
    def of(cls, kb_dir: Path, code: str) -> TopicCache:
        return cls(TopicEntries.of(SEARCH_PARTIALS, kb_dir), code)

    def get(self, topic: Topic, key: str) -> TopicPartial | None:
        """The partial kept for `topic`'s folder, if it was made for `key` (topic_key)."""
        kept = self.entries.get(topic.slug, key)
        return None if kept is None else TopicPartial.from_plain(kept)

    def put(self, topic: Topic, key: str, partial: TopicPartial) -> None:
        self.entries.put(topic.slug, key, partial.to_plain())


def topic_partials(kb: KnowledgeBase, cache: TopicCache | None) -> Iterator[TopicPartial]:
    """Each topic's partial in kb order: kept in `cache` where its key matches, else
    analysed (and kept for the next build)."""
    tools = Analysers()
    vocabulary = vocabulary_key(kb) if cache else ""
    for topic in kb.topics:
        if cache is None:
            yield analyse_topic(kb, topic, tools)
            continue
        key = topic_key(cache.code, vocabulary, topic)
        kept = cache.get(topic, key)
        if kept is not None:
            yield kept
            continue
        partial = analyse_topic(kb, topic, tools)
        cache.put(topic, key, partial)
        yield partial


def analyse_topic(kb: KnowledgeBase, topic: Topic, tools: Analysers) -> TopicPartial:
    """The search data of `topic`'s claims, numbered from 0, with their display rows."""
    claims = topic.claims
    return analyse_documents(
        topic_documents(kb, topic), tools, lambda doc, lit: row_tail(kb, claims[doc], lit)
    )
