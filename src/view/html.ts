// The trace viewer's page: one self-contained HTML file (no network, no external asset) that
// embeds the computed ViewData (./build.ts) as JSON and a small script drawing it: the sequence
// diagram as SVG, and on a click the state panel of that step. The script only draws; every
// decision (lanes, arrows, what changed, where model and impl differ) is in the data.

import type { ViewData } from './build.ts';

/** JSON that cannot end the <script> element it sits in, nor open a comment there. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Text for an HTML text node or attribute. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const STYLE = `
body{font:13px/1.4 system-ui,sans-serif;margin:0;color:#222;background:#fff}
header{padding:8px 14px;border-bottom:1px solid #ccc;background:#f6f6f6}
header h1{font-size:15px;margin:0 0 4px}
header .line{font-family:ui-monospace,monospace;font-size:12px;white-space:pre-wrap}
header .fail{color:#b00;font-weight:bold}
main{display:flex;align-items:flex-start}
#diagram{flex:1 1 auto;min-width:0;overflow:auto;padding:8px}
#panel{flex:0 0 500px;overflow-wrap:anywhere;max-height:calc(100vh - 90px);overflow:auto;position:sticky;top:0;
 border-left:1px solid #ccc;padding:8px 12px;font-family:ui-monospace,monospace;font-size:12px}
#panel h2{font:bold 14px system-ui,sans-serif;margin:4px 0}
#panel h3{font:bold 12px system-ui,sans-serif;margin:10px 0 2px;color:#555}
#panel table{border-collapse:collapse;width:100%}
#panel td{padding:1px 4px;vertical-align:top;border-bottom:1px solid #eee}
#panel td.key{white-space:nowrap;color:#555;width:1%}
#panel tr.changed td{background:#fff3b0}
#panel tr.differs td.impl{background:#fdd;color:#900}
#panel th{text-align:left;font:bold 11px system-ui,sans-serif;color:#555}
svg text{font-family:ui-monospace,monospace;font-size:12px}
.lane-head{font:bold 12px system-ui,sans-serif}
.step{cursor:pointer}
.step:hover rect.bg{fill:#eef4ff}
.step.selected rect.bg{fill:#dde8ff}
.step.failing rect.bg{fill:#ffe5e5}
.step.failing.selected rect.bg{fill:#ffcccc}
.mismatch{fill:#c00;font-weight:bold}
.failure{fill:#b00;font-weight:bold}
.setup text.label{fill:#777}
`;

/** The script: draws data.rows as SVG arrows between lane lines and fills #panel on a click.
 * Text goes in with textContent only. */
