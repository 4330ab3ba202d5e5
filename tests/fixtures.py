"""What several test folders share: the repository's paths, a sample knowledge base
built from the model's dataclasses (two topics, hostile text in every field), and
helpers that edit a kb copy. Test modules import from here, never from each other.
"""

from __future__ import annotations

import gzip
import io
import itertools
import json
import os
import pty
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st
from whoosh import index as whoosh_index

from evidencekb.cli import dispatch
from evidencekb.kb.fingerprint import Fingerprint, kb_fingerprint
from evidencekb.kb.importer import mentioned_entities
from evidencekb.kb.load import LoadedKb, load_kb
from evidencekb.model import (
    Claim,
    Evidence,
    KnowledgeBase,
    Quote,
    Reference,
    Relation,
    StrengthLevel,
    StrengthScheme,
    Term,
    Topic,
)
from evidencekb.names import CONTRADICTS, NOT_STATED, SUPPORTS
from evidencekb.paths import DATABASE_NAME, DATASETTE_METADATA_NAME, EXPORT_NAME, INDEX_META_NAME
from evidencekb.progress import Progress, no_progress
from evidencekb.reuse import Earlier
from evidencekb.search.analysis import STOP_WORDS
from evidencekb.search.browser import write_search_data
from evidencekb.search.index import indexed_documents, schema
from evidencekb.search.segments import with_words, words_apart
from evidencekb.search.writer import write_index

REPO = Path(__file__).resolve().parent.parent
REPO_KB = REPO / "kb"
SEED_COPY = REPO_KB / "topics" / "ketamine-pain" / "source.txt"
# A topic with evidence per citation: three real SciFact claims, the two abstracts
# they cite, SciFact's stance and rationale for one, a curated relation between two.
EVIDENCE_SAMPLE = REPO / "tests" / "data" / "evidence-sample"
EVIDENCE_TOPIC = "scifact-sample"

HOSTILE = '<script>alert(1)</script> & "quoted" \u2028 <img src=x onerror=alert(2)>'
HOSTILE_MARKERS = ("<script>alert(1)", "<img src=x")

# Links and markup in kb/ prose (overview.md, strength.md) that must never become a
# script in a page: character references and a tab hiding `javascript:`, other
# schemes, raw HTML, event handlers, data: URLs. Each calls alert(N), so a browser test
# can tell which one ran.
PROSE_ATTACKS = (
    "[a](javascript&#58;alert(1))",
    "[b](java&#x09;script:alert(2))",
    "[c](javascript&colon;alert(3))",
    "[d](&#x6A;avascript&#x3A;alert(4))",
    "[e](JaVaScRiPt:alert(5))",
    "[f](vbscript:alert(6))",
    "[g](data:text/html;base64,PHNjcmlwdD5hbGVydCg3KTwvc2NyaXB0Pg==)",
    "[h](<javascript:alert(8)>)",
    "![i](javascript:alert(9))",
    '<a href="javascript:alert(10)">j</a>',
    '<img src=x onerror="alert(11)">',
    "<script>alert(12)</script>",
    '<p onclick="alert(13)">k</p>',
    '<iframe src="javascript:alert(14)"></iframe>',
)


@dataclass(frozen=True)
class Ran:
    """What a command run in this process printed, and its exit status."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def ekb_here(*words: str) -> Ran:
    """The `ekb` command line run in this process on WORDS (the words after `ekb`),
    its output caught. An exception other than the exit is raised to the test."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            dispatch(list(words))
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else int(stop.code is not None)
    return Ran(code, out.getvalue(), err.getvalue())


def make_claim(
    topic: str, n: int, section: str, heading: str | None, text: str, **extra: Any
) -> Claim:
    fields = {
        "source": f"{topic}.txt",
        "citations": (),
        "strength": "not-stated",
        "strength_method": "derived",
        "strength_basis": "Derived: the source does not grade this evidence.",
        "categories": (),
        "entities": (),
        "source_line": n + 1,
    }
    fields.update(extra)
    return Claim(
        id=f"{topic}-{n:08x}",
        topic=topic,
        section=section,
        heading=heading,
        text=text,
        position=n,
        **fields,
    )


