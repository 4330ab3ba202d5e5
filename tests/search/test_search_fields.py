"""Field queries over the cited works (author:, journal:, year:, doi:, pmid:) and their
evidence (stance:, contested:, --stance, --contested), on real works: the seed kb plus
the evidence sample (SciFact's claims and labels) and a topic citing three real papers
with their full records (tests/fixtures.py)."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from whoosh import query as wq

from evidencekb.errors import QueryError
from evidencekb.kb.fingerprint import kb_fingerprint
from evidencekb.kb.load import load_kb
from evidencekb.model import KnowledgeBase
from evidencekb.registry import query_field
from evidencekb.search.engine import Filters, SearchResults, search
from evidencekb.search.fields import claim_fields, keyword_query, name_keys
from evidencekb.search.writer import write_index
from fixtures import REPO_KB, add_evidence_sample, add_grading_topic


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[KnowledgeBase, Path]:
    work = tmp_path_factory.mktemp("fields")
    kb_dir = work / "kb"
    shutil.copytree(REPO_KB, kb_dir)
    add_evidence_sample(kb_dir)
    add_grading_topic(kb_dir, work)
    kb = load_kb(kb_dir)  # `ekb check` accepts it
    write_index(kb, work / "whoosh", fingerprint=kb_fingerprint(kb_dir))
    return kb, work / "whoosh"


@pytest.fixture(scope="module")
def index_dir(built: tuple[KnowledgeBase, Path]) -> Path:
    return built[1]


@pytest.fixture(scope="module")
def cohen_guyatt_santesso(built: tuple[KnowledgeBase, Path]) -> tuple[str, str, str]:
    """The ids of the grading topic's claims citing Cohen 2018, Guyatt 2008 and
    Santesso 2020 (references 1, 2 and 3)."""
    claims = built[0].topic("grading").claims
    by_citation = {claim.citations: claim.id for claim in claims}
    return by_citation[(1,)], by_citation[(2,)], by_citation[(3,)]


def ids(results: SearchResults) -> list[str]:
    return [str(hit.claim["id"]) for hit in results.hits]


def found(index_dir: Path, query: str, **filters: str) -> set[str]:
    return set(ids(search(index_dir, query, filters=Filters.of(**filters), limit=100)))


def test_author_by_family_name_whole_name_or_without_accents(
    index_dir: Path, cohen_guyatt_santesso: tuple[str, str, str]
) -> None:
    cohen, guyatt, santesso = cohen_guyatt_santesso
    # Guyatt wrote GRADE 2008 (as "Guyatt GH") and GRADE 26 (as "Guyatt G").
    assert found(index_dir, "author:Guyatt") == {guyatt, santesso}
    assert found(index_dir, "author:guyatt") == {guyatt, santesso}
    assert found(index_dir, 'author:"Guyatt GH"') == {guyatt}
    assert found(index_dir, 'author:"guyatt g"') == {santesso}
    assert found(index_dir, "author:Schünemann") == {guyatt, santesso}
    assert found(index_dir, "author:schunemann") == {guyatt, santesso}
    # The accent typed apart (U+0308 after the u), as text pasted from a PDF may be.
    assert found(index_dir, "author:Schu\u0308nemann") == {guyatt, santesso}
    assert found(index_dir, "author:Alonso-Coello") == {guyatt}
    assert found(index_dir, "author:Cohen") == {cohen}
    # A name nobody cited wrote: nothing, and nothing wrong.
    assert found(index_dir, "author:Hippocrates") == set()
    # Words of two names are no name.
    assert found(index_dir, 'author:"GH Oxman"') == set()


def test_journal_by_name_or_word(
    index_dir: Path, cohen_guyatt_santesso: tuple[str, str, str]
) -> None:
    cohen, guyatt, santesso = cohen_guyatt_santesso
    assert found(index_dir, "journal:BMJ") == {guyatt}
    assert found(index_dir, 'journal:"J Clin Epidemiol"') == {santesso}
    assert found(index_dir, 'journal:"reg anesth pain med"') == {cohen}
    assert found(index_dir, "journal:epidemiol") == {santesso}
    assert found(index_dir, 'journal:"Anesth Pain"') == {cohen}
    assert found(index_dir, 'journal:"Pain Anesth"') == set()
    assert found(index_dir, "journal:Lancet") == set()


def test_year_and_ranges(index_dir: Path, cohen_guyatt_santesso: tuple[str, str, str]) -> None:
    cohen, guyatt, santesso = cohen_guyatt_santesso
    assert found(index_dir, "year:2008") == {guyatt}
    assert found(index_dir, "year:2018..2020") == {cohen, santesso}
    assert found(index_dir, "year:2010..") == {cohen, santesso}
    assert found(index_dir, "year:..2018") == {cohen, guyatt}
    assert found(index_dir, "year:2009..2017") == set()
    assert found(index_dir, "year:1999") == set()
    assert found(index_dir, "NOT year:2008..2018 AND topic:grading") == {santesso}


def test_a_year_range_scores_once_however_many_works_fall_in_it(index_dir: Path) -> None:
    """A range adds the same score to every claim it matches, as a single year does:
    the order of the words' results is kept."""
    words = ids(search(index_dir, "evidence", limit=50))
    ranged = ids(search(index_dir, "evidence year:2000..2020", limit=50))
    assert ranged and ranged == [claim for claim in words if claim in set(ranged)]
    scores = {hit.score for hit in search(index_dir, "year:2000..2020", limit=50).hits}
    assert scores == {1.0}
    # A claim citing works of 2008 and 2018 would match twice in an OR of the years;
    # the range is one constant-score query.
    meta = SimpleNamespace(values={}, ranges={"year": (2008, 2018, 2020)}, codes={})
    assert keyword_query(query_field("year"), "2000..2018", meta) == wq.ConstantScoreQuery(
        wq.Or([wq.Term("year", "2008"), wq.Term("year", "2018")]), 1.0
    )


