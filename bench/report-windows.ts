/** The window benchmark in the report: its CSV table and its charts (state size, bytes and duration per checkpoint). */
import type { WindowBenchReport, WindowBenchResult } from './windows.js';
import type { BenchRun, SuiteResults, Table } from './report-data.js';
import { commandsOf, line, PALETTE, xy, type ChartSpec } from './report-charts.js';

/** One row per assigner, mode and re-base policy. */
export function windowTable(runs: BenchRun<WindowBenchReport>[]): Table {
  const header = ['assigner', 'mode', 'policy', 'keys', 'records', 'windowMs', 'slideMs', 'checkpoints', 'deltas', 'stateBytesMean', 'stateBytesMax',
    'bytesPerCheckpointMean', 'deletionsPerCheckpointMean', 'deletionShare', 'e2eMsMedian', 'e2eMsMax', 'syncMsP99', 'recordsPerSec', 'windowsFired'];
  const rows = runs.flatMap((run) => run.report.results.map((r) => [
    r.assigner, r.mode, r.policy, r.keys, r.records, r.windowMs, r.slideMs, r.checkpoints.length, r.deltas, r.stateBytesMean, r.stateBytesMax,
    r.bytesPerCheckpointMean, r.deletionsPerCheckpointMean, r.deletionShare, r.e2eMsMedian, r.e2eMsMax, r.syncMsP99, r.recordsPerSec, r.windowsFired,
  ]));
  return { header, rows };
}

const seriesOf = (r: WindowBenchResult) => (r.mode === 'full' ? 'full' : `incremental (${r.policy === 'default' ? 'default re-base policy' : r.policy})`);

/** Summary bars: per assigner, the mean bytes each checkpoint wrote and its median duration, one bar per mode and policy. */
function summaryChart(res: SuiteResults, results: WindowBenchResult[]): ChartSpec {
  const labels = [...new Set(results.map((r) => `${r.assigner}, ${r.keys.toLocaleString('en-US')} keys`))];
  const series = [...new Set(results.map(seriesOf))];
  const datasets = series.flatMap((s, i) => {
    const at = (f: (r: WindowBenchResult) => number) => labels.map((l) => {
      const r = results.find((x) => seriesOf(x) === s && `${x.assigner}, ${x.keys.toLocaleString('en-US')} keys` === l);
      return r === undefined ? null : f(r);
    });
    const color = PALETTE[i % PALETTE.length];
    return [
      { type: 'bar', label: `${s}: bytes per checkpoint`, data: at((r) => r.bytesPerCheckpointMean), backgroundColor: color, yAxisID: 'y' },
      { type: 'line', label: `${s}: median ms`, data: at((r) => r.e2eMsMedian), borderColor: color, backgroundColor: color, borderDash: [6, 4], yAxisID: 'ms' },
    ];
  });
  return {
    id: 'window-checkpoints', title: 'Checkpoints of window state', commands: commandsOf(res.windows),
    caption: 'Per window kind: the mean bytes a checkpoint wrote (bars, left, logarithmic) and its median end-to-end duration (dashed, right), full against incremental. ' +
      'Read: window state is written as windows fill and deleted as they fire. While they fill, an incremental checkpoint writes the windows that changed; ' +
      'after windows end, much of the state changed at once and it writes a new base, about what a full one writes. With the re-base policy loosened more checkpoints are deltas, and the purged windows and timers travel in them as deletions.',
    config: {
      type: 'bar', data: { labels, datasets },
      options: {
        animation: false, plugins: { legend: { position: 'bottom' } },
        scales: { y: { type: 'logarithmic', title: { display: true, text: 'bytes per checkpoint' } }, ms: { position: 'right', title: { display: true, text: 'ms per checkpoint' }, grid: { drawOnChartArea: false } } },
      },
    },
  };
}

/** Timeline of every checkpoint of the largest sliding (else tumbling) runs: state size and bytes written. */
function timelineChart(res: SuiteResults, results: WindowBenchResult[]): ChartSpec {
  const keys = Math.max(...results.map((r) => r.keys));
  const assigner = results.some((r) => r.assigner === 'sliding' && r.keys === keys) ? 'sliding' : 'tumbling';
  const runs = results.filter((r) => r.keys === keys && r.assigner === assigner);
  const datasets = runs.flatMap((r, i) => [
    line(`${seriesOf(r)}: state size`, r.checkpoints.map((c, n) => ({ x: n + 1, y: c.fullStateBytes })), i),
    line(`${seriesOf(r)}: bytes written`, r.checkpoints.map((c, n) => ({ x: n + 1, y: c.checkpointedBytes })), i, { borderDash: [6, 4] }),
    line(`${seriesOf(r)}: deletions written`, r.checkpoints.map((c, n) => ({ x: n + 1, y: c.writtenDeletions })), i, { borderDash: [2, 3], yAxisID: 'deletions' }),
  ]);
  const config = xy({ title: 'checkpoint' }, { title: 'bytes', log: true }, datasets);
  (config.options as { scales: Record<string, unknown> }).scales.deletions = { position: 'right', title: { display: true, text: 'deletions written' }, grid: { drawOnChartArea: false } };
  return {
    id: 'window-timeline', title: `Checkpoints of ${assigner} windows over ${keys.toLocaleString('en-US')} keys, one by one`, commands: commandsOf(res.windows),
    caption: 'Every checkpoint of the run: the state it represents (solid), the bytes it wrote (dashed) and the deletions among its entries (dotted, right). ' +
      'Read: state rises while windows fill and drops when they fire; where dashed meets solid a checkpoint wrote the whole state.',
    config,
  };
}

/** The window benchmark's charts; none without its results. */
export function windowCharts(res: SuiteResults): ChartSpec[] {
  const results = res.windows.flatMap((run) => run.report.results);
  if (results.length === 0) return [];
  return [summaryChart(res, results), timelineChart(res, results)];
}
