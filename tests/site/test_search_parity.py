"""One search, two front ends: `ekb search` (search()) and the site's search core
(static/search-core.js under Node.js) give the same top 10, in the same order.

Each knowledge base is built once (index and site search data); every query then runs
through search() in this process and through one Node.js process for all of them.

Both stem a query's words with the same algorithm (static/stem.js is whoosh's Porter2
ported), so held-out queries of words that no claim spells, alone and combined with the
vocabulary's synonyms, rank alike too.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from evidencekb.kb.fingerprint import kb_fingerprint
from evidencekb.kb.load import load_kb
from evidencekb.model import KnowledgeBase
from evidencekb.search import Filters, search, write_index
from evidencekb.search.analysis import (
    ABBREVIATION_MOST_LETTERS,
    JS_TOKEN_PATTERN,
    TOKEN_PATTERN,
    is_abbreviation,
    terms,
    words,
)
from evidencekb.search.browser.data import write_search_data
from evidencekb.site.render import STATIC_DIR
from fixtures import (
    REPO,
    REPO_KB,
    add_evidence_sample,
    add_grading_topic,
    add_retracted_sample,
    node,
)

RUNNER = REPO / "bench" / "search_core.js"
DATA = REPO.parent / "shared" / "data"

WORDS = ["ketamine", "analgesia", "depression", "hallucinations", "infusion", "opioid"]
PHRASES = ['"neuropathic pain"', '"side effects"', '"chronic pain" ketamine', '"pain management"']
ABBREVIATIONS = ["CRPS", "crps", "NMDA", "NMDAR", "IV", "iv", "BZD", "CRP"]
SYNONYMS = [
    "complex regional pain syndrome",
    "reflex sympathetic dystrophy",
    "esketamine",
    "benzodiazepine",
    "intravenous",
    "by mouth",
    "oral ketamine",
    "N-methyl-D-aspartate receptor",
]
STEMS = ["monitoring", "monitored", "doses", "dosing", "infusions", "treatment", "analgesic"]
TYPOS = ["benzodiazapine", "ketamime", "halucinations", "neuropathc pain", "analgesai"]
# A sign typed against a typo; a letter outside the BMP before it (two UTF-16 units).
TYPOS += ["does ketamime help?", "benzodiazapine, ketamine", "¿halucinations?"]
TYPOS += ["\U0001d424 ketamime!"]
QUESTIONS = [
    "does ketamine help neuropathic pain",
    "what are the side effects of ketamine",
    "can it be taken by mouth",
    "how is ketamine given",
    "is ketamine safe for children",
    "what is the mechanism of action of ketamine",
    "should patients be monitored",
    "which dose is used for depression",
]
FIELD_QUERIES = [
    "section:research AND strength:low",
    "entity:hallucinations OR category:misuse",
    "cites:2",
    "heading:efficacy",
    "text:ketamine",
    "ketamine NOT section:guidelines",
    "topic:ketamine-pain pain",
    "(crps OR depression) AND strength:low",
    "NOT section:research",
    'heading:"pain management" ketamine',
]
UNICODE = ["kétamine", "Ödem ketamine", "ketamine—pain", "0.1 mg/kg", "≥ 0.5 mg", "naïve 痛み"]
UNICODE += ["ke\u0301tamine", "nai\u0308ve pain", "\u2126 ketamine"]  # composed as typed
ERRORS = ['unclosed "quote', "section:", "foo:bar", "cites:two", "cites:0", "(ketamine", "AND pain"]
# Field names are read by one rule (registry.FIELD_NAME_PATTERN): words joined by one
# underscore are a name, unknown here; the others are words.
ERRORS += ["strength_method:stated", "Sample_Size:40", "sample_:40", "_size:40", "a__b:c"]
# Names every JavaScript object has (a plain object's lookup found `constructor`).
ERRORS += ["constructor:foo", "ketamine constructor: pain", "Constructor:x", "toString:x"]
ERRORS += ["__proto__:x", "hasOwnProperty:x", "valueOf: ketamine"]
# Queries of 1999, 2000 and 2001 characters (the most is 2000) with a misspelled word
# whose correction is a letter longer: offered only while it is no longer than that.
LONGEST = [f'"{"z" * (length - 14)}" laryngospsm' for length in (1999, 2000, 2001)]
FILTERED = [
    ("ketamine", {"section": "guidelines"}),
    ("pain", {"strength": "low"}),
    ("ketamine dose", {"category": "dosing"}),
    ("crps", {"topic": "ketamine-pain", "section": "research"}),
]
SEED_QUERIES = (
    WORDS + PHRASES + ABBREVIATIONS + SYNONYMS + STEMS + TYPOS + QUESTIONS + FIELD_QUERIES
) + UNICODE
# The cited works' and the evidence's fields (search/fields.py). On the seed (bare
# numbers, every stance "not stated") the work fields find nothing, and say nothing wrong.
WORK_QUERIES = [
    "author:Guyatt",
    'author:"Guyatt GH"',
    'author:"guyatt g"',
    "author:schunemann",
    "author:Schünemann",
    "author:Schu\u0308nemann",  # the accent typed apart, as a PDF or macOS may give it
    "author:Alonso-Coello",
    'author:"GH Oxman"',
    "author:Hippocrates",
    "journal:BMJ",
    'journal:"J Clin Epidemiol"',
    'journal:"anesth pain"',
    "year:2008",
    "year:2018..2020",
    "year:2010..",
    "year:..2018",
    "year:2009..2017",
    "evidence year:2000..2020",
    "NOT year:2008..2018 AND topic:grading",
    "doi:10.1097/aap.0000000000000808",
    "doi:https://doi.org/10.1016/J.JCLINEPI.2019.10.014",
    'doi:"doi: 10.1016/j.jclinepi.2019.10.014"',
    "doi:10.1136/BMJ.39489.470347.AD",
    "pmid:31711912",
    "pmid:3171191",
    "(author:Cohen OR journal:BMJ) AND evidence",
    "quality NOT author:guyatt",
]
EVIDENCE_QUERIES = [
    "stance:contradicts",
    'stance:"Not recorded"',
    "stance:supports",
    "stance:no-evidence OR stance:supports",
    "contested:yes",
    "contested:no",
    "stress contested:yes",
    "NOT stance:not-stated",
    "ketamine contested:no stance:not-stated",
    # A field declared in the registry alone (design:): its rule is data to the browser.
    "design:rct",
    'design:"Randomized Controlled Trial" OR ketamine',
    "NOT design:practice-guideline",
    # Editorial notices on cited works (notices.toml), also declared in the registry alone.
    "notice:retraction",
    'notice:"Expression of concern" OR notice:correction',
    "hydroxychloroquine NOT notice:retraction",
    # Dates (the claims' changed, else added): a day, a month, a year, open and closed ranges.
    "changed:2026-12-05",
    "changed:2026-11",
    "changed:2026",
    "changed:2026-11-24..",
    "changed:..2026-11",
    "changed:2026-01..2026-11-23",
    "children OR changed:2026-12",
    "changed:2024-02-29..",  # a leap day
    "changed:0001..2026-11-30",
    "year:0001..2010",
]
FIELD_ERRORS = [
    "design:cohort",
    "year:2018-2020",
    "year:..",
    "year:2020..2018",
    "doi:AAP.0000000000000808",
    "pmid:PMC2335261",
    'author:"—"',
    "author:",
    'journal:"',
    "stance:agrees",
    "contested:maybe",
    "notice:retracted-by",
    "changed:yesterday",
    "changed:..",
    "changed:2026-12..2026-11",
    "changed:2026/12/05",
    # Of the right shape, but no day or month of the calendar (datetime.date's rule).
    "changed:2026-13",
    "changed:2026-00",
    "changed:2026-02-30",
    "changed:2025-02-29",
    "changed:0000-01-01",
    "changed:2026-12-99..",
    "changed:..2026-04-31",
    "year:0000",
    "year:0000..2020",
]
FIELD_FILTERED = [
    ("PrP", {"stance": "contradicts"}),
    ("stress", {"contested": "yes"}),
    ("evidence", {"stance": "not-stated", "contested": "no"}),
    ("ketamine", {"stance": "Not recorded", "section": "research"}),
    ("ketamine", {"stance": "agrees"}),
    ("pain", {"contested": "true"}),
    ("ketamine", {"design": "meta-analysis"}),
    ("children", {"notice": "retraction"}),
    ("confirm", {"changed": "2026-12.."}),
]
FIELD_CASES = [(q, {}) for q in WORK_QUERIES + EVIDENCE_QUERIES + FIELD_ERRORS] + FIELD_FILTERED


class Built:
    """A knowledge base built as `ekb build` builds it: index and site."""

    def __init__(self, kb_dir: Path, out: Path) -> None:
        fingerprint = kb_fingerprint(kb_dir)
        self.kb: KnowledgeBase = load_kb(kb_dir)
        self.site = out
        out.mkdir(parents=True)
        write_index(self.kb, out / "whoosh", fingerprint=fingerprint)
        # The site's search data and core, without the pages (which take longer).
        write_search_data(self.kb, out)
        (out / "static").mkdir()
        for name in ("stem.js", "search-core.js"):  # search-core.js requires stem.js
            shutil.copy(STATIC_DIR / name, out / "static")

    def cli(self, query: str, filters: dict[str, str] | None = None) -> dict[str, object]:
        from evidencekb.errors import QueryError

        try:
            results = search(self.site / "whoosh", query, filters=Filters.of(**(filters or {})))
        except QueryError as error:
            return {"ids": [], "corrected": None, "error": str(error), "highlights": []}
        return {
            "ids": [str(hit.claim["id"]) for hit in results.hits],
            "corrected": results.corrected_query,
            "error": None,
            "highlights": [
                [
                    [utf16(str(hit.claim["text"]), s), utf16(str(hit.claim["text"]), e)]
                    for s, e in hit.highlights
                ]
                for hit in results.hits
            ],
            "total": results.total,
        }

    def site_search(self, queries: list[tuple[str, dict[str, str]]]) -> list[dict[str, object]]:
        lines = "".join(json.dumps({"query": q, "filters": f}) + "\n" for q, f in queries)
        done = subprocess.run(
            [node(), str(RUNNER), str(self.site), "10"],
            input=lines,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return [json.loads(line) for line in done.stdout.splitlines()]


def utf16(text: str, index: int) -> int:
    return len(text[:index].encode("utf-16-le")) // 2


def compare(built: Built, queries: list[tuple[str, dict[str, str]]], *, marks: bool) -> None:
    site = built.site_search(queries)
    assert len(site) == len(queries)
    differences = []
    for (query, filters), theirs in zip(queries, site, strict=True):
        ours = built.cli(query, filters)
        keys = ["ids", "corrected", "error"] + (["highlights"] if marks else [])
        if ours["error"] is None:
            keys.append("total")
        for key in keys:
            if ours[key] != theirs[key]:
                differences.append((query, filters, key, ours[key], theirs[key]))
    assert differences == [], "\n".join(map(repr, differences))


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return Built(REPO_KB, tmp_path_factory.mktemp("parity") / "site")


def test_at_least_sixty_seed_queries_of_every_kind_rank_alike(seed: Built) -> None:
    queries = [(q, {}) for q in SEED_QUERIES + ERRORS + LONGEST] + FILTERED + FIELD_CASES
    assert len(queries) >= 60
    compare(seed, queries, marks=True)


@pytest.fixture(scope="module")
def evidence(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The seed, the evidence sample (SciFact's claims, a stance, a curated relation)
    and a topic citing three real papers with their full records."""
    work = tmp_path_factory.mktemp("evidence")
    shutil.copytree(REPO_KB, work / "kb")
    add_evidence_sample(work / "kb")
    add_grading_topic(work / "kb", work)
    dated = add_retracted_sample(work / "kb") / "claims.toml"
    text = dated.read_text(encoding="utf-8").replace(
        "source_line = 1\n", 'source_line = 1\nadded = "2026-11-23"\n'
    )
    text = text.replace(
        "source_line = 2\n", 'source_line = 2\nadded = "2026-11-23"\nchanged = "2026-12-05"\n'
    )
    dated.write_text(text, encoding="utf-8")
    return Built(work / "kb", work / "site")


