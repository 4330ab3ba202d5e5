"""Issue 18, one declaration per field, followed as an editor follows it: ARCHITECTURE.md's
recipe for a new claim, topic or reference field, applied to a copy of the package
(registry.py and model.py, nothing else), then every surface checked on a kb that has
values of the new fields. The registry cannot gain a field inside this process without
patching our own internals, so the copy runs in processes of its own, as
`python -m evidencekb`.

Four claim fields, one of each shape, labelled and searchable: a number (`infusions`), a
list of texts (`routes`, searched by the name rule), one free text (`population`,
searched by its words, as `heading:` is) and a second date (`reviewed`, beside `added`
and `changed`); a topic field (`language`, an editor's, which an import that
replaces the topic keeps); and a reference field (`publisher`, which RIS, CSL-JSON and
BibTeX hold as plain text). The numbers and texts are the claims' own words (the
infusions of "a series of 4-6 infusions", the routes the routes claim lists, the
patients a claim is about); the review dates are an editor's record, as `added` is.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

import evidencekb
from evidencekb.paths import index_dir
from fixtures import MEDLINE, REFERENCED_SUMMARY, REPO, node
from test_incremental import files

SEED_CLAIMS = "topics/ketamine-pain/claims.toml"
SEED_TOPIC = "topics/ketamine-pain/topic.toml"

# ARCHITECTURE.md, "A new claim field": step 1 (registry.py) and step 2 (model.py).
CLAIM_FIELD_ENTRIES = """\
    ClaimField(
        "infusions", "int", "The most infusions of a treatment series the claim gives.",
        required=False, least=1, label="Infusions in a series, at most",
    ),
    ClaimField("routes", "texts", "The routes of administration it names.", required=False,
               label="Routes"),
    ClaimField("population", "text", "The patients it is about, in its words.", required=False,
               label="Population"),
    ClaimField("reviewed", "date", "When an editor last checked it against its source.",
               required=False, label="Reviewed"),
"""
QUERY_FIELD_ENTRIES = """\
    QueryField("infusions", "number", "a whole number", "infusions:6", claim_values("infusions")),
    QueryField("routes", "name", "a route", "routes:oral", claim_values("routes")),
    QueryField("population", "text", "words", "population:neuropathic",
               claim_values("population")),
    QueryField("reviewed", "date", "a date or a range of them", "reviewed:2026-11..",
               claim_values("reviewed")),
    QueryField("language", "term", "a language", "language:en", _work_values("language"),
               allowed="language", on_works=True, filter="Only claims citing a work in it.",
               menu=("Language of a cited work", "Any language")),
"""
# A topic field (registry.TOPIC_FIELDS, model.Topic): an editor's, which no import writes.
TOPIC_FIELD_ENTRIES = """\
    TopicField("language", "text", "The language the summary is written in (BCP 47).",
               required=False, imported=False, label="Language"),
"""
TOPIC_ATTRIBUTES = """\
    language: str | None = None
"""
# A reference field that three reference managers' formats hold as plain text; one of a
# closed list (MEDLINE's LA codes among its spellings), searched by `language:` and
# named in all four formats; and a text MEDLINE gives on repeated lines (IS, an ISSN a
# line).
REFERENCE_FIELD_ENTRIES = """\
    ReferenceField("publisher", "text", "Publisher", "The work's publisher.",
                   formats=Interchange(csl="publisher", ris="publisher", bibtex="publisher")),
    ReferenceField("language", "choice", "Language", "The language the work is written in.",
                   (Choice("en", "English", ("eng",)), Choice("fr", "French", ("fre",))),
                   formats=Interchange(csl="language", ris="language", bibtex="language",
                                       medline="LA")),
    ReferenceField("issn", "text", "ISSN", "The journal's ISSN, as the record gives it.",
                   formats=Interchange(csl="ISSN", ris="issn", bibtex="issn", medline="IS")),
"""
REFERENCE_ATTRIBUTES = """\
    publisher: str | None = None
    language: str | None = None
    issn: str | None = None
"""
MODEL_ATTRIBUTES = """\
    infusions: int | None = None
    routes: tuple[str, ...] = ()
    population: str | None = None
    reviewed: str | None = None
