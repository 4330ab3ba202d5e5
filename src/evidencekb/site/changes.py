"""What's new: the latest dated changes across topics, for changes.html and changes.atom.

Every entry comes from a date in kb/: a claim's `added` and `changed`, a topic's
[[change]] log, the editorial notices on a cited work (notices.toml: a retraction, an
expression of concern). Nothing is read from the clock or from git, so the same kb/
gives the same page and feed. Entries are newest first; on one day, topic changes
first, then notices, then claims, in kb order, a work's notices of one day the latest
first by `model.notice_order` (a reinstatement above the retraction it undoes, as the
work's mark reads them). A claim's entry carries the claim, so
that the page and the feed say what its cited works found beside its text: a claim
its own cited work contradicts never reads there as fact. Each entry has an id that
never changes with what else is in kb/ (a UUID made from what the entry is: a claim's
address, or a work's DOI or PMID in its topic (its address where it has neither), the
date and kind of the event), as Atom asks of an entry's id: a work renumbered keeps
its notices' ids.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass

from evidencekb.identifiers import doi_key
from evidencekb.model import Claim, KnowledgeBase, Reference, Topic, notice_order
from evidencekb.names import NOTICE_NATURES

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
    kind: str  # "topic", "notice", "changed" or "added"
    title: str  # the claim's text, the topic's change summary, or the work's name
    href: str  # the site path of the claim, the work or the topic's change log
    topic: str  # the topic's title
    conclusions_changed: bool | None = None  # a topic change's; None for others
    claim: Claim | None = None  # a claim's entry's: its verdict is shown with it
    nature: str | None = None  # a notice's (a key of NOTICE_NATURES)
    # How many entries alike are before it (the topic's logged changes of the same day,
    # older; the work's notices of the same kind and day): the first has the id one
    # such entry always had; each later one an id of its own.
    later: int = 0
    # What the entry is of, where its address may change while it stays the same: a
    # notice's work, by the topic and the work's DOI or PMID (its number may change).
    subject: str | None = None

    @property
    def entry_id(self) -> str:
        name = f"{self.kind} {self.subject or self.href} {self.date}"
        if self.nature is not None:
            name += f" {self.nature}"
        if self.later:
            name += f" {self.later + 1}"
        return f"urn:uuid:{uuid.uuid5(_NAMESPACE, name)}"

    @property
    def updated(self) -> str:
        """The entry's date as Atom's date-time: the day's start, UTC."""
        return f"{self.date}T00:00:00Z"

    @property
    def what(self) -> str:
        if self.nature is not None:
            return NOTICE_NATURES[self.nature]
        if self.kind == "topic":
            return "Topic changed"
        return "Claim changed" if self.kind == "changed" else "Claim added"


_KIND_ORDER = {"topic": 0, "notice": 1, "changed": 2, "added": 3}
Href = Callable[[str, int], str]


def latest_changes(
    kb: KnowledgeBase,
    claim_href: Callable[[Claim], str],
    topic_href: Callable[[str], str],
    reference_href: Href,
) -> tuple[Change, ...]:
    """Every dated change in kb/, newest first; the hrefs are the site's (render.py)."""
    found: list[Change] = []
    for topic in kb.topics:
        found += _logged(topic, f"{topic_href(topic.slug)}#changes")
        found += _notices(topic, reference_href)
        for claim in topic.claims:
            for kind, date in (("changed", claim.changed), ("added", claim.added)):
                if date:
                    found.append(
                        Change(date, kind, claim.text, claim_href(claim), topic.title, claim=claim)
                    )
    order = sorted(
        range(len(found)), key=lambda i: (_descending(found[i].date), _KIND_ORDER[found[i].kind], i)
    )
    return tuple(found[i] for i in order)


def _logged(topic: Topic, href: str) -> list[Change]:
    """The topic's change log (newest first, as kept), each with how many of the
    same day's are older."""
    older = _alike_before([change.date for change in reversed(topic.changes)])[::-1]
    return [
        Change(
            change.date,
            "topic",
            change.summary,
            href,
            topic.title,
            change.conclusions_changed,
            later=later,
        )
        for change, later in zip(topic.changes, older, strict=True)
    ]


def _notices(topic: Topic, reference_href: Href) -> Iterator[Change]:
    """Each editorial notice on a work the topic cites, a work's latest first in
    `notice_order`, the one order of notices: the entries' sort by date keeps it for
    the notices of one day, which their position (in whatever order a Reference was
    given them) put a retraction above its reinstatement, as if the latest."""
    for reference in topic.references:
        name = f"reference {reference.number}"
        if reference.title:
            name += f" — {reference.title}"
        href = reference_href(topic.slug, reference.number)
        subject = _work_subject(topic.slug, reference)
        oldest_first = sorted(reference.notices, key=notice_order)
        # Counted oldest first: the first of alike notices keeps the id it always had.
        alike = _alike_before([(notice.date, notice.nature) for notice in oldest_first])
        for notice, later in reversed(list(zip(oldest_first, alike, strict=True))):
            yield Change(
                notice.date, "notice", name, href, topic.title,
                nature=notice.nature, later=later, subject=subject,
            )  # fmt: skip


def _work_subject(slug: str, reference: Reference) -> str | None:
    """A work as its notices' entries know it, whatever its number: by its DOI (without
    case) or PMID in its topic; None for a work known by its number alone."""
    if reference.doi:
        return f"{slug} doi:{doi_key(reference.doi)}"
    return f"{slug} pmid:{reference.pmid}" if reference.pmid else None


def _alike_before(keys: list[Hashable]) -> list[int]:
    """For each key, how many equal keys come before it: what tells entries alike
    apart (`Change.later`), the first of them keeping the id it always had."""
    seen: Counter[Hashable] = Counter()
    found = []
    for key in keys:
        found.append(seen[key])
        seen[key] += 1
    return found


def _descending(date: str) -> tuple[int, ...]:
    return tuple(-int(part) for part in date.split("-"))


def feed_updated(changes: tuple[Change, ...]) -> str:
    return f"{changes[0].date if changes else NO_DATE}T00:00:00Z"