def sample_kb(hostile: str = HOSTILE) -> KnowledgeBase:
    """Two topics; a lead paragraph, headings in both sections, an uncited claim, a
    described and an undescribed reference, a cited number with no reference entry,
    an entity shared across topics, and hostile text in claims, labels, prose and the
    source summary. Only the first topic keeps its summary as imported."""
    scheme = StrengthScheme(
        levels=(
            StrengthLevel("high", 1, "High", "Strong evidence, says the source.", "Stated."),
            StrengthLevel("low", 2, "Low", "Weak or hedged.", "Stated or derived."),
            StrengthLevel("not-stated", 3, "Not stated", "No grade given.", "Derived."),
        ),
        hedging_words=("may",),
        explanation_md="## How\n\nRules <script>alert(3)</script> [x](javascript:alert(4)).\n",
    )
    categories = (
        Term("efficacy", "Efficacy", "category", "Whether it works.", ("effectiveness",)),
        Term("dosing", "Dosing", "category", "Doses.", ("dose", "dosage")),
    )
    entities = (
        Term(
            "crps",
            "Complex regional pain syndrome",
            "condition",
            "A chronic pain condition.",
            ("complex regional pain syndromes",),
            ("CRPS",),
        ),
        Term("iv", "Intravenous", "route", "Into a vein.", ("intravenously",), ("IV",)),
        Term("odd", f"Odd {hostile}", "condition", hostile),
    )
    k = "ketamine-pain"
    ketamine = Topic(
        slug=k,
        title="Ketamine for pain",
        source="seed.txt",
        citation_style="plain",
        overview_md=f"Overview with **bold** and {hostile}.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        source_text=(
            "From the Guidelines\n"
            "Ketamine is an option 1.\n"
            "Key Points\n"
            "- Ketamine helps complex regional pain syndrome (CRPS).\n"
            "- Give it intravenously at low doses 1.\n"
            "\n"
            "From the Research\n"
            "Efficacy\n"
            "- It works in complex regional pain syndromes, although the evidence is weak 2, 3.\n"
            f"- {hostile} 3.\n"
        ),
        claims=(
            make_claim(
                k,
                1,
                "guidelines",
                None,
                "Ketamine is an option.",
                citations=(1,),
                relations=(Relation("refines", f"{k}-00000004", f"{k}-00000001"),),
            ),
            make_claim(
                k,
                2,
                "guidelines",
                "Key Points",
                "Ketamine helps complex regional pain syndrome (CRPS).",
                categories=("efficacy",),
                entities=("crps",),
                source_line=4,
            ),
            make_claim(
                k,
                3,
                "guidelines",
                "Key Points",
                "Give it intravenously at low doses.",
                citations=(1,),
                categories=("dosing",),
                entities=("iv",),
                source_line=5,
                evidence=(Evidence(1, "supports", (Quote(1, hostile),)),),
            ),
            make_claim(
                k,
                4,
                "research",
                "Efficacy",
                "It works in complex regional pain syndromes, although the evidence is weak.",
                citations=(2, 3),
                strength="low",
                strength_method="stated",
                strength_basis="the evidence is weak",
                entities=("crps",),
                source_line=9,
                # Its works disagree, so it is contested.
                evidence=(Evidence(2, "supports"), Evidence(3, "contradicts")),
                relations=(Relation("refines", f"{k}-00000004", f"{k}-00000001"),),
            ),
            make_claim(
                k,
                5,
                "research",
                "Efficacy",
                hostile,
                citations=(3,),
                entities=("odd",),
                source_line=10,
            ),
        ),
        references=(
            Reference(
                topic=k,
                number=1,
                title="A described work",
                authors=("Doe J", "Roe R"),
                year=2020,
                journal="J Pain",
                doi="10.1000/xyz",
                pmid="123456",
                sentences=("The first sentence.", f"The second: {hostile}."),
            ),
            Reference(topic=k, number=2),
        ),
    )
    o = "opioids-pain"
    opioids = Topic(
        slug=o,
        title="Opioids for pain",
        source="other.txt",
        citation_style="plain",
        overview_md="",
        claims=(
            make_claim(
                o,
                1,
                "research",
                "Conditions",
                "Opioids are used in CRPS.",
                citations=(1,),
                entities=("crps",),
            ),
        ),
        references=(Reference(topic=o, number=1),),
    )
    return KnowledgeBase(
        strength=scheme,
        categories=categories,
        entities=entities,
        entity_kinds=("condition", "route"),
        topics=(ketamine, opioids),
        stances=(
            Term("supports", "Supports", "stance", "For it."),
            Term("contradicts", "Contradicts", "stance", "Against it."),
            Term("no-evidence", "No evidence either way", "stance", "Neither."),
            Term("not-stated", "Not recorded", "stance", f"Unknown {hostile}"),
        ),
        relation_kinds=(
            Term("contradicts", "Contradicts", "relation", "Both cannot be true."),
            Term("refines", "Refines", "relation", "More precise."),
            Term("duplicates", "Duplicates", "relation", "The same."),
        ),
    )


