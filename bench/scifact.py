"""Convert SciFact's claims and cited abstracts into the claims-jsonl import format.

    python bench/scifact.py --claims FILE --corpus FILE OUT_JSONL
    ekb import OUT_JSONL --format claims-jsonl --topic scifact --title "SciFact claims"

Reads any files of the shape of ../shared/data/scifact-claims/ (read its README):
`--claims` lines `{"id", "claim", "cited_doc_ids", "evidence"}`, `--corpus` lines
`{"doc_id", "title", "sentences"}`. An id (claim id, cited doc id, doc_id) is a whole
number or its decimal digits as a string, as BEIR's and CSV exports write them: "13"
is claim 13, and cites the doc that `13` or `"013"` names. Writes one claim line per
claim, in the claims file's order (so a claim's line in OUT_JSONL is its line in the
claims file, its provenance), then one work line per cited abstract, in order of first citation.

Nothing is added and nothing guessed:
- a claim is SciFact's text verbatim, with id `scifact-<SciFact id>`, in the
  "research" section (SciFact's claims are written from citing sentences of research
  papers); its citations are the cited doc ids, in SciFact's order, each once (the
  validation split's claim 1245 lists one abstract twice);
- a work is the abstract's title and sentences, and nothing else (SciFact gives no
  authors, year, journal or identifiers). Whitespace around a sentence is trimmed
  (structured abstracts end their sections in "   \\n"); no word changes;
- a cited abstract with SUPPORT rationales is `supports`, with CONTRADICT ones
  `contradicts`, quoting every rationale sentence once, in the abstract's order; a cited
  abstract without a rationale is `no-evidence`, as SciFact labels it ("not enough info").

Bad input is a one-line error naming the file and line, and exit status 1; OUT_JSONL is
written to a temporary sibling and renamed into place, so a failed run leaves no file.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

STANCES = {"SUPPORT": "supports", "CONTRADICT": "contradicts"}
NO_RATIONALE = "no-evidence"
SECTION = "research"


class InputError(Exception):
    """A line of the input that does not have SciFact's shape."""


def read_lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                except json.JSONDecodeError as error:
                    raise InputError(f"{path}:{number}: not JSON: {error.msg}") from None
                if not isinstance(data, dict):
                    raise InputError(f"{path}:{number}: a line must be a JSON object")
                yield number, data
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None


def read_corpus(path: Path) -> dict[int, dict[str, Any]]:
    corpus: dict[int, dict[str, Any]] = {}
    for number, data in read_lines(path):
        doc_id, title, sentences = (
            number_of(data.get("doc_id")),
            data.get("title"),
            data.get("sentences"),
        )
        if doc_id is None or not isinstance(title, str):
            raise InputError(f"{path}:{number}: needs a whole-number doc_id and a title")
        if not isinstance(sentences, list) or not all(isinstance(s, str) for s in sentences):
            raise InputError(f"{path}:{number}: 'sentences' must be a list of texts")
        corpus[doc_id] = {"title": title, "sentences": [s.strip() for s in sentences]}
    return corpus


def claim_line(path: Path, number: int, data: dict[str, Any]) -> dict[str, Any]:
    claim_id, text, cited = number_of(data.get("id")), data.get("claim"), data.get("cited_doc_ids")
    evidence = data.get("evidence", {})
    if claim_id is None or not isinstance(text, str):
        raise InputError(f"{path}:{number}: needs a whole-number id and a claim text")
    if not isinstance(cited, list) or any(number_of(n) is None for n in cited):
        raise InputError(f"{path}:{number}: 'cited_doc_ids' must be a list of whole numbers")
    if not isinstance(evidence, dict):
        raise InputError(f"{path}:{number}: 'evidence' must be an object keyed by doc id")
    cited = list(dict.fromkeys(number_of(n) for n in cited))  # listed twice: one link
    evidence = by_doc(path, number, evidence)
    unknown = sorted(set(evidence) - set(cited))
    if unknown:
        raise InputError(f"{path}:{number}: evidence for doc {unknown[0]}, which it does not cite")
    return {
        "type": "claim",
        "id": f"scifact-{claim_id}",
        "text": text,
        "section": SECTION,
        "citations": cited,
        "evidence": [link(path, number, doc, evidence.get(doc, [])) for doc in cited],
    }


