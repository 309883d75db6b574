/**
 * The page's only script: the case browser (search, filters, pages of 50, each case's prompt,
 * output and evaluator reasons). Plain ES2017 kept as text so the report is one file with no
 * build step of its own; it builds elements with `textContent` only, so no case text is ever
 * parsed as HTML.
 */
export const CASE_BROWSER_SCRIPT = String.raw`(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var cases = data.cases;
  var names = data.series;
  var PAGE = 50;
  var state = { q: '', outcome: 'all', category: '', series: '', page: 0 };
  var byId = function (id) { return document.getElementById(id); };
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  var haystacks = cases.map(function (c) {
    return [c.caseId, c.prompt, c.output, c.error || '', c.category || ''].concat(c.scores.map(function (s) { return s.name + ' ' + s.reason; })).join('\n').toLowerCase();
  });
  function matches(c, index) {
    var o = state.outcome;
    if (o === 'not-passed' && c.outcome === 'passed') return false;
    if ((o === 'passed' || o === 'failed' || o === 'errored') && c.outcome !== o) return false;
    if (o === 'flipped' && !c.flip) return false;
    if (o === 'pass-to-fail' && c.flip !== 'pass-to-fail') return false;
    if (o === 'fail-to-pass' && c.flip !== 'fail-to-pass') return false;
    if (state.category !== '' && c.category !== state.category) return false;
    if (state.series !== '' && String(c.series) !== state.series) return false;
    if (state.q !== '' && haystacks[index].indexOf(state.q) < 0) return false;
    return true;
  }
  function section(title, text, cls) {
    var wrap = el('div', 'case-part');
    wrap.appendChild(el('h4', null, title));
    wrap.appendChild(el('pre', cls || null, text === '' ? '(empty)' : text));
    return wrap;
  }
  function caseElement(c) {
    var item = el('details', 'case ' + c.outcome);
    item.setAttribute('data-case', c.caseId);
    var summary = el('summary');
    summary.appendChild(el('span', 'badge ' + c.outcome, c.outcome));
    if (c.flip) summary.appendChild(el('span', 'badge flip ' + c.flip, c.flip === 'pass-to-fail' ? 'pass → fail' : 'fail → pass'));
    summary.appendChild(el('span', 'case-id', c.caseId + (c.repeat > 0 ? ' #' + (c.repeat + 1) : '')));
    summary.appendChild(el('span', 'case-series', names[c.series] || ''));
    if (c.category !== null) summary.appendChild(el('span', 'case-category', c.category));
    if (c.latencyMs !== null) summary.appendChild(el('span', 'case-latency', Math.round(c.latencyMs) + ' ms'));
    item.appendChild(summary);
    item.addEventListener('toggle', function () {
      if (!item.open || item.childNodes.length > 1) return;
      var body = el('div', 'case-body');
      body.appendChild(section('Prompt', c.prompt));
      body.appendChild(section('Output', c.output));
      if (c.error) body.appendChild(section('Error', c.error, 'error'));
      if (c.scores.length > 0) {
        var scores = el('div', 'case-part');
        scores.appendChild(el('h4', null, 'Evaluators'));
        var list = el('ul', 'scores');
        c.scores.forEach(function (s) {
          var li = el('li', s.passed ? 'pass' : 'fail');
          li.appendChild(el('strong', null, (s.passed ? '✓ ' : '✗ ') + s.name + ' (' + s.score.toFixed(2) + ')'));
          if (s.reason) li.appendChild(el('span', 'reason', ' ' + s.reason));
          list.appendChild(li);
        });
        scores.appendChild(list);
        body.appendChild(scores);
      }
      item.appendChild(body);
    });
    return item;
  }
  function render() {
    var shown = [];
    for (var i = 0; i < cases.length; i++) if (matches(cases[i], i)) shown.push(i);
    var pages = Math.max(1, Math.ceil(shown.length / PAGE));
    if (state.page >= pages) state.page = pages - 1;
    var start = state.page * PAGE;
    var end = Math.min(shown.length, start + PAGE);
    var list = byId('case-list');
    list.textContent = '';
    for (var k = start; k < end; k++) list.appendChild(caseElement(cases[shown[k]]));
    byId('case-count').textContent = shown.length === 0
      ? 'No embedded case matches.'
      : 'Showing ' + (start + 1) + '–' + end + ' of ' + shown.length.toLocaleString('en') + ' matching cases (' + cases.length.toLocaleString('en') + ' embedded)';
    byId('case-count').setAttribute('data-matching', String(shown.length));
    byId('case-prev').disabled = state.page === 0;
    byId('case-next').disabled = state.page >= pages - 1;
  }
  function options(select, values, label) {
    values.forEach(function (v) { var o = el('option', null, label(v)); o.value = String(v.value); select.appendChild(o); });
  }
  var categories = [];
  var seen = {};
  cases.forEach(function (c) { if (c.category !== null && !seen[c.category]) { seen[c.category] = true; categories.push(c.category); } });
  categories.sort();
  var categorySelect = byId('case-category');
  if (categories.length === 0) categorySelect.hidden = true;
  options(categorySelect, categories.map(function (c) { return { value: c }; }), function (v) { return v.value; });
  options(byId('case-series'), names.map(function (n, i) { return { value: i, name: n }; }), function (v) { return v.name; });
  byId('case-search').addEventListener('input', function (event) { state.q = event.target.value.trim().toLowerCase(); state.page = 0; render(); });
  byId('case-outcome').addEventListener('change', function (event) { state.outcome = event.target.value; state.page = 0; render(); });
  categorySelect.addEventListener('change', function (event) { state.category = event.target.value; state.page = 0; render(); });
  byId('case-series').addEventListener('change', function (event) { state.series = event.target.value; state.page = 0; render(); });
  byId('case-prev').addEventListener('click', function () { state.page--; render(); });
  byId('case-next').addEventListener('click', function () { state.page++; render(); });
  render();
})();`;
