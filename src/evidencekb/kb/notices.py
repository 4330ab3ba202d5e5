"""notices.toml: editorial notices on the works a topic cites.

Retractions, expressions of concern, corrections and reinstatements, as Retraction
Watch records them (`ekb refs retractions` writes them; an editor may too). A file of
their own, beside references.toml, so that recording a notice never rewrites a
reference. Each `[[notice]]` names the reference number it is about; a work may have
several. Each also records the work it is on (`work_doi`, `work_pmid`), held to the
reference it is filed under, so that a notice follows its work and never a number.
Every problem is collected, each at its file and line.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from evidencekb.identifiers import doi_key, is_pmid
from evidencekb.kb.bibliography import doi_problem, pmid_problem
from evidencekb.kb.dates import date_fault
from evidencekb.kb.reader import KbReader
from evidencekb.kb.tables import Field
from evidencekb.kb.tomlfile import Located
from evidencekb.model import CitedNotice, Claim, KnowledgeBase, Notice, Reference, notice_order
from evidencekb.names import NOTICE_MARKS, NOTICE_NATURES, WARNED_MARKS

NOTICE_FIELDS = {
    "reference": Field("int"),
    "work_doi": Field("text", required=False),
    "work_pmid": Field("text", required=False),
    "nature": Field("text"),
    "date": Field("text"),
    "doi": Field("text", required=False),
    "pmid": Field("text", required=False),
    "reasons": Field("texts", required=False),
    "record_id": Field("int", required=False),
}
# notices.toml names a nature as Retraction Watch does ("Expression of concern").
NATURE_IDS = {label: key for key, label in NOTICE_NATURES.items()}


def load_notices(
    reader: KbReader, relative: str, references: tuple[Reference, ...]
) -> tuple[Reference, ...]:
    """`references` with the notices of the (optional) file `relative` attached."""
    doc = reader.read_optional(relative)
    if doc is None:
        return references
    reader.unknown_keys(doc, "", 0, doc.data, {"notice"})
    numbers = {reference.number: reference for reference in references}
    found: dict[int, list[Notice]] = defaultdict(list)
    seen: dict[tuple[int, str, str, int | None], int] = {}
    for index, row in enumerate(reader.rows(doc, "notice")):
        values = reader.fields(doc, "notice", index, row, NOTICE_FIELDS)
        if values is None or not _valid(reader, doc, index, values, numbers):
            continue
        notice = _notice(values)
        key = (values["reference"], notice.nature, notice.date, notice.record_id)
        if key in seen:
            line = doc.line("notice", seen[key], "reference")
            reader.report(
                doc, f"this notice is listed twice (first on line {line})", "notice", index
            )
            continue
        seen[key] = index
        found[values["reference"]].append(notice)
    return tuple(
        replace(r, notices=tuple(sorted(found[r.number], key=notice_order)))
        if r.number in found
        else r
        for r in references
    )


def _valid(
    reader: KbReader,
    doc: Located,
    index: int,
    values: dict[str, Any],
    numbers: dict[int, Reference],
) -> bool:
    problems: list[tuple[str, str]] = []
    if values["reference"] not in numbers:
        cited = ", ".join(map(str, sorted(numbers))) or "(none)"
        problems.append(
            ("reference", f"reference {values['reference']} is not cited; cited: {cited}")
        )
    if values["nature"] not in NATURE_IDS:
        allowed = ", ".join(f"'{label}'" for label in NATURE_IDS)
        problems.append(("nature", f"unknown nature '{values['nature']}'; allowed: {allowed}"))
    if fault := date_fault(values["date"]):
        problems.append(("date", f"date {fault}"))
    if "doi" in values and (message := doi_problem(values["doi"])):
        problems.append(("doi", message))
    if "pmid" in values and (message := pmid_problem(values["pmid"])):
        problems.append(("pmid", message))
    if values.get("record_id") is not None and values["record_id"] < 1:
        problems.append(("record_id", "record_id must be Retraction Watch's Record ID, above 0"))
    work = _work_shape(values)
    problems += work
    if not work and values["reference"] in numbers:
        problems += _work_problems(values, numbers[values["reference"]], numbers.values())
    for key, message in problems:
        reader.report(doc, message, "notice", index, key)
    return not problems


def _work_shape(values: dict[str, Any]) -> list[tuple[str, str]]:
    """The problems of the work's DOI and PMID as written (their shape)."""
    found = []
    if "work_doi" in values and (message := doi_problem(values["work_doi"], "work_doi")):
        found.append(("work_doi", message))
    if "work_pmid" in values and (message := pmid_problem(values["work_pmid"], "work_pmid")):
        found.append(("work_pmid", message))
    return found


