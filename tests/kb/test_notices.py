"""Editorial notices on cited works: `ekb refs retractions` reads Retraction Watch's CSV
into notices.toml; `ekb check` warns of claims citing a retracted work (and fails with
--strict); `ekb show`, JSON, search results and FHIR carry the mark."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fhir.resources.bundle import Bundle

from evidencekb.errors import KBError, ValidationError
from evidencekb.kb import claim_details, claim_text, export, load_kb
from evidencekb.kb.fingerprint import kb_fingerprint
from evidencekb.kb.refexport import bibtex
from evidencekb.kb.retractions import (
    Conflict,
    identifier_places,
    read_notices,
    reasons,
    record_retractions,
)
from evidencekb.search import search, write_index
from evidencekb.search.output import results_json, results_text
from fixtures import RETRACTED_TOPIC, RETRACTION_WATCH_SAMPLE, add_retracted_sample

WAKEFIELD = "retracted-sample-e0fdfc19"  # cites reference 1, Lancet 1998, retracted 2010
MEHRA = "retracted-sample-0b419dba"  # cites reference 2, Lancet 2020, retracted 2020


def ekb(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "evidencekb", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False)


@pytest.fixture
def retracted(kb_dir: Path) -> Path:
    add_retracted_sample(kb_dir, notices=False)
    return kb_dir


def notices_file(kb_dir: Path) -> Path:
    return kb_dir / "topics" / RETRACTED_TOPIC / "notices.toml"


def test_reasons_as_retraction_watch_writes_them() -> None:
    cell = "+Falsification/Fabrication of Data;+Investigation by Journal/Publisher;"
    assert reasons(cell) == (
        "Falsification/Fabrication of Data",
        "Investigation by Journal/Publisher",
    )
    assert reasons("") == ()


def test_records_each_matched_notice_once_and_a_second_run_changes_nothing(
    retracted: Path,
) -> None:
    first = record_retractions(retracted, RETRACTION_WATCH_SAMPLE)
    assert [(f.number, f.notice.nature, f.notice.date, f.new) for f in first.found] == [
        (1, "retraction", "2010-02-02", True),
        (2, "expression-of-concern", "2020-06-03", True),
        (2, "retraction", "2020-06-05", True),
    ]
    assert first.written == (notices_file(retracted),)
    written = notices_file(retracted).read_bytes()
    second = record_retractions(retracted, RETRACTION_WATCH_SAMPLE)
    assert second.written == ()
    assert [f.new for f in second.found] == [False, False, False]
    assert notices_file(retracted).read_bytes() == written
    work = load_kb(retracted).topic(RETRACTED_TOPIC).references[0]
    assert work.mark == "retraction"
    assert work.notices[0].doi == "10.1016/S0140-6736(10)60175-4"
    assert work.notices[0].pmid == "20137807"
    # The work it is on, as the file gives the original paper's DOI and PMID.
    assert (work.notices[0].work_doi, work.notices[0].work_pmid) == (
        "10.1016/S0140-6736(97)11096-0",
        "9500320",
    )


def test_matches_by_doi_without_case_or_by_pmid(retracted: Path, tmp_path: Path) -> None:
    rows = RETRACTION_WATCH_SAMPLE.read_text(encoding="utf-8").splitlines()
    lowered = rows[1].replace("10.1016/S0140-6736(97)11096-0", "10.1016/s0140-6736(97)11096-0")
    by_pmid = rows[3].replace("10.1016/S0140-6736(20)31180-6", "Unavailable")
    csv = tmp_path / "rw.csv"
    csv.write_text("\n".join([rows[0], lowered, by_pmid]) + "\n", encoding="utf-8")
    found = record_retractions(retracted, csv).found
    assert [(f.number, f.notice.nature) for f in found] == [(1, "retraction"), (2, "retraction")]
    # Each records the identifiers it matched by, as the file writes them.
    assert [(f.notice.work_doi, f.notice.work_pmid) for f in found] == [
        ("10.1016/s0140-6736(97)11096-0", "9500320"),
        (None, "32450107"),
    ]
    assert load_kb(retracted).topic(RETRACTED_TOPIC).references[1].mark == "retraction"


def test_notices_are_read_in_the_order_they_happened(retracted: Path) -> None:
    """The latest notice decides a work's mark, the notices of one day read in the
    order such notices happen (names.NOTICE_SEQUENCE): one rule, model.notice_order,
    by which kb/notices.py lists them and model.notice_mark reads them. Read by nature
    alphabetically, a retraction and a reinstatement of one day read Reinstatement first
    and the work stood Retracted.

    Only real notices are tested: no real work known here had two notices on one day,
    so the same-day rule is held to what the real notices of Mehra et al.'s registry
    paper show (an expression of concern on 3 June 2020, the retraction on 5 June):
    their natures alone, the date aside, put them in the order they happened. That a
    reinstatement comes after the retraction it undoes follows from what it is."""
    from evidencekb.model import notice_mark, notice_order
    from evidencekb.names import NOTICE_NATURES, NOTICE_SEQUENCE

    record_retractions(retracted, RETRACTION_WATCH_SAMPLE)
    mehra = load_kb(retracted).topic(RETRACTED_TOPIC).references[1].notices
    assert [(n.nature, n.date) for n in mehra] == [
        ("expression-of-concern", "2020-06-03"),
        ("retraction", "2020-06-05"),
    ]
    assert notice_mark(mehra[::-1]) == notice_mark(mehra) == "retraction"
    assert sorted(mehra[::-1], key=lambda n: notice_order(n)[1:]) == list(mehra)
    assert sorted(NOTICE_SEQUENCE) == sorted(NOTICE_NATURES)
    assert NOTICE_SEQUENCE.index("retraction") < NOTICE_SEQUENCE.index("reinstatement")


def renumber_by_hand(kb_dir: Path) -> None:
    """The sample's two works numbered the other way round in references.toml and
    claims.toml, as an editor might, and notices.toml left as it was."""
    folder = kb_dir / "topics" / RETRACTED_TOPIC
    for name, spelling in (("references.toml", "number = {}\n"), ("claims.toml", "[{}]")):
        path = folder / name
        text = path.read_text(encoding="utf-8")
        for form in (spelling, "source {}."):  # a derived strength basis names its source
            text = text.replace(form.format(1), "\0").replace(form.format(2), form.format(1))
            text = text.replace("\0", form.format(2))
        path.write_text(text, encoding="utf-8")


def test_a_notice_follows_its_work_never_a_reference_number(retracted: Path) -> None:
    """The audit's case: the references renumbered by hand put Wakefield's 2010
    retraction on Mehra's paper (and Mehra's notices on Wakefield's), and `ekb check`
    passed. Each notice now records its work, which must be the reference it is under."""
    record_retractions(retracted, RETRACTION_WATCH_SAMPLE)
    renumber_by_hand(retracted)
    result = ekb("check", "--kb", str(retracted))
    path = notices_file(retracted)
    kept = "a notice stays on the work it was recorded for"
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [
        f"{path}:7: work_doi '10.1016/S0140-6736(97)11096-0' is not reference 1's doi "
        f"(10.1016/S0140-6736(20)31180-6): {kept}; that work is reference 2: set reference = 2",
        f"{path}:16: work_doi '10.1016/S0140-6736(20)31180-6' is not reference 2's doi "
        f"(10.1016/S0140-6736(97)11096-0): {kept}; that work is reference 1: set reference = 1",
        f"{path}:24: work_doi '10.1016/S0140-6736(20)31180-6' is not reference 2's doi "
        f"(10.1016/S0140-6736(97)11096-0): {kept}; that work is reference 1: set reference = 1",
        "Error: 3 problems found",
    ]


def hand_written(kb_dir: Path, fields: str) -> Path:
    """notices.toml holding Wakefield's 2010 retraction on reference 1, as an editor
    writes it, with `fields` (lines) saying which work it is on."""
    path = notices_file(kb_dir)
    path.write_text(
        f'[[notice]]\nreference = 1\n{fields}nature = "Retraction"\ndate = "2010-02-02"\n',
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    "fields",
    [
        'work_doi = "10.1016/s0140-6736(97)11096-0"\n',  # any case, as DOIs are
        'work_pmid = "9500320"\n',
        'work_doi = "10.1016/S0140-6736(97)11096-0"\nwork_pmid = "9500320"\n',
    ],
)
def test_a_notice_naming_its_work_by_doi_or_pmid_passes(retracted: Path, fields: str) -> None:
    hand_written(retracted, fields)
    work = load_kb(retracted).topic(RETRACTED_TOPIC).references[0]
    assert (work.mark, work.notices[0].date) == ("retraction", "2010-02-02")


def problems_of(kb_dir: Path) -> list[tuple[int, str]]:
    with pytest.raises(ValidationError) as raised:
        load_kb(kb_dir)
    return [(p.line, p.message) for p in raised.value.problems]


def test_a_notice_that_does_not_say_which_work_it_is_on_is_refused(retracted: Path) -> None:
    """A notices.toml written before notices named their works: each notice names the
    line to add, for the editor to confirm (`ekb refs retractions` writes it too)."""
    hand_written(retracted, "")
    assert problems_of(retracted) == [
        (
            2,
            "the notice does not say which work it is on: add work_doi = "
            '"10.1016/S0140-6736(97)11096-0" (reference 1\'s doi) if it is on that work (kept '
            "by number alone, a notice goes with the number to another work)",
        )
    ]
    hand_written(retracted, 'work_pmid = "9500320"\nwork_doi = "10.1016/S0140-6736(20)31180-6"\n')
    assert problems_of(retracted) == [
        (
            4,
            "work_doi '10.1016/S0140-6736(20)31180-6' is not reference 1's doi "
            "(10.1016/S0140-6736(97)11096-0): a notice stays on the work it was recorded for; "
            "that work is reference 2: set reference = 2",
        )
    ]


def test_a_work_the_kb_knows_no_doi_or_pmid_of_bears_no_notice(retracted: Path) -> None:
    """Never a guess: a work known by its number and title alone cannot be told from
    another that takes its number, so a notice on it is refused until its DOI or PMID
    is recorded; one whose identifier the reference lacks cannot be compared."""
    references = retracted / "topics" / RETRACTED_TOPIC / "references.toml"
    text = references.read_text(encoding="utf-8")
    references.write_text(text.replace('doi = "10.1016/S0140-6736(97)11096-0"\n', ""), "utf-8")
    hand_written(retracted, 'work_doi = "10.1016/S0140-6736(97)11096-0"\n')
    assert problems_of(retracted) == [
        (
            3,
            "work_doi '10.1016/S0140-6736(97)11096-0' cannot be compared: reference 1 records "
            'no doi; add work_pmid = "9500320" (reference 1\'s pmid) if the notice is on that '
            'work, or doi = "10.1016/S0140-6736(97)11096-0" to reference 1 in references.toml '
            "if that is its doi",
        )
    ]
    references.write_text(
        text.replace('pmid = "9500320"\n', "").replace(
            'doi = "10.1016/S0140-6736(97)11096-0"\n', ""
        ),
        "utf-8",
    )
    assert problems_of(retracted) == [
        (
            2,
            "reference 1 records no doi or pmid, so a notice cannot say which work it is on "
            "(kept by number alone, it would go with the number to another work): record the "
            "work's doi or pmid in references.toml, then work_doi or work_pmid here",
        )
    ]


def test_notices_toml_is_checked_like_every_kb_file(retracted: Path) -> None:
    notices_file(retracted).write_text(
        '[[notice]]\nreference = 7\nnature = "Retracted"\ndate = "6/5/2020"\ndoi = "doi:10.1/x"\n',
        encoding="utf-8",
    )
    with pytest.raises(ValidationError) as raised:
        load_kb(retracted)
    problems = [(p.line, p.message) for p in raised.value.problems]
    assert problems == [
        (2, "reference 7 is not cited; cited: 1, 2"),
        (
            3,
            "unknown nature 'Retracted'; allowed: 'Retraction', 'Expression of concern', "
            "'Correction', 'Reinstatement'",
        ),
        (4, 'date \'6/5/2020\' must be a date written "YYYY-MM-DD", like "2026-12-05"'),
        (5, "doi 'doi:10.1/x' must be the DOI alone, without a link or prefix: \"10.1/x\""),
    ]


def test_a_file_that_is_not_retraction_watchs_is_one_error_line(
    retracted: Path, tmp_path: Path
) -> None:
    csv = tmp_path / "other.csv"
    csv.write_text("id,title\n1,x\n", encoding="utf-8")
    result = ekb("refs", "retractions", str(csv), "--kb", str(retracted))
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: {csv}:1: not a Retraction Watch CSV: no column ")
    assert len(result.stderr.splitlines()) == 1
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    result = ekb("refs", "retractions", str(fifo), "--kb", str(retracted))
    assert (result.returncode, result.stderr) == (
        1,
        f"Error: {fifo} is a FIFO (named pipe), not a regular file\n",
    )
    assert not notices_file(retracted).exists()


def first_row_dated(csv: Path, date: str) -> Path:
    """The sample's header and first row (Wakefield's retraction) with `date` as its
    RetractionDate, written as `csv`."""
    rows = RETRACTION_WATCH_SAMPLE.read_text(encoding="utf-8").splitlines()
    csv.write_text(rows[0] + "\n" + rows[1].replace("2/2/2010 0:00", date) + "\n")
    return csv


@pytest.mark.parametrize("bad", ["2/30/2010 0:00", "2010-02-02garbage", "2010-02-02 noon"])
def test_a_bad_date_on_a_matched_row_names_its_line(
    retracted: Path, tmp_path: Path, bad: str
) -> None:
    csv = first_row_dated(tmp_path / "rw.csv", bad)
    with pytest.raises(KBError, match=rf"rw.csv:2: RetractionDate '{bad}' is not a date"):
        record_retractions(retracted, csv)
    assert not notices_file(retracted).exists()


@pytest.mark.parametrize(
    "written",
    [
        "2010-02-02",
        "2010-02-02 00:00",
        "2010-02-02T00:00:00",
        "2010-02-02T00:00:00Z",
        "2010-02-02T00:00:00.000+00:00",
        "2/2/2010 12:00:00 AM",
    ],
)
def test_a_date_a_spreadsheet_saved_as_iso_reads_alike(
    retracted: Path, tmp_path: Path, written: str
) -> None:
    csv = first_row_dated(tmp_path / "rw.csv", written)
    record_retractions(retracted, csv)
    assert "2010-02-02" in notices_file(retracted).read_text(encoding="utf-8")


def test_cli_prints_what_it_records_and_check_warns_then_strict_fails(retracted: Path) -> None:
    result = ekb("refs", "retractions", str(RETRACTION_WATCH_SAMPLE), "--kb", str(retracted))
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        "retracted-sample reference 1: add Retraction of 2010-02-02",
        "retracted-sample reference 2: add Expression of concern of 2020-06-03",
        "retracted-sample reference 2: add Retraction of 2020-06-05",
        f"Wrote {notices_file(retracted)}.",
        "3 notices recorded.",
    ]
    again = ekb("refs", "retractions", str(RETRACTION_WATCH_SAMPLE), "--kb", str(retracted))
    assert again.stdout.splitlines()[-1] == (
        "Nothing to change: 3 notices on the kb's works, all recorded already."
    )
    warnings = [
        f"Warning: {WAKEFIELD}: cites reference 1 of retracted-sample, "
        "doi:10.1016/S0140-6736(97)11096-0: Retracted (2010-02-02)",
        f"Warning: {MEHRA}: cites reference 2 of retracted-sample, "
        "doi:10.1016/S0140-6736(20)31180-6: Retracted (2020-06-05)",
    ]
    check = ekb("check", "--kb", str(retracted))
    assert check.returncode == 0
    assert check.stderr.splitlines() == warnings
    assert check.stdout.endswith("claims, 2 warnings)\n")
    strict = ekb("check", "--strict", "--kb", str(retracted))
    assert strict.returncode == 1
    assert strict.stderr.splitlines() == [
        *warnings,
        "Error: 2 warnings, and --strict fails on warnings",
    ]


def test_a_file_whose_notices_match_no_cited_work_says_so(kb_dir: Path) -> None:
    """Before: "0 notices on the kb's works, all recorded already", as if matched."""
    result = ekb("refs", "retractions", str(RETRACTION_WATCH_SAMPLE), "--kb", str(kb_dir))
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        f"Nothing to change: no notice in {RETRACTION_WATCH_SAMPLE} is on a work the kb cites.\n"
    )


def test_show_json_search_and_fhir_carry_the_retraction(retracted: Path, tmp_path: Path) -> None:
    record_retractions(retracted, RETRACTION_WATCH_SAMPLE)
    kb = load_kb(retracted)
    claim = kb.claim(MEHRA)
    text = claim_text(kb, claim)
    assert (
        "Notices: [2] RETRACTED: Expression of concern 2020-06-03 "
        "(doi:10.1016/S0140-6736(20)31290-3); Retraction 2020-06-05 "
        "(doi:10.1016/S0140-6736(20)31324-6)"
    ) in " ".join(text.split())  # wrapped to the terminal's width
    details = claim_details(kb, claim)
    assert details["notices"] == [{"citation": 2, "mark": "retraction", "label": "Retracted"}]
    reference = details["references"][0]  # type: ignore[index]
    assert reference["mark"] == "retraction"
    assert [n["nature"] for n in reference["notices"]] == ["expression-of-concern", "retraction"]
    exported = json.loads(export(kb, "json", RETRACTED_TOPIC))
    assert [c["notices"][0]["label"] for c in exported] == ["Retracted", "Retracted"]

    write_index(kb, tmp_path / "whoosh", fingerprint=kb_fingerprint(retracted))
    results = search(tmp_path / "whoosh", "hydroxychloroquine")
    lines = results_text(results, colour=False).splitlines()
    assert "   Reference 2: RETRACTED" in lines
    # Marked as the site marks it: a claim resting on a retracted work is not missed.
    at = next(i for i, line in enumerate(lines) if "Evidence:" in line)
    assert lines[at].startswith(" \u26a0 Evidence: ")
    assert "Reference 2: Retracted" in " ".join(" ".join(lines[at : at + 3]).split())
    assert json.loads(results_json(results))[0]["notices"][0]["mark"] == "retraction"
    found = search(tmp_path / "whoosh", "notice:retraction").hits
    assert {h.claim["id"] for h in found} == {WAKEFIELD, MEHRA}

    bundle = Bundle.model_validate_json(export(kb, "fhir", RETRACTED_TOPIC))
    citations = [e.resource for e in bundle.entry if e.resource.__resource_type__ == "Citation"]
    links = citations[1].citedArtifact.relatesTo
    assert [(link.type, link.classifier[0].text) for link in links] == [
        ("comment-in", "Expression of concern"),
        ("retracted-by", "Retraction"),
    ]
    assert links[1].document.url == "https://doi.org/10.1016/S0140-6736(20)31324-6"


def test_the_benchmarks_synthetic_file_reads_as_retraction_watchs(
    retracted: Path, tmp_path: Path
) -> None:
    """bench/living.py's file has the real one's format: read whole, it matches nothing
    (its DOIs are under Crossref's test prefix), and a real row added to it still matches."""
    import importlib.util

    from fixtures import REPO

    spec = importlib.util.spec_from_file_location("bench_living", REPO / "bench/living.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    csv = tmp_path / "rw.csv"
    module.write_csv(csv, 500)
    assert record_retractions(retracted, csv).found == ()
    real = RETRACTION_WATCH_SAMPLE.read_text(encoding="utf-8").splitlines()[1]
    with csv.open("a", encoding="utf-8") as file:
        file.write(real + "\r\n")
    assert [f.number for f in record_retractions(retracted, csv).found] == [1]


def test_reference_manager_exports_carry_the_retraction_and_fhir_the_verdict(
    retracted: Path,
) -> None:
    """A retracted work exported to a reference manager says so in its note; a claim
    resting on it says so in its FHIR Evidence."""
    record_retractions(retracted, RETRACTION_WATCH_SAMPLE)
    kb = load_kb(retracted)
    said = (
        "RETRACTED: Expression of concern 2020-06-03 (doi:10.1016/S0140-6736(20)31290-3); "
        "Retraction 2020-06-05 (doi:10.1016/S0140-6736(20)31324-6)"
    )
    items = json.loads(export(kb, "csl-json", RETRACTED_TOPIC))
    assert items[1]["note"].splitlines()[-1] == said
    ris = export(kb, "ris", RETRACTED_TOPIC)
    assert f"N1  - {said}" in ris.splitlines()
    assert said in export(kb, "bibtex", RETRACTED_TOPIC)
    bundle = Bundle.model_validate_json(export(kb, "fhir", RETRACTED_TOPIC))
    evidence = {e.resource.id: e.resource for e in bundle.entry}
    notes = [note.text for note in evidence[MEHRA].note]
    found = (
        "No cited work's finding recorded (1 cited work) · Reference 2: Retracted"
        " · Strength: not stated by the source"
    )
    assert notes[-1] == f"Evidence: {found}"
    # Its name and description say so too: a list of resources showed the title alone.
    mehra = evidence[MEHRA]
    claim = load_kb(retracted).claim(MEHRA)
    assert mehra.title == (
        f"\u26a0 No cited work's finding recorded (1 cited work) · Reference 2: Retracted: "
        f"{claim.text}"
    )
    assert (mehra.description, mehra.assertion) == (found, claim.text)


def test_a_bibtex_note_reads_as_sentences_the_reference_then_its_notices(
    retracted: Path,
) -> None:
    from dataclasses import replace

    record_retractions(retracted, RETRACTION_WATCH_SAMPLE)
    kb = load_kb(retracted)
    topic = kb.topic(RETRACTED_TOPIC)
    wakefield = replace(
        topic.references[0],
        citation_text="Wakefield AJ, Murch SH, Anthony A, et al. Ileal-lymphoid-nodular "
        "hyperplasia, non-specific colitis, and pervasive developmental disorder in children. "
        "Lancet. 1998;351(9103):637-41.",
    )
    cited = replace(topic, references=(wakefield, *topic.references[1:]))
    bib = bibtex((cited,))
    assert "637-41. RETRACTED: Retraction 2010-02-02 (doi:" in bib
    assert ".." not in bib


def sample_rows() -> tuple[list[str], list[dict[str, str]]]:
    """The sample's header (its trailing comma's empty name left off) and its rows, by
    column."""
    import csv

    with RETRACTION_WATCH_SAMPLE.open(encoding="utf-8", newline="") as file:
        header, *rows = csv.reader(file)
    header = header[:-1]
    return header, [dict(zip(header, row, strict=False)) for row in rows]


def write_rows(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    import csv

    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows([row.get(column, "") for column in header] for row in rows)
    return path


def test_a_doi_written_as_a_link_or_with_a_prefix_matches(retracted: Path, tmp_path: Path) -> None:
    """Matched by DOI alone (no PMID): a doi.org link or a `doi:` prefix is taken off,
    and the notice's own DOI so written is kept, as the DOI alone."""
    header, rows = sample_rows()
    wakefield, mehra = dict(rows[0]), dict(rows[2])
    wakefield.update(
        OriginalPaperDOI="https://doi.org/10.1016/s0140-6736(97)11096-0",
        OriginalPaperPubMedID="0",
        RetractionDOI="doi: 10.1016/S0140-6736(10)60175-4",
    )
    mehra.update(OriginalPaperDOI="DOI:10.1016/S0140-6736(20)31180-6", OriginalPaperPubMedID="")
    csv = write_rows(tmp_path / "rw.csv", header, [wakefield, mehra])
    found = record_retractions(retracted, csv).found
    assert [(f.number, f.notice.nature, f.notice.doi) for f in found] == [
        (1, "retraction", "10.1016/S0140-6736(10)60175-4"),
        (2, "retraction", "10.1016/S0140-6736(20)31324-6"),
    ]
    result = ekb("refs", "retractions", str(csv), "--kb", str(retracted))
    assert result.stdout.splitlines()[-1] == (
        "Nothing to change: 2 notices on the kb's works, all recorded already."
    )


def test_a_row_without_its_last_empty_cell_reads_it_as_empty(
    retracted: Path, tmp_path: Path
) -> None:
    """Columns in another order, Reason last and empty: a row that leaves its last cell
    off is read, not a crash."""
    header, rows = sample_rows()
    header = [column for column in header if column != "Reason"] + ["Reason"]
    csv = write_rows(tmp_path / "rw.csv", header, rows[:1])
    lines = csv.read_text(encoding="utf-8").splitlines()
    assert lines[1].endswith(",No,,")
    csv.write_text(lines[0] + "\n" + lines[1][:-1] + "\n", encoding="utf-8")
    result = ekb("refs", "retractions", str(csv), "--kb", str(retracted))
    assert (result.returncode, result.stderr) == (0, "")
    assert (
        result.stdout.splitlines()[0]
        == "retracted-sample reference 1: add Retraction of 2010-02-02"
    )


def test_a_quote_left_open_is_one_error_line_never_rows_joined(
    retracted: Path, tmp_path: Path
) -> None:
    """A quote left open in one row would join it to the next: Wakefield's retraction
    read as part of the row above, and lost. It is refused at its line instead."""
    text = RETRACTION_WATCH_SAMPLE.read_text(encoding="utf-8").splitlines()
    opened = text[3].replace(",The Lancet,", ',"The Lancet,', 1)  # Mehra's retraction row
    csv = tmp_path / "rw.csv"
    csv.write_text("\n".join([text[0], opened, text[1]]) + "\n", encoding="utf-8")
    result = ekb("refs", "retractions", str(csv), "--kb", str(retracted))
    assert (result.returncode, result.stderr) == (
        1,
        f"Error: {csv}:3: not CSV (',' expected after '\"')\n",
    )
    csv.write_text("\n".join([text[0], text[1] + ',"Notes']) + "\n", encoding="utf-8")
    with pytest.raises(KBError, match=r"rw.csv:2: not CSV \(unexpected end of data\)"):
        record_retractions(retracted, csv)
    shifted = text[1].replace("The Lancet,", "The Lancet,,,,,,", 1)  # five cells too many
    csv.write_text("\n".join([text[0], shifted]) + "\n", encoding="utf-8")
    with pytest.raises(KBError) as raised:
        record_retractions(retracted, csv)
    assert str(raised.value) == f"{csv}:2: 25 fields, but the header has 21; is a quote left open?"
    assert not notices_file(retracted).exists()


def test_an_error_names_the_line_its_cell_stands_on(retracted: Path, tmp_path: Path) -> None:
    """Quoted cells may hold line breaks: the error names the line of the bad cell, not
    the line the row ends on."""
    header, rows = sample_rows()
    row = dict(rows[0], RetractionDate="2010-02-30", Notes="Partly retracted 2004;\nfully 2010.")
    row["Title"] = row["Title"].replace("hyperplasia, ", "hyperplasia,\r\n")
    csv = write_rows(tmp_path / "rw.csv", header, [rows[1], row])
    # The row starts on line 3; its title takes two lines; its notes end on line 5.
    with pytest.raises(KBError) as raised:
        record_retractions(retracted, csv)
    assert str(raised.value) == (
        f"{csv}:4: RetractionDate '2010-02-30' is not a date like 6/5/2020 0:00"
    )


def test_a_notice_dated_after_today_is_refused(retracted: Path, tmp_path: Path) -> None:
    """A retraction dated 2102 for 2010 is a slip of the file's: recorded, it would stand
    first in What's new and date its feed for years."""
    import datetime

    csv = first_row_dated(tmp_path / "rw.csv", "2/2/2102 0:00")
    today = datetime.date.today().isoformat()
    result = ekb("refs", "retractions", str(csv), "--kb", str(retracted))
    assert (result.returncode, result.stderr) == (
        1,
        f"Error: {csv}:2: RetractionDate '2/2/2102 0:00' is after today ({today}); a notice "
        "is dated the day it was published\n",
    )
    assert not notices_file(retracted).exists()
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    record_retractions(retracted, first_row_dated(csv, tomorrow.isoformat()))
    assert tomorrow.isoformat() in notices_file(retracted).read_text(encoding="utf-8")


def test_a_byte_that_is_not_utf8_is_named_at_its_own_line(retracted: Path, tmp_path: Path) -> None:
    """The file was decoded in chunks, and the error named the line the reader had
    reached, 11 lines before the byte in a file of 101."""
    header, rows = sample_rows()
    csv = write_rows(tmp_path / "rw.csv", header, [rows[1]] * 100)
    lines = csv.read_bytes().split(b"\n")
    lines[60] = b"\xff" + lines[60]
    csv.write_bytes(b"\n".join(lines))
    with pytest.raises(KBError) as raised:
        record_retractions(retracted, csv)
    assert str(raised.value) == f"{csv}:61: not UTF-8 text (invalid start byte)"


def test_a_record_id_of_thousands_of_digits_is_one_error_line(
    retracted: Path, tmp_path: Path
) -> None:
    """Python reads no whole number of over 4,300 digits: that was a traceback."""
    header, rows = sample_rows()
    csv = write_rows(tmp_path / "rw.csv", header, [dict(rows[0], **{"Record ID": "9" * 5000})])
    with pytest.raises(KBError) as raised:
        record_retractions(retracted, csv)
    assert str(raised.value) == (
        f"{csv}:2: Record ID '{'9' * 5000}' is not a whole number above 0 of at most 18 digits"
    )


def test_the_file_is_streamed_never_held_whole(retracted: Path, tmp_path: Path) -> None:
    """Retraction Watch's file is tens of MB: it was read whole into a buffer of 1 GiB,
    the most it reads, then decoded whole and copied again for the csv module (380 MB
    resident for a file of 60 MB)."""
    import tracemalloc

    header, rows = sample_rows()
    unmatched = rows[3]  # the NEJM paper of the same registry, which the kb does not cite
    csv = write_rows(tmp_path / "rw.csv", header, [unmatched] * 30_000 + rows[:3])
    size = csv.stat().st_size
    assert size > 8_000_000
    by_doi, by_pmid = identifier_places(load_kb(retracted).topics)
    tracemalloc.start()
    try:
        read = read_notices(csv, by_doi, by_pmid)
        found = [item[1].date for item in read if not isinstance(item, Conflict)]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert found == ["2010-02-02", "2020-06-03", "2020-06-05"]
    assert peak < size / 10


def test_a_cell_that_lists_several_dois_matches_by_each(retracted: Path, tmp_path: Path) -> None:
    """A cell of two DOIs (here one work's, written twice) was read as no DOI at all:
    the work went unmarked; the notice's own DOI recorded is the first it lists."""
    header, rows = sample_rows()
    wakefield = dict(rows[0], OriginalPaperPubMedID="0")
    original, notice = wakefield["OriginalPaperDOI"], wakefield["RetractionDOI"]
    wakefield["OriginalPaperDOI"] = f"{original}; https://doi.org/{original.lower()}"
    wakefield["RetractionDOI"] = f"{notice};doi:{notice}"
    found = record_retractions(retracted, write_rows(tmp_path / "rw.csv", header, [wakefield]))
    assert [(f.number, f.notice.nature, f.notice.doi) for f in found.found] == [
        (1, "retraction", "10.1016/S0140-6736(10)60175-4")
    ]


def test_a_row_whose_identifiers_contradict_the_reference_is_reported_never_recorded(
    retracted: Path, tmp_path: Path
) -> None:
    """Wakefield's retraction row giving Wakefield's PMID with Mehra's DOI matches
    reference 1 by the PMID and reference 2 by the DOI: it was recorded on both, though
    it names another work to each. Now each is a conflict naming the row, the reference
    and both identifiers, and nothing is written. Mehra's retraction row giving the DOI
    of the NEJM paper of the same registry matches reference 2 by its PMID alone."""
    header, rows = sample_rows()
    mixed = dict(rows[0], OriginalPaperDOI="10.1016/S0140-6736(20)31180-6")
    nejm = dict(rows[2], OriginalPaperDOI="10.1056/NEJMoa2007621")
    csv = write_rows(tmp_path / "rw.csv", header, [mixed, nejm])
    result = ekb("refs", "retractions", str(csv), "--kb", str(retracted))
    unsure = "not recorded, as it may be about another work"
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        f"Conflict: {csv}:2 (no Record ID) gives PMID 9500320, retracted-sample reference 1's, "
        "but DOI 10.1016/S0140-6736(20)31180-6, not reference 1's "
        f"(10.1016/S0140-6736(97)11096-0): {unsure}",
        f"Conflict: {csv}:2 (no Record ID) gives DOI 10.1016/S0140-6736(20)31180-6, "
        f"retracted-sample reference 2's, but PMID 9500320, not reference 2's (32450107): {unsure}",
        f"Conflict: {csv}:3 (no Record ID) gives PMID 32450107, retracted-sample reference 2's, "
        f"but DOI 10.1056/NEJMoa2007621, not reference 2's (10.1016/S0140-6736(20)31180-6): "
        f"{unsure}",
        "Not recorded: 3 conflicts; check each row against the reference it names.",
    ]
    assert not notices_file(retracted).exists()
    # Without the contradicting identifier (missing, as the file writes it), a row matches.
    for missing in ("Unavailable", "0", ""):
        nejm["OriginalPaperDOI"] = missing
        found = record_retractions(retracted, write_rows(csv, header, [nejm]))
        assert ([f.number for f in found.found], found.conflicts) == ([2], ())


def test_a_conflict_leaves_the_rows_other_matches_recorded(retracted: Path, tmp_path: Path) -> None:
    """Only the place a row contradicts is held back: the sample's rows around one that
    conflicts are recorded as before."""
    header, rows = sample_rows()
    mixed = dict(rows[0], OriginalPaperDOI="10.1016/S0140-6736(20)31180-6")
    csv = write_rows(tmp_path / "rw.csv", header, [*rows, mixed])
    result = record_retractions(retracted, csv)
    assert [(f.number, f.notice.nature) for f in result.found] == [
        (1, "retraction"),
        (2, "expression-of-concern"),
        (2, "retraction"),
    ]
    assert [(c.where, c.place, c.matched[0]) for c in result.conflicts] == [
        (f"{csv}:6", (RETRACTED_TOPIC, 1), "PMID"),
        (f"{csv}:6", (RETRACTED_TOPIC, 2), "DOI"),
    ]
