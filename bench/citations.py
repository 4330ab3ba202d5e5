"""What formatting references costs the build: citeproc-py over every described reference.

    python bench/citations.py [--kb DIR] [--runs N]

`ekb build` formats each described reference once (site/citation.py), in the
vendored Vancouver style, for its topic, claim and reference pages. This times that
step alone on a knowledge base (the large benchmark kb by default: bench/corpus.py
writes it to bench/out/large-kb), with a fresh formatter per run, so every run
formats every reference. Each run also checks that the output is the same as the
first run's. Prints a Markdown report on standard output.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from evidencekb.kb.load import load_kb
from evidencekb.model import Reference
from evidencekb.site.citation import CitationFormatter
from search_speed import machine  # one description of the machine for every bench

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_KB = REPO_ROOT / "bench" / "out" / "large-kb"


def format_all(references: list[Reference]) -> tuple[float, list[str | None]]:
    formatter = CitationFormatter()
    start = time.perf_counter()
    out = [formatter.formatted(reference) for reference in references]
    return time.perf_counter() - start, [None if text is None else str(text) for text in out]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=Path, default=DEFAULT_KB)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    kb = load_kb(args.kb)
    references = [r for topic in kb.topics for r in topic.references if r.is_described]
    print(f"## Formatting references (`bench/citations.py --kb {args.kb.name}`)\n")
    print("\n".join(machine()) + "\n")
    times: list[float] = []
    first: list[str | None] | None = None
    for _ in range(args.runs):
        seconds, out = format_all(references)
        assert first is None or out == first, "formatting is not repeatable"
        first = first or out
        times.append(seconds)
    per = statistics.median(times) / max(len(references), 1) * 1000
    print("| described references | runs | all, median (min to max) | per reference |")
    print("|---:|---:|---|---:|")
    print(
        f"| {len(references):,} | {args.runs} | {statistics.median(times):.1f} s "
        f"({min(times):.1f} to {max(times):.1f}) | {per:.1f} ms |"
    )


if __name__ == "__main__":
    main()
