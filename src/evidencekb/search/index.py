"""The Whoosh search index: what it holds (the schema, each claim's document and the
index's metadata) and whether it is fresh. search/writer.py writes it, in segments
(search/segments.py); the engine reads it.

Each claim is one document. Its export JSON (`Claim.to_dict()`) is stored
whole, so a search never needs to read kb/ to show a result. Beside whoosh's
own files, `evidencekb-index.json` records what queries are checked against
(sections, strength labels, topics, vocabulary) and the kb fingerprint; its
mtime is the freshness stamp (see kb/fingerprint.py).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidencekb.kb.fingerprint import still_current
from evidencekb.paths import INDEX_META_NAME
from evidencekb.reading import NotReadable, read_regular
from evidencekb.registry import QUERY_FIELDS, QueryField, allowed_values
from evidencekb.search.analysis import (
    NAME_SEPARATOR,
    Vocabulary,
    names_analyzer,
    text_analyzer,
    with_broader,
    word_analyzer,
    words,
)
from evidencekb.search.codes import encode
from evidencekb.search.fields import NAMED_TEXT_FIELDS, claim_fields, claim_texts

if TYPE_CHECKING:
    from whoosh.fields import Schema

    from evidencekb.model import Claim, KnowledgeBase, Reference, Term, Topic

# Modules only writing needs are imported where they are used: `ekb search`
# starts faster without them.

# Bump when the schema or analysis changes: an older index is then rebuilt.
# 2: abbreviations in capitals are not stemmed; 3: the vocabulary's abbreviations;
# 4: the pooled "body" field; 5: question and function words are stop words;
# 6: the cited works' and the evidence's fields (search/fields.py); 7: Porter2 stemming;
# 8: each claim's section and strength coded in the metadata; 9: the stemmer's cache
# unbounded (the schema pickles its size); 10: "words" counted once a segment;
# 11: every keyword field from the registry (design:), allowed values as one map;
# 12: the claims' dates and notices; 13: each stored claim carries its evidence
# summary (verdict.py); 14: the values a range expands to, by field
FORMAT_VERSION = 14
INDEX_NAME = "MAIN"  # whoosh's default index name: its files are MAIN_<segment>.<ext>

# Fields scored by the ranking, and the fields a plain word is looked up in.
# "body" is the heading and the text as one field: BM25 then saturates a
# word's count over both together against their joint length, as FTS5's
# bm25() does, instead of adding two separately saturated scores.
TEXT_FIELDS: tuple[str, ...] = ("body", "heading", "topic_title", "terms")
# The keyword fields with one value a claim, kept sortable (whoosh's columns).
SORTABLE_FIELDS: tuple[str, ...] = ("topic", "section", "strength")


def schema(analysed_text: Any = None) -> Schema:
    """The index's fields. `analysed_text`: the class of the fields of text that the
    text analyzer analyses, whoosh's TEXT unless given (the segment writer gives
    one that takes its values analysed already: see search/segments.py)."""
    from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema

    analyzer = text_analyzer()
    text_field = analysed_text or TEXT
    return Schema(
        id=ID(unique=True),
        claim=STORED(),  # the claim's export JSON
        text=text_field(analyzer=analyzer),
        heading=text_field(analyzer=analyzer),
        body=text_field(analyzer=analyzer),  # heading and text together, for ranking
        topic_title=text_field(analyzer=analyzer),
        terms=TEXT(analyzer=names_analyzer()),  # names of its entities and categories
        **{name: text_field(analyzer=analyzer) for name in NAMED_TEXT_FIELDS},
        # the spelling dictionary: each word once a segment (segments.with_words)
        words=TEXT(analyzer=word_analyzer(), phrase=False),
        # every keyword field of the registry: one value a claim (section, strength,
        # topic) sortable, for counts and filters; any number of values a keyword
        **{
            f.name: ID(sortable=True) if f.name in SORTABLE_FIELDS else KEYWORD()
            for f in QUERY_FIELDS
            if f.rule not in ("text", "exact")
        },
    )


@dataclass(frozen=True)
class IndexMeta:
    """What a search checks a query against, read from INDEX_META_NAME."""

    fingerprint: str
    # The allowed values of each "choice" and "term" field (registry.allowed_values):
    # id -> its names (a vocabulary term's label, synonyms, abbreviations).
    values: dict[str, dict[str, tuple[str, ...]]]
    vocabulary: Vocabulary
    # Each year and date field's values, ascending: what a range expands to (ranged_values).
    ranges: dict[str, tuple[int, ...] | tuple[str, ...]]
    # Each claim's section and strength, one character per claim (see codes.py).
    codes: dict[str, str]

    @property
    def sections(self) -> tuple[str, ...]:
        return tuple(self.values["section"])

    @property
    def strength_labels(self) -> tuple[str, ...]:
        """Strongest first."""
        return tuple(self.values["strength"])


def indexed_documents(kb: KnowledgeBase, topics: Iterable[Topic]) -> Iterator[dict[str, str]]:
    """What the index holds of the claims of `topics`, in order: their searched fields,
    and each claim's export JSON, stored whole."""
    from evidencekb.verdict import claim_json

    for topic in topics:
        for claim, document in zip(topic.claims, topic_documents(kb, topic), strict=True):
            yield document | {"claim": json.dumps(claim_json(kb, claim), ensure_ascii=False)}


