/** The suite's HTML report: Chart.js configs built from plain results, one self-contained page. */
import { backpressureCharts } from './report-backpressure.js';
import type { CheckpointBenchResult } from './checkpoint.js';
import { backendOf, checkpointCost, describeCrossover, findCrossovers, pct, rebaseNote, type BenchRun, type SuiteResults } from './report-data.js';
import { commandsOf, escapeHtml, groupBy, line, PALETTE, xy, type ChartSpec } from './report-charts.js';
import { renderEnvironment, renderTables, resultTables } from './report-tables.js';
import { windowCharts } from './report-windows.js';
import { nexmarkCharts } from './report-nexmark.js';
import { costCharts } from './report-cost.js';

export type { ChartSpec } from './report-charts.js';

function throughputChart(res: SuiteResults): ChartSpec | undefined {
  const rows = res.throughput.flatMap((run) => run.report.results.map((r) => ({ run, r })));
  if (rows.length === 0) return undefined;
  const series = groupBy(rows, ({ run, r }) => (r.pipeline === 'keyed' ? `keyed (${backendOf(run)})` : r.pipeline));
  // One category per parallelism measured: a numeric axis would invent ticks such as 1.5 between them.
  const levels = [...new Set(rows.map(({ r }) => r.parallelism))].sort((a, b) => a - b);
  const at = (points: Map<number, number>) => levels.map((p) => points.get(p) ?? null);
  const datasets: Record<string, unknown>[] = [...series].map(([label, rs], i) => {
    const color = PALETTE[i % PALETTE.length];
    return { label, data: at(new Map(rs.map(({ r }) => [r.parallelism, r.recordsPerSec]))), borderColor: color, backgroundColor: color, tension: 0 };
  });
  const base = res.throughput.find((run) => run.report.baseline)?.report.baseline?.recordsPerSec;
  if (base) {
    const color = PALETTE[datasets.length % PALETTE.length];
    datasets.push({ label: 'bare MessagePort pipe', data: levels.map(() => base), borderColor: color, backgroundColor: color, borderDash: [6, 4], pointRadius: 0 });
  }
  // Log scale: chained stateless pipelines run some 30 times faster than keyed ones.
  const config = xy({ title: 'parallelism' }, { title: 'records/s', log: true }, datasets);
  (config.options as { scales: { x: Record<string, unknown> } }).scales.x.type = 'category';
  (config.data as { labels?: string[] }).labels = levels.map(String);
  return {
    id: 'throughput', title: 'Throughput vs parallelism', commands: commandsOf(res.throughput),
    caption: 'Records per second (median of the runs, logarithmic axis) of the stateless and keyed pipelines at each parallelism, next to a bare MessagePort pipe carrying the same records. ' +
      'Read: a line that rises with parallelism scales; one that flattens has hit the machine (cores) or a channel; the dashed line is what one thread-to-thread hop costs alone.',
    config,
  };
}

type CkRow = { run: BenchRun<unknown>; r: CheckpointBenchResult };

function checkpointRows(res: SuiteResults): CkRow[] {
  return res.checkpoint.flatMap((run) => run.report.results.map((r) => ({ run, r })));
}

function vsStateSize(res: SuiteResults, measure: 'bytes' | 'e2eMs'): ChartSpec | undefined {
  const rows = checkpointRows(res);
  if (rows.length === 0) return undefined;
  const series = groupBy(rows, ({ run, r }) => `${r.mode}, ${pct(r.updateRatio)} changed, ${backendOf(run)}`);
  const datasets = [...series].map(([label, rs], i) => {
    // The overhead part repeats a configuration at other intervals; the first run is the one the crossover compares too.
    const byKeys = new Map<number, { x: number; y: number }>();
    for (const { r } of rs) if (!byKeys.has(r.keys)) byKeys.set(r.keys, { x: r.keys, y: checkpointCost(r)[measure] });
    return line(label, [...byKeys.values()], i, { borderDash: label.startsWith('full') ? [] : [6, 3] });
  });
  const bytes = measure === 'bytes';
  return {
    id: bytes ? 'checkpoint-bytes' : 'checkpoint-duration',
    title: bytes ? 'Checkpoint bytes vs state size, per mode' : 'Checkpoint duration vs state size, per mode',
    commands: commandsOf(res.checkpoint),
    caption: (bytes ? 'Mean bytes each checkpoint wrote' : 'Mean end-to-end duration of a checkpoint (trigger to acknowledgement)') +
      ' after the state was loaded, against the number of keys, one line per mode × change rate × backend (solid: full, dashed: incremental); both axes logarithmic. ' +
      'Read: full lines grow with the state; incremental lines grow with the keys changed, so the gap between a full line and its incremental twin is what incremental saves at that change rate.',
    config: xy({ title: 'keys in state', log: true }, { title: bytes ? 'bytes per checkpoint' : 'ms per checkpoint', log: true }, datasets),
  };
}

