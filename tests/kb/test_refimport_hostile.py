"""`ekb refs import` given what a careless or hostile user gives it: an editor's
comments survive, a value `ekb check` would refuse is never written, no parser
failure becomes a traceback, no file read hangs, and an export re-imported changes
nothing. The invariant import => check holds for every format (Hypothesis)."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidencekb.errors import KBError
from evidencekb.kb import export, load_kb
from evidencekb.kb.importer import import_summary
from evidencekb.kb.refimport import import_references
from fixtures import GRADING_WORKS, MEDLINE, REFERENCED_SUMMARY

BARE = REFERENCED_SUMMARY.split("\nReferences\n")[0] + "\n"
REFERENCES = "topics/grading/references.toml"


def make_grading(kb_dir: Path, scratch: Path) -> Path:
    source = scratch / "grade-summary.txt"
    source.write_text(BARE, encoding="utf-8")
    import_summary(kb_dir, source, "grading")
    return kb_dir


@pytest.fixture
def grading(empty_kb: Path, tmp_path: Path) -> Path:
    return make_grading(empty_kb, tmp_path)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    return path


def ekb(*args: str, limit_bytes: int | None = None) -> subprocess.CompletedProcess[str]:
    def limit() -> None:  # a full disk: writes past `limit_bytes` fail with EFBIG
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        assert limit_bytes is not None
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    result = subprocess.run(
        [sys.executable, "-m", "evidencekb", *args],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=limit if limit_bytes else None,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_an_editors_comments_and_layout_survive(grading: Path, tmp_path: Path) -> None:
    references = grading / REFERENCES
    original = (
        "# The works this topic cites.\n\n"
        "[[reference]]\nnumber = 1  # the ASRA guideline\n\n"
        "# checked against the PDF, 2024-05-02\n"
        '[[reference]]\nnumber = 2\ntitle = "GRADE: an emerging consensus on rating quality of '
        'evidence and strength of recommendations"\nauthors = [\n  "Guyatt GH",\n  "Oxman AD",\n'
        '  "Vist GE",  # third\n  "Kunz R",\n  "Falck-Ytter Y",\n  "Alonso-Coello P",\n'
        '  "Schünemann HJ",\n]\n\n[[reference]]\nnumber = 3  # Santesso\n'
    )
    references.write_text(original, encoding="utf-8")
    result = import_references(grading, write(tmp_path, "g.nbib", MEDLINE), "grading")
    assert result.written
    text = references.read_text(encoding="utf-8")
    kept = iter(text.splitlines())
    assert all(line in kept for line in original.splitlines())  # every line, in order
    assert 'journal = "BMJ"' in text and "year = 2008" in text
    load_kb(grading)


def csl(tmp_path: Path, **fields: Any) -> Path:
    item = {"citation-number": 2, "type": "article-journal", **fields}
    return write(tmp_path, "refs.json", json.dumps([item]))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": {"text": "A"}}, "field 'title' must be text in double quotes"),
        ({"title": 12}, "field 'title' must be text in double quotes"),
        ({"container-title": ["BMJ"]}, "field 'journal' must be text in double quotes"),
        ({"author": [{"family": 3}]}, 'field \'authors\' must be a list of texts, like ["a", "b"]'),
        ({"title": "A\u001b]0;owned\u0007"}, "field 'title' contains the control character U+001B"),
        ({"title": "half \ud800 a pair"}, "field 'title' contains U+D800, a lone surrogate"),
        ({"URL": "http://[::1"}, "url 'http://[::1' must be a web address starting with http"),
    ],
)
def test_a_value_check_would_refuse_is_never_written(
    grading: Path, tmp_path: Path, fields: dict[str, Any], message: str
) -> None:
    before = (grading / REFERENCES).read_bytes()
    with pytest.raises(KBError) as caught:
        import_references(grading, csl(tmp_path, **fields), "grading")
    prefix = f"{tmp_path}/refs.json:1: nothing imported: record 1 (reference 2): "
    assert str(caught.value).startswith(prefix + message)
    assert (grading / REFERENCES).read_bytes() == before


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("id.ris", "TY  - JOUR\nID  - " + "9" * 5000 + "\nTI  - GRADE\nER  - \n"),
        ("key.bib", "@article{" + "9" * 5000 + ", title = {GRADE}}\n"),
        ("year.ris", "TY  - JOUR\nID  - 2\nTI  - GRADE\nPY  - " + "9" * 5000 + "\nER  - \n"),
    ],
)
def test_a_number_of_thousands_of_digits_is_no_traceback(
    grading: Path, tmp_path: Path, name: str, text: str
) -> None:
    """Python refuses to read a whole number of over 4,300 digits: such a name names no
    reference, and such a year is refused by the year's own rule."""
    ran = ekb("refs", "import", str(write(tmp_path, name, text)), "--topic", "grading",
              "--kb", str(grading))  # fmt: skip
    by_order = (
        "1 record, but the topic cites 3 numbers; to match records by order give one "
        "record per number, or give each record its number (CSL-JSON citation-number, a "
        "RIS ID or BibTeX key)"
    )
    said = {  # after the file's name: a record's fault gives its line
        "id.ris": f": {by_order}",
        "key.bib": f": {by_order}",
        "year.ris": ":1: nothing imported: record 1 (reference 2): field 'year' must be a "
        "whole number",
    }[name]
    assert (ran.returncode, ran.stderr) == (1, f"Error: {tmp_path}/{name}{said}\n")


