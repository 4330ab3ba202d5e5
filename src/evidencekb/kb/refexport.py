"""References and claims for other tools: CSL-JSON, RIS, BibTeX and a FHIR R5 Bundle.

Only described references are written (a bare number says nothing a reference
manager could use). Each work is named `<topic>-<number>`, the CSL-JSON item
id, RIS ID and BibTeX key alike, so `ekb refs import` matches a file written
here back to its numbers. Output depends only on the knowledge base.
"""

from __future__ import annotations

import json
from typing import Any

from evidencekb.kb.bibliography import DOI_ORG, PUBMED, identifier_url
from evidencekb.kb.tables import stable_id
from evidencekb.model import Claim, KnowledgeBase, Notice, Reference, Topic
from evidencekb.registry import (
    FHIR_CLASSIFICATION_SYSTEM,
    FHIR_CLASSIFICATION_TYPES,
    named_in,
)
from evidencekb.verdict import verdict

# Reference type -> (CSL type, RIS type, BibTeX entry type).
_TYPES = {
    "journal-article": ("article-journal", "JOUR", "article"),
    "review": ("article-journal", "JOUR", "article"),
    "guideline": ("report", "RPRT", "report"),
    "book": ("book", "BOOK", "book"),
    "web-page": ("webpage", "ELEC", "online"),
    "other": ("article", "GEN", "misc"),
}
# A reference with no type but a journal is an article in it.
_DEFAULT_TYPE = {True: "journal-article", False: "other"}
FHIR_CERTAINTY = "http://terminology.hl7.org/CodeSystem/certainty-rating"
FHIR_IDENTIFIERS = {
    "doi": DOI_ORG,
    "pmid": PUBMED,
    "pmcid": "https://www.ncbi.nlm.nih.gov/pmc",  # an identifier system, not a page address
}
# Strength labels that are FHIR certainty ratings; "not-stated" is not one.
_RATED = ("high", "moderate", "low", "very-low")


def work_id(reference: Reference) -> str:
    return f"{reference.topic}-{reference.number}"


# FHIR's `id` is at most 64 of [A-Za-z0-9.-] (R5, the id datatype), which a strict
# server enforces. A claim id or a work's name is made of those, but its topic's slug
# may run to 100 characters: a longer name is cut and ended by a hash of it whole, which
# keeps ids apart, and the resource keeps the name whole as its identifier.
FHIR_ID_LENGTH = 64
_FHIR_ID_HASH = 16  # hex digits


def fhir_id(name: str) -> str:
    if len(name) <= FHIR_ID_LENGTH:
        return name
    return stable_id(name[: FHIR_ID_LENGTH - _FHIR_ID_HASH - 1], name, _FHIR_ID_HASH)


def _named(resource: dict[str, Any], name: str) -> dict[str, Any]:
    """`resource` with its FHIR id made from `name`, and `name` whole as an identifier
    where the id had to be cut."""
    named: dict[str, Any] = {"resourceType": resource["resourceType"], "id": fhir_id(name)}
    if named["id"] != name:
        named["identifier"] = [{"value": name}]
    return named | resource  # in that order: the type, the id, then the rest


def split_author(name: str) -> tuple[str, str]:
    """'Guyatt GH' -> ('Guyatt', 'G. H.'); a name without initials -> (name, '')."""
    family, _, last = name.rpartition(" ")
    if family and last.isupper() and last.isalpha() and len(last) <= 3:
        return family, " ".join(f"{initial}." for initial in last)
    return name, ""


def _type(reference: Reference) -> tuple[str, str, str]:
    kind = reference.type or _DEFAULT_TYPE[reference.journal is not None]
    if kind == "guideline" and reference.journal:
        # A guideline a journal published is cited as an article of that journal: as a
        # report, CSL styles would leave the journal, volume and issue out.
        kind = "journal-article"
    return _TYPES[kind]


