"""static/search.js and search-core.js, run by Node.js over a built site's data.

A small stand-in for the browser's DOM runs the page's four scripts in order (as
search.html does) and loads data scripts the way search.js asks, by `<script>`
elements; the test then reads the results list search.js built. The browser tests
drive the same page in Chromium; these check the search logic quickly and in detail.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from evidencekb.kb.load import load_kb
from evidencekb.registry import FIELD_NAME_PATTERN
from evidencekb.search.output import NOT_EVERY_WORD, UNSEARCHED
from evidencekb.site.render import STATIC_DIR
from fixtures import HOSTILE, build, node, sample_kb

HARNESS = r"""
const fs = require('fs'), path = require('path'), vm = require('vm');
const [site, search] = process.argv.slice(2);

function element(tag) {
  return {
    tagName: tag, children: [], attributes: {}, hidden: false, value: '', className: '',
    ownText: '',
    set textContent(v) { this.children = []; this.ownText = String(v); },
    get textContent() { return this.ownText + this.children.map(c => c.textContent).join(''); },
    appendChild(child) {
      if (child.fragment) this.children.push(...child.children); else this.children.push(child);
      if (child.tagName === 'script') setTimeout(() => runScript(child), 0);
      return child;
    },
    insertBefore(child) { this.children.unshift(child); },
    setAttribute(k, v) { this.attributes[k] = String(v); },
    getAttribute(k) { return this.attributes[k]; },
    addEventListener() {},
    // A filter's <label> and a menu's chosen <option>, as search.html has them.
    querySelector(selector) {
      const label = /^label\[for="(.*)"\]$/.exec(selector);
      return label ? {textContent: page.labels[label[1]]} : {};
    },
    get selectedOptions() { return [{textContent: page.options[tag][this.value]}]; },
    querySelectorAll() { return []; },
    focus() {},
  };
}

// What search.js reads of the page's markup: each filter's label and its menu's options.
const html = fs.readFileSync(path.join(site, 'search.html'), 'utf8');
const page = {labels: {}, options: {}};
for (const m of html.matchAll(/<label for="([^"]+)">([^<]*)<\/label>/g)) page.labels[m[1]] = m[2];
for (const m of html.matchAll(/<select id="([^"]+)"[^>]*>([\s\S]*?)<\/select>/g)) {
  page.options[m[1]] = {};
  for (const o of m[2].matchAll(/<option value="([^"]*)">([^<]*)<\/option>/g)) {
    page.options[m[1]][o[1]] = o[2];
  }
}

const ids = {};
['search-form', 'search-input', 'search-status', 'search-results', 'search-more',
 'search-filters', 'filters-in-force'].forEach(id => {
  ids[id] = element(id);
});
// The filter menus, as the build makes them: select#filter-NAME[data-filter].
const menus = ['section', 'strength', 'topic', 'category', 'design', 'stance', 'contested'].map(
  name => Object.assign(ids['filter-' + name] = element('filter-' + name), {name}));
const document = {
  querySelectorAll: selector => (selector === 'select[data-filter]' ? menus : []),
  readyState: 'complete',
  head: element('head'),
  getElementById: id => ids[id] || null,
  createElement: tag => element(tag),
  createTextNode: text => ({tagName: '#text', textContent: text}),
  createDocumentFragment: () => Object.assign(element('#fragment'), {fragment: true}),
  addEventListener() {},
};
const sandbox = {
  document, console, setTimeout, clearTimeout, URLSearchParams, performance, atob,
  Promise, Map, Uint8Array,
  CSS: {escape: s => s},
  getComputedStyle: () => ({getPropertyValue: () => '1'}),  // a wide screen
  history: {replaceState() {}},
  location: {search: search},
  loaded: [],
};
sandbox.window = sandbox;
vm.createContext(sandbox);

function runScript(script) {
  sandbox.loaded.push(script.src);
  let code;
  try { code = fs.readFileSync(path.join(site, script.src), 'utf8'); }
  catch (e) { script.onerror(); return; }
  vm.runInContext(code, sandbox, {filename: script.src});
  script.onload();
}

for (const src of ['static/stem.js', 'static/search-core.js', 'static/search.js',
                   'search/manifest.js']) {
  runScript({src, onload() {}, onerror() { throw new Error(src); }});
}

function walk(node, out) {
  if (node.tagName === 'mark') out.push(node.textContent);
  (node.children || []).forEach(c => walk(c, out));
  return out;
}

