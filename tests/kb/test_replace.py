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
from evidencekb.paths import EVIDENCE_FILE, NOTICES_FILE
from fixtures import (
    COHEN_2018,
    GRADING_WORKS,
    GUYATT_2008,
    REFERENCED_SUMMARY,
    REPO,
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


@pytest.mark.parametrize("name", [EVIDENCE_FILE, NOTICES_FILE])
def test_a_summary_import_refuses_to_drop_stances_or_notices(
    dated: tuple[Path, Path], name: str
) -> None:
    kb_dir, source = dated
    folder = kb_dir / "topics" / "ketamine-pain"
    (folder / name).write_text("# What a curator recorded.\n", encoding="utf-8")
    before = folder_bytes(kb_dir)
    what = {
        EVIDENCE_FILE: "the stances of the cited works",
        NOTICES_FILE: "the editorial notices on the cited works",
    }[name]
    ran = ekb_here(
        "import", str(source), "--topic", "ketamine-pain", "--replace", "--kb", str(kb_dir)
    )
    assert (ran.exit_code, ran.stdout, ran.stderr) == (
        1,
        "",
        f"Error: {folder}: --replace would drop {name} ({what}, by claim id and reference "
        "number, which a new version may change); move it out of the folder, import, then "
        "put back what still applies (`ekb check` names what does not)\n",
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
