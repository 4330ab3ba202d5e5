"""A page's key is made from what its template reads, found in the template's source:
a template that starts reading a look-up has that look-up's answers in its pages'
keys, with no list to keep, and one that reads something undeclared stops the build."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import jinja2
import pytest

from evidencekb.model import Claim, KnowledgeBase, Topic
from evidencekb.site.context import RELATED_LIMIT, SiteLookups
from evidencekb.site.evidence import EvidenceIndex
from evidencekb.site.pagekeys import PageKeys
from evidencekb.site.render import _environment, _pages, bound_templates
from evidencekb.site.templatereads import PageKeyError, ParsedOnce
from fixtures import long_kb

CODE = "the same code"  # the templates below differ; the key of the code is held still
PLAIN = "{{ claim.text }}"
# The same page, also listing the claims that share an entity with it.
READING = PLAIN + (
    "{% for group in related_claims(claim) %}"
    "{% for other in group.claims %} {{ other.text }}{% endfor %}{% endfor %}"
)


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return long_kb()


def environment(kb: KnowledgeBase, templates: dict[str, str]) -> jinja2.Environment:
    """The site's environment, with `templates` beside the site's own."""
    lookups = SiteLookups.build(kb)
    env = _environment(lookups, EvidenceIndex.build(kb))
    assert isinstance(env.loader, ParsedOnce)
    env.loader = ParsedOnce(jinja2.ChoiceLoader([jinja2.DictLoader(templates), env.loader.loader]))
    return env


def page_keys(kb: KnowledgeBase, env: jinja2.Environment) -> PageKeys:
    return PageKeys(kb, env.globals["lookups"], CODE, env, bound_templates())


def claim_page(kb: KnowledgeBase, claim_id: str) -> dict[str, Any]:
    claim = next(claim for claim in kb.claims if claim.id == claim_id)
    return {"claim": claim, "topic": next(t for t in kb.topics if t.slug == claim.topic)}


def changed(kb: KnowledgeBase, claim: Claim, text: str) -> KnowledgeBase:
    def topic(t: Topic) -> Topic:
        return replace(
            t, claims=tuple(replace(c, text=text) if c == claim else c for c in t.claims)
        )

    return replace(kb, topics=tuple(topic(t) for t in kb.topics))


def test_a_template_that_starts_reading_a_look_up_has_its_answers_in_its_keys(
    kb: KnowledgeBase,
) -> None:
    """A claim of another topic that shares an entity with the page's claim is edited:
    the page that lists it is made anew; the one that does not read it is kept."""
    cells = SiteLookups.build(kb).by_entity["cell"]
    listed = cells[0]
    reader = next(c for c in cells[RELATED_LIMIT + 1 :] if c.topic != listed.topic)
    edited = changed(kb, listed, listed.text.removesuffix(".") + ", as reported.")
    for template, read in ((PLAIN, False), (READING, True)):
        keys, pages = [], []
        for version in (kb, edited):
            env = environment(version, {"probe.html": template})
            variables = claim_page(version, reader.id)
            keys.append(page_keys(version, env).key("probe.html", "probe.html", variables))
            pages.append(env.get_template("probe.html").render(**variables))
        assert (pages[0] != pages[1]) is read  # the edit shows on the page that reads it
        assert (keys[0] != keys[1]) is read  # and only that page's key changes


def test_reads_are_found_through_included_templates_and_macros(kb: KnowledgeBase) -> None:
    templates = {
        "outer.html": '{% import "lib.html" as lib %}{% include "inner.html" %}{{ lib.m() }}',
        "inner.html": "{{ claim.text }}",
        "lib.html": "{% macro m() %}{{ related_claims(claim) | length }}{% endmacro %}",
    }
    env = environment(kb, templates)
    reads = page_keys(kb, env).reads.of("outer.html")
    assert "related_claims" in reads


def test_a_page_that_reads_all_of_the_kb_is_rendered_every_time(kb: KnowledgeBase) -> None:
    env = environment(kb, {"counts.html": "{{ kb.topics | length }}"})
    variables = claim_page(kb, kb.claims[0].id)
    assert page_keys(kb, env).key("counts.html", "counts.html", variables) is None


def test_a_template_reading_what_no_key_declares_stops_the_build(kb: KnowledgeBase) -> None:
    env = environment(kb, {"odd.html": "{{ lookups.source_line_counts }}"})
    variables = claim_page(kb, kb.claims[0].id)
    with pytest.raises(PageKeyError, match=r"odd\.html reads lookups\.source_line_counts"):
        page_keys(kb, env).key("odd.html", "odd.html", variables)
    env.globals["mystery"] = lambda: "?"
    with pytest.raises(PageKeyError, match="given mystery, which"):
        page_keys(kb, env)


def test_the_sites_pages_that_are_kept_between_builds(kb: KnowledgeBase) -> None:
    """Every template's reads are declared; the pages of one topic, claim, reference or
    term, and the search page (its filter menus are its variables), are kept while
    their inputs hold; the pages of the whole kb's lists and counts are made anew."""
    env = environment(kb, {})
    keys = page_keys(kb, env)
    pages = list(_pages(kb, env.globals["lookups"]))
    kept = {template for path, template, variables in pages if keys.key(path, template, variables)}
    shown = {template for _, template, _ in pages}  # this kb's topics keep no summary
    assert kept == shown & {
        "category.html", "claim.html", "contested.html", "entity.html", "reference.html",
        "search.html", "source.html", "topic.html",
        # What's new and its feed: their variables hold every dated change they list.
        "changes.html", "changes.atom",
    }  # fmt: skip
    assert shown - kept == {
        "about.html", "categories.html", "entities.html", "home.html", "stances.html",
        "strength.html",
    }  # fmt: skip


def test_the_claim_page_lists_labelled_fields_as_ekb_show_does(kb: KnowledgeBase) -> None:
    """A claim field declared with a label is shown on the claim's page from the one
    list `ekb show` reads (registry.claim_facts), and the page's key knows it reads it."""
    from evidencekb.registry import claim_facts

    env = environment(kb, {})
    assert env.globals["claim_facts"] is claim_facts
    assert "claim_facts" in page_keys(kb, env).reads.of("claim.html")
