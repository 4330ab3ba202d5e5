"""Citation numbers: the one reader of them, wherever a summary or file gives them.

A statement's marker is read in every common spelling (kb/README.md lists them with an
example each): trailing numbers (`pathways 1.`, `effects 2, 3.`, `effects 2; 3.`,
`effects 2 & 3.`, `criteria 1`, `outcomes. 1, 2`, flattened superscripts `pathways.1`),
brackets (`[2]`, `[2, 3]`, `[2][4]`, `[2], [4]`, `[2-4]`, `[2]\u2013[4]` as IEEE writes
a range, `.[2,3]`, footnote-style `[^2]`), parentheses (`(2)`, `(2, 3)`), and
superscript digits (`pain.¹`, `pain¹.`, `.²,³`, `.²;³`, `.²˒³`, `¹⁻³`), before or after
the sentence's period, or before its "?" or "!". A marker after a separator
(`pain, [2].`) is a fault: the text would end in it. A number that belongs to the text is never
a citation: one joined to its word (`COVID-19.`, `H1N1.`), one after a word that takes a
number (`type 2.`, `phase 3.`, `grade 3.`, `of 4.`) or a separator (`grade 3; 4.`), one
after another number (`0.1-1.0 1.`), a year (four digits), a power joined to what it
raises (`10⁵`, `m²`, `R²`), and a negative power (`10⁻³`, `h⁻¹`: raised digits after a
raised minus, where a range, `¹⁻³`, has a raised digit before it). The number after such
a word is (`patients with COVID-19 1.` cites 1).

The summary importer, `ekb check` (a marker left in a claim's text), the
claims-jsonl importer and the reference-list reader (reflist.py) all take their
numbers and their rule (`citation_faults`) from here; `ekb export --format text`
writes markers back with `format_marker`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

# A citation number has at most three digits, so that a year ("... in 2019.") is not one.
NUMBER = r"\d{1,3}"
# The dashes of a range of citation numbers: hyphen-minus, en dash, em dash.
DASHES = "-\u2013\u2014"
_DASH = f"[{DASHES}]"
_RANGE = rf"{NUMBER}(?:\s*{_DASH}\s*{NUMBER})?"
# The most numbers, ranges or brackets one marker runs to after its first: far beyond any
# real marker, and a bound on the work of reading one, so that reading a statement takes
# time in proportion to its length ("... effective [1] [1] ... [1] in CRPS." is not read
# again from each bracket to its end). A longer run is not read as one marker.
_MOST = 50
# Between the numbers of one list: "2, 3", "2; 3", "2 & 3".
_SEPARATOR = r"\s*[,;&]\s*"
_LIST = rf"{_RANGE}(?:{_SEPARATOR}{_RANGE}){{0,{_MOST}}}"
SUPERSCRIPT_DIGITS = "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"
_TO_DIGITS = str.maketrans(SUPERSCRIPT_DIGITS, "0123456789")
_SUP = f"[{SUPERSCRIPT_DIGITS}]{{1,3}}"
# The superscript minus: between raised digits a range ("\u00b9\u207b\u00b3" cites 1 to 3),
# before them a negative power ("10\u207b\u00b3", "h\u207b\u00b9"), which cites nothing.
SUPERSCRIPT_MINUS = "\u207b"
# Between superscripts: a comma, semicolon or ampersand (as between plain numbers), the
# modifier letter used as a superscript comma (U+02D2), or a superscript minus or dash
# for a range.
_SUP_LIST = rf"{_SUP}(?:\s?[,;&\u02d2\u207b\-\u2013]\s?{_SUP}){{0,{_MOST}}}"
# Brackets each holding numbers, side by side or separated: "[2][4]", "[1], [2]", "[1] [2]";
# or a dash between them for a range, as IEEE writes one: "[2]\u2013[4]" cites 2, 3, 4.
_BRACKET = rf"\[\^?\s*{_LIST}\s*\]"
_BETWEEN_BRACKETS = rf"\s*(?:[,;&]\s*|{_DASH}\s*)?"
_BRACKETS = rf"{_BRACKET}(?:{_BETWEEN_BRACKETS}{_BRACKET}){{0,{_MOST}}}"
# A range between brackets, read as the range it stands for ("[2]\u2013[4]" is "[2-4]").
_BRACKETED_RANGE = re.compile(rf"\]\s*(?P<dash>{_DASH})\s*\[\^?")
_END = r"(?P<end>[.!?]?)"

_SUPERSCRIPTED = re.compile(rf"^(?P<text>.*?\S)(?P<space>\s?)(?P<marker>{_SUP_LIST}){_END}\Z")
_BRACKETED = re.compile(rf"^(?P<text>.*?\S)\s*(?P<marker>{_BRACKETS}){_END}\Z")
_PARENTHESIZED = re.compile(rf"^(?P<text>.*?\S)\s*(?P<marker>\(\s*{_LIST}\s*\)){_END}\Z")
# The quotation marks a quotation closes with, straight and curly.
_CLOSING_QUOTES = "\"'\u201d\u2019\u00bb"
# A flattened superscript's list: ranges and lists as the raised digits were, "2-4",
# "2,3", "1, 3", and "2 ,3" (a copy may keep a blank on either side of a comma).
_FLAT_RANGE = rf"{NUMBER}(?:{_DASH}{NUMBER})?"
_FLAT_LIST = rf"{_FLAT_RANGE}(?: ?[,;] ?{_FLAT_RANGE}){{0,{_MOST}}}"
# Superscripts flattened by a copy from a PDF or web page: "... pathways.1", "... pain.2,3",
# "... pain.2-4", "... by 30%.2", "... (95% CI 10-40%).3" (a letter, a per cent sign or a
# closing bracket before the period, never a digit, so that "2.1" stays a number).
_JOINED = re.compile(
    rf"^(?P<text>.*?(?:[^\W\d_]|[%)\]{_CLOSING_QUOTES}])[.!?])"
    rf"(?P<marker>{_FLAT_LIST})(?P<end>)\Z"
)
# ... and flattened onto a closing quote before the period: `... "a viable option"1.`
# (a number inside the quotes, `"type 2".`, stands before the quote, and is the text's).
_QUOTED = re.compile(
    rf"^(?P<text>.*?\S[{_CLOSING_QUOTES}])(?P<marker>{_FLAT_LIST})"
    r"(?P<end>[.!?]?)\Z"
)
_PLAIN = re.compile(
    rf"^(?P<text>.*?\S)\s+(?P<marker>{NUMBER}(?:{_SEPARATOR}{NUMBER}){{0,{_MOST}}}){_END}\Z"
)
# Pandoc's superscript, as it writes Word's raised numbers in Markdown: "^1^", "^2,3^",
# "^1-3^", a space escaped ("^1,\\ 2^": a superscript holds no bare space). `_CARET`
# finds one whole, `_CARET_LIST` says whether its numbers are a marker's.
# (ASCII digits only, and a backslash only before a space: "\\^3\\^" is two typed carets.)
_CARET = rf"(?<!\\)\^(?:[0-9\s,;&{re.escape(DASHES)}]|\\\s){{1,{8 * _MOST}}}\^"
_CARET_LIST = re.compile(rf"\^\s*{_LIST}\s*\^")
_CARETED = re.compile(rf"^(?P<text>.*?\S)(?P<space>\s?)(?P<marker>{_CARET}){_END}\Z")
_STYLES = (
    (_SUPERSCRIPTED, "superscript"),
    (_CARETED, "caret"),
    (_BRACKETED, "bracketed"),
    (_PARENTHESIZED, "parenthesized"),
    (_JOINED, "compact"),
    (_QUOTED, "compact"),
    (_PLAIN, "plain"),
)

# Words after which a number belongs to the sentence ("type 2", "phase 3", "of 4"),
# and the signs that take one ("n = 4", "< 5").
NUMBER_WORDS = frozenset((
    "of", "to", "and", "or", "from", "between", "than", "vs", "versus", "per", "at", "by",
    "over", "under", "about", "approximately", "around", "nearly", "within", "above", "below",
    "least", "most", "only", "total", "score", "ratio", "grade", "stage", "type", "level",
    "phase", "class", "step", "tier", "category", "schedule", "cycle", "day", "week", "month",
    "year", "hour", "visit", "dose", "arm", "group", "part", "version", "figure", "fig",
    "table", "no", "nr", "number", "n", "in", "on", "for", "with", "after", "before", "since",
    "until", "every", "each", "aged", "age", "ages",
    # what biology numbers: "trisomy 21.", "interleukin 6.", "genotype 1."
    "trisomy", "chromosome", "interleukin", "genotype", "serotype", "subtype", "isoform",
    "exon", "codon",
))  # fmt: skip
# Abbreviations, written with their period, after which a number is the text's:
# "shown in Fig. 2.", "dose level no. 3.", "approx. 5.", "Table No. 4.", "vs. 3.".
NUMBERING_ABBREVIATIONS = frozenset((
    "fig", "figs", "no", "nos", "nr", "approx", "ca", "vs", "vol", "tab", "eq", "eqs",
    "p", "pp", "ch", "chap", "sec", "art", "ed",
))  # fmt: skip
_NUMBER_SIGNS = frozenset("=<>\u2264\u2265\u00b1~\u2248\u00d7x#")
# What ends a token that the sentence goes on from: "n=4", "ratio 1:2", "1-2"; and a
# list's separator, which a plain marker never follows ("pain 3; 4." is one list).
_GOES_ON = "=<>\u2264\u2265\u00b1~\u2248\u00d7,;&:/+-\u2013"
# A token that is itself a number or numeric expression: "1-4", "0.5", "1:2".
_NUMERIC = re.compile(r"^[\d.,:/+\-\u2013\u2212]+\Z")
_ZERO = re.compile(r"(?<!\d)0+(?!\d)")
# An HTML superscript tag, opening (with or without attributes: `<sup class="ref">`) or
# closing: the layouts' one spelling of it, whether they read it or refuse it.
SUP_TAG = re.compile(r"<(?P<close>/?)sup(?:\s[^<>]*)?>", re.IGNORECASE)
# A unit of length a superscript 2 or 3 raises to a power: "m²", "mg/m²", "cm³".
_UNIT = re.compile(r"(?:^|[\s/(\d])(?:[kcdm\u00b5\u03bc]?m|ft|in)\Z")


@dataclass(frozen=True)
class Marker:
    text: str  # the statement without the marker, its final period kept
    citations: tuple[int, ...]
    style: str  # a key of model.CITATION_STYLES
    separator: str  # between numbers, as written (", ", ",", "\u02d2"); "" for one number
    start: int  # where the marker's own characters stand in the statement
    end: int
    faults: tuple[str, ...] = ()  # a range written backwards


def split_marker(statement: str) -> Marker | None:
    """Split a trailing citation marker off `statement`; None if it has none."""
    for pattern, style in _STYLES:
        match = pattern.match(statement)
        if match and _is_citation(match, style):
            return _marker(match, style)
    return None


def _is_citation(match: re.Match[str], style: str) -> bool:
    text = match.group("text")
    if style == "superscript":
        if text.endswith(SUPERSCRIPT_MINUS):
            return False  # a negative power's digits: "P < 10\u207b\u2075."
        # Joined to what it raises, a power: "at least 10\u2075.", "was R\u00b2."
        return bool(match.group("space")) or not _power_of(text, match.group("marker"))
    if style == "parenthesized" and _is_scale(match.group("marker")):
        return False
    if style == "caret":  # raised numbers in a list, not a power ("mg/m^2^.")
        marker = match.group("marker")
        listed = _CARET_LIST.fullmatch(_unescaped(marker)) is not None
        return listed and (bool(match.group("space")) or not _caret_power(text, marker))
    if style in ("bracketed", "compact"):
        return True  # in brackets, or joined to the sentence's end, it can only cite
    if text.endswith("."):
        # After the sentence's period it can only cite; after an abbreviation's that
        # takes a number ("in Fig. 2.", "level no. 3."), the number is the text's.
        return text.split()[-1].lower().rstrip(".") not in NUMBERING_ABBREVIATIONS
    return text.endswith(("!", "?")) or not _takes_number(text)


def _is_scale(marker: str) -> bool:
    """Whether numbers in brackets or parentheses are a scale ("(0-10)", "[0-10]"), not
    citations: a citation is numbered from 1, so a list holding a 0 never cites."""
    return bool(_ZERO.search(marker))


def _takes_number(text: str) -> bool:
    """Whether a number after `text` belongs to the sentence."""
    token = text.split()[-1]
    if token in _NUMBER_SIGNS or token[-1] in _GOES_ON or _NUMERIC.match(token):
        return True
    return token.lower().strip("(\"'") in NUMBER_WORDS


def _caret_power(before: str, caret: str) -> bool:
    """Whether a caret superscript joined to `before` raises it to a power, as raised
    digits would (`_power_of`: "10^6^", "m^2^"), or is a negative power ("10^-3^")."""
    raised = _unescaped(caret).strip("^").strip()
    if raised[:1] in DASHES:
        return True
    return raised.isdigit() and _power_of(before, raised.translate(_FROM_DIGITS))


def _unescaped(caret: str) -> str:
    """A caret superscript's text without Markdown's escapes ("^1,\\ 2^" is "^1, 2^")."""
    return caret.replace("\\", "")


def _marker(match: re.Match[str], style: str) -> Marker:
    raw = match.group("marker")
    digits = lowered(raw) if style == "superscript" else raw
    if style == "caret":
        raw = _unescaped(raw)
        digits = raw.strip("^")
    digits = digits.replace("\u207b", "-").replace("\u02d2", ",")
    citations, faults = read_numbers(_BRACKETED_RANGE.sub(r"\g<dash>", digits))
    if style == "bracketed" and raw.count("[") > 1:
        style = "bracket-each"
    separator = _separator(raw, style)
    if style == "plain" and separator == ",":
        style = "compact"
    return Marker(
        text=match.group("text") + match.group("end"),
        citations=citations,
        style=style,
        separator=separator,
        start=match.start("marker"),
        end=match.end("marker"),
        faults=faults + _dangling(match.group("text"), raw) + _dashed_brackets(raw),
    )


_ONE_BRACKET = re.compile(r"\[(\^?)\s*([^\]]*?)\s*\]")
_DASH_ONLY = re.compile(rf"\s*{_DASH}\s*")


def _dashed_brackets(raw: str) -> tuple[str, ...]:
    """What is wrong with a dash between brackets other than IEEE's range, two brackets of
    one number each ("[2]\u2013[4]"): a chain ("[2]\u2013[4]\u2013[6]"), a bracket of a
    range or list ("[2\u20133]\u2013[5]"), a footnote's beside a plain one ("[1]\u2013[^3]")."""
    brackets = list(pairwise(_ONE_BRACKET.finditer(raw)))
    dashed = [_DASH_ONLY.fullmatch(raw[a.end() : b.start()]) is not None for a, b in brackets]
    for index, ((left, right), dash) in enumerate(zip(brackets, dashed, strict=True)):
        chained = any(dashed[max(index - 1, 0) : index]) or any(dashed[index + 1 : index + 2])
        single = all(re.fullmatch(NUMBER, b.group(2)) for b in (left, right))
        if dash and (chained or not single or left.group(1) != right.group(1)):
            return (
                f'the citation marker "{raw}" joins brackets with a dash as no range is '
                'written; write a range as "[2]\u2013[4]" (two brackets of one number each) '
                'or "[2\u20134]"',
            )
    return ()


