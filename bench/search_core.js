/* Run the site's search core (static/search-core.js) under Node.js over a built site's
 * search data, as the page does but without a browser: for the parity tests
 * (tests/site/test_search_parity.py) and bench/relevance.py --engine site.
 *
 *   node bench/search_core.js SITE_DIR [LIMIT] < queries.jsonl > results.jsonl
 *
 * Each input line is {"query": "...", "filters": {"section": ...}} (filters optional);
 * each output line {"ids": [claim ids, best first, at most LIMIT], "scores": [...],
 * "total": N, "corrected": "..." or null, "error": message or null, "highlights":
 * [[[start, end], ...] per claim, UTF-16 offsets]}. Data files are read synchronously;
 * one process answers every query.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const readline = require('readline');
const vm = require('vm');

const [site, limitText] = process.argv.slice(2);
const limit = Number(limitText || 10);
const core = require(path.resolve(site, 'static', 'search-core.js'));

let engine = null;
const sandbox = {
  EKBSearch: {
    manifest(data) { engine = core.create(data); },
    shard(number, entries) { engine.addShard(number, entries); },
    spelling(letter, words) { engine.addSpelling(letter, words); },
    docs(number, rows) { engine.addDocs(number, rows); },
  },
};
vm.createContext(sandbox);
const loaded = new Set();

function load(name) {
  if (loaded.has(name)) return;
  loaded.add(name);
  vm.runInContext(fs.readFileSync(path.join(site, 'search', name), 'utf8'), sandbox);
}

function pad(number, width) {
  return String(number).padStart(width, '0');
}

function answer(query, filters) {
  for (let round = 0; round < 8; round++) {
    const outcome = engine.search(query, filters || {});
    if (!outcome.need) return outcome;
    outcome.need.shards.forEach((n) => load(`t-${pad(n, 4)}.js`));
    outcome.need.spelling.forEach((letter) => load(`s-${pad(letter.codePointAt(0).toString(16), 4)}.js`));
  }
  throw new Error(`search data incomplete for ${JSON.stringify(query)}`);
}

load('manifest.js');
const per = engine.manifest.docsPerChunk;
const out = [];
readline.createInterface({input: process.stdin}).on('line', (line) => {
  if (!line.trim()) return;
  const {query, filters} = JSON.parse(line);
  const outcome = answer(query, filters);
  if (outcome.error !== undefined) {
    out.push(JSON.stringify({ids: [], scores: [], total: 0, corrected: null, error: outcome.error, highlights: []}));
    return;
  }
  const top = outcome.results.slice(0, limit);
  top.forEach((r) => load(`d-${pad(Math.floor(r.doc / per), 5)}.js`));
  const rows = top.map((r) => engine.row(r.doc));
  out.push(JSON.stringify({
    ids: rows.map((row) => row.id),
    scores: top.map((r) => r.score),
    total: outcome.total,
    corrected: outcome.corrected,
    error: null,
    highlights: rows.map((row) => core.spans(row.highlights, outcome.highlight)),
  }));
}).on('close', () => {
  process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
});