def _as_in(reference: Reference, format_name: str, choices: bool) -> dict[str, str | None]:
    """The fields of choices (or, not `choices`, the texts) the format names
    (registry.named_in), by its names, each as the format holds it (a choice by its
    words, `ReferenceField.interchanged`). Each format writes its texts, then the
    rest of the record, then its choices: a record as written before they were
    declared keeps its order."""
    return {
        name: f.interchanged(getattr(reference, f.name))
        for f, name in named_in(format_name)
        if bool(f.choices) == choices
    }


def described(topics: tuple[Topic, ...]) -> list[Reference]:
    return [r for topic in topics for r in topic.references if r.is_described]


# -- CSL-JSON -------------------------------------------------------------------


def csl_item(reference: Reference, choices: bool = False) -> dict[str, Any]:
    """The work as a CSL-JSON item; with `choices`, its fields of choices too (its
    designs as CSL's genre), which the export writes and the site's citations leave
    out (the style would print a genre after the title, "[Randomized controlled
    trial]", which Vancouver does not)."""
    authors = []
    for name in reference.authors:
        family, given = split_author(name)
        authors.append({"family": family, "given": given} if given else {"literal": name})
    item: dict[str, Any] = {
        "id": work_id(reference),
        "citation-number": reference.number,
        "type": _type(reference)[0],
        "title": reference.title,
        "author": authors or None,
        "issued": {"date-parts": [[reference.year]]} if reference.year else None,
        "container-title": reference.journal,
        **_as_in(reference, "csl", choices=False),
        "page": reference.pages,
        "DOI": reference.doi,
        "URL": reference.url,
        "note": reference.notes,  # with its notices: a retraction travels with it
        **(_as_in(reference, "csl", choices=True) if choices else {}),
    }
    return {key: value for key, value in item.items() if value is not None}


def csl_json(topics: tuple[Topic, ...]) -> str:
    items = [csl_item(reference, choices=True) for reference in described(topics)]
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"


# -- RIS and BibTeX -------------------------------------------------------------


def ris(topics: tuple[Topic, ...]) -> str:
    import rispy

    class Writer(rispy.RisWriter):
        def set_header(self, count: int) -> str:
            return ""  # rispy numbers records ("1.") by default; RIS has no such line

    entries = []
    for reference in described(topics):
        first, _, last = (reference.pages or "").partition("-")
        entry = {
            "type_of_reference": _type(reference)[1],
            "id": work_id(reference),
            "authors": [", ".join(filter(None, split_author(a))) for a in reference.authors],
            "title": reference.title,
            "year": str(reference.year) if reference.year else None,
            "journal_name": reference.journal,
            **_as_in(reference, "ris", choices=False),
            "start_page": first or None,
            "end_page": last or None,
            "doi": reference.doi,
            "urls": [reference.url] if reference.url else None,
            **_as_in(reference, "ris", choices=True),
            "notes": _ris_notes(reference),
        }
        entries.append({key: value for key, value in entry.items() if value})
    text: str = rispy.dumps(entries, implementation=Writer)
    return text


def _ris_notes(reference: Reference) -> list[str]:
    """The lines of a work's RIS note: its PMID and PMCID, which RIS has no tag for, as
    Zotero writes them ("PMID: 18436948", read back by `ekb refs import`), then its
    own notes."""
    from evidencekb.kb.refmanager import NOTE_IDS, note_line

    ids = [note_line(key, getattr(reference, key)) for key in NOTE_IDS if getattr(reference, key)]
    return ids + (reference.notes.splitlines() if reference.notes else [])


def bibtex(topics: tuple[Topic, ...]) -> str:
    from bibtexparser.entrypoint import write_string
    from bibtexparser.library import Library
    from bibtexparser.model import Entry, Field

    from evidencekb.kb.bibtex import escape, name, title

    library = Library()
    for reference in described(topics):
        values = {
            "author": " and ".join(name(*split_author(a)) for a in reference.authors),
            "title": title(reference.title or ""),
            "journal": escape(reference.journal or ""),
            "year": str(reference.year) if reference.year else None,
            **_escaped(_as_in(reference, "bibtex", choices=False)),
            "pages": "--".join(escape(page) for page in (reference.pages or "").split("-")),
            # Printed verbatim by BibTeX styles: only a brace could end the value early.
            "doi": _verbatim(reference.doi),
            "url": _verbatim(reference.url),
            "note": escape(_one_line(reference.notes or "")),
            **_escaped(_as_in(reference, "bibtex", choices=True)),
        }
        # write_string encloses each value in braces itself.
        fields = [Field(key, value) for key, value in values.items() if value]
        library.add(Entry(_type(reference)[2], work_id(reference), fields))
    text: str = write_string(library)
    return text


