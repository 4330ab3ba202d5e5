"""`ekb import --replace` keeps what no source gives: each surviving claim's dates and
the topic's history; and refuses to drop the stances and notices recorded beside it."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from evidencekb.errors import KBError
from evidencekb.kb.claims_jsonl import import_claims_jsonl
from evidencekb.kb.importer import import_summary
from evidencekb.kb.load import load_kb
from evidencekb.kb.refimport import import_references
from evidencekb.kb.retractions import record_retractions
from evidencekb.paths import EVIDENCE_FILE, NOTICES_FILE
from fixtures import (
    COHEN_2018,
    GRADING_WORKS,
    GUYATT_2008,
    REFERENCED_SUMMARY,
    REPO,
    RETRACTED_TOPIC,
    RETRACTION_WATCH_SAMPLE,
    SANTESSO_2020,
    csl_item,
    ekb_here,
    folder_bytes,
    git,
)

SAMPLE = REPO / "tests" / "data" / "evidence-sample.jsonl"
HISTORY = (
    'last_reviewed = "2026-02-01"\n\n'
    '[[change]]\ndate = "2026-02-01"\nsummary = "Reviewed against the 2018 consensus guidelines."\n'
    "conclusions_changed = false\n"
)
# The seed's line 6, and a newer version of the summary that cuts it after its first
# clause (nothing added to what the source says).
OLD_LINE = (
    "- Ketamine is typically administered as intravenous infusions at sub-anesthetic doses "
    "ranging from 0.1-1.0 mg/kg over 1-4 hours, with treatment protocols often involving "
    "a series of 4-6 infusions over 1-2 weeks."
)
NEW_LINE = OLD_LINE.split(", with")[0] + "."


@pytest.fixture
def dated(empty_kb: Path, seed_text: str, tmp_path: Path) -> tuple[Path, Path]:
    """The seed imported on 2026-01-10, its topic reviewed since; (kb, summary)."""
    source = tmp_path / "ketamine.txt"
    source.write_text(seed_text, encoding="utf-8")
    import_summary(empty_kb, source, "ketamine-pain", added="2026-01-10")
    topic = empty_kb / "topics" / "ketamine-pain" / "topic.toml"
    topic.write_text(topic.read_text(encoding="utf-8") + HISTORY, encoding="utf-8")
    return empty_kb, source


def test_a_new_version_keeps_each_surviving_claims_date_and_the_topics_history(
    dated: tuple[Path, Path],
) -> None:
    kb_dir, source = dated
    text = source.read_text(encoding="utf-8")
    assert OLD_LINE in text
    source.write_text(text.replace(OLD_LINE, NEW_LINE), encoding="utf-8")
    import_summary(kb_dir, source, "ketamine-pain", replace=True, added="2026-06-01")
    topic = load_kb(kb_dir).topic("ketamine-pain")
    reworded = [c for c in topic.claims if c.added == "2026-06-01"]
    assert [c.text for c in reworded] == [NEW_LINE.removeprefix("- ")]
    assert all(
        c.added == "2026-01-10" and c.changed is None for c in topic.claims if c not in reworded
    )
    assert (topic.last_reviewed, [c.summary for c in topic.changes]) == (
        "2026-02-01",
        ["Reviewed against the 2018 consensus guidelines."],
    )


def test_a_claim_the_source_gives_alike_keeps_its_changed_date_and_one_recited_does_not(
    dated: tuple[Path, Path],
) -> None:
    """A claim whose text and citations are the same keeps its last change's date; one
    whose citations differ (its id, made from its text, is the same) changed now."""
    kb_dir, source = dated
    claims = kb_dir / "topics" / "ketamine-pain" / "claims.toml"
    text = claims.read_text(encoding="utf-8")
    claims.write_text(
        text.replace('added = "2026-01-10"', 'added = "2026-01-10"\nchanged = "2026-03-01"'),
        encoding="utf-8",
    )
    summary = source.read_text(encoding="utf-8")
    cited = (
        "- Ketamine is used to treat various chronic pain syndromes, especially those "
        "with a neuropathic component 2."
    )
    assert cited in summary
    source.write_text(summary.replace(cited, cited.replace(" 2.", " 3.")), encoding="utf-8")
    import_summary(kb_dir, source, "ketamine-pain", replace=True, added="2026-06-01")
    topic = load_kb(kb_dir).topic("ketamine-pain")
    recited = [c for c in topic.claims if c.changed == "2026-06-01"]
    assert [(c.citations, c.added) for c in recited] == [((3,), "2026-01-10")]
    assert all(c.changed == "2026-03-01" for c in topic.claims if c not in recited)


def test_a_claim_kept_by_its_id_but_reworded_is_changed_on_the_imports_date(
    kb_dir: Path, tmp_path: Path
) -> None:
    import_claims_jsonl(kb_dir, SAMPLE, "sample", added="2026-01-10")
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    first["text"] = first["text"].replace("1 in 5 million", "One in five million")
    source = tmp_path / "evidence-sample.jsonl"
    source.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n", encoding="utf-8")
    import_claims_jsonl(kb_dir, source, "sample", replace=True, added="2026-06-01")
    claims = load_kb(kb_dir).topic("sample").claims
    assert [(c.id, c.added, c.changed) for c in claims[:2]] == [
        ("scifact-2", "2026-01-10", "2026-06-01"),
        ("scifact-10", "2026-01-10", None),
    ]


def _refused_to_drop(folder: Path, name: str, what: str) -> str:
    return (
        f"Error: {folder}: --replace would drop {name} ({what}, by claim id and reference "
        "number, which a new version may change); move it out of the folder, import, then "
        "put back what still applies (`ekb check` names what does not)\n"
    )


def test_a_summary_import_refuses_to_drop_stances(dated: tuple[Path, Path]) -> None:
    kb_dir, source = dated
    folder = kb_dir / "topics" / "ketamine-pain"
    (folder / EVIDENCE_FILE).write_text("# What a curator recorded.\n", encoding="utf-8")
    before = folder_bytes(kb_dir)
    ran = ekb_here(
        "import", str(source), "--topic", "ketamine-pain", "--replace", "--kb", str(kb_dir)
    )
    assert (ran.exit_code, ran.stdout, ran.stderr) == (
        1,
        "",
        _refused_to_drop(folder, EVIDENCE_FILE, "the stances of the cited works"),
    )
    assert folder_bytes(kb_dir) == before


def test_a_claims_file_with_stances_gives_the_topic_its_evidence_anew(
    kb_dir: Path, tmp_path: Path
) -> None:
    import_claims_jsonl(kb_dir, SAMPLE, "sample")
    assert (kb_dir / "topics" / "sample" / EVIDENCE_FILE).exists()
    import_claims_jsonl(kb_dir, SAMPLE, "sample", replace=True)  # the file's stances anew
    bare = tmp_path / "bare.jsonl"
    rows = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    bare.write_text(
        "".join(
            json.dumps({k: v for k, v in row.items() if k != "evidence"}) + "\n" for row in rows
        ),
        encoding="utf-8",
    )
    with pytest.raises(KBError, match=r"--replace would drop evidence\.toml \(the stances"):
        import_claims_jsonl(kb_dir, bare, "sample", replace=True)


def _summary_topic(kb_dir: Path, tmp_path: Path, text: str) -> tuple[Path, Path]:
    """`text` imported as topic "grading", then every work it cites filled in from the
    reference manager's records; (the summary's file, the topic's folder)."""
    source = tmp_path / "grading.txt"
    source.write_text(text, encoding="utf-8")
    import_summary(kb_dir, source, "grading")
    cited = [n for n, _ in GRADING_WORKS.items() if f" {n}.\n" in text.split("References")[0]]
    records = tmp_path / "library.json"
    records.write_text(json.dumps([csl_item(n, GRADING_WORKS[n]) for n in cited]), encoding="utf-8")
    import_references(kb_dir, records, "grading", replace=True)
    return source, kb_dir / "topics" / "grading"


