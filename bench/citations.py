"""What formatting references costs the build: citeproc-py over every described reference.

    python bench/citations.py [--kb DIR] [--runs N]

`ekb build` formats each described reference once (site/citation.py), in the
vendored Vancouver style, for its topic, claim and reference pages. This times that
step alone on a knowledge base (the large benchmark kb by default: bench/corpus.py
writes it to bench/out/large-kb), interleaved in each run:

- with no cache folder, so citeproc-py formats every reference (a first build);
- from a cache folder that an earlier build filled (any later build).

Each run checks that both give the same text as the first run. Prints a Markdown
report on standard output.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from evidencekb.kb.load import load_kb
from evidencekb.model import Reference
from evidencekb.site.citation import CitationFormatter
from search_speed import machine  # one description of the machine for every bench

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_KB = REPO_ROOT / "bench" / "out" / "large-kb"


def format_all(references: list[Reference], cache: Path | None) -> tuple[float, list[str | None]]:
    formatter = CitationFormatter(cache=cache)
    start = time.perf_counter()
    out = [formatter.formatted(reference) for reference in references]
    return time.perf_counter() - start, [None if text is None else str(text) for text in out]


def interleaved(references: list[Reference], cache: Path, runs: int) -> dict[str, list[float]]:
    """Seconds per run without a cache and from `cache` (filled first), one after the other."""
    first = format_all(references, cache)[1]
    times: dict[str, list[float]] = {"no cache (citeproc-py)": [], "from the cache": []}
    for _ in range(runs):
        for label, folder in zip(times, (None, cache), strict=True):
            seconds, out = format_all(references, folder)
            assert out == first, "formatting is not repeatable"
            times[label].append(seconds)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=Path, default=DEFAULT_KB)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    kb = load_kb(args.kb)
    references = [r for topic in kb.topics for r in topic.references if r.is_described]
    print(f"## Formatting references (`bench/citations.py --kb {args.kb.name}`)\n")
    print("\n".join(machine()) + "\n")
    with tempfile.TemporaryDirectory(prefix="citations-") as folder:
        times = interleaved(references, Path(folder), args.runs)
    print("| described references | formatted | runs | all, median (min to max) | each |")
    print("|---:|---|---:|---|---:|")
    for label, values in times.items():
        each = statistics.median(values) / max(len(references), 1) * 1000
        print(
            f"| {len(references):,} | {label} | {args.runs} | {statistics.median(values):.1f} s "
            f"({min(values):.1f} to {max(values):.1f}) | {each:.2f} ms |"
        )


if __name__ == "__main__":
    main()