function timelineChart(res: SuiteResults): ChartSpec | undefined {
  const rows = checkpointRows(res);
  if (rows.length === 0) return undefined;
  // The most telling run: the biggest state at the lowest change rate, where the modes differ most.
  const maxKeys = Math.max(...rows.map(({ r }) => r.keys));
  const minRate = Math.min(...rows.filter(({ r }) => r.keys === maxKeys).map(({ r }) => r.updateRatio));
  const picked = rows.filter(({ r }) => r.keys === maxKeys && r.updateRatio === minRate);
  const backend = backendOf(picked[0].run);
  const chosen = picked.filter(({ run }) => backendOf(run) === backend);
  const seen = new Set<string>();
  const datasets: Record<string, unknown>[] = [];
  chosen.forEach(({ r }, i) => {
    if (seen.has(r.mode)) return;
    seen.add(r.mode);
    const ks = [r.loadCheckpoint, ...r.checkpoints];
    datasets.push(line(`${r.mode}: bytes written`, ks.map((k, n) => ({ x: n, y: k.checkpointedBytes })), i, { type: 'bar', yAxisID: 'y' }));
    datasets.push(line(`${r.mode}: end-to-end ms`, ks.map((k, n) => ({ x: n, y: k.e2eMs })), i + 2, { yAxisID: 'y1' }));
  });
  const config = xy({ title: 'checkpoint (0 = right after the load)' }, { title: 'bytes written', log: true }, datasets);
  const scales = (config.options as { scales: Record<string, unknown> }).scales;
  scales.y1 = { type: 'linear', position: 'right', title: { display: true, text: 'end-to-end ms' }, grid: { drawOnChartArea: false } };
  return {
    id: 'timeline', title: 'Per-checkpoint timeline of one run', commands: commandsOf(res.checkpoint),
    caption: `Every checkpoint of the ${maxKeys.toLocaleString('en-US')}-key run at ${pct(minRate)} changed per checkpoint (${backend}): bars are the bytes each checkpoint wrote (log scale, left), lines its end-to-end duration (right). ` +
      'Read: checkpoint 0 holds the whole loaded state in both modes; after it a full checkpoint rewrites everything each time, an incremental one writes only the changes, with a tall bar wherever the re-base policy starts a new base.',
    config,
  };
}

function restoreChart(res: SuiteResults): ChartSpec | undefined {
  const rows = res.recovery.flatMap((run) => run.report.results.map((r) => ({ run, r })));
  if (rows.length === 0) return undefined;
  const series = groupBy(rows.filter(({ r }) => r.policy === undefined), ({ run, r }) => `${r.keys.toLocaleString('en-US')} keys, ${pct(Number(run.options.updateRatio ?? 0))} per delta`);
  const datasets = [...series].map(([label, rs], i) => line(label, rs.map(({ r }) => ({ x: r.chainLength, y: r.restoreMs })), i));
  return {
    id: 'restore', title: 'Restore time vs chain length', commands: commandsOf(res.recovery),
    caption: 'Median time to restore LMDB keyed state from a base checkpoint plus N incremental deltas (0 = a full checkpoint alone), one line per state size; the time axis is logarithmic so that every state size shows. ' +
      'Read: the rise from chain length 0 is what longer incremental chains cost at recovery; the re-base policy caps the chain to bound it.',
    config: xy({ title: 'deltas on the base (chain length)' }, { title: 'restore ms', log: true }, datasets),
  };
}