def _recorded(kb_dir: Path) -> dict[str | None, tuple[int, list[str], str | None]]:
    """Each reference of topic "grading" by its DOI: its number, authors and PMID."""
    return {
        ref.doi: (ref.number, list(ref.authors), ref.pmid)
        for ref in load_kb(kb_dir).topic("grading").references
    }


def _renumbered(numbers: tuple[int, int, int]) -> str:
    """REFERENCED_SUMMARY as a new version may number it: work n (Cohen's, Guyatt's,
    Santesso's) as numbers[n - 1], in the statements and in the list."""
    text = REFERENCED_SUMMARY
    for old in (1, 2, 3):  # through a mark, so that no number is renumbered twice
        text = text.replace(f" {old}.\n", f" #{old}.\n").replace(f"\n{old}. ", f"\n#{old}. ")
    for old, new in zip((1, 2, 3), numbers, strict=True):
        text = text.replace(f" #{old}.\n", f" {new}.\n").replace(f"\n#{old}. ", f"\n{new}. ")
    return text


@pytest.mark.parametrize("numbers", list(itertools.permutations((1, 2, 3))))
def test_a_new_version_keeps_what_was_recorded_of_each_work_it_lists_under_its_number(
    empty_kb: Path, tmp_path: Path, numbers: tuple[int, int, int]
) -> None:
    """What `ekb refs import` added (every author, a PMID the list leaves out) follows
    each work to the number the new version gives it: the same line but for its number."""
    source, _ = _summary_topic(empty_kb, tmp_path, REFERENCED_SUMMARY)
    works = (COHEN_2018, GUYATT_2008, SANTESSO_2020)
    assert _recorded(empty_kb) == {
        w["doi"]: (n, w["authors"], w["pmid"]) for n, w in enumerate(works, 1)
    }
    source.write_text(_renumbered(numbers), encoding="utf-8")
    import_summary(empty_kb, source, "grading", replace=True)
    assert _recorded(empty_kb) == {
        w["doi"]: (n, w["authors"], w["pmid"]) for n, w in zip(numbers, works, strict=True)
    }


