"""A query within the limits runs as typed, whatever its correction would be: a
correction that would pass the limits (it can be longer than the query) is not
offered, since the one who followed it would be told it is too long."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidencekb.errors import QueryError
from evidencekb.search.engine import search
from evidencekb.search.query import MAX_QUERY_CHARS
from fixtures import ekb_here, seed_index

TYPO, CORRECTED = "laryngospsm", "laryngospasm"  # the correction is a letter longer


def padded(length: int) -> str:
    """A query of `length` characters: a phrase no claim has, and TYPO."""
    padding = length - len(f'"" {TYPO}')
    return f'"{"z" * padding}" {TYPO}'


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_index("seed", tmp_path_factory.mktemp("site"))


def test_a_query_of_the_longest_length_runs_without_its_too_long_correction(
    index_dir: Path,
) -> None:
    query = padded(MAX_QUERY_CHARS)
    assert len(query) == MAX_QUERY_CHARS
    results = search(index_dir, query)
    assert results.corrected_query is None
    assert (results.hits, results.total) == ((), 0)


def test_a_correction_within_the_limit_is_offered(index_dir: Path) -> None:
    query = padded(MAX_QUERY_CHARS - 1)
    results = search(index_dir, query)
    assert results.corrected_query == query.replace(TYPO, CORRECTED)
    assert len(results.corrected_query) == MAX_QUERY_CHARS
    assert results.total == 1


def test_a_query_over_the_limit_is_still_refused(index_dir: Path) -> None:
    with pytest.raises(QueryError, match="query too long: 2001 characters"):
        search(index_dir, padded(MAX_QUERY_CHARS + 1))


def test_ekb_search_runs_the_longest_query(kb_dir: Path, tmp_path: Path) -> None:
    site = str(tmp_path / "site")
    assert ekb_here("search", "--kb", str(kb_dir), "--site-dir", site, "x").exit_code == 0
    query = padded(MAX_QUERY_CHARS)
    result = ekb_here("search", "--kb", str(kb_dir), "--site-dir", site, query)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.startswith("No claims match")
