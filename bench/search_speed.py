"""Time `ekb search` as a user runs it: a whole process, a fresh interpreter every run.

    python bench/search_speed.py [--large-kb DIR] [--runs 15] [--build-runs 3]
                                 [--work DIR] [--markdown FILE] [--baseline SRC]

Measures, on the seed kb (the repository's kb/) and on the large benchmark kb
(bench/corpus.py, about 80,000 claims; generated into WORK/large-kb unless --large-kb),
each indexed afresh into WORK/site-seed and WORK/site-large by a first `ekb search`:

1. the wall time (and the CPU time, user + system, which a loaded machine disturbs less)
   of `ekb search --kb KB --site-dir SITE QUERY` for a few queries, against the baseline
   `python -c "import whoosh.index, whoosh.qparser, whoosh.highlight"` (and
   `python -c pass`, the interpreter alone, and the baseline started and exiting as
   `ekb` does, the garbage collector paused while it loads), all interleaved
   round-robin in one run so that the machine's background load hits every command
   alike; median, min and max of --runs runs after two unrecorded warm-up runs each.
   "Cold start" here means a new interpreter each run; the files are in the OS page
   cache, as they are for a user's second search. The script stops if a timed search
   rebuilt an index;
2. the index build time, `write_index` on the loaded kb (median of --build-runs runs,
   each in a fresh interpreter), and the index's size on disk;
3. `python -X importtime` for one `ekb search` and for the baseline: the slowest imports,
   what `ekb search` imports beyond the baseline, and that jinja2, markdown and
   sqlite_utils are not among them.

With --baseline SRC (the `src` folder of an earlier checkout, e.g.
`git archive COMMIT src | tar -x -C DIR`), the large kb's five searches are also timed
in the same rounds as `python -m evidencekb`, by this code and by that code
(`PYTHONPATH=SRC`), and the report gives the slowest of each side by side.

Prints a Markdown report (also written to --markdown FILE if given).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from evidencekb.paths import index_dir as index_dir_of

REPO_ROOT = Path(__file__).resolve().parent.parent
SEED_KB = REPO_ROOT / "kb"
BIN_DIR = Path(sys.executable).parent
EKB = BIN_DIR / "ekb"
BASELINE_IMPORTS = "import whoosh.index, whoosh.qparser, whoosh.highlight"
# `ekb` starts with the garbage collector paused and freezes what start-up loaded
# (__main__.main, cli.started), and freezes what is alive at exit (cli.main), so that
# the collector never traces them: the baseline started and exiting the same way shows
# what that alone is worth.
LIKE_EKB_EXIT = (
    "import atexit, gc; gc.disable(); "
    + BASELINE_IMPORTS
    + "; gc.freeze(); gc.enable(); atexit.register(gc.freeze)"
)
LIKE_EKB_LABEL = "baseline, started and exiting as ekb does"
QUERIES: tuple[str, ...] = (
    "ketamine",
    "CRPS",
    '"neuropathic pain"',
    "section:research AND strength:low",
    "ketamin",  # a typo: exercises the "did you mean" path
    # What a student types as often: a common word, and questions of common words,
    # whose claims with any word run to thousands on the large kb.
    "cancer",
    "risk of breast cancer",
    "does ketamine help with pain after surgery",
)
AIM_RATIO = 1.3  # issue 20: the slowest search at most 1.3 times the import floor
WARM_UP_ROUNDS = 2
# The modules the search path must never import (team rule, issue 3).
FORBIDDEN_ON_SEARCH_PATH = ("jinja2", "markdown", "sqlite_utils")

# Run in a fresh interpreter per build so that one build's garbage never slows the next.
_BUILD_SNIPPET = """
import shutil, sys, tempfile, time
from pathlib import Path
from evidencekb.search.writer import write_index
from evidencekb.kb.load import read_kb
kb_dir = Path(sys.argv[1])
source = read_kb(kb_dir)  # as `ekb build` does: load kb/, hashing what it reads
target = Path(tempfile.mkdtemp(dir=sys.argv[2])) / "whoosh"
start = time.perf_counter()
write_index(source.kb, target, fingerprint=source.fingerprint)
elapsed = time.perf_counter() - start
size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
shutil.rmtree(target.parent)
print(elapsed, size, len(source.kb.claims))
"""


@dataclass(frozen=True)
class Run:
    wall: float  # seconds
    cpu: float  # seconds of user + system time the process used
    done: subprocess.CompletedProcess


def run_timed(command: list[str], env: dict[str, str]) -> Run:
    """Wall time, and CPU time: on a loaded machine the CPU time of a process varies much
    less than its wall time, so both are reported. Commands run one at a time, so the
    change in the children's resource usage is this command's."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(wall, cpu, done)


