"""The site's stemmer (static/stem.js) is `ekb search`'s (whoosh's Porter2, which
search/analysis.py stems with), word for word: on every distinct word of the SciFact and
NFCorpus corpora and of the repository's kb, tokenized by the project's token rule, and
on generated words. Each check runs every word through one Node.js process."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterable

from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from whoosh.lang.porter2 import stem

from evidencekb.kb.load import load_kb
from evidencekb.search.analysis import TOKEN_PATTERN
from evidencekb.site.render import STATIC_DIR
from fixtures import REPO, REPO_KB, node, shared_data

DATA = REPO.parent / "shared" / "data"

# Reads words as JSON lines; writes, for each, [its lowercasing, the stem of the
# lowercasing Python gave] as JSON lines.
RUNNER = r"""
const {stem} = require(process.argv[1]);
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter(Boolean);
process.stdout.write(lines.map((line) => {
  const [word, lower] = JSON.parse(line);
  return JSON.stringify([word.toLowerCase(), stem(lower)]);
}).join('\n') + '\n');
"""


def differences(written: Iterable[str]) -> tuple[int, list[tuple[str, str, str]]]:
    """How many words were compared, and those where the two languages differ: (word,
    Python's, JavaScript's) of its lowercasing and of its stem."""
    distinct = sorted(set(written))
    lines = "".join(json.dumps([w, w.lower()], ensure_ascii=False) + "\n" for w in distinct)
    done = subprocess.run(
        [node(), "-e", RUNNER, str(STATIC_DIR / "stem.js")],
        input=lines,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        check=True,
    )
    theirs = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(theirs) == len(distinct)
    found = []
    for word, (lower, stemmed) in zip(distinct, theirs, strict=True):
        if lower != word.lower():
            found.append((word, word.lower(), lower))
        elif stemmed != stem(word.lower()):
            found.append((word, stem(word.lower()), stemmed))
    return len(distinct), found


def corpus_words(name: str) -> set[str]:
    """Every distinct word, as written, of a collection's titles and abstracts."""
    found: set[str] = set()
    with shared_data(DATA / name / "corpus.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            document = json.loads(line)
            found.update(_written(f"{document['title']}\n{document['text']}"))
    return found


def _written(text: str) -> Iterable[str]:
    """The words of `text` as written: the token rule, not lowercased."""
    return (match.group() for match in re.finditer(TOKEN_PATTERN, text))


def test_every_word_of_scifact_and_nfcorpus_stems_alike() -> None:
    written = corpus_words("scifact") | corpus_words("nfcorpus")
    count, found = differences(written)
    # Not vacuous: the corpora hold tens of thousands of words, most of them stemmed.
    assert count > 50_000
    assert sum(stem(w.lower()) != w.lower() for w in written) > count // 3
    assert found == [], f"{len(found)} of {count} words differ, the first: {found[:20]}"


def test_every_word_of_the_kb_and_its_vocabularies_stems_alike() -> None:
    kb = load_kb(REPO_KB)
    texts = [f"{c.heading or ''} {c.text}" for c in kb.claims]
    texts += [name for term in (*kb.entities, *kb.categories) for name in term.names]
    written = {w for text in texts for w in _written(text)}
    count, found = differences(written)
    assert count > 300 and found == []


# Letters the rules turn on (vowels, y, the endings' letters, doubled consonants), an
# apostrophe, and letters that are not ASCII, one of them beyond U+FFFF.
ALPHABET = "aeiouybcdfglmnrstvzwxkhpY'éß\U0001d465"
ENDINGS = [
    *("s", "es", "ies", "ied", "sses", "ed", "edly", "eed", "eedly", "ing", "ingly", "ly"),
    *("ization", "ational", "fulness", "ousness", "iveness", "tional", "biliti", "lessli"),
    *("entli", "alism", "aliti", "ousli", "iviti", "fulli", "enci", "anci", "abli", "izer"),
    *("ator", "alli", "bli", "ogi", "li", "alize", "icate", "iciti", "ative", "ical", "ness"),
    *("ful", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent"),
    *("ism", "ate", "iti", "ous", "ive", "ize", "sion", "tion", "e", "l", "ll", "y", "'s"),
]
GENERATED = st.builds(
    lambda stem_, ending: stem_ + ending,
    st.text(ALPHABET, max_size=9),
    st.sampled_from(["", *ENDINGS]),
)


# Not shrunk: each example is a Node.js run, and a failure lists its words already.
@settings(max_examples=20, deadline=None, phases=[Phase.generate])
@given(st.lists(GENERATED, min_size=50, max_size=400))
def test_generated_words_stem_alike(generated: list[str]) -> None:
    prefixes = ["gener", "arsen", "commun", "y", "'", "sky", "ugly", ""]
    written = [p + w for p in prefixes for w in generated]
    count, found = differences(written)
    assert found == [], f"{len(found)} of {count} words differ, the first: {found[:20]}"
