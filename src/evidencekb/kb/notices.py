"""notices.toml: editorial notices on the works a topic cites.

Retractions, expressions of concern, corrections and reinstatements, as Retraction
Watch records them (`ekb refs retractions` writes them; an editor may too). A file of
their own, beside references.toml, so that recording a notice never rewrites a
reference. Each `[[notice]]` names the reference number it is about; a work may have
several. Every problem is collected, each at its file and line.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Any

from evidencekb.kb.bibliography import doi_problem, pmid_problem
from evidencekb.kb.dates import date_fault
from evidencekb.kb.reader import KbReader
from evidencekb.kb.tables import Field
from evidencekb.kb.tomlfile import Located
from evidencekb.model import CitedNotice, Claim, KnowledgeBase, Notice, Reference
from evidencekb.names import NOTICE_MARKS, NOTICE_NATURES, WARNED_MARKS

NOTICE_FIELDS = {
    "reference": Field("int"),
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
    numbers = {reference.number for reference in references}
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


def notice_order(notice: Notice) -> tuple[str, str, int]:
    return (notice.date, notice.nature, notice.record_id or 0)


def _valid(
    reader: KbReader, doc: Located, index: int, values: dict[str, Any], numbers: set[int]
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
    for key, message in problems:
        reader.report(doc, message, "notice", index, key)
    return not problems


def _notice(values: dict[str, Any]) -> Notice:
    return Notice(
        nature=NATURE_IDS[values["nature"]],
        date=values["date"],
        doi=values.get("doi"),
        pmid=values.get("pmid"),
        reasons=tuple(values.get("reasons") or ()),
        record_id=values.get("record_id"),
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