def test_a_number_where_text_belongs_is_text(grading: Path, tmp_path: Path) -> None:
    path = csl(tmp_path, volume=336, issue=7650, PMID=18436948, issued={"date-parts": [[]]})
    import_references(grading, path, "grading")
    work = load_kb(grading).topic("grading").references[1]
    assert (work.volume, work.issue, work.pmid, work.year) == ("336", "7650", "18436948", None)


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("huge.json", b'[{"title": "A", "volume": ' + b"9" * 5000 + b"}]",
         "not a readable csl-json file (a whole number of 5000 digits is too long)"),
        ("deep.json", b"[" * 100_000 + b"]" * 100_000,
         "not a readable csl-json file (nested too deeply)"),
        ("latin1.ris", "TY  - JOUR\nTI  - Sch\u00fcnemann\nER  - \n".encode("latin-1"),
         "not UTF-8 text; export it as UTF-8 and try again"),
        ("broken.bib", b"@article{2, title = {unclosed\n",
         "1: cannot read the BibTeX entry that starts here: check its braces, quotes and "
         "commas (each field written name = {value},)"),
        ("twice.bib", b"@article{2, title = {A}}\n@article{2, title = {B}}\n",
         "2: the entry has the key of an earlier one, 2"),
        # JSON of another kind, once read as one empty item: "Nothing to change"
        ("items.json", b'{"items": []}',
         "not a readable csl-json file (item 1 holds none of CSL-JSON's fields, such as id, "
         "type, title, author, issued, DOI)"),
        ("second.json", b'[{"title": "A"}, {"name": "B"}]',
         "not a readable csl-json file (item 2 holds none of CSL-JSON's fields, such as id, "
         "type, title, author, issued, DOI)"),
    ],
)  # fmt: skip
def test_unreadable_files_are_one_error_line(
    grading: Path, tmp_path: Path, name: str, data: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    result = ekb("refs", "import", str(path), "--topic", "grading", "--kb", str(grading))
    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        "",
        f"Error: {path}:{reason}\n" if reason[0].isdigit() else f"Error: {path}: {reason}\n",
    )


def test_a_parsers_own_warnings_stay_off_the_terminal(grading: Path, tmp_path: Path) -> None:
    """pylatexenc, reading BibTeX's LaTeX, logs what it tolerates; the user sees the
    import's own lines only."""
    path = write(tmp_path, "odd.bib", "@article{2, title = {Cost of \\begin{itemize} care $x}}\n")
    result = ekb("refs", "import", str(path), "--topic", "grading", "--kb", str(grading))
    assert (result.returncode, result.stderr) == (0, "")
    assert 'reference 2: add title = "Cost of care x"' in result.stdout.splitlines()


