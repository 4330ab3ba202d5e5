"""The site's search data on a large kb: written from scratch, and after a one-claim edit
with each topic's analysis kept from the build before (search/browser/cache.py).

    python bench/search_data.py [--kb DIR] [--runs N] [--baseline SRC [--other-format]]
                                [--src SRC]

On the large benchmark kb (bench/corpus.py writes it to bench/out/large-kb), each
figure is the median of --runs rounds of `write_search_data`, each in a fresh Python
process that loads the kb first (not timed); each round:

1. cold: the search data with an empty cache folder (a fresh clone's first build, or
   the first after new code: the code is part of every entry's key);
2. one claim edited (bench/scale.py's edit), then warm: the search data again, every
   topic but the edited one read from the cache the cold run filled;
3. with --baseline SRC (the `src` folder of an earlier checkout, e.g.
   `git archive COMMIT src | tar -x -C /tmp/before`): the earlier code the same way,
   cold beside cold and warm beside warm (with a cache folder of its own), under this
   interpreter with `PYTHONPATH=SRC`; each run's files must be byte for byte the
   baseline's (the script stops if not), unless --other-format says the two write
   different formats (as 8ac7379's topic marks made them).

--src runs the measured code from such a copy too (so the working tree can change
while a run goes on). The kb is copied to a scratch folder and edited there, and
$XDG_CACHE_HOME points into it: the kb given and the user's cache are not touched.
Figures are CPU seconds of the write alone (user + system, from `time.process_time`),
wall seconds, and the process's peak memory (maximum resident set size, the loaded kb
included); the report is Markdown on standard output.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from scale import DEFAULT_KB, edit_one_claim
from search_speed import machine

# Run in a child process: load the kb, then time the write alone.
CHILD = """
import json, resource, sys, time
from pathlib import Path
from evidencekb.kb import load_kb
try:
    from evidencekb.search.browser import data as search_data, cache as search_cache
except ImportError:  # a --baseline from before the search data moved into search/
    from evidencekb.site import search_data, search_cache
kb_dir, out, cached = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] == "cache"
kb = load_kb(kb_dir)
extra = ()
if cached:
    from evidencekb.reuse import code_version
    extra = (search_cache.TopicCache.of(kb_dir, code_version()),)
cpu, wall = time.process_time(), time.perf_counter()
search_data.write_search_data(kb, out, *extra)
cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"cpu": cpu, "wall": wall, "rss": rss}))
"""


def write(kb_dir: Path, out: Path, env: dict[str, str], cached: bool) -> dict[str, float]:
    shutil.rmtree(out, ignore_errors=True)
    load = os.getloadavg()[0]
    command = [sys.executable, "-c", CHILD, str(kb_dir), str(out), "cache" if cached else "-"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"Error: write_search_data failed: {done.stderr.strip()[-500:]}")
    return {**json.loads(done.stdout), "load": load}


def same_files(a: Path, b: Path) -> bool:
    names = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    if names != sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file()):
        return False
    return all(filecmp.cmp(a / n, b / n, shallow=False) for n in names)


def environment(scratch: Path, src: str | None, cache: str = "cache") -> dict[str, str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(scratch / cache)}
    if src:
        env["PYTHONPATH"] = src
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kb", type=Path, default=DEFAULT_KB)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", help="the src folder of the code to compare with")
    parser.add_argument("--src", help="run the measured code from this src folder")
    parser.add_argument(
        "--other-format",
        action="store_true",
        help="the baseline writes another format of search data: do not compare the files",
    )
    args = parser.parse_args()
    if not args.kb.is_dir():
        sys.exit(f"Error: no kb at {args.kb} (make it with bench/corpus.py)")
    figures: dict[str, list[dict[str, float]]] = {
        "baseline cold": [], "baseline warm": [], "cold": [], "warm": []
    }  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="ekb-search-data-") as folder:
        scratch = Path(folder)
        kb_dir = scratch / "kb"
        shutil.copytree(args.kb, kb_dir)
        env = environment(scratch, args.src)
        old = environment(scratch, args.baseline, "cache-baseline") if args.baseline else None
        for round_number in range(1, args.runs + 1):
            for cache in ("cache", "cache-baseline"):
                shutil.rmtree(scratch / cache, ignore_errors=True)
            for run in ("cold", "warm"):
                if run == "warm":
                    edit_one_claim(kb_dir, round_number)
                figures[run].append(write(kb_dir, scratch / run, env, cached=True))
                if old is not None:
                    figures[f"baseline {run}"].append(write(kb_dir, scratch / "old", old, True))
                    if not args.other_format and not same_files(scratch / run, scratch / "old"):
                        sys.exit(f"Error: the {run} run's files differ from the baseline's")
            print(f"round {round_number}: {figures}", file=sys.stderr)
    report(args, figures)


def report(args: argparse.Namespace, figures: dict[str, list[dict[str, float]]]) -> None:
    print("\n".join(machine()) + "\n")
    print(f"`write_search_data` on {args.kb.name}, median of {args.runs} runs\n")
    print("| run | CPU s | wall s | peak MB (max RSS) | load (1 min) |\n|---|---|---|---|---|")
    rows = (
        ("baseline cold", "earlier code, empty cache folder"),
        ("baseline warm", "earlier code, after a one-claim edit, cache from the run before"),
        ("cold", "this code, empty cache folder"),
        ("warm", "this code, after a one-claim edit, cache from the run before"),
    )
    for key, title in rows:
        runs = figures[key]
        if runs:
            cpu, wall, rss = (statistics.median(r[k] for r in runs) for k in ("cpu", "wall", "rss"))
            loads = ", ".join(f"{r['load']:.1f}" for r in runs)
            print(f"| {title} | {cpu:.1f} | {wall:.1f} | {rss:,.0f} | {loads} |")


if __name__ == "__main__":
    main()
