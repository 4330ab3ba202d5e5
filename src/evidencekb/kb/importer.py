"""`ekb import`: turn an evidence summary into a new topic folder in kb/.

The importer keeps each statement verbatim (summary.py reads the format),
moves its citation marker into `citations`, labels its strength by the
written rule (strength.py), proposes the vocabulary entities its text names,
and leaves categories to the curator. Nothing is guessed: no reference
details, no stated strength.

Import succeeds only if `ekb check` then passes: the topic's files are made
in memory and checked by the loader, with the rest of kb/, before any is
written; then they are written all at once (atomic.staged_dir) or not at all.
"""

from __future__ import annotations

import functools
import re
import shutil
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from evidencekb.atomic import staged_dir, writes_kb
from evidencekb.errors import KBError
from evidencekb.kb.files import KbFileError, NotReadable, decode_utf8, read_regular, scan_kb
from evidencekb.kb.layouts import detect_layout
from evidencekb.kb.load import load_tree
from evidencekb.kb.reflist import Entry, parse_reference_list
from evidencekb.kb.replacing import Replaced, dated_by_meaning, loaded_or_none
from evidencekb.kb.strength import derive_strength
from evidencekb.kb.summary import Statement, Summary, read_document
from evidencekb.kb.tables import stable_id, topic_slug_fault
from evidencekb.kb.text import shown, text_fault
from evidencekb.kb.tomlfile import format_keys, format_table
from evidencekb.model import KnowledgeBase, Term, split_lines
from evidencekb.names import DEFAULT_LAYOUT, LAYOUTS, SECTIONS
from evidencekb.paths import (
    CLAIMS_FILE,
    NOTICES_FILE,
    OVERVIEW_FILE,
    REFERENCES_FILE,
    SOURCE_COPY,
    TOPIC_FILE,
    TOPICS_DIR,
)
from evidencekb.registry import CLAIM_FIELDS, ClaimField

# The most of a summary `ekb import` reads: far beyond any real summary, and
# small enough that /dev/zero or a wrong file is refused at once.
MAX_SUMMARY_BYTES = 10_000_000
# Hex digits of a claim's text hash in its id; more only where two collide.
ID_HASH_DIGITS = 8

# What an import reads of a claim itself (`ImportedClaim`, and its id: a claims-jsonl
# line's, or one made from the text), and what it works out of it itself (the strength
# by the written rule, the entities it proposes, categories left to a curator, its line,
# its dates): `claim_table` writes these by name, as it must. Every other field the
# registry declares (registry.CLAIM_FIELDS) is one a source gives as it is
# (`FROM_SOURCE`): a claims-jsonl line may give it, and a summary, which never does,
# leaves it to an editor (kb/replacing.py keeps it).
READ_OF_A_CLAIM: tuple[str, ...] = ("id", "section", "heading", "text", "citations")
WORKED_OUT: tuple[str, ...] = (
    *("strength", "strength_method", "strength_basis", "categories", "entities"),
    *("source_line", "added", "changed"),
)
FROM_SOURCE: tuple[ClaimField, ...] = tuple(
    f for f in CLAIM_FIELDS if f.name not in READ_OF_A_CLAIM + WORKED_OUT
)


@dataclass(frozen=True)
class ImportResult:
    topic_dir: Path
    statements: int
    cited_sources: int
    replaced: bool


