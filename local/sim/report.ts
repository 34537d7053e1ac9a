/**
 * The game-day report: one self-contained HTML file (inline SVG and CSS, no scripts, fonts or anything fetched)
 * with the figures, GPUs per region, the queue, job states, and every action on a timeline with its reason.
 */
import type { SimRun } from './driver.js';
import type { Figures } from './figures.js';
import { escapeHtml, lineChart, offset, patternDefs, stackedArea, timelineChart, type Band, type TimelineMark } from './svgCharts.js';

const STATES = ['running', 'queued', 'requeued', 'waiting', 'succeeded', 'failed', 'stopped', 'rejected'] as const;
const MAX_ACTION_ROWS = 3000;

export function renderReport(run: SimRun, figures: Figures): string {
  const samples = run.observer.samples;
  const times = samples.map((s) => s.t);
  const regions = run.harness.world.regions.map((r) => r.name);
  const bands = downBands(run);

  const gpus = lineChart({
    title: 'GPUs per region (nodes that exist × GPUs per node; hatched: region down)', yLabel: 'GPUs', times, bands,
    series: regions.map((r) => ({ label: r, values: samples.map((s) => s.regions[r]?.gpus ?? 0) })),
  });
  const busy = lineChart({
    title: 'GPUs running work per region', yLabel: 'GPUs', times, bands,
    series: regions.map((r) => ({ label: r, values: samples.map((s) => s.regions[r]?.busy ?? 0) })),
  });
  const queue = lineChart({
    title: 'Intake queue depth (scheduled: jobs waiting for capacity, redelivered later)', yLabel: 'messages', times,
    series: [
      { label: 'ready', values: samples.map((s) => s.queue.active) },
      { label: 'scheduled', values: samples.map((s) => s.queue.scheduled) },
      { label: 'in flight', values: samples.map((s) => s.queue.inFlight) },
    ],
  });
  const present = STATES.filter((st) => samples.some((s) => (s.jobs[st] ?? 0) > 0));
  const jobs = stackedArea({
    title: 'Jobs by state, as the autopilot records them', yLabel: 'jobs', times,
    layers: present.map((st) => ({ label: st, values: samples.map((s) => s.jobs[st] ?? 0) })),
  });

  const events = run.harness.state.events;
  const begun = new Map(events.filter((e) => e.status === 'begun' || e.status === 'withheld').map((e) => [e.key, e.text]));
  const ended = events.filter((e) => e.status !== 'begun');
  const firstWithheld = new Set<string>();
  const shown = ended.filter((e) => e.status !== 'withheld' || (!firstWithheld.has(e.key) && firstWithheld.add(e.key)));
  const marks: TimelineMark[] = shown.map((e) => ({
    at: e.at, lane: e.status === 'withheld' ? `${e.kind} (held)` : e.kind, failed: e.status === 'failed',
    title: `${e.kind} ${e.status}: ${e.text}${begun.get(e.key) && e.status !== 'withheld' ? ` — why: ${begun.get(e.key)}` : ''}`,
  }));
  const actions = timelineChart({ title: 'Actions over time (hover a mark for its reason; every action is listed below)', t0: run.startMs, t1: run.endMs, marks, bands });

  const rows = shown.slice(0, MAX_ACTION_ROWS).map((e) => `<tr><td>${offset(e.at - run.startMs)}</td><td>${escapeHtml(e.kind)}</td><td>${escapeHtml(e.status)}</td>` +
    `<td>${escapeHtml(e.status === 'withheld' ? e.text : begun.get(e.key) ?? '')}</td><td>${escapeHtml(e.status === 'withheld' ? '' : e.text)}</td></tr>`).join('\n');
  const timeline = run.timeline.map((t) => `<tr><td>${offset(t.at - run.startMs)}</td><td>${escapeHtml(t.text)}</td></tr>`).join('\n');

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Game day: ${escapeHtml(run.scenario.name)}</title>
<style>${CSS}</style></head>
<body>
${patternDefs()}
<header><h1>Game day: ${escapeHtml(run.scenario.name)}</h1>
<p>${escapeHtml(run.scenario.description)}</p>
<p class="meta">Seed ${run.seed} · ${figures.simulatedSeconds / 60} min of fleet time in ${(figures.wallMs / 1000).toFixed(2)} s of wall time ·
started ${escapeHtml(new Date(run.startMs).toISOString())} (virtual)</p></header>
<main>
<section class="figures"><h2>Figures</h2>${figuresTable(figures)}${recoveriesTable(figures)}</section>
<section class="charts">${gpus}${busy}${queue}${jobs}</section>
<section class="wide">${actions}</section>
<section><h2>Scenario timeline</h2><table><thead><tr><th>when</th><th>what happened</th></tr></thead><tbody>${timeline || '<tr><td colspan="2">nothing</td></tr>'}</tbody></table></section>
${lostSection(figures)}
<section><h2>Every action, with its reason</h2>
<table class="actions"><thead><tr><th>when</th><th>action</th><th>status</th><th>why (the plan's reason)</th><th>outcome</th></tr></thead><tbody>
${rows}
</tbody></table>${shown.length > MAX_ACTION_ROWS ? `<p>… and ${shown.length - MAX_ACTION_ROWS} more.</p>` : ''}</section>
</main></body></html>
`;
}

/** When each region was down, from the samples. */
function downBands(run: SimRun): Band[] {
  const bands: Band[] = [];
  for (const r of run.harness.world.regions) {
    let from: number | undefined;
    for (const s of run.observer.samples) {
      const down = s.regions[r.name]?.down ?? false;
      if (down && from === undefined) from = s.t;
      if (!down && from !== undefined) { bands.push({ from, to: s.t, label: `${r.name} down` }); from = undefined; }
    }
    if (from !== undefined) bands.push({ from, to: run.endMs, label: `${r.name} down` });
  }
  return bands;
}

function figuresTable(f: Figures): string {
  const row = (k: string, v: string, note = '') => `<tr><th scope="row">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td><td>${escapeHtml(note)}</td></tr>`;
  const actions = Object.entries(f.actions).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
  return `<table><tbody>
${row('jobs lost', String(f.jobsLost), `of ${f.jobsSubmitted} submitted; ${f.jobsSucceeded} finished`)}
${row('jobs run twice', String(f.jobsRunTwice))}
${row('recovery ÷ physical floor', f.recoveryRatio === null ? 'no disruption' : f.recoveryRatio.toFixed(3), 'worst disruption; floor = detection delay + node provisioning when needed + job start')}
${row('GPU-hours of work lost', f.gpuHoursLost.toFixed(3), 'steps since the checkpoint each move resumed from × GPUs × step')}
${row('ARM writes (PUTs)', String(f.armWrites), `${f.armPutsAccepted} accepted`)}
${row('actions', actions)}
${row('budget events', String(f.budgetEvents), 'moves a disruption budget held back')}
${row('freeze events', String(f.freezeEvents), 'freezes, and actions a freeze held back')}
${row('other actions held back', String(f.otherWithheld), 'last healthy region, one failover per window, holds, approvals')}
${row('signals', `${f.signals.processed} processed, ${f.signals.duplicate} duplicates, ${f.signals.stale} stale`, `${f.signals.recordedNotProcessed} left for reconcile to finish`)}
${row('queue', `${f.queue.deadLettered} dead-lettered, ${f.queue.duplicatesDropped} duplicate sends dropped`)}
${row('reconcile passes', `${f.reconciles.runs} run, ${f.reconciles.skipped} skipped (one still running)`)}
</tbody></table>`;
}

function recoveriesTable(f: Figures): string {
  if (!f.recoveries.length) return '';
  const rows = f.recoveries.map((r) => `<tr><td>${escapeHtml(r.disruption)}</td><td>${r.interrupted}</td><td>${r.recoverySeconds ?? `not all (${r.unrecovered} never ran again)`}</td>` +
    `<td>${r.floorSeconds}${r.neededNewNodes ? ' (with new nodes)' : ''}</td><td>${r.ratio.toFixed(3)}</td></tr>`).join('');
  return `<h3>Disruptions</h3><table><thead><tr><th>disruption</th><th>jobs interrupted</th><th>recovered in (s)</th><th>floor (s)</th><th>ratio</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function lostSection(f: Figures): string {
  if (!f.lost.length && !f.runTwice.length && !f.invocationErrors.length && !f.unreadableAlerts.length) return '';
  const lost = f.lost.map((l) => `<li><strong>${escapeHtml(l.jobId)}</strong>: ${escapeHtml(l.why)}<ul>` +
    l.attempts.map((a) => `<li>attempt ${a.attempt} on ${escapeHtml(a.cluster)}: ${escapeHtml(a.status)}, steps ${a.startStep}→${a.step}</li>`).join('') +
    (l.record?.history ?? []).map((e) => `<li>${escapeHtml(e.at)} ${escapeHtml(e.event)}${e.detail ? `: ${escapeHtml(e.detail)}` : ''}</li>`).join('') + '</ul></li>').join('');
  return `<section><h2>What went wrong</h2>
${f.lost.length ? `<h3>Lost jobs</h3><ul>${lost}</ul>` : ''}
${f.runTwice.length ? `<h3>Jobs that ran twice</h3><p>${f.runTwice.map(escapeHtml).join(', ')}</p>` : ''}
${f.invocationErrors.length ? `<h3>Invocations that threw</h3><ul>${f.invocationErrors.map((e) => `<li>${escapeHtml(e)}</li>`).join('')}</ul>` : ''}
${f.unreadableAlerts.length ? `<h3>Alerts the autopilot could not read</h3><ul>${f.unreadableAlerts.map((e) => `<li>${escapeHtml(e)}</li>`).join('')}</ul>` : ''}
</section>`;
}

const CSS = `
:root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1b1b; background: #fff; }
body { margin: 0 auto; padding: 1rem 1.5rem 3rem; max-width: 1800px; }
h1 { font-size: 1.5rem; margin: .5rem 0; } h2 { font-size: 1.15rem; margin-top: 2rem; } h3 { font-size: 1rem; }
.meta { color: #555; font-size: .9rem; }
table { border-collapse: collapse; width: 100%; font-size: .88rem; margin: .5rem 0 1rem; }
th, td { border-bottom: 1px solid #ddd; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th[scope=row] { width: 14rem; font-weight: 600; }
table.actions td:nth-child(4), table.actions td:nth-child(5) { max-width: 40rem; overflow-wrap: anywhere; }
figure { margin: 1rem 0; } figcaption { font-weight: 600; margin-bottom: .25rem; }
svg { width: 100%; height: auto; font-size: 11px; }
svg text { fill: #1b1b1b; } .grid { stroke: #e5e5e5; } .axis { stroke: #555; } .lane { stroke: #ccc; stroke-dasharray: 2 3; }
.ylabel { font-weight: 600; } .band text { font-style: italic; fill: #444; }
.mark { fill: #1f5aa6; stroke: #1f5aa6; } .mark.failed { fill: #b5462d; stroke: #b5462d; }
.charts { display: grid; grid-template-columns: 1fr; gap: 0 2rem; }
.wide { max-width: 1400px; }
@media (min-width: 1400px) { .charts { grid-template-columns: 1fr 1fr; } .figures { columns: 2; column-gap: 2rem; } .figures table { break-inside: avoid; } }
@media print { body { max-width: none; } }
`;
