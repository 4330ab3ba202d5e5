"""The static site: pages rendered from the knowledge base, and a local preview server.

`parts` offers a build every page (each kept from the earlier build where its key is
the same), the static files and, last, the downloads page; `serve` previews a built
site on 127.0.0.1.
"""

from evidencekb.site.render import parts
from evidencekb.site.serve import serve

__all__ = ["parts", "serve"]
