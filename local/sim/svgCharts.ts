/**
 * Small inline-SVG charts for the game-day report: lines, stacked areas and an event timeline over virtual time.
 * Readable without colour: every line has its own dash and marker and is labelled at its end, every band has its
 * own hatch pattern and a legend entry drawn with the same pattern. SVGs scale with their container (viewBox).
 */

export interface LineSeries {
  readonly label: string;
  readonly values: readonly number[];
}

export interface Band {
  readonly from: number;
  readonly to: number;
  readonly label: string;
}

export interface TimelineMark {
  readonly at: number;
  readonly lane: string;
  /** Shown on hover and, in short, next to the mark when there is room. */
  readonly title: string;
  readonly failed?: boolean;
}

const W = 960;
const PAD = { left: 56, right: 180, top: 34, bottom: 36 };
const DASHES = ['', '8 4', '2 3', '12 3 2 3', '4 4', '1 5'];
const MARKERS = ['circle', 'square', 'triangle', 'diamond', 'cross', 'bar'];
const COLOURS = ['#1f5aa6', '#b5462d', '#2d7d46', '#7a4ca0', '#8a6d00', '#00798c', '#c2185b', '#555'];

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** "+15:00" (minutes:seconds from the start); hours when long. */
export function offset(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h ? `+${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `+${m}:${String(sec).padStart(2, '0')}`;
}

/** The top of the y axis: four equal steps of a round size (6 → 0, 6, 12, 18, 24). */
function niceMax(v: number): number {
  if (v <= 0) return 4;
  const quarter = v / 4;
  const p = 10 ** Math.floor(Math.log10(quarter));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (quarter <= m * p) return 4 * m * p;
  return 40 * p;
}

/** Label positions near `wanted`, at least `gap` apart, in the same order (so end labels never overprint). */
function spread(wanted: readonly number[], gap: number): number[] {
  const order = wanted.map((y, i) => ({ y, i })).sort((a, b) => a.y - b.y);
  for (let k = 1; k < order.length; k++) if (order[k]!.y - order[k - 1]!.y < gap) order[k]!.y = order[k - 1]!.y + gap;
  const out: number[] = [];
  for (const o of order) out[o.i] = o.y;
  return out;
}

interface Frame {
  readonly x: (t: number) => number;
  readonly y: (v: number) => number;
  readonly h: number;
  readonly axes: string;
}

function frame(t0: number, t1: number, yMax: number, h: number, yLabel: string): Frame {
  const x = (t: number) => PAD.left + ((t - t0) / Math.max(1, t1 - t0)) * (W - PAD.left - PAD.right);
  const y = (v: number) => h - PAD.bottom - (v / yMax) * (h - PAD.top - PAD.bottom);
  const parts: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v)}" y2="${y(v)}" class="grid"/>`,
      `<text x="${PAD.left - 6}" y="${y(v) + 4}" text-anchor="end">${Number.isInteger(v) ? v : v.toFixed(1)}</text>`);
  }
  const step = tickStep(t1 - t0);
  for (let t = 0; t <= t1 - t0; t += step) {
    parts.push(`<line x1="${x(t0 + t)}" x2="${x(t0 + t)}" y1="${h - PAD.bottom}" y2="${h - PAD.bottom + 4}" class="axis"/>`,
      `<text x="${x(t0 + t)}" y="${h - PAD.bottom + 16}" text-anchor="middle">${offset(t)}</text>`);
  }
  parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${h - PAD.bottom}" y2="${h - PAD.bottom}" class="axis"/>`,
    `<text x="12" y="${PAD.top - 10}" class="ylabel">${escapeHtml(yLabel)}</text>`);
  return { x, y, h, axes: parts.join('') };
}

function tickStep(span: number): number {
  for (const s of [10_000, 30_000, 60_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000]) if (span / s <= 8) return s;
  return 14_400_000;
}

function marker(kind: string, x: number, y: number): string {
  switch (kind) {
    case 'circle': return `<circle cx="${x}" cy="${y}" r="3.5"/>`;
    case 'square': return `<rect x="${x - 3.5}" y="${y - 3.5}" width="7" height="7"/>`;
    case 'triangle': return `<path d="M${x} ${y - 4.5}L${x + 4.5} ${y + 3.5}L${x - 4.5} ${y + 3.5}Z"/>`;
    case 'diamond': return `<path d="M${x} ${y - 5}L${x + 5} ${y}L${x} ${y + 5}L${x - 5} ${y}Z"/>`;
    case 'cross': return `<path d="M${x - 4} ${y - 4}L${x + 4} ${y + 4}M${x + 4} ${y - 4}L${x - 4} ${y + 4}" stroke-width="2"/>`;
    default: return `<rect x="${x - 1.5}" y="${y - 5}" width="3" height="10"/>`;
  }
}