def test_a_work_kept_by_its_doi_takes_the_new_lines_reading_and_what_was_added(
    empty_kb: Path, tmp_path: Path
) -> None:
    """The new version rewrites Cohen's line (its title shortened) and keeps its DOI:
    the line is read anew, and the authors and PMID recorded beyond it are kept."""
    source, _ = _summary_topic(empty_kb, tmp_path, REFERENCED_SUMMARY)
    reworded = REFERENCED_SUMMARY.replace(
        "From the American Society of Regional Anesthesia and Pain Medicine, the American "
        "Academy of Pain Medicine, and the American Society of Anesthesiologists. ",
        ". ",
    )
    assert reworded != REFERENCED_SUMMARY
    source.write_text(reworded, encoding="utf-8")
    import_summary(empty_kb, source, "grading", replace=True)
    cohen = load_kb(empty_kb).topic("grading").references[0]
    assert (cohen.number, list(cohen.authors), cohen.pmid) == (
        1,
        COHEN_2018["authors"],
        COHEN_2018["pmid"],
    )
    assert cohen.citation_text is not None and "Anesthesiologists" not in cohen.citation_text


def _refusal(folder: Path, named: str) -> str:
    return (
        f"Error: {folder}: --replace would drop what references.toml records beyond the "
        f"summary ({named}) of works the new version does not give as the same (the same "
        "line in its reference list but for the number, or the same DOI or PMID): a number "
        "may now name another work. Move references.toml out of the folder, import, then "
        "put back what still applies (`ekb refs import` adds a reference manager's records)\n"
    )


def test_an_import_of_works_by_number_only_refuses_to_drop_what_was_recorded_of_them(
    empty_kb: Path, tmp_path: Path
) -> None:
    """A summary that numbers its works and no more may have renumbered them: what a
    reference manager gave of work 2 is neither moved to whatever 2 is now nor dropped."""
    bare = REFERENCED_SUMMARY.split("\nReferences\n")[0] + "\n"
    source, folder = _summary_topic(empty_kb, tmp_path, bare)
    before = folder_bytes(empty_kb)
    ran = ekb_here("import", str(source), "--topic", "grading", "--replace", "--kb", str(empty_kb))
    fields = "title, authors, year, journal, volume, {}pages, doi, pmid"
    named = f"references 1 and 2: {fields.format('issue, ')}; reference 3: {fields.format('')}"
    assert (ran.exit_code, ran.stdout, ran.stderr) == (1, "", _refusal(folder, named))
    assert folder_bytes(empty_kb) == before


