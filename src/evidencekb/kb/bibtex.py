"""BibTeX's text rules, written once for the export (refexport.py) and the import
(refmanager.py), so that a work exported and read back is the same work.

A BibTeX value is LaTeX: `%` starts a comment (a title "100% of ..." is cut there),
an unbalanced brace ends the value or the file, `\\` starts a command, and `&`, `$`,
`#`, `_`, `~`, `^` mean something else than themselves. `escape` writes each of them
as the command LaTeX prints it with, and breaks the ligatures LaTeX would make of
`--`, ``` `` ```, `''`, `?``, `!``. In a list of authors " and " separates names, so
a name holding it, or a name with no given names (an organisation), is braced whole.
A title's words holding a capital are braced (`title`), so that a style setting it in
sentence case keeps them. `decoder` reads such text back: bibtexparser's LaTeX
decoding (pylatexenc), with `\\textasciicircum{}` as the `^` it stands for.
"""

from __future__ import annotations

import re

from pylatexenc import latex2text

_COMMANDS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "&": r"\&",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
# A special character, or the point between two characters LaTeX would join.
_SPECIAL = re.compile(r"[\\{}%&$#_~^]|(?<=-)(?=-)|(?<=`)(?=`)|(?<=')(?=')|(?<=[?!])(?=`)")
_AND = re.compile(r"\sand\s", re.IGNORECASE)


def escape(text: str) -> str:
    """`text` as a BibTeX value that LaTeX (and `decoder`) reads as `text`."""
    return _SPECIAL.sub(lambda match: _COMMANDS.get(match.group(), "{}"), text)


# A word: letters and digits (Unicode's), as Zotero's BibTeX export finds them.
_WORD = re.compile(r"[^\W_]+")


def title(text: str) -> str:
    """`text` as a BibTeX title: escaped, each word holding a capital braced as Zotero
    writes it ("{GRADE}: an emerging consensus"), since a style that sets titles in
    sentence case lowercases every letter not in braces ("Grade", "american"). A first
    word whose only capital is its first letter is left bare: styles keep that one."""
    pieces, done = [], 0
    for match in _WORD.finditer(text):
        word = match.group()
        initial_only = match.start() == 0 and not any(c.isupper() for c in word[1:])
        if any(c.isupper() for c in word) and not initial_only:
            pieces += [escape(text[done : match.start()]), f"{{{escape(word)}}}"]
            done = match.end()
    return "".join(pieces) + escape(text[done:])


def name(family: str, given: str) -> str:
    """One author for an `author` field: "Family, Given", the family braced when it
    holds " and " or stands alone (an organisation's name, never split)."""
    written = escape(family)
    if not given or _AND.search(family) or "," in family:
        written = f"{{{written}}}"
    return f"{written}, {escape(given)}" if given else written


def decoder() -> latex2text.LatexNodes2Text:
    """What reads BibTeX text back to Unicode."""
    context = latex2text.get_default_latex_context_db()
    context.add_context_category(
        "evidencekb", prepend=True, macros=[latex2text.MacroTextSpec("textasciicircum", "^")]
    )
    return latex2text.LatexNodes2Text(latex_context=context)