# Real abstracts, one per line, as their sentences (see its README.md); read, never copied.
SCIFACT_ABSTRACTS = REPO.parent / "shared" / "data" / "scifact-claims" / "corpus.jsonl"


def shared_data(path: Path) -> Path:
    """A file of ../shared/data: skipped where it is absent, except in CI."""
    if not path.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing; CI must have the shared test data")
        pytest.skip(f"{path} is absent (the shared test data)")
    return path


def long_kb(abstracts: int = 60) -> KnowledgeBase:
    """A kb with listings long enough to be cut into pages: the sentences of the first
    `abstracts` SciFact abstracts, verbatim, in two topics of half each; each sentence is
    a claim of the research section under its abstract's title, citing that abstract
    (its reference, with its real title). The entity "cell" and the category "cell
    biology" are tagged by the importer's own rule: a claim has them if it names them
    (117 of the 518 sentences of the first 60 abstracts do)."""
    rows = shared_data(SCIFACT_ABSTRACTS).read_text("utf-8").splitlines()[:abstracts]
    cell = Term("cell", "Cell", "anatomy", "The unit of living things.", ("cells",))
    biology = Term("cell-biology", "Cell biology", "category", "About cells.", ("cell", "cells"))
    half = (len(rows) + 1) // 2
    topics = []
    for part, start in enumerate((0, half), start=1):
        slug = f"scifact-part-{part}"
        claims: list[Claim] = []
        references: list[Reference] = []
        for line, row in enumerate(rows[start : start + half], start=start + 1):
            abstract = json.loads(row)
            number = len(references) + 1
            references.append(Reference(topic=slug, number=number, title=abstract["title"]))
            for sentence in abstract["sentences"]:
                claims.append(
                    make_claim(
                        slug,
                        len(claims) + 1,
                        "research",
                        abstract["title"],
                        sentence,
                        citations=(number,),
                        entities=mentioned_entities(sentence, (cell,)),
                        categories=mentioned_entities(sentence, (biology,)),
                        source="scifact-claims/corpus.jsonl",
                        source_line=line,
                    )
                )
        title = f"SciFact abstracts, part {part}"
        topics.append(
            Topic(
                slug,
                title,
                "scifact-claims/corpus.jsonl",
                "plain",
                "",
                tuple(claims),
                tuple(references),
            )
        )
    sample = sample_kb()
    return replace(
        sample,
        categories=(biology,),
        entities=(cell,),
        entity_kinds=("anatomy",),
        topics=tuple(topics),
    )


# A topic citing two works The Lancet retracted, and their notices as rows of Retraction
# Watch's CSV (tests/data/README.md).
RETRACTED_SAMPLE = REPO / "tests" / "data" / "retracted-sample"
RETRACTED_TOPIC = "retracted-sample"
RETRACTION_WATCH_SAMPLE = REPO / "tests" / "data" / "retraction-watch-sample.csv"


def add_retracted_sample(kb_dir: Path, notices: bool = True) -> Path:
    """Copy the retracted sample into a kb copy, with its notices recorded by `ekb refs
    retractions` from RETRACTION_WATCH_SAMPLE unless `notices` is False; its folder."""
    from evidencekb.kb.retractions import record_retractions

    target = kb_dir / "topics" / RETRACTED_TOPIC
    shutil.copytree(RETRACTED_SAMPLE, target)
    if notices:
        record_retractions(kb_dir, RETRACTION_WATCH_SAMPLE)
    return target


def add_evidence_sample(kb_dir: Path) -> Path:
    """Copy the evidence sample into a kb copy as topic EVIDENCE_TOPIC; its folder."""
    target = kb_dir / "topics" / EVIDENCE_TOPIC
    shutil.copytree(EVIDENCE_SAMPLE, target)
    return target