def test_an_import_refuses_to_drop_what_was_recorded_of_a_work_it_no_longer_cites(
    empty_kb: Path, tmp_path: Path
) -> None:
    """The new version drops Santesso's paper (its statement and its line): the authors
    recorded in full beyond the line's "et al." would go with it."""
    source, folder = _summary_topic(empty_kb, tmp_path, REFERENCED_SUMMARY)
    statement, entry = (
        next(line for line in REFERENCED_SUMMARY.splitlines() if line.endswith(end))
        for end in (" 3.", "PMID: 31711912.")
    )
    source.write_text(
        REFERENCED_SUMMARY.replace(statement + "\n", "").replace(entry + "\n", ""),
        encoding="utf-8",
    )
    before = folder_bytes(empty_kb)
    ran = ekb_here("import", str(source), "--topic", "grading", "--replace", "--kb", str(empty_kb))
    assert (ran.exit_code, ran.stdout, ran.stderr) == (
        1,
        "",
        _refusal(folder, "reference 3: authors"),
    )
    assert folder_bytes(empty_kb) == before


@pytest.mark.parametrize(
    ("version", "moved"),
    [
        # The same works, numbered otherwise: no claim means anything new.
        ("renumbered", set()),
        # The same numbers, the list's works 1 and 2 trading places: the claims citing
        # 1 and 2 now cite other works (their lines differ; no identifier is shared).
        ("works traded", {1, 2}),
    ],
)
def test_a_new_version_dates_a_change_of_meaning_as_ekb_changes_reads_it(
    empty_kb: Path, tmp_path: Path, version: str, moved: set[int]
) -> None:
    """A citation is the work it cites, not its number: the import moves a claim's
    `changed` date exactly where `ekb check --since` asks for it."""
    source = tmp_path / "grading.txt"
    source.write_text(REFERENCED_SUMMARY, encoding="utf-8")
    import_summary(empty_kb, source, "grading", added="2026-01-10")
    git(empty_kb, "init", "-q")
    git(empty_kb, "add", "-A")
    git(empty_kb, "commit", "-qm", "first version")
    if version == "renumbered":
        new = _renumbered((2, 1, 3))
    else:
        new = REFERENCED_SUMMARY.replace("\n1. Cohen SP", "\n#. Cohen SP")
        new = new.replace("\n2. Guyatt GH", "\n1. Guyatt GH").replace(
            "\n#. Cohen SP", "\n2. Cohen SP"
        )
    source.write_text(new, encoding="utf-8")
    import_summary(empty_kb, source, "grading", replace=True, added="2026-06-01")
    claims = load_kb(empty_kb).topic("grading").claims
    assert {c.citations[0] for c in claims if c.changed == "2026-06-01"} == {
        {1: 2, 2: 1, 3: 3}[n] if version == "renumbered" else n for n in moved
    }
    assert all(c.changed is None for c in claims if c.changed != "2026-06-01")
    ran = ekb_here("check", "--kb", str(empty_kb), "--since", "HEAD")
    assert ran.exit_code == 0, ran.stderr


# The retracted sample's two claims (each the conclusion its Lancet abstract states,
# verbatim) as a summary citing the works by number, with its reference list: the
# works as PubMed cites them, their DOIs and PMIDs (tests/data/README.md).
WAKEFIELD_STATEMENT = (
    "- We identified associated gastrointestinal disease and developmental regression in "
    "a group of previously normal children, which was generally associated in time with "
    "possible environmental triggers {}."
)
MEHRA_STATEMENT = (
    "- We were unable to confirm a benefit of hydroxychloroquine or chloroquine, when used "
    "alone or with a macrolide, on in-hospital outcomes for COVID-19 {}."
)
WAKEFIELD_ENTRY = (
    "{}. Wakefield AJ, Murch SH, Anthony A, et al. Ileal-lymphoid-nodular hyperplasia, "
    "non-specific colitis, and pervasive developmental disorder in children. Lancet. "
    "1998;351(9103):637-641. doi:10.1016/S0140-6736(97)11096-0. PMID: {}."
)
MEHRA_ENTRY = (
    "{}. Mehra MR, Desai SS, Ruschitzka F, Patel AN. Hydroxychloroquine or chloroquine "
    "with or without a macrolide for treatment of COVID-19: a multinational registry "
    "analysis. Lancet. 2020. doi:10.1016/S0140-6736(20)31180-6. PMID: {}."
)
WAKEFIELD_DOI, MEHRA_DOI = "10.1016/S0140-6736(97)11096-0", "10.1016/S0140-6736(20)31180-6"
WAKEFIELD_PMID, MEHRA_PMID = "9500320", "32450107"


