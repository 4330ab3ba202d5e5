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
is made from are this topic's (database/kept.py); anything else (none, changed on
disk, another format's, another shape) means making the member again. So the cache
can make a build faster, never give it other bytes.
"""

from __future__ import annotations

import gzip
from pathlib import Path

from evidencekb.database.kept import TopicWork
from evidencekb.kb import claims_run, json_list
from evidencekb.model import KnowledgeBase, Topic
from evidencekb.verdict import summary_inputs

# gzip's default trade: level 9 takes several times the CPU for a few per cent fewer
# bytes, and the edited topic's claims are compressed again after every edit.
_LEVEL = 6


def member(text: str) -> bytes:
    """`text` as one gzip member, the same bytes every time: no file name or time."""
    return gzip.compress(text.encode("utf-8"), compresslevel=_LEVEL, mtime=0)


def write_export(kb: KnowledgeBase, path: Path, cache: TopicWork) -> None:
    """Write the export of `kb` as `path`: each topic's member kept in `cache` where
    its key matches, else made (and kept for the next build). A topic without claims
    has no member."""
    summary = repr(summary_inputs(kb))
    runs = (_topic_member(kb, topic, summary, cache) for topic in kb.topics if topic.claims)
    with open(path, "wb") as file:
        for piece in json_list(runs):
            file.write(member(piece) if isinstance(piece, str) else piece)


def _topic_member(kb: KnowledgeBase, topic: Topic, summary: str, cache: TopicWork) -> bytes:
    def make() -> bytes:
        return member(claims_run(kb, topic.claims))

    return cache.made(topic, summary, make, lambda kept: isinstance(kept, bytes))