def git(repo: Path, *args: str) -> None:
    """git run in `repo` as an editor would, its output caught."""
    subprocess.run(
        ["git", "-c", "user.email=editor@example.org", "-c", "user.name=Editor", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def summary_problems(text: str, name: str, layout: str = "text") -> list[str]:
    """The problems `parse_summary` refuses `text` (named `name`) with, each as printed."""
    from evidencekb.errors import ValidationError
    from evidencekb.kb.summary import parse_summary

    try:
        parse_summary(text, name, layout)
    except ValidationError as error:
        return [str(problem) for problem in error.problems]
    raise AssertionError(f"{name} was not refused")


def build(kb: KnowledgeBase, out: Path) -> Path:
    """Render `kb` as a site into `out`, with its search data and stand-ins for the
    database and export."""
    out.mkdir(parents=True)
    (out / DATABASE_NAME).write_bytes(b"SQLite format 3\x00")
    (out / EXPORT_NAME).write_bytes(gzip.compress(b"[]\n", mtime=0))
    (out / DATASETTE_METADATA_NAME).write_text("{}\n", encoding="utf-8")
    write_search_data(kb, out)
    write_site(kb, out)
    return out


def loaded(kb: KnowledgeBase) -> LoadedKb:
    """`kb` as a build's stages take it, read from no folder."""
    return LoadedKb(Path("kb"), kb, Fingerprint("", read_started_ns=0))


def write_site(
    kb: KnowledgeBase,
    out: Path,
    earlier: Earlier | None = None,
    progress: Progress = no_progress,
) -> dict[str, str]:
    """The site stage's part of a build of `kb` into `out` (pages, static files, the
    downloads page), keeping from `earlier` what it can; the pages' keys."""
    from evidencekb import site

    earlier = earlier or Earlier.nothing("")
    stage = site.parts(loaded(kb), out, earlier, progress)
    done = earlier.keep_or_write(stage.parts, out)
    stage.finish(done.written)
    return stage.keys(done.keys)


def reword(kb_dir: Path, old: str, new: str) -> None:
    """Edit a claim's text, and its source line too (claims must stay verbatim)."""
    for name in ("claims.toml", "source.txt"):
        path = kb_dir / "topics" / "ketamine-pain" / name
        text = path.read_text("utf-8")
        assert old in text
        path.write_text(text.replace(old, new), "utf-8")


# Real works, each field checked against the publication (the journal's page and
# PubMed/PMC). Tests of reference records use these and no made-up work.
COHEN_2018 = {
    "type": "guideline",
    "title": "Consensus Guidelines on the Use of Intravenous Ketamine Infusions for Chronic "
    "Pain From the American Society of Regional Anesthesia and Pain Medicine, the American "
    "Academy of Pain Medicine, and the American Society of Anesthesiologists",
    "authors": [
        "Cohen SP", "Bhatia A", "Buvanendran A", "Schwenk ES", "Wasan AD", "Hurley RW",
        "Viscusi ER", "Narouze S", "Davis FN", "Ritchie EC", "Lubenow TR", "Hooten WM",
    ],
    "year": 2018,
    "journal": "Reg Anesth Pain Med",
    "volume": "43",
    "issue": "5",
    "pages": "521-546",
    "doi": "10.1097/AAP.0000000000000808",
    "pmid": "29870458",
}  # fmt: skip
SANTESSO_2020 = {
    "type": "journal-article",
    "title": "GRADE guidelines 26: informative statements to communicate the findings of "
    "systematic reviews of interventions",
    "authors": [
        "Santesso N", "Glenton C", "Dahm P", "Garner P", "Akl EA", "Alper B",
        "Brignardello-Petersen R", "Carrasco-Labra A", "De Beer H", "Hultcrantz M",
        "Kuijpers T", "Meerpohl J", "Morgan R", "Mustafa R", "Skoetz N", "Sultan S",
        "Wiysonge C", "Guyatt G", "Schünemann HJ",
    ],
    "year": 2020,
    "journal": "J Clin Epidemiol",
    "volume": "119",
    "pages": "126-135",
    "doi": "10.1016/j.jclinepi.2019.10.014",
    "pmid": "31711912",
}  # fmt: skip
GUYATT_2008 = {
    "type": "journal-article",
    "title": "GRADE: an emerging consensus on rating quality of evidence and strength of "
    "recommendations",
    "authors": [
        "Guyatt GH", "Oxman AD", "Vist GE", "Kunz R", "Falck-Ytter Y", "Alonso-Coello P",
        "Schünemann HJ",
    ],
    "year": 2008,
    "journal": "BMJ",
    "volume": "336",
    "issue": "7650",
    "pages": "924-926",
    "doi": "10.1136/bmj.39489.470347.AD",
    "pmid": "18436948",
    "pmcid": "PMC2335261",
    "url": "https://pmc.ncbi.nlm.nih.gov/articles/PMC2335261/",
}  # fmt: skip

# A real work whose DOI holds "<" and ">" (a Wiley SICI DOI): markup-like text that is data.
NEWCOMBE_1998 = {
    "type": "journal-article",
    "title": "Two-sided confidence intervals for the single proportion: comparison of seven "
    "methods",
    "authors": ["Newcombe RG"],
    "year": 1998,
    "journal": "Stat Med",
    "volume": "17",
    "issue": "8",
    "pages": "857-872",
    "doi": "10.1002/(SICI)1097-0258(19980430)17:8<857::AID-SIM777>3.0.CO;2-E",
    "pmid": "9595616",
}


def reference(topic: str, number: int, work: dict[str, Any]) -> Reference:
    """One of the real works above as the kb's record of `topic`'s reference `number`."""
    fields = {key: tuple(v) if isinstance(v, list) else v for key, v in work.items()}
    return Reference(topic=topic, number=number, **fields)


def node() -> str:
    """Node.js, for the tests that run the site's search code; skipped where it is not
    installed, except in CI."""
    found = shutil.which("node")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("Node.js is required in CI for the site search tests")
        pytest.skip("Node.js is not installed")
    return found


# A summary of real statements, each from the abstract or summary points of the real
# work it cites, with a reference list in the AMA and Vancouver forms summaries use.
REFERENCED_SUMMARY = """\
From the Guidelines
Evidence supports the use of ketamine for chronic pain, but the level of evidence varies by condition and dose range 1.
From the Research
Rating the quality of evidence
- Failure to consider the quality of evidence can lead to misguided recommendations; hormone replacement therapy for post-menopausal women provides an instructive example 2.
- Producers and users of systematic reviews found statements to communicate findings combining size and certainty of an effect acceptable 3.

References
1. Cohen SP, Bhatia A, Buvanendran A, et al. Consensus Guidelines on the Use of Intravenous Ketamine Infusions for Chronic Pain From the American Society of Regional Anesthesia and Pain Medicine, the American Academy of Pain Medicine, and the American Society of Anesthesiologists. Reg Anesth Pain Med. 2018;43(5):521-546. doi:10.1097/AAP.0000000000000808
2. Guyatt GH, Oxman AD, Vist GE, Kunz R, Falck-Ytter Y, Alonso-Coello P, Schünemann HJ. GRADE: an emerging consensus on rating quality of evidence and strength of recommendations. BMJ. 2008;336(7650):924-926. PMID: 18436948; PMCID: PMC2335261.
3. Santesso N, Glenton C, Dahm P, et al. GRADE guidelines 26: informative statements to communicate the findings of systematic reviews of interventions. J Clin Epidemiol. 2020 Mar;119:126-135. doi: 10.1016/j.jclinepi.2019.10.014. PMID: 31711912.
"""  # noqa: E501


def csl_item(number: int, work: dict[str, Any]) -> dict[str, Any]:
    """`work` (one of the works above) as a reference manager exports it in CSL-JSON,
    by its citation `number` in a topic."""
    names = [name.rsplit(" ", 1) for name in work["authors"]]
    item = {
        "id": f"grading-{number}",
        "citation-number": number,
        "type": "article-journal",
        "title": work["title"],
        "author": [
            {"family": family, "given": " ".join(f"{initial}." for initial in initials)}
            for family, initials in names
        ],
        "issued": {"date-parts": [[work["year"]]]},
        "container-title": work["journal"],
        "volume": work["volume"],
        "page": work["pages"],
        "DOI": work["doi"],
        "PMID": work["pmid"],
    }
    return item | ({"issue": work["issue"]} if "issue" in work else {})


GRADING_TOPIC = "grading"
GRADING_WORKS = {1: COHEN_2018, 2: GUYATT_2008, 3: SANTESSO_2020}  # as its list numbers them


def add_grading_topic(kb_dir: Path, scratch: Path) -> Path:
    """Import REFERENCED_SUMMARY into a kb copy as topic GRADING_TOPIC, its three real
    works recorded in full (their authors, DOIs and PMIDs as the publications give
    them); the topic's folder."""
    import tomli_w

    from evidencekb.kb.importer import import_summary

    source = scratch / "grading-summary.txt"
    source.write_text(REFERENCED_SUMMARY, encoding="utf-8")
    import_summary(kb_dir, source, GRADING_TOPIC, title="Rating the quality of evidence")
    folder = kb_dir / "topics" / GRADING_TOPIC
    records = [{"number": number, **work} for number, work in GRADING_WORKS.items()]
    (folder / "references.toml").write_text(tomli_w.dumps({"reference": records}), "utf-8")
    return folder


def ctrl_c_works() -> None:
    """`preexec_fn` for a child that a test stops with SIGINT or SIGHUP: a shell without
    job control starts background commands with SIGINT ignored, and `nohup` (a test
    run started with it) ignores SIGHUP; the child inherits that, and evidencekb then
    goes on as asked (cli.py). Give it the default ones."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def three_topics() -> KnowledgeBase:
    """The seed's claims three times over, as three topics."""
    kb = load_kb(REPO_KB)
    (topic,) = kb.topics
    copies = tuple(
        replace(
            topic,
            slug=f"{topic.slug}-{n}",
            claims=tuple(
                replace(claim, id=f"{claim.id}-{n}", topic=f"{topic.slug}-{n}")
                for claim in topic.claims
            ),
        )
        for n in (1, 2, 3)
    )
    return replace(kb, topics=copies)


def seed_index(kind: str, folder: Path) -> Path:
    """The search index of the seed kb (`kind` "seed"), or of its claims three times
    over as three topics, a segment each ("three segments"), in `folder`."""
    kb = load_kb(REPO_KB) if kind == "seed" else three_topics()
    target = folder / "whoosh"
    write_index(kb, target, fingerprint=kb_fingerprint(REPO_KB))
    if kind == "three segments":
        one_segment_per_topic(kb, target)
    return target


def one_segment_per_topic(kb: KnowledgeBase, folder: Path) -> None:
    """Rewrite the index in `folder` as whoosh writes one committed a topic at a time:
    a segment per topic, whose claims whoosh numbers from 0 in each. (`ekb build`
    puts about 10,000 claims in a segment, so only a large kb has several.)"""
    for path in folder.iterdir():
        if path.name != INDEX_META_NAME:
            path.unlink()
    ix = whoosh_index.create_in(str(folder), schema())
    for topic in kb.topics:
        writer = ix.writer()
        for document in with_words(*words_apart(indexed_documents(kb, [topic]))):
            writer.add_document(**document)
        writer.commit(merge=False)
    with ix.reader() as reader:
        assert len(list(reader.leaf_readers())) == len(kb.topics)


# Text of every kind the analyser treats apart, for property tests of analysis: stop
# words (also first and last), words too short to index, abbreviations kept whole,
# numbers with a point, words outside ASCII, and what is no word at all.
ANALYSED_WORDS = [
    *sorted(STOP_WORDS)[:40],
    *("a", "x", "CRPS", "NMDA", "IL10", "ketamine", "doses", "dosing", "0.5", "1.2.3"),
    *("Müller", "naïve", "β-blockers", "—", "(", "e.g.", "n=12"),
]
ANALYSED_TEXT = st.lists(st.sampled_from(ANALYSED_WORDS), max_size=12).map(" ".join)


def claims_citing(topic: Topic, number: int) -> tuple[Claim, ...]:
    """The claims of `topic` that cite reference `number`, in order."""
    return tuple(claim for claim in topic.claims if number in claim.citations)


# The works of REFERENCED_SUMMARY as PubMed's MEDLINE export gives them.
def medline(pmid: str, work: dict[str, Any], dp: str, pg: str, aid: str) -> str:
    """A PubMed MEDLINE record as PubMed writes it: a title ending in a period, wrapped
    at 80 columns, and a shortened last page."""
    wrapped = "\n      ".join(textwrap.wrap(work["title"] + ".", 74))
    lines = [f"PMID- {pmid}", f"TI  - {wrapped}", f"{aid} - {work['doi']} [doi]"]
    lines += [f"AU  - {author}" for author in work["authors"]]
    lines += ["PT  - Journal Article", f"DP  - {dp}", f"TA  - {work['journal']}"]
    lines += [f"VI  - {work['volume']}"] + ([f"IP  - {work['issue']}"] if "issue" in work else [])
    lines += [f"PG  - {pg}"] + ([f"PMC - {work['pmcid']}"] if "pmcid" in work else [])
    return "\n".join(lines) + "\n"


MEDLINE = "\n".join(
    [
        medline("29870458", COHEN_2018, "2018 Jul", "521-546", "LID"),
        medline("18436948", GUYATT_2008, "2008 Apr 26", "924-6", "AID"),
        medline("31711912", SANTESSO_2020, "2020 Mar", "126-135", "LID"),
    ]
)


class Marker:
    """Unpickling this would make a folder: a tampered cache entry's payload."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, ...]:
        return (os.mkdir, (str(self.path),))


# Ways a cache entry is damaged on disk (all its bytes in, the bytes it is left with),
# which its hash tells (cache.read_entry).
DAMAGED_ON_DISK: dict[str, Callable[[bytes], bytes]] = {
    "truncated": lambda data: data[: len(data) // 2],
    "garbage": lambda data: b"\x80\x05not a pickle" * 5,
    "empty": lambda data: b"",
}


def entry_inodes(folder: Path) -> dict[str, int]:
    """Each cache entry in `folder` by name, with its inode: an entry written anew is
    a new file renamed into place (cache.write_atomically), so its inode changes."""
    return {entry.name: entry.stat().st_ino for entry in folder.iterdir()}


def damaged_entries_written_anew(
    write: Callable[[str, bool], object], cache: Path, spoil: Callable[[Path], None]
) -> None:
    """What each per-topic cache's test checks of damaged entries: `write(name, warm)`
    writes an output named `name`, with the cache in the folder `cache` (`warm`) or
    without it. With the cache it writes what it writes without, the first time
    (filling the cache) and after `spoil` has damaged every entry; and that run wrote
    each entry anew, so the run after it writes none."""
    expected = write("fresh", False)
    assert write("first", True) == expected
    for entry in cache.iterdir():
        spoil(entry)
    assert write("spoilt", True) == expected
    inodes = entry_inodes(cache)
    assert write("again", True) == expected
    assert entry_inodes(cache) == inodes


def folder_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` by its relative path, with its bytes."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def search_list(flat: list[int], starts: list[int], full: bool) -> list[tuple[Any, ...]]:
    """A list of the site's search data read as static/search-core.js reads it (a
    negative number is a topic's mark: the next step counts from that topic's first
    claim, `starts`): per claim its number and, `full` (a posting list), the field's
    length and the term's positions."""
    out: list[tuple[Any, ...]] = []
    doc = i = 0
    while i < len(flat):
        step, i = flat[i], i + 1
        if step < 0:
            doc, step, i = starts[-step - 1], flat[i], i + 1
        doc += step
        if not full:
            out.append((doc,))
            continue
        length, count = flat[i], flat[i + 1]
        out.append((doc, length, list(itertools.accumulate(flat[i + 2 : i + 2 + count]))))
        i += 2 + count
    return out


def run_on_a_terminal(args: list[str], env: dict[str, str]) -> str:
    """Run `python -m evidencekb` with stdout on a pseudo-terminal; its output."""
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "evidencekb", *args],
        stdout=secondary,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the terminal closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    assert process.wait(timeout=60) == 0
    return b"".join(chunks).decode("utf-8")


