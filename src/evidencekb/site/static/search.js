/* evidencekb site search: the page. The search itself (query language, lookup, ranking,
 * highlighting) is search-core.js, the same code the tests run under Node.js against
 * `ekb search`; this file loads the data it asks for and shows the results.
 *
 * Data arrives as <script> files that call window.EKBSearch (never fetch/XHR, which
 * browsers refuse from file://): search/manifest.js (loaded by the page), then, per
 * query, the index shards (search/t-NNNN.js) and spelling dictionaries (search/s-*.js)
 * the core asks for, and the display chunks of the results shown (search/d-NNNNN.js).
 * See evidencekb/search/browser/data.py for the format.
 */
(function () {
  'use strict';

  var PAGE_SIZE = 10;
  // The names of the page's filter menus (select#filter-NAME[data-filter]), each a
  // restriction the core takes; the build makes one for each filter field the
  // registry declares (evidencekb/registry.py).
  var FILTERS = [];
  var DEBOUNCE_MS = 180;
  // Each round of loading resolves one more step (words, then their index terms, then
  // a spelling dictionary, then the corrected words); more means a bug, not a query.
  var MAX_ROUNDS = 8;

  var manifest = null;
  var engine = null;
  var loading = {};               // script src -> Promise
  var current = {results: [], shown: 0, token: 0, highlight: []};
  var el = {};

  function pad(number, width) {
    var text = String(number);
    while (text.length < width) text = '0' + text;
    return text;
  }

  function loadScript(src) {
    if (!loading[src]) {
      loading[src] = new Promise(function (resolve, reject) {
        var script = document.createElement('script');
        script.src = src;
        script.async = true;
        script.onload = function () { resolve(); };
        script.onerror = function () {
          delete loading[src];
          reject(new Error('could not load ' + src));
        };
        document.head.appendChild(script);
      });
    }
    return loading[src];
  }

  function spellingFile(letter) {
    return 'search/s-' + pad(letter.codePointAt(0).toString(16), 4) + '.js';
  }

  // Ask the core; load what it needs; ask again.
  function answer(query, filters, rounds) {
    var outcome = engine.search(query, filters);
    if (!outcome.need) return Promise.resolve(outcome);
    if (rounds >= MAX_ROUNDS) return Promise.reject(new Error('search data incomplete'));
    var loads = outcome.need.shards.map(function (n) {
      return loadScript('search/t-' + pad(n, 4) + '.js');
    }).concat(outcome.need.spelling.map(function (letter) {
      return loadScript(spellingFile(letter));
    }));
    return Promise.all(loads).then(function () { return answer(query, filters, rounds + 1); });
  }

  // ---- rendering -------------------------------------------------------------------

  function highlighted(text, spans) {
    var fragment = document.createDocumentFragment();
    var last = 0;
    spans.forEach(function (span) {
      if (span[0] > last) fragment.appendChild(document.createTextNode(text.slice(last, span[0])));
      var mark = document.createElement('mark');
      mark.textContent = text.slice(span[0], span[1]);
      fragment.appendChild(mark);
      last = span[1];
    });
    if (last < text.length) fragment.appendChild(document.createTextNode(text.slice(last)));
    return fragment;
  }

  function span(className, text) {
    var element = document.createElement('span');
    element.className = className;
    if (text) element.textContent = text;
    return element;
  }

  // The claim's evidence summary, as the site's pages show it before a listed claim
  // (partials/macros.html: verdict_line): what its cited works found, marked when they
  // contradict it or disagree, then its strength and how the label was reached.
  function verdictLine(verdict, strength) {
    var line = span('verdict verdict-' + verdict.kind);
    verdict.findings.forEach(function (words, at) {
      var finding = span('finding');
      if (at === 0 && verdict.warning) {
        var sign = span('finding-mark', '⚠');
        sign.setAttribute('aria-hidden', 'true');
        finding.appendChild(sign);
        finding.appendChild(document.createTextNode(' '));
      }
      finding.appendChild(document.createTextNode(words));
      line.appendChild(finding);
      line.appendChild(document.createTextNode(' '));
    });
    var note = span('strength-note');
    note.appendChild(span('note-label', 'Strength:'));
    note.appendChild(document.createTextNode(' '));
    if (verdict.graded) {
      note.appendChild(span('badge rank-' + strength[2], strength[1]));
      note.appendChild(span('visually-hidden', ','));
      note.appendChild(document.createTextNode(' '));
    }
    note.appendChild(document.createTextNode(verdict.how));
    line.appendChild(note);
    return line;
  }

  function resultItem(row) {
    var strength = manifest.strengths[row.strength];
    var topic = manifest.topics[row.topic];
    var sectionTitle = '';
    manifest.sections.forEach(function (s) { if (s[0] === row.section) sectionTitle = s[1]; });
    var li = document.createElement('li');
    li.className = 'search-result';
    li.appendChild(verdictLine(row.verdict, strength));
    var link = document.createElement('a');
    link.className = 'result-link';
    link.href = 'claims/' + encodeURIComponent(row.id) + '.html';
    // Named as the site's lists name it (verdict.py Verdict.lead, EvidenceIndex.named,
    // given in the row): a claim a reader must not miss is led by its findings for a
    // screen reader.
    if (row.verdict.lead) link.appendChild(span('visually-hidden spoken-finding', row.verdict.lead));
    link.appendChild(highlighted(row.text, EKBSearchCore.spans(row.highlights, current.highlight)));
    li.appendChild(link);
    var meta = document.createElement('p');
    meta.className = 'result-meta';
    meta.textContent = topic[1] + ' · ' + sectionTitle + (row.heading ? ' › ' + row.heading : '');
    li.appendChild(meta);
    return li;
  }

  function showMore(token) {
    var slice = current.results.slice(current.shown, current.shown + PAGE_SIZE);
    var per = manifest.docsPerChunk;
    var needed = {};
    slice.forEach(function (r) { needed[Math.floor(r.doc / per)] = true; });
    var loads = Object.keys(needed).map(function (n) {
      return loadScript('search/d-' + pad(n, 5) + '.js');
    });
    return Promise.all(loads).then(function () {
      if (token !== current.token) return;
      slice.forEach(function (r) {
        el.results.appendChild(resultItem(engine.row(r.doc)));
      });
      current.shown += slice.length;
      el.more.hidden = current.shown >= current.results.length;
      el.results.setAttribute('data-state', 'done');
    });
  }

  // What the reader typed, in quotation marks, isolated from the sentence around it
  // (U+2068 ... U+2069): a right-to-left override left open in it (a crafted link's
  // ?q=) ends there, and cannot reverse the rest of the line.
  function quoted(text) {
    return '\u201c\u2068' + text + '\u2069\u201d';
  }

  // A filter the address names that no menu has, or with a value no menu has (an old
  // bookmark, a hand-made link): said once, with the first answer, never dropped unseen.
  var unapplied = [];

  function unappliedFilter(name, value) {
    var said = name + ' ' + quoted(value);
    if (FILTERS.indexOf(name) >= 0) return said + ' (not one of its menu\u2019s)';
    if (engine.fields[name]) return said + ' (no menu here: search for ' + name + ':' + value + ')';
    return said + ' (no such filter)';
  }

  function setStatus(parts) {
    if (unapplied.length) {
      parts = ['Not applied, from the page\u2019s address: ' + unapplied.join('; ') + '.'].concat(parts);
      unapplied = [];
    }
    el.status.textContent = '';
    parts.forEach(function (text) {
      var p = document.createElement('p');
      p.textContent = text;
      el.status.appendChild(p);
    });
  }

  function updateAddress(query) {
    var params = new URLSearchParams();
    if (query) params.set('q', query);
    FILTERS.forEach(function (name) {
      if (el[name].value) params.set(name, el[name].value);
    });
    try {
      history.replaceState(null, '', '?' + params.toString());
    } catch (error) {
      // Some browsers refuse to rewrite a file:// address; the search still works.
    }
  }

  function selectedFilters() {
    var filters = {};
    FILTERS.forEach(function (name) {
      if (el[name].value) filters[name] = el[name].value;
    });
    return filters;
  }

  // The filters in force as a reader names them: "Evidence strength: Low".
  function filtersInForce() {
    return FILTERS.filter(function (name) { return el[name].value; }).map(function (name) {
      var label = el.form.querySelector('label[for="filter-' + name + '"]').textContent;
      var chosen = el[name].selectedOptions[0].textContent;
      // A choice that names its menu already ("Contested: its evidence disagrees").
      return chosen.indexOf(label + ':') === 0 ? chosen : label + ': ' + chosen;
    });
  }

  function showFilters() {
    var named = filtersInForce();
    el.inForce.textContent = named.length
      ? '(' + named.length + ' in force: ' + named.join('; ') + ')' : '';
  }

  // How the query matched, as `ekb search` says it: how many claims, with which
  // filters, and whether they have all the words or only some.
  function summary(query, outcome) {
    var count = outcome.total;
    var named = filtersInForce();
    // The claims counted are the corrected query's, when it was corrected.
    var searched = outcome.corrected !== null ? outcome.corrected : query;
    var text = count === 0 ? 'No claim matches ' + quoted(searched)
      : count + (count === 1 ? ' claim matches ' : ' claims match ') + quoted(searched);
    text += named.length ? ' with the filters ' + named.join('; ') + '.' : '.';
    var parts = [text];
    if (outcome.corrected !== null) {
      parts.unshift('Did you mean ' + quoted(outcome.corrected) + '? Showing results for it.');
    }
    if (outcome.strict === 0 && outcome.results.length) {
      parts.push(manifest.sentences.notEveryWord);
    } else if (outcome.strict && outcome.total > outcome.strict) {
      var more = outcome.total - outcome.strict;
      parts.push(outcome.strict + (outcome.strict === 1 ? ' claim has' : ' claims have') +
        ' all the words; ' + more + ' more ' + (more === 1 ? 'has' : 'have') + ' some of them.');
    }
    if (count === 0 && named.length) parts.push('Clear a filter to search more widely.');
    return parts;
  }

  function search() {
    var query = el.input.value;
    var token = ++current.token;
    var filters = selectedFilters();
    showFilters();
    updateAddress(query.trim());
    el.results.setAttribute('data-state', 'busy');
    return answer(query, filters, 0).then(function (outcome) {
      if (token !== current.token) return null;
      el.results.textContent = '';
      current.results = outcome.results || [];
      current.highlight = outcome.highlight || [];
      current.shown = 0;
      if (outcome.error) {
        el.more.hidden = true;
        setStatus(['This query cannot be read: ' + outcome.error + '.']);
        el.results.setAttribute('data-state', 'done');
        return null;
      }
      if (!outcome.words) {
        el.more.hidden = true;
        setStatus([!query.trim()
          ? 'Type a word to search ' + manifest.docCount.toLocaleString('en') + ' claims.'
          // Words, but none searched: only the very common ones (or too short).
          : engine.hasWords(query)
            ? manifest.sentences.unsearched
            : 'No claim matches ' + quoted(query.trim()) + '.']);
        el.results.setAttribute('data-state', 'done');
        return null;
      }
      var parts = summary(query.trim(), outcome);
      return showMore(token).then(function () {
        if (token === current.token) setStatus(parts);
      });
    }).catch(function (error) {
      if (token !== current.token) return;
      setStatus(['The search data could not be loaded (' + error.message + ').']);
      el.results.setAttribute('data-state', 'error');
    });
  }

  // ---- wiring ----------------------------------------------------------------------

  function moveFocus(event) {
    var links = Array.prototype.slice.call(el.results.querySelectorAll('a.result-link'));
    if (event.target === el.input) {
      if (event.key === 'ArrowDown' && links.length) {
        event.preventDefault();
        links[0].focus();
      }
      return;
    }
    var at = links.indexOf(event.target);
    if (at < 0) return;
    if (event.key === 'ArrowDown' && at + 1 < links.length) {
      event.preventDefault();
      links[at + 1].focus();
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      (at > 0 ? links[at - 1] : el.input).focus();
    }
  }

  function start() {
    el = {
      form: document.getElementById('search-form'),
      input: document.getElementById('search-input'),
      status: document.getElementById('search-status'),
      results: document.getElementById('search-results'),
      more: document.getElementById('search-more'),
      fold: document.getElementById('search-filters'),
      inForce: document.getElementById('filters-in-force')
    };
    FILTERS = Array.prototype.map.call(document.querySelectorAll('select[data-filter]'), function (menu) {
      return menu.name;
    });
    FILTERS.forEach(function (name) { el[name] = document.getElementById('filter-' + name); });
    if (!el.form || !el.input) return;
    var params = new URLSearchParams(window.location.search);
    el.input.value = params.get('q') || '';
    params.forEach(function (value, name) {
      if (name === 'q' || !value) return;
      if (FILTERS.indexOf(name) >= 0 &&
          el[name].querySelector('option[value="' + CSS.escape(value) + '"]')) {
        el[name].value = value;
      } else {
        unapplied.push(unappliedFilter(name, value));
      }
    });
    // Filters start open on a wide screen; on a phone they stay folded under their
    // summary, which names those in force, so that results start in the first screen.
    // style.css says which screen is which (--filters-start-open), not this file.
    var startOpen = getComputedStyle(el.fold).getPropertyValue('--filters-start-open');
    if (startOpen.trim() === '1') el.fold.open = true;
    var timer = null;
    el.input.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(search, DEBOUNCE_MS);
    });
    FILTERS.forEach(function (name) {
      el[name].addEventListener('change', search);
    });
    el.form.addEventListener('submit', function (event) {
      event.preventDefault();
      clearTimeout(timer);
      search();
    });
    el.more.addEventListener('click', function () {
      var first = current.shown;
      showMore(current.token).then(function () {
        var links = el.results.querySelectorAll('a.result-link');
        if (links[first]) links[first].focus();
      });
    });
    document.addEventListener('keydown', function (event) {
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') moveFocus(event);
    });
    search();
  }

  window.EKBSearch = {
    manifest: function (data) {
      manifest = data;
      engine = EKBSearchCore.create(data);
      if (document.readyState === 'loading') {
        document.addEventListener('DOMContentLoaded', start);
      } else {
        start();
      }
    },
    shard: function (number, entries) { engine.addShard(number, entries); },
    spelling: function (letter, words) { engine.addSpelling(letter, words); },
    docs: function (number, rows) { engine.addDocs(number, rows); }
  };
})();
