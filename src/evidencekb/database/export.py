"""The JSON export (`evidencekb.json.gz`): every claim as `ekb export --format json`
writes it, gzipped, and made a topic at a time, so that after an edit only the edited
topic's claims are written as JSON and compressed again.

A gzip file may be several gzip members one after another (RFC 1952, section 2.2),
which a decompressor that follows it reads as one stream (gzip, zcat and Python's
gzip module are tested: tests/database/test_export.py). The export is the pieces of
kb/exporter.py's `json_list`, a member each: the list's opening, each topic's claims
(`claims_run`), the separators between them and the closing; decompressed, it is
exactly `claims_json(kb, kb.claims)`. Every member is compressed the same way (one
level, no file name, no time), so the same kb gives the same bytes, whether a topic's
member was compressed now or kept.

Each topic's member is kept between builds in the user's cache folder
(`$XDG_CACHE_HOME/evidencekb/export/`), one entry per topic folder, as the search
data's analysis is (cache.TopicEntries): an edited topic replaces its entry. An entry
is used only if its format, its topic folder and the key of all that the topic's JSON
is made from are this topic's; anything else (none, changed on disk, another format's,
another shape) means making the member again. So the cache can make a build faster,
never give it other bytes.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

from evidencekb.cache import EXPORT_MEMBERS, TopicEntries
from evidencekb.kb import claims_run, json_list
from evidencekb.model import KnowledgeBase, Topic
from evidencekb.reuse import content_key
from evidencekb.verdict import summary_inputs

# gzip's default trade: level 9 takes several times the CPU for a few per cent fewer
# bytes, and the edited topic's claims are compressed again after every edit.
_LEVEL = 6


def member(text: str) -> bytes:
    """`text` as one gzip member, the same bytes every time: no file name or time."""
    return gzip.compress(text.encode("utf-8"), compresslevel=_LEVEL, mtime=0)


@dataclass(frozen=True)
class MemberCache:
    """The members kept for the topics of a kb (evidencekb/cache.py's TopicEntries),
    made by `code` (reuse.code_version)."""

    entries: TopicEntries
    code: str

    @classmethod
    def of(cls, kb_dir: Path, code: str) -> MemberCache:
        return cls(TopicEntries.of(EXPORT_MEMBERS, kb_dir), code)

    def key(self, summary: str, topic: Topic) -> str:
        """The content key of `topic`'s member: the code, the format, what the claims'
        evidence summaries read of the kb (`summary`: verdict.summary_inputs, as its
        repr) and every claim whole (all that verdict.claim_json reads of it)."""
        return content_key(self.code, EXPORT_MEMBERS.format, summary, topic.claims_key)

    def get(self, topic: Topic, key: str) -> bytes | None:
        kept = self.entries.get(topic.slug, key)
        return kept if isinstance(kept, bytes) else None

    def put(self, topic: Topic, key: str, data: bytes) -> None:
        self.entries.put(topic.slug, key, data)


def write_export(kb: KnowledgeBase, path: Path, cache: MemberCache) -> None:
    """Write the export of `kb` as `path`: each topic's member kept in `cache` where
    its key matches, else made (and kept for the next build). A topic without claims
    has no member."""
    summary = repr(summary_inputs(kb))
    runs = (_topic_member(kb, topic, summary, cache) for topic in kb.topics if topic.claims)
    with open(path, "wb") as file:
        for piece in json_list(runs):
            file.write(member(piece) if isinstance(piece, str) else piece)


def _topic_member(kb: KnowledgeBase, topic: Topic, summary: str, cache: MemberCache) -> bytes:
    key = cache.key(summary, topic)
    kept = cache.get(topic, key)
    if kept is not None:
        return kept
    made = member(claims_run(kb, topic.claims))
    cache.put(topic, key, made)
    return made
