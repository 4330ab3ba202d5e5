"""`year:` and `changed:` take only years, months and days the calendar has: a value of
the right shape that names none (month 13, February 30, year 0) is the field's error,
as a value of the wrong shape is."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidencekb.errors import QueryError
from evidencekb.search.engine import Filters, search
from fixtures import ekb_here, seed_index

CHANGED = (
    "changed: needs a date (2026-12-05, 2026-12 or 2026) or a range of them, "
    'e.g. changed:2026-12-05 or changed:2026-01.. (got "{}")'
)
YEAR = 'year: needs a year or a range of years, e.g. year:2008 or year:2015..2020 (got "{}")'


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_index("seed", tmp_path_factory.mktemp("site"))


@pytest.mark.parametrize(
    "value",
    [
        "2026-13",
        "2026-00",
        "2026-02-30",
        "2025-02-29",
        "2026-04-31",
        "2026-01-00",
        "0000",
        "0000-01-01",
        "2026-12-99..",
        "..2026-13",
        "2026-01..2026-02-30",
    ],
)
def test_a_day_or_month_the_calendar_lacks_is_an_error(index_dir: Path, value: str) -> None:
    with pytest.raises(QueryError) as caught:
        search(index_dir, f"changed:{value}")
    assert str(caught.value) == CHANGED.format(value)
    with pytest.raises(QueryError) as filtered:
        search(index_dir, "ketamine", filters=Filters.of(changed=value))
    assert str(filtered.value) == CHANGED.format(value)


@pytest.mark.parametrize("value", ["0000", "0000..2020", "..0000"])
def test_year_zero_is_an_error(index_dir: Path, value: str) -> None:
    with pytest.raises(QueryError) as caught:
        search(index_dir, f"year:{value}")
    assert str(caught.value) == YEAR.format(value)


@pytest.mark.parametrize(
    "query", ["changed:2024-02-29", "changed:2026-12-31..", "changed:0001..9999", "year:0001"]
)
def test_days_and_years_the_calendar_has_are_taken(index_dir: Path, query: str) -> None:
    search(index_dir, query)  # no error: a leap day, the last day, the first year


def test_ekb_search_says_so_in_one_line(kb_dir: Path, tmp_path: Path) -> None:
    site = str(tmp_path / "site")
    assert ekb_here("search", "--kb", str(kb_dir), "--site-dir", site, "x").exit_code == 0
    for args, expected in (
        (["changed:2026-02-30"], CHANGED.format("2026-02-30")),
        (["--changed", "2026-13", "ketamine"], CHANGED.format("2026-13")),
        (["year:0000"], YEAR.format("0000")),
    ):
        result = ekb_here("search", "--kb", str(kb_dir), "--site-dir", site, *args)
        assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"Error: {expected}\n")
