/* evidencekb search core: the query language, lookup, ranking and highlighting of
 * `ekb search`, over the data `ekb build` writes (see evidencekb/search/browser/data.py).
 *
 * Pure: no DOM, no loading. It runs in the page (search.js feeds it the data scripts)
 * and under Node.js in the tests, which run the same queries through `ekb search` and
 * through this file and require the same claims in the same order.
 *
 * It holds no rule of its own that Python also holds: the token pattern, stop words,
 * abbreviations, vocabulary groups, the query fields (each with the name of the rule
 * its values follow, its allowed values and its examples: evidencekb/registry.py),
 * ranking parameters, collection statistics and spelling thresholds come from the
 * manifest, and a word's index term from stem.js, whoosh's Porter2 stemmer ported
 * (loaded before this file in the page, required beside it under Node.js). What is
 * here mirrors evidencekb/search/query.py (parser and compiler), search/fields.py
 * (one reader per value rule, `keyword`, which knows no field by name), engine.py
 * (ranking and the order of results), spelling.py and
 * whoosh's scoring (BM25F per field, with whoosh's stored field lengths; AND and OR add
 * the scores of the parts that match; a phrase scores as its words).
 *
 * Lookups that need a data file not loaded yet are recorded; `search` then returns
 * {need: {shards, spelling}} and the caller loads those and asks again.
 */