def test_doi_in_any_case_or_as_a_link_and_pmid_exactly(
    index_dir: Path, cohen_guyatt_santesso: tuple[str, str, str]
) -> None:
    cohen, guyatt, santesso = cohen_guyatt_santesso
    assert found(index_dir, "doi:10.1097/AAP.0000000000000808") == {cohen}
    assert found(index_dir, "doi:10.1097/aap.0000000000000808") == {cohen}
    assert found(index_dir, "doi:https://doi.org/10.1016/J.JCLINEPI.2019.10.014") == {santesso}
    assert found(index_dir, 'doi:"doi: 10.1016/j.jclinepi.2019.10.014"') == {santesso}
    assert found(index_dir, "pmid:31711912") == {santesso}
    assert found(index_dir, "doi:10.1136/bmj.39489.470347.ad") == {guyatt}
    assert found(index_dir, "pmid:29870458") == {cohen}
    assert found(index_dir, "pmid:3171191") == set()  # exact, not a prefix
    assert found(index_dir, "doi:10.1097/AAP.000000000000080") == set()


def test_stance_and_contested(built: tuple[KnowledgeBase, Path], index_dir: Path) -> None:
    kb = built[0]
    # SciFact labels abstract 13734012 CONTRADICT for claim 2.
    assert found(index_dir, "stance:contradicts") == {"scifact-2"}
    assert found(index_dir, "stance:Contradicts") == {"scifact-2"}
    assert found(index_dir, 'stance:"Not recorded"') == found(index_dir, "stance:not-stated")
    cited = {claim.id for claim in kb.claims if claim.citations}
    assert found(index_dir, "stance:not-stated") == cited - {"scifact-2"}
    assert found(index_dir, "stance:supports") == set()
    # A curator records that claim 11 contradicts claim 10.
    assert found(index_dir, "contested:yes") == {"scifact-10", "scifact-11"}
    everything = {claim.id for claim in kb.claims}
    assert found(index_dir, "contested:NO") == everything - {"scifact-10", "scifact-11"}