def test_field_queries_on_records_and_stances_rank_alike(evidence: Built) -> None:
    queries = [(q, {}) for q in WORK_QUERIES + EVIDENCE_QUERIES + FIELD_ERRORS] + FIELD_FILTERED
    # Each kind of field finds something here, so that agreeing is not agreeing on nothing.
    for query in ("author:Guyatt", "journal:BMJ", "year:2018..2020", "pmid:31711912"):
        assert evidence.cli(query)["ids"], query
    for query in (
        "doi:10.1136/BMJ.39489.470347.AD",
        "stance:contradicts",
        "contested:yes",
        "notice:retraction",
        "changed:2026-12",
        "changed:..2026-11",
    ):
        assert evidence.cli(query)["ids"], query
    compare(evidence, queries + [(q, {}) for q in SEED_QUERIES], marks=True)


@pytest.fixture(scope="module")
def scifact(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """SciFact's first 300 train claims with their stances (bench/scifact.py, then
    `ekb import --format claims-jsonl`) beside the seed."""
    from evidencekb.kb.claims_jsonl import import_claims_jsonl

    claims = DATA / "scifact-claims" / "claims_train.jsonl"
    if not claims.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"the SciFact claims are required in CI: {claims}")
        pytest.skip(f"the SciFact claims are not at {claims}")
    work = tmp_path_factory.mktemp("scifact")
    with claims.open(encoding="utf-8") as lines:
        (work / "claims.jsonl").write_text("".join(next(lines) for _ in range(300)), "utf-8")
    converted = work / "scifact.jsonl"
    corpus = DATA / "scifact-claims" / "corpus.jsonl"
    script = [sys.executable, str(REPO / "bench" / "scifact.py")]
    args = ["--claims", str(work / "claims.jsonl"), "--corpus", str(corpus), str(converted)]
    subprocess.run([*script, *args], check=True, capture_output=True)
    shutil.copytree(REPO_KB, work / "kb")
    import_claims_jsonl(work / "kb", converted, "scifact", "SciFact claims")
    return Built(work / "kb", work / "site")