(function (root) {
  'use strict';

  var stem = typeof module === 'object' && module.exports ? require('./stem.js').stem
    : root.EKBStem.stem;

  function QueryError(message) {
    this.message = message;
  }

  function Missing() {}

  // ---- data --------------------------------------------------------------------

  function Engine(manifest) {
    var a = manifest.analysis;
    this.manifest = manifest;
    this.a = a;
    this.token = new RegExp(a.token, 'gu');
    this.space = new RegExp(a.space, 'u');  // what query.py's lexer splits at (str.isspace)
    this.stop = toSet(a.stopWords);
    this.abbreviations = toSet(a.abbreviations);
    // name -> {rule, needs, example} (evidencekb/registry.py), with no prototype: a name
    // every object has ("constructor") is no field here, as in query.py.
    this.fields = Object.assign(Object.create(null), a.fields);
    this.fieldNames = Object.keys(a.fields);
    // What may name a field before a colon: the registry's FIELD_NAME_PATTERN, as query.py reads it.
    this.fieldName = new RegExp('^(?:' + a.fieldName + ')$', 'u');
    this.keywordFields = Object.create(null);
    this.fieldNames.forEach(function (name) {
      if (a.fields[name].rule !== 'text') this.keywordFields[name] = true;
    }, this);
    this.yearPattern = new RegExp(a.yearPattern, 'u');
    this.datePattern = new RegExp(a.datePattern, 'u');
    this.doiPattern = new RegExp(a.doiPattern, 'u');
    this.doiPrefix = new RegExp(a.doiPrefix, 'iu');
    this.pmidPattern = new RegExp(a.pmidPattern, 'u');
    this.boosts = a.boosts;
    this.fullWidth = new RegExp('[' + a.fullWidth.ranges.map(function (range) {
      return String.fromCharCode(range[0]) + '-' + String.fromCharCode(range[1]);
    }).join('') + ']', 'g');
    this.shards = {};
    this.spelling = {};
    this.docs = {};
    this.decoded = {};
    this.need = null;
  }

  function toSet(list) {
    var set = Object.create(null);
    list.forEach(function (item) { set[item] = true; });
    return set;
  }

  function length(text) {
    return Array.from(text).length;
  }

  Engine.prototype.addShard = function (number, entries) {
    var map = new Map();
    entries.forEach(function (entry) { map.set(entry[0], entry); });
    this.shards[number] = map;
  };

  Engine.prototype.addSpelling = function (letter, words) {
    this.spelling[letter] = words;
  };

  Engine.prototype.addDocs = function (number, rows) {
    this.docs[number] = rows;
  };

  Engine.prototype.shardOf = function (key) {
    var starts = this.manifest.starts, low = 0, high = starts.length - 1;
    while (low < high) {
      var middle = (low + high + 1) >> 1;
      if (starts[middle] <= key) low = middle; else high = middle - 1;
    }
    return low;
  };

  // The shard entry of `key`, or null; a shard not loaded yet is noted as needed.
  Engine.prototype.entry = function (key) {
    if (!this.manifest.starts.length) return null;
    var number = this.shardOf(key);
    var shard = this.shards[number];
    if (!shard) {
      this.need.shards[number] = true;
      return null;
    }
    return shard.get(key) || null;
  };

  // A field's postings of a term: {docs, lengths, counts, positions}, or null.
  Engine.prototype.postings = function (field, term) {
    var cacheKey = field + '\u0000' + term;
    if (cacheKey in this.decoded) return this.decoded[cacheKey];
    var entry = this.keywordFields[field] ? this.entry(field + ':' + term) : this.entry(term);
    if (this.pending()) return null;
    var raw = entry ? entry[1][this.keywordFields[field] ? 'docs' : field] : null;
    var out = raw ? decode(raw, !this.keywordFields[field], this.manifest.topicStarts) : null;
    this.decoded[cacheKey] = out;
    return out;
  };

  // A list: per claim its number as the step from the claim before (and, `full`, the
  // field's length, the term's count and its positions as steps). A negative number
  // is a topic's mark, -(its number + 1): the next step counts from that topic's
  // first claim (`starts`), so that each topic's share is the same text whatever the
  // topics before it hold.
  function decode(flat, full, starts) {
    var out = {docs: [], lengths: [], counts: [], positions: []};
    var doc = 0, i = 0;
    while (i < flat.length) {
      var step = flat[i++];
      if (step < 0) {
        doc = starts[-step - 1];
        step = flat[i++];
      }
      doc += step;
      out.docs.push(doc);
      if (!full) continue;
      out.lengths.push(flat[i++]);
      var count = flat[i++], at = 0, positions = [];
      for (var k = 0; k < count; k++) {
        at += flat[i++];
        positions.push(at);
      }
      out.counts.push(count);
      out.positions.push(positions);
    }
    return out;
  }

  // analysis.narrowed: each full-width digit and letter (the manifest's fullWidth
  // ranges) as the ASCII one.
  Engine.prototype.narrowed = function (query) {
    var distance = this.a.fullWidth.distance;
    return query.replace(this.fullWidth, function (char) {
      return String.fromCharCode(char.charCodeAt(0) - distance);
    });
  };

  Engine.prototype.pending = function () {
    return Object.keys(this.need.shards).length > 0 || Object.keys(this.need.spelling).length > 0;
  };

  // ---- analysis (rules and lists from the manifest) -------------------------------

  // Whether `text` holds a word by the token pattern (searched or not: a stop word is
  // a word), as against only signs, emoji or spaces.
  Engine.prototype.hasWords = function (text) {
    this.token.lastIndex = 0;
    var found = this.token.test(text);
    this.token.lastIndex = 0;
    return found;
  };

  // analysis.is_abbreviation: Python's str.isupper (a character of Unicode's Uppercase, and
  // none of its Lowercase or a title-case letter: "ª" and "ʰ" are lower case with no
  // capital, "ℂ" a capital with no small letter), with two to four letters.
  Engine.prototype.isAbbreviation = function (word) {
    var count = letters(word);
    return /\p{Uppercase}/u.test(word) && !/[\p{Lowercase}\p{Lt}]/u.test(word) &&
      count >= this.a.abbreviationLetters && count <= this.a.abbreviationMostLetters;
  };

  // analysis.letters: how many letters `word` has (str.isalpha: Unicode's letters).
  function letters(word) {
    return (word.match(/\p{L}/gu) || []).length;
  }

  // The index terms of a query's words (analysis.Vocabulary.query_terms): each word
  // lowercased and stemmed, as the index's words were; a word written in capitals as
  // an abbreviation, or spelled like a vocabulary abbreviation, is that abbreviation,
  // unstemmed; one in capitals that is a vocabulary abbreviation's plural ("BZDS") is
  // that abbreviation.
  Engine.prototype.queryTerms = function (text) {
    var self = this, out = [];
    (String(text).match(this.token) || []).forEach(function (word) {
      var lower = word.toLowerCase();
      if (length(lower) < self.a.minLength || self.stop[lower]) return;
      var capitals = self.isAbbreviation(word);
      if (capitals && !self.abbreviations[lower] && /S$/.test(word) &&
          self.abbreviations[lower.slice(0, -1)]) {
        lower = lower.slice(0, -1);
      }
      var abbreviation = capitals || self.abbreviations[lower];
      out.push(abbreviation ? lower : stem(lower));
    });
    return out;
  };

  function same(a, b) {
    if (a.length !== b.length) return false;
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  Engine.prototype.groupOf = function (tokens) {
    var groups = this.a.groups;
    for (var g = 0; g < groups.length; g++) {
      for (var n = 0; n < groups[g][2].length; n++) {
        if (same(groups[g][2][n], tokens)) return groups[g];
      }
    }
    return null;
  };

  Engine.prototype.longestMatch = function (tokens, start) {
    var best = null, groups = this.a.groups;
    for (var g = 0; g < groups.length; g++) {
      groups[g][2].forEach(function (name) {
        if (best !== null && name.length <= best.size) return;
        if (same(tokens.slice(start, start + name.length), name)) {
          best = {size: name.length, group: groups[g]};
        }
      });
    }
    return best;
  };

  // ---- the query language (search/query.py) ----------------------------------------

  var MAX_QUERY_CHARS = 2000, MAX_QUERY_WORDS = 200, MAX_NESTING = 20;

  Engine.prototype.parse = function (query) {
    var chars = length(query);
    if (chars > MAX_QUERY_CHARS) {
      throw new QueryError('query too long: ' + chars + ' characters (at most ' +
        MAX_QUERY_CHARS + ')');
    }
    var tokens = this.lex(query);
    var count = tokens.filter(function (t) { return t.kind === 'word' || t.kind === 'phrase'; }).length;
    if (count > MAX_QUERY_WORDS) {
      throw new QueryError('query too long: ' + count + ' words (at most ' + MAX_QUERY_WORDS + ')');
    }
    if (!tokens.length) return null;
    return new Parser(tokens, query).parse();
  };

  // The place of the character at `index` (a UTF-16 offset) of `query`, counted from 1 in
  // characters (code points), as query.py counts: an emoji or a letter beyond U+FFFF is
  // one character, where JavaScript's offsets count two.
  function at(query, index) {
    return length(query.slice(0, index)) + 1;
  }

  Engine.prototype.lex = function (query) {
    var tokens = [], i = 0, n = query.length;
    while (i < n) {
      var char = query[i];
      if (this.space.test(char)) {
        i += 1;
      } else if (char === '(' || char === ')') {
        tokens.push({kind: char, text: char, start: i, end: i + 1});
        i += 1;
      } else if (char === '"') {
        var close = query.indexOf('"', i + 1);
        if (close < 0) {
          throw new QueryError('unclosed quote (") at character ' + at(query, i) + '; close it or remove it');
        }
        tokens.push({kind: 'phrase', text: query.slice(i + 1, close), start: i + 1, end: close});
        i = close + 1;
      } else {
        var j = i;
        while (j < n && !this.space.test(query[j]) && '()"'.indexOf(query[j]) < 0) j += 1;
        tokens.push.apply(tokens, this.chunk(query, i, j));
        i = j;
      }
    }
    return tokens;
  };

  Engine.prototype.chunk = function (query, i, j) {
    var chunk = query.slice(i, j);
    if (chunk === 'AND' || chunk === 'OR' || chunk === 'NOT') {
      return [{kind: chunk, text: chunk, start: i, end: j}];
    }
    var colon = chunk.indexOf(':');
    var name = colon < 0 ? chunk : chunk.slice(0, colon);
    var value = colon < 0 ? '' : chunk.slice(colon + 1);
    if (colon < 0 || !this.fieldName.test(name) || value[0] === '/') {
      return [{kind: 'word', text: chunk, start: i, end: j}];
    }
    name = name.toLowerCase();
    var followed = j < query.length && '("'.indexOf(query[j]) >= 0;
    if (!value && !followed) {
      if (this.fields[name]) {
        var example = this.fields[name].example;
        throw new QueryError('"' + name + ':" at character ' + at(query, i) + ' needs a value, e.g. ' + example);
      }
      return [{kind: 'word', text: chunk, start: i, end: j}];
    }
    if (!this.fields[name]) {
      throw new QueryError('unknown field "' + name + ':" at character ' + at(query, i) +
        ' (fields: ' + this.fieldNames.join(', ') + ')');
    }
    var tokens = [{kind: 'field', text: name, start: i, end: i + name.length + 1}];
    if (value) tokens.push({kind: 'word', text: value, start: i + name.length + 1, end: j});
    return tokens;
  };

  function Parser(tokens, query) {
    this.tokens = tokens;
    this.query = query;
    this.pos = 0;
  }

  // Where `token` starts, as the messages of query.py say it.
  Parser.prototype.at = function (token) {
    return at(this.query, token.start);
  };

  Parser.prototype.peek = function () {
    return this.pos < this.tokens.length ? this.tokens[this.pos] : null;
  };

  Parser.prototype.parse = function () {
    var node = this.or(0);
    if (this.pos < this.tokens.length) {
      throw new QueryError("unmatched ')' at character " + this.at(this.tokens[this.pos]));
    }
    return node;
  };

  Parser.prototype.operandFollows = function (operator) {
    var token = this.peek();
    if (token === null || token.kind === ')' || token.kind === 'AND' || token.kind === 'OR') {
      throw new QueryError(operator.text + ' at character ' + this.at(operator) + ' needs a term after it');
    }
  };

  Parser.prototype.or = function (depth) {
    var parts = [this.and(depth)], token;
    while ((token = this.peek()) !== null && token.kind === 'OR') {
      this.pos += 1;
      this.operandFollows(token);
      parts.push(this.and(depth));
    }
    return parts.length === 1 ? parts[0] : {type: 'anyOf', parts: parts};
  };

  Parser.prototype.and = function (depth) {
    var parts = [this.not(depth)], explicit = false, token;
    while ((token = this.peek()) !== null && token.kind !== ')' && token.kind !== 'OR') {
      if (token.kind === 'AND') {
        this.pos += 1;
        this.operandFollows(token);
        explicit = true;
      }
      parts.push(this.not(depth));
    }
    return parts.length === 1 ? parts[0] : {type: 'allOf', parts: parts, implicit: !explicit};
  };

  Parser.prototype.not = function (depth) {
    var token = this.peek();
    if (token !== null && token.kind === 'NOT') {
      this.pos += 1;
      this.operandFollows(token);
      return {type: 'negated', node: this.not(depth)};
    }
    return this.primary(depth);
  };

  Parser.prototype.primary = function (depth) {
    var token = this.tokens[this.pos];
    this.pos += 1;
    if (token.kind === 'word' || token.kind === 'phrase') {
      return {type: token.kind === 'word' ? 'word' : 'quoted', text: token.text,
              start: token.start, end: token.end};
    }
    if (token.kind === 'field') {
      var following = this.peek();
      if (following === null || ['word', 'phrase', '('].indexOf(following.kind) < 0) {
        throw new QueryError('"' + token.text + ':" at character ' + this.at(token) + ' needs a value');
      }
      return {type: 'fielded', name: token.text, value: this.primary(depth)};
    }
    if (token.kind === '(') {
      if (depth >= MAX_NESTING) {
        throw new QueryError('parentheses nested too deeply (at most ' + MAX_NESTING + ' levels)');
      }
      var next = this.peek();
      if (next !== null && next.kind === ')') {
        throw new QueryError('empty parentheses at character ' + this.at(token));
      }
      if (next === null) throw new QueryError("unclosed '(' at character " + this.at(token));
      var node = this.or(depth + 1);
      var closing = this.peek();
      if (closing === null || closing.kind !== ')') {
        throw new QueryError("unclosed '(' at character " + this.at(token));
      }
      this.pos += 1;
      return node;
    }
    if (token.kind === ')') throw new QueryError("unmatched ')' at character " + this.at(token));
    throw new QueryError(token.text + ' at character ' + this.at(token) + ' needs a term before it');
  };

  // The words and phrases searched in the text (not negated, not field values).
  function wordNodes(node, inText) {
    if (node === null) return [];
    if (node.type === 'word' || node.type === 'quoted') return inText ? [node] : [];
    if (node.type === 'fielded') {
      return wordNodes(node.value, inText && (node.name === 'text' || node.name === 'heading'));
    }
    if (node.type === 'negated') return [];
    var out = [];
    node.parts.forEach(function (part) { out.push.apply(out, wordNodes(part, inText)); });
    return out;
  }

  // ---- from syntax tree to a query (search/query.py's Compiler) -------------------

  function key(q) {
    return JSON.stringify(q);
  }

  function Compiler(engine) {
    this.e = engine;
    this.highlight = {};
  }

  Compiler.prototype.compile = function (tree) {
    this.highlight = {};
    if (tree === null) return {strict: null, relaxed: null, highlight: []};
    var strict = this.node(tree, null, false), relaxed = null;
    if (tree.type === 'allOf' && tree.implicit) {
      var loose = [], bound = [];
      this.conjuncts(tree.parts, null, false).forEach(function (item) {
        (item.plain ? loose : bound).push(item.query);
      });
      if (loose.length > 1) relaxed = combine(bound.concat([{type: 'or', subs: loose}]), false);
    }
    var highlight = this.highlight;
    return {strict: strict, relaxed: relaxed,
            highlight: Object.keys(highlight).map(function (k) { return highlight[k]; })};
  };

  Compiler.prototype.node = function (node, field, negated) {
    var self = this;
    if (node.type === 'word' || node.type === 'quoted') {
      if (field !== null && this.e.keywordFields[field]) return this.keyword(field, node.text);
      var tokens = this.e.queryTerms(node.text);
      if (!tokens.length) return null;
      var group = field === null ? this.e.groupOf(tokens) : null;
      if (group !== null) return this.expansion(group, [tokens], negated);
      return this.text(tokens, field, negated);
    }
    if (node.type === 'fielded') return this.node(node.value, node.name, negated);
    if (node.type === 'negated') {
      var inner = this.node(node.node, field, !negated);
      return inner === null ? null : {type: 'not', q: inner};
    }
    if (node.type === 'anyOf') {
      var subs = [];
      node.parts.forEach(function (part) {
        var q = self.node(part, field, negated);
        if (q) subs.push(q);
      });
      return subs.length > 1 ? {type: 'or', subs: subs} : (subs[0] || null);
    }
    return combine(this.conjuncts(node.parts, field, negated).map(function (c) { return c.query; }), false);
  };

  Compiler.prototype.conjuncts = function (parts, field, negated) {
    var self = this, out = [], i = 0;
    while (i < parts.length) {
      if (field === null && parts[i].type === 'word') {
        var j = i;
        while (j < parts.length && parts[j].type === 'word') j += 1;
        var run = parts.slice(i, j).map(function (w) { return self.e.queryTerms(w.text); });
        this.run(run, negated).forEach(function (q) { out.push({query: q, plain: true}); });
        i = j;
      } else {
        var plain = field === null && parts[i].type === 'quoted';
        out.push({query: this.node(parts[i], field, negated), plain: plain});
        i += 1;
      }
    }
    // A word written twice counts once (as in FTS5).
    var kept = [], seen = {};
    out.forEach(function (item) {
      if (item.query === null) return;
      var k = key(item.query);
      if (seen[k]) return;
      seen[k] = true;
      kept.push(item);
    });
    return kept;
  };

  Compiler.prototype.run = function (wordTerms, negated) {
    var self = this, flat = [], boundaries = {0: true}, top = 0;
    wordTerms.forEach(function (tokens) {
      flat.push.apply(flat, tokens);
      top += tokens.length;
      boundaries[top] = true;
    });
    var out = [], k = 0, position = 0;
    while (k < wordTerms.length) {
      var match = wordTerms[k].length ? this.e.longestMatch(flat, position) : null;
      if (match !== null && boundaries[position + match.size]) {
        var covered = [], end = position;
        while (end < position + match.size) {
          covered.push(wordTerms[k]);
          end += wordTerms[k].length;
          k += 1;
        }
        out.push(this.expansion(match.group, covered, negated));
        position = end;
      } else {
        wordTerms[k].forEach(function (token) { out.push(self.text([token], null, negated)); });
        position += wordTerms[k].length;
        k += 1;
      }
    }
    return out;
  };

  Compiler.prototype.expansion = function (group, written, negated) {
    var self = this;
    written = written.filter(function (tokens) { return tokens.length; });
    var asWritten = combine(written.map(function (t) { return self.text(t, null, negated); }), false);
    var flat = [];
    written.forEach(function (tokens) { flat.push.apply(flat, tokens); });
    // group[3]: the names of the narrower terms (analysis.VocabularyGroup.narrower).
    var names = group[2].filter(function (name) { return !same(name, flat); }).concat(group[3]);
    var others = names.map(function (name) { return self.text(name, null, negated); });
    return others.length ? {type: 'or', subs: [asWritten].concat(others)} : asWritten;
  };

  Compiler.prototype.text = function (tokens, field, negated) {
    if (!negated && (field === null || field === 'text')) this.highlight[key(tokens)] = tokens;
    var fields = field === null ? this.e.boosts : [[field, 1.0]];
    var subs = fields.map(function (pair) {
      return tokens.length === 1
        ? {type: 'term', field: pair[0], text: tokens[0], boost: pair[1]}
        : {type: 'phrase', field: pair[0], words: tokens, boost: pair[1]};
    });
    return subs.length === 1 ? subs[0] : {type: 'or', subs: subs};
  };

  // A keyword field's value, read by the field's rule (registry.RULES; search/fields.py's
  // keyword_query is the same in Python): the rules are code, the fields data.
  Compiler.prototype.keyword = function (field, value) {
    var e = this.e, rule = e.fields[field].rule, values = e.a.values[field];
    var term = function (text) { return {type: 'term', field: field, text: text, boost: 1.0}; };
    if (rule === 'choice') return term(allowedValue(field, value, Object.keys(values)));
    if (rule === 'term') return term(e.termId(field, value, values));
    if (rule === 'number') {
      if (!/^[0-9]+$/.test(value) || !/[1-9]/.test(value)) throw e.badValue(field, value);
      return term(String(parseInt(value, 10)));
    }
    if (rule === 'name') {
      var key = e.nameKey(value);
      if (!key) throw e.badValue(field, value);
      return term(key);
    }
    if (rule === 'year') return e.yearQuery(field, value);
    if (rule === 'date') return e.dateQuery(field, value);
    if (rule === 'doi') {
      var doi = value.replace(e.doiPrefix, '');
      if (!e.doiPattern.test(doi)) throw e.badValue(field, value);
      return term(doi.toUpperCase());  // identifiers.doi_key: DOIs are case-insensitive
    }
    if (rule === 'pmid' && !e.pmidPattern.test(value)) throw e.badValue(field, value);
    return term(value);  // pmid, exact
  };

  Engine.prototype.badValue = function (field, value) {
    var declared = this.fields[field];
    return new QueryError(field + ': needs ' + declared.needs + ', e.g. ' +
      declared.example + ' (got "' + value + '")');
  };

  // fields.name_key: the value's words, lowercased, joined.
  Engine.prototype.nameKey = function (value) {
    return (String(value).match(this.token) || []).map(function (word) {
      return word.toLowerCase();
    }).join(this.a.keyJoiner);
  };

  // fields._bounds: `value` matched by `pattern`, each bound in it a year, month or
  // day the calendar has; else the field's error.
  Engine.prototype.bounds = function (field, value, pattern) {
    var match = pattern.exec(value);
    if (match === null || match[0] === '..' || !match.slice(1).every(realDate)) {
      throw this.badValue(field, value);
    }
    return match;
  };

  // fields._real: whether a bound (2026, 2026-02, 2026-02-28; undefined: not given) is a
  // year, month or day of the calendar, as Python's datetime.date has it: from year 1
  // (which Date would take as 1901 unless set by setUTCFullYear), no February 30.
  function realDate(bound) {
    if (bound === undefined) return true;
    var parts = bound.split('-').map(Number).concat([1, 1]);
    var date = new Date(0);
    date.setUTCFullYear(parts[0], parts[1] - 1, parts[2]);
    return parts[0] >= 1 && date.getUTCFullYear() === parts[0] &&
      date.getUTCMonth() === parts[1] - 1 && date.getUTCDate() === parts[2];
  }

  Engine.prototype.yearQuery = function (field, value) {
    var match = this.bounds(field, value, this.yearPattern), years = this.a.ranges[field];
    if (match[1] !== undefined) return {type: 'term', field: field, text: match[1], boost: 1.0};
    var first = match[2] !== undefined ? Number(match[2]) : (years.length ? years[0] : 0);
    var last = match[3] !== undefined ? Number(match[3]) : (years.length ? years[years.length - 1] : 0);
    if (match[2] !== undefined && match[3] !== undefined && first > last) {
      throw new QueryError('year range ' + value + ' ends before it starts');
    }
    // One score for the range, however many of a claim's works fall in it.
    var within = years.filter(function (year) { return first <= year && year <= last; });
    return {type: 'constant', score: 1.0, q: {type: 'or', subs: within.map(function (year) {
      return {type: 'term', field: field, text: String(year), boost: 1.0};
    })}};
  };

  // fields._date_query: the dates the data holds on `value` or in its range; a bound of
  // a month or a year takes all of it.
  Engine.prototype.dateQuery = function (field, value) {
    var match = this.bounds(field, value, this.datePattern);
    var first = match[1] !== undefined ? match[1] : match[2];
    var last = match[1] !== undefined ? match[1] : match[3];
    if (first && last && first.slice(0, last.length) > last) {
      throw new QueryError('date range ' + value + ' ends before it starts');
    }
    var within = this.a.ranges[field].filter(function (date) {
      return (!first || date >= first) && (!last || date.slice(0, last.length) <= last);
    });
    return {type: 'constant', score: 1.0, q: {type: 'or', subs: within.map(function (date) {
      return {type: 'term', field: field, text: date, boost: 1.0};
    })}};
  };

  function allowedValue(name, value, allowed) {
    if (allowed.indexOf(value.toLowerCase()) >= 0) return value.toLowerCase();
    throw new QueryError('unknown ' + name + ' "' + value + '" (allowed: ' + allowed.join(', ') + ')');
  }

  // fields.term_id's str.casefold: each character lowered on its own, or folded as the
  // manifest's caseFolds say where Unicode folds it otherwise ("ß" is "ss", "µ" is "μ",
  // "ς" is "σ"); never JavaScript's lowering of a whole text, which ends a word in "ς".
  Engine.prototype.fold = function (text) {
    var folds = this.a.caseFolds;
    return Array.from(text, function (char) {
      return Object.prototype.hasOwnProperty.call(folds, char) ? folds[char] : char.toLowerCase();
    }).join('');
  };

  Engine.prototype.termId = function (name, value, names) {
    var self = this, wanted = this.fold(value);
    var ids = Object.keys(names);
    for (var i = 0; i < ids.length; i++) {
      var id = ids[i];
      if (wanted === self.fold(id) || names[id].some(function (n) { return wanted === self.fold(n); })) {
        return id;
      }
    }
    throw new QueryError('unknown ' + name + ' "' + value + '" (allowed: ' + ids.slice().sort().join(', ') + ')');
  };

  // AND (or OR) of the positive queries, minus the negated ones.
  function combine(queries, anyOf) {
    var positive = queries.filter(function (q) { return q.type !== 'not'; });
    var negative = queries.filter(function (q) { return q.type === 'not'; }).map(function (q) { return q.q; });
    if (!positive.length && !negative.length) return null;
    var base;
    if (!positive.length) base = {type: 'every'};
    else if (positive.length === 1) base = positive[0];
    else base = {type: anyOf ? 'or' : 'and', subs: positive};
    if (!negative.length) return base;
    return {type: 'andNot', a: base, b: negative.length === 1 ? negative[0] : {type: 'or', subs: negative}};
  }

  // ---- matching and scoring (whoosh's BM25F, RobertsonBM25F's idf) ---------------

  // A query's matches: Map of claim number -> score.
  Engine.prototype.evaluate = function (q) {
    var self = this;
    if (q.type === 'term') return this.termScores(q.field, q.text, q.boost);
    if (q.type === 'constant') {
      var scored = new Map();
      this.evaluate(q.q).forEach(function (_, doc) { scored.set(doc, q.score); });
      return scored;
    }
    if (q.type === 'phrase') return this.phraseScores(q);
    if (q.type === 'every') {
      var all = new Map();
      for (var d = 0; d < this.manifest.docCount; d++) all.set(d, 1.0);
      return all;
    }
    if (q.type === 'not') {
      var excluded = this.evaluate(q.q), rest = new Map();
      for (var n = 0; n < this.manifest.docCount; n++) if (!excluded.has(n)) rest.set(n, 1.0);
      return rest;
    }
    if (q.type === 'andNot') {
      var base = this.evaluate(q.a), minus = this.evaluate(q.b);
      minus.forEach(function (_, doc) { base.delete(doc); });
      return base;
    }
    var parts = q.subs.map(function (sub) { return self.evaluate(sub); });
    if (q.type === 'or') {
      var union = new Map();
      parts.forEach(function (part) {
        part.forEach(function (score, doc) { union.set(doc, (union.get(doc) || 0) + score); });
      });
      return union;
    }
    var smallest = parts.reduce(function (a, b) { return b.size < a.size ? b : a; });
    var both = new Map();
    smallest.forEach(function (_, doc) {
      if (!parts.every(function (part) { return part.has(doc); })) return;
      var score = 0;
      parts.forEach(function (part) { score += part.get(doc); });
      both.set(doc, score);
    });
    return both;
  };

  Engine.prototype.idf = function (df) {
    var docs = this.manifest.docCount;
    return Math.log(1 + (docs - df + 0.5) / (df + 0.5));
  };

  Engine.prototype.bm25 = function (field, postings, i, idf) {
    var k1 = this.a.k1, b = this.a.b;
    var avg = this.a.averageLength[field] || 1;
    var tf = postings.counts[i], fl = postings.lengths[i];
    return idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * fl / avg)));
  };

  Engine.prototype.termScores = function (field, text, boost) {
    var out = new Map(), postings = this.postings(field, text);
    if (!postings) return out;
    if (this.keywordFields[field]) {
      postings.docs.forEach(function (doc) { out.set(doc, 1.0 * boost); });
      return out;
    }
    var idf = this.idf(postings.docs.length);
    for (var i = 0; i < postings.docs.length; i++) {
      var score = this.bm25(field, postings, i, idf);
      out.set(postings.docs[i], boost === 1.0 ? score : score * boost);
    }
    return out;
  };

  // Claims where the words stand side by side, in order; scored as the sum of the
  // words' scores (whoosh's Phrase).
  Engine.prototype.phraseScores = function (q) {
    var self = this, out = new Map();
    var lists = q.words.map(function (word) { return self.postings(q.field, word); });
    if (lists.some(function (list) { return !list; })) return out;
    var at = lists.map(function (list) {
      var index = new Map();
      list.docs.forEach(function (doc, i) { index.set(doc, i); });
      return index;
    });
    var idfs = lists.map(function (list) { return self.idf(list.docs.length); });
    lists[0].docs.forEach(function (doc, first) {
      if (!at.every(function (index) { return index.has(doc); })) return;
      var starts = lists[0].positions[first].filter(function (p) {
        return lists.every(function (list, w) {
          return list.positions[at[w].get(doc)].indexOf(p + w) >= 0;
        });
      });
      if (!starts.length) return;
      var score = 0;
      lists.forEach(function (list, w) { score += self.bm25(q.field, list, at[w].get(doc), idfs[w]); });
      out.set(doc, q.boost === 1.0 ? score : score * q.boost);
    });
    return out;
  };

  // Best first; equal scores (to the precision engine.py ranks by) in claim order.
  Engine.prototype.ranked = function (matches) {
    var precision = this.a.scorePrecision, items = [];
    matches.forEach(function (score, doc) {
      items.push({doc: doc, score: score, rank: Math.floor(score * precision + 0.5)});
    });
    items.sort(function (x, y) { return (y.rank - x.rank) || (x.doc - y.doc); });
    return items;
  };

  // ---- spelling (search/spelling.py) ----------------------------------------------

  Engine.prototype.knownTerm = function (term) {
    var self = this;
    return this.boosts.some(function (pair) {
      var postings = self.postings(pair[0], term);
      return postings && postings.docs.length > 0;
    });
  };

  Engine.prototype.correctedQuery = function (query, tree) {
    var self = this, edits = [], s = this.a.spelling;
    wordNodes(tree, true).forEach(function (node) {
      // The word alone: a sign typed against it ("ketamime?", "ketamime,") stays.
      var found = node.type === 'quoted' ? null : self.onlyWord(node.text);
      if (found === null) return;
      var word = found.word, tokens = self.queryTerms(word);
      if (length(word) < s.minLength || !/^\p{L}+$/u.test(word) || tokens.length !== 1) return;
      if (self.isAbbreviation(word)) return;
      if (self.knownTerm(tokens[0])) return;
      if (self.groupOf(tokens) !== null) return;
      var suggestion = self.suggest(word.toLowerCase());
      if (suggestion !== null) {
        edits.push({start: node.start + found.start, end: node.start + found.end, text: suggestion});
      }
    });
    if (!edits.length || this.pending()) return null;
    edits.sort(function (x, y) { return y.start - x.start; });
    edits.forEach(function (edit) {
      query = query.slice(0, edit.start) + edit.text + query.slice(edit.end);
    });
    return query;
  };

  // spelling._only_word: the one word of a query word's text, {word, start, end} in
  // UTF-16 units (as node.start is), or null if it has more or none.
  Engine.prototype.onlyWord = function (text) {
    var found = Array.from(text.matchAll(this.token));
    if (found.length !== 1) return null;
    var start = found[0].index;
    return {word: found[0][0], start: start, end: start + found[0][0].length};
  };

  Engine.prototype.suggest = function (word) {
    var letter = Array.from(word)[0];
    if (!(letter in this.spelling)) {
      if (this.manifest.spelling.indexOf(letter) >= 0) this.need.spelling[letter] = true;
      return null;
    }
    var words = this.spelling[letter];
    var limits = length(word) >= this.a.spelling.longWord ? [1, 2] : [1];
    for (var l = 0; l < limits.length; l++) {
      var best = null;
      for (var i = 0; i < words.length; i++) {
        var candidate = words[i][0];
        if (candidate === word || levenshtein(word, candidate, limits[l]) > limits[l]) continue;
        var rank = [editDistance(word, candidate), -words[i][1], candidate];
        if (best === null || before(rank, best)) best = rank;
      }
      if (best !== null) return best[2];
    }
    return null;
  };

  function before(a, b) {
    if (a[0] !== b[0]) return a[0] < b[0];
    if (a[1] !== b[1]) return a[1] < b[1];
    return a[2] < b[2];
  }

  // Levenshtein distance (whoosh's terms_within: no transpositions), in code points.
  function levenshtein(a, b, limit) {
    a = Array.from(a);
    b = Array.from(b);
    if (Math.abs(a.length - b.length) > limit) return limit + 1;
    var previous = [];
    for (var j = 0; j <= b.length; j++) previous.push(j);
    for (var i = 1; i <= a.length; i++) {
      var current = [i];
      for (j = 1; j <= b.length; j++) {
        var cost = a[i - 1] === b[j - 1] ? 0 : 1;
        current.push(Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost));
      }
      previous = current;
    }
    return previous[b.length];
  }

  // Damerau-Levenshtein (analysis.edit_distance): ranks the suggestions.
  function editDistance(a, b) {
    a = Array.from(a);
    b = Array.from(b);
    var previous2 = [], previous = [];
    for (var j = 0; j <= b.length; j++) previous.push(j);
    for (var i = 1; i <= a.length; i++) {
      var current = [i];
      for (j = 1; j <= b.length; j++) {
        var cost = a[i - 1] === b[j - 1] ? 0 : 1;
        current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
          current[j] = Math.min(current[j], previous2[j - 2] + 1);
        }
      }
      previous2 = previous;
      previous = current;
    }
    return previous[b.length];
  }

  // ---- search (search/engine.py) ---------------------------------------------------

  Engine.prototype.filterSet = function (filters) {
    var self = this, sets = [];
    Object.keys(filters || {}).sort().forEach(function (name) {
      var value = filters[name];
      if (!value || !self.keywordFields[name]) return;
      var q = new Compiler(self).keyword(name, value);
      sets.push(self.evaluate(q));
    });
    return sets;
  };

  function filtered(matches, sets) {
    if (!sets.length) return matches;
    var out = new Map();
    matches.forEach(function (score, doc) {
      if (sets.every(function (set) { return set.has(doc); })) out.set(doc, score);
    });
    return out;
  }

  Engine.prototype.reach = function (plan, sets) {
    var every = plan.strict !== null && filtered(this.evaluate(plan.strict), sets).size > 0;
    var any = every || (plan.relaxed !== null && filtered(this.evaluate(plan.relaxed), sets).size > 0);
    return [every, any];
  };

  function better(a, b) {
    return a[0] !== b[0] ? a[0] : a[1] && !b[1];
  }

  // Run `query` (with page filters {field: value}, the registry's filter fields). Returns {need} when data must be loaded first, else {words: whether
  // any word is searched, results: [{doc, score}], strict: how many of them have every
  // word, total: claims matching, corrected: the corrected query or null, highlight:
  // term sequences}. A query that cannot be parsed gives {error}.
  Engine.prototype.search = function (query, filters) {
    this.need = {shards: {}, spelling: {}};
    try {
      // Composed and narrowed, as engine.search reads it: an accent typed apart is the
      // letter's, a full-width letter the ASCII one.
      var outcome = this.run(this.narrowed(String(query).normalize('NFC')), filters);
      if (this.pending()) throw new Missing();
      return outcome;
    } catch (error) {
      if (error instanceof QueryError) return {error: error.message};
      if (!(error instanceof Missing)) throw error;
      return {need: {
        shards: Object.keys(this.need.shards).map(Number).sort(function (a, b) { return a - b; }),
        spelling: Object.keys(this.need.spelling)
      }};
    }
  };

  Engine.prototype.run = function (query, filters) {
    var tree = this.parse(query);
    var compiler = new Compiler(this);
    var sets = this.filterSet(filters);
    var plan = compiler.compile(tree);
    if (this.pending()) throw new Missing();
    var corrected = null;
    var suggestion = tree === null ? null : this.correctedQuery(query, tree);
    if (this.pending()) throw new Missing();
    var suggested = suggestion === null ? null : this.queryTree(suggestion);
    if (suggested !== null) {
      var other = compiler.compile(suggested);
      if (this.pending()) throw new Missing();
      if (better(this.reach(other, sets), this.reach(plan, sets))) {
        corrected = suggestion;
        plan = other;
      }
    }
    if (plan.strict === null) {
      return {words: false, results: [], strict: 0, total: 0, corrected: corrected, highlight: []};
    }
    var strict = this.ranked(filtered(this.evaluate(plan.strict), sets));
    var results = strict, total = strict.length;
    if (plan.relaxed !== null) {
      var seen = new Set(strict.map(function (item) { return item.doc; }));
      var widest = this.ranked(filtered(this.evaluate(plan.relaxed), sets));
      total = widest.length;
      results = strict.concat(widest.filter(function (item) { return !seen.has(item.doc); }));
    }
    if (this.pending()) throw new Missing();
    return {words: true, results: results, strict: strict.length, total: total,
            corrected: corrected, highlight: plan.highlight};
  };

  // engine._query_tree: the tree of a corrected query, or null if it is no query one
  // may type (longer than the query as typed, it may pass the limits): not offered.
  Engine.prototype.queryTree = function (suggestion) {
    try {
      return this.parse(suggestion);
    } catch (error) {
      if (error instanceof QueryError) return null;
      throw error;
    }
  };

  // ---- highlighting (analysis.spans) -----------------------------------------------

  // The display row of a claim (from d-*.js) as an object named by the manifest's
  // rowFields (search/browser/rows.py ROW_FIELDS), or null (its chunk is not loaded).
  Engine.prototype.row = function (doc) {
    var chunk = this.docs[Math.floor(doc / this.manifest.docsPerChunk)];
    if (!chunk) return null;
    var items = chunk[doc % this.manifest.docsPerChunk], row = {};
    this.manifest.rowFields.forEach(function (name, i) { row[name] = items[i]; });
    return row;
  };

  // Spans [start, end) of the claim text where a highlighted term sequence occurs,
  // merged where they overlap. `tokens` is the row's flat [term, start, end, ...].
  function spans(tokens, phrases) {
    var terms = [], found = [];
    for (var i = 0; i < tokens.length; i += 3) terms.push(tokens.slice(i, i + 3));
    terms.forEach(function (token, at) {
      phrases.forEach(function (phrase) {
        if (phrase[0] !== token[0] || at + phrase.length > terms.length) return;
        for (var k = 0; k < phrase.length; k++) if (terms[at + k][0] !== phrase[k]) return;
        var start = token[1], end = terms[at + phrase.length - 1][2];
        var last = found[found.length - 1];
        if (last && start <= last[1]) last[1] = Math.max(last[1], end);
        else found.push([start, end]);
      });
    });
    return found;
  }

  var api = {
    create: function (manifest) { return new Engine(manifest); },
    spans: spans
  };
  if (typeof module === 'object' && module.exports) module.exports = api;
  else root.EKBSearchCore = api;
})(this);
