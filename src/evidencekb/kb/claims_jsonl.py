"""`ekb import --format claims-jsonl`: claims with their cited works, stances and
quotations, one JSON object a line, from another pipeline (bench/scifact.py
writes SciFact in it). kb/README.md documents the format.

Every line is checked before anything is written, and every problem is
reported with its line; the topic is then written all at once, and only if
the knowledge base with it passes `ekb check`. Nothing is added: a work gets
the fields its line gives, a citation without a stance stays "not stated".
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from evidencekb import registry
from evidencekb.atomic import write_folder, writes_kb
from evidencekb.errors import Problem, ValidationError
from evidencekb.kb.citations import citation_faults
from evidencekb.kb.files import scan_kb
from evidencekb.kb.importer import (
    FROM_SOURCE,
    READ_OF_A_CLAIM,
    ImportResult,
    _check_arguments,
    claim_ids,
    claim_table,
    read_summary,
    topic_target,
)
from evidencekb.kb.jsontext import load_json
from evidencekb.kb.load import load_kb, load_tree
from evidencekb.kb.references import REFERENCE_FIELDS
from evidencekb.kb.replacing import Replaced, dated_by_meaning
from evidencekb.kb.tables import Field, TableChecker
from evidencekb.kb.tomlfile import Located, format_keys, format_value
from evidencekb.model import KnowledgeBase, quoted_from, split_lines
from evidencekb.names import JSONL, NOT_STATED, SECTIONS
from evidencekb.paths import (
    CLAIMS_FILE,
    EVIDENCE_FILE,
    NOTICES_FILE,
    OVERVIEW_FILE,
    REFERENCES_FILE,
    TOPIC_FILE,
    TOPICS_DIR,
)

LINE_TYPES = ("claim", "work")
# A claim line's keys of its own: what the line is, and what evidence.toml records of
# the claim.
CLAIM_LINE_KEYS = {
    "type": Field("text"),
    "evidence": Field("list", required=False),
    "relations": Field("list", required=False),
}
# Then the claim fields a source gives (the registry's, but those the import works out
# itself: kb/importer.py), each as claims.toml holds it; the id is optional, made from
# the text where a line gives none.
CLAIM_FIELDS = CLAIM_LINE_KEYS | {
    f.name: Field(f.toml_kind, f.required and f.name != "id", f.least)
    for f in registry.CLAIM_FIELDS
    if f.name in READ_OF_A_CLAIM or f in FROM_SOURCE
}
WORK_FIELDS = {"type": Field("text"), **REFERENCE_FIELDS}
EVIDENCE_KEYS = {"citation", "stance", "quotes"}
QUOTE_KEYS = {"sentence", "text"}
RELATION_KEYS = {"relation", "other"}


@dataclass(frozen=True)
class JsonQuote:
    sentence: int
    text: str


@dataclass(frozen=True)
class JsonEvidence:
    citation: int
    stance: str
    quotes: tuple[JsonQuote, ...]


@dataclass(frozen=True)
class JsonClaim:
    line: int
    id: str | None
    text: str
    section: str
    heading: str | None
    citations: tuple[int, ...]
    evidence: tuple[JsonEvidence, ...]
    relations: tuple[tuple[str, str], ...]  # (relation, other claim's id)
    given: dict[str, Any]  # its values of FROM_SOURCE's fields, written as they are


@dataclass(frozen=True)
class JsonWork:
    line: int
    fields: dict[str, Any]  # REFERENCE_FIELDS' keys, as the line gives them

    @property
    def number(self) -> int:
        return int(self.fields["number"])

    @property
    def sentences(self) -> list[str]:
        return list(self.fields.get("sentences") or [])


@dataclass
class ClaimsFile:
    """The claims and works of a claims-jsonl file, checked line by line."""

    claims: list[JsonClaim] = field(default_factory=list)
    works: dict[int, JsonWork] = field(default_factory=dict)


def parse_claims_jsonl(text: str, display: str, kb: KnowledgeBase) -> ClaimsFile:
    """Read every line; raise ValidationError naming every line that does not fit."""
    parser = _Parser(display, kb)
    for number, raw in enumerate(split_lines(text.lstrip("\ufeff")), start=1):
        if raw.strip():
            parser.feed(number, raw)
    return parser.finish()


class _Parser(TableChecker):
    def __init__(self, display: str, kb: KnowledgeBase) -> None:
        super().__init__()
        self.display = display
        self.stances = tuple(term.id for term in kb.stances)
        self.relations = tuple(term.id for term in kb.relation_kinds)
        self.result = ClaimsFile()
        self.first_text: dict[str, int] = {}
        self.first_id: dict[str, int] = {}
        # Works whose line gives 'sentences' that were refused (a problem of their own
        # line): their quotations are not checked against sentences nobody can see.
        self.refused_sentences: set[int] = set()

    def problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.display, line, message))

    def feed(self, number: int, raw: str) -> None:
        try:
            data = load_json(raw)
        except json.JSONDecodeError as error:
            self.problem(number, f"not JSON: {error.msg} (column {error.colno})")
            return
        except ValueError as error:  # a number too long, nesting too deep
            self.problem(number, f"not usable JSON: {error}")
            return
        if not isinstance(data, dict):
            self.problem(number, 'a line must be a JSON object: {"type": "claim", ...}')
            return
        kind = data.get("type")
        if kind not in LINE_TYPES:
            shown = json.dumps(kind, ensure_ascii=False) if kind is not None else "missing"
            self.problem(number, f"field 'type' is {shown}; allowed: claim, work")
            return
        doc = Located(self.display, data, {("", 0, key): number for key in ("", *data)})
        if kind == "claim":
            self.claim(doc, number)
        else:
            self.work(doc, number)

    def work(self, doc: Located, number: int) -> None:
        values = self.fields(doc, "", 0, doc.data, WORK_FIELDS)
        if values is None:
            return
        del values["type"]
        work = JsonWork(number, values)
        if "sentences" in doc.data and "sentences" not in values:
            self.refused_sentences.add(work.number)
        if work.number < 1:
            self.problem(number, f"work number {work.number} must be 1 or more")
        elif work.number in self.result.works:
            first = self.result.works[work.number].line
            self.problem(number, f"work {work.number} is already given on line {first}")
        else:
            self.result.works[work.number] = work

    def claim(self, doc: Located, number: int) -> None:
        values = self.fields(doc, "", 0, doc.data, CLAIM_FIELDS)
        if values is None:
            return
        self.choice(doc, "", 0, "section", values["section"], SECTIONS, "section")
        claim_id = values.get("id")
        if claim_id is not None:
            self.slug(doc, "", 0, "id", claim_id)
            self.once(self.first_id, claim_id, number, f"claim id '{claim_id}'")
        else:  # its id will come from its text
            self.once(self.first_text, values["text"], number, "claim text (with no 'id')")
        # A work cited twice by one claim is one citation (SciFact's validation claim
        # 1245 lists one abstract twice): kept once, where it is first listed.
        citations = tuple(dict.fromkeys(values["citations"]))
        for fault in citation_faults(citations):  # the summary's rule, from citations.py
            self.problem(number, fault)
        evidence = self.evidence(number, citations, values.get("evidence") or [])
        relations = self.relation_list(number, values.get("relations") or [])
        given = {f.name: values[f.name] for f in FROM_SOURCE if f.name in values}
        self.result.claims.append(
            JsonClaim(
                number,
                claim_id,
                values["text"],
                values["section"],
                values.get("heading"),
                citations,
                evidence,
                relations,
                given,
            )
        )

    def once(self, first: dict[str, int], value: str, number: int, what: str) -> None:
        if value in first:
            self.problem(number, f"{what} is the same as on line {first[value]}")
        else:
            first[value] = number

    def typed(self, doc: Located, table: str, index: int, key: str, value: Any, kind: str) -> Any:
        if kind == "list":  # checked item by item by `evidence` and `relation_list`
            if isinstance(value, list):
                return value
            self.report(doc, f"field '{key}' must be a list", table, index, key)
            return None
        return super().typed(doc, table, index, key, value, kind)

    def evidence(
        self, number: int, citations: tuple[int, ...], items: list[Any]
    ) -> tuple[JsonEvidence, ...]:
        found: list[JsonEvidence] = []
        for position, item in enumerate(items, start=1):
            where = f"evidence {position}"
            if not _shaped(item, EVIDENCE_KEYS, {"quotes"}):
                self.problem(
                    number,
                    f'{where} must be {{"citation": N, "stance": "...", "quotes": [...]}}',
                )
                continue
            cited, stance = item["citation"], item["stance"]
            if not _is_int(cited) or cited not in citations:
                self.problem(
                    number, f"{where}: citation {_shown(cited)} is not one the claim cites"
                )
                continue
            earlier = next((e for e in found if e.citation == cited), None)
            if earlier is not None:
                quotes = self.quotes(number, where, item.get("quotes", []))
                if (earlier.stance, earlier.quotes) != (stance, quotes):
                    self.problem(
                        number,
                        f"{where}: citation {cited} already has a stance, and this one "
                        "differs; give each cited work one",
                    )
                continue  # the same stance twice, for a work listed twice: once
            if stance == NOT_STATED or stance not in self.stances:
                allowed = ", ".join(s for s in self.stances if s != NOT_STATED)
                self.problem(
                    number,
                    f"{where}: stance {_shown(stance)} is not allowed; allowed: {allowed} "
                    f"(leave a citation out of 'evidence' for {NOT_STATED})",
                )
                continue
            quotes = self.quotes(number, where, item.get("quotes", []))
            if quotes is not None:
                found.append(JsonEvidence(cited, stance, quotes))
        return tuple(found)

    def quotes(self, number: int, where: str, items: Any) -> tuple[JsonQuote, ...] | None:
        if not isinstance(items, list):
            self.problem(number, f"{where}: 'quotes' must be a list")
            return None
        quotes: list[JsonQuote] = []
        for position, item in enumerate(items, start=1):
            if (
                not _shaped(item, QUOTE_KEYS, set())
                or not _is_int(item["sentence"])
                or item["sentence"] < 0
                or not isinstance(item["text"], str)
                or not item["text"].strip()
            ):
                self.problem(
                    number,
                    f'{where}, quote {position} must be {{"sentence": N, "text": "..."}} '
                    "with N 0 or more and the text not empty",
                )
                return None
            quotes.append(JsonQuote(item["sentence"], item["text"]))
        return tuple(quotes)

    def relation_list(self, number: int, items: list[Any]) -> tuple[tuple[str, str], ...]:
        found: list[tuple[str, str]] = []
        for position, item in enumerate(items, start=1):
            if not _shaped(item, RELATION_KEYS, set()) or not isinstance(item["other"], str):
                self.problem(
                    number, f'relation {position} must be {{"relation": "...", "other": "ID"}}'
                )
            elif item["relation"] not in self.relations:
                self.problem(
                    number,
                    f"relation {position}: {_shown(item['relation'])} is not a relation; "
                    f"allowed: {', '.join(self.relations)}",
                )
            else:
                found.append((item["relation"], item["other"]))
        return tuple(found)

    def finish(self) -> ClaimsFile:
        self.check_quotes_and_works()
        if not self.result.claims and not self.problems:
            self.problem(1, 'no claims found: a claim is a line {"type": "claim", ...}')
        if self.problems:
            raise ValidationError(self.problems)
        return self.result

    def check_quotes_and_works(self) -> None:
        """Each quotation stands word for word in its work's sentence; each work is cited."""
        works, cited = self.result.works, set[int]()
        for claim in self.result.claims:
            cited.update(claim.citations)
            for item in claim.evidence:
                work = works.get(item.citation)
                if not item.quotes or item.citation in self.refused_sentences:
                    continue
                if work is None or not work.sentences:  # said once, not once a quote
                    self.problem(
                        claim.line,
                        f"work {item.citation} is quoted but no line gives its 'sentences'",
                    )
                    continue
                for quote in item.quotes:
                    self.check_quote(claim.line, item.citation, quote, work.sentences)
        for work in works.values():
            if work.number not in cited:
                self.problem(work.line, f"work {work.number} is not cited by any claim")

    def check_quote(self, line: int, number: int, quote: JsonQuote, sentences: list[str]) -> None:
        if quote.sentence >= len(sentences):
            self.problem(
                line,
                f"a quote of work {number} names sentence {quote.sentence}; it has sentences "
                f"0 to {len(sentences) - 1}",
            )
        elif not quoted_from(quote.text, sentences[quote.sentence]):
            self.problem(
                line,
                f"a quote of work {number} is not in its sentence {quote.sentence} word for "
                "word; a quotation must be verbatim, whole words",
            )


