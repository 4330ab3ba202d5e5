"""The rules for a work's identifiers, written once.

kb/bibliography.py checks the DOIs and PMIDs of references.toml with them, and
`ekb search` reads `doi:` and `pmid:` queries with them; the site's search gets the
patterns through its manifest (search/browser/data.py). Stdlib only: the search path
imports this, and it must not load kb/'s reader.

The patterns are written so that Python's `re` and JavaScript's RegExp (flag "u")
read them alike: ASCII digits spelled [0-9], since Python's \\d also takes other
scripts' digits.
"""

from __future__ import annotations

import re

# A DOI is "10.", a registrant code of digits (dot-separated parts allowed), "/",
# and a suffix of any printable characters: old Wiley DOIs hold "<", ">" and ";",
# so the suffix is not narrowed further. Case is kept as written; DOIs compare
# case-insensitively (the DOI Handbook, section 2.4).
DOI_PATTERN = r"^10\.[0-9]{4,9}(?:\.[0-9]+)*/\S+$"
# A DOI written as a link or with a prefix (case-insensitive): the DOI is what follows.
DOI_PREFIX_PATTERN = r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)"
PMID_PATTERN = r"^[1-9][0-9]{0,8}$"  # PubMed ids are positive whole numbers
PMCID_PATTERN = r"^PMC[0-9]+$"


def doi_key(doi: str) -> str:
    """The form two DOIs are compared in: DOIs are case-insensitive."""
    return doi.upper()


def bare_doi(text: str) -> str:
    """The DOI in a doi.org link or after a `doi:` prefix; other text unchanged."""
    return re.sub(DOI_PREFIX_PATTERN, "", text, flags=re.IGNORECASE)


def has_doi_prefix(text: str) -> bool:
    return re.match(DOI_PREFIX_PATTERN, text, flags=re.IGNORECASE) is not None


# Whole-text matches (not `match` with "$", which would let a final newline through).
# The patterns are compiled on first use (re caches them): `ekb search` imports this
# module and seldom reads an identifier.


def is_doi(text: str) -> bool:
    return re.fullmatch(DOI_PATTERN, text) is not None


def is_pmid(text: str) -> bool:
    return re.fullmatch(PMID_PATTERN, text) is not None


def is_pmcid(text: str) -> bool:
    return re.fullmatch(PMCID_PATTERN, text) is not None