def test_stance_and_contested_filters_restrict_like_the_field_queries(index_dir: Path) -> None:
    assert found(index_dir, "PrP", stance="contradicts") == {"scifact-2"}
    assert found(index_dir, "PrP", stance="supports") == set()
    assert found(index_dir, "stress", contested="yes") == {"scifact-10", "scifact-11"}
    assert found(index_dir, "stress", contested="no") == set()
    assert found(index_dir, "stress", contested="no", stance="not-stated") == set()
    assert found(index_dir, "evidence", stance="not-stated", contested="no") == found(
        index_dir, "evidence stance:not-stated contested:no"
    )


@pytest.mark.parametrize(
    ("query", "filters", "message"),
    [
        ("year:2018-2020", {}, 'year: needs a year or a range of years, e.g. year:2008 or '
         'year:2015..2020 (got "2018-2020")'),
        ("year:..", {}, 'year: needs a year or a range of years, e.g. year:2008 or '
         'year:2015..2020 (got "..")'),
        ("year:18", {}, 'year: needs a year or a range of years, e.g. year:2008 or '
         'year:2015..2020 (got "18")'),
        ("year:2020..2018", {}, "year range 2020..2018 ends before it starts"),
        ("doi:AAP.0000000000000808", {}, 'doi: needs a DOI, e.g. '
         'doi:10.1136/bmj.39489.470347.AD (got "AAP.0000000000000808")'),
        ("pmid:PMC2335261", {}, 'pmid: needs a PubMed id (digits), e.g. pmid:18436948 '
         '(got "PMC2335261")'),
        ('author:"—"', {}, 'author: needs a name or words of one, e.g. author:Guyatt '
         '(got "—")'),
        ("stance:agrees", {}, 'unknown stance "agrees" (allowed: contradicts, no-evidence, '
         "not-stated, supports)"),
        ("contested:maybe", {}, 'unknown contested "maybe" (allowed: yes, no)'),
        ("ketamine", {"stance": "agrees"}, 'unknown stance "agrees" (allowed: contradicts, '
         "no-evidence, not-stated, supports)"),
        ("ketamine", {"contested": "true"}, 'unknown contested "true" (allowed: yes, no)'),
        ("journal:", {}, '"journal:" at character 1 needs a value, e.g. journal:BMJ or '
         'journal:"J Clin Epidemiol"'),
    ],
)  # fmt: skip
def test_a_bad_value_says_what_is_allowed(
    index_dir: Path, query: str, filters: dict[str, str], message: str
) -> None:
    with pytest.raises(QueryError) as caught:
        search(index_dir, query, filters=Filters.of(**filters))
    assert str(caught.value) == message


@pytest.fixture(scope="module")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("seed") / "whoosh"
    write_index(load_kb(REPO_KB), target, fingerprint=kb_fingerprint(REPO_KB))
    return target


def test_on_the_seed_bare_numbers_find_nothing_and_every_stance_is_not_stated(
    seed_index: Path,
) -> None:
    seed = load_kb(REPO_KB)
    for query in ("author:Cohen", "journal:BMJ", "year:2018", "year:1900..2100", "pmid:1"):
        assert found(seed_index, query) == set(), query
    assert found(seed_index, "doi:10.1097/AAP.0000000000000808") == set()
    cited = {claim.id for claim in seed.claims if claim.citations}
    assert cited and found(seed_index, "stance:not-stated") == cited
    assert found(seed_index, "stance:supports OR stance:contradicts") == set()
    assert found(seed_index, "contested:yes") == set()
    assert found(seed_index, "contested:no") == {claim.id for claim in seed.claims}


def test_what_a_claim_holds_in_the_fields(built: tuple[KnowledgeBase, Path]) -> None:
    kb = built[0]
    grading = kb.topic("grading")
    claim = next(c for c in grading.claims if c.citations == (2,))
    values = claim_fields(claim, [grading.references[1]])
    assert set(values["author"].split()) >= {"guyatt+gh", "guyatt", "gh", "alonso+coello+p"}
    assert {"schünemann+hj", "schunemann+hj"} <= set(values["author"].split())
    assert values["journal"] == "bmj"
    assert values["year"] == "2008"
    assert values["doi"] == "10.1136/BMJ.39489.470347.AD"  # compared in upper case
    assert values["pmid"] == "18436948"
    assert values["stance"] == "not-stated"
    assert values["contested"] == "no"
    assert name_keys("—") == set()
