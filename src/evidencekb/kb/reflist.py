"""A summary's reference list: the numbered lines under a "References" heading.

Summaries that name their works list them after the statements:

    References
    1. Cohen SP, Bhatia A, Buvanendran A, et al. Consensus Guidelines ... Reg Anesth
       Pain Med. 2018;43(5):521-546. doi:10.1097/AAP.0000000000000808
    [2] ...
    3) ...

or, in a summary that cites as Markdown footnotes (`... pain.[^1]`), as their
definitions at its end, under no heading: `[^1]: Cohen SP, ...`.

A work may be wrapped over several lines: a line right under one (no blank line
between) and indented deeper than its first line goes on with it, and the entry's text
is its lines joined by a space, as a page shows them. An unindented line is a line of
its own in every layout, even where Markdown would join it: it may be a work whose
number was lost, and joined it would give the work above another work's identifiers.

Each entry is kept verbatim as the reference's `citation_text`. Only what a line
says unambiguously becomes a field: a DOI, PMID, PMCID or web address written
once; year, volume, issue and pages from a `2018;43(5):521-546` source part;
and authors, title and journal only where the text before that source part is
exactly "Authors. Title. Journal." (an "et al." list keeps the authors it names,
in its order; the line itself, kept, says that there are more). A value that
breaks its field's rule (kb/bibliography.py) is left out, never corrected.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from evidencekb.errors import Problem, ValidationError
from evidencekb.kb.bibliography import record_problems
from evidencekb.kb.blocks import COMMENTS_ONLY, INVISIBLE, MARKDOWN_START, trimmed
from evidencekb.kb.citations import (
    NUMBER,
    SUPERSCRIPT_DIGITS,
    lowered,
    read_number,
    split_marker,
)
from evidencekb.kb.text import control_fault
from evidencekb.model import split_lines

# The names of a reference list's heading, singular or plural: the one list of them.
HEADING_NAMES = (
    "references?",
    "reference list",
    "bibliography",
    "sources?",
    "works cited",
    "literature cited",
    "cited literature",
    "citations?",
)
# The heading a reference list stands under, alone on its line: bare, after `#`s, or
# in Markdown emphasis (`**References**`, `__References__`, `*References:*`).
HEADING = re.compile(
    r"^(?:#+\s*)?(?P<emphasis>\*{1,3}|_{1,3})?"
    rf"(?:{'|'.join(HEADING_NAMES)})\s*:?"
    r"(?(emphasis)(?P=emphasis)\s*:?)$",
    re.IGNORECASE,
)
# A Markdown underline, which makes the line above it a heading (`References` over
# `----------`): it belongs to the heading, not to the list.
_UNDERLINE = re.compile(r"=+|-+")
# "1. ...", "[1] ..." or "1) ...", numbered as citations are (citations.py), or a
# Markdown footnote's definition, "[^1]: ...". The number may follow a bullet, as a
# Markdown list of works writes it ("- [1] ..."), and its period be escaped, as pandoc
# writes a number that starts a paragraph ("1\. ..."). Endnotes copied from a word
# processor or a PDF keep their number bare or raised ("1 Cohen SP ...", "¹ Cohen SP
# ..."): a number so, then a word, starts an entry too.
_ENTRY = re.compile(
    rf"^(?:(?:[-*+\u2022]\s+)?(?:\[(?P<bracketed>{NUMBER})\]|(?P<number>{NUMBER})\\?[.)])\s+"
    rf"|\[\^(?P<footnote>{NUMBER})\]:\s+|(?P<bare>{NUMBER})\s+(?=[^\W\d_])"
    rf"|(?P<raised>[{SUPERSCRIPT_DIGITS}]{{1,3}})\s*(?=[^\W\d_]))(?P<body>\S.*)$"
)
# A summary that cites as footnotes (`… pain.[^1]`) may list its works as their
# definitions, at its end and under no heading.
_FOOTNOTE = re.compile(rf"^\[\^{NUMBER}\]:\s+\S")
# Blanks between a work's number and its words, written as one space (`_list_spacing`).
_BLANKS = re.compile(r"\s+")
# Punctuation that ends a sentence or a Markdown autolink (`<https://doi.org/...>`), not
# an identifier (nor does a character that shows as nothing, pasted after it); and where
# a Markdown link's text ends and its address starts.
_TRAILING = ".,;:)]>"
_LINK_TEXT_END = "]("
_DOI = re.compile(r"(?:\bdoi:\s*|\bhttps?://(?:dx\.)?doi\.org/)(10\.\d{4,9}/\S+)", re.IGNORECASE)
_PMID = re.compile(r"\bPMID:?\s*(\d{1,9})\b")
_PMCID = re.compile(r"\b(PMC\d+)\b")
_URL = re.compile(r"\bhttps?://[^\s<>\"]+", re.IGNORECASE)
_DOI_LINK = re.compile(r"^https?://(?:dx\.)?doi\.org/", re.IGNORECASE)
# The source part of a journal reference, AMA (`2018;43(5):521-546`) or Vancouver
# (`2018 Jul;43(5):521-546`): the year, then volume, issue and pages.
_SOURCE = re.compile(
    r"(?:^|\s)(?P<year>\d{4})(?:\s+[A-Z][a-z]{2}(?:\s+\d{1,2})?)?;\s*"
    r"(?P<volume>[^\s;:()]+)?(?:\((?P<issue>[^()]+)\))?:\s*"
    r"(?P<pages>[A-Za-z]?\d+(?:[-\u2013][A-Za-z]?\d+)?)(?=[.;,\s]|$)"
)
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")
# One author as summaries write them: family name, then up to three initials.
_AUTHOR = re.compile(r"^[^\W\d_][\w'\u2019 -]*\s[A-Z]{1,3}$")
_ET_AL = re.compile(r"^et al\.?$", re.IGNORECASE)
# A text wholly in Markdown emphasis, and emphasis with underscores around a word.
_EMPHASISED = re.compile(r"(?P<mark>\*{1,3}|_{1,3})(?P<text>[^\s*_](?:.*[^\s*_])?)(?P=mark)")
_EMPHASISED_WORD = re.compile(r"(?<!\w)_+\w.*\w_+(?!\w)")


@dataclass(frozen=True)
class Entry:
    number: int
    line: int  # 1-based line in the summary
    fields: dict[str, Any]  # citation_text and whatever else the line says unambiguously


# A line of a list: a bullet, or a number as a list's entries are numbered.
_LISTED = re.compile(r"^(?:[-*+\u2022]|\[\d{1,3}\]|\d{1,3}[.)])\s+(?P<body>\S.*)$")
# The marker styles only a citation takes, never a work's own numbers ("2018;43(5)").
_CITING_STYLES = ("bracketed", "bracket-each", "superscript", "caret")


def list_start(lines: Sequence[str]) -> int | None:
    """Index of the reference list's heading in `lines`; None when there is none. It is
    the last line that names one: a heading of that name before it ("### Sources" over
    statements) is the summary's own. Nor is the last one a list's when every line listed
    under it ends in a citation marker, as statements do and works do not."""
    starts = [index for index, line in enumerate(lines) if HEADING.match(trimmed(line))]
    if not starts:
        return _footnotes_start(lines)
    bodies = [
        m.group("body") for line in lines[starts[-1] + 1 :] if (m := _LISTED.match(trimmed(line)))
    ]
    if bodies and all(split_marker(body) is not None for body in bodies):
        return _footnotes_start(lines)
    return starts[-1]


def _footnotes_start(lines: Sequence[str]) -> int | None:
    """Index of the first of the footnotes' definitions that end `lines`, which are its
    reference list; None if it ends in none. They stand in runs of lines between blank
    ones, a definition's wrapped lines right under it: a run holds definitions from its
    first one to its end, and the runs before are the definitions' too while each
    starts with one."""
    first = None
    end = len(lines)
    while end > 0:
        while end > 0 and not trimmed(lines[end - 1]):
            end -= 1
        top = end
        while top > 0 and trimmed(lines[top - 1]):
            top -= 1
        defined = [i for i in range(top, end) if _FOOTNOTE.match(trimmed(lines[i]))]
        if not defined:
            break
        first = defined[0]
        if first > top:
            break  # the lines above the first definition are the summary's
        end = top
    return first


def list_heading(source_text: str) -> str:
    """The reference list's heading as the summary wrote it ("References" if it is
    not kept), so that `ekb export --format text` writes the list back the same."""
    lines = split_lines(source_text)
    start = list_start(lines)
    if start is None or _FOOTNOTE.match(trimmed(lines[start])):
        return "References"
    return trimmed(lines[start])


def parse_reference_list(
    lines: Sequence[str], display: str, cited: dict[int, int], layout: str
) -> dict[int, Entry]:
    """The entries under the heading, by number. `cited` maps each cited number to
    the line of its first statement; a number listed but never cited, or cited but
    never listed, is a problem, as is any line that is neither an entry nor a line of
    one (`_listed`)."""
    start = list_start(lines)
    if start is None:
        return {}
    entries: dict[int, Entry] = {}
    first = start if _FOOTNOTE.match(trimmed(lines[start])) else start + 1
    if first < len(lines) and _UNDERLINE.fullmatch(trimmed(lines[first])):
        first += 1
    listed, problems = _listed(lines, first, display, layout)
    refused: set[int] = set()  # works listed whose line is refused: not missing too
    heading = f'the reference list\'s heading "{trimmed(lines[start])}" on line {start + 1}'
    for line, written, wraps in listed:
        text = _list_spacing(written)
        match = _ENTRY.match(text)
        assert match is not None  # _listed keeps entries only
        number = read_number(_entry_number(match))
        assert number is not None  # the pattern matched NUMBER
        if fault := control_fault(text):
            problems.append(Problem(display, line, f"the reference {fault}"))
            refused.add(number)  # the work is listed; only how its line is written is refused
            continue
        if fault := _entry_fault(match.group("body"), entries.get(number), heading):
            problems.append(Problem(display, line, fault))
            continue
        body = match.group("body")
        cuts = frozenset(len(body) - wrap for wrap in wraps)
        entries[number] = Entry(number, line, read_entry(text, body, cuts))
        if number not in cited:
            hint = _WRAP_HINT if match["bare"] else ""
            listed_only = f"reference {number} is listed but no statement cites it{hint}"
            problems.append(Problem(display, line, listed_only))
    for number, line in sorted(cited.items()):
        if number not in entries and number not in refused:
            problems.append(
                Problem(
                    display,
                    line,
                    f"the statement cites {number}, but the reference list on line "
                    f"{start + 1} has no entry {number}",
                )
            )
    if problems:
        raise ValidationError(problems)
    return entries


# Said of a work numbered bare ("43 No. 5, pp. 521-546") that no statement cites: it may
# be the work above it, wrapped.
_WRAP_HINT = " (if it goes on with the work above it, indent it under that work or join them)"


def _entry_fault(body: str, first: Entry | None, heading: str) -> str | None:
    """Why an entry of the list is no work: a citation marker at its end (a statement
    under `heading`), or its number listed before (`first`)."""
    marker = split_marker(body)
    if marker is not None and marker.style in _CITING_STYLES:
        return (
            f"this line ends in a citation marker, as a statement does, under {heading}; "
            "the list holds one work a line: move the statement above the heading"
        )
    if first is not None:
        return f"reference {first.number} is listed twice (first on line {first.line})"
    return None


def _entry_number(match: re.Match[str]) -> str:
    """The entry's number as written, raised digits read as digits."""
    number = match["bracketed"] or match["number"] or match["footnote"] or match["bare"]
    return number or lowered(match["raised"])