# Words an edit puts into a claim or a title: stems shared with other claims, an
# abbreviation, accents, a character beyond U+FFFF, and markup.
WORDS = ["benzodiazepines", "dosing", "CRPS", "ketamine", "naïve", "\U0001d465-ray", HOSTILE, "a"]


# Generated edits of a loaded kb, for the caches kept per topic (search/browser/cache.py,
# search/segments.py): each (kb, a topic's index, a word) -> the kb edited.


def _topic(kb: KnowledgeBase, index: int) -> int:
    return index % len(kb.topics)


def _with_topic(kb: KnowledgeBase, index: int, topic: Topic) -> KnowledgeBase:
    topics = list(kb.topics)
    topics[index] = topic
    return replace(kb, topics=tuple(topics))


def drop(kb: KnowledgeBase, index: int, word: str) -> KnowledgeBase:
    if len(kb.topics) < 2:
        return kb
    i = _topic(kb, index)
    return replace(kb, topics=kb.topics[:i] + kb.topics[i + 1 :])


def add(kb: KnowledgeBase, index: int, word: str) -> KnowledgeBase:
    """A topic of sample_kb that the kb does not have yet."""
    new = [t for t in sample_kb().topics if t.slug not in {s.slug for s in kb.topics}]
    return replace(kb, topics=(*kb.topics, new[0])) if new else kb


