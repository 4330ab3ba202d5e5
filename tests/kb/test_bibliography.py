"""The field rules of a bibliographic record (kb/bibliography.py), on real works."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidencekb.errors import ValidationError
from evidencekb.identifiers import doi_key
from evidencekb.kb.bibliography import (
    RECORD_FIELDS,
    check_identifiers,
    check_record,
    doi_problem,
    record_problems,
    url_problem,
    year_problem,
)
from evidencekb.kb.load import load_kb
from evidencekb.kb.tables import Field, TableChecker
from evidencekb.kb.tomlfile import format_table, parse_toml
from evidencekb.model import Reference
from evidencekb.registry import REFERENCE_FIELD_NAMES
from fixtures import COHEN_2018, GUYATT_2008, SANTESSO_2020


def toml(*records: dict[str, Any]) -> str:
    """references.toml holding `records`, numbered from 1, one key a line."""
    return "".join(
        format_table("reference", {"number": n, **record})
        for n, record in enumerate(records, start=1)
    )


def check(tmp_path: Path, text: str) -> list[str]:
    """Every problem the rules find in a references.toml holding `text`."""
    checker = TableChecker()
    doc = parse_toml(text, "references.toml", checker.problems)
    assert doc is not None
    records = []
    for index, row in enumerate(checker.rows(doc, "reference")):
        spec = {"number": Field("int"), **RECORD_FIELDS}
        values = checker.fields(doc, "reference", index, row, spec)
        assert values is not None
        check_record(checker, doc, index, values)
        records.append((index, values))
    check_identifiers(checker, doc, records)
    return [str(problem) for problem in sorted(checker.problems)]


def test_the_model_holds_every_declared_field_in_order() -> None:
    assert tuple(RECORD_FIELDS) == REFERENCE_FIELD_NAMES
    assert tuple(Reference(topic="t", number=1).record()) == REFERENCE_FIELD_NAMES


def test_real_records_pass(tmp_path: Path) -> None:
    assert check(tmp_path, toml(COHEN_2018, SANTESSO_2020, GUYATT_2008)) == []


def test_each_field_rule_names_the_line_and_what_is_allowed(tmp_path: Path) -> None:
    broken = {
        **GUYATT_2008,
        "type": "journal-artcle",
        "doi": "https://doi.org/10.1136/bmj.39489.470347.AD",
        "pmcid": "2335261",
        "year": 208,
        "url": "javascript://pmc.ncbi.nlm.nih.gov/articles/PMC2335261/",
    }
    assert check(tmp_path, toml(broken)) == [
        "references.toml:3: unknown reference type 'journal-artcle' (did you mean "
        "'journal-article'?); allowed: journal-article, guideline, review, book, web-page, other",
        "references.toml:6: year 208 is not plausible: use the year of publication, "
        f"1450 to {datetime.date.today().year}",
        "references.toml:11: doi 'https://doi.org/10.1136/bmj.39489.470347.AD' must be the "
        'DOI alone, without a link or prefix: "10.1136/bmj.39489.470347.AD"',
        "references.toml:13: pmcid '2335261' must be 'PMC' and digits, like \"PMC2335261\"",
        "references.toml:14: url 'javascript://pmc.ncbi.nlm.nih.gov/articles/PMC2335261/' "
        "must be a web address starting with http:// or https://",
    ]


def test_pmid_is_digits(tmp_path: Path) -> None:
    text = toml({**SANTESSO_2020, "pmid": "PMID: 31711912"})
    assert check(tmp_path, text) == [
        "references.toml:11: pmid 'PMID: 31711912' must be its digits alone, "
        'with no leading zero, like "31711912"'
    ]


def test_same_doi_in_another_case_or_same_pmid_is_one_work_twice(tmp_path: Path) -> None:
    shouting = {**SANTESSO_2020, "doi": SANTESSO_2020["doi"].upper()}
    assert check(tmp_path, toml(SANTESSO_2020, GUYATT_2008, shouting)) == [
        "references.toml:35: references 1 and 3 have the same doi "
        "'10.1016/J.JCLINEPI.2019.10.014' (line 10): list a work under one number",
        "references.toml:36: references 1 and 3 have the same pmid '31711912' (line 11): "
        "list a work under one number",
    ]


@pytest.mark.parametrize(
    "doi",
    [
        "10.1097/AAP.0000000000000808",
        "10.1136/bmj.39489.470347.AD",
        # Old Wiley DOIs keep "<", ">", ";" and parentheses in their suffix.
        "10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0",
    ],
)
def test_real_dois_are_accepted(doi: str) -> None:
    assert doi_problem(doi) is None


@pytest.mark.parametrize(
    "doi", ["10.1097", "11.1097/AAP.0000000000000808", "10.12/x", "10.1234/a b"]
)
def test_malformed_dois_are_refused(doi: str) -> None:
    assert doi_problem(doi) is not None


def test_doi_case_is_kept_but_compared_without_it() -> None:
    assert doi_key("10.1136/bmj.39489.470347.AD") == doi_key("10.1136/BMJ.39489.470347.ad")


def test_a_future_year_is_refused() -> None:
    today = datetime.date(2026, 12, 1)
    assert year_problem(2026, today) is None
    assert year_problem(2027, today) == (
        "year 2027 is not plausible: use the year of publication, 1450 to 2026"
    )


@pytest.mark.parametrize("url", ["ftp://example.org/x", "https:///nohost", "mailto:a@b.c", "/x"])
def test_only_http_and_https_addresses(url: str) -> None:
    assert url_problem(url) is not None


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=40))
def test_rules_never_raise_and_accept_only_their_shape(text: str) -> None:
    problems = dict(record_problems({"doi": text, "pmid": text, "pmcid": text, "url": text}))
    if "pmid" not in problems:
        assert text.isascii() and text.isdigit() and not text.startswith("0")
    if "pmcid" not in problems:
        assert text.startswith("PMC") and text[3:].isascii() and text[3:].isdigit()
    if "doi" not in problems:
        assert text.startswith("10.") and "/" in text and text.split() == [text]


@pytest.mark.parametrize("pmid", ["31711912\n", "0010480616", "\u0663\u0661\u0667", "1e5", ""])
def test_a_pmid_is_ascii_digits_alone_with_no_leading_zero(pmid: str) -> None:
    assert record_problems({"pmid": pmid}) == [
        ("pmid", f"pmid '{pmid}' must be its digits alone, with no leading zero, like \"31711912\"")
    ]


def test_nothing_may_follow_a_doi_or_pmcid() -> None:
    record = {"doi": "10.1136/bmj.39489.470347.AD\n", "pmcid": "PMC2335261\n"}
    assert [key for key, _ in record_problems(record)] == ["doi", "pmcid"]


def test_ekb_check_applies_the_rules_to_references_toml(kb_dir: Path) -> None:
    """Through `load_kb`: faulty values (not a description of the seed's works, which
    its source does not name) on the seed's references are each reported once."""
    relative = "topics/ketamine-pain/references.toml"
    path = kb_dir / relative
    text = path.read_text(encoding="utf-8")
    text = text.replace("number = 1\n", 'number = 1\ndoi = "doi:10.1097/x"\nyear = 3000\n', 1)
    text = text.replace("number = 2\n", 'number = 2\npmid = "31711912"\n', 1)
    text = text.replace("number = 3\n", 'number = 3\npmid = "31711912"\ntype = "blog"\n', 1)
    path.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    at = {line.split(" =")[0]: n for n, line in enumerate(lines, start=1) if " = " in line}
    pmid_lines = [n for n, line in enumerate(lines, start=1) if line.startswith("pmid")]
    with pytest.raises(ValidationError) as caught:
        load_kb(kb_dir)
    assert [str(p).removeprefix(f"{kb_dir}/") for p in caught.value.problems] == [
        f"{relative}:{at['doi']}: doi 'doi:10.1097/x' must be the DOI alone, without a link "
        'or prefix: "10.1097/x"',
        f"{relative}:{at['year']}: year 3000 is not plausible: use the year of publication, "
        f"1450 to {datetime.date.today().year}",
        f"{relative}:{pmid_lines[1]}: references 2 and 3 have the same pmid '31711912' "
        f"(line {pmid_lines[0]}): list a work under one number",
        f"{relative}:{pmid_lines[1] + 1}: unknown reference type 'blog'; allowed: "
        "journal-article, guideline, review, book, web-page, other",
    ]