def _retracted_summary(
    wakefield: int, mehra: int | None, pmids: tuple[str, str] = (WAKEFIELD_PMID, MEHRA_PMID)
) -> str:
    """The summary with Wakefield's work numbered `wakefield` and Mehra's `mehra` (None:
    left out, its statement and its line); `pmids`: the PMIDs its lines give them."""
    works = [(wakefield, WAKEFIELD_STATEMENT, WAKEFIELD_ENTRY, pmids[0])]
    if mehra is not None:
        works.append((mehra, MEHRA_STATEMENT, MEHRA_ENTRY, pmids[1]))
    listed = sorted(works)
    statements = [statement.format(n) for n, statement, _, _ in works]
    entries = [entry.format(n, pmid) for n, _, entry, pmid in listed]
    return "\n".join(["From the Research", *statements, "", "References", *entries, ""])


@pytest.fixture
def noticed(empty_kb: Path, tmp_path: Path) -> tuple[Path, Path]:
    """The summary imported, its notices recorded from the Retraction Watch sample;
    (kb, summary)."""
    source = tmp_path / "retracted.txt"
    source.write_text(_retracted_summary(1, 2), encoding="utf-8")
    import_summary(empty_kb, source, RETRACTED_TOPIC)
    record_retractions(empty_kb, RETRACTION_WATCH_SAMPLE)
    return empty_kb, source


def _notices_by_work(kb_dir: Path) -> dict[str | None, tuple[int, list[tuple[str, str]]]]:
    """Each reference of the topic by its DOI: its number and its notices."""
    return {
        ref.doi: (ref.number, [(n.nature, n.date) for n in ref.notices])
        for ref in load_kb(kb_dir).topic(RETRACTED_TOPIC).references
    }


WAKEFIELD_NOTICES = [("retraction", "2010-02-02")]
MEHRA_NOTICES = [("expression-of-concern", "2020-06-03"), ("retraction", "2020-06-05")]


def test_a_new_version_that_swaps_two_works_numbers_moves_each_notice_with_its_work(
    noticed: tuple[Path, Path],
) -> None:
    """Wakefield's 2010 retraction follows his paper from 1 to 2, Mehra's expression of
    concern and retraction hers from 2 to 1; each claim citing a retracted work still
    warns, and `ekb check --strict` fails on them as before (the import passed check)."""
    kb_dir, source = noticed
    assert _notices_by_work(kb_dir) == {
        WAKEFIELD_DOI: (1, WAKEFIELD_NOTICES),
        MEHRA_DOI: (2, MEHRA_NOTICES),
    }
    source.write_text(_retracted_summary(2, 1), encoding="utf-8")
    ran = ekb_here(
        "import", str(source), "--topic", RETRACTED_TOPIC, "--replace", "--kb", str(kb_dir)
    )
    assert ran.exit_code == 0, ran.stderr
    assert_swapped(kb_dir)


def assert_swapped(kb_dir: Path) -> None:
    """Wakefield's notice on his paper, now 2, Mehra's two on hers, now 1, each still
    naming its work; the claim citing the retracted paper fails `ekb check --strict`."""
    assert _notices_by_work(kb_dir) == {
        WAKEFIELD_DOI: (2, WAKEFIELD_NOTICES),
        MEHRA_DOI: (1, MEHRA_NOTICES),
    }
    works = {
        ref.number: (ref.doi, [(n.work_doi, n.work_pmid) for n in ref.notices])
        for ref in load_kb(kb_dir).topic(RETRACTED_TOPIC).references
    }
    assert works == {
        1: (MEHRA_DOI, [(MEHRA_DOI, MEHRA_PMID)] * 2),
        2: (WAKEFIELD_DOI, [(WAKEFIELD_DOI, WAKEFIELD_PMID)]),
    }
    checked = ekb_here("check", "--strict", "--kb", str(kb_dir))
    assert checked.exit_code == 1
    assert "cites reference 2 of retracted-sample, doi:" + WAKEFIELD_DOI in checked.stderr


