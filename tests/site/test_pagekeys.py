"""A page's key is made from what its template reads, found in the template's source:
a template that starts reading a look-up has that look-up's answers in its pages'
keys, with no list to keep, and one that reads something undeclared stops the build."""

from __future__ import annotations

import shutil
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import jinja2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidencekb.kb.load import load_kb
from evidencekb.model import Claim, KnowledgeBase, Relation, Topic
from evidencekb.site.context import RELATED_LIMIT, SiteLookups
from evidencekb.site.evidence import EvidenceIndex
from evidencekb.site.pagekeys import PageKeys
from evidencekb.site.render import Renderer, _environment, _pages, bound_templates
from evidencekb.site.templatereads import PageKeyError, ParsedOnce
from fixtures import (
    EDITS,
    REPO_KB,
    WORDS,
    Edit,
    add,
    add_evidence_sample,
    drop,
    long_kb,
    reword_claim,
    scratch,
)

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


# -- a page kept is the page a build would render ------------------------------------


@pytest.fixture(scope="module")
def evidence_kb_model(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    """The repository's kb with the evidence sample topic: a summary kept as imported,
    cited works with stances and quotations, a curated relation."""
    kb_dir = tmp_path_factory.mktemp("kb") / "kb"
    shutil.copytree(REPO_KB, kb_dir)
    add_evidence_sample(kb_dir)
    return load_kb(kb_dir)


def _middle(kb: KnowledgeBase, index: int) -> tuple[int, Topic, int]:
    i = index % len(kb.topics)
    topic = kb.topics[i]
    return i, topic, len(topic.claims) // 2


def _with(kb: KnowledgeBase, i: int, topic: Topic) -> KnowledgeBase:
    return replace(kb, topics=(*kb.topics[:i], topic, *kb.topics[i + 1 :]))


def cite_a_second_work(kb: KnowledgeBase, index: int, word: str) -> KnowledgeBase:
    """The middle claim of a topic cites the topic's first work too: the claims citing
    that work list it among their related claims."""
    i, topic, j = _middle(kb, index)
    first = topic.references[0].number
    claims = list(topic.claims)
    if not claims or first in claims[j].citations:
        return kb
    claims[j] = replace(claims[j], citations=(*claims[j].citations, first))
    return _with(kb, i, replace(topic, claims=tuple(claims)))


def drop_claim(kb: KnowledgeBase, index: int, word: str) -> KnowledgeBase:
    """A claim in no curated relation taken out of the middle of its topic: the topic's
    count and its list's pages change."""
    i, topic, j = _middle(kb, index)
    if not topic.claims or topic.claims[j].relations:
        return kb
    return _with(kb, i, replace(topic, claims=topic.claims[:j] + topic.claims[j + 1 :]))


def shorten_summary(kb: KnowledgeBase, index: int, word: str) -> KnowledgeBase:
    """The topic's summary as imported loses its second half: the claims stated there
    no longer link to their lines."""
    i, topic, _ = _middle(kb, index)
    lines = topic.source_text.splitlines(keepends=True)
    return _with(kb, i, replace(topic, source_text="".join(lines[: len(lines) // 2])))


def retitle_work(kb: KnowledgeBase, index: int, word: str) -> KnowledgeBase:
    """The topic's first work gains a word in its title: the pages of the claims citing
    it show the work."""
    i, topic, _ = _middle(kb, index)
    first, *rest = topic.references
    retitled = replace(first, title=f"{first.title or ''} {word}".strip())
    return _with(kb, i, replace(topic, references=(retitled, *rest)))


def review_topic(kb: KnowledgeBase, index: int, word: str) -> KnowledgeBase:
    i, topic, _ = _middle(kb, index)
    return _with(kb, i, replace(topic, last_reviewed=f"2026-12-0{index % 9 + 1}"))


def relate_across_topics(kb: KnowledgeBase, index: int, word: str) -> KnowledgeBase:
    """A curator relates the middle claims of two topics (sharing no cited work): each
    one's page quotes the other."""
    i, topic, j = _middle(kb, index)
    k, other_topic, m = _middle(kb, index + 1)
    if i == k or not topic.claims or not other_topic.claims:
        return kb
    one, other = topic.claims[j], other_topic.claims[m]
    relation = Relation(kb.relation_kinds[-1].id, one.id, other.id)
    if relation in one.relations:
        return kb
    for t, n, claim in ((i, j, one), (k, m, other)):
        claims = list(kb.topics[t].claims)
        claims[n] = replace(claim, relations=(*claim.relations, relation))
        kb = _with(kb, t, replace(kb.topics[t], claims=tuple(claims)))
    return kb


def regroup_claim(kb: KnowledgeBase, index: int, word: str) -> KnowledgeBase:
    """A topic's last claim put under its first claim's heading: its topic's list
    shows it there, and the claims listed between move down one place, some onto the
    next page of the list, which their pages link."""
    i, topic, _ = _middle(kb, index)
    if len(topic.claims) < 2:
        return kb
    *rest, last = topic.claims
    first = topic.claims[0]
    moved = replace(last, section=first.section, heading=first.heading)
    return _with(kb, i, replace(topic, claims=(*rest, moved)))


def untag_subject(kb: KnowledgeBase, index: int, word: str) -> KnowledgeBase:
    """The entity most of a topic's claims mention (its subject, which relates none of
    them) taken off the first half of them: on the others' pages, it relates them."""
    i, topic, j = _middle(kb, index)
    mentions = Counter(entity for claim in topic.claims for entity in claim.entities)
    if not mentions:
        return kb
    subject = mentions.most_common(1)[0][0]
    claims = [
        replace(c, entities=tuple(e for e in c.entities if e != subject)) if n <= j else c
        for n, c in enumerate(topic.claims)
    ]
    return _with(kb, i, replace(topic, claims=tuple(claims)))


def drop_topic(kb: KnowledgeBase, index: int, word: str) -> KnowledgeBase:
    """fixtures' `drop`, but not of a topic whose claims another topic's relate to
    (relate_across_topics): the kb would be refused."""
    _, topic, _ = _middle(kb, index)
    ids = {claim.id for claim in topic.claims}
    others = (c for t in kb.topics if t is not topic for c in t.claims)
    if any(r.other in ids or r.claim in ids for c in others for r in c.relations):
        return kb
    return drop(kb, index, word)


# fixtures' edits, but `add` (its topic names entities this kb's vocabulary lacks,
# which the loader refuses) and `drop` (drop_topic instead), and these.
PAGE_EDITS: list[Edit] = [
    *(edit for edit in EDITS if edit not in (add, drop)), drop_topic, cite_a_second_work,
    drop_claim, shorten_summary, retitle_work, review_topic, relate_across_topics,
    untag_subject, regroup_claim,
]  # fmt: skip


def rendered(kb: KnowledgeBase, folder: Path) -> dict[str, tuple[str | None, bytes]]:
    """Every page of `kb` (but the downloads page), by path: its key and its bytes."""
    env = environment(kb, {})
    keys, renderer = page_keys(kb, env), Renderer(env)
    pages = {}
    for path, template, variables in _pages(kb, env.globals["lookups"]):
        renderer.write(folder, path, template, variables)
        pages[path] = (keys.key(path, template, variables), (folder / path).read_bytes())
    return pages


def assert_kept_pages_hold(kb: KnowledgeBase, edits: list[tuple[Edit, int, str]]) -> None:
    """Edit `kb` one edit after another, as builds follow each other: after each, every
    page whose key is the one it had before (which a build keeps) is byte for byte what
    rendering it again gives."""
    with scratch() as folder:
        before = rendered(kb, folder / "0")
        for step, (edit, index, word) in enumerate(edits, start=1):
            kb = edit(kb, index, word)
            after = rendered(kb, folder / str(step))
            held = [p for p, (key, _) in after.items() if key and before.get(p, ("",))[0] == key]
            assert [p for p in held if before[p][1] != after[p][1]] == [], edit.__name__
            before = after


@pytest.mark.parametrize("index", [0, 1])
@pytest.mark.parametrize("edit", PAGE_EDITS, ids=lambda edit: edit.__name__)
def test_after_an_edit_a_page_whose_key_holds_is_the_page_it_would_be(
    evidence_kb_model: KnowledgeBase, edit: Edit, index: int
) -> None:
    """Each edit, in each topic, then a claim of the other topic reworded: a claim's
    page is keyed by what it shows of its topic and of other claims, not by its whole
    topic, and a page kept is never stale."""
    assert_kept_pages_hold(
        evidence_kb_model, [(edit, index, "ketamine"), (reword_claim, index + 1, "a")]
    )


def test_a_claim_page_moved_to_another_page_of_its_topics_list_is_made_again(
    kb: KnowledgeBase,
) -> None:
    """In a topic long enough to be listed on several pages, a claim regrouped: the
    claims listed after its new place move down one, some onto the next page, which
    their pages link; then one taken out, and the claims after it move up."""
    assert_kept_pages_hold(kb, [(regroup_claim, 0, "a"), (drop_claim, 1, "a")])


def test_a_claim_page_keeps_its_key_when_its_topic_changes_elsewhere(
    evidence_kb_model: KnowledgeBase,
) -> None:
    """Not vacuous: a claim reworded, the pages of most of its topic's claims keep
    their keys."""
    topic = evidence_kb_model.topics[0]
    with scratch() as folder:
        before = rendered(evidence_kb_model, folder / "before")
        after = rendered(reword_claim(evidence_kb_model, 0, "a"), folder / "after")
    pages = [f"claims/{claim.id}.html" for claim in topic.claims]
    held = [page for page in pages if after[page][0] == before[page][0]]
    assert len(held) >= len(pages) // 2


@settings(
    max_examples=8,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    edits=st.lists(
        st.tuples(st.sampled_from(PAGE_EDITS), st.integers(0, 3), st.sampled_from(WORDS)),
        min_size=1,
        max_size=4,
    )
)
def test_after_any_edits_a_page_whose_key_holds_is_the_page_it_would_be(
    evidence_kb_model: KnowledgeBase, edits: list[tuple[Edit, int, str]]
) -> None:
    assert_kept_pages_hold(evidence_kb_model, edits)
