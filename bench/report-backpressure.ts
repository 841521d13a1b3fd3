/** The backpressure benchmark in the report: its CSV table and a chart of checkpoint times per mode under a slow sink. */
import type { BackpressureReport } from './backpressure.js';
import type { BenchRun, SuiteResults, Table } from './report-data.js';
import { commandsOf, PALETTE, type ChartSpec } from './report-charts.js';

/** One row per variant and mode of every backpressure run. */
export function backpressureTable(runs: BenchRun<BackpressureReport>[]): Table {
  const header = ['variant', 'mode', 'parallelism', 'checkpoints', 'e2eMsMedian', 'e2eMsP99', 'alignmentMsMedian', 'startDelayMsMedian', 'persistedBytesMedian', 'recordsPerSec'];
  const rows = runs.flatMap((run) => run.report.results.map((r) => [
    r.variant, r.mode, r.parallelism, r.checkpoints, r.e2eMsMedian, r.e2eMsP99, r.alignmentMsMedian, r.startDelayMsMedian, r.persistedBytesMedian, r.recordsPerSec,
  ]));
  return { header, rows };
}

/** Bars per variant: each mode's median and p99 end-to-end checkpoint time. */
export function backpressureCharts(res: SuiteResults): ChartSpec[] {
  const runs = res.backpressure ?? [];
  if (runs.length === 0) return [];
  const results = runs.flatMap((run) => run.report.results);
  const labels = [...new Set(results.map((r) => `${r.variant === 'all' ? 'every sink slow' : 'one sink slow'}, ${r.mode}`))];
  const at = (f: (r: BackpressureReport['results'][number]) => number) => labels.map((l) => {
    const r = results.find((x) => `${x.variant === 'all' ? 'every sink slow' : 'one sink slow'}, ${x.mode}` === l);
    return r === undefined ? null : f(r);
  });
  return [{
    id: 'backpressure', title: 'Checkpoints under backpressure', commands: commandsOf(runs),
    caption: 'End-to-end checkpoint time (median and p99) of a keyed job whose sink takes a tenth of what its sources offer. Read: an aligned barrier queues behind ' +
      'every batch sent before it, so its checkpoint lasts as long as the backlog takes to drain; a mode that does not wait for the backlog stays near the time of the snapshot itself.',
    config: {
      type: 'bar',
      data: { labels, datasets: [{ label: 'e2e ms, median', backgroundColor: PALETTE[0], data: at((r) => r.e2eMsMedian) }, { label: 'e2e ms, p99', backgroundColor: PALETTE[1], data: at((r) => r.e2eMsP99) }] },
      options: { animation: false, plugins: { legend: { position: 'bottom' } }, scales: { y: { beginAtZero: true, title: { display: true, text: 'ms' } } } },
    },
  }];
}
