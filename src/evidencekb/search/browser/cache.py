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

One entry per topic folder (named by a hash of its absolute path), in the user's cache
folder (`$XDG_CACHE_HOME/evidencekb/search-data/`, see evidencekb/cache.py): an edited
topic replaces its entry, so entries do not pile up edit after edit; a topic removed
leaves one entry behind, as a removed kb/ file does in the parse cache. Not in the
site: the site is published, and the cache would double what a build must keep. An
entry holds its format, its topic folder, the code and the topic's key beside the
partial, and is used only if all four match; anything else (none, truncated, corrupt,
another format's, one that names a class) means analysing the topic again. So the
cache can make a build faster, never give it other bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from evidencekb.cache import SEARCH_PARTIALS, PickledEntries, cache_folder
from evidencekb.model import KnowledgeBase, Topic
from evidencekb.paths import SEARCH_CACHE_DIRNAME, TOPICS_DIR
from evidencekb.search.browser.analysis import Analysers, TopicPartial, analyse_documents
from evidencekb.search.browser.rows import row_tail
from evidencekb.search.index import topic_documents, topic_key, vocabulary_key

# Part of every entry: an entry written in another format is not used.
_FORMAT = SEARCH_PARTIALS.format


@dataclass(frozen=True)
class TopicCache:
    """The partials kept for the topics of the kb at `kb_dir`, made by `code`
    (reuse.code_version)."""

    entries: PickledEntries
    kb_dir: Path
    code: str

    @classmethod
    def of(cls, kb_dir: Path, code: str) -> TopicCache:
        """The cache in the user's cache folder (none if it cannot be named)."""
        return cls(PickledEntries(cache_folder(SEARCH_CACHE_DIRNAME)), kb_dir.absolute(), code)

    def place(self, topic: Topic) -> str:
        return str(self.kb_dir / TOPICS_DIR / topic.slug)

    def get(self, topic: Topic) -> tuple[str, TopicPartial] | None:
        """The key and the partial kept for `topic`'s folder, if this code wrote them
        (the partial of an earlier version of the topic, if the key is not its own)."""
        kept = self.entries.read(self.place(topic))
        if not isinstance(kept, tuple) or len(kept) != 5:
            return None
        form, place, code, key, partial = kept
        if (form, place, code) != (_FORMAT, self.place(topic), self.code):
            return None
        partial = TopicPartial.from_plain(partial)
        return None if partial is None or not isinstance(key, str) else (key, partial)

    def put(self, topic: Topic, key: str, partial: TopicPartial) -> None:
        place = self.place(topic)
        self.entries.write(place, (_FORMAT, place, self.code, key, partial.to_plain()))


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
        kept = cache.get(topic)
        if kept is not None and kept[0] == key:
            yield kept[1]
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