def fail(message: str) -> None:
    print(f"Error: {message}", file=sys.stderr)
    sys.exit(1)


def check_ran(label: str, done: subprocess.CompletedProcess) -> None:
    """A benchmark of a failing command measures nothing: stop and show why."""
    if done.returncode != 0:
        detail = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:] or ["?"]
        fail(f"{label} exited {done.returncode}: {detail[0]}")


def prepare_site(kb_dir: Path, site_dir: Path, env: dict[str, str]) -> float:
    """A fresh index for the kb, built by `ekb search` itself on its first run (the
    on-demand path: no index in SITE yet). Returns that first search's seconds.

    The whole site is not needed to search; `site_bench.py` times `ekb build`."""
    shutil.rmtree(site_dir, ignore_errors=True)
    shutil.rmtree(index_dir_of(site_dir), ignore_errors=True)
    run = run_timed(search_command(kb_dir, site_dir, "ketamine"), env)
    check_ran(f"first ekb search --kb {kb_dir}", run.done)
    if not index_dir_of(site_dir).is_dir():
        fail(f"the first search on {kb_dir} built no index in {index_dir_of(site_dir)}")
    return run.wall


def search_command(kb_dir: Path, site_dir: Path, query: str) -> list[str]:
    return [str(EKB), "search", "--kb", str(kb_dir), "--site-dir", str(site_dir), query]


def as_module(command: list[str]) -> list[str]:
    """An `ekb` command run as `python -m evidencekb`: so run, code from another
    checkout (PYTHONPATH) starts as the installed code does."""
    return [sys.executable, "-m", "evidencekb", *command[1:]]


def sides(baseline: Path, env: dict[str, str]) -> dict[str, dict[str, str]]:
    """The code measured (installed) and the baseline code (its src folder first on
    the path), each with its environment."""
    installed = {key: value for key, value in env.items() if key != "PYTHONPATH"}
    return {"this code": installed, "baseline": {**installed, "PYTHONPATH": str(baseline)}}


def time_commands(
    commands: dict[str, list[str]],
    runs: int,
    env: dict[str, str],
    envs: dict[str, dict[str, str]],
) -> tuple[dict[str, list[Run]], dict[str, str]]:
    """Round-robin: every round runs each command once, so load spikes spread evenly.
    A command runs in `envs[label]` if given, else in `env`. Also returns the first
    line each command wrote to stderr in a timed run, if any."""
    timings: dict[str, list[Run]] = {label: [] for label in commands}
    stderr: dict[str, str] = {}
    for round_number in range(runs + WARM_UP_ROUNDS):
        for label, command in commands.items():
            run = run_timed(command, envs.get(label, env))
            check_ran(label, run.done)
            if round_number >= WARM_UP_ROUNDS:
                timings[label].append(run)
                if run.done.stderr.strip():
                    stderr.setdefault(label, run.done.stderr.strip().splitlines()[0])
    return timings, stderr