def test_a_new_version_numbering_the_works_alike_keeps_notices_toml_as_it_was(
    noticed: tuple[Path, Path],
) -> None:
    kb_dir, source = noticed
    notices = kb_dir / "topics" / RETRACTED_TOPIC / NOTICES_FILE
    written = notices.read_bytes()
    import_summary(kb_dir, source, RETRACTED_TOPIC, replace=True)
    assert notices.read_bytes() == written


def test_a_new_version_that_drops_a_noticed_work_is_refused_naming_each_notice(
    noticed: tuple[Path, Path],
) -> None:
    """Mehra's paper gone from the new version (its statement and its line): its two
    notices would be dropped, or land on whatever work is numbered 2 next."""
    kb_dir, source = noticed
    source.write_text(_retracted_summary(1, None), encoding="utf-8")
    before = folder_bytes(kb_dir)
    ran = ekb_here(
        "import", str(source), "--topic", RETRACTED_TOPIC, "--replace", "--kb", str(kb_dir)
    )
    path = kb_dir / "topics" / RETRACTED_TOPIC / NOTICES_FILE
    lines = {
        nature: next(
            n
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if line == f'doi = "{doi}"'
        )
        for nature, doi in (
            ("Expression of concern", "10.1016/S0140-6736(20)31290-3"),
            ("Retraction", "10.1016/S0140-6736(20)31324-6"),
        )
    }
    missing = (
        " on reference 2 (doi:10.1016/S0140-6736(20)31180-6, PMID 32450107) is on a work "
        "the new version does not cite (none has the same line in its reference list but "
        "for the number, nor the same DOI or PMID): --replace never drops a notice nor "
        "moves it to another work; allowed: a new version that cites the work, or "
        "notices.toml moved out of the folder, the import, then the notices on works it "
        "still cites put back"
    )
    assert (ran.exit_code, ran.stdout) == (1, "")
    assert ran.stderr.splitlines() == [
        f"{path}:{lines[nature] - 5}: the {nature} of {date}{missing}"
        for nature, date in (("Expression of concern", "2020-06-03"), ("Retraction", "2020-06-05"))
    ] + ["Error: 2 problems found"]
    assert folder_bytes(kb_dir) == before


def test_a_notice_whose_work_the_new_version_gives_another_pmid_is_refused(
    noticed: tuple[Path, Path],
) -> None:
    """The new version's list swaps the two PMIDs (a slip in copying): each work is
    still found by its DOI, but its PMID is the other paper's, so no notice can be
    carried; neither is moved to the work whose PMID it names, nor dropped."""
    kb_dir, source = noticed
    source.write_text(_retracted_summary(1, 2, (MEHRA_PMID, WAKEFIELD_PMID)), encoding="utf-8")
    before = folder_bytes(kb_dir)
    ran = ekb_here(
        "import", str(source), "--topic", RETRACTED_TOPIC, "--replace", "--kb", str(kb_dir)
    )
    assert (ran.exit_code, ran.stdout) == (1, "")
    problems = ran.stderr.splitlines()
    assert problems[-1] == "Error: 3 problems found"
    assert problems[0].endswith(
        ": the Retraction of 2010-02-02 on reference 1 (doi:10.1016/S0140-6736(97)11096-0, "
        "PMID 9500320) names work_pmid '9500320', but reference 1 of the new version, the "
        "same work by its line, DOI or PMID, has pmid 32450107: a notice stays on the work "
        "it was recorded for; allowed: a new version that gives the work its own pmid"
    )
    assert folder_bytes(kb_dir) == before


def test_a_dropped_noticed_work_with_more_recorded_of_it_is_refused_for_both_at_once(
    noticed: tuple[Path, Path],
) -> None:
    """Mehra's title as the retracted sample records it, beyond what its line gave:
    dropping the work would drop the title and the two notices, each told on its line."""
    kb_dir, source = noticed
    folder = kb_dir / "topics" / RETRACTED_TOPIC
    references = folder / "references.toml"
    sample = (REPO / "tests" / "data" / "retracted-sample" / "references.toml").read_text(
        encoding="utf-8"
    )
    mehra_title = next(
        line for line in sample.splitlines() if line.startswith('title = "Hydroxychloroquine')
    )
    text = references.read_text(encoding="utf-8")
    references.write_text(
        text.replace("number = 2\n", f"number = 2\n{mehra_title}\n"), encoding="utf-8"
    )
    assert load_kb(kb_dir).topic(RETRACTED_TOPIC).references[1].title
    source.write_text(_retracted_summary(1, None), encoding="utf-8")
    before = folder_bytes(kb_dir)
    ran = ekb_here(
        "import", str(source), "--topic", RETRACTED_TOPIC, "--replace", "--kb", str(kb_dir)
    )
    lines = ran.stderr.splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [
        f"{folder / NOTICES_FILE}:15",
        f"{folder / NOTICES_FILE}:23",
        f"{references}:1",
        "Error",
    ]
    assert lines[2] == f"{references}:1: " + _refusal(folder, "reference 2: title").split(": ", 2)[
        2
    ].rstrip("\n")
    assert folder_bytes(kb_dir) == before


