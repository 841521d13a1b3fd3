/** The COST benchmark in the report: its CSV table and a chart of each configuration's speed over the hand-written single thread. */
import type { CostReport } from './cost/bench.js';
import type { BenchRun, SuiteResults, Table } from './report-data.js';
import { commandsOf, PALETTE, type ChartSpec } from './report-charts.js';

/** One row per configuration of every cost run. */
export function costCsvTable(runs: BenchRun<CostReport>[]): Table {
  const header = ['rows', 'backend', 'parallelism', 'checkpointing', 'recordsPerSec', 'baselineRecordsPerSec', 'vsBaseline', 'peakRssMiB', 'checkpoints', 'runsRecordsPerSec'];
  const rows = runs.flatMap((run) => run.report.results.map((r) => [
    run.report.rows, r.backend, r.parallelism, r.checkpointing, r.recordsPerSec, run.report.baseline.recordsPerSec, r.vsBaseline, r.peakRssMiB, r.checkpoints, r.runs.join(' '),
  ]));
  return { header, rows };
}

const label = (r: CostReport['results'][number]) => `${r.backend} p=${r.parallelism}, ${r.checkpointing === 'none' ? 'no checkpoints' : `${r.checkpointing} every 1 s`}`;

/** Bars per configuration: records/s over the hand-written single thread's in the same run. */
export function costCharts(res: SuiteResults): ChartSpec[] {
  const runs = res.cost ?? [];
  if (runs.length === 0) return [];
  const labels = [...new Set(runs.flatMap((run) => run.report.results.map(label)))];
  const datasets = runs.map((run, i) => ({
    label: `${run.report.rows} rows, baseline ${run.report.baseline.recordsPerSec} records/s`, backgroundColor: PALETTE[i % PALETTE.length],
    data: labels.map((l) => run.report.results.find((r) => label(r) === l)?.vsBaseline ?? null),
  }));
  return [{
    id: 'cost', title: 'COST: snapflow over one hand-written thread', commands: commandsOf(runs),
    caption: 'The keyed job of bench/jobs/cost.ts (a running count and sum per customer, every update to the file sink) as records/s over the plain single-threaded ' +
      'program of bench/cost/baseline.ts reading the same file in the same run. Read: below 1, that many cores of snapflow are slower than one plain thread.',
    config: {
      type: 'bar', data: { labels, datasets },
      options: { animation: false, plugins: { legend: { position: 'bottom' } }, scales: { y: { beginAtZero: true, title: { display: true, text: '× the single thread' } } } },
    },
  }];
}