def test_reads_that_would_never_end_are_refused(grading: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.ris"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.ris"
    zero.symlink_to("/dev/zero")
    for path, reason in (
        (fifo, "is a FIFO (named pipe), not a regular file"),
        (zero, "is a character device, not a regular file"),
    ):
        result = ekb("refs", "import", str(path), "--topic", "grading", "--kb", str(grading))
        assert (result.returncode, result.stderr) == (1, f"Error: {path}: {reason}\n")


def test_a_non_utf8_file_name_is_read(grading: Path, tmp_path: Path) -> None:
    folder = os.fsencode(tmp_path)
    path = Path(os.fsdecode(folder + b"/Sch\xfcnemann.nbib"))
    path.write_text(MEDLINE, encoding="utf-8")
    result = ekb("refs", "import", str(path), "--topic", "grading", "--kb", str(grading))
    assert result.returncode == 0 and result.stdout.endswith("fields changed.\n")


def test_a_full_disk_is_one_error_line(grading: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "g.nbib", MEDLINE)
    references = grading / REFERENCES
    before = references.read_bytes()
    result = ekb(
        "refs", "import", str(path), "--topic", "grading", "--kb", str(grading),
        limit_bytes=len(before) + 10,
    )  # fmt: skip
    assert (result.returncode, result.stderr) == (
        1,
        f"Error: cannot write {references}: File too large\n",
    )
    assert references.read_bytes() == before
    assert sorted(p.name for p in references.parent.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize("with_journal", [True, False])
@pytest.mark.parametrize("fmt", ["csl-json", "ris", "bibtex"])
def test_an_export_reimported_changes_nothing(
    grading: Path, tmp_path: Path, fmt: str, with_journal: bool
) -> None:
    import_references(grading, write(tmp_path, "g.nbib", MEDLINE), "grading")
    references = grading / REFERENCES
    text = references.read_text(encoding="utf-8")
    # Reference 1 is a guideline (the ASRA's), a type the formats write as an article of
    # its journal, or without one as a report: either way the same type read back.
    text = text.replace("number = 1\n", 'number = 1\ntype = "guideline"\n')
    if not with_journal:
        text = text.replace('journal = "Reg Anesth Pain Med"\n', "")
    references.write_text(text, encoding="utf-8")
    load_kb(grading)
    before = references.read_bytes()
    suffix = {"csl-json": ".json", "ris": ".ris", "bibtex": ".bib"}[fmt]
    exported = write(tmp_path, f"export{suffix}", export(load_kb(grading), fmt, "grading"))
    result = import_references(grading, exported, "grading", replace=True)
    assert [change.describe() for change in result.changes] == []
    assert not result.written and (grading / REFERENCES).read_bytes() == before


@pytest.mark.parametrize("fmt", ["csl-json", "ris", "bibtex"])
def test_spacing_alone_is_no_change(grading: Path, tmp_path: Path, fmt: str) -> None:
    """kb/ may space a title as an editor typed it; every reader folds white space, so
    before, the export read back "replaced" the title with itself."""
    row = '[[reference]]\nnumber = 2\ntitle = "Ketamine  for pain:   a review"\n'
    row += 'authors = ["Cohen  SP"]\njournal = "Reg  Anesth Pain Med"\n'
    (grading / REFERENCES).write_text(row, encoding="utf-8")
    before = (grading / REFERENCES).read_bytes()
    suffix = {"csl-json": ".json", "ris": ".ris", "bibtex": ".bib"}[fmt]
    exported = write(tmp_path, f"export{suffix}", export(load_kb(grading), fmt, "grading"))
    result = import_references(grading, exported, "grading", replace=True)
    assert [change.describe() for change in result.changes] == []
    assert not result.written and (grading / REFERENCES).read_bytes() == before


def test_imports_at_once_each_keep_their_changes(grading: Path, tmp_path: Path) -> None:
    """Before: each import edited references.toml as it was before the others, every
    one said "Wrote", and the last one written undid the rest."""
    sources = []
    for number, work in GRADING_WORKS.items():
        ris = f"TY  - JOUR\nID  - {number}\nTI  - {work['title']}\nPY  - {work['year']}\nER  - \n"
        sources.append(write(tmp_path, f"work{number}.ris", ris))
    command = [sys.executable, "-m", "evidencekb", "refs", "import", "--topic", "grading"]
    running = [
        subprocess.Popen(
            [*command, "--kb", str(grading), str(source)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for source in sources * 2
    ]
    outcomes = [process.communicate(timeout=120) for process in running]
    assert all(process.returncode == 0 for process in running), outcomes
    kept = load_kb(grading).topic("grading").references
    assert [(r.number, r.title, r.year) for r in kept] == [
        (number, work["title"], work["year"]) for number, work in GRADING_WORKS.items()
    ]


# -- import => check, for every format -------------------------------------------------

# Any character at all, control characters and lone surrogates included.
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=30)
JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=3),
    max_leaves=6,
)
WORK = st.fixed_dictionaries(
    {},
    optional={
        "title": ANY_TEXT,
        "authors": st.lists(st.tuples(ANY_TEXT, ANY_TEXT), max_size=3),
        "year": st.integers(-10, 10**6) | ANY_TEXT,
        "journal": ANY_TEXT,
        "volume": ANY_TEXT,
        "pages": ANY_TEXT,
        "doi": st.sampled_from(["10.1136/bmj.39489.470347.AD", "10.1/x"]) | ANY_TEXT,
        "url": st.sampled_from(["https://example.org/", "http://[::1"]) | ANY_TEXT,
        "type": st.sampled_from(["JOUR", "BOOK", "article", "misc", "webpage"]) | ANY_TEXT,
    },
)


def _ris(works: list[dict[str, Any]]) -> str:
    lines = []
    for work in works:
        lines.append(f"TY  - {work.get('type', 'JOUR')}")
        lines += [f"AU  - {family}, {given}" for family, given in work.get("authors", [])]
        tags = {"title": "TI", "year": "PY", "journal": "JO", "volume": "VL", "doi": "DO"}
        lines += [f"{tag}  - {work[key]}" for key, tag in tags.items() if key in work]
        lines += [f"UR  - {work['url']}"] if "url" in work else []
        lines.append("ER  - ")
    return "\n".join(lines) + "\n"


def _bibtex(works: list[dict[str, Any]]) -> str:
    entries = []
    for number, work in enumerate(works, start=1):
        fields = [f"title = {{{work['title']}}}"] if "title" in work else []
        names = " and ".join(f"{family}, {given}" for family, given in work.get("authors", []))
        fields += [f"author = {{{names}}}"] if names else []
        for key in ("year", "journal", "volume", "pages", "doi", "url"):
            fields += [f"{key} = {{{work[key]}}}"] if key in work else []
        entries.append(
            f"@{work.get('type', 'article')}{{{number},\n  " + ",\n  ".join(fields) + "\n}"
        )
    return "\n\n".join(entries) + "\n"


def _medline(works: list[dict[str, Any]]) -> str:
    records = []
    for number, work in enumerate(works, start=1):
        lines = [f"PMID- {number}"]
        tags = {"title": "TI", "year": "DP", "journal": "TA", "volume": "VI", "pages": "PG"}
        lines += [f"{tag.ljust(4)}- {work[key]}" for key, tag in tags.items() if key in work]
        lines += [f"AU  - {family} {given}" for family, given in work.get("authors", [])]
        lines += [f"LID - {work['doi']} [doi]"] if "doi" in work else []
        records.append("\n".join(lines))
    return "\n\n".join(records) + "\n"


def _csl_json(works: list[dict[str, Any]], odd: Any = None) -> str:
    items = []
    for work in works:
        item: dict[str, Any] = {"type": work.get("type", "article-journal")}
        item |= {k: work[k] for k in ("title", "volume", "doi") if k in work}
        item["author"] = [{"family": f, "given": g} for f, g in work.get("authors", [])]
        item |= {"issued": {"date-parts": [[work["year"]]]}} if "year" in work else {}
        item |= {"container-title": work["journal"]} if "journal" in work else {}
        item |= {"URL": work["url"]} if "url" in work else {}
        items.append(item)
    if odd is not None:
        items[0]["title" if len(items) % 2 else "page"] = odd
    return json.dumps(items)


WRITERS: dict[str, Callable[[list[dict[str, Any]]], str]] = {
    ".ris": _ris,
    ".bib": _bibtex,
    ".nbib": _medline,
    ".json": _csl_json,
}


@pytest.fixture(scope="module")
def base_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("base")
    kb_dir = folder / "kb"
    shutil.copytree(Path(__file__).resolve().parents[2] / "kb", kb_dir,
                    ignore=shutil.ignore_patterns("topics"))  # fmt: skip
    (kb_dir / "topics").mkdir()
    return make_grading(kb_dir, folder)


def fresh_copy(base: Path) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as scratch:
        kb_dir = Path(scratch) / "kb"
        shutil.copytree(base, kb_dir)
        yield kb_dir


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    suffix=st.sampled_from(sorted(WRITERS)),
    works=st.lists(WORK, min_size=3, max_size=3),
    odd=JSON_VALUE,
)
def test_import_then_check_passes(
    base_kb: Path, suffix: str, works: list[dict[str, Any]], odd: Any
) -> None:
    for kb_dir in fresh_copy(base_kb):
        text = _csl_json(works, odd) if suffix == ".json" else WRITERS[suffix](works)
        source = write(kb_dir.parent, f"refs{suffix}", text)
        before = (kb_dir / REFERENCES).read_bytes()
        try:
            import_references(kb_dir, source, "grading", replace=True)
        except KBError as error:
            assert "\n" not in str(error)
            assert (kb_dir / REFERENCES).read_bytes() == before
        else:
            load_kb(kb_dir)  # raises if `ekb check` would refuse what was written