"""

# The seed's claims given the new fields (by the last line of each in claims.toml).
INFUSIONS = "ketamine-pain-60954fc8"  # "... a series of 4-6 infusions over 1-2 weeks."
ROUTES = "ketamine-pain-7160fbdd"  # "... via multiple routes, including oral, nasal, ..."
ROUTE_NAMES = ["oral", "nasal", "rectal", "intravenous", "intramuscular", "subcutaneous"]
ROUTE_NAMES += ["transdermal", "sublingual", "intraosseous"]
POPULATIONS = {
    "ketamine-pain-6927e12e": "patients with chronic pain conditions that don't respond well "
    "to conventional treatments",
    "ketamine-pain-4171f3f1": "complex chronic pain patients",
    "ketamine-pain-4c6e89c4": "patients with therapy-resistant severe neuropathic pain",
}
# A second date field, beside `added` and `changed` (which the seed's claims do not
# record): its ranges expand to its own dates.
REVIEWED = {INFUSIONS: "2026-11-30", ROUTES: "2026-12-05", "ketamine-pain-4c6e89c4": "2025-06-01"}


def _field_lines() -> dict[str, str]:
    """The lines each claim given the fields is given, by its id."""
    lines = {INFUSIONS: "infusions = 6\n", ROUTES: f"routes = {json.dumps(ROUTE_NAMES)}\n"}
    for claim, words in POPULATIONS.items():
        lines[claim] = lines.get(claim, "") + f"population = {json.dumps(words)}\n"
    for claim, date in REVIEWED.items():
        lines[claim] = lines.get(claim, "") + f'reviewed = "{date}"\n'
    return lines


def _insert_at_end(text: str, opening: str, entries: str) -> str:
    """`entries` added as the last items of the tuple that `opening` starts."""
    start = text.index(opening)
    end = text.index("\n)\n", start) + 1
    return text[:end] + entries + text[end:]


def _insert_in_class(text: str, name: str, attributes: str) -> str:
    """`attributes` added after the last attribute of the model's class `name`."""
    start = text.index(f"\nclass {name}:\n")
    end = text.index("\n\n    @", start) + 1
    return text[:end] + attributes + text[end:]