def _separator(raw: str, style: str) -> str:
    # Brackets each holding numbers are separated between them: "[1], [2]" (a dash
    # between two is a range, "[2]\u2013[4]", not a separator).
    if style == "bracket-each":
        between = re.findall(r"\]([^\[]*)\[", raw)
        return next((found for found in between if not re.search(_DASH, found)), "")
    found = re.search(r"(\s*[,;&\u02d2]\s*)", raw)
    return found.group(1) if found else ""


def _dangling(text: str, raw: str) -> tuple[str, ...]:
    """A separator the marker's text would end in ("pain, [2]", "pain;\u00b3"): the
    statement's numbers may not all be in its marker, and its text would end in debris.
    (A plain number after a separator is the sentence's: `_takes_number`.)"""
    separator = text.rstrip().rstrip(".!?").rstrip()[-1:]
    if not separator or separator not in ",;&":
        return ()
    return (
        f'a "{separator}" stands before the citation marker "{raw}"; write all the '
        "statement's numbers in one marker at its end, with nothing before it",
    )


# Markers read only at a statement's end, so that one anywhere else would be lost: in
# brackets ("[1]", "[^2]"; not a scale, "[0-10]"), raised digits after a word, joined or
# not ("CRPS\u00b9 and", "CRPS \u00b9 and"; not a power, "10\u2076", "m\u00b2",
# "10\u207b\u00b3", "h\u207b\u00b9", a charge, "Ca\u00b2\u207a", or an isotope,
# "\u00b9\u2078F"), and spellings read nowhere: a caret superscript ("^1^") and HTML
# ("<sup>1</sup>" outside Markdown).
# A bracket of numbers, read or miswritten ("[1,2,]", "[1,,2]"), and runs of them.
# (Its first digit is the first one, so that it is read once, however long.)
_NUMBERED = rf"\[\^?[\s,;&{re.escape(DASHES)}]*\d[\d\s,;&{re.escape(DASHES)}]*\]"
_INNER_BRACKETS = re.compile(rf"{_NUMBERED}(?:{_BETWEEN_BRACKETS}{_NUMBERED}){{0,{_MOST}}}")
_READ_BRACKETS = re.compile(_BRACKETS)
# A run is found whole, from its first raised digit ("\u00b9\u2078F" is never "\u2078F"),
# after a word or another run and blanks ("CRPS \u00b9 \u00b3 and" is two), or first;
# a negative power from its minus, its digits alone ("h\u207b\u00b9,\u00b9\u207b\u00b3" is
# a power, then a marker).
_INNER_RAISED = re.compile(
    rf"(?:^|(?<=\S))(?P<space>\s*)(?<![{SUPERSCRIPT_DIGITS}])"
    rf"(?:{SUPERSCRIPT_MINUS}(?P<power>{_SUP})|(?P<marker>{_SUP_LIST}))"
    rf"(?![\w\u207a{SUPERSCRIPT_MINUS}])"
)
_UNREAD_CARET = re.compile(_CARET)


