"""The content key of each page, made from what its template is given and reads, so
that the next build keeps the pages whose key did not change (see evidencekb/reuse.py).

A page is rendered from its template, its variables and the globals of the Jinja
environment (render.py). Every global is declared once in `PAGE_INPUTS` by what a
page that reads it depends on:
- `CODE`: its answers depend on its arguments and the code only (addresses, labels,
  the citation formatter, Markdown);
- `Site`: a value of the whole kb that every page may name (the strength scheme,
  the vocabularies, the stances, each topic's heading), in the site-wide key;
- `Lookup`: a look-up of the site-wide tables; it says what its answers to a page
  are made from, given the page's variables, for what the page's templates ask it
  about: the page's own claim or topic (the claims an entity's window holds, the
  other claims of curated relations, the topic's references, ...);
- `WHOLE`: it reads all of kb/ (the home page's counts): a page that reads it is
  rendered every time.
An object global (`kb`, `lookups`, `evidence`) is declared attribute by attribute.
A claim's page is given what it shows of its topic (context.TopicOfClaim), not the
topic whole: the look-ups of the topic it reads say what they answer it about its
claim (`_of_claim`, `_related`, `_curated`), so that an edit of one claim renders
again its page and the pages that show it, not every page of its topic.

Which globals a template reads is found in its source, never listed by hand
(`TemplateReads`, site/templatereads.py): the names and attributes it and the templates it includes,
extends and imports name, and the macro libraries it is handed (render.py's
`bound_templates`). A page's key is then one hash of the site-wide key (the code
and every `Site` value), its path, template and variables (whole: a claim or a
topic by its full content), and what each `Lookup` its template reads answers it.
A template that starts reading a look-up changes its pages' keys by itself; one
that reads a global or an attribute `PAGE_INPUTS` does not declare stops the build
(PageKeyError), so no page can be kept stale.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import jinja2
import jinja2.defaults

from evidencekb.hashing import KEY_BYTES, content_hash, content_key
from evidencekb.model import Claim, KnowledgeBase, Reference, Term, Topic
from evidencekb.site.context import SiteLookups, TopicHeading, topic_heading
from evidencekb.site.templatereads import PageKeyError, TemplateReads

# Values from the knowledge base, alive for the whole build: hashed once each. One
# that holds others (a topic holds its claims and references) is hashed field by field,
# each of those by its digest, so that no claim is hashed twice; the others by their
# repr (a frozen dataclass's repr shows every field, nested ones too), which is quicker.
# A claim's digest is its content key, which its topic found once as it was checked
# and keeps with it (model.Topic.claim_keys): a digest of its repr too.
_SHARED = (Claim, Topic, Reference, Term, TopicHeading)  # and so TopicOfClaim
_HOLDERS = (Topic,)
_DIGEST_BYTES = KEY_BYTES
# Jinja's own globals (range, dict, ...): code.
_JINJA_GLOBALS = frozenset(jinja2.defaults.DEFAULT_NAMESPACE)


# What a page depends on by reading a global -------------------------------------

Reads = Callable[["PageKeys", Mapping[str, Any]], Iterable[bytes] | None]


@dataclass(frozen=True)
class Code:
    """Its answers depend on its arguments and the code only."""


@dataclass(frozen=True)
class Whole:
    """It reads all of kb/: a page that reads it is rendered every time."""


@dataclass(frozen=True)
class Site:
    """It shows `value(kb)`, which the site-wide key holds."""

    value: Callable[[KnowledgeBase], object]


@dataclass(frozen=True)
class Lookup:
    """`reads(keys, variables)`: the digests of what its answers to a page with these
    variables are made from; None when they cannot be told (the page is then rendered
    every time)."""

    reads: Reads


@dataclass(frozen=True)
class Attributes:
    """An object global, declared by attribute; read whole, it is `Whole`."""

    attributes: Mapping[str, Code | Whole | Site | Lookup]


CODE, WHOLE = Code(), Whole()
Input = Code | Whole | Site | Lookup | Attributes


def _in_topic(keys: PageKeys, variables: Mapping[str, Any]) -> Iterable[bytes] | None:
    """Answers about the page's topic (its references, lines, pages and stances): made
    from the topic, which its variables hold whole."""
    return [] if isinstance(variables.get("topic"), Topic) else None


def _of_reference(keys: PageKeys, variables: Mapping[str, Any]) -> Iterable[bytes] | None:
    """Answers about one of the topic's works (what its citing claims' evidence says
    of it, what they quote of it): a reference's page holds the work and the claims
    citing it, from which they are made, and what it shows of its topic
    (context.TopicHeading), not the topic; a page that holds the topic whole has them
    too."""
    topic, reference = variables.get("topic"), variables.get("reference")
    if isinstance(topic, Topic) or (isinstance(reference, Reference) and "citing" in variables):
        return []
    return None


def _cited_works(keys: PageKeys, variables: Mapping[str, Any]) -> Iterable[bytes] | None:
    """`SiteLookups.reference`: on a claim's page, its cited works as its topic
    describes them, hashed once for the claims of a topic citing the same works; on a
    reference's page, the work it holds; on a page holding its topic, the topic's."""
    claim = variables.get("claim")
    if isinstance(claim, Claim) and not isinstance(variables.get("topic"), Topic):
        return [_cited_digest(keys, claim)]
    return _of_reference(keys, variables)


def _cited_digest(keys: PageKeys, claim: Claim) -> bytes:
    return keys.once(("cited", claim.topic, claim.citations), _cited, keys.lookups, claim)


def _of_claim(keys: PageKeys, variables: Mapping[str, Any]) -> Iterable[bytes] | None:
    """The look-ups of a claim's topic that its page asks about the claim alone:
    whether its line of the summary is kept, which page of the topic's list shows it,
    and (for its JSON-LD) its cited works as the topic describes them. The page holds
    what it shows of its topic (context.TopicOfClaim), not the topic; a page that
    holds the topic whole has every answer already. One read for all of them, as the
    page asks them all; each answer hashed once a build for the claims that share it."""
    if isinstance(variables.get("topic"), Topic):
        return []
    claim = variables.get("claim")
    if not isinstance(claim, Claim):
        return None
    lookups = keys.lookups
    place = ("place", lookups.has_source_line(claim), lookups.topic_page_of[claim.id])
    return [_cited_digest(keys, claim), keys.once(place, tuple, place)]


def _cited(lookups: SiteLookups, claim: Claim) -> tuple[Reference, ...]:
    return tuple(lookups.reference(claim.topic, number) for number in claim.citations)


def _related(keys: PageKeys, variables: Mapping[str, Any]) -> Iterable[bytes] | None:
    """`SiteLookups.related` of the page's claim (`_related_reads`), hashed once a
    build for the claims of a topic that cite the same works and name the same
    entities."""
    claim = variables.get("claim")
    if not isinstance(claim, Claim):
        return None
    shared = ("related", claim.topic, claim.citations, claim.entities)
    return [keys.once(shared, _related_reads, keys, claim)]


def _related_reads(keys: PageKeys, claim: Claim) -> object:
    """All that `SiteLookups.related` reads for the claim: the claims citing its works
    (`citing_window`), which of its entities are its topic's subjects, and the window
    of each of the others (`entity_window`)."""
    lookups, slug, works = keys.lookups, claim.topic, len(claim.citations)
    citing = tuple(lookups.citing_window(slug, number, works) for number in claim.citations)
    subjects = tuple(lookups.topic_subject(slug, entity) for entity in claim.entities)
    named = zip(claim.entities, subjects, strict=True)
    return citing, subjects, tuple(keys.entity_window(entity) for entity, sub in named if not sub)


def _curated(keys: PageKeys, variables: Mapping[str, Any]) -> Iterable[bytes] | None:
    """Curated relations (the kinds of relation are site-wide): on a topic's page, of
    the topic's claims (PageKeys.curated_reads); on a claim's page, of the claim. The
    other claims they name may stand in other topics."""
    topic = variables.get("topic")
    if isinstance(topic, Topic):
        return [keys.curated_reads(topic)]
    claim = variables.get("claim")
    if not isinstance(claim, Claim):
        return None
    if not claim.relations:  # most claims: nothing to read
        return []
    return [keys.digest(tuple(_related_by_curators(keys, (claim,))))]


def _listed(table: str) -> Lookup:
    """The claims of the page's `term` in one of SiteLookups' tables (`by_entity`...)."""

    def reads(keys: PageKeys, variables: Mapping[str, Any]) -> Iterable[bytes] | None:
        term = variables.get("term")
        if not isinstance(term, Term):
            return None
        return [keys.digest(getattr(keys.lookups, table).get(term.id, []))]

    return Lookup(reads)


# The globals whose answers depend on their arguments and the code only.
_CODE_GLOBALS = (
    "site_name", "section_titles", "sections", "reference_details", "database_name",
    "export_name", "claim_href", "topic_href", "reference_href", "source_href",
    "entity_href", "category_href", "listing_page", "grouped_by_place", "render_markdown",
    "nav_items", "feed_pages", "changes_feed", "contested_href", "stance_href",
    "stances_page", "citations", "citation_style", "identifier_links", "identifier_url",
    "identifier_link_keys", "claim_facts", "topic_facts",
)  # fmt: skip
PAGE_INPUTS: dict[str, Input] = {
    **dict.fromkeys(_CODE_GLOBALS, CODE),
    # The kb's vocabularies and strength scheme are site-wide; its topics (and so
    # its claims) are the whole kb.
    "kb": Attributes(
        {
            "strength": Site(lambda kb: kb.strength),
            "stances": Site(lambda kb: kb.stances),
            "entities": Site(lambda kb: kb.entities),
            "entity_kinds": Site(lambda kb: kb.entity_kinds),
            "categories": Site(lambda kb: kb.categories),
            "relation_kinds": Site(lambda kb: kb.relation_kinds),
            "topics": WHOLE,
        }
    ),
    "level": Site(lambda kb: kb.strength),
    "entity_by_id": Site(lambda kb: (kb.entities, kb.entity_kinds)),
    "category_by_id": Site(lambda kb: kb.categories),
    "topic_by_slug": Site(lambda kb: tuple(topic_heading(topic) for topic in kb.topics)),
    "related_claims": Lookup(_related),
    "claim_jsonld": Lookup(_of_claim),  # its cited works, whether its line is kept
    "lookups": Attributes(
        {
            "reference": Lookup(_cited_works),
            "has_source_line": Lookup(_of_claim),
            "topic_page_of": Lookup(_of_claim),
            "by_reference": Lookup(_in_topic),
            "reference_numbers": Lookup(_in_topic),
            "by_strength": WHOLE,
            "section_counts": WHOLE,
            "by_entity": _listed("by_entity"),
            "by_category": _listed("by_category"),
        }
    ),
    "evidence": Attributes(
        {
            "stance": Site(lambda kb: kb.stances),
            # A claim's evidence summary: made from the claim (which the page has)
            # with the kb's stances and strength scheme.
            "verdict": Site(lambda kb: (kb.stances, kb.strength)),
            "named": Site(lambda kb: (kb.stances, kb.strength)),  # its words and verdict
            "recorded": Lookup(_in_topic),
            "quoted": Lookup(_of_reference),
            "stance_counts": Lookup(_in_topic),
            "citing": Lookup(_of_reference),
            "has_stances": Lookup(_of_reference),
            "contested_in": Lookup(_curated),  # contested by a claim of another topic too
            "sides": Lookup(_curated),
            "relation_lines": Lookup(_curated),
        }
    ),
}


# The keys -----------------------------------------------------------------------------


class PageKeys:
    """Keys of the pages of one build, rendered with `env` (which hands every page the
    templates `bound` names: see TemplateReads)."""

    def __init__(
        self,
        kb: KnowledgeBase,
        lookups: SiteLookups,
        code: str,
        env: jinja2.Environment,
        bound: Mapping[str, tuple[str, str | None]],
    ) -> None:
        undeclared = sorted(set(env.globals) - PAGE_INPUTS.keys() - _JINJA_GLOBALS)
        if undeclared:
            raise PageKeyError(
                f"the site's templates are given {', '.join(undeclared)}, which "
                "site/pagekeys.py's PAGE_INPUTS does not declare"
            )
        self.lookups = lookups
        self.reads = TemplateReads(env, bound)
        self.claims = {claim.id: claim for claim in kb.claims}
        # id -> (the value, its digest): holding the value keeps its id from being reused.
        self._hashed: dict[int, tuple[object, bytes]] = {
            id(claim): (claim, bytes.fromhex(key))
            for topic in kb.topics
            for claim, key in zip(topic.claims, topic.claim_keys, strict=True)
        }
        self._once: dict[Hashable, bytes] = {}  # see `once`
        self._plans: dict[str, tuple[Reads, ...] | None] = {}
        self._site = content_key(code, *(repr(value(kb)) for value in _site_values())).encode()

    def key(self, path: str, template: str, variables: Mapping[str, Any]) -> str | None:
        """The page's key; None for a page that is rendered every time. One hash of
        the site-wide key, then the page's path, template and variables as `_feed`
        writes them, then the digests of what its look-ups read (all of one length,
        so the stream still reads one way)."""
        plan = self._plan(template)
        if plan is None:
            return None
        digest = content_hash()
        digest.update(self._site)
        for part in (path, template, variables):
            self._feed(digest.update, part)
        for reads in plan:
            found = reads(self, variables)
            if found is None:
                return None
            for read in found:
                digest.update(read)
        return digest.hexdigest()

    def _plan(self, template: str) -> tuple[Reads, ...] | None:
        """The look-ups the template reads, in the order of their names; None if it
        reads a `Whole` global."""
        if template not in self._plans:
            inputs = [(read, _declared(template, read)) for read in sorted(self.reads.of(template))]
            wholly = any(isinstance(declared, Whole) for _, declared in inputs)
            # Each look-up's reads once: the globals of a topic's own tables share one.
            looked_up = tuple(dict.fromkeys(d.reads for _, d in inputs if isinstance(d, Lookup)))
            self._plans[template] = None if wholly else looked_up
        return self._plans[template]

    def digest(self, value: object) -> bytes:
        if isinstance(value, _SHARED):
            return self._shared(value)
        digest = content_hash(_DIGEST_BYTES)
        self._feed(digest.update, value)
        return digest.digest()

    def _shared(self, value: object) -> bytes:
        known = self._hashed.get(id(value))
        if known is None:
            digest = content_hash(_DIGEST_BYTES)
            if isinstance(value, _HOLDERS):
                self._feed_fields(digest.update, value)
            else:
                digest.update(repr(value).encode("utf-8"))
            known = (value, digest.digest())
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
        elif isinstance(value, list | tuple):  # before the dataclasses: a quicker test
            update(f"{name}[{len(value)}:".encode())
            for element in value:
                self._feed(update, element)
        elif isinstance(value, dict):
            update(f"{name}{{{len(value)}:".encode())
            for key, element in value.items():
                self._feed(update, key)
                self._feed(update, element)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            self._feed_fields(update, value)
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
        """The digest of the other claims of the topic's claims' curated relations and
        of the kinds of relation, found once per topic: every page of the topic that
        shows them reads them."""
        return self.once(("curated", topic.slug), self._curated_of, topic)

    def _curated_of(self, topic: Topic) -> object:
        return tuple(_related_by_curators(self, topic.claims)), self.lookups.kb.relation_kinds

    def once(self, same: Hashable, answer: Callable[..., object], *arguments: Any) -> bytes:
        """The digest of `answer(*arguments)`, found once a build for `same`: a value
        that two pages share only if their answers are the same (the claims of a topic
        citing the same works share what they read of them)."""
        found = self._once.get(same)
        if found is None:
            found = self._once[same] = self.digest(answer(*arguments))
        return found

    def entity_window(self, entity: str) -> bytes:
        """The digest of `SiteLookups.entity_window`, once per entity."""
        return self.once(("window", entity), self.lookups.entity_window, entity)


def _declared(template: str, read: str) -> Code | Whole | Site | Lookup:
    """How `PAGE_INPUTS` declares the global (or object global's attribute) `read`."""
    name, _, attribute = read.partition(".")
    if name in _JINJA_GLOBALS:
        return CODE
    declared = PAGE_INPUTS[name]
    if not isinstance(declared, Attributes):
        return declared
    if not attribute:
        return WHOLE
    found = declared.attributes.get(attribute)
    if found is None:
        raise PageKeyError(
            f"template {template} reads {read}, which site/pagekeys.py's PAGE_INPUTS "
            f"does not declare: say what its answers to a page are made from"
        )
    return found


def _site_values() -> list[Callable[[KnowledgeBase], object]]:
    """Every value of the site-wide key, in the order of their names."""
    found: dict[str, Callable[[KnowledgeBase], object]] = {}
    for name, declared in PAGE_INPUTS.items():
        if isinstance(declared, Site):
            found[name] = declared.value
        elif isinstance(declared, Attributes):
            for attribute, inner in declared.attributes.items():
                if isinstance(inner, Site):
                    found[f"{name}.{attribute}"] = inner.value
    return [found[name] for name in sorted(found)]


def _related_by_curators(keys: PageKeys, claims: Iterable[Claim]) -> Iterable[Claim]:
    """The other claims of these claims' curated relations, which may stand in other
    topics: a claim's page and a contested claim's sides quote them."""
    for claim in claims:
        for relation in claim.relations:
            yield keys.claims[relation.other if relation.claim == claim.id else relation.claim]
