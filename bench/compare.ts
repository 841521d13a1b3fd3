/**
 * `snapflow bench compare OLD NEW`: each figure of two results folders side by side, its
 * change, and a word on whether the change is beyond the noise. With several runs on both
 * sides a change counts when the two ranges of run values do not overlap; with fewer it counts
 * beyond the run-to-run spread this kind of machine shows (±30% between runs).
 */
import { escapeHtml } from './report-charts.js';
import { textTable } from '../base/text-table.js';
import { resultTables, runValues, type NamedTable } from './report-tables.js';
import type { SuiteResults, Table } from './report-data.js';

/** A figure of one part's table: its column, its per-run values' column, and which way is better. */
interface FigureSpec {
  column: string;
  runs?: string;
  better: 'higher' | 'lower';
}

/** What identifies a row of each part's table, and the figures compared. */
const SPECS: Record<NamedTable['id'], { keys: string[]; figures: FigureSpec[] }> = {
  throughput: { keys: ['pipeline', 'stateBackend', 'parallelism', 'records', 'chaining', 'separateSink'], figures: [{ column: 'recordsPerSec', runs: 'runsRecordsPerSec', better: 'higher' }, { column: 'latencyP99Ms', better: 'lower' }, { column: 'peakRssMiB', better: 'lower' }] },
  checkpoint: { keys: ['stateBackend', 'mode', 'keys', 'updateRatio', 'intervalMs'], figures: [{ column: 'meanCheckpointedBytes', better: 'lower' }, { column: 'e2eMsMedian', better: 'lower' }, { column: 'recordsPerSec', better: 'higher' }] },
  recovery: { keys: ['keys', 'updateRatio', 'chainLength', 'policy'], figures: [{ column: 'restoreMs', runs: 'runsMs', better: 'lower' }] },
  windows: { keys: ['assigner', 'mode', 'policy', 'keys', 'records'], figures: [{ column: 'bytesPerCheckpointMean', better: 'lower' }, { column: 'e2eMsMedian', better: 'lower' }, { column: 'recordsPerSec', better: 'higher' }] },
  nexmark: { keys: ['query', 'setting', 'events', 'parallelism'], figures: [{ column: 'eventsPerSec', runs: 'runsEventsPerSec', better: 'higher' }, { column: 'checkpointedBytesMedian', better: 'lower' }, { column: 'peakRssMiB', better: 'lower' }] },
  cost: { keys: ['rows', 'backend', 'parallelism', 'checkpointing'], figures: [{ column: 'recordsPerSec', runs: 'runsRecordsPerSec', better: 'higher' }, { column: 'vsBaseline', better: 'higher' }] },
  backpressure: { keys: ['variant', 'mode', 'parallelism'], figures: [{ column: 'e2eMsMedian', better: 'lower' }, { column: 'e2eMsP99', better: 'lower' }, { column: 'recordsPerSec', better: 'higher' }] },
};

/** Run-to-run spread of whole-process figures on a shared 2-core machine. */
export const SINGLE_RUN_NOISE = 0.3;

/** How a figure moved. */
export type Verdict = 'better' | 'worse' | 'within the noise' | 'new' | 'gone';

/** One figure of one configuration in both folders. */
export interface FigureChange {
  part: NamedTable['id'];
  /** The configuration, as `column=value` pairs. */
  config: string;
  figure: string;
  old: number | null;
  new: number | null;
  /** new / old. */
  ratio: number | null;
  verdict: Verdict;
  /** Why the verdict: the runs' ranges, or the single-run noise band. */
  basis: string;
}

function rowsByKey(t: Table, keys: string[]): Map<string, unknown[]> {
  const at = keys.map((k) => t.header.indexOf(k));
  const out = new Map<string, unknown[]>();
  for (const row of t.rows) out.set(at.map((i, n) => (i < 0 ? '' : `${keys[n]}=${String(row[i])}`)).filter(Boolean).join(' '), row);
  return out;
}

function numberAt(t: Table, row: unknown[] | undefined, column: string): number | null {
  const i = t.header.indexOf(column);
  if (row === undefined || i < 0 || row[i] === null || row[i] === '' || row[i] === undefined) return null;
  const v = Number(row[i]);
  return Number.isFinite(v) ? v : null;
}

/** Whether a move from `a` to `b` is beyond the noise, and on what ground. */
export function judge(a: number, b: number, aRuns: number[], bRuns: number[], better: 'higher' | 'lower'): { verdict: Verdict; basis: string } {
  const up = b > a;
  const good = (up && better === 'higher') || (!up && better === 'lower');
  if (aRuns.length >= 2 && bRuns.length >= 2) {
    const disjoint = Math.min(...bRuns) > Math.max(...aRuns) || Math.max(...bRuns) < Math.min(...aRuns);
    const basis = `runs ${Math.min(...aRuns)}–${Math.max(...aRuns)} vs ${Math.min(...bRuns)}–${Math.max(...bRuns)}`;
    return { verdict: disjoint ? (good ? 'better' : 'worse') : 'within the noise', basis };
  }
  const ratio = a === 0 ? (b === 0 ? 1 : Infinity) : b / a;
  const beyond = Math.abs(ratio - 1) > SINGLE_RUN_NOISE;
  return { verdict: beyond ? (good ? 'better' : 'worse') : 'within the noise', basis: `fewer than 2 runs a side: ±${SINGLE_RUN_NOISE * 100}% band` };
}