def move_to_end(kb: KnowledgeBase, index: int, word: str) -> KnowledgeBase:
    i = _topic(kb, index)
    return replace(kb, topics=(*kb.topics[:i], *kb.topics[i + 1 :], kb.topics[i]))


def retitle(kb: KnowledgeBase, index: int, word: str) -> KnowledgeBase:
    i = _topic(kb, index)
    return _with_topic(kb, i, replace(kb.topics[i], title=f"{kb.topics[i].title} {word}"))


def reword_claim(kb: KnowledgeBase, index: int, word: str) -> KnowledgeBase:
    """The middle claim of a topic gains a word in front."""
    i = _topic(kb, index)
    topic = kb.topics[i]
    claims = list(topic.claims)
    j = len(claims) // 2
    claims[j] = replace(claims[j], text=f"{word} {claims[j].text}")
    return _with_topic(kb, i, replace(topic, claims=tuple(claims)))


def add_synonym(kb: KnowledgeBase, index: int, word: str) -> KnowledgeBase:
    """An entity gains a name: every topic whose claims name it changes."""
    entities = list(kb.entities)
    k = index % len(entities)
    entities[k] = replace(entities[k], synonyms=(*entities[k].synonyms, word))
    return replace(kb, entities=tuple(entities))


def with_worded_stances(kb: KnowledgeBase) -> KnowledgeBase:
    """The kb with each stance that a summary words by its label (not a verb, not "not
    stated") recorded for the first cited work of claims citing several: their
    display rows then show the label."""
    worded = [t.id for t in kb.stances if t.id not in (SUPPORTS, CONTRADICTS, NOT_STATED)]
    stances = itertools.cycle(worded)
    topics = []
    for topic in kb.topics:
        claims = [
            replace(c, evidence=(Evidence(c.citations[0], next(stances)),))
            if len(c.citations) > 1 and not c.evidence
            else c
            for c in topic.claims
        ]
        topics.append(replace(topic, claims=tuple(claims)))
    return replace(kb, topics=tuple(topics))