# -- BibTeX: what LaTeX reads as something else survives a round trip -----------------

HOSTILE_TITLES = [
    "100% of patients {improved} & 50$ saved #1_a~b^c \\d",
    "Drug A--drug B interactions: ``quoted'' and ?`odd!` ligatures",
    "Unbalanced } and { braces and \\textbf{commands}",
]
LATEX_TEXT = st.text(
    st.sampled_from("ab AZ09%{}\\&$#_~^-'`\"?!,.:;()[]<>/=*@é\u2013\u2014ü"),
    min_size=1,
    max_size=40,
).map(lambda text: " ".join(text.split()))


def _described(kb_dir: Path, title: str, authors: list[str]) -> None:
    row = f"[[reference]]\nnumber = 2\ntitle = {json.dumps(title)}\n"
    row += f"authors = {json.dumps(authors, ensure_ascii=False)}\njournal = {json.dumps(title)}\n"
    (kb_dir / REFERENCES).write_text(row, encoding="utf-8")


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_hostile_titles_survive_a_bibtex_round_trip(
    grading: Path, tmp_path: Path, title: str
) -> None:
    authors = ["Johnson and Johnson Research", "Müller {H}% GH", "World Health Organization"]
    _described(grading, title, authors)
    before = load_kb(grading).topic("grading").references[1]
    exported = write(tmp_path, "refs.bib", export(load_kb(grading), "bibtex", "grading"))
    (grading / REFERENCES).write_text("", encoding="utf-8")
    import_references(grading, exported, "grading")
    assert load_kb(grading).topic("grading").references[1] == before