def _work_problems(
    values: dict[str, Any], reference: Reference, references: Iterable[Reference]
) -> list[tuple[str, str]]:
    """Whether the work the notice records (work_doi, work_pmid) is the reference it is
    filed under: a notice kept by number alone went with the number when references
    were renumbered, and marked another work retracted. Each identifier both record is
    compared (a DOI without case, a PMID as a number); at least one must be, and all
    must agree (`unlike_work`, which `ekb import --replace` holds a notice to as well)."""
    number = reference.number
    if reference.doi is None and reference.pmid is None:
        return [(
            "reference",
            f"reference {number} records no doi or pmid, so a notice cannot say which work "
            "it is on (kept by number alone, it would go with the number to another work): "
            "record the work's doi or pmid in references.toml, then work_doi or work_pmid here",
        )]  # fmt: skip
    key = unlike_work(values, reference.doi, reference.pmid)  # the one rule, as replace's
    if key is None:
        return []
    given = values.get(key)
    if not isinstance(given, str):
        return [(
            "reference",
            f"the notice does not say which work it is on: add {_expected(reference)} if it "
            "is on that work (kept by number alone, a notice goes with the number to another work)",
        )]  # fmt: skip
    if _own(reference, key) is None:
        field = key.removeprefix("work_")
        return [(
            key,
            f"{key} '{given}' cannot be compared: reference {number} records no {field}; "
            f"add {_expected(reference)} if the notice is on that work, or {field} = "
            f"\"{given}\" to reference {number} in references.toml if that is its {field}",
        )]  # fmt: skip
    # One line a notice: its first identifier that names another work (the DOI first).
    return [(key, _mismatch(key, given, reference, references))]


def _own(reference: Reference, key: str) -> str | None:
    return reference.doi if key == "work_doi" else reference.pmid


def _same(key: str, given: str, own: str | None) -> bool:
    if own is None:
        return False
    if key == "work_doi":
        return doi_key(given) == doi_key(own)
    return int(given) == int(own)


def unlike_work(notice: Mapping[str, Any], doi: object, pmid: object) -> str | None:
    """The first of a notice's `work_doi` and `work_pmid` (its table's values) that does
    not name the work whose DOI and PMID are `doi` and `pmid`, as `ekb check` holds a
    notice to the reference it is filed under: at least one compared, none unlike. With
    none to compare, the first it gives; None when the notice names that work."""
    own = {"work_doi": doi, "work_pmid": pmid}
    given = [(key, notice[key]) for key in own if isinstance(notice.get(key), str)]
    compared = [(key, value) for key, value in given if isinstance(own[key], str)]
    if not compared:
        return given[0][0] if given else "work_doi"
    for key, value in compared:
        # A PMID not of digits (a broken file being replaced) is compared as written.
        shaped = key == "work_doi" or (is_pmid(value) and is_pmid(str(own[key])))
        if not (_same(key, value, str(own[key])) if shaped else value == own[key]):
            return key
    return None


def _expected(reference: Reference) -> str:
    """What a notice on `reference` records of its work, as notices.toml writes it: its
    DOI, else its PMID (one that matches is enough)."""
    if reference.doi:
        return f'work_doi = "{reference.doi}" (reference {reference.number}\'s doi)'
    return f'work_pmid = "{reference.pmid}" (reference {reference.number}\'s pmid)'


def _mismatch(key: str, given: str, reference: Reference, references: Iterable[Reference]) -> str:
    field = key.removeprefix("work_")
    other = next((r for r in references if _same(key, given, _own(r, key))), None)
    where = (
        f"that work is reference {other.number}: set reference = {other.number}"
        if other is not None
        else "the topic cites no work of that " + field + ": remove the notice, or cite its work"
    )
    return (
        f"{key} '{given}' is not reference {reference.number}'s {field} "
        f"({_own(reference, key)}): a notice stays on the work it was recorded for; {where}"
    )


def _notice(values: dict[str, Any]) -> Notice:
    return Notice(
        nature=NATURE_IDS[values["nature"]],
        date=values["date"],
        doi=values.get("doi"),
        pmid=values.get("pmid"),
        reasons=tuple(values.get("reasons") or ()),
        record_id=values.get("record_id"),
        work_doi=values.get("work_doi"),
        work_pmid=values.get("work_pmid"),
    )


def mark_claims(claims: tuple[Claim, ...], references: tuple[Reference, ...]) -> tuple[Claim, ...]:
    """`claims`, each citing a marked work given that work's mark (`Claim.notices`)."""
    marks = {r.number: r.mark for r in references if r.mark is not None}
    if not marks:
        return claims
    return tuple(
        replace(c, notices=tuple(CitedNotice(n, marks[n]) for n in c.citations if n in marks))
        if any(n in marks for n in c.citations)
        else c
        for c in claims
    )


def notice_warnings(kb: KnowledgeBase) -> list[str]:
    """One line for each claim citing a work retracted or under an expression of
    concern: what `ekb check` warns of (and `--strict` fails on)."""
    found = []
    for topic in kb.topics:
        works = {r.number: r for r in topic.references}
        for claim in topic.claims:
            for cited in claim.notices:
                if cited.mark in WARNED_MARKS:
                    work = works[cited.citation]
                    found.append(
                        f"{claim.id}: cites reference {cited.citation} of {topic.slug}, "
                        f"{_work_name(work)}: {NOTICE_MARKS[cited.mark]} "
                        f"({_latest(work, cited.mark)})"
                    )
    return found


def _work_name(work: Reference) -> str:
    if work.doi:
        return f"doi:{work.doi}"
    if work.pmid:
        return f"PMID {work.pmid}"
    return f'"{work.title}"' if work.title else "a work known by its number only"


def _latest(work: Reference, mark: str) -> str:
    return max(n.date for n in work.notices if n.nature == mark)