def _shaped(item: Any, keys: set[str], optional: set[str]) -> bool:
    return isinstance(item, dict) and keys - optional <= set(item) <= keys


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# -- the topic's files ---------------------------------------------------------


def claims_jsonl_files(
    kb: KnowledgeBase,
    slug: str,
    title: str,
    source_name: str,
    parsed: ClaimsFile,
    added: str | None = None,
    replaced: Replaced | None = None,
) -> dict[str, bytes]:
    """The new topic folder's files, by name; with what the folder it `replaced` keeps
    (kb/replacing.py)."""
    replaced = replaced or Replaced()
    # Ids made from the texts as a summary's are (claim_ids: widened where two share
    # their first digits); a line's own id stands as given.
    made = iter(claim_ids(slug, [claim.text for claim in parsed.claims if not claim.id]))
    ids = [claim.id or next(made) for claim in parsed.claims]
    claims = [
        f"# Claims as {source_name} gives them; source_line is each claim's line in it.\n"
        "# `ekb import` wrote this file; kb/README.md explains every field.\n"
    ]
    for claim, claim_key in zip(parsed.claims, ids, strict=True):
        # Entities are left to a curator: kb/vocabulary was written for other topics,
        # and a match found in another field's claim is as likely wrong as right
        # ("DSM-IV" is not intravenous).
        claims.append(
            claim_table(kb, claim_key, claim, (), replaced, added, source_name, claim.given)
        )
    files = {
        TOPIC_FILE: format_keys(
            {
                "title": title,
                "source": source_name,
                "source_format": JSONL,
                "citation_style": "plain",
            }
        )
        + replaced.topic_history(),
        OVERVIEW_FILE: _overview(kb, source_name, parsed),
        CLAIMS_FILE: "".join(claims),
        REFERENCES_FILE: _references(source_name, parsed),
    }
    evidence = _evidence(source_name, parsed, ids)
    if evidence:
        files[EVIDENCE_FILE] = evidence
    # The notices on the works, each carried to its work's number in this version.
    works = {number: {"number": number, **work.fields} for number, work in parsed.works.items()}
    if (notices := replaced.notices_for(works)) is not None:
        files[NOTICES_FILE] = notices
    return {name: content.encode("utf-8") for name, content in files.items()}


