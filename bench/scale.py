"""Scale: `ekb check` and `ekb build` on a large knowledge base, as an editor meets them.

    python bench/scale.py [--kb DIR] [--runs N] [--full-builds N] [--src SRC]
                          [--baseline SRC [--baseline-runs N] [--baseline-builds N]]
                          [--json OUT] [--edit-topic SLUG]

On the large benchmark kb (bench/corpus.py writes it to bench/out/large-kb; --kb
takes any other), each figure is the median of --runs whole `ekb` processes, run
one at a time, in rounds; each round:

1. `ekb check` with a cold cache (the folders of the caches it writes emptied
   first, the parsed files and the checked topics: a fresh clone, or the first
   check after an upgrade);
2. `ekb check` again: a warm cache, nothing changed;
3. `ekb build` with no earlier build and a cold cache (the site folder and the
   cache removed first): a fresh clone's first build; only in the first
   --full-builds rounds (0: no builds at all);
4. one claim edited, the first of the first topic or of --edit-topic's (its text
   gains a word, and so does its line of source.txt where the topic keeps one,
   since a claim is word for word its source line),
   then `ekb check`: what an editor waits for after a save;
5. `ekb build` over the site built before (the last round's): the same, for the site.

Each figure comes with its CPU time (user + system, the command's processes
together) and peak memory, measured two ways: the largest single process's
maximum resident set size (the kernel's account, from `wait4`), and the whole
command's proportional set size (PSS: pages shared by forked processes counted
once, shared among them), its processes summed, sampled every 0.25 s.

With --baseline SRC (the `src` folder of an earlier checkout, e.g.
`git archive COMMIT src | tar -x -C /tmp/before`), the earlier code runs the same
commands on the same kb in the same rounds (interleaved, so the machine's load
falls on both alike), under this interpreter with `PYTHONPATH=SRC`; it builds into
a site folder of its own. --baseline-runs and --baseline-builds limit its rounds
and full builds (its builds are slow).
--src runs the measured code from such a copy too, rather than the installed package
(so the working tree can change while a long run goes on).

The kb is copied to a scratch folder first and edited there, so the kb given is
never changed; $XDG_CACHE_HOME points into the scratch folder too, so the user's
cache is neither used nor touched. Prints a Markdown report on standard output.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from evidencekb.paths import (
    BUILD_MANIFEST_NAME,
    CACHE_DIRNAME,
    CHECKED_CACHE_DIRNAME,
    CLAIMS_FILE,
    DATABASE_NAME,
    EXPORT_NAME,
    PARSE_CACHE_DIRNAME,
    SEARCH_DATA_DIRNAME,
    SOURCE_COPY,
    STATIC_DIRNAME,
    TOPICS_DIR,
    index_dir,
)
from search_speed import machine  # one description of the machine for every bench

REPO_ROOT = Path(__file__).resolve().parent.parent
# What `ekb check` keeps between runs: each kb/ file parsed, each topic checked.
CHECK_CACHES = (PARSE_CACHE_DIRNAME, CHECKED_CACHE_DIRNAME)
DEFAULT_KB = REPO_ROOT / "bench" / "out" / "large-kb"
SAMPLE_EVERY = 0.25  # seconds between samples of a command's memory
CLAIM_HEADER = re.compile(r"^\[\[claim\]\]", re.MULTILINE)

# The aims (issue 12, the full build's tightened by issue 20), in the report's units (s, MB).
CHECK_AIM = ("at most 3 s when few files changed", 3.0)
FIGURES = (
    # key, what was run, the aim (words, limit on the median wall time)
    ("check_cold", "`ekb check`, cold cache", ("no slower than before (CPU)", None)),
    ("check_warm", "`ekb check`, warm cache, nothing changed", CHECK_AIM),
    ("build_full", "`ekb build`, no earlier build, cold cache", ("at most 60 s", 60.0)),
    ("check_edit", "`ekb check` after a one-claim edit", CHECK_AIM),
    ("build_edit", "`ekb build` after a one-claim edit", ("at most 3 s", 3.0)),
)
SITE_AIM_MB = 400
MEMORY_AIM_MB = 2000


@dataclass(frozen=True)
class Run:
    wall: float  # seconds
    cpu: float  # seconds of user and system time, the command's processes together
    max_rss_mb: float  # the largest single process's maximum resident set size
    pss_mb: float  # the command's processes' proportional set sizes summed, at peak
    load: float  # the one-minute load average when it started


@dataclass
class Side:
    """One version of the code: how to run it, where it builds, and its runs."""

    name: str
    env: dict[str, str]
    site: Path
    cache: Path
    rounds: int  # the first rounds it takes part in
    full_builds: int  # the first rounds it starts with a full build
    runs: dict[str, list[Run]] = field(default_factory=dict)

    def record(self, key: str, run: Run) -> None:
        self.runs.setdefault(key, []).append(run)


def run_ekb(side: Side, *args: str) -> Run:
    """One `ekb` process: its wall time, CPU time and peak memory; exit on failure."""
    load = os.getloadavg()[0]
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "evidencekb", *args],
        env=side.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    sampler = PssSampler(process.pid)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    sampler.stop()
    assert process.stderr is not None
    errors = process.stderr.read()
    process.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"Error: {side.name}: ekb {' '.join(args)} failed: {errors.strip()[-500:]}")
    cpu = usage.ru_utime + usage.ru_stime
    return Run(wall, cpu, usage.ru_maxrss / 1024, sampler.peak_kib / 1024, load)


class PssSampler(threading.Thread):
    """Samples the summed PSS of a process and its descendants until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kib = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(SAMPLE_EVERY):
            self.peak_kib = max(self.peak_kib, sum(map(pss_kib, process_tree(self.pid))))

    def stop(self) -> None:
        self.done.set()
        self.join()