# What a run of markers at a statement's end is written with: numbers, raised or not,
# their separators and brackets, and the sentence's end.
_RUN = f"0123456789{SUPERSCRIPT_DIGITS}{DASHES}{SUPERSCRIPT_MINUS}\u02d2,;&[]()^ .!?"
_RUN_NUMBERS = re.compile(rf"\d+|[{SUPERSCRIPT_DIGITS}]+")


def _overlong(run: str) -> bool:
    """Whether a run of numbers holds more than a marker is read to hold (_MOST after
    the first)."""
    return len(_RUN_NUMBERS.findall(run)) > _MOST + 1


def _overlong_end(text: str) -> str | None:
    """The run of numbers ending `text`, when it is `_overlong`; None otherwise."""
    run = text[len(text.rstrip(_RUN)) :].strip()
    return run if _overlong(run) else None


# A marker at a statement's end whose bracket is left open ("pain [1.", "pain (1, 2."),
# or shut where none was opened ("pain 1].").
_OPEN_AT_END = re.compile(rf"[\[(]\^?\s*{_LIST}\s*[.!?]?\Z")
_SHUT_AT_END = re.compile(rf"(?<![\d\[(])\s*(?P<run>{_LIST}\s*[\])])[.!?]?\Z")


def _unbalanced_end(text: str) -> str | None:
    """The marker ending `text` whose bracket is left open or was never opened; None if
    there is none (numbers in a bracket opened before them, "(95% CI 12-15).", are text)."""
    if (opened := _OPEN_AT_END.search(text)) is not None:
        return opened.group().rstrip(".!?").strip()
    if (shut := _SHUT_AT_END.search(text)) is None:
        return None
    run = shut.group("run").strip()
    opener = "[" if run.endswith("]") else "("
    before = text[: shut.start()]
    return run if before.count(opener) <= before.count(run[-1]) else None


