"""Ranking ideas tried on the train and dev judgements, fast, outside the product.

    python bench/ranking_lab.py [--data ../shared/data]

Whoosh takes minutes per collection (bench/relevance.py), too slow to try many
ideas. This script re-implements the ranking of `ekb search` for plain-word
queries in a few lines (BM25 over the pooled heading and text, plus the heading
alone at weight 0.3, Robertson idf, claims with every word first, a word written
twice counted once) on the product's own analysis (`evidencekb.search.analysis`),
and scores each variant below on SciFact train, NFCorpus dev and NFCorpus train.
Its baseline lands within 0.003 nDCG@10 of relevance.py's `ekb search` figure
(field lengths are exact here, whoosh keeps them in one byte). A variant that
helps here is then checked with relevance.py before it goes into the product.

Only train and dev judgements: the test splits' are not in ../shared/data.
"""

from __future__ import annotations

import argparse
import itertools
import math
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer
from whoosh.lang.porter import stem as porter_stem

from evidencekb.search import analysis
from relevance import evaluate, load_jsonl, load_qrels, plain_query

Analyse = Callable[[str], tuple[str, ...]]
SETS = (("scifact", "train"), ("nfcorpus", "dev"), ("nfcorpus", "train"))
GREEK_NAMES = (
    *("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"),
    *("lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi"),
    *("chi", "psi", "omega"),
)
# Unicode spells lambda "LAMDA".
GREEK = {
    unicodedata.lookup(f"GREEK SMALL LETTER {name.replace('lambda', 'lamda')}"): name
    for name in GREEK_NAMES
}


class _Fold(Filter):  # type: ignore[misc]
    """NFKC, accents dropped, Greek letters spelled out (TNF-alpha for the letter)."""

    def __call__(self, tokens: Iterator[Any]) -> Iterator[Any]:
        for token in tokens:
            text = unicodedata.normalize("NFKC", token.text)
            text = unicodedata.normalize("NFD", text)
            text = "".join(c for c in text if not unicodedata.combining(c))
            token.text = "".join(GREEK.get(c, c) for c in text)
            yield token


class _Stem(analysis.AbbreviationKeepingStemFilter):
    def __init__(self, stemfn: Callable[[str], str]) -> None:
        analysis.StemFilter.__init__(self, stemfn=stemfn)


def analyser(*, stem: Callable[[str], str] | None = None, fold: bool = False) -> Analyse:
    """The product's text analysis, with another stemmer or Unicode folding."""
    chain = RegexTokenizer(analysis.TOKEN_PATTERN) | analysis.MarkAbbreviationsFilter()
    chain = chain | LowercaseFilter()
    if fold:
        chain = chain | _Fold()
    chain = chain | analysis.SortedStopFilter(analysis.STOP_WORDS, minsize=2)
    chain = chain | (_Stem(stem) if stem else analysis.AbbreviationKeepingStemFilter())
    return lambda text: tuple(token.text for token in chain(text))


class Collection:
    def __init__(self, corpus: list[dict], analyse: Analyse, title_copies: int = 1) -> None:
        self.ids = [doc["_id"] for doc in corpus]
        self.body: dict[str, dict[int, int]] = defaultdict(dict)
        self.head: dict[str, dict[int, int]] = defaultdict(dict)
        self.tokens: list[tuple[str, ...]] = []
        self.body_length: list[int] = []
        self.head_length: list[int] = []
        for number, doc in enumerate(corpus):
            head = analyse(doc.get("title") or "")
            body = head * title_copies + analyse(doc.get("text") or "")
            self.tokens.append(body)
            for term, tf in Counter(body).items():
                self.body[term][number] = tf
            for term, tf in Counter(head).items():
                self.head[term][number] = tf
            self.body_length.append(len(body))
            self.head_length.append(len(head))
        self.count = len(corpus)
        self.body_average = sum(self.body_length) / self.count
        self.head_average = sum(self.head_length) / self.count

    def idf(self, df: int) -> float:
        return math.log(1 + (self.count - df + 0.5) / (df + 0.5))


def bm25(tf: float, length: int, average: float, k1: float, b: float, delta: float) -> float:
    return tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / average)) + delta