(function poll(tries) {
  const list = ids['search-results'];
  if (list.attributes['data-state'] !== 'done' && list.attributes['data-state'] !== 'error') {
    if (tries > 500) throw new Error('search did not finish');
    return setTimeout(() => poll(tries + 1), 10);
  }
  const results = list.children.map(li => {
    const link = li.children.find(c => c.className === 'result-link');
    const verdict = li.children.find(c => c.className.startsWith('verdict '));
    return {
      href: link.href, text: link.textContent, marks: walk(link, []),
      verdict: verdict.className + ': ' + verdict.textContent,
    };
  });
  process.stdout.write(JSON.stringify({
    state: list.attributes['data-state'],
    status: ids['search-status'].children.map(p => p.textContent),
    filters: {open: ids['search-filters'].open, inForce: ids['filters-in-force'].textContent},
    results,
    loaded: sandbox.loaded,
  }));
})(0);
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("searchjs")
    (folder / "harness.js").write_text(HARNESS, encoding="utf-8")
    return build(sample_kb(), folder / "site")


def run(site: Path, search: str) -> dict:
    completed = subprocess.run(
        [node(), str(site.parent / "harness.js"), str(site), search],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def hrefs(outcome: dict) -> list[str]:
    return sorted(r["href"] for r in outcome["results"])


def test_an_abbreviation_finds_the_spelled_out_name_and_marks_it(site: Path) -> None:
    outcome = run(site, "?q=CRPS")
    assert hrefs(outcome) == [
        "claims/ketamine-pain-00000002.html",
        "claims/ketamine-pain-00000004.html",
        "claims/opioids-pain-00000001.html",
    ]
    assert outcome["status"] == ["3 claims match “\u2068CRPS\u2069”."]
    marks = {r["href"]: r["marks"] for r in outcome["results"]}
    assert marks["claims/ketamine-pain-00000002.html"] == [
        "complex regional pain syndrome",
        "CRPS",
    ]
    # "pain" alone is not marked: only the whole name is
    assert marks["claims/ketamine-pain-00000004.html"] == ["complex regional pain syndromes"]


def test_the_spelled_out_name_finds_the_abbreviation(site: Path) -> None:
    outcome = run(site, "?q=complex+regional+pain+syndrome")
    assert "claims/opioids-pain-00000001.html" in hrefs(outcome)
    assert run(site, "?q=IV")["results"][0]["marks"] == ["intravenously"]


def test_a_form_no_claim_spells_is_stemmed_by_the_page(site: Path) -> None:
    """static/stem.js: "dosing" meets "doses", and a vocabulary name in a form that
    neither the claims nor the vocabulary write is still the name."""
    dosing = run(site, "?q=dosing")
    assert hrefs(dosing) == ["claims/ketamine-pain-00000003.html"]
    assert dosing["results"][0]["marks"] == ["doses"]
    unspelled = run(site, "?q=complex+regional+pain+syndromically")
    assert hrefs(unspelled) == hrefs(run(site, "?q=CRPS")) and len(hrefs(unspelled)) == 3


def test_filters_narrow_the_results(site: Path) -> None:
    assert hrefs(run(site, "?q=crps&strength=low")) == ["claims/ketamine-pain-00000004.html"]
    assert hrefs(run(site, "?q=crps&topic=opioids-pain")) == ["claims/opioids-pain-00000001.html"]
    assert hrefs(run(site, "?q=crps&section=guidelines")) == ["claims/ketamine-pain-00000002.html"]
    assert hrefs(run(site, "?q=crps&category=efficacy")) == ["claims/ketamine-pain-00000002.html"]
    filtered = run(site, "?q=crps&strength=high")
    assert filtered["results"] == []
    # "No results" names the filters in force, as the folded filters' summary does.
    assert filtered["status"] == [
        "No claim matches “\u2068crps\u2069” with the filters Evidence strength: High.",
        "Clear a filter to search more widely.",
    ]
    assert filtered["filters"] == {"open": True, "inForce": "(1 in force: Evidence strength: High)"}
    two = run(site, "?q=crps&strength=low&section=research")
    assert two["status"] == [
        "1 claim matches “\u2068crps\u2069” with the filters Section: From the Research; "
        "Evidence strength: Low."
    ]


def test_the_stance_and_contested_menus_filter_too(site: Path) -> None:
    """In the sample, claim 3's one cited work supports it; claim 4's works disagree."""
    assert hrefs(run(site, "?q=intravenously&stance=supports")) == [
        "claims/ketamine-pain-00000003.html"
    ]
    assert hrefs(run(site, "?q=crps&stance=contradicts")) == ["claims/ketamine-pain-00000004.html"]
    assert hrefs(run(site, "?q=crps&contested=yes")) == ["claims/ketamine-pain-00000004.html"]
    assert hrefs(run(site, "?q=crps&contested=no")) == [
        "claims/ketamine-pain-00000002.html",
        "claims/opioids-pain-00000001.html",
    ]
    assert hrefs(run(site, "?q=crps+stance%3Acontradicts")) == hrefs(
        run(site, "?q=crps&stance=contradicts")
    )


def test_a_typo_is_corrected_and_said_so_but_a_word_beginning_is_not_a_word(site: Path) -> None:
    typo = run(site, "?q=ketamime")
    # The first two write the word; the others are about ketamine (an entity's name).
    assert [r["marks"] for r in typo["results"][:2]] == [["Ketamine"], ["Ketamine"]]
    # As `ekb search` says it; the claims counted are the corrected query's.
    assert typo["status"][0] == "Did you mean “\u2068ketamine\u2069”? Showing results for it."
    assert "match “\u2068ketamine\u2069”" in typo["status"][1]
    assert any(src.startswith("search/s-") for src in typo["loaded"])
    # CRP (C-reactive protein) is not the beginning of CRPS: abbreviations stay apart.
    assert run(site, "?q=CRP")["results"] == []


def test_a_query_that_cannot_be_read_says_why(site: Path) -> None:
    outcome = run(site, "?q=section%3A")
    assert outcome["results"] == []
    assert outcome["status"] == [
        'This query cannot be read: "section:" at character 1 needs a value, e.g. section:research.'
    ]


def test_all_words_first_then_any_word(site: Path) -> None:
    both = run(site, "?q=opioids+crps")
    assert both["results"][0]["href"] == "claims/opioids-pain-00000001.html"
    assert len(both["results"]) == 3  # then the claims with one of the words
    either = run(site, "?q=opioids+intravenously")
    assert len(either["results"]) == 2
    assert either["status"][-1] == "No claim has all the words; showing claims with any of them."
    assert either["status"][-1] == NOT_EVERY_WORD  # as `ekb search` says it
    assert both["status"][-1] == "1 claim has all the words; 2 more have some of them."


def test_each_result_starts_with_the_claims_evidence_summary(site: Path) -> None:
    """verdict.py's summary, from the search data: what the cited works found (marked
    when they contradict the claim or disagree), then the strength and how it was reached."""
    verdicts = {r["href"]: r["verdict"] for r in run(site, "?q=crps+OR+intravenously")["results"]}
    assert verdicts == {
        "claims/ketamine-pain-00000002.html": "verdict verdict-open: No work cited "
        "Strength: not stated by the source",
        "claims/ketamine-pain-00000003.html": "verdict verdict-supported: Cited work supports "
        "Strength: not stated by the source",
        "claims/ketamine-pain-00000004.html": "verdict verdict-contested: ⚠ Contested: cited "
        "works disagree (1 supports · 1 contradicts) Strength: Low, stated by the source",
        "claims/opioids-pain-00000001.html": "verdict verdict-open: No cited work's finding "
        "recorded (1 cited work) Strength: not stated by the source",
    }


def test_a_result_link_is_named_as_the_sites_lists_name_it(site: Path) -> None:
    """A screen reader's list of links heard a contested or contradicted claim's words
    alone; the link now leads with its findings, as EvidenceIndex.named has it."""
    from bs4 import BeautifulSoup

    results = {r["href"]: r["text"] for r in run(site, "?q=crps")["results"]}
    page = site / "topics/ketamine-pain/references/3.html"
    contested = "claims/ketamine-pain-00000004.html"
    link = BeautifulSoup(page.read_bytes(), "html5lib").select_one(
        f'a.claim-link[href="../../../{contested}"]'
    )
    assert results[contested] == link.get_text()
    assert results[contested].startswith(
        "⚠ Contested: cited works disagree (1 supports · 1 contradicts): It works"
    )
    assert not results["claims/ketamine-pain-00000002.html"].startswith("⚠")


def test_hostile_claim_text_is_shown_as_text(site: Path) -> None:
    outcome = run(site, "?q=alert")
    assert [r["text"] for r in outcome["results"]] == [HOSTILE]


def test_common_words_alone_are_not_searched_and_no_data_is_loaded(site: Path) -> None:
    outcome = run(site, "?q=the+of")
    assert outcome["results"] == []
    assert "very common words" in outcome["status"][0]
    assert outcome["status"][0] == UNSEARCHED  # as `ekb search` says it
    assert [src for src in outcome["loaded"] if src.startswith("search/t-")] == []
    # A query of no word at all is not told its words are too common.
    signs = run(site, "?q=%F0%9F%92%89+%26")
    assert (signs["results"], signs["status"]) == ([], ["No claim matches “\u2068💉 &\u2069”."])


def test_a_kb_of_no_claims_is_searched_without_a_data_file_to_load(
    empty_kb: Path, tmp_path: Path
) -> None:
    """As `ekb init` starts one: its manifest named a first shard it never wrote, and
    every search said that the search data could not be loaded."""
    site = build(load_kb(empty_kb), tmp_path / "site")
    (tmp_path / "harness.js").write_text(HARNESS, encoding="utf-8")
    outcome = run(site, "?q=ketamine")
    assert (outcome["state"], outcome["results"]) == ("done", [])
    assert outcome["status"] == ["No claim matches “\u2068ketamine\u2069”."]
    assert [src for src in outcome["loaded"] if src.startswith("search/t-")] == []


def test_the_query_is_isolated_in_the_status_line(site: Path) -> None:
    """A right-to-left override left open in a query (a crafted link's ?q=) ends at the
    isolate's close, and cannot reverse the rest of the line around it."""
    outcome = run(site, "?q=%E2%80%AEzzqx")
    assert outcome["status"] == ["No claim matches “\u2068\u202ezzqx\u2069”."]


def test_a_filter_choice_that_names_its_menu_is_named_once(site: Path) -> None:
    outcome = run(site, "?q=ketamine&contested=yes")
    assert outcome["filters"]["inForce"] == "(1 in force: Contested: its evidence disagrees)"


def test_search_js_loads_data_with_script_tags_only() -> None:
    code = (STATIC_DIR / "search.js").read_text(encoding="utf-8")
    assert "fetch(" not in code and "XMLHttpRequest" not in code
    assert "innerHTML" not in code


# search-core.js under Node with the manifest a build wrote, given one more query field:
# the manifest is the browser's whole knowledge of the fields (registry.QUERY_FIELDS),
# so a field named with an underscore is one it may be handed.
LEXER = r"""
const fs = require('fs'), path = require('path');
const [site, query] = process.argv.slice(2);
const core = require(path.join(site, 'static', 'search-core.js'));
const text = fs.readFileSync(path.join(site, 'search', 'manifest.js'), 'utf8');
const manifest = JSON.parse(text.slice(text.indexOf('(') + 1, text.lastIndexOf(')')));
manifest.analysis.fields.sample_size = {rule: 'number', needs: 'a number', example: 'n:40'};
const tokens = core.create(manifest).lex(query);
process.stdout.write(JSON.stringify(tokens.map(t => [t.kind, t.text])));
"""


@pytest.mark.parametrize(
    ("query", "tokens"),
    [
        ("sample_size:40", [["field", "sample_size"], ["word", "40"]]),
        ("Sample_Size:40", [["field", "sample_size"], ["word", "40"]]),
        ("sample_:40", [["word", "sample_:40"]]),  # no name: a word, as query.py reads it
        ("_size:40", [["word", "_size:40"]]),
        ("sample__size:40", [["word", "sample__size:40"]]),
    ],
)
def test_a_field_named_with_an_underscore_is_read_as_a_field(
    site: Path, query: str, tokens: list[list[str]]
) -> None:
    """The browser's lexer reads field names by the registry's FIELD_NAME_PATTERN,
    handed over in the manifest (before: letters only, so `sample_size:40` was a word)."""
    script = site.parent / "lexer.js"
    script.write_text(LEXER, encoding="utf-8")
    completed = subprocess.run(
        [node(), str(script), str(site), query],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout) == tokens


def test_the_field_name_rule_is_the_registrys(site: Path) -> None:
    text = (site / "search" / "manifest.js").read_text(encoding="utf-8")
    manifest = json.loads(text[text.index("(") + 1 : text.rindex(")")])
    assert manifest["analysis"]["fieldName"] == FIELD_NAME_PATTERN
    assert "A-Za-z]+$" not in (STATIC_DIR / "search-core.js").read_text(encoding="utf-8")