def unread_markers(text: str) -> list[str]:
    """The citation markers in `text` (a statement, its end's marker taken off, or a
    heading) that no rule reads, as written: each would be a citation lost."""
    if (run := _overlong_end(text)) is not None:
        return [run]
    found = [run] if (run := _unbalanced_end(text)) is not None else []
    found += [m.group() for m in _INNER_BRACKETS.finditer(text) if not _is_scale(m.group())]
    found += [m.group("marker") for m in _INNER_RAISED.finditer(text) if not _raised_power(m)]
    found += [m.group() for m in _UNREAD_CARET.finditer(text) if not _joined_power(m)]
    # A `</sup>` is refused with the `<sup>` it closes; one alone raises nothing.
    return found + [m.group() for m in SUP_TAG.finditer(text) if not m.group("close")]


def _joined_power(caret: re.Match[str]) -> bool:
    before = caret.string[: caret.start()]
    return bool(before) and not before[-1].isspace() and _caret_power(before, caret.group())


def unread_faults(text: str, what: str) -> list[str]:
    """Why each marker in `text` that no rule reads is refused: the rule the importer
    applies to a statement or heading (`what`), and `ekb check` to a claim's text."""
    return [unread_fault(marker, what) for marker in unread_markers(text)]


def _raised_power(match: re.Match[str]) -> bool:
    """Whether raised digits raise what they are joined to to a power: a number
    ("10\u2076"), or with a 2 or 3 a unit ("m\u00b2") or a one-letter symbol ("R\u00b2",
    "I\u00b2", "\u03c7\u00b2"); after a raised minus, anything ("10\u207b\u00b3",
    "h\u207b\u00b9"): a citation range has a number before its dash. After a space they are
    a marker, as at a statement's end ("mg/m \u00b2." cites 2)."""
    if match.group("power"):
        return True
    return not match.group("space") and _power_of(match.string[: match.start()], match["marker"])