@settings(max_examples=40, deadline=None)
@given(title=LATEX_TEXT.filter(str.strip), family=LATEX_TEXT.filter(str.strip))
def test_any_title_survives_a_bibtex_round_trip(base_kb: Path, title: str, family: str) -> None:
    for kb_dir in fresh_copy(base_kb):
        _described(kb_dir, title, [f"{family} GH"])
        before = load_kb(kb_dir).topic("grading").references[1]
        text = export(load_kb(kb_dir), "bibtex", "grading")
        exported = write(kb_dir.parent, "refs.bib", text)
        (kb_dir / REFERENCES).write_text("", encoding="utf-8")
        import_references(kb_dir, exported, "grading")
        assert load_kb(kb_dir).topic("grading").references[1] == before, text


def run_import(kb_dir: Path, path: Path) -> tuple[int, str, str]:
    result = ekb("refs", "import", str(path), "--topic", "grading", "--kb", str(kb_dir))
    return result.returncode, result.stdout, result.stderr


def test_a_ris_file_rispy_would_misread_is_refused_by_its_lines(
    grading: Path, tmp_path: Path
) -> None:
    """A misspaced `ER -` (rispy: part of the title, the next record lost) and a record
    cut off at the end (rispy: dropped) are each a problem at their line."""
    guyatt = "TY  - JOUR\nID  - 2\nTI  - GRADE\nER -\n"
    santesso = "TY  - JOUR\nID  - 3\nTI  - GRADE guidelines 26\n"
    path = write(tmp_path, "bad.ris", guyatt + santesso)
    before = (grading / REFERENCES).read_bytes()
    assert run_import(grading, path) == (
        1,
        "",
        f"{path}:4: 'ER -' is not a RIS tag line; a tag line is two capitals, two spaces, "
        "a hyphen and a space, like 'TI  - '\n"
        f"{path}:5: a record starts before the one on line 1 ended; end each record with "
        "'ER  - '\n"
        f"{path}:5: the record starting here has no end (is the file cut off?); end each "
        "record with 'ER  - '\n"
        "Error: 3 problems found\n",
    )
    assert (grading / REFERENCES).read_bytes() == before


