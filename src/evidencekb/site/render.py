"""The static site's pages: each page's template and variables (`site_pages`), rendered
by a `Renderer`; the static files; and the downloads page, written last, once the
database and the JSON export it gives the sizes of are in the build folder.

Pages link to each other by relative paths that name a file (`x/index.html`, never
`x/`), so the site works from any static host and straight from disk (file://).
Nothing is fetched from another host. Output bytes depend only on the knowledge base:
iteration follows kb order or sorted keys, and nothing records the time.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import jinja2.ext
from markupsafe import Markup

from evidencekb.inplace import write_or_link
from evidencekb.model import Claim, KnowledgeBase
from evidencekb.names import SECTION_TITLES, SECTIONS
from evidencekb.paths import (
    DATABASE_NAME,
    DATASETTE_METADATA_NAME,
    EXPORT_NAME,
    FOLDER_PAGE,
    SOURCE_COPY,
    STATIC_DIRNAME,
    TOPICS_DIR,
    listing_page,
)
from evidencekb.progress import Progress
from evidencekb.registry import claim_facts, menus, topic_facts
from evidencekb.reuse import Earlier, Part, Parts
from evidencekb.site.changes import (
    CHANGES_FEED,
    CHANGES_PAGE,
    FEED_ENTRIES,
    FEED_ID,
    PAGE_ENTRIES,
    feed_updated,
    latest_changes,
)
from evidencekb.site.citation import citation_globals
from evidencekb.site.context import (
    SiteLookups,
    grouped_by_place,
    outline,
    reference_details,
    source_listing,
    topic_heading,
    topic_of_claim,
)
from evidencekb.site.evidence import (
    EvidenceIndex,
    evidence_globals,
    evidence_pages,
)
from evidencekb.site.jsonld import ClaimJsonLd, PageLinks
from evidencekb.site.listing import listing
from evidencekb.site.pagekeys import PageKeys
from evidencekb.site.prose import render_markdown
from evidencekb.site.templatereads import ParsedOnce

if TYPE_CHECKING:
    from evidencekb.kb.load import LoadedKb

SITE_NAME = "evidencekb"
_PACKAGE_DIR = Path(__file__).parent
TEMPLATES_DIR = _PACKAGE_DIR / "templates"
STATIC_DIR = _PACKAGE_DIR / "static"

# A page: where it goes (relative to the site root), its template and its variables.
Page = tuple[str, str, dict[str, Any]]


def claim_href(claim: Claim) -> str:
    return f"claims/{claim.id}.html"


def topic_href(slug: str) -> str:
    return f"topics/{slug}/index.html"


def source_href(slug: str, line: int | None = None) -> str:
    """The topic's summary as imported; with a line, that line's anchor."""
    page = f"topics/{slug}/source.html"
    return page if line is None else f"{page}#L{line}"


def reference_href(slug: str, number: int) -> str:
    return f"topics/{slug}/references/{number}.html"


def entity_href(term_id: str) -> str:
    return f"entities/{term_id}.html"


def category_href(term_id: str) -> str:
    return f"categories/{term_id}.html"


class _Unindented(jinja2.ext.Extension):
    """Each template line's indentation left out before it is compiled: the templates
    stay indented for their readers, and the pages of a large kb do not carry
    it (HTML ignores white space between tags; no template holds a <pre> or inline
    script, and the kb's own text is data, never template source)."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return _INDENT.sub("", source)


_INDENT = re.compile(r"^[ \t]+", re.MULTILINE)


def _environment(lookups: SiteLookups, evidence: EvidenceIndex) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=ParsedOnce(jinja2.FileSystemLoader(TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # One build reads each template once; checking its file's time on every use
        # cost a stat per page and per include.
        auto_reload=False,
        extensions=[_Unindented],
    )
    # JSON-LD without the spaces after "," and ":" (still sorted, so deterministic).
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "separators": (",", ":")}
    kb = lookups.kb
    env.globals.update(
        site_name=SITE_NAME,
        kb=kb,
        lookups=lookups,
        section_titles=SECTION_TITLES,
        sections=SECTIONS,
        reference_details=reference_details,
        database_name=DATABASE_NAME,
        export_name=EXPORT_NAME,
        claim_href=claim_href,
        topic_href=topic_href,
        reference_href=reference_href,
        source_href=source_href,
        entity_href=entity_href,
        category_href=category_href,
        listing_page=listing_page,
        level=kb.strength.level,
        entity_by_id=kb.entity,
        category_by_id=kb.category,
        topic_by_slug={topic.slug: topic_heading(topic) for topic in kb.topics}.__getitem__,
        grouped_by_place=grouped_by_place,
        claim_facts=claim_facts,
        topic_facts=topic_facts,
        # A claim page's related claims: its key has what they are made from
        # (pagekeys.py's PAGE_INPUTS), cheaper to hash than the claims themselves.
        related_claims=lookups.related,
        # The topic page renders its overview itself, on its first page only: an edit
        # build that keeps the page (its key has the topic's Markdown) never converts it.
        render_markdown=render_markdown,
        nav_items=NAV_ITEMS,
        feed_pages=FEED_PAGES,
        changes_feed=CHANGES_FEED,
    )
    env.globals.update(evidence_globals(evidence))
    env.globals.update(citation_globals())
    env.globals["claim_jsonld"] = ClaimJsonLd(
        PageLinks(topic_href, reference_href, source_href),
        lookups.reference,
        lookups.has_source_line,
        evidence.verdict,
    )
    return env


# The macro libraries the templates use, by the name they use them under. Their macros
# read only the site-wide globals and the page's `root`, so they are bound once per page
# depth and handed to every page, rather than imported "with context" by each page
# (which made a new module per page and per include: a large part of a large build).
MACRO_LIBRARIES = {"macros": "partials/macros.html", "ev": "partials/evidence.html"}
# The macros of partials/pieces.html: their HTML depends only on their arguments (ids
# and numbers) and `root`, so each is rendered once per build and depth, and reused.
PIECES = (
    "badge",
    "citation_links",
    "stance_badge",
    "stance_note",
    "work_link",
    "cited_work",
    "notice_mark",
)
# The pages that point feed readers at the feed (base.html).
FEED_PAGES = ("index.html", CHANGES_PAGE)
# The site's navigation: (the `nav` of the pages it marks current, page, label).
NAV_ITEMS = (
    ("home", "index.html", "Topics"),
    ("entities", f"entities/{FOLDER_PAGE}", "Entities"),
    ("categories", f"categories/{FOLDER_PAGE}", "Categories"),
    ("strength", "strength.html", "Evidence strength"),
    ("search", "search.html", "Search"),
    ("changes", "changes.html", "What's new"),
    ("about", "about.html", "About"),
)
_NAV_PAGES = frozenset(page for _, page, _ in NAV_ITEMS)


def bound_templates() -> dict[str, tuple[str, str | None]]:
    """The names `Renderer` hands every page, each with the template it is rendered
    from and the macro of it (None: the whole template), for pagekeys.TemplateReads."""
    bound: dict[str, tuple[str, str | None]] = {
        name: ("partials/pieces.html", name) for name in PIECES
    }
    bound |= {name: (template, None) for name, template in MACRO_LIBRARIES.items()}
    bound["related_item"] = ("partials/macros.html", "claim_item")
    bound["site_nav"] = ("partials/nav.html", None)
    return bound


class Renderer:
    """Writes pages from the templates of one environment, the macro libraries bound
    once per depth; a page that comes out as the build before (in `earlier_dir`) had
    it is linked from there rather than written (inplace.write_or_link)."""

    def __init__(self, env: jinja2.Environment, earlier_dir: Path | None = None) -> None:
        self.env = env
        self.earlier = None if earlier_dir is None else os.fspath(earlier_dir)
        self._libraries: dict[str, dict[str, Any]] = {}
        self._folders: set[str] = set()  # made already: one mkdir a folder, not a page

    def write(
        self, out_dir: Path, path: str, template_name: str, variables: dict[str, Any]
    ) -> None:
        template = self.env.get_template(template_name)
        root = _depth_root(path)
        html = template.render(page_path=path, root=root, **self.libraries(root), **variables)
        # Plain strings and a binary file (the same bytes: no newline is translated):
        # pathlib's joins and a text wrapper per page cost a large build seconds.
        destination = os.path.join(out_dir, path)
        folder = os.path.dirname(destination)
        if folder not in self._folders:
            os.makedirs(folder, exist_ok=True)
            self._folders.add(folder)
        earlier = None if self.earlier is None else os.path.join(self.earlier, path)
        write_or_link(destination, html.encode("utf-8"), earlier)

    def libraries(self, root: str) -> dict[str, Any]:
        """The macro libraries bound to pages whose way back to the site root is `root`."""
        bound = self._libraries.get(root)
        if bound is None:
            pieces = self.env.get_template("partials/pieces.html").make_module({"root": root})
            bound = {name: functools.cache(getattr(pieces, name)) for name in PIECES}
            for name, template in MACRO_LIBRARIES.items():
                module = self.env.get_template(template).make_module({"root": root, **bound})
                bound[name] = module
            bound["related_item"] = _cached_claim_items(bound["macros"])
            bound["site_nav"] = self._site_nav(root)
            self._libraries[root] = bound
        return bound

    def _site_nav(self, root: str) -> Callable[[str, str], Markup]:
        """The navigation as a page shows it: it differs only by the page's `nav` and,
        on the pages it links to, which one is current."""
        template = self.env.get_template("partials/nav.html")

        @functools.cache
        def rendered(nav: str, current: str) -> Markup:
            return Markup(template.render(root=root, nav=nav, page_path=current))

        def site_nav(nav: str, page_path: str) -> Markup:
            return rendered(nav, page_path if page_path in _NAV_PAGES else "")

        return site_nav


def _cached_claim_items(module: Any) -> Any:
    """The `claim_item` macro of one depth's library, memoised: a claim is listed on
    the pages of up to RELATED_LIMIT neighbours, and rendering it once saves most of a
    large build's time."""

    @functools.lru_cache(maxsize=8192)
    def claim_item(claim: Claim, show_topic: bool, show_place: bool, show_cites: bool) -> Markup:
        item = module.claim_item(
            claim, show_topic=show_topic, show_place=show_place, show_cites=show_cites
        )
        return Markup(item)

    return claim_item


def _depth_root(path: str) -> str:
    """The relative prefix from a page back to the site root ("", "../", ...)."""
    return "../" * path.count("/")


def _pages(kb: KnowledgeBase, lookups: SiteLookups) -> Iterator[Page]:
    """Every page but the downloads page (`render_downloads`)."""
    yield "index.html", "home.html", {"nav": "home"}
    yield "search.html", "search.html", {"nav": "search", "filter_menus": menus(kb)}
    yield (
        "strength.html",
        "strength.html",
        {"nav": "strength", "method_html": render_markdown(kb.strength.explanation_md)},
    )
    yield "about.html", "about.html", {"nav": "about"}
    changes = latest_changes(kb, claim_href, topic_href, reference_href)
    found = {"changes": changes, "page": CHANGES_PAGE, "feed": CHANGES_FEED}
    yield (
        CHANGES_PAGE,
        "changes.html",
        {"nav": "changes", "shown": changes[:PAGE_ENTRIES], **found},
    )
    feed = {"shown": changes[:FEED_ENTRIES], "feed_id": FEED_ID, "updated": feed_updated(changes)}
    yield CHANGES_FEED, "changes.atom", {"nav": "changes", **feed, **found}
    yield from evidence_pages(kb)
    yield f"entities/{FOLDER_PAGE}", "entities.html", {"nav": "entities"}
    for term in kb.entities:
        for pages, claims in listing(entity_href(term.id), lookups.entity_pages(term.id)):
            variables = {"nav": "entities", "term": term, "pages": pages, "claims": claims}
            yield pages.path, "entity.html", variables
    yield f"categories/{FOLDER_PAGE}", "categories.html", {"nav": "categories"}
    for term in kb.categories:
        for pages, claims in listing(category_href(term.id), lookups.category_pages(term.id)):
            variables = {"nav": "categories", "term": term, "pages": pages, "claims": claims}
            yield pages.path, "category.html", variables
    for topic in kb.topics:
        numbers = lookups.reference_numbers(topic)  # once a topic, not once a listing page
        for pages, claims in listing(topic_href(topic.slug), lookups.topic_pages[topic.slug]):
            yield (
                pages.path,
                "topic.html",
                {
                    "nav": "home",
                    "topic": topic,
                    "numbers": numbers,
                    "outline": outline(claims),
                    "pages": pages,
                },
            )
        if topic.source_text:
            yield (
                source_href(topic.slug),
                "source.html",
                {
                    "nav": "home",
                    "topic": topic,
                    "lines": source_listing(topic),
                    "kept_as": f"{TOPICS_DIR}/{topic.slug}/{SOURCE_COPY}",
                },
            )
        heading = topic_heading(topic)  # what a reference's page shows of it
        for number in numbers:
            yield (
                reference_href(topic.slug, number),
                "reference.html",
                {
                    "nav": "home",
                    "topic": heading,
                    "reference": lookups.reference(topic.slug, number),
                    "citing": lookups.by_reference.get((topic.slug, number), []),
                },
            )
        shown = topic_of_claim(topic)  # what a claim's page shows of it (its key has it)
        for claim in topic.claims:
            yield claim_href(claim), "claim.html", {"nav": "home", "topic": shown, "claim": claim}


def _downloads(*folders: Path) -> list[dict[str, Any]]:
    """The downloads, each with its size as the first of `folders` that has it gives it."""
    files = [
        (
            DATABASE_NAME,
            "SQLite database",
            "Every table of the knowledge base, with keys, "
            "views and a full-text index; open it with any SQLite client or Datasette.",
        ),
        (
            DATASETTE_METADATA_NAME,
            "Datasette metadata",
            "What every table, view and column of the database holds, with facets and "
            "labels: `datasette evidencekb.db -m metadata.json` reads like documentation.",
        ),
        (
            EXPORT_NAME,
            "JSON export",
            "Every claim as a JSON object, the shape of `ekb export --format json`, "
            "compressed with gzip.",
        ),
    ]
    result = []
    for name, title, description in files:
        found = [folder / name for folder in folders if (folder / name).is_file()]
        size = found[0].stat().st_size if found else None
        result.append({"name": name, "title": title, "description": description, "size": size})
    return result


def _copy_static(out_dir: Path) -> None:
    target = out_dir / STATIC_DIRNAME
    for source in sorted(STATIC_DIR.rglob("*")):
        if source.is_file() and "__pycache__" not in source.parts:
            destination = target / source.relative_to(STATIC_DIR)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination)