# A name ending in a number: two letters or more, then a hyphen or not, then digits
# ("COVID-19", "IL-6", "CYP2D6", "SARS-CoV-2"); "5x10" and "10" are numbers.
_NAMED_NUMBER = re.compile(r"[^\W\d_]{2,}[\w-]*\d\Z")
_YEAR_BASE = re.compile(r"(?<![\w.,])(?:19|20)\d\d\Z")
# Statistics written squared by their names: "Chi²", "Tau²", "eta²", "omega²".
_SQUARED_NAMES = frozenset(("chi", "tau", "eta", "omega", "sigma", "rho", "phi"))


def _power_of(before: str, raised: str) -> bool:
    """Whether `raised` digits joined to `before` raise it to a power: a number
    ("10\u2076"), or with a 2 or 3 a unit ("m\u00b2") or a one-letter symbol ("R\u00b2",
    "I\u00b2", "\u03c7\u00b2")."""
    if not before:
        return False
    if before[-1].isdigit():
        # A number raises; a name that ends in one does not ("COVID-19\u00b2", "IL-6\u00b2"),
        # nor a year ("since 2019\u00b2"): what follows them is a citation, as "COVID-19
        # 2." cites 2.
        return not (_NAMED_NUMBER.search(before) or _YEAR_BASE.search(before))
    if raised not in ("\u00b2", "\u00b3"):
        return False
    symbol = before.split()[-1].lstrip("(")
    return bool(_UNIT.search(before)) or len(symbol) == 1 or symbol.lower() in _SQUARED_NAMES