@writes_kb
def import_summary(
    kb_dir: Path,
    source: Path,
    slug: str,
    title: str | None = None,
    replace: bool = False,
    section: str | None = None,
    layout: str | None = None,
    added: str | None = None,
) -> ImportResult:
    """Write `source` as topic `slug` into kb/, all at once or not at all; `added`
    (an ISO date) is written as each claim's `added` date.

    `layout` is the summary's (layouts.py), found from the file when None; `section`
    the part of a summary without part headings. The title is `title`, else the
    summary's title line, else made from the slug. Raises KBError (a ValidationError
    listing every problem) before writing anything if the topic would not pass
    `ekb check`.
    """
    _check_arguments(source, slug, title, section, layout)
    target = kb_dir / TOPICS_DIR / slug
    existed = topic_target(target, replace)
    # Its notices move with their works to the new numbers (kb/replacing_notices.py).
    carries = (NOTICES_FILE,)
    replaced = Replaced.read(target, makes=(), carries=carries) if existed else Replaced()
    text = read_summary(source)
    layout = layout or detect_layout(text, source.name)
    summary = read_document(text, shown(str(source)), layout, section)
    statements = summary.statements
    title = title or summary.title or _title_from_slug(slug)
    first_cites = {n: s.line for s in reversed(statements) for n in s.citations}
    listed = parse_reference_list(split_lines(text), shown(str(source)), first_cites, layout)
    relative = f"{TOPICS_DIR}/{slug}"
    tree = scan_kb(kb_dir)
    kb = load_tree(tree.without(relative))  # the vocabularies and strength rule come from kb/
    # The topic replaced, loaded alone (kb/ whole takes seconds at 80,000 claims).
    alone = tree.with_one_topic(relative)
    before = loaded_or_none(functools.partial(load_tree, alone)) if existed else None
    make = functools.partial(
        topic_files, kb, slug, title, source.name, text, summary, listed, added
    )

    def check(files: dict[str, bytes]) -> KnowledgeBase:  # kb/ with the topic passes
        return load_tree(tree.with_folder(relative, files))

    files = dated_by_meaning(make, check, replaced, before, slug)
    _write_folder(target, files)
    cited = {n for s in statements for n in s.citations}
    return ImportResult(target, len(statements), len(cited), existed)


def topic_target(target: Path, replace: bool) -> bool:
    """Whether the topic folder `target` exists; KBError if it does and may not be
    replaced (no `replace`), or is no folder (a file or a link)."""
    existed = target.exists() or target.is_symlink()
    if existed and not replace:
        raise KBError(f"{target} already exists; pass --replace to overwrite it")
    if existed and (target.is_symlink() or not target.is_dir()):
        raise KBError(f"{target} exists and is not a folder; remove it or choose another --topic")
    return existed


def _check_arguments(
    source: Path,
    slug: str,
    title: str | None,
    section: str | None = None,
    layout: str | None = None,
) -> None:
    if fault := topic_slug_fault(slug):
        raise KBError(f"topic '{shown(slug)}' {fault}")
    if title is not None and (fault := text_fault(title)):
        raise KBError(f"--title {fault}")
    if section is not None and section not in SECTIONS:
        raise KBError(f"--section '{shown(section)}' is not a part; allowed: {', '.join(SECTIONS)}")
    if layout is not None and layout not in LAYOUTS:
        raise KBError(f"--layout '{shown(layout)}' is not a layout; allowed: {', '.join(LAYOUTS)}")
    if fault := text_fault(source.name):
        raise KBError(f"{shown(str(source))}: the file name {fault}")


def read_summary(source: Path) -> str:
    """The summary's text; KBError if it is not a regular UTF-8 file of sensible size."""
    try:
        data = read_regular(source, limit=MAX_SUMMARY_BYTES)
    except NotReadable as error:
        if not source.exists() and not source.is_symlink():
            raise KBError(f"{shown(str(source))}: file not found") from None
        raise KBError(f"{shown(str(source))}: {error.reason}") from None
    try:
        return decode_utf8(data, shown(str(source)))
    except KbFileError as error:
        raise KBError(str(error.problem)) from None


def _write_folder(target: Path, files: dict[str, bytes]) -> None:
    staged: Path | None = None
    try:
        with staged_dir(target) as staged:
            for name, data in files.items():
                (staged / name).write_bytes(data)
    except OSError as error:
        if staged is not None:  # a failed swap can leave the staged folder behind
            shutil.rmtree(staged, ignore_errors=True)
        raise KBError(f"cannot write {target}: {error.strerror or error}") from None