def test_stances_of_real_claims_rank_alike(scifact: Built) -> None:
    stances = {e.stance for claim in scifact.kb.claims for e in claim.citation_evidence}
    assert stances == {"supports", "contradicts", "no-evidence", "not-stated"}
    queries = [(q, {}) for q in EVIDENCE_QUERIES + FIELD_ERRORS + ["author:Guyatt"]]
    queries += [
        ("stance:supports cancer", {}),
        ("cancer NOT stance:supports", {}),
        ("stance:contradicts OR stance:no-evidence", {}),
        ('"blood pressure" OR stance:contradicts', {}),
        ("cells", {"stance": "supports"}),
        ("cells", {"stance": "no-evidence", "section": "research"}),
        ("risk", {"contested": "no", "stance": "contradicts"}),
        ("ketamine", {"stance": "not-stated"}),
    ]
    compare(scifact, queries, marks=True)


def test_every_vocabulary_name_alone_and_in_a_sentence_is_a_query_in_both(seed: Built) -> None:
    names = sorted(
        {name for term in (*seed.kb.entities, *seed.kb.categories) for name in term.names}
    )
    assert "Mechanism of action" in names
    queries = [(name, {}) for name in names]
    queries += [(f"what is known about {name} in adults", {}) for name in names]
    queries += [(f"the {name} of the", {}) for name in names]
    compare(seed, queries, marks=True)