def unread_fault(marker: str, what: str) -> str:
    """Why `marker`, in a statement or heading (`what`), is refused, and what to write."""
    if _overlong(marker):
        return (
            f'the citation marker "{marker}" at the end of the {what} lists more numbers '
            f"than one marker is read to hold ({_MOST + 1}); cite a range ([1-60]) or fewer works"
        )
    unbalanced = marker.count("[") != marker.count("]") or marker.count("(") != marker.count(")")
    if unbalanced or (marker.startswith("[") and not _READ_BRACKETS.fullmatch(marker)):
        return (
            f'the citation marker "{marker}" in the {what} is miswritten, and no rule reads '
            "it; write its numbers as a list or range in brackets, [1, 2] or [1-3], at the "
            "end of the statement"
        )
    if marker.startswith("<"):
        return (
            f'"{marker}" is HTML, which only a Markdown summary reads; cite at the end of '
            "the statement as [1] or \u00b9, or import the summary as Markdown (--layout markdown)"
        )
    if marker.startswith("^"):
        return (
            f'the citation marker "{marker}" (a caret superscript) inside the {what} is not '
            "read; cite at the end of the statement, all its numbers in one marker, or make "
            "it two statements"
        )
    return (
        f'the citation marker "{marker}" inside the {what} is not read; cite at the end of '
        "the statement, all its numbers in one marker, or make it two statements"
    )


