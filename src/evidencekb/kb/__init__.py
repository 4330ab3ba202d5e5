"""The knowledge base: kb/ read and validated, summaries imported, claims exported.

`load_kb` is the one way a `KnowledgeBase` comes into being: it collects every
problem in every file before it fails. The importer turns a summary into a new
topic folder; export and show turn claims back into text for people and
programs.
"""

from evidencekb.kb.claims_jsonl import import_claims_jsonl
from evidencekb.kb.export import claims_json, export
from evidencekb.kb.importer import ImportResult, import_summary
from evidencekb.kb.load import load_kb
from evidencekb.kb.show import claim_details, claim_text, find_claim

__all__ = [
    "ImportResult",
    "claim_details",
    "claim_text",
    "claims_json",
    "export",
    "find_claim",
    "import_claims_jsonl",
    "import_summary",
    "load_kb",
]
