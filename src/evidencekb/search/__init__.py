"""Search: analysis and vocabulary, the query language, spelling correction,
the Whoosh index and its freshness, the engine, and result output; and for a build,
the index's segments (`index_parts`, beside the site) and the browser's search data
(`parts`, in the site) as parts.

This is the whole of what `ekb search` imports. It never imports jinja2,
markdown, sqlite_utils, `evidencekb.site` or the browser's search data
(`search/browser/`), so the command starts fast (a test checks that in a fresh
interpreter); kb/ is read only to rebuild a stale index.
"""

from evidencekb.search.engine import Filters, Hit, Ranking, SearchResults, search
from evidencekb.search.output import results_json, results_text
from evidencekb.search.stage import index_parts, parts
from evidencekb.search.writer import ensure_fresh_index, write_index

__all__ = [
    "Filters",
    "Hit",
    "Ranking",
    "SearchResults",
    "ensure_fresh_index",
    "index_parts",
    "parts",
    "results_json",
    "results_text",
    "search",
    "write_index",
]
