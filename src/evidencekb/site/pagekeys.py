"""The content key of each page: everything the page shows, hashed, so that the next
build keeps the pages whose key did not change (see evidencekb/reuse.py).

A page's key is made of
- the site-wide key: the code (templates, static files, modules, library versions),
  the strength scheme, the vocabularies and stances, and each topic's slug, title,
  source and citation style (every page names topics by their title);
- the page's path, template and variables, hashed whole (a claim or a topic by its
  full content, so a claim page's key changes with anything in its topic);
- what its template reads from the site-wide look-ups beyond its variables
  (`_READS`): the claims an entity or category page lists, the claims a claim page
  names in its curated relations, and for each entity a claim page's related claims
  share, what `SiteLookups.related` reads of that entity's claims (its window).

Only the templates listed in `_READS` are kept; any other page (the home page, the
indexes, the downloads page with the database's size...) is rendered every time. A
template that starts reading something new must say so here: the incremental-equals-
full test (tests/test_incremental.py) fails otherwise.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from evidencekb.model import Claim, KnowledgeBase, Reference, Term, Topic
from evidencekb.reuse import KEY_BYTES, content_key
from evidencekb.site.context import SiteLookups

# Values from the knowledge base, alive for the whole build: hashed once each. One
# that holds others (a topic holds its claims and references) is hashed field by field,
# each of those by its digest, so that no claim is hashed twice; the others by their
# repr (a frozen dataclass's repr shows every field, nested ones too), which is quicker.
_SHARED = (Claim, Topic, Reference, Term)
_HOLDERS = (Topic,)
_DIGEST_BYTES = 16


class PageKeys:
    """Keys of the pages of one build."""

    def __init__(self, kb: KnowledgeBase, lookups: SiteLookups, code: str) -> None:
        self.lookups = lookups
        self.claims = {claim.id: claim for claim in kb.claims}
        # id -> (the value, its digest): holding the value keeps its id from being reused.
        self._hashed: dict[int, tuple[object, bytes]] = {}
        self._curated: dict[str, bytes] = {}  # topic slug -> digest of its curated reads
        self._windows: dict[str, bytes] = {}  # entity id -> digest of its window
        topics = [(t.slug, t.title, t.source, t.citation_style) for t in kb.topics]
        self._site = content_key(
            code,
            repr(kb.strength),
            repr(kb.categories),
            repr(kb.entities),
            repr(kb.entity_kinds),
            repr(kb.stances),
            repr(kb.relation_kinds),
            repr(topics),
        ).encode("ascii")

    def key(self, path: str, template: str, variables: dict[str, Any]) -> str | None:
        """The page's key; None for a page that is rendered every time. One hash of
        the site-wide key, then the page's path, template and variables as `_feed`
        writes them, then the digests of its reads (all of one length, so the stream
        still reads one way)."""
        reads = _READS.get(template)
        if reads is None:
            return None
        digest = hashlib.blake2b(self._site, digest_size=KEY_BYTES)
        self._feed(digest.update, (path, template, variables))
        for read in reads(self, variables):
            digest.update(read)
        return digest.hexdigest()

    def digest(self, value: object) -> bytes:
        if isinstance(value, _SHARED):
            return self._shared(value)
        digest = hashlib.blake2b(digest_size=_DIGEST_BYTES)
        self._feed(digest.update, value)
        return digest.digest()

    def _shared(self, value: object) -> bytes:
        known = self._hashed.get(id(value))
        if known is None:
            if isinstance(value, _HOLDERS):
                digest = hashlib.blake2b(digest_size=_DIGEST_BYTES)
                self._feed_fields(digest.update, value)
                known = (value, digest.digest())
            else:
                text = repr(value).encode("utf-8")
                known = (value, hashlib.blake2b(text, digest_size=_DIGEST_BYTES).digest())
            self._hashed[id(value)] = known
        return known[1]

    def _feed(self, update: Callable[[bytes], None], value: object) -> None:
        """Write `value` into one hash as a stream that no other value writes: each
        part starts with its type and says its length or its number of parts (a
        shared value is its own fixed-length digest), so one hash a page suffices."""
        if type(value) is str:  # the commonest part (a page has several), first
            data = value.encode("utf-8")
            update(b"str:%d:" % len(data) + data)
            return
        if isinstance(value, _SHARED):
            update(b"=" + self._shared(value))
            return
        name = type(value).__qualname__
        if isinstance(value, str | int | float | bool | None):
            data = repr(value).encode("utf-8")
            update(f"{name}:{len(data)}:".encode() + data)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            self._feed_fields(update, value)
        elif isinstance(value, list | tuple):
            update(f"{name}[{len(value)}:".encode())
            for element in value:
                self._feed(update, element)
        elif isinstance(value, dict):
            update(f"{name}{{{len(value)}:".encode())
            for key, element in value.items():
                self._feed(update, key)
                self._feed(update, element)
        else:
            # Anything else by its repr; one that shows an address makes a new key
            # each build, so the page is rendered again: never a stale page.
            data = repr(value).encode("utf-8")
            update(f"{name}?{len(data)}:".encode() + data)

    def _feed_fields(self, update: Callable[[bytes], None], value: Any) -> None:
        fields = dataclasses.fields(value)
        update(f"{type(value).__qualname__}({len(fields)}:".encode())
        for item in fields:
            self._feed(update, getattr(value, item.name))

    def curated_reads(self, topic: Topic) -> bytes:
        """The digest of the other claims of the topic's claims' curated relations (see
        `_related_by_curators`), found once per topic: every page of the topic reads them."""
        found = self._curated.get(topic.slug)
        if found is None:
            found = self.digest(tuple(_related_by_curators(self, topic.claims)))
            self._curated[topic.slug] = found
        return found

    def entity_window(self, entity: str) -> bytes:
        """The digest of `SiteLookups.entity_window`, once per entity."""
        found = self._windows.get(entity)
        if found is None:
            found = self._windows[entity] = self.digest(self.lookups.entity_window(entity))
        return found


def _related_by_curators(keys: PageKeys, claims: Iterable[Claim]) -> Iterable[Claim]:
    """The other claims of these claims' curated relations, which may stand in other
    topics: a claim's page and a contested claim's sides quote them."""
    for claim in claims:
        for relation in claim.relations:
            yield keys.claims[relation.other if relation.claim == claim.id else relation.claim]


def _claim_reads(keys: PageKeys, variables: dict[str, Any]) -> Iterable[bytes]:
    """The claims its curated relations name, and its related claims' sources beyond
    its topic (`SiteLookups.related`: the claims citing a work are in the topic)."""
    claim: Claim = variables["claim"]
    yield from (keys.digest(other) for other in _related_by_curators(keys, [claim]))
    yield from (keys.entity_window(entity) for entity in claim.entities)


def _topic_reads(keys: PageKeys, variables: dict[str, Any]) -> Iterable[bytes]:
    """Everything else comes from the page's topic, which its variables hold."""
    return [keys.curated_reads(variables["topic"])]


# Template -> the digests of what its pages read beyond their variables and the
# site-wide key.
_READS: dict[str, Callable[[PageKeys, dict[str, Any]], Iterable[bytes]]] = {
    "claim.html": _claim_reads,
    "topic.html": _topic_reads,
    "source.html": _topic_reads,
    "reference.html": _topic_reads,
    "contested.html": _topic_reads,
    "entity.html": lambda keys, v: [keys.digest(keys.lookups.by_entity.get(v["term"].id, []))],
    "category.html": lambda keys, v: [keys.digest(keys.lookups.by_category.get(v["term"].id, []))],
}