def _references(source_name: str, parsed: ClaimsFile) -> str:
    parts = [
        f"# The works the claims cite, with the fields {source_name} gives them and no\n"
        "# other; `sentences` is the text that evidence.toml quotes, numbered from 0.\n"
    ]
    for number in sorted(parsed.works):
        work = parsed.works[number]
        lines = ["", "[[reference]]"]
        for key, value in work.fields.items():
            if key == "sentences":
                lines += ["sentences = [", *(f"  {format_value(s)}," for s in value), "]"]
            else:
                lines.append(f"{key} = {format_value(value)}")
        parts.append("\n".join(lines) + "\n")
    return "".join(parts)


def _evidence(source_name: str, parsed: ClaimsFile, ids: list[str]) -> str:
    parts: list[str] = []
    for claim, claim_key in zip(parsed.claims, ids, strict=True):
        for item in claim.evidence:
            lines = [
                "",
                "[[evidence]]",
                f"claim = {format_value(claim_key)}",
                f"citation = {item.citation}",
                f"stance = {format_value(item.stance)}",
            ]
            if item.quotes:
                lines.append("quotes = [")
                lines += [
                    f"  {{ sentence = {q.sentence}, text = {format_value(q.text)} }},"
                    for q in item.quotes
                ]
                lines.append("]")
            parts.append("\n".join(lines) + "\n")
        for relation, other in claim.relations:
            parts.append(
                f"\n[[relation]]\nclaim = {format_value(claim_key)}\n"
                f"relation = {format_value(relation)}\nother = {format_value(other)}\n"
            )
    if not parts:
        return ""
    header = (
        f"# Stances and quotations as {source_name} gives them; a citation with no\n"
        "# [[evidence]] table is 'not-stated'. kb/README.md explains the fields.\n"
    )
    return header + "".join(parts)


