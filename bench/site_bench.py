"""Benchmark the static site: build time, site size, and what a first search costs.

    python bench/site_bench.py [--runs N] [--large-runs N] [--searches N] [--no-large]
                               [--large-kb DIR] [--json OUT] [--pages-only]

For the seed kb (the repository's kb/) and for the large benchmark kb of about 80,000
claims (written by bench/corpus.py from ../shared/data, or taken from --large-kb):

- build time: `evidencekb.build.build` into a fresh folder, median of several runs;
- site size: bytes and files, by part (pages, search data, static assets, database,
  JSON export, whoosh index);
- first search: in headless Chromium (Debian's /usr/bin/chromium through Playwright),
  a visitor with an empty cache opens the search page over http, enters a query in
  the search box (the page searches as you type) and waits for the first result.
  Recorded from Playwright's response events: the bytes of every script and data
  response that finished before the first result rendered (and of all responses,
  pages and styles included), the same bytes as gzip would send them; and the
  milliseconds from the query entered to the first result (the page's 180 ms typing
  debounce included), the part of that from the search's first data request to the result
  (loading shards, querying, rendering; seen by a MutationObserver the benchmark adds,
  when the page adds the first index shard's <script>), and from navigation start to
  the first result. Median of several visitors.

With --pages-only, instead: the site stage alone (`site.parts`, every HTML page and
the static files that `ekb build` writes, with no earlier build to keep them from,
written one after the other in this process), CPU seconds of this process
(`time.process_time`, the kb loaded beforehand) and wall seconds, median
of the runs, each into a fresh folder; and the pages' bytes (the sum of the files'
sizes) under claims/, under topics/ and in all. References are formatted from the
user's cache folder once an earlier run has formatted them (site/citation.py).

Prints a Markdown report on standard output. The site is served by Python's
http.server without compression; the gzip column shows what a compressing host sends.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from evidencekb import site
from evidencekb.build import build
from evidencekb.kb import read_kb
from evidencekb.paths import DATABASE_NAME, EXPORT_NAME, index_dir
from evidencekb.progress import no_progress
from evidencekb.reuse import Earlier
from evidencekb.site.serve import serving

REPO_ROOT = Path(__file__).resolve().parent.parent
SEED_KB = REPO_ROOT / "kb"
CORPUS_SCRIPT = REPO_ROOT / "bench" / "corpus.py"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]
# What the visitor types, and text the first result must contain to count as found.
# For the large kb: a rare pair of words and a word in thousands of claims.
SEED_QUERIES = ("CRPS",)
LARGE_QUERIES = ("vitamin D", "cancer")
SEARCH_PAGE = "search.html"
SEARCH_BOX = "#search-input"
RESULT = "#search-results a.result-link"
# Response types that make up "scripts and data" (documents and styles are counted
# only in the all-responses figure).
SCRIPT_AND_DATA = {"script", "fetch", "xhr", "other"}


@dataclass
class Size:
    files: int = 0
    bytes: int = 0


@dataclass
class SiteFigures:
    name: str
    claims: int
    build_seconds: list[float]
    parts: dict[str, Size]
    first_search: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def total(self) -> Size:
        return Size(
            sum(part.files for part in self.parts.values()),
            sum(part.bytes for part in self.parts.values()),
        )


@dataclass
class PagesFigures:
    name: str
    claims: int
    cpu_seconds: list[float]
    wall_seconds: list[float]
    bytes: dict[str, Size]


def time_pages(name: str, kb_dir: Path, work: Path, runs: int) -> PagesFigures:
    """The pages task, `runs` times into a fresh folder; the last folder's page bytes."""
    print(f"{name}: {kb_dir} (pages task)", file=sys.stderr)
    source = read_kb(kb_dir)
    kb = source.kb
    cpu: list[float] = []
    wall: list[float] = []
    out = work / "pages"
    for run in range(runs):
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        start_cpu, start = time.process_time(), time.perf_counter()
        earlier = Earlier.nothing(source.fingerprint.digest)
        stage = site.parts(source, out, earlier, no_progress)
        stage.finish(earlier.keep_or_write(stage.parts, out))
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start)
        print(f"  pages {run + 1}/{runs}: {cpu[-1]:.2f} s CPU", file=sys.stderr)
    return PagesFigures(name, len(kb.claims), cpu, wall, page_bytes(out))