function overheadChart(res: SuiteResults): ChartSpec | undefined {
  const rows = checkpointRows(res).filter(({ run, r }) => typeof run.options.intervalMs === 'number' && r.recordsPerSec !== null && r.recordsPerSecNoCheckpoints !== null);
  const intervals = new Set(rows.map(({ run }) => run.options.intervalMs));
  if (intervals.size < 2) return undefined;
  const series = groupBy(rows, ({ run, r }) => `${r.mode}, ${r.keys.toLocaleString('en-US')} keys, ${pct(r.updateRatio)}, ${backendOf(run)}`);
  const datasets = [...series].filter(([, rs]) => new Set(rs.map(({ run }) => run.options.intervalMs)).size > 1).map(([label, rs], i) =>
    line(label, rs.map(({ run, r }) => ({ x: run.options.intervalMs as number, y: Math.round((1 - r.recordsPerSec! / r.recordsPerSecNoCheckpoints!) * 1000) / 10 })), i));
  return {
    id: 'overhead', title: 'Checkpoint overhead vs interval', commands: commandsOf(res.checkpoint),
    caption: 'Throughput lost to checkpointing, in percent of the same run with checkpoints off, against the checkpoint interval. Read: the shorter the interval the higher the cost; a mode whose line sits lower is cheaper to run at that interval.',
    config: xy({ title: 'checkpoint interval (ms)', log: true }, { title: 'throughput lost (%)' }, datasets),
  };
}

/** The report's charts, in reading order; charts without data are left out. */
export function chartSpecs(res: SuiteResults): ChartSpec[] {
  return [throughputChart(res), vsStateSize(res, 'bytes'), vsStateSize(res, 'e2eMs'), timelineChart(res), overheadChart(res), restoreChart(res), ...windowCharts(res), ...nexmarkCharts(res), ...costCharts(res), ...backpressureCharts(res)]
    .filter((c): c is ChartSpec => c !== undefined);
}


/** JSON that is safe inside a <script> element: no `</script>` or `<!--` can appear. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const STYLE = 'body{font:15px/1.45 system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}' +
  'figure{margin:2.5em 0}figcaption{color:#444;margin-top:.5em}code{font-size:12px;background:#f4f4f4;padding:1px 3px}' +
  'details{font-size:13px;margin-top:.3em}li{margin:.2em 0}' +
  'table{border-collapse:collapse;font-size:12px;margin:.5em 0;font-variant-numeric:tabular-nums}th,td{border-bottom:1px solid #ddd;padding:2px 6px;text-align:right}th{text-align:left}';

// Runs in the browser; reads only the embedded data, so nothing is interpolated into code.
const BOOT = "const d=JSON.parse(document.getElementById('snapflow-data').textContent);" +
  "for(const c of d.charts){new Chart(document.getElementById('chart-'+c.id),c.config);}";

/** Renders the whole report page, with the charting library's source inlined. */
export function renderReport(res: SuiteResults, chartLibrary: string): string {
  const charts = chartSpecs(res);
  const found = findCrossovers(res.checkpoint);
  const crossovers = found.map(describeCrossover);
  const figures = charts.map((c) => `<figure><h2>${escapeHtml(c.title)}</h2><canvas id="chart-${escapeHtml(c.id)}"></canvas>` +
    `<figcaption>${escapeHtml(c.caption)}<details><summary>commands (${c.commands.length})</summary><ul>` +
    c.commands.map((cmd) => `<li><code>${escapeHtml(cmd)}</code></li>`).join('') + '</ul></details></figcaption></figure>').join('\n');
  const m = res.meta;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>snapflow bench report</title><style>${STYLE}</style></head><body>
<h1>snapflow bench report</h1>
<p>${escapeHtml(`${m.sweep} sweep, started ${m.startedAt}${m.finishedAt ? `, finished ${m.finishedAt}` : ''}${m.host ? ` on ${m.host}` : ''}.`)}
Raw figures: <code>index.json</code>, <code>throughput.json</code>, <code>checkpoint.json</code>, <code>recovery.json</code>, <code>windows.json</code>, <code>nexmark.json</code>, <code>cost.json</code>, <code>backpressure.json</code> and the CSV files beside this page.</p>
${(m.notes ?? []).map((n) => `<p>${escapeHtml(n)}</p>`).join('\n')}
<h2>Incremental vs full: the crossover</h2>
<ul>${crossovers.length ? crossovers.map((s) => `<li>${escapeHtml(s)}</li>`).join('') : '<li>No change rate was measured with both modes.</li>'}</ul>
${found.some((c) => c.stopsAt !== null) ? `<p>${escapeHtml(rebaseNote())}</p>` : ''}
${figures}
<h2>Figures</h2>
${renderTables(resultTables(res))}
<h2>Where it ran</h2>
${renderEnvironment(m.environment)}
<script type="application/json" id="snapflow-data">${scriptJson({ charts: charts.map((c) => ({ id: c.id, config: c.config })) })}</script>
<script>${chartLibrary.replace(/<\/(script)/gi, '<\\/$1')}</script>
<script>${BOOT}</script>
</body></html>
`;
}
