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
  names in its curated relations.

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
from evidencekb.reuse import content_key
from evidencekb.site.context import SiteLookups

# Values from the knowledge base, alive for the whole build: hashed once each.
_SHARED = (Claim, Topic, Reference, Term)


class PageKeys:
    """Keys of the pages of one build."""

    def __init__(self, kb: KnowledgeBase, lookups: SiteLookups, code: str) -> None:
        self.lookups = lookups
        self.claims = {claim.id: claim for claim in kb.claims}
        # id -> (the value, its digest): holding the value keeps its id from being reused.
        self._hashed: dict[int, tuple[object, bytes]] = {}
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
        )

    def key(self, path: str, template: str, variables: dict[str, Any]) -> str | None:
        """The page's key; None for a page that is rendered every time."""
        reads = _READS.get(template)
        if reads is None:
            return None
        extra = [self._digest(value) for value in reads(self, variables)]
        return content_key(self._site, path, template, self._digest(variables), *extra)

    def _digest(self, value: object) -> bytes:
        if isinstance(value, _SHARED):
            known = self._hashed.get(id(value))
            if known is None:
                # repr: a frozen dataclass's repr shows every field, nested ones too.
                known = (
                    value,
                    hashlib.blake2b(repr(value).encode("utf-8"), digest_size=16).digest(),
                )
                self._hashed[id(value)] = known
            return known[1]
        digest = hashlib.blake2b(type(value).__qualname__.encode("utf-8"), digest_size=16)
        if isinstance(value, str | int | float | bool | None):
            digest.update(repr(value).encode("utf-8"))
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for item in dataclasses.fields(value):
                digest.update(self._digest(getattr(value, item.name)))
        elif isinstance(value, list | tuple):
            for element in value:
                digest.update(self._digest(element))
        elif isinstance(value, dict):
            for name, element in value.items():
                digest.update(self._digest(name) + self._digest(element))
        else:
            # Anything else by its repr; one that shows an address makes a new key
            # each build, so the page is rendered again: never a stale page.
            digest.update(repr(value).encode("utf-8"))
        return digest.digest()


def _related_by_curators(keys: PageKeys, claims: Iterable[Claim]) -> Iterable[Claim]:
    """The other claims of these claims' curated relations, which may stand in other
    topics: a claim's page and a contested claim's sides quote them."""
    for claim in claims:
        for relation in claim.relations:
            yield keys.claims[relation.other if relation.claim == claim.id else relation.claim]


def _claim_reads(keys: PageKeys, variables: dict[str, Any]) -> Iterable[Claim]:
    return _related_by_curators(keys, [variables["claim"]])


def _topic_reads(keys: PageKeys, variables: dict[str, Any]) -> Iterable[Claim]:
    """Everything else comes from the page's topic, which its variables hold."""
    return _related_by_curators(keys, variables["topic"].claims)


# Template -> what its pages read beyond their variables and the site-wide key.
_READS: dict[str, Callable[[PageKeys, dict[str, Any]], Iterable[object]]] = {
    "claim.html": _claim_reads,
    "topic.html": _topic_reads,
    "source.html": _topic_reads,
    "reference.html": _topic_reads,
    "contested.html": _topic_reads,
    "entity.html": lambda keys, v: keys.lookups.by_entity.get(v["term"].id, []),
    "category.html": lambda keys, v: keys.lookups.by_category.get(v["term"].id, []),
}