def test_readme_example_queries_rank_alike(seed: Built) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    examples = [
        line.split("ekb search ", 1)[1].split("  #")[0].strip()
        for line in readme.splitlines()
        if line.startswith("ekb search ")
    ]
    assert len(examples) >= 4
    queries = []
    for example in examples:
        query, filters = _readme_query(example)
        queries.append((query, filters))
    compare(seed, queries, marks=True)


def _readme_query(example: str) -> tuple[str, dict[str, str]]:
    """A README command's query and the filters its options set (shell quoting)."""
    import shlex

    args = shlex.split(example)
    filters: dict[str, str] = {}
    words_: list[str] = []
    i = 0
    while i < len(args):
        if args[i] in (
            "--section",
            "--strength",
            "--topic",
            "--category",
            "--stance",
            "--contested",
        ):
            filters[args[i][2:]] = args[i + 1]
            i += 2
        elif args[i] in ("--cites", "--limit"):
            words_.append(f"cites:{args[i + 1]}") if args[i] == "--cites" else None
            i += 2
        elif args[i] == "--json":
            i += 1
        else:
            words_.append(args[i])
            i += 1
    return " ".join(words_), filters


def _corpus_module():  # bench/corpus.py is a script, not a package
    spec = importlib.util.spec_from_file_location("bench_corpus", REPO / "bench" / "corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """A few thousand real claims: bench/corpus.py's generator (the 80,000-claim
    benchmark kb's) over the first abstracts of SciFact and NFCorpus."""
    if not (DATA / "scifact" / "corpus.jsonl").is_file():
        if os.environ.get("CI"):
            pytest.fail(f"the test collections are required in CI: {DATA}")
        pytest.skip(f"the test collections are not at {DATA}")
    folder = tmp_path_factory.mktemp("generated")
    for collection, count in (("scifact", 200), ("nfcorpus", 150)):
        (folder / "data" / collection).mkdir(parents=True)
        with (DATA / collection / "corpus.jsonl").open(encoding="utf-8") as lines:
            head = [next(lines) for _ in range(count)]
        (folder / "data" / collection / "corpus.jsonl").write_text("".join(head), "utf-8")
    corpus = _corpus_module()
    corpus.write_kb(corpus.generate(folder / "data", 50), folder / "kb")
    return Built(folder / "kb", folder / "site")


def test_a_generated_kb_of_thousands_of_claims_ranks_alike(generated: Built) -> None:
    assert len(generated.kb.claims) > 2000
    with (DATA / "scifact" / "queries.jsonl").open(encoding="utf-8") as lines:
        claims = [json.loads(next(lines))["text"] for _ in range(40)]
    plain = [" ".join(words(text)).replace(" and ", " ") for text in claims]
    queries = [(q, {}) for q in SEED_QUERIES + plain]
    queries += [
        ("vitamin D", {}),
        ('"breast cancer" risk', {}),
        ("section:research AND strength:low", {}),
        ("cancer", {"topic": "nfcorpus-001"}),
        ("does vitamin d reduce cancer risk", {}),
        ("statins", {"strength": "low"}),
    ]
    queries += [(q, {}) for q in in_capitals(generated.kb)]
    compare(generated, queries, marks=False)


def in_capitals(kb: KnowledgeBase) -> list[str]:
    """Words the kb writes in capitals (abstracts' "RESULTS", trial names) and words
    it writes in lowercase only, each longer than an abbreviation and stemmed to
    another term, typed in capitals: a few of each, alone and together."""
    written = sorted(
        {
            word
            for claim in kb.claims
            for word in re.findall(r"\w+", claim.text)
            if word.isalpha() and word.isupper() and len(word) > ABBREVIATION_MOST_LETTERS
        }
    )
    long_words = sorted(
        w for w in spelled(kb) if w.isalpha() and len(terms(w)) == 1 and terms(w) != (w,)
    )
    typed = [w.upper() for w in long_words if w.upper() not in written]
    assert len(written) >= 5 and len(typed) >= 5
    return written[:5] + typed[::500][:5] + [f"{written[0]} {typed[0]}"]


def test_the_token_rule_is_one_rule_in_both_languages() -> None:
    """Python's TOKEN_PATTERN and the JavaScript pattern it is written as agree on what
    a word character is, for every character Python's Unicode database assigns. The
    named difference: characters assigned in a later Unicode version than Python's
    (Node.js's may be newer) are word characters only to JavaScript."""
    import re
    import unicodedata

    chars = [
        chr(c)
        for c in range(0x20, 0x110000)
        if not 0xD800 <= c < 0xE000 and unicodedata.category(chr(c)) != "Cn"
    ]
    python = "".join("1" if re.fullmatch(TOKEN_PATTERN, ch) else "0" for ch in chars)
    word_char = JS_TOKEN_PATTERN.split("+")[0]
    script = (
        "const s = require('fs').readFileSync(0, 'utf8'); let out = '';"
        f"const w = new RegExp({json.dumps('^' + word_char + '$')}, 'u');"
        "for (const ch of s) out += w.test(ch) ? '1' : '0';"
        "process.stdout.write(out);"
    )
    done = subprocess.run(
        [node(), "-e", script], input="".join(chars), capture_output=True, text=True, check=True
    )
    differing = [
        hex(ord(ch)) for ch, a, b in zip(chars, python, done.stdout, strict=True) if a != b
    ]
    assert differing == []
    sample = "N-methyl-D-aspartate 0.1-1.0 mg/kg; Ödem_x 痛み naïve e.g. ≥0.5 x²"
    pattern = json.dumps(JS_TOKEN_PATTERN)
    split = f"process.stdout.write(JSON.stringify('{sample}'.match(new RegExp({pattern}, 'gu'))))"
    done = subprocess.run([node(), "-e", split], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == [m.group() for m in re.finditer(TOKEN_PATTERN, sample)]


def every_character(stop: int = 0x110000) -> list[str]:
    """Every character up to `stop`, surrogates left out."""
    return [chr(c) for c in range(stop) if not 0xD800 <= c < 0xE000]


def js_flags(chars: list[str], test: str) -> str:
    """'1' or '0' for each character, by the JavaScript expression `test` of `ch`."""
    script = (
        "const s = require('fs').readFileSync(0, 'utf8'); let out = '';"
        f"for (const ch of s) out += ({test}) ? '1' : '0';"
        "process.stdout.write(out);"
    )
    done = subprocess.run(
        [node(), "-e", script], input="".join(chars), capture_output=True, text=True, check=True
    )
    return done.stdout


# Where a character beyond U+FFFF stands before it, a query's fault was placed one
# character further on for each in the browser, and its length counted twice for each:
# JavaScript's offsets count UTF-16 code units, query.py counts characters.
WIDE_CHARACTERS = [
    '🙂 "unclosed',
    "\U0001d424\U0001d41e\U0001d42d section:"  # bold "ket",
    "😀 ketamine)",
    "🙂 ()",
    "🙂🙂 foo:bar",
    "\U0001d424 ketamine AND",
    "🙂" * 1001,
    "ketamine " + "🙂" * 1500,
    "\U0001d424" * 2001,
]
# Where query.py splits a query (str.isspace) and JavaScript's \s did not: U+001C to
# U+001F and U+0085 are spaces to Python, a byte order mark (U+FEFF) is not.
SPACES = [
    "\ufeffsection:research",
    "ketamine\ufeffpain",
    "ketamine\x1cpain",
    "section:research\x85pain",
    "\x1fsection:research",
    "ketamine\u2028pain\u3000crps",
]
# An abbreviation is written in capitals as str.isupper reads them: "ª" is a small letter
# with no capital (so "KETAMIMEª" is a word, corrected), a double-struck capital has no
# small letter.
DOUBLE_STRUCK = "\u2102\u211d\u2119\U0001d54a"  # "CRPS"
CASES = ["KETAMIMEª", "CRPSª", DOUBLE_STRUCK, f"ketamine {DOUBLE_STRUCK}"]
# Typed with caps lock on (analysis.is_abbreviation): long words are words, stemmed,
# and corrected when misspelled; short ones are abbreviations. The Turkish capital I
# with a dot, which lowers to two characters, in a word.
CASES += ["KETAMINE", "DOSING", "KETAMINE DOSING", '"NEUROPATHIC PAIN"', "text:KETAMINE"]
CASES += [
    "OPIOIDS OR INFUSIONS",
    "AIDS",
    "NMDA",
    "KETAMIME",
    "EMES\u0130S",
    "APPROPR\u0130ATE PAIN",
]
# A vocabulary abbreviation's plural in capitals, and words that only look like one.
CASES += ["BZDS", "IVS ketamine", "NEPS", "CRPS", "PPIS", "ITS"]


def full_width(text: str) -> str:
    """`text` as an East Asian input method types it: U+FF01 to U+FF5E for ASCII's
    signs, digits and letters, U+3000 for the space."""
    return "".join(
        "\u3000" if char == " " else chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char
        for char in text
    )


# Typed full-width (analysis.narrowed): a word in capitals, a typo, a field.
CASES += [full_width(q) for q in ("KETAMINE", "ketamime pain", "section:research")]
CASES += [full_width("section:research") + " ketamine"]


def test_a_query_is_measured_in_characters_in_both(seed: Built) -> None:
    compare(seed, [(q, {}) for q in WIDE_CHARACTERS], marks=True)


def test_a_query_splits_at_pythons_spaces_in_both(seed: Built) -> None:
    assert seed.cli("ketamine\x1cpain")["ids"] == seed.cli("ketamine pain")["ids"]
    assert seed.cli("\ufeffsection:research")["ids"] == []  # a word, no field
    compare(seed, [(q, {}) for q in SPACES], marks=True)


# A claim Japanese text writes with full-width letters and digits, beside the same
# finding in English (RECOVERY Collaborative Group, N Engl J Med 2021;384:693-704).
JAPANESE = f"{full_width('COVID')}\uff0d{full_width('19')}\u306e\u5165\u9662\u60a3\u8005"
JAPANESE += f"\u306b\u306f\u30c7\u30ad\u30b5\u30e1\u30bf\u30be\u30f3{full_width('6mg')}"
WRITTEN_WIDE = f"""From the Research
Dexamethasone
- {JAPANESE} [1].
- Dexamethasone 6 mg lowered 28-day mortality in hospitalized COVID-19 patients [1].

References
1. RECOVERY Collaborative Group. Dexamethasone in Hospitalized Patients with Covid-19. \
N Engl J Med. 2021;384(8):693-704.
"""


@pytest.fixture(scope="module")
def written_wide(tmp_path_factory: pytest.TempPathFactory) -> Built:
    from evidencekb.kb.importer import import_summary

    work = tmp_path_factory.mktemp("wide")
    shutil.copytree(REPO_KB, work / "kb")
    (work / "covid.txt").write_text(WRITTEN_WIDE, encoding="utf-8")
    import_summary(work / "kb", work / "covid.txt", "covid-ja", title="Dexamethasone")
    return Built(work / "kb", work / "site")


def test_a_claim_written_full_width_is_found_alike(written_wide: Built) -> None:
    """Its words narrowed as the query's are (analysis.narrowed), in both engines."""
    wide = next(c.id for c in written_wide.kb.claims if c.text.startswith(full_width("COVID")))
    assert wide in written_wide.cli("covid")["ids"]
    queries = ["covid", full_width("COVID"), JAPANESE, full_width("covid 6mg"), "dexamethasone"]
    compare(written_wide, [(q, {}) for q in queries], marks=True)


def test_capitals_read_alike(seed: Built) -> None:
    assert seed.cli("KETAMIMEª")["corrected"] == "ketamine"
    assert seed.cli("KETAMINE DOSING")["ids"] == seed.cli("ketamine dosing")["ids"] != []
    compare(seed, [(q, {}) for q in CASES], marks=True)


def test_the_space_rule_is_one_rule_in_both_languages() -> None:
    """The manifest's space class (search/browser/data.py) is str.isspace, for every
    character."""
    from evidencekb.search.browser.data import space_class

    chars = every_character()
    python = "".join("1" if ch.isspace() else "0" for ch in chars)
    pattern = json.dumps("^" + space_class() + "$")
    assert js_flags(chars, f"new RegExp({pattern}, 'u').test(ch)") == python


def test_the_capitals_rule_is_one_rule_in_both_languages() -> None:
    """search-core.js's isAbbreviation reads capitals as str.isupper does, character by
    character. The named differences: characters whose case Unicode changed after
    Python's version (14.0: U+0295 is no longer a small letter, U+10FC, U+A7F2 to U+A7F4
    and U+AB69 are since 15.0)."""
    import unicodedata

    chars = [ch for ch in every_character() if unicodedata.category(ch) != "Cn"]
    python = "".join("1" if ch.isupper() else "0" for ch in chars)
    javascript = js_flags(chars, r"/\p{Uppercase}/u.test(ch) && !/[\p{Lowercase}\p{Lt}]/u.test(ch)")
    differing = {ch for ch, a, b in zip(chars, python, javascript, strict=True) if a != b}
    assert differing <= set("\u0295\u10fc\ua7f2\ua7f3\ua7f4\uab69")
    core = (STATIC_DIR / "search-core.js").read_text(encoding="utf-8")
    assert r"/\p{Uppercase}/u.test(word) && !/[\p{Lowercase}\p{Lt}]/u.test(word)" in core


def test_case_folds_are_str_casefold() -> None:
    """The manifest's case folds with search-core.js's lowering of every other character
    are str.casefold, character by character (fields.term_id compares by it), for every
    character Python's Unicode database assigns (as the token rule's test); none beyond
    U+FFFF folds otherwise than it lowers."""
    import unicodedata

    from evidencekb.search.browser.data import case_folds

    chars = every_character()
    assert all(ch.casefold() == ch.lower() for ch in chars if ch > "\uffff")
    bmp = [ch for ch in chars if ch <= "\uffff" and unicodedata.category(ch) != "Cn"]
    folds = case_folds({"entity": {"x": ["".join(bmp)]}})
    script = (
        "const s = require('fs').readFileSync(0, 'utf8');"
        f"const folds = {json.dumps(folds)};"
        "const out = Array.from(s, (ch) =>"
        " folds.hasOwnProperty(ch) ? folds[ch] : ch.toLowerCase());"
        "process.stdout.write(JSON.stringify(out));"
    )
    done = subprocess.run(
        [node(), "-e", script], input="".join(bmp), capture_output=True, text=True, check=True
    )
    differing = [
        hex(ord(ch))
        for ch, js in zip(bmp, json.loads(done.stdout), strict=True)
        if ch.casefold() != js
    ]
    assert differing == []


# Vocabulary names that casefold otherwise than they lower: "µ" (the micro sign) folds
# to the Greek mu, "ß" to "ss", a final sigma to the other sigma. fields.term_id
# compares by str.casefold; the browser compared lowercased names and refused these.
FOLDED_ENTITIES = """
[[entity]]
id = "mu-opioid-receptor"
label = "\u00b5-opioid receptor"
kind = "mechanism"
definition = "The receptor most opioids act at."

[[entity]]
id = "hawthorn"
label = "Wei\u00dfdorn"
kind = "drug"
definition = "A herbal medicine."
synonyms = ["hawthorn"]

[[entity]]
id = "sigma-receptor"
label = "\u03c3 receptor"
kind = "mechanism"
definition = "A receptor ketamine binds."
"""
FOLDED = [
    'entity:"µ-opioid receptor"',
    'entity:"μ-opioid receptor"',
    'entity:"\u039c-OPIOID RECEPTOR"',  # a capital Greek mu
    "entity:WEISSDORN",
    "entity:weissdorn",
    "entity:WEIẞDORN",
    'entity:"ς receptor"',
    'entity:"Σ RECEPTOR"',
    "ketamine NOT entity:Weissdorn",
    "entity:Weissdorf",
]


def test_term_values_fold_case_as_python_does(tmp_path: Path) -> None:
    work = tmp_path / "folded"
    shutil.copytree(REPO_KB, work / "kb")
    entities = work / "kb" / "vocabulary" / "entities.toml"
    entities.write_text(entities.read_text(encoding="utf-8") + FOLDED_ENTITIES, "utf-8")
    built = Built(work / "kb", work / "site")
    for query in FOLDED[:-1]:
        assert built.cli(query)["error"] is None, query
    compare(built, [(q, {}) for q in FOLDED], marks=True)


# Words that no claim, heading, title or vocabulary name of the seed spells, alone and
# combined with the vocabularies' names and synonyms: plurals, verb and adverb forms.
UNSPELLED = [
    "bad kidneys",
    "damaged kidneys",
    "kidneys damaged by ketamine",
    "renal damages",
    "neuropathically",
    "neuropathically painful",
    "hallucinating patients",
    "esketamines",
    "arketamines intravenously",
    "opiate",
    "BZDs",
    "benzodiazepines sedating",
    "nerves pained",
    "reflex sympathetic dystrophies",
    "fibromyalgias",
    "centrally sensitized",
    "descending inhibitions",
    "opioids spared",
    "infused intravenously",
    "infusing ketamine by mouth",
    "nasally",
    "bad dreaming",
    "vividly dreamed",
    "dissociating",
    "elevated blood pressures",
    "raised bloods pressures",
    "vomited",
    "livers injured",
    "memories lost",
    "mechanisms of actions",
    "dosages",
    "routes",
    "harming",
    "recreationally misusing",
    "approvals",
    "what is known about kidneys damaged in adults",
    "does ketamine damage kidneys",
]


def spelled(kb: KnowledgeBase) -> set[str]:
    """Every word (lowercased) that the kb's claims, headings, titles and vocabularies
    spell."""
    texts = [f"{claim.heading or ''} {claim.text}" for claim in kb.claims]
    texts += [topic.title for topic in kb.topics]
    texts += [name for term in (*kb.entities, *kb.categories) for name in term.names]
    return {word for text in texts for word in words(text)}


# Endings of adjectives (given an adverb, never a plural) and of nouns that are no verb.
ADJECTIVE = ("al", "ar", "ic", "ous", "ive", "ent", "ant", "ly")
NOUN = ("tion", "sion", "ness", "ity", "ism", "sm", "ment", "y", "ia", "ine", "ome", "oid")
NOUN += ("or", "um", "us", "ss", "en", "ea")


def inflected(word: str) -> list[str]:
    """The plural (or third person), the verb forms or the adverb of a word, as its
    ending allows them."""
    if word.endswith(ADJECTIVE):
        return [word + "ally" if word.endswith("ic") else word + "ly"]
    if word.endswith("y") and word[-2:-1] not in tuple("aeiou"):
        plural = word[:-1] + "ies"
    elif word.endswith(("s", "x", "ch", "sh", "z")):
        plural = word + "es"
    else:
        plural = word + "s"
    if word.endswith(NOUN):
        return [plural]
    base = word[:-1] if word.endswith("e") else word
    return [plural, base + "ing", base + "ed"]


def unspelled_names(kb: KnowledgeBase) -> list[str]:
    """Each vocabulary name with its last word inflected into a form the kb never
    spells but that stems as the word does ("reflex sympathetic dystrophies",
    "nasally", "dosages"), alone and after "ketamine"."""
    known = spelled(kb)
    found = set()
    for term in (*kb.entities, *kb.categories):
        for name in term.names:
            head, _, last = name.rpartition(" ")
            if is_abbreviation(last) or len(terms(last)) != 1:
                continue
            for form in inflected(last.lower()):
                if form not in known and terms(form) == terms(last.lower()):
                    found.add(f"{head} {form}".strip())
    names = sorted(found)
    return names + [f"ketamine {name}" for name in names[::3]]


def test_words_no_claim_spells_with_synonyms_rank_alike_on_the_seed(seed: Built) -> None:
    """Held-out queries: unspelled inflections, alone and with synonyms, find what
    `ekb search` finds, in its order. "bad kidneys" finds the claim about renal
    complications (its entity's synonym "kidney damage") in both."""
    known = spelled(seed.kb)
    assert {"kidneys", "neuropathically", "dosages", "vomited"}.isdisjoint(known)
    generated = unspelled_names(seed.kb)
    assert len(generated) > 50
    queries = [(q, {}) for q in UNSPELLED + generated]
    compare(seed, queries, marks=True)
    renal = next(c.id for c in seed.kb.claims if "renal complications" in c.text)
    assert renal in seed.cli("bad kidneys")["ids"]
    # Not agreeing on nothing: the stems meet the claims' words.
    assert seed.cli("neuropathically")["ids"]
    found = sum(bool(seed.cli(query)["ids"]) for query in generated)
    assert found > len(generated) * 3 // 4


def test_words_no_claim_spells_with_synonyms_rank_alike_on_real_evidence(
    evidence: Built, scifact: Built
) -> None:
    """The same on the kb with the evidence sample and full records, and on SciFact's
    claims, with their own unspelled forms too."""
    for built in (evidence, scifact):
        queries = UNSPELLED + unspelled_names(built.kb)
        compare(built, [(q, {}) for q in queries], marks=True)
    extra = [
        "cancers cells mutated",
        "tumours growing",
        "infections treated intravenously",
        "hypertensive patients raised blood pressures",
        "genes expressed",
        "mortality risks lowered",
        "inflammations",
        "vaccinating children",
        "stress contested:yes kidneys",
        "randomisations",
    ]
    compare(scifact, [(q, {}) for q in extra], marks=True)
    assert not {"cancers", "tumours", "inflammations", "randomisations"} <= spelled(scifact.kb)