# Citations no rule reads, so that the claim would cite nothing: written in words, "(ref.
# 3)", "(refs 1, 2)", "(reference 4)", "[ref 2]"; and by author and year, "(Guyatt et al.,
# 2008)", "(Guyatt et al. 2008; Santesso et al. 2020)", "(Cohen, 2018)", "(Guyatt and
# Oxman, 2008)": a name and "et al." before a year, or a name (or two) and a comma before
# a year that end a citation of their own in the brackets, so that brackets holding a
# date or a year, "(March 2020)", "(March, 2020)", "(2008 guideline)", "(CRPS, 2019
# criteria)", "(approved in the US, 2019)", are text.
_WORDED = re.compile(
    r"[(\[]\s*(?:see\s+)?ref(?:erence)?s?\b\.?\s*(?P<numbers>\d[^()\[\]]*)[)\]]", re.IGNORECASE
)
_NAME = r"[^\W\d_][\w'\u2019-]*"
_YEAR = r"(?:19|20)\d\d[a-z]?"
_AUTHOR_YEAR = re.compile(
    rf"(?P<name>{_NAME})\s+et\s+al\b\.?,?\s*{_YEAR}\b"
    rf"|(?:^|[;(\[])\s*(?P<first>{_NAME})(?:\s+(?:and|&)\s+{_NAME})?,\s*{_YEAR}\s*(?=[;)\]])"
)
_BRACKETED_TEXT = re.compile(r"[(\[][^()\[\]]*[)\]]")
_MONTHS = frozenset((
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "spring", "summer", "autumn", "fall", "winter",
))  # fmt: skip


def worded_faults(text: str, what: str) -> list[str]:
    """Why each citation in `text` (a statement or heading, `what`) written in words or
    by author and year is refused: no rule reads it, and the claim would cite nothing."""
    faults = []
    for found in _WORDED.finditer(text):
        numbers = ", ".join(re.findall(_RANGE, found["numbers"]))
        faults.append(
            f'"{found.group()}" is a citation written in words, which is not read, and the '
            f"{what} would cite nothing; cite by number at the end of the statement, as [{numbers}]"
        )
    for found in _BRACKETED_TEXT.finditer(text):
        names = [m["name"] or m["first"] for m in _AUTHOR_YEAR.finditer(found.group())]
        if any(name.lower() not in _MONTHS for name in names):
            faults.append(
                f'"{found.group()}" is an author-year citation, and author-year citations are '
                "not read; number the references, and cite by number at the end of the "
                "statement, as [1]"
            )
    return faults


# Where a sentence may end inside a paragraph: blanks, then a capital letter.
_NEXT_SENTENCE = re.compile(r"\s+(?=[^\W\d_])")
# The most of a sentence's end that decides whether it ends in a marker.
_TAIL = 200