def claim_id(slug: str, text: str, digits: int = ID_HASH_DIGITS) -> str:
    """A stable id: it depends on the claim's own text only, never on its position."""
    return stable_id(slug, text, digits)


def claim_ids(slug: str, texts: list[str]) -> list[str]:
    """Ids for a topic's claims: `claim_id` with 8 hex digits, unless two collide.

    Claims whose 8 digits are the same all get 16 (then 24, ...) until they
    differ, so a claim's id still depends on its text alone unless another
    claim of the topic shares its 8 digits; the order of claims never matters.
    """
    digits = [ID_HASH_DIGITS] * len(texts)
    while True:
        ids = [claim_id(slug, text, n) for text, n in zip(texts, digits, strict=True)]
        counts = Counter(ids)
        if all(counts[i] == 1 for i in ids):
            return ids
        digits = [
            n + ID_HASH_DIGITS if counts[i] > 1 else n for i, n in zip(ids, digits, strict=True)
        ]


def mentioned_entities(text: str, entities: tuple[Term, ...]) -> tuple[str, ...]:
    """Ids of the entities `text` names, in order of first mention.

    Labels and synonyms match in any case; abbreviations only as written, so
    that "IV" is found but not the "iv" inside a word or a Roman numeral.
    """
    found: list[tuple[int, str]] = []
    for term in entities:
        matches = [pattern.search(text) for pattern in _name_patterns(term)]
        positions = [match.start() for match in matches if match]
        if positions:
            found.append((min(positions), term.id))
    return tuple(term_id for _, term_id in sorted(found))


@functools.lru_cache(maxsize=4096)
def _name_patterns(term: Term) -> tuple[re.Pattern[str], ...]:
    """One pattern for a term's label and synonyms (any case), one for its
    abbreviations (as written); compiled once per term, not once per claim."""
    patterns = []
    for names, flags in (((term.label, *term.synonyms), re.IGNORECASE), (term.abbreviations, 0)):
        if names:
            alternatives = "|".join(re.escape(name) for name in names)
            patterns.append(re.compile(rf"\b(?:{alternatives})\b", flags))
    return tuple(patterns)


def topic_files(
    kb: KnowledgeBase,
    slug: str,
    title: str,
    source_name: str,
    text: str,
    summary: Summary,
    listed: dict[int, Entry],
    added: str | None = None,
    replaced: Replaced | None = None,
) -> dict[str, bytes]:
    """The new topic folder's files, by name; with what the folder it `replaced` keeps
    (kb/replacing.py)."""
    replaced = replaced or Replaced()
    statements = summary.statements
    styles = Counter(s.style for s in statements if s.style)
    style = styles.most_common(1)[0][0] if styles else "plain"
    keys = {"title": title, "source": source_name, "citation_style": style}
    if summary.layout != DEFAULT_LAYOUT:  # left out for the default, as topics before layouts
        keys["layout"] = summary.layout
    topic = format_keys(keys) + replaced.topic_history()
    numbers = sorted({n for s in statements for n in s.citations})
    works = replaced.follow(
        {n: {"number": n, **(listed[n].fields if n in listed else {})} for n in numbers}
    )
    files = {
        SOURCE_COPY: text,
        TOPIC_FILE: topic,
        OVERVIEW_FILE: _overview(source_name, statements, bool(listed)),
        CLAIMS_FILE: _claims(kb, slug, statements, added, replaced),
        REFERENCES_FILE: _references(source_name, bool(listed), works.references),
    }
    if works.notices is not None:
        files[NOTICES_FILE] = works.notices
    return {name: content.encode("utf-8") for name, content in files.items()}


