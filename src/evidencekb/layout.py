"""Names of what `ekb build` writes inside the site folder.

Kept apart (stdlib only) so that the search path can find the index without
importing the build stages and their heavy dependencies.
"""

from pathlib import Path

DEFAULT_KB_DIR = Path("kb")
DEFAULT_SITE_DIR = Path("site")
DATABASE_NAME = "evidencekb.db"
EXPORT_NAME = "evidencekb.json"
INDEX_DIRNAME = "whoosh"