def reword_stances(kb: KnowledgeBase, index: int, word: str) -> KnowledgeBase:
    """Every stance is worded anew: the evidence summaries that a display row shows
    change where a claim's cited works take a stance worded by its label."""
    stances = tuple(replace(t, label=f"{t.label} {word}") for t in kb.stances)
    return replace(kb, stances=stances)


def add_hedging_word(kb: KnowledgeBase, index: int, word: str) -> KnowledgeBase:
    """The strength rule gains a hedging word, put first: a derived label is then said
    to come from it where a claim has it."""
    words = (word, *kb.strength.hedging_words)
    return replace(kb, strength=replace(kb.strength, hedging_words=words))


Edit = Callable[[KnowledgeBase, int, str], KnowledgeBase]
EDITS: list[Edit] = [
    drop, add, move_to_end, retitle, reword_claim, add_synonym, reword_stances, add_hedging_word
]  # fmt: skip
# One to three of them, for Hypothesis: (the edit, a topic's index, a word).
EDIT_LISTS = st.lists(
    st.tuples(st.sampled_from(EDITS), st.integers(0, 3), st.sampled_from(WORDS)),
    min_size=1,
    max_size=3,
)


@contextmanager
def scratch() -> Iterator[Path]:
    """A temporary folder for one Hypothesis example (pytest's tmp_path is one a test)."""
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)