def time_index_builds(
    kb_dir: Path, site_dir: Path, runs: int, scratch: Path, env: dict[str, str]
) -> dict:
    """Seconds of each build; the index's size and claim count (from the builds, or with
    --build-runs 0 from the index the first search built and the claims files)."""
    seconds: list[float] = []
    index_dir = index_dir_of(site_dir)
    size = sum(p.stat().st_size for p in index_dir.rglob("*") if p.is_file())
    claims = sum(
        path.read_text(encoding="utf-8").splitlines().count("[[claim]]")
        for path in kb_dir.glob("topics/*/claims.toml")
    )
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", _BUILD_SNIPPET, str(kb_dir), str(scratch)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        check_ran(f"write_index on {kb_dir}", done)
        elapsed, size_text, claims_text = done.stdout.split()
        seconds.append(float(elapsed))
        size, claims = int(size_text), int(claims_text)
    return {"seconds": seconds, "size": size, "claims": claims}


_IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)\s*$")


@dataclass(frozen=True)
class ImportTime:
    own_ms: float
    cumulative_ms: float
    top_level: bool  # imported by the program itself, not by another module


def import_profile(command: list[str], env: dict[str, str]) -> dict[str, ImportTime]:
    """`python -X importtime ARGS...` (a script and its arguments, or `-c CODE`): every
    module it imported, with its times."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *command],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    check_ran(f"python -X importtime {' '.join(command)}", done)
    modules: dict[str, ImportTime] = {}
    for line in done.stderr.splitlines():
        if match := _IMPORT_LINE.match(line):
            own, cumulative, indent, name = match.groups()
            modules[name] = ImportTime(int(own) / 1000, int(cumulative) / 1000, len(indent) == 1)
    return modules


def import_report(search: dict[str, ImportTime], baseline: dict[str, ImportTime]) -> list[str]:
    """What `ekb search` imports beyond the baseline, slowest first."""
    extra = {name: t for name, t in search.items() if name not in baseline}
    top_level = sorted(
        ((t.cumulative_ms, name) for name, t in search.items() if t.top_level), reverse=True
    )
    slowest_extra = sorted(((t.own_ms, name) for name, t in extra.items()), reverse=True)
    imported = {name.split(".")[0] for name in search}
    forbidden = [name for name in FORBIDDEN_ON_SEARCH_PATH if name in imported]

    def total(modules: dict[str, ImportTime]) -> float:
        return sum(t.own_ms for t in modules.values())

    return [
        f"Imports (`python -X importtime`, one run): `ekb search` {len(search)} modules, "
        f"{total(search):.0f} ms; the baseline {len(baseline)} modules, "
        f"{total(baseline):.0f} ms; {len(extra)} modules only in `ekb search`, "
        f"{total(extra):.0f} ms.",
        "",
        "| top-level import of `ekb search` | cumulative ms |",
        "|---|---:|",
        *(f"| `{name}` | {ms:.1f} |" for ms, name in top_level[:8]),
        "",
        "| slowest modules not in the baseline | self ms |",
        "|---|---:|",
        *(f"| `{name}` | {ms:.1f} |" for ms, name in slowest_extra[:10]),
        "",
        "Modules the search path must not import ("
        + ", ".join(FORBIDDEN_ON_SEARCH_PATH)
        + "): "
        + (", ".join(forbidden) + " IMPORTED" if forbidden else "none imported")
        + ".",
    ]


def machine() -> list[str]:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = subprocess.run(["free", "-h"], capture_output=True, text=True, check=False)
    total = next(
        (line.split()[1] for line in memory.stdout.splitlines() if line.startswith("Mem")), "?"
    )
    return [
        f"- CPU: {cpu}; `nproc`: {os.cpu_count()}; memory (`free -h` total): {total}",
        f"- Python {platform.python_version()} ({sys.executable}); {platform.platform()}",
        f"- load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
    ]


def summary(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"{statistics.median(ms):.0f} | {min(ms):.0f} | {max(ms):.0f}"


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def index_state(site_dir: Path) -> list[tuple[str, int]]:
    """The index files' names and inodes. A rebuild swaps in new files (new inodes) even
    though a deterministic build gives the same names and bytes."""
    index_dir = index_dir_of(site_dir)
    return sorted((str(p.relative_to(index_dir)), p.stat().st_ino) for p in index_dir.rglob("*"))


def report(args: argparse.Namespace, env: dict[str, str]) -> str:
    described = machine()  # before the runs: the load average at the start
    work: Path = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    large_kb: Path = (args.large_kb or work / "large-kb").resolve()
    if args.large_kb is None:  # regenerate: it must follow kb/'s current vocabulary
        print(f"generating {large_kb} ...", file=sys.stderr)
        done = subprocess.run(
            [sys.executable, str(REPO_ROOT / "bench" / "corpus.py"), str(large_kb)],
            env=env,
            check=False,
        )
        if done.returncode != 0:
            fail("bench/corpus.py failed")
    kbs = {"seed": SEED_KB, "large": large_kb}
    sites = {name: work / f"site-{name}" for name in kbs}
    first_search = {}
    for name, kb_dir in kbs.items():
        print(f"first search (builds the index) on {kb_dir} ...", file=sys.stderr)
        first_search[name] = prepare_site(kb_dir, sites[name], env)

    commands: dict[str, list[str]] = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "baseline: import whoosh": [sys.executable, "-c", BASELINE_IMPORTS],
        LIKE_EKB_LABEL: [sys.executable, "-c", LIKE_EKB_EXIT],
    }
    for name, kb_dir in kbs.items():
        for query in QUERIES:
            commands[f"{name}: ekb search '{query}'"] = search_command(kb_dir, sites[name], query)
    envs = {}
    if args.baseline is not None:
        for side, side_env in sides(args.baseline, env).items():
            for query in QUERIES:
                label = f"{side}, python -m: large: ekb search '{query}'"
                commands[label] = as_module(search_command(large_kb, sites["large"], query))
                envs[label] = side_env
    print(f"timing {len(commands)} commands x {args.runs} runs ...", file=sys.stderr)
    for label, command in commands.items():  # a stale or missing index is rebuilt here
        check_ran(label, run_timed(command, envs.get(label, env)).done)
    before = {name: index_state(site) for name, site in sites.items()}
    timings, stderr = time_commands(commands, args.runs, env, envs)
    for name, site in sites.items():
        if not before[name] or index_state(site) != before[name]:
            fail(f"the {name} index was (re)built while searches were timed")
    base_runs = timings["baseline: import whoosh"]
    base_wall = statistics.median(r.wall for r in base_runs)
    base_cpu = statistics.median(r.cpu for r in base_runs)

    print("timing index builds ...", file=sys.stderr)
    builds = {
        name: time_index_builds(kb_dir, sites[name], args.build_runs, work, env)
        for name, kb_dir in kbs.items()
    }
    imports = import_report(
        import_profile(search_command(SEED_KB, sites["seed"], "CRPS"), env),
        import_profile(["-c", BASELINE_IMPORTS], env),
    )

    lines = [
        "## Search speed (`bench/search_speed.py`)",
        "",
        *described,
        f"- command: `{' '.join(['python', 'bench/search_speed.py', *sys.argv[1:]])}`",
        "",
        f"Whole processes, {args.runs} runs each after {WARM_UP_ROUNDS} warm-up runs, "
        "interleaved round-robin; a fresh interpreter every run; files in the OS page cache. "
        "Wall time (what a user waits), and the process's CPU time (user + system), which a "
        "loaded machine disturbs less.",
        "",
        "| command | wall median ms | min | max | / baseline | CPU median ms | / baseline |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    ratios: dict[str, tuple[float, float]] = {}
    for label, runs in timings.items():
        wall = [r.wall for r in runs]
        cpu = statistics.median(r.cpu for r in runs)
        ratios[label] = (statistics.median(wall) / base_wall, cpu / base_cpu)
        lines.append(
            f"| `{label}` | {summary(wall)} | {ratios[label][0]:.2f}x "
            f"| {cpu * 1000:.0f} | {ratios[label][1]:.2f}x |"
        )
    searches = [
        ratio
        for label, ratio in ratios.items()
        if "ekb search" in label and "python -m" not in label
    ]
    worst = max(wall for wall, _ in searches)
    worst_cpu = max(cpu for _, cpu in searches)
    verdict = "met" if worst <= AIM_RATIO else "NOT met"
    like_ekb = statistics.median(r.wall for r in timings[LIKE_EKB_LABEL])
    slowest = max(
        statistics.median(r.wall for r in runs)
        for label, runs in timings.items()
        if "ekb search" in label and "python -m" not in label
    )
    lines += [
        "",
        f"Slowest search / baseline: {worst:.2f}x wall time, {worst_cpu:.2f}x CPU time "
        f"(aim <= {AIM_RATIO}x wall time: {verdict}). Against the baseline started and "
        f"exiting as `ekb` does (`{LIKE_EKB_EXIT}`): {slowest / like_ekb:.2f}x wall time.",
        *side_by_side(ratios, args.baseline),
        *(f"- stderr of `{label}`: {line}" for label, line in stderr.items()),
        "",
        f"| kb | claims | write_index median s (min-max, {args.build_runs} runs) "
        "| index on disk | first `ekb search` (builds the index; 1 run) s |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, result in builds.items():
        seconds = result["seconds"]
        timed = (
            f"{statistics.median(seconds):.2f} ({min(seconds):.2f}-{max(seconds):.2f})"
            if seconds
            else "not run"
        )
        lines.append(
            f"| {name} | {result['claims']:,} | {timed} | {megabytes(result['size'])} "
            f"| {first_search[name]:.1f} |"
        )
    lines += [
        "",
        "`python -X importtime ekb search --kb kb CRPS`:",
        "",
        *imports,
        "",
        f"- load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
    ]
    return "\n".join(lines) + "\n"


def side_by_side(ratios: dict[str, tuple[float, float]], baseline: Path | None) -> list[str]:
    """The slowest large-kb search of this code and of the baseline code, both run
    as `python -m evidencekb` in the same rounds."""
    if baseline is None:
        return []
    worst = {
        side: max(wall for label, (wall, _) in ratios.items() if label.startswith(side + ","))
        for side in ("this code", "baseline")
    }
    return [
        "",
        f"Side by side, as `python -m evidencekb` in the same rounds (baseline: {baseline}): "
        f"the slowest large-kb search {worst['this code']:.2f}x the import floor, "
        f"against {worst['baseline']:.2f}x.",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time `ekb search` cold starts.")
    parser.add_argument(
        "--large-kb", type=Path, help="use this kb as is (default: generate WORK/large-kb)"
    )
    parser.add_argument("--runs", type=int, default=15, help="timed runs per command")
    parser.add_argument(
        "--build-runs", type=int, default=3, help="index builds per kb (0: sizes only)"
    )
    parser.add_argument("--work", type=Path, default=REPO_ROOT / "bench" / "out")
    parser.add_argument("--markdown", type=Path, help="also write the report here")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="the src folder of earlier code, timed on the large kb's searches beside this code",
    )
    args = parser.parse_args(argv)
    if args.runs < 1 or args.build_runs < 0:
        parser.error("--runs must be at least 1 and --build-runs at least 0")
    if not EKB.exists():
        fail(f"{EKB} not found: install the project (pip install -e .) in this interpreter")
    env = {**os.environ, "NO_COLOR": "1", "PYTHONDONTWRITEBYTECODE": "0"}
    env.pop("PYTHONIMPORTTIME", None)
    text = report(args, env)
    print(text)
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
