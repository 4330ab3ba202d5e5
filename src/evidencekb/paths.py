"""Every path and file name evidencekb reads or writes, defined once.

Stdlib only, so that any stage (the search path included) can name a file
without importing the stage that writes it.
"""

import os
from pathlib import Path

# Folders the command line uses unless told otherwise.
DEFAULT_KB_DIR = Path("kb")
DEFAULT_SITE_DIR = Path("site")

# Inside kb/.
STRENGTH_FILE = "strength.toml"
STRENGTH_PROSE = "strength.md"
STANCE_FILE = "stance.toml"  # what a cited work says of a claim; how claims relate
CATEGORIES_FILE = "vocabulary/categories.toml"
ENTITIES_FILE = "vocabulary/entities.toml"
TOPICS_DIR = "topics"
# Inside kb/topics/<slug>/.
TOPIC_FILE = "topic.toml"
OVERVIEW_FILE = "overview.md"
CLAIMS_FILE = "claims.toml"
REFERENCES_FILE = "references.toml"
EVIDENCE_FILE = "evidence.toml"  # stances and quotations per claim and cited work
SOURCE_COPY = "source.txt"  # the summary as imported, for provenance checks
NOTICES_FILE = "notices.toml"  # editorial notices (retractions...) on the cited works

# Inside the user's cache folder ($XDG_CACHE_HOME, else ~/.cache): work kept by an
# earlier run (cache.py). Never inside kb/ or the site: see there.
CACHE_DIRNAME = "evidencekb"
PARSE_CACHE_DIRNAME = "parsed-toml"  # kb/ files parsed (kb/parsecache.py)
CHECKED_CACHE_DIRNAME = "checked-topics"  # topics that loaded without a problem (kb/checked.py)
CITATION_CACHE_DIRNAME = "citations"  # references formatted by site/citation.py
SEARCH_CACHE_DIRNAME = "search-data"  # each topic's search data analysed (search/browser/cache.py)
EXPORT_CACHE_DIRNAME = "export"  # each topic's share of the JSON export (database/export.py)
VERDICT_CACHE_DIRNAME = "verdicts"  # each topic's claims' verdicts (database/evidence.py)
INDEX_CACHE_DIRNAME = "index-documents"  # each topic's claims analysed (search/segments.py)

# Inside the site folder that `ekb build` writes.
DATABASE_NAME = "evidencekb.db"
DATASETTE_METADATA_NAME = "metadata.json"  # beside the database: `datasette DB -m metadata.json`
EXPORT_NAME = "evidencekb.json.gz"  # the JSON export, compressed: a download of every claim
INDEX_META_NAME = "evidencekb-index.json"  # inside the index folder, beside Whoosh's files
SEARCH_DATA_DIRNAME = "search"  # the browser's search data
STATIC_DIRNAME = "static"  # stylesheet and scripts
# The content key of each part of the site, for the next build to keep what did not
# change (see reuse.py); hidden: it is the build's, not the readers'.
BUILD_MANIFEST_NAME = ".ekb-build.json"
# What marks the index folder as one evidencekb wrote, so that a build may replace it:
# its metadata, or its build manifest (every writer of the index writes both, and one
# lost must not leave a folder no build can replace).
INDEX_MARKERS = (INDEX_META_NAME, BUILD_MANIFEST_NAME)

# Beside the site folder: the Whoosh index that `ekb search` reads (see index_dir).
INDEX_SUFFIX = ".ekb-index"


def index_dir(site_dir: Path) -> Path:
    """The folder of the Whoosh index `ekb search` reads for the site at `site_dir`:
    its hidden sibling, `.site.ekb-index` beside `site` (beside the link, where
    `site_dir` is a link). Never inside the site folder: a static host publishes all
    of that, and only `ekb search` reads the index, never the browser."""
    site = Path(os.path.abspath(site_dir))  # "." has a name then; links stay links
    return site.parent / f".{site.name or 'site'}{INDEX_SUFFIX}"


# A folder's own page: entities/index.html lists every entity beside entities/<id>.html,
# so no entity or category may have the id "index" (`ekb check` says so).
FOLDER_PAGE_STEM = "index"
FOLDER_PAGE = f"{FOLDER_PAGE_STEM}.html"

# Long listings (a topic's claims, an entity's, a category's) come in numbered pages.
LISTING_PAGE = "page-{number}.html"  # page 2, 3, ... of a listing, in its own folder


def listing_page(first: str, number: int) -> str:
    """Page `number` of a listing whose first page is `first` (a site path). Page 1 is
    `first` itself, so a listing's address never changes as it grows; page n sits in
    the folder the first page names: topics/<slug>/index.html -> topics/<slug>/page-n.html,
    entities/<id>.html -> entities/<id>/page-n.html. Ids never hold "/", so no page n
    can take another page's name."""
    if number == 1:
        return first
    folder = first.removesuffix("index.html") if first.endswith("/index.html") else first
    folder = folder.removesuffix(".html").rstrip("/")
    return f"{folder}/{LISTING_PAGE.format(number=number)}"