def process_tree(pid: int) -> Iterator[int]:
    """`pid` and its descendants, from /proc (a process gone meanwhile is skipped)."""
    yield pid
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return
    for task in tasks:
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            yield from process_tree(int(child))


def pss_kib(pid: int) -> int:
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:  # gone, or a zombie not yet reaped
        return 0
    for line in rollup.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def edit_one_claim(kb_dir: Path, round_number: int, topic_slug: str | None = None) -> None:
    """Add a word after the first word of the first claim of a topic (`topic_slug`, or
    the first), in claims.toml and, where the topic keeps one, at the same place in
    source.txt (a claim stays word for word what its source line says)."""
    topics = kb_dir / TOPICS_DIR
    topic = sorted(topics.iterdir())[0] if topic_slug is None else topics / topic_slug
    claims = topic / CLAIMS_FILE
    toml_text = claims.read_text("utf-8")
    text = tomllib.loads(toml_text)["claim"][0]["text"]
    first_word, rest = text.split(" ", 1)
    edited = f"{first_word} edit{round_number} {rest}"
    written = "text = " + json.dumps(text, ensure_ascii=False)
    assert written in toml_text, "claim texts are written as TOML basic strings"
    new = "text = " + json.dumps(edited, ensure_ascii=False)
    claims.write_text(toml_text.replace(written, new, 1), "utf-8")
    source = topic / SOURCE_COPY
    if source.is_file():
        source_text = source.read_text("utf-8")
        source.write_text(source_text.replace(text.rstrip("."), edited.rstrip("."), 1), "utf-8")


def site_parts(site_dir: Path) -> dict[str, tuple[int, int]]:
    """Bytes and files of the built site, by part."""
    parts: dict[str, tuple[int, int]] = {}
    for path in site_dir.rglob("*"):
        if not path.is_file():
            continue
        top = path.relative_to(site_dir).parts[0]
        # "whoosh": where code before the index moved beside the site kept it.
        named = (
            DATABASE_NAME, EXPORT_NAME, "whoosh", SEARCH_DATA_DIRNAME, STATIC_DIRNAME,
            BUILD_MANIFEST_NAME, "claims",  # the claim pages (site/render.py's claim_href)
        )  # fmt: skip
        part = top if top in named else "other pages and files"
        size, files = parts.get(part, (0, 0))
        parts[part] = (size + path.stat().st_size, files + 1)
    return dict(sorted(parts.items()))


def make_side(name: str, scratch: Path, src: Path | None, rounds: int, builds: int) -> Side:
    cache = scratch / f"cache-{name}"
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    env.pop("PYTHONPATH", None)
    if src is not None:
        env["PYTHONPATH"] = str(src.resolve())
    return Side(name, env, scratch / f"site-{name}", cache, rounds, min(builds, rounds))