def topic_documents(kb: KnowledgeBase, topic: Topic) -> Iterator[dict[str, str]]:
    """The searched fields of one topic's claims, in order: the index's documents but
    the stored claim (`indexed_documents`), and what the site's search data is made of."""
    works = {work.number: work for work in topic.references}
    entities = {term.id: term for term in kb.entities}
    for claim in topic.claims:
        names = [n for i in claim.entities for n in _names(kb.entities, i)]
        names += [n for i in claim.categories for n in _names(kb.categories, i)]
        cited = _cited_works(claim, works)
        yield {
            "id": claim.id,
            "text": claim.text,
            "heading": claim.heading or "",
            "body": f"{claim.heading or ''}\n{claim.text}",
            "topic_title": topic.title,
            "terms": NAME_SEPARATOR.join(names),
            "words": " ".join((claim.text, claim.heading or "", *names)),
            **claim_fields(_with_broader_entities(claim, entities), cited),
            **claim_texts(claim, cited),
        }


def _with_broader_entities(claim: Claim, entities: dict[str, Term]) -> Claim:
    """The claim as its keyword fields see it: entity:ketamine finds a claim about
    esketamine too (Term.broader), never the reverse."""
    expanded = with_broader(claim.entities, entities)
    if len(expanded) == len(claim.entities):
        return claim
    return dataclasses.replace(claim, entities=tuple(expanded))


@dataclass
class ClaimWords:
    """The distinct words of a claim's "words" field (`topic_documents`): what the
    spelling dictionary counts a claim for, in the index (segments.with_words) and
    in the site's search data alike. The field is the claim's text, then after a space
    its heading and names, which many claims share: no word spans a space, so that part
    is split into words once and its words joined to the text's."""

    known: dict[str, frozenset[str]] = field(default_factory=dict)

    def __call__(self, document: Mapping[str, str]) -> frozenset[str]:
        text, every = document["text"], document["words"]
        rest = every[len(text) :]
        if not every.startswith(text) or not rest.startswith(" "):
            return frozenset(words(every))
        found = self.known.get(rest)
        if found is None:
            found = self.known[rest] = frozenset(words(rest))
        return found.union(words(text))


def vocabulary_key(kb: KnowledgeBase) -> str:
    """The content key of what every topic's documents take from the vocabularies."""
    from evidencekb.hashing import content_key
    from evidencekb.verdict import summary_inputs

    # Each stored claim carries its evidence summary (verdict.py).
    return content_key(repr(kb.entities), repr(kb.categories), repr(summary_inputs(kb)))


def topic_key(code: str, vocabulary: str, topic: Topic) -> str:
    """The content key of `topic_documents(kb, topic)` and all that is made from them
    alone (its share of the site's search data; the key of the index segment that
    holds the topic is made of its topics' keys): the code
    (reuse.code_version), `vocabulary_key(kb)`, the topic's slug, title, cited works
    and claims."""
    from evidencekb.hashing import content_key

    references = repr(topic.references)
    return content_key(code, vocabulary, topic.slug, topic.title, references, topic.claims_key)


def _cited_works(claim: Claim, works: dict[int, Reference]) -> tuple[Reference, ...]:
    """The works a claim cites that its topic lists (a cited number may have no entry)."""
    return tuple(works[number] for number in claim.citations if number in works)