/** Every compared figure of the two folders' results. */
export function compareResults(older: SuiteResults, newer: SuiteResults): FigureChange[] {
  const a = new Map(resultTables(older).map((t) => [t.id, t.table]));
  const b = new Map(resultTables(newer).map((t) => [t.id, t.table]));
  const out: FigureChange[] = [];
  for (const part of Object.keys(SPECS) as NamedTable['id'][]) {
    const ta = a.get(part);
    const tb = b.get(part);
    if (ta === undefined && tb === undefined) continue;
    const spec = SPECS[part];
    const ra = ta ? rowsByKey(ta, spec.keys) : new Map<string, unknown[]>();
    const rb = tb ? rowsByKey(tb, spec.keys) : new Map<string, unknown[]>();
    for (const config of new Set([...ra.keys(), ...rb.keys()])) {
      for (const f of spec.figures) {
        const va = ta ? numberAt(ta, ra.get(config), f.column) : null;
        const vb = tb ? numberAt(tb, rb.get(config), f.column) : null;
        if (va === null && vb === null) continue;
        if (va === null || vb === null) {
          out.push({ part, config, figure: f.column, old: va, new: vb, ratio: null, verdict: va === null ? 'new' : 'gone', basis: 'measured on one side only' });
          continue;
        }
        const runsOf = (t: Table, row: unknown[] | undefined) => (f.runs && row ? runValues(row[t.header.indexOf(f.runs)]) : []);
        const { verdict, basis } = judge(va, vb, runsOf(ta!, ra.get(config)), runsOf(tb!, rb.get(config)), f.better);
        out.push({ part, config, figure: f.column, old: va, new: vb, ratio: va === 0 ? null : Math.round((vb / va) * 1000) / 1000, verdict, basis });
      }
    }
  }
  return out;
}

/** The changes as a terminal table. */
export function formatComparison(changes: FigureChange[]): string {
  if (changes.length === 0) return 'no figure in common\n';
  const rows = changes.map((c) => [c.part, c.config, c.figure, String(c.old ?? '-'), String(c.new ?? '-'), c.ratio === null ? '-' : `${c.ratio.toFixed(3)}×`, c.verdict]);
  const header = ['part', 'configuration', 'figure', 'old', 'new', 'change', 'verdict'];
  const counts = (['better', 'worse', 'within the noise'] as const).map((v) => `${changes.filter((c) => c.verdict === v).length} ${v}`).join(', ');
  return [...textTable(header, rows, { align: ['left', 'left', 'left', 'right', 'right', 'right', 'left'] }), '', `${counts}; beyond the noise means the runs' ranges do not overlap, or with fewer than 2 runs a side a change over ±${SINGLE_RUN_NOISE * 100}%`].join('\n') + '\n';
}

/** A page drawing each figure's change as a bar (new / old − 1), coloured by its verdict, with the chart library inlined. */
export function renderComparison(changes: FigureChange[], oldDir: string, newDir: string, chartLibrary: string): string {
  const drawn = changes.filter((c) => c.ratio !== null);
  const colour = (v: Verdict) => (v === 'better' ? '#2f855a' : v === 'worse' ? '#c53030' : '#a0aec0');
  const config = {
    type: 'bar',
    data: { labels: drawn.map((c) => `${c.part} ${c.config} ${c.figure}`), datasets: [{ label: 'change, % (new / old − 1)', data: drawn.map((c) => Math.round((c.ratio! - 1) * 1000) / 10), backgroundColor: drawn.map((c) => colour(c.verdict)) }] },
    options: { indexAxis: 'y', animation: false, plugins: { legend: { display: false } }, scales: { x: { title: { display: true, text: '% change (green: better beyond the noise, red: worse, grey: within the noise)' } } } },
  };
  const data = JSON.stringify({ config }).replace(/</g, '\\u003c');
  const rows = changes.map((c) => `<tr><td>${escapeHtml(c.part)}</td><td>${escapeHtml(c.config)}</td><td>${escapeHtml(c.figure)}</td><td>${c.old ?? '-'}</td><td>${c.new ?? '-'}</td><td>${c.ratio ?? '-'}</td><td style="color:${colour(c.verdict)}">${escapeHtml(c.verdict)}</td><td>${escapeHtml(c.basis)}</td></tr>`).join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>snapflow bench compare</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em}table{border-collapse:collapse;font-size:12px}td,th{border-bottom:1px solid #ddd;padding:2px 6px;text-align:left}</style></head><body>
<h1>snapflow bench compare</h1><p>old: <code>${escapeHtml(oldDir)}</code>, new: <code>${escapeHtml(newDir)}</code></p>
<div style="position:relative;height:${Math.max(200, drawn.length * 22)}px"><canvas id="changes"></canvas></div>
<table><thead><tr><th>part</th><th>configuration</th><th>figure</th><th>old</th><th>new</th><th>new / old</th><th>verdict</th><th>basis</th></tr></thead><tbody>
${rows}
</tbody></table>
<script type="application/json" id="data">${data}</script>
<script>${chartLibrary.replace(/<\/(script)/gi, '<\\/$1')}</script>
<script>const d=JSON.parse(document.getElementById('data').textContent);d.config.options.maintainAspectRatio=false;new Chart(document.getElementById('changes'),d.config);</script>
</body></html>
`;
}