const SCRIPT = `
const data = JSON.parse(document.getElementById('view-data').textContent);
const NS = 'http://www.w3.org/2000/svg';
const LANE_W = 150, ROW_H = 58, TOP = 40, LEFT = 60;
const laneX = new Map(data.lanes.map((l, i) => [l.id, LEFT + i * LANE_W + LANE_W / 2]));
function el(name, attrs, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}
function clip(t, n) { return t.length <= n ? t : t.slice(0, n - 1) + '\\u2026'; }
// Room for a clipped label (70 characters) right of the last lane but one.
const width = Math.max(LEFT + data.lanes.length * LANE_W + 20, LEFT + LANE_W + 700);
// A failing row has one more line: the failing check, under its results.
const FAIL_H = 20;
const tops = [];
let bottom = TOP + 8;
for (const row of data.rows) { tops.push(bottom); bottom += ROW_H + (row.failure ? FAIL_H : 0); }
const height = bottom + 20;
const svg = el('svg', { width, height, id: 'sequence' });
svg.append(el('defs', {}));
const marker = el('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5,
  markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
marker.append(el('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#333' }));
svg.firstChild.append(marker);
for (const lane of data.lanes) {
  const x = laneX.get(lane.id);
  svg.append(el('line', { x1: x, y1: TOP, x2: x, y2: height, stroke: lane.kind === 'xen' ? '#446' : '#bbb',
    'stroke-width': lane.kind === 'xen' ? 2 : 1, 'stroke-dasharray': lane.kind === 'actor' ? '4 3' : '' }));
  svg.append(el('text', { x, y: TOP - 14, 'text-anchor': 'middle', class: 'lane-head lane',
    'data-lane': lane.id }, lane.label));
}
const groups = new Map();
data.rows.forEach((row, i) => {
  const top = tops[i];
  const g = el('g', { class: 'step' + (row.failure ? ' failing' : '') + (row.phase === 'setup' ? ' setup' : ''),
    'data-step': row.step });
  g.append(el('rect', { class: 'bg', x: 0, y: top, width, height: ROW_H + (row.failure ? FAIL_H : 0) - 2,
    fill: 'transparent' }));
  g.append(el('text', { x: 6, y: top + 26, fill: '#777' }, row.number));
  const x1 = laneX.get(row.from), x2 = laneX.get(row.to);
  const self = x1 === x2;
  const ay = top + 24;
  if (self) {
    g.append(el('path', { d: 'M' + x1 + ',' + (ay - 6) + ' h30 v12 h-30', fill: 'none', stroke: '#333',
      'marker-end': 'url(#arrow)' }));
  } else {
    g.append(el('line', { x1, y1: ay, x2, y2: ay, stroke: '#333', 'marker-end': 'url(#arrow)' }));
  }
  // Text starts at the arrow's left end (or right of a self-arrow), so that none runs off the left.
  const labelX = self ? x1 + 36 : Math.min(x1, x2) + 8;
  g.append(el('text', { x: labelX, y: ay - 8, class: 'label' }, clip(row.label, 70)));
  const results = [];
  if (row.model !== undefined) results.push('model ' + row.model);
  if (row.impl !== undefined) results.push('impl ' + row.impl);
  if (results.length > 0)
    g.append(el('text', { x: labelX, y: ay + 20, class: 'result' + (row.mismatch ? ' mismatch' : '') },
      clip(results.join('  |  '), 90)));
  if (row.failure) {
    g.append(el('text', { x: LEFT, y: ay + 20 + FAIL_H, class: 'failure' }, '\\u2717 ' + clip(row.failure, 110)));
  }
  // The whole step, unclipped, as the tooltip.
  g.append(el('title', {}, [row.label, ...results, row.failure || ''].filter((t) => t).join('\\n')));
  g.addEventListener('click', () => select(row.step));
  groups.set(row.step, g);
  svg.append(g);
});
document.getElementById('diagram').append(svg);

function cell(tr, text, cls) {
  const td = document.createElement('td');
  if (cls) td.className = cls;
  td.textContent = text;
  tr.append(td);
}
let current = 0;
function select(step) {
  current = step;
  for (const [s, g] of groups) g.classList.toggle('selected', s === step);
  const p = data.panels[step];
  const panel = document.getElementById('panel');
  panel.replaceChildren();
  const row = data.rows[step - 1];
  const h2 = document.createElement('h2');
  h2.textContent = step === 0 ? 'initial state' : 'after step ' + row.number + ': ' + clip(row.label, 160);
  if (step > 0) h2.title = row.label;
  panel.append(h2);
  const info = document.createElement('div');
  info.className = 'info';
  info.textContent = p.changes + ' changed, ' + (p.shows === 'model'
    ? p.differences + ' differing between model and abstract(impl)' : 'showing abstract(impl)');
  panel.append(info);
  if (row && (row.model !== undefined || row.impl !== undefined)) {
    const r = document.createElement('div');
    r.className = 'results';
    if (row.mismatch) r.style.color = '#c00';
    r.textContent = [row.model !== undefined ? 'model: ' + row.model : '',
      row.impl !== undefined ? 'impl: ' + row.impl : ''].filter((t) => t).join(' \u00b7 ');
    panel.append(r);
  }
  if (row && row.failure) {
    const f = document.createElement('div');
    f.className = 'failure-note';
    f.style.color = '#b00';
    f.textContent = '\\u2717 ' + row.failure;
    panel.append(f);
  }
  for (const section of p.sections) {
    if (section.rows.length === 0) continue;
    const h3 = document.createElement('h3');
    h3.textContent = section.title;
    panel.append(h3);
    const table = document.createElement('table');
    table.dataset.section = section.title;
    const anyImpl = section.rows.some((r) => r.impl !== undefined);
    if (anyImpl) {
      const tr = document.createElement('tr');
      for (const t of ['', p.shows, 'abstract(impl)']) {
        const th = document.createElement('th'); th.textContent = t; tr.append(th);
      }
      table.append(tr);
    }
    for (const r of section.rows) {
      const tr = document.createElement('tr');
      tr.className = 'row' + (r.changed ? ' changed' : '') + (r.impl !== undefined ? ' differs' : '');
      cell(tr, r.key, 'key');
      cell(tr, r.value, 'value');
      if (anyImpl) cell(tr, r.impl === undefined ? '' : r.impl, 'impl');
      table.append(tr);
    }
    panel.append(table);
  }
}
// Arrow keys walk the steps (0 is the initial state).
document.addEventListener('keydown', (e) => {
  const next = e.key === 'ArrowDown' ? current + 1 : e.key === 'ArrowUp' ? current - 1 : -1;
  if (next < 0 || next >= data.panels.length) return;
  e.preventDefault();
  select(next);
});
document.getElementById('initial').addEventListener('click', (e) => { e.preventDefault(); select(0); });
select(data.failing !== null ? data.failing : 0);
`;

/** The whole page for `data`. */
export function renderViewHtml(data: ViewData): string {
  const failing = data.failing !== null;
  const lines = data.summary
    .map(
      (line, i) =>
        `<div class="line${i === 0 && failing ? ' fail' : ''}">${escapeHtml(line)}</div>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>grantcheck: ${escapeHtml(data.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>grantcheck trace: ${escapeHtml(data.title)}</h1>
${lines}
<div class="line"><a href="#" id="initial">initial state</a> · click a step (or use the arrow keys) to see the state after it (yellow: changed; red: abstract(impl) differs from the model)</div>
</header>
<main>
<div id="diagram"></div>
<aside id="panel"></aside>
</main>
<script type="application/json" id="view-data">${scriptJson(data)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
