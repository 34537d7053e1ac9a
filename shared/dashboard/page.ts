/**
 * The operator dashboard served by `GET /api/dashboard`: one static page (HTML, CSS and script inline, nothing
 * from anywhere else). Its script polls `GET /api/fleet`, `GET /api/actions?limit=30` and `GET /api/ops/approvals`
 * every 2 s with the function key from the page's `?code=` (sent as `x-functions-key`), and offers holds,
 * evacuation, unfreeze and approvals, each behind a second "Confirm" click.
 *
 * Every value from the API reaches the page through `textContent` or `setAttribute` (the script never
 * assigns HTML), so an API value cannot become markup.
 *
 * Note for editing: the script and style live in a template literal; they use no backticks, no `${` and
 * no backslashes.
 */

/** The policy for the page: its own nonce'd inline script and style, requests to its own origin only. */
export function dashboardCsp(nonce: string): string {
  return [
    "default-src 'self'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function dashboardHtml(nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>GPU Fleet Autopilot</title>
<style nonce="${nonce}">${CSS}</style>
</head>
<body>
<header class="top">
  <div class="title">
    <h1>GPU Fleet Autopilot</h1>
    <span id="dry-run" class="tag" data-dry-run="unknown">dry run: …</span>
    <span id="conn" class="conn" role="status" aria-live="polite">connecting…</span>
  </div>
  <div id="freeze" class="freeze" data-frozen="unknown">
    <p id="freeze-text">Freeze state: loading…</p>
    <div id="unfreeze-controls" class="controls" hidden></div>
  </div>
  <p id="status" class="status" role="status" aria-live="polite" data-state="idle">No operator action yet.</p>
</header>
<main>
  <section aria-labelledby="regions-h">
    <h2 id="regions-h">Regions</h2>
    <div id="regions" class="regions"></div>
    <p id="regions-empty" class="empty" hidden>No regions.</p>
  </section>
  <div class="lower">
    <section aria-labelledby="jobs-h" class="panel">
      <h2 id="jobs-h">Jobs</h2>
      <ul id="job-states" class="chips" aria-label="Jobs by state"></ul>
      <div class="scroll">
        <table id="jobs">
          <thead><tr><th scope="col">Job</th><th scope="col">State</th><th scope="col" class="num">Attempt</th><th scope="col">Region</th><th scope="col">Cluster</th></tr></thead>
          <tbody></tbody>
        </table>
      </div>
      <p id="jobs-empty" class="empty" hidden>No jobs.</p>
    </section>
    <section aria-labelledby="holds-h" class="panel">
      <h2 id="holds-h">Holds</h2>
      <ul id="holds" class="plain"></ul>
      <p id="holds-empty" class="empty" hidden>No active holds.</p>
      <h2 id="approvals-h">Pending approvals</h2>
      <ul id="approvals" class="plain"></ul>
      <p id="approvals-empty" class="empty" hidden>Nothing waiting for approval.</p>
    </section>
  </div>
  <section aria-labelledby="timeline-h" class="panel">
    <h2 id="timeline-h">Actions <span class="muted">(newest first)</span></h2>
    <ol id="timeline" class="timeline"></ol>
    <p id="timeline-empty" class="empty" hidden>No actions recorded.</p>
  </section>
</main>
<script nonce="${nonce}">${SCRIPT}</script>
</body>
</html>
`;
}

const CSS = `
:root {
  --bg: #f5f6f8; --card: #ffffff; --ink: #1b1f24; --muted: #545d68; --line: #d3d9e0;
  --ok-bg: #e3f3e8; --ok-ink: #0b5227; --ok-line: #5aa572;
  --warn-bg: #fff3d1; --warn-ink: #5c3f00; --warn-line: #c99a1c;
  --bad-bg: #fde6e6; --bad-ink: #7f1010; --bad-line: #cf4a4a;
  --info-bg: #e4edfc; --info-ink: #0b357e; --info-line: #5b85cf;
  --focus: #1d5fd1;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
h1 { font-size: 18px; margin: 0; }
h2 { font-size: 15px; margin: 0 0 8px; }
h3 { font-size: 13px; margin: 12px 0 4px; color: var(--muted); font-weight: 600; }
.muted { color: var(--muted); font-weight: normal; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
header.top { background: var(--card); border-bottom: 1px solid var(--line); padding: 10px 24px; display: grid; gap: 6px; }
.title { display: flex; flex-wrap: wrap; align-items: center; gap: 12px; }
.conn { margin-left: auto; color: var(--muted); font-size: 13px; }
.conn[data-state="error"] { color: var(--bad-ink); font-weight: 600; }
.tag { display: inline-block; border: 1px solid var(--line); border-radius: 4px; padding: 1px 8px; font-size: 12px; font-weight: 600; }
.tag[data-dry-run="true"] { background: var(--warn-bg); color: var(--warn-ink); border-color: var(--warn-line); }
.freeze { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 16px; border-radius: 6px; padding: 4px 0; }
.freeze p { margin: 0; }
.freeze[data-frozen="true"] { background: var(--bad-ink); color: #fff; padding: 8px 12px; }
.freeze[data-frozen="true"] strong { letter-spacing: 0.05em; }
.freeze[data-frozen="true"] input { border-color: #fff; }
.status { margin: 0; font-size: 13px; padding: 4px 8px; border-left: 4px solid var(--line); background: var(--bg); overflow-wrap: anywhere; }
.status[data-state="ok"] { border-left-color: var(--ok-line); }
.status[data-state="error"] { border-left-color: var(--bad-line); color: var(--bad-ink); }
.status[data-state="pending"] { border-left-color: var(--info-line); }
main { padding: 16px 24px 40px; display: grid; gap: 20px; }
.regions { display: grid; grid-template-columns: repeat(auto-fit, minmax(380px, 1fr)); gap: 16px; align-items: start; }
.lower { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; align-items: start; }
.panel, .region { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; min-width: 0; }
.region { border-left-width: 6px; }
.region[data-health="healthy"] { border-left-color: var(--ok-line); }
.region[data-health="suspect"] { border-left-color: var(--warn-line); }
.region[data-health="impaired"] { border-left-color: var(--bad-line); }
.region[data-health="recovering"] { border-left-color: var(--info-line); }
.region-head { display: flex; flex-wrap: wrap; align-items: baseline; gap: 8px; }
.region-head h2 { margin: 0; font-size: 16px; }
.since { margin: 4px 0 0; color: var(--muted); font-size: 13px; overflow-wrap: anywhere; }
.badge { display: inline-flex; align-items: center; gap: 4px; border: 1px solid var(--line); border-radius: 999px; padding: 0 10px; font-size: 12px; font-weight: 700; white-space: nowrap; }
.badge .sym { font-size: 12px; }
.b-ok { background: var(--ok-bg); color: var(--ok-ink); border-color: var(--ok-line); }
.b-warn { background: var(--warn-bg); color: var(--warn-ink); border-color: var(--warn-line); }
.b-bad { background: var(--bad-bg); color: var(--bad-ink); border-color: var(--bad-line); }
.b-info { background: var(--info-bg); color: var(--info-ink); border-color: var(--info-line); }
.b-none { background: var(--bg); color: var(--ink); }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid var(--line); vertical-align: top; overflow-wrap: anywhere; }
th { color: var(--muted); font-weight: 600; white-space: nowrap; overflow-wrap: normal; }
td.num { white-space: nowrap; overflow-wrap: normal; }
.small { font-size: 12px; }
th.num, td.num { text-align: right; }
.scroll { overflow: auto; max-height: 420px; }
.cluster { border-top: 1px solid var(--line); padding-top: 6px; margin-top: 6px; }
.cluster-head { display: flex; flex-wrap: wrap; gap: 4px 14px; align-items: center; overflow-wrap: anywhere; }
.cluster-head meter { width: 90px; }
.chips { list-style: none; padding: 0; margin: 0 0 8px; display: flex; flex-wrap: wrap; gap: 6px; }
.chips li { border: 1px solid var(--line); border-radius: 4px; padding: 1px 8px; font-size: 13px; }
.chips b { font-variant-numeric: tabular-nums; }
ul.plain { list-style: none; padding: 0; margin: 0 0 12px; }
ul.plain > li { border-bottom: 1px solid var(--line); padding: 6px 0; overflow-wrap: anywhere; }
.empty { color: var(--muted); margin: 4px 0 12px; font-style: italic; }
.timeline { list-style: none; padding: 0; margin: 0; }
.timeline > li { display: grid; grid-template-columns: 170px 110px minmax(120px, 200px) 1fr; gap: 2px 12px; border-bottom: 1px solid var(--line); padding: 6px 0; font-size: 13px; }
.timeline .detail { grid-column: 4; overflow-wrap: anywhere; }
.timeline .key, .timeline .by { color: var(--muted); overflow-wrap: anywhere; }
.timeline .outcome { overflow-wrap: anywhere; }
fieldset.ops { border: 1px dashed var(--line); border-radius: 6px; margin: 12px 0 0; padding: 6px 10px 10px; }
fieldset.ops legend { color: var(--muted); font-size: 12px; font-weight: 600; padding: 0 4px; }
.controls { display: flex; flex-wrap: wrap; align-items: end; gap: 6px 10px; margin-top: 6px; }
.controls label { display: grid; gap: 2px; font-size: 12px; color: inherit; }
input { font: inherit; padding: 3px 6px; border: 1px solid #8a939e; border-radius: 4px; background: #fff; color: var(--ink); }
input[type="number"] { width: 80px; }
input.reason { width: 200px; }
button { font: inherit; font-size: 13px; padding: 3px 10px; border-radius: 4px; border: 1px solid #6b747f; background: #fff; color: var(--ink); cursor: pointer; }
button:hover { background: var(--bg); }
button.danger { background: var(--bad-ink); color: #fff; border-color: var(--bad-ink); }
button:disabled { opacity: 0.6; cursor: progress; }
button:focus-visible, input:focus-visible { outline: 3px solid var(--focus); outline-offset: 1px; }
.two-step { display: inline-flex; gap: 6px; align-items: center; }
[hidden] { display: none !important; }
@media (max-width: 900px) { .timeline > li { grid-template-columns: 1fr; } .timeline .detail { grid-column: 1; } }
`;

const SCRIPT = `
(function () {
  'use strict';
  var API = '/api';
  var POLL_MS = 2000;
  var CONFIRM_MS = 15000;
  var key = new URLSearchParams(location.search).get('code') || '';
  var serverNow = Date.now();

  var HEALTH = new Map([
    ['healthy', { sym: '✓', cls: 'b-ok' }],
    ['suspect', { sym: '▲', cls: 'b-warn' }],
    ['impaired', { sym: '✕', cls: 'b-bad' }],
    ['recovering', { sym: '↻', cls: 'b-info' }]
  ]);
  var ACTION_STATUS = new Map([
    ['done', { sym: '✓', cls: 'b-ok' }],
    ['started', { sym: '…', cls: 'b-info' }],
    ['failed', { sym: '✕', cls: 'b-bad' }],
    ['withheld', { sym: '‖', cls: 'b-warn' }],
    ['skipped', { sym: '–', cls: 'b-none' }]
  ]);

  function $(id) { return document.getElementById(id); }

  /** Builds an element: text only through text nodes, attributes only through setAttribute. */
  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === undefined || v === null || v === false) return;
        if (k === 'text') el.textContent = String(v);
        else if (k === 'onclick') el.addEventListener('click', v);
        else el.setAttribute(k, v === true ? '' : String(v));
      });
    }
    for (var i = 2; i < arguments.length; i++) add(el, arguments[i]);
    return el;
  }
  function add(el, kid) {
    if (kid === undefined || kid === null || kid === false) return;
    if (Array.isArray(kid)) { kid.forEach(function (k) { add(el, k); }); return; }
    el.appendChild(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  function str(v) { return v === undefined || v === null || v === '' ? '—' : String(v); }
  function arr(v) { return Array.isArray(v) ? v : []; }

  function fmtTime(iso) {
    if (!iso) return '—';
    var t = Date.parse(iso);
    if (isNaN(t)) return String(iso);
    return new Date(t).toISOString().slice(0, 19).replace('T', ' ') + 'Z';
  }
  function rel(iso) {
    var t = Date.parse(iso);
    if (!iso || isNaN(t)) return '';
    var s = Math.round((t - serverNow) / 1000), a = Math.abs(s);
    var txt = a < 60 ? a + 's' : a < 3600 ? Math.round(a / 60) + 'm' : a < 86400 ? (a / 3600).toFixed(1) + 'h' : (a / 86400).toFixed(1) + 'd';
    return s >= 0 ? 'in ' + txt : txt + ' ago';
  }
  function timeEl(iso) {
    var r = rel(iso);
    return h('time', { datetime: iso || undefined, title: iso || undefined }, fmtTime(iso) + (r ? ' (' + r + ')' : ''));
  }
  function badge(map, value, attrs) {
    var m = map.get(value) || { sym: '?', cls: 'b-none' };
    var a = attrs || {};
    a['class'] = 'badge ' + m.cls;
    return h('span', a, h('span', { 'class': 'sym', 'aria-hidden': 'true' }, m.sym), str(value));
  }
  function table(headers, rows) {
    return h('div', { 'class': 'scroll' }, h('table', null,
      h('thead', null, h('tr', null, headers.map(function (c) { return h('th', { scope: 'col', 'class': c.num ? 'num' : undefined }, c.label); }))),
      h('tbody', null, rows.map(function (r) { return h('tr', null, r.map(function (cell, i) { return h('td', { 'class': headers[i].num ? 'num' : undefined }, cell); })); }))));
  }
  function show(id, visible) { $(id).hidden = !visible; }

  // ---- API ----
  function api(method, path, body) {
    var headers = { accept: 'application/json' };
    if (key) headers['x-functions-key'] = key;
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fetch(API + path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store', credentials: 'same-origin' })
      .then(function (res) {
        return res.text().then(function (text) {
          var data = null;
          try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
          return { ok: res.ok, status: res.status, data: data, text: text };
        });
      });
  }
  function errText(r) {
    if (r.data && typeof r.data === 'object' && typeof r.data.error === 'string') return r.data.error + (r.data.field ? ' (field: ' + r.data.field + ')' : '');
    var t = (r.text || '').trim();
    return t ? t.slice(0, 300) : 'HTTP ' + r.status;
  }
  function say(text, state) {
    var s = $('status');
    s.textContent = text;
    s.setAttribute('data-state', state);
  }
  function act(label, method, path, body) {
    say(label + ': sending…', 'pending');
    return api(method, path, body).then(function (r) {
      if (r.ok) {
        var answer = r.text ? r.text.trim() : '';
        say(label + ': ' + r.status + ' ' + (answer.length > 600 ? answer.slice(0, 600) + '…' : answer), 'ok');
      } else {
        say(label + ': ' + r.status + ' ' + errText(r), 'error');
      }
      refresh();
      return r.ok;
    }, function (e) {
      say(label + ': request failed: ' + (e && e.message ? e.message : String(e)), 'error');
      return false;
    });
  }

  /** A button that asks once more: the first click shows "Confirm" and "Cancel"; only Confirm runs. */
  function twoStep(label, testid, describe, validate, run) {
    var trigger = h('button', { type: 'button', 'data-testid': testid }, label);
    var confirmBtn = h('button', { type: 'button', 'class': 'danger', 'data-testid': 'confirm-' + testid });
    var cancelBtn = h('button', { type: 'button', 'data-testid': 'cancel-' + testid }, 'Cancel');
    var box = h('span', { 'class': 'two-step', role: 'group', 'aria-label': 'Confirm ' + label, hidden: true }, confirmBtn, cancelBtn);
    var timer = null;
    function reset() { clearTimeout(timer); box.hidden = true; trigger.hidden = false; confirmBtn.disabled = false; }
    trigger.addEventListener('click', function () {
      var problem = validate ? validate() : '';
      if (problem) { say(problem, 'error'); return; }
      confirmBtn.textContent = 'Confirm? ' + describe();
      trigger.hidden = true; box.hidden = false; confirmBtn.focus();
      timer = setTimeout(reset, CONFIRM_MS);
    });
    cancelBtn.addEventListener('click', function () { reset(); trigger.focus(); });
    confirmBtn.addEventListener('click', function () {
      clearTimeout(timer);
      confirmBtn.disabled = true;
      var problem = validate ? validate() : '';
      if (problem) { say(problem, 'error'); reset(); return; }
      Promise.resolve(run()).then(reset, reset);
    });
    return h('span', { 'class': 'two-step' }, trigger, box);
  }

  // ---- header: freeze, dry run, unfreeze ----
  var unfreezeReason = h('input', { type: 'text', 'class': 'reason', 'data-testid': 'unfreeze-reason', placeholder: 'why unfreeze' });
  $('unfreeze-controls').appendChild(h('div', { 'class': 'controls' },
    h('label', null, 'Reason', unfreezeReason),
    twoStep('Unfreeze…', 'unfreeze', function () { return 'Hand control back to the autopilot'; },
      function () { return unfreezeReason.value.trim() ? '' : 'Unfreeze: say why (reason).'; },
      function () {
        return act('Unfreeze', 'POST', '/ops/unfreeze', { reason: unfreezeReason.value.trim() })
          .then(function (ok) { if (ok) unfreezeReason.value = ''; });
      })));

  function renderHeader(f) {
    var fr = f.freeze || {};
    var box = $('freeze'), text = $('freeze-text');
    box.setAttribute('data-frozen', fr.frozen ? 'true' : 'false');
    text.textContent = '';
    if (fr.frozen) {
      box.setAttribute('role', 'alert');
      add(text, [h('strong', null, '■ FROZEN'), ' — ', str(fr.reason), ' — by ', str(fr.by), ' since ', timeEl(fr.since),
        '. Nothing disruptive runs automatically.']);
    } else {
      box.removeAttribute('role');
      add(text, [h('strong', null, '▶ Automation active'), h('span', { 'class': 'muted' }, ' (not frozen' + (fr.reason && fr.reason !== 'never frozen' ? ': last change ' + fr.reason + ' by ' + str(fr.by) : '') + ')')]);
    }
    show('unfreeze-controls', !!fr.frozen);
    var dry = $('dry-run');
    dry.setAttribute('data-dry-run', f.dryRun ? 'true' : 'false');
    dry.textContent = f.dryRun ? '⚠ DRY RUN: actions are planned, not executed' : 'live (not dry run)';
  }

  // ---- regions: one card per region; the card's controls persist across polls ----
  var cards = new Map();

  function regionCard(name) {
    var data = h('div', { 'class': 'region-data' });
    var minutes = h('input', { type: 'number', min: '1', step: '1', value: '60', inputmode: 'numeric', 'data-testid': 'hold-minutes-' + name });
    var holdReason = h('input', { type: 'text', 'class': 'reason', placeholder: 'why hold', 'data-testid': 'hold-reason-' + name });
    var evacReason = h('input', { type: 'text', 'class': 'reason', placeholder: 'why evacuate', 'data-testid': 'evacuate-reason-' + name });
    function holdProblem() {
      var m = Number(minutes.value);
      if (!minutes.value || !isFinite(m) || m <= 0) return 'Hold on ' + name + ': minutes must be a positive number.';
      if (!holdReason.value.trim()) return 'Hold on ' + name + ': say why (reason).';
      return '';
    }
    var ops = h('fieldset', { 'class': 'ops' }, h('legend', null, 'Operator actions — ' + name),
      h('div', { 'class': 'controls' },
        h('label', null, 'Hold minutes', minutes),
        h('label', null, 'Hold reason', holdReason),
        twoStep('Hold region…', 'hold-' + name,
          function () { return 'Hold ' + name + ' for ' + Number(minutes.value) + ' min'; }, holdProblem,
          function () {
            return act('Hold ' + name, 'POST', '/ops/holds', { scope: 'region', target: name, minutes: Number(minutes.value), reason: holdReason.value.trim() })
              .then(function (ok) { if (ok) holdReason.value = ''; });
          })),
      h('div', { 'class': 'controls' },
        h('label', null, 'Evacuation reason', evacReason),
        twoStep('Evacuate region…', 'evacuate-' + name,
          function () { return 'Move all work out of ' + name; },
          function () { return evacReason.value.trim() ? '' : 'Evacuate ' + name + ': say why (reason).'; },
          function () {
            return act('Evacuate ' + name, 'POST', '/ops/regions/' + encodeURIComponent(name) + '/evacuate', { reason: evacReason.value.trim() })
              .then(function (ok) { if (ok) evacReason.value = ''; });
          })));
    var card = h('article', { 'class': 'region', 'data-region': name, 'aria-label': 'Region ' + name }, data, ops);
    return { card: card, data: data };
  }

  function renderRegion(entry, r) {
    entry.card.setAttribute('data-health', String(r.health));
    var d = entry.data;
    d.textContent = '';
    add(d, h('div', { 'class': 'region-head' }, h('h2', null, str(r.region)), badge(HEALTH, r.health, { 'data-health': String(r.health) })));
    add(d, h('p', { 'class': 'since' }, r.since ? ['since ', timeEl(r.since), ' — '] : 'never changed state — ', str(r.reason)));

    add(d, h('h3', null, 'Clusters'));
    var clusters = arr(r.clusters);
    if (!clusters.length) add(d, h('p', { 'class': 'empty' }, 'No clusters.'));
    clusters.forEach(function (c) {
      var gpus = Number(c.gpus) || 0, used = Number(c.gpusAllocated) || 0;
      add(d, h('div', { 'class': 'cluster', 'data-cluster': str(c.name) },
        h('div', { 'class': 'cluster-head' },
          h('strong', { title: c.id }, str(c.name)),
          h('span', null, 'GPUs ', h('b', null, used + ' / ' + gpus), ' allocated'),
          gpus > 0 ? h('meter', { min: '0', max: String(gpus), value: String(Math.min(used, gpus)), 'aria-label': 'GPUs allocated in ' + str(c.name) }) : null,
          h('span', null, h('b', null, str(c.jobsRunning)), ' jobs running')),
        arr(c.pools).length ? table(
          [{ label: 'Pool' }, { label: 'Count', num: true }, { label: 'Min', num: true }, { label: 'Max', num: true }, { label: 'Provisioning' }],
          arr(c.pools).map(function (p) {
            return [[h('strong', null, str(p.name)), h('br'), h('span', { 'class': 'muted small' }, str(p.vmSize) + (p.autoscale ? ', autoscale' : ''))], str(p.count), str(p.minCount), str(p.maxCount),
              p.lastPutAt ? [str(p.provisioningState), h('br'), h('span', { 'class': 'muted' }, 'last PUT '), timeEl(p.lastPutAt)] : str(p.provisioningState)];
          })) : h('p', { 'class': 'muted' }, 'Capacity declared (no managed pools).'),
        arr(c.failedNodes).length ? h('ul', { 'class': 'plain', 'aria-label': 'Failed nodes in ' + str(c.name) }, arr(c.failedNodes).map(function (n) {
          return h('li', { 'data-node': str(n.node) },
            h('span', { 'class': n.fine ? 'badge b-warn' : 'badge b-bad' }, h('span', { 'class': 'sym', 'aria-hidden': 'true' }, n.fine ? '↺' : '✕'), (n.fine ? 'recovering ' : 'failed ') + str(n.node)),
            ' ', str(n.cause), n.flaps ? ' (' + str(n.flaps) + ' flaps)' : '', ' since ', timeEl(n.since), ' — ',
            n.drained ? 'drained: ' + str(n.drained) : 'draining', n.replacement ? '; replacement: ' + str(n.replacement) : '');
        })) : null));
    });

    add(d, h('h3', null, 'Quota (vCPUs)'));
    var quota = arr(r.quota);
    add(d, quota.length ? table(
      [{ label: 'Quota' }, { label: 'Used', num: true }, { label: 'Limit', num: true }, { label: 'Reserved', num: true }, { label: 'Headroom', num: true }],
      quota.map(function (q) { return [h('span', { title: q.readAt ? 'read ' + q.readAt : undefined }, str(q.name)), str(q.used), str(q.limit), str(q.reserved), Number(q.headroom) <= 0 ? str(q.headroom) + ' (full)' : str(q.headroom)]; }))
      : h('p', { 'class': 'empty' }, 'Not read yet.'));

    var un = arr(r.unavailable);
    if (un.length) {
      add(d, h('h3', null, 'Unavailable'));
      add(d, h('ul', { 'class': 'plain' }, un.map(function (u) {
        return h('li', null, h('span', { 'class': 'badge b-bad' }, h('span', { 'class': 'sym', 'aria-hidden': 'true' }, '✕'), str(u.what)), ' until ', timeEl(u.until), ' — ', str(u.why));
      })));
    }
  }

  function renderRegions(regions) {
    var box = $('regions'), seen = new Set();
    regions.forEach(function (r) {
      var name = String(r.region);
      seen.add(name);
      var entry = cards.get(name);
      if (!entry) { entry = regionCard(name); cards.set(name, entry); }
      renderRegion(entry, r);
      box.appendChild(entry.card); // keeps the API's order; moving a node keeps its inputs
    });
    cards.forEach(function (entry, name) { if (!seen.has(name)) { entry.card.remove(); cards.delete(name); } });
    show('regions-empty', regions.length === 0);
  }

  // ---- jobs and holds ----
  function renderJobs(jobs) {
    var byState = (jobs && jobs.byState) || {};
    var chips = $('job-states');
    chips.textContent = '';
    Object.keys(byState).sort().forEach(function (s) { add(chips, h('li', { 'data-state': s }, s + ' ', h('b', null, str(byState[s])))); });
    if (!chips.childNodes.length) add(chips, h('li', null, 'no jobs'));
    var items = arr(jobs && jobs.items);
    var body = $('jobs').tBodies[0];
    body.textContent = '';
    items.forEach(function (j) {
      add(body, h('tr', { 'data-job': str(j.jobId) },
        h('td', { title: j.resumeFrom ? 'resumes from ' + j.resumeFrom : undefined }, str(j.jobId)),
        h('td', null, str(j.state)), h('td', { 'class': 'num' }, str(j.attempt)), h('td', null, str(j.region)), h('td', null, str(j.cluster))));
    });
    show('jobs-empty', items.length === 0);
  }

  function renderHolds(holds) {
    var list = $('holds');
    list.textContent = '';
    holds.forEach(function (x) {
      add(list, h('li', { 'data-hold': str(x.id), 'data-scope': str(x.scope), 'data-target': str(x.target) },
        h('strong', null, str(x.scope) + ' ' + str(x.target)), ' — until ', timeEl(x.until), ' — ', str(x.reason), ' — by ', str(x.by)));
    });
    show('holds-empty', holds.length === 0);
  }

  // ---- approvals: keyed, so a pending "Confirm" survives the next poll ----
  var approvalItems = new Map();
  function renderApprovals(approvals) {
    var list = $('approvals'), seen = new Set();
    approvals.filter(function (a) { return a && a.status === 'pending'; }).forEach(function (a) {
      var id = String(a.id);
      seen.add(id);
      var entry = approvalItems.get(id);
      if (!entry) {
        var info = h('div');
        var li = h('li', { 'data-approval': id }, info, h('div', { 'class': 'controls' },
          twoStep('Approve…', 'approve-' + id, function () { return 'Run approval ' + id; }, null,
            function () { return act('Approve ' + id, 'POST', '/ops/approvals/' + encodeURIComponent(id) + '/approve', {}); })));
        entry = { li: li, info: info };
        approvalItems.set(id, entry);
      }
      entry.info.textContent = '';
      add(entry.info, [h('strong', null, id), ' — ', str(a.gpus), ' GPUs — ', str(a.reason), h('br'),
        h('span', { 'class': 'muted' }, 'requested '), timeEl(a.requestedAt),
        arr(a.trigger).length ? h('span', { 'class': 'muted' }, ' — trigger ' + arr(a.trigger).join(', ')) : null]);
      list.appendChild(entry.li);
    });
    approvalItems.forEach(function (entry, id) { if (!seen.has(id)) { entry.li.remove(); approvalItems.delete(id); } });
    show('approvals-empty', seen.size === 0);
  }

  // ---- timeline ----
  function renderTimeline(actions) {
    var list = $('timeline');
    list.textContent = '';
    actions.forEach(function (a) {
      add(list, h('li', { 'data-status': str(a.status), 'data-kind': str(a.kind) },
        h('span', null, timeEl(a.startedAt)),
        h('span', null, badge(ACTION_STATUS, a.status)),
        h('strong', null, str(a.kind) + (a.dryRun ? ' (dry run)' : '')),
        h('span', { 'class': 'by' }, 'by ' + str(a.requestedBy)),
        h('span', { 'class': 'detail' }, str(a.reason)),
        a.outcome ? h('span', { 'class': 'detail outcome' }, 'outcome: ' + a.outcome) : null,
        h('span', { 'class': 'detail key' }, 'key ' + str(a.key))));
    });
    show('timeline-empty', actions.length === 0);
  }

  // ---- polling ----
  var inflight = false, again = false, pollTimer = null;
  function conn(text, error) {
    var c = $('conn');
    c.textContent = text;
    c.setAttribute('data-state', error ? 'error' : 'ok');
  }
  function failure(what, r) {
    var hint = r.status === 401 && !key ? ' — open this page with ?code=<function key>' : '';
    return what + ': ' + r.status + ' ' + errText(r) + hint;
  }
  function settle(p) { return p.then(function (r) { return r; }, function (e) { return { ok: false, status: 0, data: null, text: 'unreachable: ' + (e && e.message ? e.message : String(e)) }; }); }

  function refresh() {
    if (inflight) { again = true; return; }
    inflight = true;
    clearTimeout(pollTimer);
    Promise.all([settle(api('GET', '/fleet')), settle(api('GET', '/actions?limit=30')), settle(api('GET', '/ops/approvals'))]).then(function (res) {
      var f = res[0], a = res[1], p = res[2], problems = [];
      try {
        if (f.ok && f.data) {
          var t = Date.parse(f.data.generatedAt);
          serverNow = isNaN(t) ? Date.now() : t;
          renderHeader(f.data);
          renderRegions(arr(f.data.regions));
          renderJobs(f.data.jobs);
          renderHolds(arr(f.data.holds));
        } else problems.push(failure('fleet', f));
        if (a.ok && a.data) renderTimeline(arr(a.data.actions)); else problems.push(failure('actions', a));
        if (p.ok && p.data) renderApprovals(arr(p.data.approvals)); else problems.push(failure('approvals', p));
      } catch (e) {
        problems.push('render failed: ' + (e && e.message ? e.message : String(e)));
      }
      if (problems.length) conn(problems.join('; '), true);
      else conn('updated ' + fmtTime(f.data.generatedAt), false);
    }).then(function () {
      inflight = false;
      if (again) { again = false; refresh(); } else pollTimer = setTimeout(refresh, POLL_MS);
    });
  }

  if (!key) conn('no ?code= in the address: requests go without a function key', true);
  refresh();
})();
`;
