"""Long lists of claims cut into numbered pages: a topic's claims, an entity's, a
category's.

A page holds at most PAGE_CLAIMS claims. Claims that stand under one place (a topic's
heading, or a topic, section and heading on an entity's page) stay on one page unless
there are more of them than a page holds, so that a page does not start mid-heading
without need. Page 1 keeps the listing's address (paths.listing_page), and each page
links to every other, so a claim on page n is two clicks from the listing's first page.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

from evidencekb.model import Claim
from evidencekb.paths import listing_page

# 100 claims make a page that is quick to load on a phone; a topic of a thousand claims
# gets ten or so pages, all linked from each.
PAGE_CLAIMS = 100


def paginate(
    claims: Sequence[Claim], place: Callable[[Claim], Hashable]
) -> tuple[tuple[Claim, ...], ...]:
    """The claims, in their order, cut into pages of at most PAGE_CLAIMS. A page ends
    before a run of claims with the same place that would not fit on it, unless the page
    is empty; a run longer than a page is cut into full pages. Always at least one page,
    empty for no claims, so that every listing has its first page."""
    pages: list[list[Claim]] = [[]]
    for run in _runs(claims, place):
        if pages[-1] and len(pages[-1]) + len(run) > PAGE_CLAIMS:
            pages.append([])
        for claim in run:
            if len(pages[-1]) == PAGE_CLAIMS:
                pages.append([])
            pages[-1].append(claim)
    return tuple(tuple(page) for page in pages)


def _runs(claims: Sequence[Claim], place: Callable[[Claim], Hashable]) -> list[list[Claim]]:
    runs: list[list[Claim]] = []
    for claim in claims:
        if runs and place(runs[-1][-1]) == place(claim):
            runs[-1].append(claim)
        else:
            runs.append([claim])
    return runs


@dataclass(frozen=True)
class Pagination:
    """Where one page stands in its listing, for the page's navigation."""

    first: str  # the site path of the listing's first page: its permanent address
    number: int  # 1-based
    count: int
    total: int  # claims in the whole listing

    @property
    def path(self) -> str:
        return self.href(self.number)

    def href(self, number: int) -> str:
        return listing_page(self.first, number)

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.count else None


def listing(
    first: str, pages: tuple[tuple[Claim, ...], ...]
) -> list[tuple[Pagination, tuple[Claim, ...]]]:
    """Each page of a listing with its place in it."""
    total = sum(len(page) for page in pages)
    return [
        (Pagination(first, number, len(pages), total), page)
        for number, page in enumerate(pages, start=1)
    ]