def by_doc(path: Path, number: int, evidence: dict[str, Any]) -> dict[int, Any]:
    """The rationales keyed by doc number: keys "13" and "013" name one doc."""
    found: dict[int, Any] = {}
    for key, rationales in evidence.items():
        doc = number_of(key)
        if doc is None:
            raise InputError(f"{path}:{number}: evidence key {key!r} is no doc id")
        if doc in found:
            raise InputError(f"{path}:{number}: evidence for doc {doc} is given twice")
        found[doc] = rationales
    return found


def link(path: Path, number: int, doc: int, rationales: list[Any]) -> dict[str, Any]:
    """One cited abstract's stance, and its rationale sentences (by index, for now)."""
    if not isinstance(rationales, list):
        raise InputError(f"{path}:{number}: doc {doc}'s evidence must be a list of rationales")
    if not rationales:
        return {"citation": doc, "stance": NO_RATIONALE, "quotes": []}
    if not all(isinstance(r, dict) for r in rationales):
        raise InputError(
            f'{path}:{number}: doc {doc}\'s rationales must each be {{"label": ..., '
            '"sentences": [...]}'
        )
    labels = {r.get("label") for r in rationales}
    if len(labels) != 1 or not labels <= set(STANCES):
        raise InputError(
            f"{path}:{number}: doc {doc}'s rationales must all be labelled SUPPORT or all "
            "CONTRADICT"
        )
    indexes = [r.get("sentences") for r in rationales]
    if not all(isinstance(i, list) and all(whole(s) for s in i) for i in indexes):
        raise InputError(
            f"{path}:{number}: doc {doc}'s rationale sentences must be lists of whole numbers"
        )
    sentences = sorted({s for i in indexes for s in i})
    return {"citation": doc, "stance": STANCES[labels.pop()], "quotes": sentences}


def whole(value: Any) -> bool:
    """A whole number, as JSON gives one: `true` is no sentence 1, nor doc 1."""
    return isinstance(value, int) and not isinstance(value, bool)


def number_of(value: Any) -> int | None:
    """An id as a whole number: JSON's, or its ASCII digits as a string (BEIR writes
    ids as strings); None for anything else (`true`, "²", "1.0", a negative number)."""
    if whole(value):
        return int(value) if value >= 0 else None
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,20}", value):
        return int(value)
    return None


def convert(claims_path: Path, corpus_path: Path) -> list[dict[str, Any]]:
    """The claims-jsonl lines: every claim, then every cited work."""
    corpus = read_corpus(corpus_path)
    claims: list[dict[str, Any]] = []
    works: dict[int, dict[str, Any]] = {}
    for number, data in read_lines(claims_path):
        claim = claim_line(claims_path, number, data)
        for item in claim["evidence"]:
            doc = item["citation"]
            if doc not in corpus:
                raise InputError(f"{claims_path}:{number}: cites doc {doc}, not in {corpus_path}")
            works.setdefault(doc, corpus[doc])
            sentences = works[doc]["sentences"]
            outside = [s for s in item["quotes"] if not 0 <= s < len(sentences)]
            if outside:
                has = f"sentences 0 to {len(sentences) - 1}" if sentences else "no sentences"
                raise InputError(
                    f"{claims_path}:{number}: rationale sentence {outside[0]} is outside doc "
                    f"{doc}, which has {has}"
                )
            item["quotes"] = [{"sentence": s, "text": sentences[s]} for s in item["quotes"]]
        claims.append(claim)
    work_lines = [{"type": "work", "number": doc, **work} for doc, work in works.items()]
    return claims + work_lines


def write_jsonl(lines: list[dict[str, Any]], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            for line in lines:
                stream.write(json.dumps(line, ensure_ascii=False) + "\n")
        os.chmod(temporary, 0o644)  # mkstemp makes it private; the result is shared
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=Path, required=True, help="claims_train.jsonl or alike")
    parser.add_argument("--corpus", type=Path, required=True, help="corpus.jsonl")
    parser.add_argument("out", type=Path, metavar="OUT_JSONL")
    args = parser.parse_args(argv)
    try:
        lines = convert(args.claims, args.corpus)
        write_jsonl(lines, args.out)
    except (InputError, OSError) as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    claims = [line for line in lines if line["type"] == "claim"]
    links = sum(len(claim["citations"]) for claim in claims)
    print(
        f"Wrote {args.out}: {len(claims)} claims, {links} claim-work links, "
        f"{len(lines) - len(claims)} works.",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