def _list_spacing(entry: str) -> str:
    """The entry with tabs before its text (after its bullet or number) as a space: the
    list's spacing, as a word processor numbers a list ("1.<tab>Cohen SP"), not the
    work's words, and no one-line field holds a tab."""
    match = _ENTRY.match(entry)
    if match is None or "\t" not in entry[: match.start("body")]:
        return entry
    return _BLANKS.sub(" ", entry[: match.start("body")]) + match.group("body")


def _listed(
    lines: Sequence[str], first: int, display: str, layout: str
) -> tuple[list[_Listed], list[Problem]]:
    """The list's entries from `lines[first:]`, each with its line, its text (its
    wrapped lines joined to it by a space) and where it was wrapped, and each line
    that is none. A line right under an entry goes on with it when indented deeper than
    the entry's first line (a hanging indent; in Markdown an item's continuation or a
    list nested in it), in every layout: an unindented one may be a work whose number
    was lost, and joined it would give the work above its identifiers. An editor's HTML
    comment, on one line or several, is skipped in Markdown."""
    entries: list[_Listed] = []
    problems: list[Problem] = []
    under: int | None = None  # the indent of the entry the line above belongs to
    refused: int | None = None  # the indent of the line above, refused
    refused_line = 0  # ... and its line
    nested_list = False  # ... and whether it was numbered, indented under a work
    comment = False  # whether a Markdown comment spread over lines is open
    for index in range(first, len(lines)):
        raw, text = lines[index], trimmed(lines[index])
        if layout == "markdown" and (comment or _opens_comment(text)):
            comment = "-->" not in text
            continue
        columns = raw.expandtabs(4)  # CommonMark's tab stops
        indent = len(columns) - len(columns.lstrip())
        if not text:
            under = refused = None
            continue
        numbered = _ENTRY.match(text)
        deeper = under is not None and indent > under
        below_refused = refused is not None and indent > refused
        # A numbered line beside a refused one numbered under a work is of that list too.
        nested = refused is not None and nested_list and indent >= refused
        if numbered and (below_refused or nested):
            why = _not_an_entry(text, None, layout, numbered=True, under_refused=refused_line)
            problems.append(Problem(display, index + 1, why))
        elif numbered and (not deeper or _next(entries, numbered)):
            entries.append((index + 1, text, ()))  # a numbered work is never joined to another
            under, refused = indent, None
        elif deeper and not numbered:
            line, entry, wraps = entries[-1]
            moved = len(text) + 1  # each wrap, counted from the end, is that much further
            entries[-1] = (line, f"{entry} {text}", (*(w + moved for w in wraps), moved))
        elif below_refused:
            continue  # it goes on with the line refused above it: told once
        else:
            above = entries[-1][0] if under is not None else None
            why = _not_an_entry(text, above, layout, bool(numbered))
            problems.append(Problem(display, index + 1, why))
            under, refused, refused_line = None, indent, index + 1
            nested_list = bool(numbered)
    return entries, problems


