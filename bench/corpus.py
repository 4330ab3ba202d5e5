"""Generate the large benchmark knowledge base from the SciFact and NFCorpus abstracts.

    python bench/corpus.py OUT_KB_DIR [--data DIR] [--per-topic N]

Every abstract of the two BEIR collections becomes one heading of a topic (its title), and
every sentence of the abstract one claim of the "research" section that cites the abstract
by its reference number within the topic. Topics hold --per-topic abstracts each, in corpus
order (`scifact-001`, `scifact-002`, ..., `nfcorpus-001`, ...). That gives about 80,000
claims: the "large knowledge base" the speed benchmarks of `ekb search` and `ekb build`
run on. Nothing is invented: the claim text is the corpus's sentence verbatim, a reference
records only what the corpus says about the abstract (its title, and for NFCorpus its
PubMed address and PMID), and each claim's provenance is the corpus file and line.

The strength scheme and vocabularies are copied unchanged from the repository's kb/; each
claim's strength is derived by the same rule `ekb check` applies
(`evidencekb.kb.strength.derive_strength`), its entities are found as `ekb import` finds them
(`mentioned_entities`), its id is the importer's, and categories stay empty (choosing
them is a curator's work). Output is deterministic: the same corpus files give the same
bytes. The knowledge base is written to a staging sibling folder and
swapped into place, so a failed run leaves nothing half-written.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from evidencekb.atomic import staged_dir
from evidencekb.kb.bibliography import pmid_problem, url_problem
from evidencekb.kb.citations import split_marker
from evidencekb.kb.importer import claim_id as base_claim_id
from evidencekb.kb.importer import mentioned_entities
from evidencekb.kb.strength import derive_strength
from evidencekb.kb.tomlfile import format_keys, format_table
from evidencekb.kb.topic import JSONL
from evidencekb.model import Term
from evidencekb.paths import CLAIMS_FILE, OVERVIEW_FILE, REFERENCES_FILE, TOPIC_FILE, TOPICS_DIR

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data"
SEED_KB_DIR = REPO_ROOT / "kb"
# Copied unchanged from the seed kb/: the scheme and vocabularies every kb shares.
SHARED_KB_FILES = ("strength.toml", "strength.md", "stance.toml")
SHARED_KB_DIRS = ("vocabulary",)

COLLECTIONS: tuple[tuple[str, str], ...] = (
    ("scifact", "SciFact"),
    ("nfcorpus", "NFCorpus"),
)
SECTION = "research"

# Sentence splitting, deliberately simple (no NLP dependency): a sentence ends at ".",
# "!" or "?", possibly followed by closing quotes or brackets, then white space, when the
# next sentence starts with an upper-case letter or a digit (after an optional opening
# bracket or quote) and the token ending in "." is not a known abbreviation. Lower-case
# continuations ("E. coli") therefore never split. Some splits are imperfect (a sentence
# that really ends in "U.S." is joined to the next; reference-list fragments such as
# "Zanetti, M." become sentences of their own); for a speed benchmark that does not matter,
# and every claim's text is still the corpus's own words.
_CANDIDATE_END = re.compile(r"[.!?][\"'\u201d\u2019)\]]*\s+")
_SENTENCE_OPENERS = "\"'\u201c\u2018(["
_NO_BREAK_AFTER = frozenset(
    {
        "al.",
        "approx.",
        "ca.",
        "cf.",
        "dr.",
        "e.g.",
        "fig.",
        "figs.",
        "i.e.",
        "mr.",
        "mrs.",
        "ms.",
        "no.",
        "prof.",
        "st.",
        "u.s.",
        "v.",
        "vs.",
    }
)


def split_sentences(text: str) -> list[str]:
    """Split an abstract into sentences by the rule above; white space is normalised."""
    text = " ".join(text.split())
    sentences: list[str] = []
    start = 0
    for match in _CANDIDATE_END.finditer(text):
        following = text[match.end() : match.end() + 2].lstrip(_SENTENCE_OPENERS)
        if not following or not (following[0].isupper() or following[0].isdigit()):
            continue
        last_token = text[start : match.start() + 1].rsplit(None, 1)[-1].lstrip("([")
        if last_token.lower() in _NO_BREAK_AFTER:
            continue
        sentences.append(text[start : match.end()].strip())
        start = match.end()
    rest = text[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences


class CorpusError(Exception):
    """Bad input: printed as one `Error:` line."""


# Control characters (C0, DEL, C1), which `ekb check` refuses in any text field. Two
# SciFact abstracts hold C1 characters left over from a mis-decoded dash or quote.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Abstract:
    collection: str  # "scifact" or "nfcorpus"
    doc_id: str  # the corpus's _id
    title: str
    text: str
    url: str  # "" unless the corpus gives one
    line: int  # 1-based line in corpus.jsonl


def read_abstracts(corpus_path: Path, collection: str) -> Iterator[Abstract]:
    """The abstracts of one BEIR corpus.jsonl, in file order."""
    try:
        lines = corpus_path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise CorpusError(f"{corpus_path}: cannot read ({error.strerror})") from None
    except UnicodeDecodeError:
        raise CorpusError(f"{corpus_path}: not UTF-8 text") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            doc_id, title, text = str(row["_id"]), str(row["title"]), str(row["text"])
            metadata = row.get("metadata") or {}
        except (ValueError, KeyError, TypeError, AttributeError):
            raise CorpusError(
                f"{corpus_path}:{number}: not a BEIR corpus line "
                '(a JSON object with "_id", "title", "text" and optional "metadata")'
            ) from None
        url = metadata.get("url", "") if isinstance(metadata, dict) else ""
        # Headings are one line without control characters, as `ekb check` requires.
        title = _CONTROL.sub("", " ".join(title.split()))
        yield Abstract(collection, doc_id, title, text, str(url), number)


def chunks(items: list[Abstract], size: int) -> Iterator[list[Abstract]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def claim_id(slug: str, text: str, taken: set[str]) -> str:
    """The importer's id (`<topic>-<first 8 hex of sha256(text)>`); a sentence repeated
    within a topic, or a rare prefix collision, hashes the text with a counter appended
    ("\\n2", "\\n3", ...) instead, so ids stay unique and independent of position."""
    candidate = base_claim_id(slug, text)
    counter = 2
    while candidate in taken:
        candidate = base_claim_id(slug, f"{text}\n{counter}")
        counter += 1
    taken.add(candidate)
    return candidate


_PUBMED_URL = re.compile(r"^https?://www\.ncbi\.nlm\.nih\.gov/pubmed/(\d+)$")


def reference_record(number: int, abstract: Abstract) -> dict[str, object]:
    """What the corpus itself says about the abstract, and nothing more. A web address
    or PMID that `ekb check` would refuse (NFCorpus has a few addresses with a space
    inside, and a PMID written with leading zeros) is left out, not corrected."""
    record: dict[str, object] = {"number": number}
    if abstract.title:
        record["title"] = abstract.title
    if abstract.url and url_problem(abstract.url) is None:
        record["url"] = abstract.url
        pubmed = _PUBMED_URL.match(abstract.url)
        if pubmed and pmid_problem(pubmed.group(1)) is None:
            record["pmid"] = pubmed.group(1)
    return record


def unique_heading(abstract: Abstract, used: set[str]) -> str:
    """The abstract's title; a title repeated within a topic (NFCorpus has a few) gets
    the corpus id appended, so each abstract keeps a heading of its own."""
    heading = abstract.title or f"{abstract.collection} document {abstract.doc_id}"
    if heading in used:
        heading = f"{heading} (corpus id {abstract.doc_id})"
    used.add(heading)
    return heading


def claimable(sentence: str) -> bool:
    """False for a sentence `ekb check` would refuse, which is left out rather than
    altered: one ending in a bare number ("... was 45.") reads as a citation marker left
    in the text, and one holding a control character."""
    return split_marker(sentence) is None and _CONTROL.search(sentence) is None


@dataclass(frozen=True)
class Vocabulary:
    """What labelling a claim needs from the shared kb files."""

    hedging_words: tuple[str, ...]
    entities: tuple[Term, ...]


def topic_files(
    slug: str, label: str, part: int, abstracts: list[Abstract], vocabulary: Vocabulary
) -> dict[str, str]:
    """The four files of one topic, as text, laid out as `ekb import` writes them
    (none if no abstract of the group gives a claim)."""
    source = f"{abstracts[0].collection}/corpus.jsonl"
    claims = [
        f"# Claims generated by bench/corpus.py from {source}: one per sentence of each\n"
        "# abstract, verbatim. Strength by the written rule; entities as `ekb import` finds\n"
        "# them; no categories. A benchmark corpus, not a clinical summary.\n"
    ]
    references = [
        f"# The abstracts this topic's claims cite, with only what {source} records\n"
        "# about them: the title, and for NFCorpus its PubMed address.\n"
    ]
    cited: list[Abstract] = []
    taken: set[str] = set()
    headings: set[str] = set()
    for abstract in abstracts:
        sentences = [s for s in split_sentences(abstract.text) if claimable(s)]
        if not sentences:
            continue
        cited.append(abstract)
        number = len(cited)
        references.append("\n" + format_table("reference", reference_record(number, abstract)))
        heading = unique_heading(abstract, headings)
        for sentence in sentences:
            hedges = vocabulary.hedging_words
            derived = derive_strength(sentence, SECTION, (number,), hedges, origin=source)
            claim = {
                "id": claim_id(slug, sentence, taken),
                "section": SECTION,
                "heading": heading,
                "text": sentence,
                "citations": [number],
                "strength": derived.label,
                "strength_method": "derived",
                "strength_basis": derived.basis,
                "categories": [],
                "entities": list(mentioned_entities(sentence, vocabulary.entities)),
                "source_line": abstract.line,
            }
            claims.append("\n" + format_table("claim", claim))
    if not cited:
        return {}
    rows = "\n".join(f"| {n} | `{a.doc_id}` | {a.line} |" for n, a in enumerate(cited, start=1))
    overview = (
        f"A generated benchmark topic: {len(cited)} abstracts of the {label} test collection "
        f"(BEIR format, lines {abstracts[0].line}\u2013{abstracts[-1].line} of `{source}`), "
        "split into sentences by `bench/corpus.py`. Each sentence is a claim of the research "
        "section, under its abstract's title, citing that abstract by number; a reference "
        "gives only what the corpus records about the abstract. The topic exists to measure "
        "speed: it is not a clinical summary.\n\n"
        "| reference | corpus id | line |\n|---|---|---|\n"
        f"{rows}\n"
    )
    topic = {
        "title": f"{label} abstracts, part {part} (benchmark corpus)",
        "source": source,
        "source_format": JSONL,
        "citation_style": "plain",
    }
    return {
        TOPIC_FILE: format_keys(topic),
        OVERVIEW_FILE: overview,
        CLAIMS_FILE: "".join(claims),
        REFERENCES_FILE: "".join(references),
    }


def generate(data_dir: Path, per_topic: int) -> dict[Path, str]:
    """Every file of the benchmark kb, by path relative to the kb folder."""
    files: dict[Path, str] = {}
    for name in SHARED_KB_FILES:
        files[Path(name)] = _read_seed(SEED_KB_DIR / name)
    for folder in SHARED_KB_DIRS:
        for path in sorted((SEED_KB_DIR / folder).glob("*.toml")):
            files[path.relative_to(SEED_KB_DIR)] = _read_seed(path)
    vocabulary = read_vocabulary(files)
    for collection, label in COLLECTIONS:
        corpus = data_dir / collection / "corpus.jsonl"
        abstracts = list(read_abstracts(corpus, collection))
        if not abstracts:
            raise CorpusError(f"{corpus}: no abstracts")
        for part, group in enumerate(chunks(abstracts, per_topic), start=1):
            slug = f"{collection}-{part:03d}"
            for name, text in topic_files(slug, label, part, group, vocabulary).items():
                files[Path(TOPICS_DIR, slug, name)] = text
    return files


def read_vocabulary(files: dict[Path, str]) -> Vocabulary:
    """Hedging words and entities from the copied seed files (tomllib: the loader's
    own parser; `ekb check` validates them when it loads the generated kb)."""
    try:
        strength = tomllib.loads(files[Path("strength.toml")])
        entities = tomllib.loads(files[Path("vocabulary", "entities.toml")])
    except (KeyError, tomllib.TOMLDecodeError) as error:
        raise CorpusError(f"{SEED_KB_DIR}: unusable strength or entities file ({error})") from None
    terms = tuple(
        Term(
            id=row["id"],
            label=row["label"],
            kind=row["kind"],
            synonyms=tuple(row.get("synonyms", ())),
            abbreviations=tuple(row.get("abbreviations", ())),
        )
        for row in entities.get("entity", [])
    )
    return Vocabulary(tuple(strength.get("hedging_words", ())), terms)


def _read_seed(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise CorpusError(f"{path}: cannot read the seed kb file ({error.strerror})") from None


def check_replaceable(out_dir: Path) -> None:
    """Refuse to replace a folder that is not a kb this script generated (say, the real
    kb/): only the shared files and topics named after the collections may be there."""
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise CorpusError(f"{out_dir}: exists and is not a folder")
    allowed = {*SHARED_KB_FILES, *SHARED_KB_DIRS, "topics"}
    prefixes = tuple(f"{collection}-" for collection, _ in COLLECTIONS)
    strangers = [p.name for p in out_dir.iterdir() if p.name not in allowed]
    topics = out_dir / "topics"
    if topics.is_dir():
        strangers += [p.name for p in topics.iterdir() if not p.name.startswith(prefixes)]
    if strangers:
        raise CorpusError(
            f"{out_dir}: not a generated benchmark kb (it holds {sorted(strangers)[0]!r}); "
            "give a new folder or one this script wrote"
        )


def write_kb(files: dict[Path, str], out_dir: Path) -> None:
    """Write into a staging sibling folder, then swap it into place (atomic.staged_dir)."""
    check_replaceable(out_dir)
    with staged_dir(out_dir.resolve()) as staging:
        for relative, text in sorted(files.items()):
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Generate the ~80,000-claim benchmark kb from SciFact and NFCorpus."
    )
    parser.add_argument(
        "out", type=Path, help="the kb folder to write (replaces one this script wrote)"
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help=f"folder holding scifact/ and nfcorpus/ (default: {DEFAULT_DATA_DIR})",
    )
    parser.add_argument("--per-topic", type=int, default=100, help="abstracts per topic")
    args = parser.parse_args(argv)
    if args.per_topic < 1:
        parser.error("--per-topic must be at least 1")
    try:
        check_replaceable(args.out)
        files = generate(args.data, args.per_topic)
        write_kb(files, args.out)
    except CorpusError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"Error: {args.out}: cannot write the kb ({error.strerror})", file=sys.stderr)
        return 1
    topics = sum(1 for path in files if path.name == TOPIC_FILE)
    claims = sum(
        text.count("\n[[claim]]\n") for path, text in files.items() if path.name == CLAIMS_FILE
    )
    print(f"wrote {args.out}: {topics} topics, {claims:,} claims", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