def cited_sentences(paragraph: str) -> list[str]:
    """`paragraph` cut after each sentence that ends in a citation marker and its period,
    where another sentence follows: `A is B 1. C is D 2.` is two statements. Each part
    is verbatim; a sentence without a marker stays with the one after it."""
    parts: list[str] = []
    start = 0
    for gap in _NEXT_SENTENCE.finditer(paragraph):
        if not paragraph[gap.end()].isupper():
            continue
        tail = paragraph[max(start, gap.start() - _TAIL) : gap.start()]
        marker = split_marker(tail)
        if marker is not None and marker.text.endswith((".", "!", "?")):
            parts.append(paragraph[start : gap.start()])
            start = gap.end()
    parts.append(paragraph[start:])
    return parts


def read_numbers(marker: str) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """The numbers a marker's text gives, ranges spelled out ("2-4" is 2, 3, 4), and
    what is wrong with a range that runs backwards."""
    numbers: list[int] = []
    faults: list[str] = []
    for first, last in re.findall(rf"(\d+)(?:\s*{_DASH}\s*(\d+))?", marker):
        low, high = int(first), int(last or first)
        if high < low:
            faults.append(f"citation range {low}-{high} runs backwards; write {high}-{low}")
        numbers += range(low, high + 1) if high >= low else [low, high]
    return tuple(numbers), tuple(faults)


def lowered(raised: str) -> str:
    """Raised digits ("\u00b9\u00b2") as the digits they raise ("12"); others as they are."""
    return raised.translate(_TO_DIGITS)


def read_number(text: str) -> int | None:
    """A citation number written alone ("12"), as a reference list's entry gives it."""
    return int(text) if re.fullmatch(NUMBER, text) else None


def citation_faults(citations: tuple[int, ...] | list[int]) -> list[str]:
    """What is wrong with a claim's citation numbers: each must be 1 or more, once."""
    faults = [f"citation number {n} must be 1 or more" for n in citations if n < 1]
    if len(set(citations)) != len(citations):
        faults.append("a citation number is listed twice")
    return faults


def format_marker(citations: tuple[int, ...], style: str, separator: str | None = None) -> str:
    """The marker in `style` (with the source's `separator`), or "" for no citations."""
    if not citations:
        return ""
    if style == "superscript":
        numbers = [str(n).translate(_FROM_DIGITS) for n in citations]
        return (separator or ",").join(numbers)
    numbers = [str(n) for n in citations]
    if style == "caret":  # a space escaped, as pandoc writes one in a superscript
        return "^" + (separator or ",").replace(" ", "\\ ").join(numbers) + "^"
    if style == "bracket-each":
        return (separator or "").join(f"[{n}]" for n in numbers)
    joined = (separator or ("," if style == "compact" else ", ")).join(numbers)
    if style == "bracketed":
        return f"[{joined}]"
    if style == "parenthesized":
        return f"({joined})"
    return joined


_FROM_DIGITS = str.maketrans("0123456789", SUPERSCRIPT_DIGITS)


def with_marker(text: str, citations: tuple[int, ...], style: str) -> str:
    """Put the marker back before the final period: `... pathways 1.`"""
    marker = format_marker(citations, style)
    if not marker:
        return text
    body, end = (text[:-1], ".") if text.endswith(".") else (text, "")
    if style == "superscript" and body.endswith(tuple(SUPERSCRIPT_DIGITS)):
        # Joined to a power's raised digits it would be read as part of them
        # ("10\u207b\u2075\u00b2."): after the period instead, or a space.
        return f"{text}{marker}" if end else f"{body} {marker}"
    space = "" if style == "superscript" else " "
    return f"{body}{space}{marker}{end}"


def rewrite_marker(statement: str, citations: tuple[int, ...], style: str) -> str:
    """`statement` (as the source wrote it) citing `citations` instead, in its own
    spelling; in `style` where it had no marker."""
    marker = split_marker(statement)
    if marker is None:
        return with_marker(statement, citations, style)
    if marker.citations == citations:
        return statement
    written = format_marker(citations, marker.style, marker.separator)
    before = statement[: marker.start] if written else statement[: marker.start].rstrip()
    return before + written + statement[marker.end :]