def page_bytes(site: Path) -> dict[str, Size]:
    """The HTML pages' files and bytes: under claims/, under topics/, and all."""
    sizes = {"claims/": Size(), "topics/": Size(), "all pages": Size()}
    for path in site.rglob("*.html"):
        top = path.relative_to(site).parts[0] + "/"
        for part in (top, "all pages"):
            if part in sizes:
                sizes[part].files += 1
                sizes[part].bytes += path.stat().st_size
    return sizes


def pages_report(results: list[PagesFigures], command: str) -> str:
    machine_line = f"{machine()}; load average at the end {os.getloadavg()[0]:.2f}"
    lines = [
        *_report_head("The site stage (`site.parts`)", command, machine_line),
        "| kb | claims | CPU, median (min-max) | wall, median | runs "
        "| claims/ | topics/ | all pages |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        c = r.cpu_seconds
        sizes = " | ".join(
            f"{r.bytes[part].files:,} files, {r.bytes[part].bytes / 1e6:,.1f} MB"
            for part in ("claims/", "topics/", "all pages")
        )
        lines.append(
            f"| {r.name} | {r.claims:,} | {statistics.median(c):.2f} s "
            f"({min(c):.2f}-{max(c):.2f}) | {statistics.median(r.wall_seconds):.2f} s "
            f"| {len(c)} | {sizes} |"
        )
    return "\n".join(lines) + "\n"


def site_parts(site: Path) -> dict[str, Size]:
    """The site's files grouped by what they are for."""
    parts: dict[str, Size] = {}
    for path in sorted(site.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(site)
        top = relative.parts[0]
        if top == DATABASE_NAME:
            part = "database"
        elif top == EXPORT_NAME:
            part = "JSON export"
        elif path.suffix == ".html":
            part = "pages (HTML)"
        elif top == "search":
            part = "search data (index shards, spelling, text chunks)"
        else:
            part = "static assets (CSS, search-core.js, search.js)"
        size = parts.setdefault(part, Size())
        size.files += 1
        size.bytes += path.stat().st_size
    return parts


def time_builds(kb_dir: Path, work: Path, runs: int) -> tuple[list[float], Path, int]:
    """Seconds per build into a fresh folder, the last site (kept for measuring) and
    its claim count."""
    seconds: list[float] = []
    site = work / "site"
    for run in range(runs):
        if site.exists():
            shutil.rmtree(site)
        shutil.rmtree(index_dir(site), ignore_errors=True)
        start = time.perf_counter()
        claims = build(kb_dir, site, no_progress).claims
        seconds.append(time.perf_counter() - start)
        print(f"  build {run + 1}/{runs}: {seconds[-1]:.2f} s", file=sys.stderr)
    return seconds, site, claims


def gzip_size(site: Path, url: str) -> int:
    path = site / unquote(urlparse(url).path).lstrip("/")
    if path.is_dir():
        path = path / "index.html"
    return len(gzip.compress(path.read_bytes(), compresslevel=6, mtime=0))


# Runs in the page before its own scripts: note when the visitor first types into the
# search box and when the first result appears, on the page's own clock.
_OBSERVER = """
(() => {
  window.__bench = {typedAt: null, searchAt: null, resultAt: null};
  document.addEventListener('input', () => {
    if (window.__bench.typedAt === null) window.__bench.typedAt = performance.now();
  }, true);
  new MutationObserver(() => {
    // The search starts (after the typing debounce) by adding the <script> of the
    // first index shard it needs.
    if (window.__bench.searchAt === null && document.querySelector('script[src^="search/t-"]')) {
      window.__bench.searchAt = performance.now();
    }
    if (window.__bench.resultAt === null && document.querySelector(RESULT_SELECTOR)) {
      window.__bench.resultAt = performance.now();
    }
  }).observe(document, {childList: true, subtree: true});
})();
"""


def first_searches(site: Path, query: str, visitors: int) -> list[dict[str, Any]]:
    """One fresh visitor (empty cache) per run: open the search page, type, see a result."""
    from playwright.sync_api import sync_playwright

    with serving(site) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        figures = [first_search(browser, base, site, query) for _ in range(visitors)]
        browser.close()
    return figures


def first_search(browser: Any, base: str, site: Path, query: str) -> dict[str, Any]:
    context = browser.new_context()  # a new context has an empty cache
    context.add_init_script(_OBSERVER.replace("RESULT_SELECTOR", json.dumps(RESULT)))
    page = context.new_page()
    finished: list[Any] = []
    page.on("requestfinished", lambda request: finished.append(request))
    page.goto(base + SEARCH_PAGE, wait_until="load")
    # fill() enters the whole query as one input event, as a paste would: the timing
    # then starts at one well-defined moment and no partial query runs.
    page.locator(SEARCH_BOX).fill(query)
    page.locator(RESULT).first.wait_for(state="visible", timeout=120_000)
    marks = page.evaluate("window.__bench")
    seen = list(finished)  # what had finished by the time the result rendered
    figures = _visitor_figures(site, seen, marks)  # asks the browser: before closing
    context.close()
    return figures


def _visitor_figures(site: Path, requests: list[Any], marks: dict[str, float]) -> dict[str, Any]:
    script_data = all_bytes = script_data_gzip = all_gzip = 0
    loaded: list[tuple[str, str, int]] = []
    for request in requests:
        sizes = request.sizes()
        transferred = sizes["responseBodySize"] + sizes["responseHeadersSize"]
        compressed = gzip_size(site, request.url) + sizes["responseHeadersSize"]
        all_bytes += transferred
        loaded.append((urlparse(request.url).path, request.resource_type, transferred))
        all_gzip += compressed
        if request.resource_type in SCRIPT_AND_DATA:
            script_data += transferred
            script_data_gzip += compressed
    return {
        "requests": len(requests),
        "script_data_bytes": script_data,
        "script_data_gzip_bytes": script_data_gzip,
        "all_bytes": all_bytes,
        "all_gzip_bytes": all_gzip,
        "query_to_result_ms": marks["resultAt"] - marks["typedAt"],
        "search_ms": marks["resultAt"] - marks["searchAt"],
        "navigation_to_result_ms": marks["resultAt"],
        "responses": loaded,
    }


def measure(
    name: str, kb_dir: Path, runs: int, visitors: int, queries: tuple[str, ...], work: Path
) -> SiteFigures:
    print(f"{name}: {kb_dir}", file=sys.stderr)
    seconds, site, claims = time_builds(kb_dir, work, runs)
    figures = SiteFigures(name, claims, seconds, site_parts(site))
    for query in queries:
        figures.first_search[query] = first_searches(site, query, visitors)
    return figures


def large_kb(work: Path) -> Path:
    """The ~80,000-claim benchmark kb, written by bench/corpus.py."""
    out = work / "large-kb"
    done = subprocess.run([sys.executable, str(CORPUS_SCRIPT), str(out)], check=False)
    if done.returncode != 0:
        sys.exit(f"Error: {CORPUS_SCRIPT.name} failed (exit {done.returncode}); see above")
    return out


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024**2:.0f} GiB memory"
    except (OSError, ValueError, IndexError):
        pass
    chromium = subprocess.run(
        [CHROMIUM, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return (
        f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} cores{memory}; "
        f"Python {platform.python_version()}; {chromium}"
    )


def _report_head(title: str, command: str, machine_line: str) -> list[str]:
    return [f"## {title}", "", f"Command: `{command}`  ", f"Machine: {machine_line}", ""]


def _kib(count: float) -> str:
    return f"{count / 1024:,.1f} KiB" if count < 1024**2 else f"{count / 1024**2:,.1f} MiB"


def report(results: list[SiteFigures], command: str) -> str:
    lines = [
        *_report_head("Static site (`ekb build` and the site's search)", command, machine()),
        "| kb | claims | build, median (min-max) | runs | site files | site size |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for r in results:
        b = r.build_seconds
        lines.append(
            f"| {r.name} | {r.claims:,} | {statistics.median(b):.2f} s "
            f"({min(b):.2f}-{max(b):.2f}) | {len(b)} | {r.total.files:,} | {_kib(r.total.bytes)} |"
        )
    lines += ["", "Site size by part:", "", "| kb | part | files | size |", "|---|---|---:|---:|"]
    for r in results:
        for part, size in sorted(r.parts.items()):
            lines.append(f"| {r.name} | {part} | {size.files:,} | {_kib(size.bytes)} |")
    lines += [
        "",
        "First search by a visitor with an empty cache (median of the visitors): bytes of "
        "responses finished when the first result rendered, as served uncompressed (and as "
        "gzip would send them).",
        "",
        "| kb | query | visitors | scripts + data | all responses | requests "
        "| query → first result | of which search | page open → first result |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    rows = [(r.name, query, s) for r in results for query, s in r.first_search.items()]
    for name, query, visits in rows:

        def med(key: str, visits: list[dict[str, Any]] = visits) -> float:
            return statistics.median(v[key] for v in visits)

        lines.append(
            f"| {name} | {query} | {len(visits)} | {_kib(med('script_data_bytes'))} "
            f"({_kib(med('script_data_gzip_bytes'))} gz) | {_kib(med('all_bytes'))} "
            f"({_kib(med('all_gzip_bytes'))} gz) | {med('requests'):.0f} "
            f"| {med('query_to_result_ms'):.0f} ms | {med('search_ms'):.0f} ms "
            f"| {med('navigation_to_result_ms'):.0f} ms |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="builds of the seed kb")
    parser.add_argument("--large-runs", type=int, default=3, help="builds of the large kb")
    parser.add_argument("--searches", type=int, default=5, help="first-search visitors")
    parser.add_argument("--no-large", action="store_true", help="only the seed kb")
    parser.add_argument("--large-kb", type=Path, help="an existing large kb to use")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument(
        "--pages-only", action="store_true", help="time only the pages task (see above)"
    )
    args = parser.parse_args(argv)
    if min(args.runs, args.large_runs, args.searches) < 1:
        parser.error("--runs, --large-runs and --searches must be at least 1")
    command = "python bench/site_bench.py " + " ".join(argv if argv is not None else sys.argv[1:])
    if args.pages_only:
        return pages_main(args, command.strip())
    with tempfile.TemporaryDirectory(prefix="ekb-site-bench-") as tmp:
        work = Path(tmp)
        seed_work = work / "seed"
        seed_work.mkdir()
        seed_kb = seed_work / "kb"
        shutil.copytree(SEED_KB, seed_kb)
        results = [measure("seed", seed_kb, args.runs, args.searches, SEED_QUERIES, seed_work)]
        if not args.no_large:
            large_work = work / "large"
            large_work.mkdir()
            kb_dir = args.large_kb or large_kb(large_work)
            results.append(
                measure("large", kb_dir, args.large_runs, args.searches, LARGE_QUERIES, large_work)
            )
    if args.json:
        raw = [asdict(r) | {"total": asdict(r.total)} for r in results]
        args.json.write_text(json.dumps(raw, indent=2) + "\n", encoding="utf-8")
    print(report(results, command.strip()))
    return 0


def pages_main(args: argparse.Namespace, command: str) -> int:
    with tempfile.TemporaryDirectory(prefix="ekb-pages-bench-") as tmp:
        work = Path(tmp)
        results = [time_pages("seed", SEED_KB, work / "seed", args.runs)]
        if not args.no_large:
            kb_dir = args.large_kb or large_kb(work)
            results.append(time_pages("large", kb_dir, work / "large", args.large_runs))
    if args.json:
        raw = [asdict(r) for r in results]
        args.json.write_text(json.dumps(raw, indent=2) + "\n", encoding="utf-8")
    print(pages_report(results, command))
    return 0


if __name__ == "__main__":
    sys.exit(main())