def _next(entries: list[_Listed], numbered: re.Match[str]) -> bool:
    """Whether a numbered line is the next work after the last entry, numbered one more:
    indented under a work, only so is it a work of its own ("  2. Guyatt GH ..." under
    "1. Cohen SP ..."), and any other number ("   43 No. 5", "   014. PMID ...", a
    DOI's end) is refused, never taken for a work nor joined to one."""
    previous = _ENTRY.match(entries[-1][1]) if entries else None
    last = read_number(_entry_number(previous)) if previous is not None else None
    return last is not None and last + 1 == read_number(_entry_number(numbered))


# An entry as the list gives it: its line, its text, and where its wrapped lines were
# joined to it (each wrap's joining space, counted from the text's end).
_Listed = tuple[int, str, tuple[int, ...]]


def _opens_comment(text: str) -> bool:
    """Whether a line is an HTML comment alone, or opens one it does not close."""
    return text.startswith("<!--") and ("-->" not in text or bool(COMMENTS_ONLY.fullmatch(text)))


def _starts_block(text: str) -> bool:
    """Whether a line starts a Markdown block of its own (blocks.MARKDOWN_START), which
    a reference list does not hold. A number does not: one that is an entry's is read
    as one, and CommonMark starts a list within a paragraph only at 1."""
    return bool(MARKDOWN_START.match(text)) and not text[:1].isdigit()


