"""What the search stage offers a build: the index's segments (search/writer.py), in
the index folder beside the site (paths.index_dir), and the browser's search data
(search/browser/) in the site, as parts the build keeps or writes.

What writes is imported when a build asks for the parts: `ekb search` imports this
package and never loads it.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from evidencekb.paths import SEARCH_DATA_DIRNAME

if TYPE_CHECKING:
    from evidencekb.kb.load import LoadedKb
    from evidencekb.progress import Progress
    from evidencekb.reuse import Earlier, Part, Parts

# Writing the search data costs about twice an index segment's work per claim when
# every topic is analysed; after an earlier build, whose topics' analyses are most
# likely in the cache, what is left (merging them, writing the files) costs about a
# twelfth of one.
_SEARCH_DATA_COST, _MERGE_COST = 2, 0.08


def index_parts(source: LoadedKb, index_out: Path, earlier: Earlier, progress: Progress) -> Parts:
    """The index's segments, written into `index_out` (from each topic's claims analysed
    as the user's cache keeps them, search/segments.py) or kept from the index folder
    `earlier` read; the index's finish (its table of contents and metadata) once they
    are written or kept."""
    from evidencekb.search.segments import kept_documents
    from evidencekb.search.writer import index_parts as segment_parts

    kept = kept_documents(source.kb_dir)
    return segment_parts(source.kb, index_out, earlier, source.fingerprint, kept, progress)


def parts(source: LoadedKb, out: Path, earlier: Earlier, progress: Progress) -> Parts:
    """The site's part: the browser's search data."""
    from evidencekb.reuse import Parts

    return Parts((_search_data(source, out, earlier),))


def _search_data(source: LoadedKb, out: Path, earlier: Earlier) -> Part:
    """The browser's search data: made from all of kb/ (every claim's number is in it),
    so kept only when nothing in kb/ changed. Writing it anew analyses only the topics
    that changed: each topic's analysis is kept in the user's cache folder by the kb/
    folder it came from (search/browser/cache.py); and each of its files that comes out
    as it was is linked from the earlier site rather than written."""
    from evidencekb.hashing import content_key
    from evidencekb.reuse import Part

    return Part(
        SEARCH_DATA_DIRNAME,
        content_key(earlier.code, earlier.kb_digest),
        (f"{SEARCH_DATA_DIRNAME}/",),
        partial(_write_search_data, source, out, earlier),
        cost=_cost(earlier) * len(source.kb.claims) + 1,
    )


def _cost(earlier: Earlier) -> float:
    return _MERGE_COST if SEARCH_DATA_DIRNAME in earlier.keys else _SEARCH_DATA_COST


def _write_search_data(source: LoadedKb, out: Path, earlier: Earlier) -> None:
    from evidencekb.search.browser.cache import TopicCache
    from evidencekb.search.browser.data import write_search_data

    cache = TopicCache.of(source.kb_dir, earlier.code)
    write_search_data(source.kb, out, cache, earlier.site_dir)