/** Lines over time; `bands` shade periods (an outage) and name them. */
export function lineChart(o: { title: string; yLabel: string; times: readonly number[]; series: readonly LineSeries[]; bands?: readonly Band[]; height?: number }): string {
  const h = o.height ?? 280;
  const t0 = o.times[0] ?? 0;
  const t1 = o.times[o.times.length - 1] ?? t0 + 1;
  const f = frame(t0, t1, niceMax(Math.max(1, ...o.series.flatMap((s) => s.values))), h, o.yLabel);
  // Band labels step down one line each, so that bands close together do not print over each other.
  const bands = (o.bands ?? []).map((b, i) => `<g class="band"><rect x="${f.x(b.from)}" y="${PAD.top}" width="${Math.max(1, f.x(b.to) - f.x(b.from))}" height="${h - PAD.top - PAD.bottom}" fill="url(#hatch-band)"/>` +
    `<text x="${f.x(b.from) + 4}" y="${PAD.top + 12 + (i % 3) * 12}">${escapeHtml(b.label)}</text></g>`).join('');
  const every = Math.max(1, Math.floor(o.times.length / 12));
  const labelY = spread(o.series.map((s) => f.y(s.values[s.values.length - 1] ?? 0)), 14);
  const lines = o.series.map((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const d = s.values.map((v, k) => `${k ? 'L' : 'M'}${f.x(o.times[k]!).toFixed(1)} ${f.y(v).toFixed(1)}`).join('');
    const marks = s.values.map((v, k) => (k % every === (i * 3) % every ? marker(MARKERS[i % MARKERS.length]!, f.x(o.times[k]!), f.y(v)) : '')).join('');
    const last = s.values[s.values.length - 1] ?? 0;
    return `<g class="series" stroke="${colour}" fill="${colour}"><path d="${d}" fill="none" stroke-width="2" stroke-dasharray="${DASHES[i % DASHES.length]}"/>${marks}` +
      `${marker(MARKERS[i % MARKERS.length]!, W - PAD.right + 36, labelY[i]!)}<text x="${W - PAD.right + 44}" y="${labelY[i]! + 4}" stroke="none">${escapeHtml(s.label)} (${last})</text></g>`;
  }).join('');
  return svg(o.title, h, `${bands}${f.axes}${lines}`);
}

/** Layers stacked over time, each with its own hatch; the legend uses the same fills. */
export function stackedArea(o: { title: string; yLabel: string; times: readonly number[]; layers: readonly LineSeries[]; height?: number }): string {
  const h = o.height ?? 300;
  const t0 = o.times[0] ?? 0;
  const t1 = o.times[o.times.length - 1] ?? t0 + 1;
  const totals = o.times.map((_, k) => o.layers.reduce((n, l) => n + (l.values[k] ?? 0), 0));
  const f = frame(t0, t1, niceMax(Math.max(1, ...totals)), h, o.yLabel);
  const below = o.times.map(() => 0);
  const areas: string[] = [];
  const legend: string[] = [];
  o.layers.forEach((layer, i) => {
    const top = below.map((b, k) => b + (layer.values[k] ?? 0));
    const upper = o.times.map((t, k) => `${k ? 'L' : 'M'}${f.x(t).toFixed(1)} ${f.y(top[k]!).toFixed(1)}`).join('');
    const lower = [...o.times].reverse().map((t, k) => `L${f.x(t).toFixed(1)} ${f.y(below[o.times.length - 1 - k]!).toFixed(1)}`).join('');
    areas.push(`<path d="${upper}${lower}Z" fill="url(#fill-${i % PATTERNS})" stroke="${COLOURS[i % COLOURS.length]}" stroke-width="1"><title>${escapeHtml(layer.label)}</title></path>`);
    legend.push(`<g transform="translate(${W - PAD.right + 36},${PAD.top + i * 22})"><rect width="16" height="14" fill="url(#fill-${i % PATTERNS})" stroke="${COLOURS[i % COLOURS.length]}"/>` +
      `<text x="22" y="11">${escapeHtml(layer.label)} (${layer.values[layer.values.length - 1] ?? 0})</text></g>`);
    for (let k = 0; k < below.length; k++) below[k] = top[k]!;
  });
  return svg(o.title, h, `${f.axes}${areas.join('')}${legend.join('')}`);
}

