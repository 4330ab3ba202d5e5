/* evidencekb's stemmer: the Porter2 (Snowball English) stemmer that `ekb search` stems
 * with, whoosh's own implementation (whoosh.lang.porter2.stem, evidencekb's
 * search/analysis.py), ported step for step so that the site's search reaches the same
 * index terms for every word, also words that no claim spells.
 *
 * Whoosh's Porter2 is not Snowball's generated code word for word, so this follows
 * whoosh's: its exceptional forms and region rules, and its quirks (step 1c's operator
 * precedence; a step 2 or 3 rule that would leave nothing lets the next rule try).
 * Python counts a word's length and regions in code points, so this does too: a
 * character beyond U+FFFF is one character here as there. tests/site/test_stem_js.py
 * runs every word of the SciFact and NFCorpus corpora through both and requires the
 * same stems.
 *
 * Input: a token of the project's token rule, lowercased (no spaces or line breaks).
 */
(function (root) {
  'use strict';

  var VOWEL = 'aeiouy';
  // Up to the first non-vowel after the first vowel: where R1 (or, after R1, R2) starts.
  var REGION = /^[^aeiouy]*[aeiouy]+[^aeiouy]/u;
  var SHORT_TWO = /^[aeiouy][^aeiouy]$/u;
  var SHORT_SYLLABLE = /^[^\n]*[^aeiouy][aeiouy][^aeiouywxY]$/u;
  var VOWEL_Y = /([aeiouy])y/gu;
  var VOWEL_THEN_ANY = /[aeiouy][^\n]/u;
  var ANY_VOWEL = /[aeiouy]/u;

  // Length in code points, as Python's len().
  function size(text) {
    return Array.from(text).length;
  }

  // The code point before the last, or '' (Python's word[-2]).
  function beforeLast(word) {
    var points = Array.from(word);
    return points.length > 1 ? points[points.length - 2] : '';
  }

  function regionAfter(word, from) {
    var rest = Array.from(word).slice(from).join('');
    var match = REGION.exec(rest);
    return match ? from + size(match[0]) : size(word);
  }

  function r1Of(word) {
    if (word.startsWith('gener') || word.startsWith('arsen')) return 5;
    if (word.startsWith('commun')) return 6;
    return regionAfter(word, 0);
  }

  function r2Of(word) {
    return regionAfter(word, r1Of(word));
  }

  function endsWithShortSyllable(word) {
    if (size(word) === 2 && SHORT_TWO.test(word)) return true;
    return SHORT_SYLLABLE.test(word);
  }

  function isShortWord(word) {
    return endsWithShortSyllable(word) && r1Of(word) === size(word);
  }

  function capitalizeConsonantYs(word) {
    if (word.charAt(0) === 'y') word = 'Y' + word.slice(1);
    return word.replace(VOWEL_Y, '$1Y');
  }

  function step0(word) {
    if (word.endsWith("'s'")) return word.slice(0, -3);
    if (word.endsWith("'s")) return word.slice(0, -2);
    if (word.endsWith("'")) return word.slice(0, -1);
    return word;
  }

  function step1a(word) {
    if (word.endsWith('sses')) return word.slice(0, -4) + 'ss';
    if (word.endsWith('ied') || word.endsWith('ies')) {
      return word.slice(0, -3) + (size(word) > 4 ? 'i' : 'ie');
    }
    if (word.endsWith('us') || word.endsWith('ss')) return word;
    if (word.endsWith('s')) {
      var preceding = word.slice(0, -1);
      return VOWEL_THEN_ANY.test(preceding) ? preceding : word;
    }
    return word;
  }

  var DOUBLES = ['bb', 'dd', 'ff', 'gg', 'mm', 'nn', 'pp', 'rr', 'tt'];

  function step1bHelper(word) {
    if (word.endsWith('at') || word.endsWith('bl') || word.endsWith('iz')) return word + 'e';
    if (DOUBLES.some(function (pair) { return word.endsWith(pair); })) return word.slice(0, -1);
    if (isShortWord(word)) return word + 'e';
    return word;
  }

  var STEP_1B = ['ed', 'edly', 'ing', 'ingly'];

  function step1b(word, r1) {
    if (word.endsWith('eedly')) return size(word) - 5 >= r1 ? word.slice(0, -3) : word;
    if (word.endsWith('eed')) return size(word) - 3 >= r1 ? word.slice(0, -1) : word;
    for (var i = 0; i < STEP_1B.length; i++) {
      var suffix = STEP_1B[i];
      if (word.endsWith(suffix)) {
        var preceding = word.slice(0, -suffix.length);
        return ANY_VOWEL.test(preceding) ? step1bHelper(preceding) : word;
      }
    }
    return word;
  }

  function step1c(word) {
    // As whoosh reads it: ends in "y", or (ends in "Y" and is longer than one letter).
    if (word.endsWith('y') || (word.endsWith('Y') && size(word) > 1)) {
      if (VOWEL.indexOf(beforeLast(word)) < 0 && size(word) > 2) return word.slice(0, -1) + 'i';
    }
    return word;
  }

  var STEP_2 = [
    ['ization', 'ize', []], ['ational', 'ate', []], ['fulness', 'ful', []],
    ['ousness', 'ous', []], ['iveness', 'ive', []], ['tional', 'tion', []],
    ['biliti', 'ble', []], ['lessli', 'less', []], ['entli', 'ent', []],
    ['ation', 'ate', []], ['alism', 'al', []], ['aliti', 'al', []], ['ousli', 'ous', []],
    ['iviti', 'ive', []], ['fulli', 'ful', []], ['enci', 'ence', []], ['anci', 'ance', []],
    ['abli', 'able', []], ['izer', 'ize', []], ['ator', 'ate', []], ['alli', 'al', []],
    ['bli', 'ble', []], ['ogi', 'og', ['l']],
    ['li', '', ['c', 'd', 'e', 'g', 'h', 'k', 'm', 'n', 'r', 't']]
  ];

  // A rule of step 2: null if the word does not end so; the word unchanged if it does
  // but the rule does not apply.
  function step2Rule(word, r1, rule) {
    var end = rule[0], replacement = rule[1], previous = rule[2];
    if (!word.endsWith(end)) return null;
    if (size(word) - end.length >= r1) {
      var stem = word.slice(0, -end.length);
      if (!previous.length) return stem + replacement;
      for (var i = 0; i < previous.length; i++) {
        if (stem.endsWith(previous[i])) return stem + replacement;
      }
    }
    return word;
  }

  function step2(word, r1) {
    for (var i = 0; i < STEP_2.length; i++) {
      var attempt = step2Rule(word, r1, STEP_2[i]);
      if (attempt) return attempt;  // whoosh: an empty result lets the next rule try
    }
    return word;
  }

  var STEP_3 = [
    ['ational', 'ate', false], ['tional', 'tion', false], ['alize', 'al', false],
    ['icate', 'ic', false], ['iciti', 'ic', false], ['ative', '', true], ['ical', 'ic', false],
    ['ness', '', false], ['ful', '', false]
  ];

  function step3Rule(word, r1, r2, rule) {
    var end = rule[0], replacement = rule[1], inR2 = rule[2];
    if (!word.endsWith(end)) return null;
    var before = size(word) - end.length;
    if (before >= r1 && (!inR2 || before >= r2)) return word.slice(0, -end.length) + replacement;
    return word;
  }

  function step3(word, r1, r2) {
    for (var i = 0; i < STEP_3.length; i++) {
      var attempt = step3Rule(word, r1, r2, STEP_3[i]);
      if (attempt) return attempt;
    }
    return word;
  }

  var STEP_4 = ['al', 'ance', 'ence', 'er', 'ic', 'able', 'ible', 'ant', 'ement', 'ment',
    'ent', 'ism', 'ate', 'iti', 'ous', 'ive', 'ize'];

  function step4(word, r2) {
    for (var i = 0; i < STEP_4.length; i++) {
      var end = STEP_4[i];
      if (word.endsWith(end)) return size(word) - end.length >= r2 ? word.slice(0, -end.length) : word;
    }
    if ((word.endsWith('sion') || word.endsWith('tion')) && size(word) - 3 >= r2) {
      return word.slice(0, -3);
    }
    return word;
  }

  function step5(word, r1, r2) {
    if (word.endsWith('l')) {
      return size(word) - 1 >= r2 && beforeLast(word) === 'l' ? word.slice(0, -1) : word;
    }
    if (word.endsWith('e')) {
      if (size(word) - 1 >= r2) return word.slice(0, -1);
      var rest = word.slice(0, -1);
      if (size(word) - 1 >= r1 && !endsWithShortSyllable(rest)) return rest;
    }
    return word;
  }

  var EXCEPTIONAL = new Map([
    ['skis', 'ski'], ['skies', 'sky'], ['dying', 'die'], ['lying', 'lie'], ['tying', 'tie'],
    ['idly', 'idl'], ['gently', 'gentl'], ['ugly', 'ugli'], ['early', 'earli'],
    ['only', 'onli'], ['singly', 'singl'], ['sky', 'sky'], ['news', 'news'], ['howe', 'howe'],
    ['atlas', 'atlas'], ['cosmos', 'cosmos'], ['bias', 'bias'], ['andes', 'andes']
  ]);

  var KEPT_AFTER_1A = new Set(['inning', 'outing', 'canning', 'herring', 'earring', 'proceed',
    'exceed', 'succeed']);

  // The Porter2 stem of `word` (whoosh.lang.porter2.stem).
  function stem(word) {
    if (size(word) <= 2) return word;
    if (word.charAt(0) === "'") word = word.slice(1);
    if (EXCEPTIONAL.has(word)) return EXCEPTIONAL.get(word);
    word = capitalizeConsonantYs(word);
    var r1 = r1Of(word), r2 = r2Of(word);
    word = step1a(step0(word));
    if (KEPT_AFTER_1A.has(word)) return word;
    word = step2(step1c(step1b(word, r1)), r1);
    word = step5(step4(step3(word, r1, r2), r2), r1, r2);
    return word.replace(/Y/g, 'y');
  }

  var api = {stem: stem};
  if (typeof module === 'object' && module.exports) module.exports = api;
  else root.EKBStem = api;
})(this);
