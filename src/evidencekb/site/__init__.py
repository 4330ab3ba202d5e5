"""The static site: pages rendered from the knowledge base, the browser's
search data, and a local preview server.

`render_site` writes every page, the stylesheet, the scripts and the search
data into a folder; `serve` previews a built site on 127.0.0.1.
"""

from evidencekb.site.render import render_site
from evidencekb.site.serve import serve

__all__ = ["render_site", "serve"]