def measure(
    kb_source: Path, runs: int, sides: list[Side], scratch: Path, edit_topic: str | None
) -> None:
    """`runs` rounds, each side taking part in its first `rounds`; the claim edited is
    the first of `edit_topic` (None: of the first topic)."""
    kb = scratch / "kb"
    shutil.copytree(kb_source, kb)
    check, build = ["check", "--kb", str(kb)], ["build", "-q", "--kb", str(kb)]
    for round_number in range(runs):
        taking_part = [side for side in sides if round_number < side.rounds]
        for side in taking_part:
            # The caches `ekb check` writes only: the build after the edit below still
            # has the others the builds before filled (formatted references, the search
            # data's analysis), as an editor's build does.
            for name in CHECK_CACHES:
                shutil.rmtree(side.cache / CACHE_DIRNAME / name, ignore_errors=True)
            side.record("check_cold", run_ekb(side, *check))
            side.record("check_warm", run_ekb(side, *check))
            if round_number < side.full_builds:
                shutil.rmtree(side.site, ignore_errors=True)
                shutil.rmtree(index_dir(side.site), ignore_errors=True)  # (earlier code: none)
                shutil.rmtree(side.cache, ignore_errors=True)
                side.record("build_full", run_ekb(side, *build, "--site-dir", str(side.site)))
        edit_one_claim(kb, round_number, edit_topic)
        for side in taking_part:
            side.record("check_edit", run_ekb(side, *check))
        for side in taking_part:
            if side.full_builds:  # over the site the last build left
                side.record("build_edit", run_ekb(side, *build, "--site-dir", str(side.site)))
        print(f"round {round_number + 1} of {runs} done", file=sys.stderr)


def median(runs: list[Run], attribute: str) -> float:
    return statistics.median(getattr(run, attribute) for run in runs)


def cell(runs: list[Run] | None) -> str:
    if not runs:
        return "not run"
    walls = [run.wall for run in runs]
    spread = f" ({min(walls):.1f}-{max(walls):.1f})" if len(runs) > 1 else ""
    return f"{statistics.median(walls):.1f} s{spread}"


def cpu_cell(runs: list[Run] | None) -> str:
    return f"{median(runs, 'cpu'):.1f}" if runs else "-"


def memory_cell(runs: list[Run] | None) -> str:
    if not runs:
        return "-"
    # A command over before a second sample would be taken has no honest PSS figure.
    sampled = all(run.wall >= 2 * SAMPLE_EVERY for run in runs)
    pss = f"{max(run.pss_mb for run in runs):,.0f}" if sampled else "-"
    return f"{pss} / {max(run.max_rss_mb for run in runs):,.0f}"


def verdict(runs: list[Run] | None, limit: float | None, before: list[Run] | None) -> str:
    if not runs:
        return "-"
    wall = median(runs, "wall")
    if limit is not None:
        return "met" if wall <= limit else f"**not met** ({wall / limit:.1f}x)"
    if before:  # CPU: on a shared machine the wall time says more about the neighbours
        return "met" if median(runs, "cpu") <= median(before, "cpu") else "**not met**"
    return "-"


def time_table(now: Side, before: Side | None) -> list[str]:
    head = "| command | aim | now: wall median (min-max) | CPU s | peak MB (PSS / RSS) |"
    rule = "|---|---|---:|---:|---:|"
    if before is not None:
        head += " before: wall median (min-max) | CPU s | peak MB (PSS / RSS) |"
        rule += "---:|---:|---:|"
    lines = [head + " verdict |", rule + "---|"]
    for key, label, (aim, limit) in FIGURES:
        runs = now.runs.get(key)
        row = f"| {label} | {aim} | {cell(runs)} | {cpu_cell(runs)} | {memory_cell(runs)} |"
        earlier = before.runs.get(key) if before is not None else None
        if before is not None:
            row += f" {cell(earlier)} | {cpu_cell(earlier)} | {memory_cell(earlier)} |"
        lines.append(row + f" {verdict(runs, limit, earlier)} |")
    return lines


def size_table(sites: list[tuple[str, dict[str, tuple[int, int]]]]) -> list[str]:
    parts = sorted({part for _, site in sites for part in site})
    head = "| part |" + "".join(f" {n} MB | {n} files | {n} bytes a file |" for n, _ in sites)
    lines = [head, "|---|" + "---:|---:|---:|" * len(sites)]
    for part in [*parts, "all"]:
        row = f"| {part} |"
        for _, site in sites:
            size, files = (
                site.get(part, (0, 0))
                if part != "all"
                else (sum(s for s, _ in site.values()), sum(f for _, f in site.values()))
            )
            row += f" {size / 1e6:,.1f} | {files:,} | {size // max(files, 1):,} |"
        lines.append(row)
    return lines