def _not_an_entry(
    text: str, above: int | None, layout: str, numbered: bool = False, under_refused: int = 0
) -> str:
    """Why a line of the list that is no entry is refused, and what to write; `above`:
    the line of the work right above it, if any; `numbered`: a number starts it,
    indented under that work (or under the line refused on line `under_refused`), not
    the next work's."""
    forms = "as '1. ...', '[1] ...' or '1) ...'"
    if under_refused:
        return (
            f"this numbered line is indented under line {under_refused}, which is no work: "
            f"write each work unindented, {forms}"
        )
    if numbered:
        return (
            f"this line, indented under the work on line {above}, starts with a number that "
            "is not the next work's: join it to that line if it goes on with the work, or "
            "number the works in order"
        )
    if layout == "markdown" and _starts_block(text):
        return (
            "not a numbered reference: a heading, bullet, quote, rule or tag starts a "
            "block of its own, which the reference list (to the summary's end) does not "
            f"hold; move it above the list's heading, or write the work {forms}"
        )
    if above is None:
        return f"not a numbered reference: write one work a line, {forms}"
    return (
        "not a numbered reference: a work's next line goes on with it only indented "
        f"under it; indent it if it goes on with the work on line {above} (or join the "
        f"two lines), or number it {forms}"
    )


def entry_body(citation_text: str) -> str | None:
    """What a list's line (a reference's `citation_text`) says of its work, without its
    number: two versions of a summary that list a work alike may number it otherwise.
    None for a text not written as a list's entry."""
    match = _ENTRY.match(citation_text.strip())
    return None if match is None else match.group("body")