def test_names_are_read_as_written_no_one_added(grading: Path, tmp_path: Path) -> None:
    """BibTeX's "and others" is its "et al."; a CSL particle is the family name's."""
    bib = write(tmp_path, "g.bib", "@misc{2, author = {Guyatt, Gordon H. and others}}\n")
    item = {"citation-number": 3, "author": [{"family": "Beer", "non-dropping-particle": "De"}]}
    for path, line in (
        (bib, 'reference 2: add authors = ["Guyatt GH"]'),
        (write(tmp_path, "s.json", json.dumps([item])), 'reference 3: add authors = ["De Beer"]'),
    ):
        assert run_import(grading, path) == (0, f"{line}\nWrote {grading / REFERENCES}: "
                                             "1 field changed.\n", "")  # fmt: skip


def test_a_year_of_five_digits_is_refused_not_cut(grading: Path, tmp_path: Path) -> None:
    item = {"citation-number": 2, "title": "GRADE", "issued": {"date-parts": [[20080]]}}
    path = write(tmp_path, "y.json", json.dumps([item]))
    code, out, err = run_import(grading, path)
    assert (code, out) == (1, "")
    assert err.startswith(
        f"Error: {path}:1: nothing imported: record 1 (reference 2): year 20080 is not plausible"
    )


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        # Another topic's name for its work 2 is no number here: matched in order.
        ("x.ris", "TY  - JOUR\nID  - other-topic-2\nTI  - GRADE\nER  - \n",
         ": 1 record, but the topic cites 3 numbers; to match records by order give one "
         "record per number, or give each record its number (CSL-JSON citation-number, a "
         "RIS ID or BibTeX key)"),
        ("g.json", '[\n{"title": "GRADE",}]',
         ":2: not a readable csl-json file (expecting property name enclosed in double quotes "
         'at column 19); CSL-JSON is a list of items, like [{"citation-number": 2, '
         '"title": "..."}]'),
    ],
)  # fmt: skip
def test_refused_with_one_error_line(
    grading: Path, tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = write(tmp_path, name, text)
    assert run_import(grading, path) == (1, "", f"Error: {path}{message}\n")