def _escaped(values: dict[str, str | None]) -> dict[str, str]:
    from evidencekb.kb.bibtex import escape

    return {name: escape(value or "") for name, value in values.items()}


def _one_line(text: str) -> str:
    """Lines as sentences of one line (BibTeX's note): each ended by its own stop."""
    return " ".join(
        line if line.endswith((".", "!", "?")) else f"{line}." for line in text.splitlines()
    )


def _verbatim(value: str | None) -> str | None:
    """A DOI or URL as BibTeX prints it, as written: percent-encoded braces (the same
    address) are the only change."""
    return value.replace("{", "%7B").replace("}", "%7D") if value else None


# -- FHIR R5 --------------------------------------------------------------------


def fhir_bundle(kb: KnowledgeBase, topics: tuple[Topic, ...]) -> str:
    """A collection Bundle: a Citation per described reference, an Evidence per claim."""
    entries = [{"resource": fhir_citation(reference)} for reference in described(topics)]
    cited = {work_id(reference) for reference in described(topics)}
    for topic in topics:
        entries += [{"resource": fhir_evidence(kb, claim, cited)} for claim in topic.claims]
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": entries}
    return json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"


def fhir_citation(reference: Reference) -> dict[str, Any]:
    identifiers = [
        {"system": system, "value": getattr(reference, key)}
        for key, system in FHIR_IDENTIFIERS.items()
        if getattr(reference, key)
    ]
    form: dict[str, Any] = {
        "publishedIn": {"title": reference.journal} if reference.journal else None,
        "volume": reference.volume,
        "issue": reference.issue,
        "articleDate": str(reference.year) if reference.year else None,
        "pageString": reference.pages,
    }
    artifact: dict[str, Any] = {
        "identifier": identifiers or None,
        "title": [{"text": reference.title}] if reference.title else None,
        "webLocation": [{"url": reference.url}] if reference.url else None,
        "publicationForm": [_compact(form)] if _compact(form) else None,
        "contributorship": {
            "entry": [
                {"contributor": {"display": name}, "rankingOrder": rank}
                for rank, name in enumerate(reference.authors, start=1)
            ]
        }
        if reference.authors
        else None,
        "relatesTo": [_notice_link(notice) for notice in reference.notices] or None,
        "classification": _classifications(reference) or None,
    }
    citation = {
        "resourceType": "Citation",
        "status": "active",
        "title": reference.title,
        "summary": [{"text": reference.citation_text}] if reference.citation_text else None,
        "citedArtifact": _compact(artifact),
    }
    return _named(_compact(citation), work_id(reference))


def _classifications(reference: Reference) -> list[dict[str, Any]]:
    """The work classified by each field the registry names in FHIR (its designs as the
    publication type), a classifier each of its values in words. R5 binds the
    classifier to an example value set only, and MEDLINE's publication types have no
    code system of their own there: each is given as text, no code made up."""
    found = []
    for field, code in named_in("fhir"):
        items = field.interchanged_items(getattr(reference, field.name))
        if items:
            kind = {"system": FHIR_CLASSIFICATION_SYSTEM, "code": code}
            kind["display"] = FHIR_CLASSIFICATION_TYPES[code]
            found.append({"type": {"coding": [kind]}, "classifier": [{"text": i} for i in items]})
    return found


# An editorial notice's nature -> FHIR R5's related-artifact-type-all code for the
# notice as seen from the work: R5 has codes for a retraction and a correction; an
# expression of concern or a reinstatement is a comment on the work, its classifier
# saying which.
FHIR_NOTICE_TYPES = {
    "retraction": "retracted-by",
    "correction": "correction-in",
    "expression-of-concern": "comment-in",
    "reinstatement": "comment-in",
}


