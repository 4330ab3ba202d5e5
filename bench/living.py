"""Living evidence at scale: `ekb refs retractions` on a Retraction Watch-sized file and
`ekb changes --since HEAD` on the large benchmark kb.

    python bench/living.py [--kb DIR] [--rows N] [--runs N]

1. Writes a Retraction Watch-format CSV of --rows rows (70,000 by default, about the
   size of the real file) to bench/out/: the header exactly as Crossref publishes it
   (trailing comma included), dates like `6/5/2020 0:00`, reasons like
   `+Falsification/Fabrication of Data;+...;`, `Unavailable` and `0` for missing
   identifiers. **Every row is synthetic** (its Title and Notes say so) and its DOIs
   use Crossref's test prefix 10.5555, so no row names a real work and none matches the
   kb: the run measures reading the file and matching, and writes nothing.
2. Times, as whole `ekb` processes run one at a time: `ekb refs retractions FILE` on the
   kb (reading and validating the kb, then the file), and `ekb changes --since HEAD`
   with the kb committed in a scratch git checkout (reading kb/ at HEAD out of git,
   loading both, comparing every claim). Also, in this process, the CSV read alone
   (kb/retractions.read_notices over the kb's identifiers).

The kb (bench/corpus.py writes it) is copied into the scratch checkout first, so it is
never changed; $XDG_CACHE_HOME points into the scratch folder, so the user's cache is
untouched (the parse cache is warmed by one untimed check first: an editor's machine).
Prints a Markdown report: the median of --runs runs of each, with the machine.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
HEADER = [
    "Record ID", "Title", "Subject", "Institution", "Journal", "Publisher", "Country",
    "Author", "URLS", "ArticleType", "RetractionDate", "RetractionDOI", "RetractionPubMedID",
    "OriginalPaperDate", "OriginalPaperDOI", "OriginalPaperPubMedID", "RetractionNature",
    "Reason", "Paywalled", "Notes",
]  # fmt: skip
NATURES = ("Retraction", "Retraction", "Retraction", "Correction", "Expression of concern")
REASONS = (
    "+Falsification/Fabrication of Data;+Investigation by Journal/Publisher;",
    "+Duplication of Image;+Concerns/Issues About Data;+Unreliable Results;",
    "+Error in Data;+Error in Analyses;+Notice - Limited or No Information;",
)


def write_csv(path: Path, rows: int) -> int:
    """A synthetic file of `rows` rows in Retraction Watch's format; its size in bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write(",".join(HEADER) + ",\r\n")  # the header's trailing comma, as published
        writer = csv.writer(file, lineterminator="\r\n")
        for n in range(1, rows + 1):
            month, day, year = n % 12 + 1, n % 28 + 1, 1990 + n % 35
            writer.writerow(
                [
                    n,
                    f"SYNTHETIC benchmark row {n}: a title of the usual length for a "
                    "research article, with a subtitle after the colon",
                    "(BLS) Biology - Molecular;(HSC) Medicine - Oncology;",
                    "Department of Synthetic Rows, Benchmark University, Nowhere",
                    "Synthetic Journal of Benchmarks",
                    "Benchmark Publisher",
                    "Nowhere",
                    "; ".join(f"Author{n}-{k} Synthetic" for k in range(5)),
                    "",
                    "Research Article;",
                    f"{month}/{day}/{year + 1} 0:00",
                    f"10.5555/synthetic-notice.{n}",
                    "Unavailable" if n % 3 else "0",
                    f"{month}/{day}/{year} 0:00",
                    f"10.5555/synthetic-paper.{n}",
                    "0",
                    NATURES[n % len(NATURES)],
                    REASONS[n % len(REASONS)],
                    "No",
                    "SYNTHETIC: made by bench/living.py for timing; not a real notice.",
                ]
            )
    return path.stat().st_size


def timed(command: list[str], env: dict[str, str], cwd: Path | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    return elapsed


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=bench@example.org", "-c", "user.name=bench", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def read_alone(kb_dir: Path, source: Path, runs: int) -> list[float]:
    """The CSV read and matched over the kb's identifiers, the kb loaded once beforehand."""
    from evidencekb.kb.load import load_kb
    from evidencekb.kb.retractions import identifier_places, read_notices

    by_doi, by_pmid = identifier_places(load_kb(kb_dir).topics)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        found = sum(1 for _ in read_notices(source, by_doi, by_pmid))
        times.append(time.perf_counter() - start)
        assert found == 0  # synthetic rows match nothing
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kb", type=Path, default=OUT / "large-kb")
    parser.add_argument("--rows", type=int, default=70_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    ekb = [sys.executable, "-m", "evidencekb"]
    source = OUT / "retraction-watch-synthetic.csv"
    size = write_csv(source, args.rows)
    with tempfile.TemporaryDirectory(prefix="ekb-living-") as scratch_name:
        scratch = Path(scratch_name)
        env = {**os.environ, "XDG_CACHE_HOME": str(scratch / "cache")}
        repo = scratch / "repo"
        shutil.copytree(args.kb, repo / "kb")
        git(repo, "init", "-q")
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "benchmark kb")
        kb = str(repo / "kb")
        timed([*ekb, "check", "--kb", kb], env)  # warm the parse cache, untimed
        retractions, changes = [], []
        for _ in range(args.runs):
            retractions.append(timed([*ekb, "refs", "retractions", str(source), "--kb", kb], env))
            changes.append(timed([*ekb, "changes", "--since", "HEAD", "--kb", kb], env))
        alone = read_alone(repo / "kb", source, args.runs)
    print("## Living evidence: notices and changes at scale\n")
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}; "
        f"kb: {args.kb.name}; median of {args.runs} runs each.\n"
    )
    print("| what | median | runs (s) |")
    print("|---|---:|---|")
    rows = [
        (f"read {args.rows:,} Retraction Watch rows ({size / 1e6:.1f} MB), in process", alone),
        ("`ekb refs retractions FILE` (kb load + the file)", retractions),
        ("`ekb changes --since HEAD` (both kbs loaded, every claim compared)", changes),
    ]
    for what, times in rows:
        shown = ", ".join(f"{t:.2f}" for t in times)
        print(f"| {what} | {statistics.median(times):.2f} s | {shown} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