def index_meta(kb: KnowledgeBase, fingerprint: str) -> dict[str, object]:
    values = allowed_values(kb)
    return {
        "format": FORMAT_VERSION,
        "fields": declared_fields(),
        "fingerprint": fingerprint,
        # As [id, names] pairs: the file's keys are sorted, the values keep kb/'s order.
        "values": {
            field: [[key, names] for key, names in allowed.items()]
            for field, allowed in values.items()
        },
        "vocabulary": Vocabulary.from_kb(kb).to_json(),
        "ranges": ranged_values(kb),
        "codes": claim_codes(kb, values),
    }


def claim_codes(kb: KnowledgeBase, values: Mapping[str, Mapping[str, object]]) -> dict[str, str]:
    """Each field the registry declares `coded`, one character a claim in kb/'s order
    (codes.py): its value's place among the field's allowed `values`, the order a
    query's CodedTerm decodes it by. Every coded field, not a list of them: a query of
    one the metadata left out would find no codes to read."""
    return {
        f.name: encode((_one_value(f, claim) for claim in kb.claims), tuple(values[f.name]))
        for f in QUERY_FIELDS
        if f.coded
    }


def _one_value(field: QueryField, claim: Claim) -> str:
    """A coded field's one value of the claim (the registry codes only a choice that is
    the claim's own, never its cited works')."""
    (value,) = field.values(claim, ())
    return value


def declared_fields() -> list[list[str | bool]]:
    """Each query field of the registry with its rule and whether it is coded, which the
    index's fields, keys and codes are made from: an index made for other declarations
    is made again, as one of an older format is, though kb/ did not change (a field
    declared for values claims already have would otherwise find none, and one declared
    coded would find no codes)."""
    return [[f.name, f.rule, f.coded] for f in QUERY_FIELDS]


# The rules whose queries may name a range (year:2015..2020, changed:2026-01..), which
# expands to the values of the field that claims hold within it.
RANGED_RULES = ("year", "date")


def ranged_values(kb: KnowledgeBase) -> dict[str, list[int] | list[str]]:
    """For each query field of a RANGED_RULES rule, the values the claims hold in it,
    ascending, each once (a year as a number): what a range of it expands to. A
    field's values are its declaration's (registry.QueryField.values), the keys the
    index holds of it."""
    ranged = [f for f in QUERY_FIELDS if f.rule in RANGED_RULES]
    found: dict[str, set[str]] = {f.name: set() for f in ranged}
    for topic in kb.topics:
        works = {work.number: work for work in topic.references}
        for claim in topic.claims:
            cited = _cited_works(claim, works)
            for f in ranged:
                found[f.name].update(f.values(claim, cited))
    return {
        f.name: sorted(map(int, found[f.name])) if f.rule == "year" else sorted(found[f.name])
        for f in ranged
    }


def _names(terms: tuple[Term, ...], term_id: str) -> tuple[str, ...]:
    for term in terms:
        if term.id == term_id:
            return term.names
    return ()


def read_meta(index_dir: Path) -> IndexMeta | None:
    """The index's metadata; None if there is no usable index of this format."""
    try:
        data = json.loads(read_regular(index_dir / INDEX_META_NAME, limit=_META_LIMIT))
    except (NotReadable, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
        return None
    if data.get("fields") != declared_fields():
        return None
    try:
        return _meta(data)
    except (KeyError, TypeError, AttributeError, ValueError):
        return None  # damaged by hand: no index of this format, which a search writes anew


# The most of an index's metadata that is read: far beyond any real kb's (the large
# benchmark kb's is a few hundred kilobytes), and never all of a file put in its place.
_META_LIMIT = 64 * 1024 * 1024


def _meta(data: dict[str, Any]) -> IndexMeta:
    fingerprint = data["fingerprint"]
    if not isinstance(fingerprint, str):
        raise TypeError("fingerprint")
    return IndexMeta(
        fingerprint=fingerprint,
        values={
            field: {key: tuple(names) for key, names in pairs}
            for field, pairs in data["values"].items()
        },
        vocabulary=Vocabulary.from_json(data["vocabulary"]),
        ranges={name: tuple(values) for name, values in data["ranges"].items()},
        codes=dict(data["codes"]),
    )


def is_fresh(kb_dir: Path, index_dir: Path) -> bool:
    """Whether the index at `index_dir` was built from kb/ as it is now."""
    meta = read_meta(index_dir)
    return meta is not None and still_current(kb_dir, index_dir / INDEX_META_NAME, meta.fingerprint)