def _copy(root: Path) -> Path:
    """A copy of the package in `root`: the copy's folder."""
    copy = root / "evidencekb"
    shutil.copytree(
        Path(evidencekb.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__")
    )
    return copy


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the package with the recipe applied: the folder to put on PYTHONPATH."""
    root = tmp_path_factory.mktemp("recipe")
    copy = _copy(root)
    registry = copy / "registry.py"
    text = registry.read_text("utf-8")
    text = _insert_at_end(text, "CLAIM_FIELDS: tuple[ClaimField, ...] = (", CLAIM_FIELD_ENTRIES)
    text = _insert_at_end(text, "QUERY_FIELDS: tuple[QueryField, ...] = (", QUERY_FIELD_ENTRIES)
    text = _insert_at_end(text, "TOPIC_FIELDS: tuple[TopicField, ...] = (", TOPIC_FIELD_ENTRIES)
    text = _insert_at_end(
        text, "REFERENCE_FIELDS: tuple[ReferenceField, ...] = (", REFERENCE_FIELD_ENTRIES
    )
    registry.write_text(text, "utf-8")
    model = copy / "model.py"
    text = _insert_in_class(model.read_text("utf-8"), "Claim", MODEL_ATTRIBUTES)
    text = _insert_in_class(text, "Topic", TOPIC_ATTRIBUTES)
    last = "    citation_text: str | None = None  # the reference exactly as the source wrote it\n"
    model.write_text(text.replace(last, last + REFERENCE_ATTRIBUTES, 1), "utf-8")
    return root


def ekb(package: Path, *args: str, cache: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The copy run as `python -m evidencekb` (with its own cache folder, if given)."""
    environment = {**os.environ, "PYTHONPATH": str(package), "COLUMNS": "200"}
    environment |= {"XDG_CACHE_HOME": str(cache)} if cache else {}
    return subprocess.run(
        [sys.executable, "-m", "evidencekb", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
    )


def _give(kb_dir: Path, lines: dict[str, str]) -> None:
    """Add `lines` to the seed's claims, each at the end of the claim its key names."""
    path = kb_dir / SEED_CLAIMS
    tables = path.read_text("utf-8").split("\n\n")
    for claim, line in lines.items():
        (at,) = [i for i, table in enumerate(tables) if f'id = "{claim}"' in table]
        tables[at] = tables[at].rstrip("\n") + "\n" + line.rstrip("\n")
    path.write_text("\n\n".join(tables), "utf-8")


def _topic_line(kb_dir: Path, line: str) -> None:
    path = kb_dir / SEED_TOPIC
    path.write_text(path.read_text("utf-8") + line + "\n", "utf-8")


@pytest.fixture(scope="module")
def built(package: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The seed with some claims given the fields, checked and built by the copy."""
    folder = tmp_path_factory.mktemp("recipe-kb")
    kb_dir, site = folder / "kb", folder / "site"
    shutil.copytree(REPO / "kb", kb_dir)
    _give(kb_dir, _field_lines())
    _topic_line(kb_dir, 'language = "en"')
    checked = ekb(package, "check", "--kb", str(kb_dir))
    assert checked.returncode == 0, checked.stderr
    made = ekb(package, "build", "-q", "--kb", str(kb_dir), "--site-dir", str(site))
    assert made.returncode == 0, made.stderr
    return kb_dir, site


@pytest.mark.parametrize(
    ("opening", "entries", "said"),
    [
        ("CLAIM_FIELDS: tuple[ClaimField, ...] = (", CLAIM_FIELD_ENTRIES, "model.Claim has no"),
        ("TOPIC_FIELDS: tuple[TopicField, ...] = (", TOPIC_FIELD_ENTRIES, "model.Topic has no"),
        (
            "REFERENCE_FIELDS: tuple[ReferenceField, ...] = (",
            REFERENCE_FIELD_ENTRIES,
            "model.Reference has no attribute publisher, language, issn, which "
            "registry.REFERENCE_FIELDS",
        ),
    ],
)
def test_a_field_the_model_lacks_is_named_before_anything_runs(
    tmp_path: Path, kb_dir: Path, opening: str, entries: str, said: str
) -> None:
    """The recipe's step 2 forgotten: the loader says which attribute the model lacks,
    where it would fail on the first value with a TypeError of its own."""
    registry = _copy(tmp_path) / "registry.py"
    registry.write_text(_insert_at_end(registry.read_text("utf-8"), opening, entries), "utf-8")
    checked = ekb(tmp_path, "check", "--kb", str(kb_dir))
    assert checked.returncode != 0
    assert said in checked.stderr


def test_an_edit_of_the_new_fields_builds_the_bytes_a_full_build_writes(
    package: Path, built: tuple[Path, Path], tmp_path: Path
) -> None:
    """The promise of issue 20 for the parts the new fields are in (the claim pages,
    the database, the index, the site's search data): an edit of the fields' values,
    built on the earlier site, gives the same bytes as a full build with no cache."""
    kb_dir, site = built
    shutil.copytree(kb_dir, tmp_path / "kb")
    shutil.copytree(site, tmp_path / "site")
    shutil.copytree(index_dir(site), index_dir(tmp_path / "site"))
    claims = tmp_path / "kb" / SEED_CLAIMS
    text = claims.read_text("utf-8").replace("infusions = 6", "infusions = 4")
    claims.write_text(text.replace('"nasal", ', ""), "utf-8")  # a route struck off
    _give(tmp_path / "kb", {"ketamine-pain-4171f3f1": 'reviewed = "2026-12-01"'})
    # The edit built with the caches the earlier builds filled; the full build with none.
    runs = ((tmp_path / "site", (), None), (tmp_path / "full", ("--full",), tmp_path / "cache"))
    for target, options, cache in runs:
        made = ekb(package, "build", "-q", *options, "--kb", str(tmp_path / "kb"),
                   "--site-dir", str(target), cache=cache)  # fmt: skip
        assert made.returncode == 0, made.stderr
    incremental, full = files(tmp_path / "site"), files(tmp_path / "full")
    assert sorted(incremental) == sorted(full)
    assert [name for name in full if incremental[name] != full[name]] == []
    assert _cli_search(package, tmp_path / "kb", tmp_path / "site", "infusions:4") == [INFUSIONS]


def test_the_check_holds_each_new_field_to_its_kind(package: Path, kb_dir: Path) -> None:
    wrong = {INFUSIONS: "infusions = 0\npopulation = 4", ROUTES: 'routes = "oral"'}
    _give(kb_dir, wrong | {"ketamine-pain-4c6e89c4": 'reviewed = "2026-13-01"'})
    _topic_line(kb_dir, "language = 5")
    checked = ekb(package, "check", "--kb", str(kb_dir))
    assert checked.returncode == 1
    names = ("infusions", "population", "routes", "reviewed", "language")
    assert all(name in checked.stderr for name in names), checked.stderr
    assert "Traceback" not in checked.stderr


def test_the_database_has_a_column_of_each_value_and_a_table_of_the_list(
    built: tuple[Path, Path],
) -> None:
    _, site = built
    with sqlite3.connect(site / "evidencekb.db") as db:
        infusions = db.execute("select id, infusions from claims where infusions is not null")
        people = db.execute("select id, population from claims where population is not null")
        found = (infusions.fetchall(), dict(people.fetchall()))
        rows = db.execute("select * from claim_routes order by claim_id, position").fetchall()
        keys = db.execute("pragma foreign_key_list(claim_routes)").fetchall()
    assert found == ([(INFUSIONS, 6)], POPULATIONS)
    assert rows == [(ROUTES, n, name) for n, name in enumerate(ROUTE_NAMES, start=1)]
    assert [(key[2], key[3], key[4]) for key in keys] == [("claims", "claim_id", "id")]
    metadata = json.loads((site / "metadata.json").read_text("utf-8"))
    tables = metadata["databases"]["evidencekb"]["tables"]
    assert tables["claims"]["columns"]["population"] == "The patients it is about, in its words."
    assert tables["claim_routes"]["description"].startswith("The routes of administration")


def test_the_exports_carry_the_fields(package: Path, built: tuple[Path, Path]) -> None:
    kb_dir, _ = built
    exported = ekb(package, "export", "--kb", str(kb_dir), "--format", "json")
    claims = {c["id"]: c for c in json.loads(exported.stdout)}
    assert claims[INFUSIONS]["infusions"] == 6
    assert claims[ROUTES]["routes"] == ROUTE_NAMES
    assert {i: claims[i]["population"] for i in POPULATIONS} == POPULATIONS
    table = ekb(package, "export", "--kb", str(kb_dir), "--format", "csv")
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(table.stdout))}
    assert rows[INFUSIONS]["infusions"] == "6"
    assert "intraosseous" in rows[ROUTES]["routes"]


def test_show_and_the_page_list_them_by_label(package: Path, built: tuple[Path, Path]) -> None:
    kb_dir, site = built
    shown = ekb(package, "show", "--kb", str(kb_dir), ROUTES).stdout
    assert "Routes:      oral; nasal; rectal;" in shown
    page = (site / "claims" / f"{INFUSIONS}.html").read_text("utf-8")
    assert "<dt>Infusions in a series, at most</dt><dd>6</dd>" in page
    page = (site / "claims" / "ketamine-pain-6927e12e.html").read_text("utf-8")
    assert "<dt>Population</dt><dd>patients with chronic pain conditions that don&#39;t" in page


@pytest.mark.parametrize(
    ("query", "claims"),
    [
        ("infusions:6", [INFUSIONS]),
        ("routes:intraosseous", [ROUTES]),
        ("routes:Sublingual", [ROUTES]),
        ("population:neuropathic", ["ketamine-pain-4c6e89c4"]),
        ('population:"chronic pain"', ["ketamine-pain-4171f3f1", "ketamine-pain-6927e12e"]),
        ("population:patient", list(POPULATIONS)),  # stemmed, as text: and heading: are
        ("population:therapy-resistant", ["ketamine-pain-4c6e89c4"]),
        ("reviewed:2026-12-05", [ROUTES]),
        ("reviewed:2026", [INFUSIONS, ROUTES]),
        ("reviewed:2026-11..", [INFUSIONS, ROUTES]),
        ("reviewed:..2025-12", ["ketamine-pain-4c6e89c4"]),
        ("reviewed:2025-01..2026-11", ["ketamine-pain-4c6e89c4", INFUSIONS]),
        ("changed:2025..", []),  # the seed records no claim's changes
        ("infusions:5", []),
        ("routes:inhaled", []),
        ("population:children", []),
    ],
)
def test_both_front_ends_find_the_same_claims_by_each_field(
    package: Path, built: tuple[Path, Path], query: str, claims: list[str]
) -> None:
    kb_dir, site = built
    found = _cli_search(package, kb_dir, site, query)
    assert sorted(found) == sorted(claims)
    assert _site_search(site, query) == found  # in the same order


def test_the_topic_field_is_a_column_on_the_topic_page_and_shown_with_a_claim(
    package: Path, built: tuple[Path, Path]
) -> None:
    kb_dir, site = built
    shown = ekb(package, "show", "--json", "--kb", str(kb_dir), INFUSIONS)
    assert json.loads(shown.stdout)["topic_language"] == "en"
    with sqlite3.connect(site / "evidencekb.db") as db:
        rows = db.execute("select slug, language from topics").fetchall()
    assert rows == [("ketamine-pain", "en")]
    metadata = json.loads((site / "metadata.json").read_text("utf-8"))
    columns = metadata["databases"]["evidencekb"]["tables"]["topics"]["columns"]
    assert columns["language"].startswith("The language the summary is written in")
    page = (site / "topics" / "ketamine-pain" / "index.html").read_text("utf-8")
    assert '<dl class="facts"><dt>Language</dt><dd>en</dd></dl>' in page


def test_an_import_that_replaces_the_topic_keeps_the_fields_no_import_writes(
    package: Path, built: tuple[Path, Path], tmp_path: Path
) -> None:
    """`language` and the claim fields are none an import writes: a new version of the
    summary keeps them (a claim's, where the new version has the claim), as it keeps
    the review dates and each claim's dates."""
    kb_dir, _ = built
    kb_copy = tmp_path / "kb"
    shutil.copytree(kb_dir, kb_copy)
    topic = kb_copy / SEED_TOPIC
    summary = tmp_path / "000_7edb83ebcba9957e.txt"
    shutil.copy(topic.parent / "source.txt", summary)
    replaced = ekb(package, "import", str(summary), "--topic", "ketamine-pain", "--replace",
                   "--kb", str(kb_copy))  # fmt: skip
    assert replaced.returncode == 0, replaced.stderr
    assert 'language = "en"' in topic.read_text("utf-8")
    claims = (kb_copy / SEED_CLAIMS).read_text("utf-8")
    assert all(line in claims for lines in _field_lines().values() for line in lines.splitlines())
    checked = ekb(package, "check", "--kb", str(kb_copy))
    assert checked.returncode == 0, checked.stderr


# SciFact's claim 2 and the survey it cites (tests/data/evidence-sample.jsonl): the
# people it is about in its words ("1 in 5 million in UK ..."), and an editor's review
# date, as the seed's claims are given above.
SCIFACT_SAMPLE = REPO / "tests" / "data" / "evidence-sample.jsonl"
PRION = "scifact-2"
PRION_FIELDS = {"population": "UK", "reviewed": "2026-12-05"}
MODEL_TYPE = "    type: str | None = None\n"


def _jsonl(folder: Path, fields: Mapping[str, Mapping[str, object]]) -> Path:
    """The SciFact sample as a claims-jsonl file, each claim `fields` names (by id) given
    those keys besides its own."""
    lines = [json.loads(line) for line in SCIFACT_SAMPLE.read_text("utf-8").splitlines()]
    path = folder / "in.jsonl"
    given = (line | dict(fields.get(str(line.get("id")), {})) for line in lines)
    path.write_text("".join(json.dumps(line) + "\n" for line in given), "utf-8")
    return path


def _import_jsonl(package: Path, kb_dir: Path, path: Path, *more: str) -> str:
    """The copy's `ekb import --format claims-jsonl` of `path` as topic scifact: its
    claims.toml."""
    done = ekb(package, "import", str(path), "--format", "claims-jsonl", "--topic", "scifact",
               "--kb", str(kb_dir), *more)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return (kb_dir / "topics" / "scifact" / "claims.toml").read_text("utf-8")


def test_a_claims_jsonl_line_gives_the_new_claim_fields(package: Path, tmp_path: Path) -> None:
    """A claims-jsonl line may give every claim field the registry declares but those the
    import works out itself (kb/importer.py FROM_SOURCE): the new ones are written to
    claims.toml as given, then checked, exported and shown as the seed's are."""
    kb_dir = tmp_path / "kb"
    shutil.copytree(REPO / "kb", kb_dir)
    claims = _import_jsonl(package, kb_dir, _jsonl(tmp_path, {PRION: PRION_FIELDS}))
    assert 'population = "UK"\nreviewed = "2026-12-05"\n' in claims
    checked = ekb(package, "check", "--kb", str(kb_dir))
    assert checked.returncode == 0, checked.stderr
    exported = ekb(package, "export", "--kb", str(kb_dir), "--format", "json", "--topic", "scifact")
    found = {c["id"]: c for c in json.loads(exported.stdout)}
    assert {key: found[PRION][key] for key in PRION_FIELDS} == PRION_FIELDS
    assert found["scifact-10"]["population"] is None
    table = ekb(package, "export", "--kb", str(kb_dir), "--format", "csv", "--topic", "scifact")
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(table.stdout))}
    assert rows[PRION]["population"] == "UK"
    shown = ekb(package, "show", "--kb", str(kb_dir), PRION).stdout
    assert "Population:  UK" in shown and "Reviewed:    2026-12-05" in shown


def test_a_claims_jsonl_line_is_held_to_the_new_fields_kinds(
    package: Path, tmp_path: Path, kb_dir: Path
) -> None:
    """Each at the line that gives it: a kind or bound by the line's own check, a date by
    `ekb check`'s; an unknown key's error lists the allowed keys from the registry."""
    wrong = {"infusions": 0, "routes": "oral", "population": 4, "stance": "supports"}
    done = ekb(package, "import", str(_jsonl(tmp_path, {PRION: wrong})), "--format",
               "claims-jsonl", "--topic", "scifact", "--kb", str(kb_dir))  # fmt: skip
    path = tmp_path / "in.jsonl"
    assert done.stderr.splitlines()[:4] == [
        f"{path}:1: field 'infusions' is 0; it must be 1 or more",
        f"{path}:1: field 'population' must be text in double quotes",
        f'{path}:1: field \'routes\' must be a list of texts, like ["a", "b"]',
        f"{path}:1: unknown field 'stance'; allowed fields: citations, evidence, heading, id, "
        "infusions, population, relations, reviewed, routes, section, text, type",
    ]
    done = ekb(package, "import", str(_jsonl(tmp_path, {PRION: {"reviewed": "2026-13-01"}})),
               "--format", "claims-jsonl", "--topic", "scifact", "--kb", str(kb_dir))  # fmt: skip
    assert done.stderr == (
        f"{path}:1: reviewed '2026-13-01' is not a day of the calendar\nError: 1 problem found\n"
    )
    assert not (kb_dir / "topics" / "scifact").exists()


def test_a_claims_jsonl_import_that_replaces_a_topic_keeps_a_field_its_lines_leave_out(
    package: Path, tmp_path: Path, kb_dir: Path
) -> None:
    """What a line gives is written; a new field a line leaves out (or gives null) is
    kept from the claim replaced, as a summary's import keeps an editor's fields."""
    _import_jsonl(package, kb_dir, _jsonl(tmp_path, {PRION: PRION_FIELDS}))
    given = {PRION: {"population": "people in the UK", "reviewed": None}}
    claims = _import_jsonl(package, kb_dir, _jsonl(tmp_path, given), "--replace")
    assert 'population = "people in the UK"\nreviewed = "2026-12-05"\n' in claims
    checked = ekb(package, "check", "--kb", str(kb_dir))
    assert checked.returncode == 0, checked.stderr


def test_a_claim_field_named_as_a_claims_jsonl_lines_own_key_is_refused(
    tmp_path: Path, kb_dir: Path
) -> None:
    """`type` says what a line is: a claim field of that name could never be given by
    one, so the registry refuses the name (RESERVED_CLAIM_NAMES), as it does
    `evidence` and `relations`."""
    copy = _copy(tmp_path)
    declared = '    ClaimField("type", "text", "The kind of claim.", required=False),\n'
    opening = "CLAIM_FIELDS: tuple[ClaimField, ...] = ("
    text = _insert_at_end((copy / "registry.py").read_text("utf-8"), opening, declared)
    (copy / "registry.py").write_text(text, "utf-8")
    model = _insert_in_class((copy / "model.py").read_text("utf-8"), "Claim", MODEL_TYPE)
    (copy / "model.py").write_text(model, "utf-8")
    done = ekb(tmp_path, "import", str(SCIFACT_SAMPLE), "--format", "claims-jsonl", "--topic",
               "scifact", "--kb", str(kb_dir))  # fmt: skip
    assert done.returncode != 0
    assert "claim field 'type': the name is taken" in done.stderr


# GRADE's 2008 paper in the BMJ (reference 2 of fixtures.REFERENCED_SUMMARY), which
# BMJ Publishing Group publishes.
GRADE = "grading-2"
PUBLISHER = "BMJ Publishing Group"
SUFFIXES = {"csl-json": "json", "ris": "ris", "bibtex": "bib"}  # as `ekb refs import` reads them


def _referenced(package: Path, folder: Path) -> Path:
    """A copy of the seed with fixtures.REFERENCED_SUMMARY imported as topic `grading`."""
    kb_dir = folder / "kb"
    shutil.copytree(REPO / "kb", kb_dir)
    summary = folder / "grading.txt"
    summary.write_text(REFERENCED_SUMMARY, "utf-8")
    made = ekb(package, "import", str(summary), "--topic", "grading", "--kb", str(kb_dir))
    assert made.returncode == 0, made.stderr
    return kb_dir


def _refs_import(package: Path, kb_dir: Path, path: Path) -> None:
    done = ekb(package, "refs", "import", str(path), "--topic", "grading", "--kb", str(kb_dir))
    assert done.returncode == 0, done.stderr


def _read_back(package: Path, kb_dir: Path, fresh: Path, format_name: str, written: str) -> None:
    """The grading topic of `kb_dir` exported in the format, which writes `written` once,
    and imported into the kb `fresh`, which knows less of its works."""
    exported = ekb(
        package, "export", "--format", format_name, "--topic", "grading", "--kb", str(kb_dir)
    ).stdout
    assert exported.count(written) == 1
    path = fresh.parent / f"grading.{SUFFIXES[format_name]}"
    path.write_text(exported, "utf-8")
    _refs_import(package, fresh, path)


@pytest.fixture(scope="module")
def published(package: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The grading topic with its GRADE paper's publisher read from a RIS file: the
    topic's own RIS export, with the publisher's PB line added to that record."""
    folder = tmp_path_factory.mktemp("published")
    kb_dir = _referenced(package, folder)
    exported = ekb(package, "export", "--format", "ris", "--topic", "grading", "--kb", str(kb_dir))
    records = exported.stdout.split("ER  - ")
    (at,) = [i for i, record in enumerate(records) if f"ID  - {GRADE}\n" in record]
    records[at] += f"PB  - {PUBLISHER}\n"
    ris = folder / "grading.ris"
    ris.write_text("ER  - ".join(records), "utf-8")
    _refs_import(package, kb_dir, ris)
    return kb_dir


def test_a_reference_field_is_read_from_ris_and_checked(package: Path, published: Path) -> None:
    text = (published / "topics" / "grading" / "references.toml").read_text("utf-8")
    assert text.count(f'publisher = "{PUBLISHER}"') == 1
    checked = ekb(package, "check", "--kb", str(published))
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize(
    ("format_name", "written"),
    [
        ("csl-json", f'"publisher": "{PUBLISHER}"'),
        ("ris", f"PB  - {PUBLISHER}"),
        ("bibtex", f"publisher = {{{PUBLISHER}}}"),
    ],
)
def test_each_reference_managers_format_writes_it_and_reads_it_back(
    package: Path, published: Path, tmp_path: Path, format_name: str, written: str
) -> None:
    fresh = _referenced(package, tmp_path)
    _read_back(package, published, fresh, format_name, written)
    text = (fresh / "topics" / "grading" / "references.toml").read_text("utf-8")
    assert text.count(f'publisher = "{PUBLISHER}"') == 1


def test_the_reference_field_is_a_column_and_on_the_reference_page(
    package: Path, published: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    made = ekb(package, "build", "-q", "--kb", str(published), "--site-dir", str(site))
    assert made.returncode == 0, made.stderr
    with sqlite3.connect(site / "evidencekb.db") as db:
        rows = db.execute("select id, publisher from cited_works where publisher is not null")
        assert rows.fetchall() == [("grading-ref-2", PUBLISHER)]
    page = (site / "topics" / "grading" / "references" / "2.html").read_text("utf-8")
    assert "<dt>Publisher</dt>" in page and PUBLISHER in page


def test_a_reference_field_of_choices_is_what_its_query_field_takes(
    package: Path, published: Path, tmp_path: Path
) -> None:
    """`language` is declared with its choices, and a query field names it as where its
    allowed values come from (allowed="language"), and nothing more: `ekb check` holds a
    record to the list, and both front ends find the claims citing a work in it by its
    id or any name of it, and refuse a value outside it. GRADE's 2008 paper is in
    English (PubMed's LA: eng)."""
    kb_dir, site = tmp_path / "kb", tmp_path / "site"
    shutil.copytree(published, kb_dir)
    references = kb_dir / "topics" / "grading" / "references.toml"
    text, pmcid = references.read_text("utf-8"), 'pmcid = "PMC2335261"\n'
    assert text.count(pmcid) == 1
    references.write_text(text.replace(pmcid, pmcid + 'language = "en"\n'), "utf-8")
    made = ekb(package, "build", "-q", "--kb", str(kb_dir), "--site-dir", str(site))
    assert made.returncode == 0, made.stderr
    citing = _cli_search(package, kb_dir, site, "topic:grading cites:2")
    assert len(citing) == 1
    for query in ("language:en", "language:English", "language:ENG"):
        assert _cli_search(package, kb_dir, site, query) == citing
        assert _site_search(site, query) == citing
    assert _cli_search(package, kb_dir, site, "language:fr") == []
    unknown = ekb(package, "search", "--kb", str(kb_dir), "--site-dir", str(site), "language:de")
    assert 'unknown language "de" (allowed: en, fr)' in unknown.stderr
    references.write_text(text.replace(pmcid, pmcid + 'language = "de"\n'), "utf-8")
    checked = ekb(package, "check", "--kb", str(kb_dir))
    assert "unknown reference language 'de'; allowed: en, fr" in checked.stderr


# PubMed's MEDLINE records of the grading topic's works (fixtures.MEDLINE), GRADE's 2008
# paper with the lines PubMed gives it for its journal's ISSNs and its language.
GRADE_MEDLINE = MEDLINE.replace(
    "PMID- 18436948\n",
    "PMID- 18436948\nIS  - 1756-1833 (Electronic)\nIS  - 0959-8138 (Print)\n"
    "IS  - 0959-8138 (Linking)\nLA  - eng\n",
)
GRADE_RECORDED = ('language = "en"\n', 'issn = "1756-1833 (Electronic)"\n')


def _numbers_only(package: Path, folder: Path) -> Path:
    """The grading topic with its works known by their numbers alone."""
    kb_dir = _referenced(package, folder)
    references = kb_dir / "topics" / "grading" / "references.toml"
    numbers = "".join(f"[[reference]]\nnumber = {n}\n\n" for n in (1, 2, 3))
    references.write_text(numbers, "utf-8")
    return kb_dir


def _grade_record(kb_dir: Path) -> str:
    """The grading topic's references.toml from GRADE's record on (reference 2)."""
    text = (kb_dir / "topics" / "grading" / "references.toml").read_text("utf-8")
    return text[text.index("number = 2\n") :]


@pytest.fixture(scope="module")
def languages(package: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The grading topic filled from PubMed's MEDLINE records by the copy."""
    folder = tmp_path_factory.mktemp("languages")
    kb_dir = _numbers_only(package, folder)
    records = folder / "pubmed.nbib"
    records.write_text(GRADE_MEDLINE, "utf-8")
    _refs_import(package, kb_dir, records)
    return kb_dir


def test_a_field_of_choices_and_a_repeated_tag_are_read_from_medline(
    package: Path, languages: Path
) -> None:
    """`language` is read from MEDLINE's LA by a spelling of its choice ("eng"); `issn`
    is a text, so of IS's three lines it takes the first, and never runs the three
    ISSNs into one. Before: a field of choices could not be given its formats' names,
    and Bio.Medline joined the lines ("1756-1833 (Electronic) 0959-8138 (Print) ...")."""
    grade = _grade_record(languages)
    assert all(grade.count(line) == 1 for line in GRADE_RECORDED), grade
    assert "0959-8138" not in grade
    checked = ekb(package, "check", "--kb", str(languages))
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize(
    ("format_name", "written"),
    [
        ("csl-json", '"language": "English"'),
        ("ris", "LA  - English"),
        ("bibtex", "language = {English}"),
    ],
)
def test_a_field_of_choices_is_written_and_read_back_by_each_format(
    package: Path, languages: Path, tmp_path: Path, format_name: str, written: str
) -> None:
    """Written by its words, as `design` is, and read back by them: a copy of the topic
    that knows only its numbers gets the language and the ISSN back."""
    fresh = _numbers_only(package, tmp_path)
    _read_back(package, languages, fresh, format_name, written)
    grade = _grade_record(fresh)
    assert all(grade.count(line) == 1 for line in GRADE_RECORDED), grade


def test_a_choice_rispy_keeps_one_of_is_refused_given_twice(
    package: Path, languages: Path, tmp_path: Path
) -> None:
    """RIS's LA is a tag rispy keeps the first value of: a second line is refused at its
    line, as one of VL is, never dropped."""
    exported = ekb(
        package, "export", "--format", "ris", "--topic", "grading", "--kb", str(languages)
    ).stdout
    path = tmp_path / "grading.ris"
    path.write_text(exported.replace("LA  - English\n", "LA  - English\nLA  - French\n"), "utf-8")
    done = ekb(package, "refs", "import", str(path), "--topic", "grading", "--kb", str(languages))
    assert done.returncode == 1
    assert "LA is given again" in done.stderr


def test_an_index_made_for_other_fields_is_made_again(
    package: Path, kb_dir: Path, tmp_path: Path
) -> None:
    """A field declared for values claims have already: kb/ is unchanged, but the
    index made before the declaration holds no keys of it, and is made again."""
    site = tmp_path / "site"
    runs = ((None, "ketamine", "building"), (package, "routes:oral", "building"))
    for code, query, made in (*runs, (package, "routes:oral", None), runs[0]):
        environment = {**os.environ, "PYTHONPATH": str(code)} if code else dict(os.environ)
        found = subprocess.run(
            [sys.executable, "-m", "evidencekb", "search", "--kb", str(kb_dir),
             "--site-dir", str(site), query],
            capture_output=True, text=True, env=environment, timeout=300, check=False,
        )  # fmt: skip
        assert found.returncode == 0, found.stderr
        assert (made in found.stderr) if made else found.stderr == ""


def test_a_field_declared_coded_is_coded_in_the_index(tmp_path: Path, kb_dir: Path) -> None:
    """`coded` on another choice of the claim's own (the topic, one a claim): the index's
    metadata holds its codes as it does the section's and strength's, and a query or
    filter of it reads them, finding what the uncoded field finds."""
    registry = _copy(tmp_path) / "registry.py"
    text = registry.read_text("utf-8")
    declared = 'menu=("Topic", "Any topic"),\n'
    assert text.count(declared) == 1
    registry.write_text(text.replace(declared, declared + "        coded=True,\n"), "utf-8")
    site = tmp_path / "site"
    seed = _cli_search(REPO / "src", kb_dir, site, "topic:ketamine-pain ketamine")
    assert seed
    for query in ("topic:ketamine-pain ketamine", "section:research topic:ketamine-pain"):
        coded = _cli_search(tmp_path, kb_dir, site, query)
        assert coded == _cli_search(REPO / "src", kb_dir, site, query)
    filtered = ekb(tmp_path, "search", "--kb", str(kb_dir), "--site-dir", str(site), "--json",
                   "--topic", "ketamine-pain", "ketamine")  # fmt: skip
    assert [hit["id"] for hit in json.loads(filtered.stdout)] == seed


def _cli_search(package: Path, kb_dir: Path, site: Path, query: str) -> list[str]:
    """The claims `ekb search` finds, best first, run by the copy."""
    found = ekb(package, "search", "--kb", str(kb_dir), "--site-dir", str(site), "--json", query)
    assert found.returncode == 0, found.stderr
    return [hit["id"] for hit in json.loads(found.stdout)]


def _site_search(site: Path, query: str) -> list[str]:
    """The claims the site's search code finds, best first (static/search-core.js under
    Node.js)."""
    done = subprocess.run(
        [node(), str(REPO / "bench" / "search_core.js"), str(site), "10"],
        input=json.dumps({"query": query}) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    (answer,) = map(json.loads, done.stdout.splitlines())
    assert answer["error"] is None, answer["error"]
    return list(answer["ids"])