def rank(c: Collection, terms: list[str], v: dict[str, Any]) -> list[tuple[str, float]]:
    k1, b, delta = v.get("k1", 1.2), v.get("b", 0.9), v.get("delta", 0.0)
    score: dict[int, float] = defaultdict(float)
    has: Counter[int] = Counter()
    for term in terms:
        postings = c.body.get(term, {})
        idf = c.idf(len(postings)) if postings else 0.0
        for doc, tf in postings.items():
            score[doc] += idf * bm25(tf, c.body_length[doc], c.body_average, k1, b, delta)
            has[doc] += 1
        heading = c.head.get(term, {})
        weight = v.get("heading", 0.3)
        idf = c.idf(len(heading)) if heading else 0.0
        for doc, tf in heading.items():
            score[doc] += weight * idf * bm25(tf, c.head_length[doc], c.head_average, k1, b, 0)
    if v.get("proximity"):
        _proximity(c, terms, score, v["proximity"], k1, b)
    every = len(terms) if v.get("all_first", True) else -1
    ordered = sorted(score, key=lambda doc: (has[doc] != every, -score[doc], doc))[:100]
    return [(c.ids[doc], score[doc]) for doc in ordered]


def _proximity(
    c: Collection, terms: list[str], score: dict[int, float], weight: float, k1: float, b: float
) -> None:
    """Adjacent query words adjacent in the claim, scored as a BM25 bigram."""
    for first, second in itertools.pairwise(terms):
        both = c.body.get(first, {}).keys() & c.body.get(second, {}).keys()
        counts = {}
        for doc in both:
            seq = c.tokens[doc]
            n = sum(1 for i in range(len(seq) - 1) if seq[i] == first and seq[i + 1] == second)
            if n:
                counts[doc] = n
        idf = c.idf(len(counts)) if counts else 0.0
        for doc, tf in counts.items():
            score[doc] += weight * idf * bm25(tf, c.body_length[doc], c.body_average, k1, b, 0)


VARIANTS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("ekb search now: Porter2, k1 1.2, b 0.9, heading 0.3", {}),
    ("whoosh's default Porter stemmer (before)", {"stem": porter_stem}),
    ("Porter, b 0.75 (the ranking before)", {"stem": porter_stem, "b": 0.75}),
    ("b 0.75", {"b": 0.75}),
    ("b 1.0", {"b": 1.0}),
    ("k1 0.9", {"k1": 0.9}),
    ("k1 1.5", {"k1": 1.5}),
    ("heading weight 0", {"heading": 0.0}),
    ("heading weight 0.5", {"heading": 0.5}),
    ("heading weight 1.0", {"heading": 1.0}),
    ("title twice in the pooled field (BM25F weight 2)", {"title_copies": 2}),
    ("BM25+ (delta 0.5)", {"delta": 0.5}),
    ("bigram proximity bonus 0.1", {"proximity": 0.1}),
    ("bigram proximity bonus 0.3", {"proximity": 0.3}),
    ("Unicode folding (accents, Greek letters spelled out)", {"fold": True}),
    ("no 'all words first' tier", {"all_first": False}),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = parser.parse_args()
    loaded = {}
    for name, split in SETS:
        folder = args.data / name
        corpus = load_jsonl(folder / "corpus.jsonl")
        texts = {q["_id"]: q["text"] for q in load_jsonl(folder / "queries.jsonl")}
        qrels = load_qrels(folder / "qrels" / f"{split}.tsv")
        loaded[name, split] = (corpus, {q: texts[q] for q in qrels}, qrels)
    print("| variant | " + " | ".join(f"{n} {s} nDCG@10 | R@100" for n, s in SETS) + " |")
    print("|---|" + "---:|---:|" * len(SETS))
    built: dict[tuple[object, ...], Collection] = {}  # variants that index alike share one
    for label, variant in VARIANTS:
        how = (variant.get("stem"), variant.get("fold", False))
        analyse = analyser(stem=how[0], fold=how[1])
        cells = []
        for key, (corpus, queries, qrels) in loaded.items():
            copies = variant.get("title_copies", 1)
            if (*key, *how, copies) not in built:
                built[*key, *how, copies] = Collection(corpus, analyse, copies)
            collection = built[*key, *how, copies]
            runs = {}
            for query_id, text in queries.items():
                terms = list(dict.fromkeys(analyse(plain_query(text))))
                runs[query_id] = rank(collection, terms, variant)
            ndcg, recall = evaluate(runs, qrels)
            cells += [f"{ndcg:.4f}", f"{recall:.4f}"]
        print(f"| {label} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