def test_a_notice_that_names_no_work_is_refused_though_no_number_changes(
    noticed: tuple[Path, Path],
) -> None:
    """A notice written before notices named their works (Wakefield's retraction, its
    work_doi and work_pmid taken out) cannot be told to stay on its work."""
    kb_dir, source = noticed
    path = kb_dir / "topics" / RETRACTED_TOPIC / NOTICES_FILE
    text = path.read_text(encoding="utf-8")
    named = f'work_doi = "{WAKEFIELD_DOI}"\nwork_pmid = "{WAKEFIELD_PMID}"\n'
    assert named in text
    path.write_text(text.replace(named, ""), encoding="utf-8")
    before = folder_bytes(kb_dir)
    ran = ekb_here(
        "import", str(source), "--topic", RETRACTED_TOPIC, "--replace", "--kb", str(kb_dir)
    )
    assert (ran.exit_code, ran.stdout, ran.stderr.splitlines()) == (
        1,
        "",
        [
            f"{path}:6: the Retraction of 2010-02-02 on reference 1 (doi:{WAKEFIELD_DOI}, "
            f"PMID {WAKEFIELD_PMID}) does not name its work, so --replace cannot tell it from "
            "the work the new version numbers so; allowed: work_doi or work_pmid, as `ekb "
            "check` says",
            "Error: 1 problem found",
        ],
    )
    assert folder_bytes(kb_dir) == before


def test_a_notices_file_that_does_not_parse_is_refused_at_its_line(
    noticed: tuple[Path, Path],
) -> None:
    """Its notices can be neither carried nor left out knowingly: none is dropped."""
    kb_dir, source = noticed
    path = kb_dir / "topics" / RETRACTED_TOPIC / NOTICES_FILE
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('date = "2010-02-02"', 'date = "2010-02-02'), encoding="utf-8")
    before = folder_bytes(kb_dir)
    ran = ekb_here(
        "import", str(source), "--topic", RETRACTED_TOPIC, "--replace", "--kb", str(kb_dir)
    )
    assert (ran.exit_code, ran.stdout) == (1, "")
    assert ran.stderr.startswith(
        f"{path}:10: --replace cannot carry its notices to the new version: TOML syntax error"
    )
    assert ran.stderr.endswith("\nError: 1 problem found\n")
    assert folder_bytes(kb_dir) == before


# The same two works and claims as a claims-jsonl file: each work with its title, DOI
# and PMID as PubMed gives them, each claim citing it by the number the file gives it.
WORKS = {
    "wakefield": (WAKEFIELD_STATEMENT, WAKEFIELD_DOI, WAKEFIELD_PMID,
                  "Ileal-lymphoid-nodular hyperplasia, non-specific colitis, and pervasive "
                  "developmental disorder in children"),
    "mehra": (MEHRA_STATEMENT, MEHRA_DOI, MEHRA_PMID,
              "Hydroxychloroquine or chloroquine with or without a macrolide for treatment "
              "of COVID-19: a multinational registry analysis"),
}  # fmt: skip


def _retracted_claims(numbers: dict[str, int]) -> str:
    """The claims-jsonl file of the works in `numbers`, each under its number there."""
    lines = []
    for name, number in numbers.items():
        statement, doi, pmid, title = WORKS[name]
        text = statement.removeprefix("- ").replace(" {}", "")
        claim = {"type": "claim", "id": f"retracted-{name}", "text": text,
                 "section": "research", "citations": [number]}  # fmt: skip
        work = {"type": "work", "number": number, "title": title, "doi": doi, "pmid": pmid}
        lines += [json.dumps(claim), json.dumps(work)]
    return "\n".join(lines) + "\n"


