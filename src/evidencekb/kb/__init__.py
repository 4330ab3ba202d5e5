"""The knowledge base: kb/ read and validated, summaries imported, claims exported.

`load_kb` is the one way a `KnowledgeBase` comes into being: it collects every
problem in every file before it fails (`read_kb`, for a build: with the fingerprint of
the bytes it read). The importer turns a summary into a new
topic folder; export and show turn claims back into text for people and
programs. `kb_fingerprint` (fingerprint.py) hashes kb/ for whatever is built
from it.

The public face is loaded on first use (PEP 562): `ekb search` imports
`evidencekb.kb.fingerprint` to check its index's freshness, and that must not
load the loader, the importer or the exporters.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evidencekb.kb.claims_jsonl import import_claims_jsonl
    from evidencekb.kb.exporter import claims_json, claims_run, export, json_list, select_topics
    from evidencekb.kb.fingerprint import Fingerprint, kb_fingerprint
    from evidencekb.kb.importer import ImportResult, import_summary
    from evidencekb.kb.load import LoadedKb, load_kb, read_kb
    from evidencekb.kb.show import claim_details, claim_list, claim_text, find_claim

# Each public name and the module that defines it.
_HOMES = {
    "Fingerprint": "fingerprint",
    "ImportResult": "importer",
    "LoadedKb": "load",
    "claim_details": "show",
    "claim_list": "show",
    "claim_text": "show",
    "claims_json": "exporter",
    "claims_run": "exporter",
    "export": "exporter",
    "find_claim": "show",
    "import_claims_jsonl": "claims_jsonl",
    "import_summary": "importer",
    "json_list": "exporter",
    "kb_fingerprint": "fingerprint",
    "load_kb": "load",
    "read_kb": "load",
    "select_topics": "exporter",
}

__all__ = [
    "Fingerprint",
    "ImportResult",
    "LoadedKb",
    "claim_details",
    "claim_list",
    "claim_text",
    "claims_json",
    "claims_run",
    "export",
    "find_claim",
    "import_claims_jsonl",
    "import_summary",
    "json_list",
    "kb_fingerprint",
    "load_kb",
    "read_kb",
    "select_topics",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