def _overview(kb: KnowledgeBase, source_name: str, parsed: ClaimsFile) -> str:
    links = sum(len(claim.citations) for claim in parsed.claims)
    stances = Counter(item.stance for claim in parsed.claims for item in claim.evidence)
    recorded = ", ".join(
        f"{stances[term.id]} {term.label.lower()}" for term in kb.stances if stances[term.id]
    )
    lines = [
        f"Imported from `{source_name}`: {len(parsed.claims)} claims with {links} citations "
        f"of {len({n for c in parsed.claims for n in c.citations})} works.",
        "",
        f"Stances recorded by the source: {recorded or 'none'}.",
    ]
    if sum(stances.values()) < links:
        lines[-1] += " The source records no stance for any other citation."
    return "\n".join(lines) + "\n"


# -- the import ----------------------------------------------------------------


@writes_kb
def import_claims_jsonl(
    kb_dir: Path,
    source: Path,
    slug: str,
    title: str | None = None,
    replace: bool = False,
    added: str | None = None,
) -> ImportResult:
    """Write the claims-jsonl file `source` as topic `slug`, all at once or not at all."""
    # The slug, title and file name as a summary import checks them (the name is kept).
    _check_arguments(source, slug, title or slug)
    text = read_summary(source)  # a regular UTF-8 file of sensible size, never a FIFO
    target = kb_dir / TOPICS_DIR / slug
    existed = topic_target(target, replace)
    kb = load_kb(kb_dir)  # the vocabularies, stances and strength rule come from kb/
    parsed = parse_claims_jsonl(text, str(source), kb)
    # The file's stances, if it gives any, are the topic's evidence.toml anew.
    makes = (EVIDENCE_FILE,) if any(c.evidence or c.relations for c in parsed.claims) else ()
    carries = (NOTICES_FILE,)  # each notice moves with its work (kb/replacing_notices.py)
    replaced = Replaced.read(target, makes, carries) if existed else Replaced()
    tree = scan_kb(kb_dir)
    before = kb if existed else None  # kb/ with the topic replaced, which loaded
    make = partial(claims_jsonl_files, kb, slug, title or slug, source.name, parsed, added)

    def check(files: dict[str, bytes]) -> KnowledgeBase:
        try:
            return load_tree(tree.with_folder(f"{TOPICS_DIR}/{slug}", files))
        except ValidationError as error:  # at the lines of the file the user can edit
            raise ValidationError(
                _at_source(error.problems, str(source), slug, files, parsed)
            ) from None

    files = dated_by_meaning(make, check, replaced, before, slug)
    write_folder(target, files)
    cited = {n for claim in parsed.claims for n in claim.citations}
    return ImportResult(target, len(parsed.claims), len(cited), existed)


def _at_source(
    problems: list[Problem], display: str, slug: str, files: dict[str, bytes], parsed: ClaimsFile
) -> list[Problem]:
    """Problems the whole kb's check finds in the topic's files, which were never
    written, at the line of `display` each table was made from (a claim's, a work's);
    a problem outside them (the topic's title) at line 1. Others stay as they are."""
    made_from = {
        CLAIMS_FILE: [c.line for c in parsed.claims],
        EVIDENCE_FILE: [c.line for c in parsed.claims for _ in (*c.evidence, *c.relations)],
        REFERENCES_FILE: [parsed.works[number].line for number in sorted(parsed.works)],
    }
    found = []
    for problem in problems:
        name = next((n for n in files if problem.path.endswith(f"{TOPICS_DIR}/{slug}/{n}")), None)
        if name is None:
            found.append(problem)
            continue
        lines = split_lines(files[name].decode("utf-8"))[: problem.line]
        tables = sum(1 for line in lines if line.startswith("[["))
        origins = made_from.get(name, [])
        line = origins[tables - 1] if 0 < tables <= len(origins) else 1
        found.append(Problem(display, line, problem.message))
    return found