def read_entry(citation_text: str, body: str, cuts: frozenset[int] = frozenset()) -> dict[str, Any]:
    """The fields one entry states unambiguously; `citation_text` always. `cuts`: where
    in `body` its wrapped lines were joined. An identifier that may go on past one
    ("doi:10.1002/(SICI)...17:8" over "<857::AID-SIM777>3.0.CO;2-E": `_cut`) would read
    as another identifier, so it is left out."""
    fields: dict[str, Any] = {}
    fields.update(_journal_source(body))
    for key, pattern in (("doi", _DOI), ("pmid", _PMID), ("pmcid", _PMCID)):
        found = (m.group(1) for m in pattern.finditer(body) if not _cut(body, m.end(1), cuts))
        if (value := _only(found)) is not None:
            fields[key] = value
    urls = (
        m.group()
        for m in _URL.finditer(body)
        if not _DOI_LINK.match(m.group()) and not _cut(body, m.end(), cuts)
    )
    if (url := _only(urls)) is not None:
        fields["url"] = url
    broken = {key for key, _ in record_problems(fields)}
    kept = {key: value for key, value in fields.items() if key not in broken}
    return {**kept, "citation_text": citation_text}


# What a line starts with that follows an identifier rather than going on with it.
_NEXT_LABEL = re.compile(
    r"(?:PMID|PMCID|Epub|Available|Accessed|Published|Retrieved|doi|https?://|URL)\b",
    re.IGNORECASE,
)
_BULLET_START = re.compile(r"[-*+\u2022]\s+")


def _cut(body: str, end: int, cuts: frozenset[int]) -> bool:
    """Whether an identifier ending at `end` of `body` may go on past a wrap there: PDFs
    and editors break one anywhere ("10.1016/j." over "jclinepi...", "17:8" over
    "<857::AID-SIM777>"). It ended at the wrap only where the next line starts with
    what follows an identifier ("PMID: ...", "Epub ...", "doi:", a web address)."""
    if end not in cuts:
        return False
    after = _BULLET_START.sub("", body[end + 1 :], count=1)  # a list nested in the item
    return _NEXT_LABEL.match(after) is None


def _only(values: Any) -> str | None:
    """The one value written (perhaps more than once); None for none or several."""
    found = {value.split(_LINK_TEXT_END)[0].rstrip(_TRAILING + INVISIBLE) for value in values}
    return found.pop() if len(found) == 1 else None


def _journal_source(body: str) -> dict[str, Any]:
    """Year, volume, issue and pages from the source part; authors, title and journal
    where the text before it is exactly "Authors. Title. Journal."."""
    matches = list(_SOURCE.finditer(body))
    if len(matches) != 1:
        return {}
    match = matches[0]
    fields: dict[str, Any] = {"year": int(match.group("year"))}
    for key in ("volume", "issue", "pages"):
        if match.group(key):
            fields[key] = match.group(key).strip()
    parts = _SENTENCE_END.split(body[: match.start()].strip())
    if len(parts) != 3:
        return fields
    names = [name.strip() for name in parts[0].rstrip(".").split(",")]
    complete = [name for name in names if not _ET_AL.match(name)]
    if not complete or not all(_AUTHOR.match(name) for name in complete):
        return fields  # the first part is not an author list: the split is not certain
    fields["authors"] = complete
    fields["title"] = _unemphasised(parts[1].removesuffix("."))
    fields["journal"] = _unemphasised(parts[2].removesuffix("."))
    return {key: value for key, value in fields.items() if value}


def _unemphasised(text: str) -> str | None:
    """`text` as read, Markdown emphasis around it read away (`*BMJ*` is BMJ); None
    where emphasis stays inside it, which a field would keep as stars."""
    if emphasised := _EMPHASISED.fullmatch(text):
        text = emphasised.group("text")
    return None if "*" in text or _EMPHASISED_WORD.search(text) else text
