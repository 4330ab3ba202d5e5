"""The browser's search data: the site's search (static/search-core.js) reads it.

The claims are analysed as the index analyses them (`analysis.py`), one topic at a
time, each topic's analysis kept in the user's cache folder (`cache.py`), and
written out with the query language's rules as data (`data.py`).

Nothing in `evidencekb.search` imports this package: `ekb search` never loads it.
"""

from evidencekb.search.browser.data import write_search_data

__all__ = ["write_search_data"]