def _claims(
    kb: KnowledgeBase,
    slug: str,
    statements: tuple[Statement, ...],
    added: str | None,
    replaced: Replaced,
) -> str:
    claims = [
        "# Claims in source order. `ekb import` wrote this file; curators add categories,\n"
        "# review entities and, where the source grades its evidence, a stated strength.\n"
        "# kb/README.md explains every field.\n"
    ]
    ids = claim_ids(slug, [statement.text for statement in statements])
    for statement, statement_id in zip(statements, ids, strict=True):
        entities = mentioned_entities(statement.text, kb.entities)
        claims.append(claim_table(kb, statement_id, statement, entities, replaced, added))
    return "".join(claims)


class ImportedClaim(Protocol):
    """What an importer reads of one claim: a summary's statement, a JSON line's claim."""

    @property
    def section(self) -> str: ...
    @property
    def heading(self) -> str | None: ...
    @property
    def text(self) -> str: ...
    @property
    def citations(self) -> tuple[int, ...]: ...
    @property
    def line(self) -> int: ...


def claim_table(
    kb: KnowledgeBase,
    claim_key: str,
    claim: ImportedClaim,
    entities: Sequence[str],
    replaced: Replaced,
    added: str | None = None,
    origin: str | None = None,
    given: Mapping[str, Any] | None = None,
) -> str:
    """One [[claim]] table as an importer writes it: the strength derived by the written
    rule (never a stated one: only a curator states a strength), no categories (left
    to a curator), the entities the importer proposes, the source's values of the
    fields it gives as they are (`given`, of `FROM_SOURCE`), and what the topic
    `replaced` keeps of the claim (its dates, and its values of the fields this import
    does not write). `added`: the import's date. `origin`: the name of the file the
    claim comes from, when that is not a summary (kb/strength.py)."""
    words = kb.strength.hedging_words
    rule = derive_strength(claim.text, claim.section, claim.citations, words, origin)
    added, changed = replaced.dates(claim_key, claim.text, claim.citations, added)
    read = {
        "id": claim_key,
        "section": claim.section,
        "heading": claim.heading,
        "text": claim.text,
        "citations": list(claim.citations),
    }
    worked_out = {
        "strength": rule.label,
        "strength_method": "derived",
        "strength_basis": rule.basis,
        "categories": [],
        "entities": list(entities),
        "source_line": claim.line,
        "added": added,
        "changed": changed,
    }
    values = {**(given or {}), **read, **worked_out}
    row = {f.name: values[f.name] for f in CLAIM_FIELDS if f.name in values}  # its order
    return "\n" + format_table("claim", row | replaced.kept_fields(claim_key, row))


def _references(source_name: str, has_list: bool, works: dict[int, dict[str, Any]]) -> str:
    gives = "a reference list" if has_list else "their numbers only"
    references = [
        f"# The works this topic cites. {source_name} gives {gives}.\n"
        "# Add other fields to a reference only from the work itself: never guess them.\n"
        "# kb/README.md explains every field.\n"
    ]
    references += ["\n" + format_table("reference", fields) for fields in works.values()]
    return "".join(references)


def _overview(source_name: str, statements: tuple[Statement, ...], has_list: bool) -> str:
    counts = Counter(s.section for s in statements)
    parts = " and ".join(
        f"{counts[section]} from the {section}" for section in SECTIONS if counts[section]
    )
    cited = len({n for s in statements for n in s.citations})
    uncited = sum(1 for s in statements if not s.citations)
    lines = [
        f"Imported from `{source_name}`: {len(statements)} statements, {parts}.",
        "",
        f"The statements cite {cited} sources by number. "
        + (
            "The summary lists them under its references."
            if has_list
            else "The summary gives no bibliographic details for them, so none are shown here."
        ),
    ]
    if uncited:
        lines[-1] += f" {uncited} statements cite no source."
    return "\n".join(lines) + "\n"


def _title_from_slug(slug: str) -> str:
    return slug.replace("-", " ").capitalize()
