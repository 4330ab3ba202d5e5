"""What's new: the latest dated changes across topics, for changes.html and changes.atom.

Every entry comes from a date in kb/: a claim's `added` and `changed`, a topic's
[[change]] log. Nothing is read from the clock or from git, so the same kb/ gives the
same page and feed. Entries are newest first; on one day, topic changes before claims,
then in kb order. Each has an id that never changes with what else is in kb/ (a UUID
made from what the entry is: a claim's id and the date and kind of the event), as
Atom asks of an entry's id.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from evidencekb.model import Claim, KnowledgeBase

# How many of the latest changes the page and the feed show.
PAGE_ENTRIES = 200
FEED_ENTRIES = 50
CHANGES_PAGE = "changes.html"
CHANGES_FEED = "changes.atom"
# The namespace of the entries' UUIDs (RFC 9562, version 5): fixed, so ids are stable.
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/evidencekb/changes")
FEED_ID = f"urn:uuid:{uuid.uuid5(_NAMESPACE, 'feed')}"
# Atom requires a feed's `updated`; with no dated change in kb/ it is this, not a clock.
NO_DATE = "1970-01-01"


@dataclass(frozen=True)
class Change:
    date: str  # ISO 8601
    kind: str  # "topic", "changed" or "added"
    title: str  # the claim's text, or the topic's change summary
    href: str  # the site path of the claim or the topic's change log
    topic: str  # the topic's title
    conclusions_changed: bool | None = None  # a topic change's; None for a claim

    @property
    def entry_id(self) -> str:
        return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{self.kind} {self.href} {self.date}')}"

    @property
    def updated(self) -> str:
        """The entry's date as Atom's date-time: the day's start, UTC."""
        return f"{self.date}T00:00:00Z"

    @property
    def what(self) -> str:
        if self.kind == "topic":
            return "Topic changed"
        return "Claim changed" if self.kind == "changed" else "Claim added"


_KIND_ORDER = {"topic": 0, "changed": 1, "added": 2}


def latest_changes(
    kb: KnowledgeBase, claim_href: Callable[[Claim], str], topic_href: Callable[[str], str]
) -> tuple[Change, ...]:
    """Every dated change in kb/, newest first; the hrefs are the site's (render.py)."""
    found: list[tuple[int, Change]] = []
    for topic in kb.topics:
        for change in topic.changes:
            href = f"{topic_href(topic.slug)}#changes"
            entry = Change(
                change.date, "topic", change.summary, href, topic.title, change.conclusions_changed
            )
            found.append((len(found), entry))
        for claim in topic.claims:
            for kind, date in (("changed", claim.changed), ("added", claim.added)):
                if date:
                    found.append(
                        (len(found), Change(date, kind, claim.text, claim_href(claim), topic.title))
                    )
    found.sort(key=lambda item: (_descending(item[1].date), _KIND_ORDER[item[1].kind], item[0]))
    return tuple(change for _, change in found)


def _descending(date: str) -> tuple[int, ...]:
    return tuple(-int(part) for part in date.split("-"))


def feed_updated(changes: tuple[Change, ...]) -> str:
    return f"{changes[0].date if changes else NO_DATE}T00:00:00Z"