def _notice_link(notice: Notice) -> dict[str, Any]:
    link: dict[str, Any] = {
        "type": FHIR_NOTICE_TYPES[notice.nature],
        "classifier": [{"text": notice.nature_label}],
        "label": notice.date,
        "display": f"{notice.nature_label}, {notice.date}",
        "citation": "; ".join(notice.reasons) or None,
        "document": {"url": identifier_url("doi", notice.doi)} if notice.doi else None,
    }
    if notice.doi is None and notice.pmid:
        link["document"] = {"url": identifier_url("pmid", notice.pmid)}
    return _compact(link)


def fhir_evidence(kb: KnowledgeBase, claim: Claim, cited: set[str]) -> dict[str, Any]:
    certainty: dict[str, Any] = {"note": [{"text": claim.strength_basis}]}
    if claim.strength in _RATED:
        certainty["rating"] = {
            "coding": [
                {
                    "system": FHIR_CERTAINTY,
                    "code": claim.strength,
                    "display": kb.strength.level(claim.strength).title,
                }
            ]
        }
    else:
        certainty["description"] = kb.strength.level(claim.strength).definition
    found = verdict(claim, kb.stances, kb.strength)
    evidence = {
        "resourceType": "Evidence",
        "status": "active",
        # When its meaning last changed (else was added), and its topic's last review:
        # dates from kb/, never the export's.
        "date": claim.last_dated,
        "lastReviewDate": kb.topic(claim.topic).last_reviewed,
        # The name a list of resources shows: led by what its cited works found when a
        # reader must not miss it, as the site names such a claim (EvidenceIndex.named).
        "title": found.lead + claim.text,
        # The evidence summary, as every page shows it beside the claim.
        "description": found.text,
        "assertion": claim.text,
        # FHIR requires a variable; the summary defines none, and none is guessed.
        "variableDefinition": [
            {
                "description": "The source summary does not define this claim's variables.",
                "variableRole": {"text": "not stated by the source"},
            }
        ],
        "certainty": [certainty],
        "relatedArtifact": [
            _cited_work(kb, f"{claim.topic}-{item.citation}", item.stance, cited)
            for item in claim.citation_evidence
        ]
        or None,
        "note": [
            {"text": f"Topic: {claim.topic}; source line {claim.source_line}."},
            # What every page shows beside the claim: what its cited works found (a
            # curator's contradiction, a retraction), so that it never reads as fact here.
            {"text": f"Evidence: {found.text}"},
            *_quotation_notes(kb, claim),
        ],
    }
    return _named(_compact(evidence), claim.id)


def _quotation_notes(kb: KnowledgeBase, claim: Claim) -> list[dict[str, str]]:
    """Each quotation that shows a cited work's stance, verbatim, a note each: R5's
    RelatedArtifact has no element for a work's own words (they were left out of the
    Bundle), and a note names the work, its stance and the sentence as the JSON export
    does (numbered from 0)."""
    return [
        {
            "text": f"Reference {item.citation} ({kb.stance(item.stance).label}), sentence "
            f'{quote.sentence} (numbered from 0): "{quote.text}"'
        }
        for item in claim.citation_evidence
        for quote in item.quotes
    ]


def _cited_work(kb: KnowledgeBase, work: str, stance: str, cited: set[str]) -> dict[str, Any]:
    """A `cites` link to one cited work, its stance towards the claim as a classifier.

    R5's Evidence has no element for what a cited work says of its assertion (`relatesTo`
    arrives in R6) and no code system of stances: RelatedArtifact.classifier (an example
    binding, so any concept may stand there) carries the stance of kb/stance.toml, its
    id as the code and its label as the display and text. The coding names no system:
    the knowledge base has no canonical address to name one by, and none is made up.
    """
    term = kb.stance(stance)
    link: dict[str, Any] = {
        "type": "cites",
        "classifier": [{"coding": [{"code": term.id, "display": term.label}], "text": term.label}],
    }
    if work in cited:
        return {**link, "resourceReference": {"reference": f"Citation/{fhir_id(work)}"}}
    return {**link, "label": work, "display": f"Reference {work}: number only"}


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}
