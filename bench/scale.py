"""Scale: `ekb check` and `ekb build` on a large knowledge base, as an editor meets them.

    python bench/scale.py [--kb DIR] [--runs N] [--json OUT]

On the large benchmark kb (bench/corpus.py writes it to bench/out/large-kb; --kb
takes any other), each figure is the median of --runs whole `ekb` processes, run
one at a time:

- `ekb check`, the whole kb;
- `ekb build`, the whole site (into a folder with no earlier build);
- `ekb build` again after a one-claim edit (one claim's text gains a word),
  over the site built before: what an editor waits for after a save;
- `ekb check` after that edit;
- peak memory (maximum resident set size) of each, from the kernel's account
  of the child process (`wait4`);
- the size of the built site: bytes and files, by part.

The kb is copied to a scratch folder first and the edit is made there, so the kb
given is never changed. Prints a Markdown report on standard output.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

from evidencekb.paths import (
    CLAIMS_FILE,
    DATABASE_NAME,
    EXPORT_NAME,
    INDEX_DIRNAME,
    SEARCH_DATA_DIRNAME,
    SOURCE_COPY,
    STATIC_DIRNAME,
    TOPICS_DIR,
)
from search_speed import machine  # one description of the machine for every bench

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_KB = REPO_ROOT / "bench" / "out" / "large-kb"
EKB = [sys.executable, "-m", "evidencekb"]


@dataclass(frozen=True)
class Run:
    wall: float  # seconds
    cpu: float  # seconds of user and system time
    peak_mib: float  # maximum resident set size


@dataclass(frozen=True)
class Figure:
    label: str
    runs: tuple[Run, ...]

    def row(self) -> str:
        wall = [run.wall for run in self.runs]
        cpu = statistics.median(run.cpu for run in self.runs)
        peak = max(run.peak_mib for run in self.runs)
        return (
            f"| {self.label} | {statistics.median(wall):.1f} | {min(wall):.1f}-{max(wall):.1f} "
            f"| {cpu:.1f} | {peak:,.0f} |"
        )


def run_ekb(*args: str) -> Run:
    """One `ekb` process: its wall time, CPU time and peak memory; exit on failure."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [*EKB, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    assert process.stderr is not None
    errors = process.stderr.read()
    process.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"Error: ekb {' '.join(args)} failed: {errors.strip().splitlines()[-1:]}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def edit_one_claim(kb_dir: Path, round_number: int) -> None:
    """Add a word after the first word of the first claim of the first topic, in
    claims.toml and, where the topic keeps one, at the same place in source.txt
    (a claim stays word for word what its source line says)."""
    topic = sorted((kb_dir / TOPICS_DIR).iterdir())[0]
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
        relative = path.relative_to(site_dir)
        top = relative.parts[0]
        if top in (DATABASE_NAME, EXPORT_NAME, INDEX_DIRNAME, SEARCH_DATA_DIRNAME, STATIC_DIRNAME):
            part = top
        else:
            part = "pages (HTML)"
        size, files = parts.get(part, (0, 0))
        parts[part] = (size + path.stat().st_size, files + 1)
    return dict(sorted(parts.items()))


def measure(kb_source: Path, runs: int, scratch: Path) -> tuple[list[Figure], dict]:
    kb_dir = scratch / "kb"
    shutil.copytree(kb_source, kb_dir)
    site = scratch / "site"
    check = [run_ekb("check", "--kb", str(kb_dir)) for _ in range(runs)]
    full = []
    for _ in range(runs):
        shutil.rmtree(site, ignore_errors=True)
        full.append(run_ekb("build", "-q", "--kb", str(kb_dir), "--site-dir", str(site)))
    parts = site_parts(site)
    after_edit, check_after_edit = [], []
    for round_number in range(runs):
        edit_one_claim(kb_dir, round_number)
        check_after_edit.append(run_ekb("check", "--kb", str(kb_dir)))
        after_edit.append(run_ekb("build", "-q", "--kb", str(kb_dir), "--site-dir", str(site)))
    figures = [
        Figure("`ekb check`, whole kb", tuple(check)),
        Figure("`ekb check` after a one-claim edit", tuple(check_after_edit)),
        Figure("`ekb build`, no earlier build", tuple(full)),
        Figure("`ekb build` after a one-claim edit", tuple(after_edit)),
    ]
    return figures, parts


def report(kb_source: Path, runs: int, figures: list[Figure], parts: dict) -> str:
    claims = sum(
        len(tomllib.loads((topic / CLAIMS_FILE).read_text("utf-8")).get("claim", []))
        for topic in (kb_source / TOPICS_DIR).iterdir()
    )
    total = sum(size for size, _ in parts.values())
    files = sum(count for _, count in parts.values())
    lines = [
        f"## Scale: {kb_source} ({claims:,} claims), median of {runs} runs",
        "",
        *machine(),
        "",
        "| command | wall median s | min-max s | CPU median s | peak memory MiB |",
        "|---|---:|---:|---:|---:|",
        *(figure.row() for figure in figures),
        "",
        f"Site: {total / 1e6:,.1f} MB in {files:,} files.",
        "",
        "| part | MB | files |",
        "|---|---:|---:|",
        *(f"| {part} | {size / 1e6:,.1f} | {count:,} |" for part, (size, count) in parts.items()),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kb", type=Path, default=DEFAULT_KB, help="the knowledge base")
    parser.add_argument("--runs", type=int, default=3, help="runs of each command")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args()
    if not (args.kb / TOPICS_DIR).is_dir():
        sys.exit(f"Error: no knowledge base at {args.kb} (write one with bench/corpus.py)")
    with tempfile.TemporaryDirectory(prefix="ekb-scale-") as scratch:
        figures, parts = measure(args.kb, args.runs, Path(scratch))
    print(report(args.kb, args.runs, figures, parts))
    if args.json:
        data = {"figures": [asdict(f) for f in figures], "site": parts}
        args.json.write_text(json.dumps(data, indent=2) + "\n", "utf-8")


if __name__ == "__main__":
    main()