# Finding a page's key costs about this share of rendering it: what a page the build
# before has (most likely kept) costs to run.
_KEY_SHARE = 0.1


def parts(source: LoadedKb, out: Path, earlier: Earlier, progress: Progress) -> Parts:
    """The site's parts of a build: each page, kept where its key (pagekeys.py) is the
    same, and the static files; its finish, the downloads page (`render_downloads`).
    A page's key is found where the page is run, on every core (reuse.Part.find_key)."""
    kb = source.kb
    lookups = SiteLookups.build(kb)
    renderer = Renderer(_environment(lookups, EvidenceIndex.build(kb)), earlier.site_dir)
    page_keys = PageKeys(kb, lookups, earlier.code, renderer.env, bound_templates())
    pages = tuple(
        Part(
            path,
            None,
            (path,),
            partial(renderer.write, out, path, template_name, variables),
            cost=_KEY_SHARE if path in earlier.keys else 1,
            find_key=partial(page_keys.key, path, template_name, variables),
        )
        for path, template_name, variables in _pages(kb, lookups)
    )
    static = Part(STATIC_DIRNAME, None, (), partial(_copy_static, out))
    kept_in = () if earlier.present is None or earlier.site_dir is None else (earlier.site_dir,)
    return Parts((*pages, static), lambda written: render_downloads(kb, out, *kept_in))


def render_downloads(kb: KnowledgeBase, out_dir: Path, *kept_in: Path) -> None:
    """The downloads page, which gives the sizes of the database, its metadata and the
    export: written once each is in out_dir, or kept where it is in the site updated
    in place (`kept_in`)."""
    # The page names only the files: it reads no look-up, so it gets them empty rather
    # than built (a third of a second of a large build's last step, after the tasks).
    renderer = Renderer(_environment(SiteLookups(kb), EvidenceIndex(kb)))
    variables = {"nav": "downloads", "downloads": _downloads(out_dir, *kept_in)}
    renderer.write(out_dir, "downloads.html", "downloads.html", variables)