@pytest.fixture
def noticed_claims(empty_kb: Path, tmp_path: Path) -> tuple[Path, Path]:
    """The claims-jsonl file imported, its notices recorded from the Retraction Watch
    sample; (kb, file)."""
    source = tmp_path / "retracted.jsonl"
    source.write_text(_retracted_claims({"wakefield": 1, "mehra": 2}), encoding="utf-8")
    import_claims_jsonl(empty_kb, source, RETRACTED_TOPIC)
    record_retractions(empty_kb, RETRACTION_WATCH_SAMPLE)
    return empty_kb, source


def _import_claims_again(kb_dir: Path, source: Path) -> tuple[int, str, str]:
    ran = ekb_here(
        "import", str(source), "--format", "claims-jsonl", "--topic", RETRACTED_TOPIC,
        "--replace", "--kb", str(kb_dir),
    )  # fmt: skip
    return ran.exit_code, ran.stdout, ran.stderr


def test_a_claims_file_import_carries_each_notice_with_its_work(
    noticed_claims: tuple[Path, Path],
) -> None:
    """A new version of the file that numbers the two works the other way: each notice
    moves with its work, as a summary import's do, and the claims still warn."""
    kb_dir, source = noticed_claims
    assert _notices_by_work(kb_dir) == {
        WAKEFIELD_DOI: (1, WAKEFIELD_NOTICES),
        MEHRA_DOI: (2, MEHRA_NOTICES),
    }
    source.write_text(_retracted_claims({"wakefield": 2, "mehra": 1}), encoding="utf-8")
    exit_code, _, stderr = _import_claims_again(kb_dir, source)
    assert exit_code == 0, stderr
    assert_swapped(kb_dir)


def test_a_claims_file_that_drops_a_noticed_work_is_refused(
    noticed_claims: tuple[Path, Path],
) -> None:
    kb_dir, source = noticed_claims
    source.write_text(_retracted_claims({"wakefield": 1}), encoding="utf-8")
    before = folder_bytes(kb_dir)
    exit_code, stdout, stderr = _import_claims_again(kb_dir, source)
    path = kb_dir / "topics" / RETRACTED_TOPIC / NOTICES_FILE
    assert (exit_code, stdout) == (1, "")
    problems = stderr.splitlines()
    assert problems[-1] == "Error: 2 problems found"
    assert all(
        line.startswith(f"{path}:") and " on reference 2 (doi:" + MEHRA_DOI in line
        and "is on a work the new version does not cite" in line
        for line in problems[:-1]
    )  # fmt: skip
    assert folder_bytes(kb_dir) == before


def test_a_noticed_work_listed_as_two_works_of_the_new_file_is_refused(
    empty_kb: Path, tmp_path: Path
) -> None:
    """Wakefield's paper alone, retracted; a new file adds Mehra's, but a slip in copying
    gives it Wakefield's DOI while his own entry keeps only his PMID: his retraction
    could follow either, so it follows neither by a guess."""
    source = tmp_path / "retracted.jsonl"
    source.write_text(_retracted_claims({"wakefield": 1}), encoding="utf-8")
    import_claims_jsonl(empty_kb, source, RETRACTED_TOPIC)
    record_retractions(empty_kb, RETRACTION_WATCH_SAMPLE)
    lines = [
        json.loads(line)
        for line in _retracted_claims({"wakefield": 1, "mehra": 2}).split("\n")
        if line
    ]
    wakefield, mehra = (line for line in lines if line["type"] == "work")
    del wakefield["doi"]
    mehra["doi"] = WAKEFIELD_DOI
    source.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    before = folder_bytes(empty_kb)
    folder = empty_kb / "topics" / RETRACTED_TOPIC
    assert _import_claims_again(empty_kb, source) == (
        1,
        "",
        f"Error: {folder}: reference 1 is listed as references 1 and 2 of the new version "
        "(by its line, DOI or PMID), so what is recorded of it (its notices, the fields "
        "beyond its line) cannot follow it to one; list the work once, or correct the "
        "identifier the other work was given\n",
    )
    assert folder_bytes(empty_kb) == before
