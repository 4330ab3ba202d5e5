"""Relevance of `ekb search` and the site's search on a BEIR-format test collection,
beside SQLite FTS5.

    python bench/relevance.py COLLECTION_DIR --qrels QRELS.tsv --run OUT.trec
                              [--engine cli|site]

Each document of `corpus.jsonl` becomes a claim (heading = title, text =
abstract, topic = the collection's name) and is indexed by the very code that
serves `ekb search` (`write_index`); every query of the qrels file is run
through `search()` with the default ranking, as plain words (`plain_query`:
a claim such as "Aspirin (ASA) reduces risk: a meta-analysis" is prose, not
query syntax). Writes the top 100 of each query as a TREC run file and prints
nDCG@10 and Recall@100, then the same for SQLite FTS5's bm25 over the same
documents (title and text columns, porter stemmer, words OR-ed).

`--engine site` also writes the site's search data for the same claims (the
build's `write_search_data`) and runs every query through the site's search
core (static/search-core.js) under Node.js, in one process
(bench/search_core.js), and prints its figures beside `ekb search`'s.

`--sweep` instead prints a grid of ranking parameters; use it on train (and
NFCorpus dev) judgements only, never on a test split.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from evidencekb.kb.fingerprint import Fingerprint
from evidencekb.model import Claim, KnowledgeBase, StrengthLevel, StrengthScheme, Topic
from evidencekb.search import Ranking, search, write_index
from evidencekb.search.analysis import TOKEN_PATTERN
from evidencekb.search.engine import DEFAULT_RANKING

DEPTH = 100
OPERATORS = frozenset({"AND", "OR", "NOT"})


def plain_query(text: str) -> str:
    """Prose as a query of plain words: its words as the analyzer finds them,
    with no quote, parenthesis or colon left to read as syntax, and AND, OR
    and NOT lowercased (words, not operators)."""
    words = (m.group() for m in re.finditer(TOKEN_PATTERN, text))
    return " ".join(w.lower() if w in OPERATORS else w for w in words)


def load_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8") as lines:
        next(lines)  # header
        for line in lines:
            query_id, doc_id, score = line.rstrip("\n").split("\t")
            qrels.setdefault(query_id, {})[doc_id] = int(score)
    return qrels


def collection_kb(name: str, corpus: list[dict]) -> KnowledgeBase:
    """The collection as a one-topic knowledge base of claims, through the model."""
    claims = tuple(
        Claim(
            id=doc["_id"],
            topic=name,
            section="research",
            heading=doc.get("title") or None,
            text=doc.get("text") or "",
            citations=(),
            strength="not-stated",
            strength_method="derived",
            strength_basis="",
            categories=(),
            entities=(),
            source="corpus.jsonl",
            source_line=line,
            position=line,
        )
        for line, doc in enumerate(corpus, 1)
    )
    level = StrengthLevel("not-stated", 1, "Not stated", "", "")
    topic = Topic(name, name, "corpus.jsonl", "plain", "", claims, ())
    return KnowledgeBase(StrengthScheme((level,), (), ""), (), (), (), (topic,))


def ndcg_at_10(ranked: list[str], judged: dict[str, int]) -> float:
    """nDCG@10 with linear gains, as trec_eval's ndcg_cut.10 (BEIR's figure)."""
    dcg = sum(judged.get(doc, 0) / math.log2(i + 2) for i, doc in enumerate(ranked[:10]))
    ideal = sorted((g for g in judged.values() if g > 0), reverse=True)[:10]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at_100(ranked: list[str], judged: dict[str, int]) -> float:
    relevant = {doc for doc, g in judged.items() if g > 0}
    return len(relevant.intersection(ranked[:DEPTH])) / len(relevant) if relevant else 0.0


def evaluate(runs: dict[str, list[tuple[str, float]]], qrels: dict[str, dict[str, int]]):
    ndcg = [ndcg_at_10([d for d, _ in runs.get(q, [])], j) for q, j in qrels.items()]
    recall = [recall_at_100([d for d, _ in runs.get(q, [])], j) for q, j in qrels.items()]
    return statistics.fmean(ndcg), statistics.fmean(recall)


def run_ekb(index_dir: Path, queries: dict[str, str], ranking: Ranking):
    runs, times = {}, []
    for query_id, text in queries.items():
        started = time.perf_counter()
        results = search(index_dir, plain_query(text), limit=DEPTH, ranking=ranking)
        times.append(time.perf_counter() - started)
        runs[query_id] = [(str(hit.claim["id"]), hit.score) for hit in results.hits]
    return runs, times


def run_site(kb: KnowledgeBase, queries: dict[str, str], scratch: Path):
    """The site's search core under Node.js over the site's search data for `kb`."""
    from evidencekb.search.browser.data import write_search_data
    from evidencekb.site.render import STATIC_DIR

    site = scratch / "site"
    started = time.perf_counter()
    write_search_data(kb, site)
    build_seconds = time.perf_counter() - started
    (site / "static").mkdir()
    for name in ("stem.js", "search-core.js"):  # search-core.js requires stem.js
        shutil.copy(STATIC_DIR / name, site / "static")
    lines = "".join(json.dumps({"query": plain_query(text)}) + "\n" for text in queries.values())
    started = time.perf_counter()
    done = subprocess.run(
        ["node", str(Path(__file__).with_name("search_core.js")), str(site), str(DEPTH)],
        input=lines,
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - started
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    runs = {
        query_id: list(zip(answer["ids"], answer["scores"], strict=True))
        for query_id, answer in zip(queries, answers, strict=True)
    }
    # One process answers every query: the mean time per query stands for each.
    return runs, [seconds / max(len(queries), 1)] * len(queries), build_seconds


def run_fts5(corpus: list[dict], queries: dict[str, str]):
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, text, tokenize=porter)")
    started = time.perf_counter()
    db.executemany(
        "INSERT INTO docs VALUES (?, ?, ?)",
        [(d["_id"], d.get("title") or "", d.get("text") or "") for d in corpus],
    )
    build_seconds = time.perf_counter() - started
    runs, times = {}, []
    for query_id, text in queries.items():
        words = sorted(set(re.findall(r"\w+", text.lower())))
        started = time.perf_counter()
        if words:
            match = " OR ".join('"' + w + '"' for w in words)
            rows = db.execute(
                "SELECT id, -bm25(docs) FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?",
                (match, DEPTH),
            ).fetchall()
        else:
            rows = []
        times.append(time.perf_counter() - started)
        runs[query_id] = [(doc, float(score)) for doc, score in rows]
    return runs, times, build_seconds


def write_run(path: Path, runs: dict[str, list[tuple[str, float]]], tag: str) -> None:
    with path.open("w", encoding="utf-8") as out:
        for query_id in sorted(runs):
            for rank, (doc, score) in enumerate(runs[query_id], 1):
                out.write(f"{query_id} Q0 {doc} {rank} {score:.4f} {tag}\n")


def sweep(index_dir: Path, queries: dict[str, str], qrels: dict[str, dict[str, int]]) -> None:
    """nDCG@10 and Recall@100 over a grid of BM25 parameters."""
    print("| k1 | b | nDCG@10 | Recall@100 |")
    print("|---|---|---|---|")
    for k1, b in itertools.product((0.9, 1.2, 1.5), (0.6, 0.75, 0.9)):
        ranking = replace(DEFAULT_RANKING, k1=k1, b=b)
        ndcg, recall = evaluate(run_ekb(index_dir, queries, ranking)[0], qrels)
        print(f"| {k1} | {b} | {ndcg:.4f} | {recall:.4f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("collection", type=Path, help="folder with corpus.jsonl, queries.jsonl")
    parser.add_argument("--qrels", type=Path, required=True, help="judgements (BEIR TSV)")
    parser.add_argument("--run", type=Path, required=True, help="TREC run file to write")
    parser.add_argument("--sweep", action="store_true", help="grid of ranking parameters")
    parser.add_argument(
        "--engine",
        choices=("cli", "site"),
        default="cli",
        help="site: also run the site's search core under Node.js (default: cli only)",
    )
    args = parser.parse_args()

    name = args.collection.resolve().name
    corpus = load_jsonl(args.collection / "corpus.jsonl")
    all_queries = {q["_id"]: q["text"] for q in load_jsonl(args.collection / "queries.jsonl")}
    qrels = load_qrels(args.qrels)
    missing = sorted(set(qrels) - set(all_queries))
    if missing:
        sys.exit(f"Error: {len(missing)} judged queries are not in queries.jsonl")
    queries = {q: all_queries[q] for q in qrels}

    kb = collection_kb(name, corpus)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        index_dir = Path(scratch) / "whoosh"
        started = time.perf_counter()
        # No kb/ folder was read: a fingerprint that says so.
        write_index(kb, index_dir, fingerprint=Fingerprint(name, read_started_ns=0))
        index_seconds = time.perf_counter() - started
        if args.sweep:
            sweep(index_dir, queries, qrels)
            return
        ekb_runs, ekb_times = run_ekb(index_dir, queries, DEFAULT_RANKING)
        rows.append(("ekb search (Whoosh BM25F)", ekb_runs, ekb_times, index_seconds))
        if args.engine == "site":
            site_runs, site_times, site_seconds = run_site(kb, queries, Path(scratch))
            rows.append(("site search (search-core.js)", site_runs, site_times, site_seconds))
            site_path = args.run.with_name(args.run.stem + ".site" + args.run.suffix)
            write_run(site_path, site_runs, "site")
    write_run(args.run, ekb_runs, "ekb")
    fts_runs, fts_times, fts_seconds = run_fts5(corpus, queries)
    fts_path = args.run.with_name(args.run.stem + ".fts5" + args.run.suffix)
    write_run(fts_path, fts_runs, "fts5")
    rows.append(("SQLite FTS5 bm25", fts_runs, fts_times, fts_seconds))

    print(f"{name}: {len(corpus)} documents, {len(queries)} queries ({args.qrels.name})\n")
    print("| system | nDCG@10 | Recall@100 | index build | median query |")
    print("|---|---|---|---|---|")
    for label, runs, times, seconds in rows:
        ndcg, recall = evaluate(runs, qrels)
        median_ms = statistics.median(times) * 1000
        print(f"| {label} | {ndcg:.4f} | {recall:.4f} | {seconds:.1f} s | {median_ms:.1f} ms |")
    if args.engine == "site":
        same = sum(
            [d for d, _ in ekb_runs.get(q, [])][:10] == [d for d, _ in site_runs.get(q, [])][:10]
            for q in queries
        )
        print(f"\nSame top 10, in the same order, from both engines: {same} of {len(queries)}.")
        print("The site's median query is the mean over one Node.js process answering all.")
    print(f"\nRuns written to {args.run} and {fts_path}.")


if __name__ == "__main__":
    main()