def report(kb_source: Path, runs: int, now: Side, before: Side | None, sizes: list) -> str:
    # Counted by table header, not parsed: parsing 48 MB would take as long as a check.
    claims = sum(
        len(CLAIM_HEADER.findall((topic / CLAIMS_FILE).read_text("utf-8")))
        for topic in (kb_source / TOPICS_DIR).iterdir()
    )
    loads = [run.load for side in (now, before) if side for rs in side.runs.values() for run in rs]
    site_mb = sum(size for size, _ in dict(sizes[0][1]).values()) / 1e6 if sizes else 0.0
    site_verdict = "met" if site_mb <= SITE_AIM_MB else "**not met**"
    peak = max(max(run.pss_mb, run.max_rss_mb) for rs in now.runs.values() for run in rs)
    return "\n".join(
        [
            f"## Scale: {kb_source.name} ({claims:,} claims), median of {runs} runs",
            "",
            *machine(),
            f"- load average (1 min) as each command started: {min(loads):.1f} to {max(loads):.1f}",
            "",
            *time_table(now, before),
            "",
            f"Site: {site_mb:,.1f} MB (aim: at most {SITE_AIM_MB} MB: "
            f"{site_verdict if site_mb else 'not built'}); peak memory of any "
            f"command {peak:,.0f} MB (PSS or RSS; aim: at most {MEMORY_AIM_MB:,} MB: "
            f"{'met' if peak <= MEMORY_AIM_MB else '**not met**'}).",
            "",
            *size_table(sizes),
        ]
    )


def add_side_options(parser: argparse.ArgumentParser) -> None:
    """The options of a benchmark that runs this code and, beside it, earlier code on
    a large kb (this one's and bench/serve.py's): the kb, and each side's src folder."""
    parser.add_argument("--kb", type=Path, default=DEFAULT_KB, help="the knowledge base")
    parser.add_argument("--src", type=Path, help="the src folder of the code to measure")
    parser.add_argument("--baseline", type=Path, help="the src folder of earlier code")


def check_side_options(args: argparse.Namespace) -> None:
    """Stop with one `Error:` line unless the kb and each src folder given are there."""
    if not (args.kb / TOPICS_DIR).is_dir():
        sys.exit(f"Error: no knowledge base at {args.kb} (write one with bench/corpus.py)")
    for src in (args.src, args.baseline):
        if src is not None and not (src / "evidencekb").is_dir():
            sys.exit(f"Error: no evidencekb package in {src}")
    (REPO_ROOT / "bench" / "out").mkdir(parents=True, exist_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_side_options(parser)
    parser.add_argument("--runs", type=int, default=3, help="rounds of each command")
    parser.add_argument("--full-builds", type=int, help="rounds with a full build (default: all)")
    parser.add_argument("--baseline-runs", type=int, help="its rounds (default: --runs)")
    parser.add_argument("--baseline-builds", type=int, help="its full builds (default: all)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument(
        "--edit-topic", help="the topic whose first claim is edited (default: the first)"
    )
    args = parser.parse_args()
    check_side_options(args)
    with tempfile.TemporaryDirectory(prefix="ekb-scale-", dir=REPO_ROOT / "bench" / "out") as tmp:
        scratch = Path(tmp)
        full_builds = args.runs if args.full_builds is None else args.full_builds
        now = make_side("now", scratch, args.src, args.runs, full_builds)
        sides = [now]
        before = None
        if args.baseline is not None:
            rounds = args.runs if args.baseline_runs is None else args.baseline_runs
            builds = full_builds if args.baseline_builds is None else args.baseline_builds
            before = make_side("before", scratch, args.baseline, rounds, builds)
            sides.append(before)
        measure(args.kb, args.runs, sides, scratch, args.edit_topic)
        sizes = [(side.name, site_parts(side.site)) for side in sides if side.full_builds]
    print(report(args.kb, args.runs, now, before, sizes))
    if args.json:
        data = {
            side.name: {key: [asdict(run) for run in runs] for key, runs in side.runs.items()}
            for side in sides
        }
        data["site"] = {name: parts for name, parts in sizes}
        args.json.write_text(json.dumps(data, indent=2) + "\n", "utf-8")


if __name__ == "__main__":
    main()
