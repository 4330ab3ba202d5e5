"""The static site: pages rendered from the knowledge base, the browser's
search data, and a local preview server.

`render_site` writes every page, the stylesheet, the scripts and the search
data into a folder (`render_pages` and `keep_or_write_search_data` each part, for a
build that runs them in two processes); `serve` previews a built site on 127.0.0.1.
"""

from evidencekb.site.render import (
    keep_or_write_search_data,
    render_downloads,
    render_pages,
    render_site,
)
from evidencekb.site.serve import serve

__all__ = [
    "keep_or_write_search_data",
    "render_downloads",
    "render_pages",
    "render_site",
    "serve",
]