/** One lane per kind of action; each mark carries its explanation (hover) and a number into the table below. */
export function timelineChart(o: { title: string; t0: number; t1: number; marks: readonly TimelineMark[]; bands?: readonly Band[] }): string {
  const lanes = [...new Set(o.marks.map((m) => m.lane))];
  const laneH = 26;
  const h = PAD.top + PAD.bottom + Math.max(1, lanes.length) * laneH;
  const x = (t: number) => PAD.left + 90 + ((t - o.t0) / Math.max(1, o.t1 - o.t0)) * (W - PAD.left - 90 - PAD.right);
  const parts: string[] = [];
  const step = tickStep(o.t1 - o.t0);
  for (let t = 0; t <= o.t1 - o.t0; t += step) {
    parts.push(`<line x1="${x(o.t0 + t)}" x2="${x(o.t0 + t)}" y1="${PAD.top}" y2="${h - PAD.bottom}" class="grid"/>`,
      `<text x="${x(o.t0 + t)}" y="${h - PAD.bottom + 16}" text-anchor="middle">${offset(t)}</text>`);
  }
  for (const [i, b] of (o.bands ?? []).entries()) {
    parts.push(`<g class="band"><rect x="${x(b.from)}" y="${PAD.top}" width="${Math.max(1, x(b.to) - x(b.from))}" height="${h - PAD.top - PAD.bottom}" fill="url(#hatch-band)"/><text x="${x(b.from) + 4}" y="${PAD.top - 4 - (i % 2) * 11}">${escapeHtml(b.label)}</text></g>`);
  }
  lanes.forEach((lane, i) => {
    const y = PAD.top + i * laneH + laneH / 2;
    parts.push(`<text x="${PAD.left + 84}" y="${y + 4}" text-anchor="end">${escapeHtml(lane)}</text>`, `<line x1="${x(o.t0)}" x2="${x(o.t1)}" y1="${y}" y2="${y}" class="lane"/>`);
    const marks = o.marks.filter((m) => m.lane === lane);
    for (const m of marks) {
      parts.push(`<g class="${m.failed ? 'mark failed' : 'mark'}">${m.failed ? marker('cross', x(m.at), y) : marker(MARKERS[i % MARKERS.length]!, x(m.at), y)}<title>${escapeHtml(`${offset(m.at - o.t0)} ${m.title}`)}</title></g>`);
    }
    parts.push(`<text x="${W - PAD.right + 8}" y="${y + 4}">${marks.length}×</text>`);
  });
  return svg(o.title, h, parts.join(''));
}

const PATTERNS = 8;

/** Hatch patterns, shared by every chart on the page (defined once, referenced by id). */
export function patternDefs(): string {
  const p = (i: number, body: string) => `<pattern id="fill-${i}" patternUnits="userSpaceOnUse" width="8" height="8"><rect width="8" height="8" fill="${COLOURS[i]}" fill-opacity="0.18"/>${body.replaceAll('C', COLOURS[i]!)}</pattern>`;
  return `<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>
${p(0, '<path d="M0 8L8 0" stroke="C" stroke-width="1.2"/>')}
${p(1, '<circle cx="4" cy="4" r="1.4" fill="C"/>')}
${p(2, '<path d="M0 4H8" stroke="C" stroke-width="1.2"/>')}
${p(3, '<path d="M4 0V8" stroke="C" stroke-width="1.2"/>')}
${p(4, '<path d="M0 0L8 8M8 0L0 8" stroke="C" stroke-width="0.9"/>')}
${p(5, '')}
${p(6, '<path d="M0 8L8 0M0 0L8 8" stroke="C" stroke-width="0.6"/><circle cx="4" cy="4" r="1" fill="C"/>')}
${p(7, '<rect x="2" y="2" width="3" height="3" fill="C"/>')}
<pattern id="hatch-band" patternUnits="userSpaceOnUse" width="10" height="10"><rect width="10" height="10" fill="#888" fill-opacity="0.10"/><path d="M0 10L10 0" stroke="#888" stroke-width="0.8"/></pattern>
</defs></svg>`;
}

function svg(title: string, h: number, body: string): string {
  return `<figure><figcaption>${escapeHtml(title)}</figcaption><svg viewBox="0 0 ${W} ${h}" role="img" aria-label="${escapeHtml(title)}" preserveAspectRatio="xMinYMin meet">${body}</svg></figure>`;
}
