/* evidencekb site search: MiniSearch over an index that `ekb build` writes in shards.
 *
 * Data arrives as <script> files that call window.EKBSearch (never fetch/XHR, which
 * browsers refuse from file://): search/manifest.js (loaded by the page), then, per
 * query, the index shards of the query's words (search/t-NNNN.js), the bitmaps of the
 * filters chosen (search/f-NAME-N.js) and the display chunks of the results shown
 * (search/d-NNNNN.js). See evidencekb/site_search.py for the format. Tokenisation must
 * match site_search.tokens(): lower case, runs of Unicode letters and digits, no stop
 * words.
 */
(function () {
  'use strict';

  var PAGE_SIZE = 10;
  // A word's prefix matches are searched if they lie within this many shards; a very
  // short, common beginning ("p") would otherwise pull in much of the index.
  var MAX_PREFIX_SHARDS = 3;
  var DEBOUNCE_MS = 180;
  var TOKEN = /[\p{L}\p{N}]+/gu;

  var manifest = null;
  var stopWords = {};
  var maxNameWords = 1;           // longest synonym name, in words
  var shards = {};                // shard number -> raw entries (from t-*.js)
  var decoded = {};               // shard number -> {index, docs}
  var facets = {};                // "strength-2" -> Uint8Array bitmap (from f-*.js)
  var chunks = {};                // chunk number -> rows (from d-*.js)
  var loading = {};               // script src -> Promise
  var cached = {key: null, engine: null};
  var current = {results: [], shown: 0, token: 0, concepts: []};
  var el = {};

  function tokens(text) {
    return (String(text).toLowerCase().match(TOKEN) || []).filter(function (w) {
      return !stopWords[w];
    });
  }

  // The shard a term would be in: the last one starting at or before it.
  function shardOf(term) {
    var starts = manifest.starts, low = 0, high = starts.length - 1;
    while (low < high) {
      var middle = (low + high + 1) >> 1;
      if (starts[middle] <= term) low = middle; else high = middle - 1;
    }
    return low;
  }

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

  // ---- index shards ----------------------------------------------------------------

  function decodeShard(number) {
    if (decoded[number]) return decoded[number];
    var index = [], docs = {};
    shards[number].forEach(function (entry) {
      var freqs = {};
      var extra = entry[2] || {};
      var doc = 0;
      entry[1].forEach(function (delta) {
        doc += delta;
        freqs[doc] = extra[doc] || 1;
        docs[doc] = true;
      });
      index.push([entry[0], {0: freqs}]);
    });
    decoded[number] = {index: index, docs: Object.keys(docs)};
    delete shards[number];
    return decoded[number];
  }

  function loadShards(numbers) {
    return Promise.all(numbers.map(function (n) {
      return loadScript('search/t-' + pad(n, 4) + '.js');
    }));
  }

  // One MiniSearch index holding just the shards a query needs. The shards' term sets
  // are disjoint and carry collection-wide statistics, so scores equal those of one
  // index over everything.
  function engineFor(numbers) {
    var key = numbers.join(',');
    if (cached.key === key) return cached.engine;
    // Claim length is not used in ranking (BM25 with b = 0, see below), so every claim
    // gets length 1; ids are claim numbers.
    var documentIds = {}, fieldLength = {}, index = [];
    numbers.forEach(function (n) {
      var shard = decodeShard(n);
      for (var i = 0; i < shard.index.length; i++) index.push(shard.index[i]);
      shard.docs.forEach(function (d) {
        documentIds[d] = Number(d);
        fieldLength[d] = [1];
      });
    });
    var engine = MiniSearch.loadJS({
      documentCount: manifest.docCount,
      nextId: manifest.docCount,
      documentIds: documentIds,
      fieldIds: {text: 0},
      fieldLength: fieldLength,
      averageFieldLength: [1],
      storedFields: {},
      dirtCount: 0,
      index: index,
      serializationVersion: 2
    }, {
      fields: ['text'],
      tokenize: tokens,
      processTerm: function (term) { return term; }
    });
    cached = {key: key, engine: engine};
    return engine;
  }

  // ---- queries ---------------------------------------------------------------------

  // Split the query into concepts: a run of words that names a vocabulary term (the
  // longest such run wins) becomes that term with all its synonyms and abbreviations;
  // any other word stands for itself.
  function parse(query) {
    var words = tokens(query);
    var concepts = [];
    var i = 0;
    while (i < words.length) {
      var found = null;
      for (var n = Math.min(maxNameWords, words.length - i); n >= 1 && !found; n--) {
        var name = words.slice(i, i + n).join(' ');
        var groups = Object.prototype.hasOwnProperty.call(manifest.names, name)
          ? manifest.names[name] : null;
        if (groups) {
          var seen = {}, alternatives = [];
          groups.forEach(function (g) {
            manifest.groups[g].forEach(function (alt) {
              var joined = alt.join(' ');
              if (joined !== name && !seen[joined]) {
                seen[joined] = true;
                alternatives.push(alt);
              }
            });
          });
          found = {words: words.slice(i, i + n), alternatives: alternatives};
          i += n;
        }
      }
      if (!found) {
        found = {words: [words[i]], alternatives: []};
        i += 1;
      }
      concepts.push(found);
    }
    return concepts;
  }

  function conceptQuery(concept) {
    var own = {combineWith: 'AND', queries: concept.words};
    if (!concept.alternatives.length) return own;
    // A word that names a vocabulary term is taken as written: "CRPS" must not turn
    // into "CRP" by typo correction.
    own.fuzzy = false;
    return {
      combineWith: 'OR',
      queries: [own].concat(concept.alternatives.map(function (alt) {
        // Expansions are exact names: no typo tolerance on them.
        return {combineWith: 'AND', queries: alt, fuzzy: false};
      }))
    };
  }

  // The shards a query needs, and the words whose prefix matches they cover.
  function plan(concepts) {
    var numbers = {}, prefixOk = {};
    concepts.forEach(function (c) {
      [c.words].concat(c.alternatives).forEach(function (words) {
        words.forEach(function (w) {
          var first = shardOf(w);
          var last = shardOf(w + '\uffff');
          var upTo = first;
          if (w.length >= 2 && last - first < MAX_PREFIX_SHARDS) {
            prefixOk[w] = true;
            upTo = last;
          }
          for (var n = first; n <= upTo; n++) numbers[n] = true;
        });
      });
    });
    return {
      shards: Object.keys(numbers).map(Number).sort(function (a, b) { return a - b; }),
      prefixOk: prefixOk
    };
  }

  function facetKey(name, position) {
    return name + '-' + position;
  }

  function loadFacets(filters) {
    return Promise.all(Object.keys(filters).filter(function (name) {
      return filters[name] >= 0;
    }).map(function (name) {
      return loadScript('search/f-' + facetKey(name, filters[name]) + '.js');
    }));
  }

  function facetFilter(filters) {
    var bitmaps = Object.keys(filters).filter(function (name) {
      return filters[name] >= 0;
    }).map(function (name) {
      return facets[facetKey(name, filters[name])];
    });
    return function (result) {
      var id = result.id;
      return bitmaps.every(function (bits) { return (bits[id >> 3] >> (id & 7)) & 1; });
    };
  }

  function selectedFilters() {
    function position(list, value) {
      for (var i = 0; i < list.length; i++) if (list[i][0] === value) return i;
      return -1;
    }
    return {
      section: position(manifest.sections, el.section.value),
      strength: position(manifest.strengths, el.strength.value),
      category: position(manifest.categories, el.category.value),
      topic: position(manifest.topics, el.topic.value)
    };
  }

  function run(engine, concepts, combineWith, filters, prefixOk) {
    return engine.search({combineWith: combineWith, queries: concepts.map(conceptQuery)}, {
      prefix: function (term) { return !!prefixOk[term]; },
      fuzzy: function (term) { return term.length >= 5 ? 0.2 : false; },
      maxFuzzy: 2,
      bm25: {k: 1.2, b: 0, d: 0.5},
      filter: facetFilter(filters)
    });
  }

  // ---- rendering -------------------------------------------------------------------

  // Which words of a claim to mark: a term matched by a single query word wherever it
  // occurs; the words of a multi-word name (a synonym such as "complex regional pain
  // syndrome") only where they occur together, so that "pain" alone is not marked.
  function markedWords(text, result, concepts) {
    var words = [];
    var pattern = new RegExp(TOKEN.source, 'gu');
    var m;
    while ((m = pattern.exec(text)) !== null) {
      words.push({start: m.index, end: m.index + m[0].length, lower: m[0].toLowerCase()});
    }
    var singles = [], phrases = [];
    concepts.forEach(function (c) {
      [c.words].concat(c.alternatives).forEach(function (alt) {
        (alt.length === 1 ? singles : phrases).push(alt);
      });
    });
    function startsAny(term, list) {
      return list.some(function (alt) { return term.indexOf(alt[0]) === 0; });
    }
    var phraseWords = [];
    phrases.forEach(function (p) { p.forEach(function (w) { phraseWords.push([w]); }); });
    var everywhere = {};
    Object.keys(result.match).forEach(function (term) {
      if (startsAny(term, singles) || !startsAny(term, phraseWords)) everywhere[term] = true;
    });
    var marked = words.map(function (w) { return !!everywhere[w.lower]; });
    phrases.forEach(function (phrase) {
      for (var i = 0; i + phrase.length <= words.length; i++) {
        var all = phrase.every(function (p, j) { return words[i + j].lower.indexOf(p) === 0; });
        if (all) for (var j = 0; j < phrase.length; j++) marked[i + j] = true;
      }
    });
    return words.filter(function (w, i) { return marked[i]; });
  }

  function highlighted(text, spans) {
    var fragment = document.createDocumentFragment();
    var last = 0;
    spans.forEach(function (span) {
      if (span.start > last) fragment.appendChild(document.createTextNode(text.slice(last, span.start)));
      var mark = document.createElement('mark');
      mark.textContent = text.slice(span.start, span.end);
      fragment.appendChild(mark);
      last = span.end;
    });
    if (last < text.length) fragment.appendChild(document.createTextNode(text.slice(last)));
    return fragment;
  }

  function resultItem(result, row) {
    var strength = manifest.strengths[row[5]];
    var topic = manifest.topics[row[1]];
    var sectionTitle = '';
    manifest.sections.forEach(function (s) { if (s[0] === row[2]) sectionTitle = s[1]; });
    var li = document.createElement('li');
    li.className = 'search-result';
    var link = document.createElement('a');
    link.className = 'result-link';
    link.href = 'claims/' + encodeURIComponent(row[0]) + '.html';
    link.appendChild(highlighted(row[4], markedWords(row[4], result, current.concepts)));
    li.appendChild(link);
    var meta = document.createElement('p');
    meta.className = 'result-meta';
    var badge = document.createElement('span');
    badge.className = 'badge rank-' + strength[2];
    badge.textContent = strength[1];
    var hidden = document.createElement('span');
    hidden.className = 'visually-hidden';
    hidden.textContent = 'Evidence strength: ';
    badge.insertBefore(hidden, badge.firstChild);
    meta.appendChild(badge);
    var place = topic[1] + ' · ' + sectionTitle + (row[3] ? ' › ' + row[3] : '');
    meta.appendChild(document.createTextNode(' ' + place));
    li.appendChild(meta);
    return li;
  }

  function showMore(token) {
    var slice = current.results.slice(current.shown, current.shown + PAGE_SIZE);
    var per = manifest.docsPerChunk;
    var needed = {};
    slice.forEach(function (r) { needed[Math.floor(r.id / per)] = true; });
    var loads = Object.keys(needed).map(function (n) {
      return loadScript('search/d-' + pad(n, 5) + '.js');
    });
    return Promise.all(loads).then(function () {
      if (token !== current.token) return;
      slice.forEach(function (r) {
        var row = chunks[Math.floor(r.id / per)][r.id % per];
        el.results.appendChild(resultItem(r, row));
      });
      current.shown += slice.length;
      el.more.hidden = current.shown >= current.results.length;
      el.results.setAttribute('data-state', 'done');
    });
  }

  function setStatus(parts) {
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
    ['section', 'strength', 'category', 'topic'].forEach(function (name) {
      if (el[name].value) params.set(name, el[name].value);
    });
    try {
      history.replaceState(null, '', '?' + params.toString());
    } catch (error) {
      // Some browsers refuse to rewrite a file:// address; the search still works.
    }
  }

  function search() {
    var query = el.input.value;
    var token = ++current.token;
    var started = performance.now();
    updateAddress(query.trim());
    el.results.setAttribute('data-state', 'busy');
    var concepts = parse(query);
    if (!concepts.length) {
      el.results.textContent = '';
      el.more.hidden = true;
      current.results = [];
      setStatus([query.trim()
        ? 'Type a more specific word: very common words such as “the” are not searched.'
        : 'Type a word to search ' + manifest.docCount.toLocaleString('en') + ' claims.']);
      el.results.setAttribute('data-state', 'done');
      return Promise.resolve();
    }
    var needs = plan(concepts);
    var filters = selectedFilters();
    return Promise.all([loadShards(needs.shards), loadFacets(filters)]).then(function () {
      if (token !== current.token) return null;
      var engine = engineFor(needs.shards);
      var results = run(engine, concepts, 'AND', filters, needs.prefixOk);
      var notes = [];
      if (!results.length && concepts.length > 1) {
        results = run(engine, concepts, 'OR', filters, needs.prefixOk);
        if (results.length) notes.push('No claim contains all the words; showing claims that contain any of them.');
      }
      var expanded = [];
      concepts.forEach(function (c) {
        c.alternatives.forEach(function (alt) { expanded.push(alt.join(' ')); });
      });
      var count = results.length;
      var summary = count === 0 ? 'No claim matches “' + query.trim() + '”'
        : count + (count === 1 ? ' claim matches “' : ' claims match “') + query.trim() + '”';
      var active = ['section', 'strength', 'category', 'topic'].filter(function (n) { return el[n].value; });
      summary += active.length ? ' with the filters selected.' : '.';
      var parts = [summary];
      if (expanded.length) parts.push('Also searched for: ' + expanded.join(', ') + '.');
      parts = parts.concat(notes);
      current.results = results;
      current.concepts = concepts;
      current.shown = 0;
      el.results.textContent = '';
      return showMore(token).then(function () {
        if (token !== current.token) return;
        setStatus(parts);
        window.EKBSearch.lastSearchMs = performance.now() - started;
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
      section: document.getElementById('filter-section'),
      strength: document.getElementById('filter-strength'),
      category: document.getElementById('filter-category'),
      topic: document.getElementById('filter-topic'),
      status: document.getElementById('search-status'),
      results: document.getElementById('search-results'),
      more: document.getElementById('search-more')
    };
    if (!el.form || !el.input) return;
    manifest.stopWords.forEach(function (w) { stopWords[w] = true; });
    Object.keys(manifest.names).forEach(function (name) {
      maxNameWords = Math.max(maxNameWords, name.split(' ').length);
    });
    var params = new URLSearchParams(window.location.search);
    el.input.value = params.get('q') || '';
    ['section', 'strength', 'category', 'topic'].forEach(function (name) {
      var value = params.get(name);
      if (value && el[name].querySelector('option[value="' + CSS.escape(value) + '"]')) {
        el[name].value = value;
      }
    });
    var timer = null;
    el.input.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(search, DEBOUNCE_MS);
    });
    ['section', 'strength', 'category', 'topic'].forEach(function (name) {
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
      if (document.readyState === 'loading') {
        document.addEventListener('DOMContentLoaded', start);
      } else {
        start();
      }
    },
    shard: function (number, entries) { shards[number] = entries; },
    facet: function (key, base64) {
      var text = atob(base64), bits = new Uint8Array(text.length);
      for (var i = 0; i < text.length; i++) bits[i] = text.charCodeAt(i);
      facets[key] = bits;
    },
    docs: function (number, rows) { chunks[number] = rows; },
    lastSearchMs: null
  };
})();
