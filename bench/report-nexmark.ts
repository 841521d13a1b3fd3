/** The Nexmark benchmark in the report: its CSV table and a chart of events/s per core beside Flink's published figures. */
import type { NexmarkBenchOptions, NexmarkReport } from './nexmark/bench.js';
import type { BenchRun, SuiteResults, Table } from './report-data.js';
import { commandsOf, PALETTE, type ChartSpec } from './report-charts.js';

/** Whether a run took checkpoints, as a label. */
const setting = (run: BenchRun<NexmarkReport>) => {
  const o = run.options as Partial<NexmarkBenchOptions>;
  return o.checkpointIntervalMs === undefined ? 'no checkpoints' : `${o.checkpointMode ?? 'incremental'} checkpoints every ${o.checkpointIntervalMs} ms`;
};

/** A run's paired runs without checkpoints, as a label. */
const PAIRED = 'no checkpoints (paired)';

/** One row per query and run setting; a run paired with runs without checkpoints gives a row for those too, and the pairs' ratio. */
export function nexmarkTable(runs: BenchRun<NexmarkReport>[]): Table {
  const header = ['query', 'setting', 'events', 'parallelism', 'cores', 'eventsPerSec', 'eventsPerSecPerCore', 'flinkPerCore', 'peakRssMiB', 'verified',
    'checkpoints', 'stateBytes', 'checkpointedBytesMedian', 'e2eMsMedian', 'runsEventsPerSec', 'ratioToPaired', 'pairRatios'];
  const rows = runs.flatMap((run) => run.report.results.flatMap((r) => {
    const w = r.withoutCheckpoints;
    const row = [
      r.query, setting(run), r.events, r.parallelism, r.cores, r.eventsPerSec, r.eventsPerSecPerCore, r.flinkPerCore, r.peakRssMiB, r.verified === null ? '' : r.verified,
      r.checkpoints.completed, r.checkpoints.stateBytes, r.checkpoints.checkpointedBytesMedian, r.checkpoints.e2eMsMedian, r.runs.join(' '), w?.ratio ?? '', w?.ratios.join(' ') ?? '',
    ];
    if (w === undefined) return [row];
    return [[r.query, PAIRED, r.events, r.parallelism, r.cores, w.eventsPerSec, w.eventsPerSecPerCore, r.flinkPerCore, w.peakRssMiB, '', 0, 0, 0, 0, w.runs.join(' '), '', ''], row];
  }));
  return { header, rows };
}

/** Bars per query: events/s per core of each setting, and Flink's published figure. */
export function nexmarkCharts(res: SuiteResults): ChartSpec[] {
  const runs = res.nexmark ?? [];
  if (runs.length === 0) return [];
  const queries = [...new Set(runs.flatMap((run) => run.report.results.map((r) => r.query)))];
  const flink = queries.map((q) => runs.flatMap((run) => run.report.results).find((r) => r.query === q)!.flinkPerCore);
  const series = runs.flatMap((run) => [
    ...(run.report.results.some((r) => r.withoutCheckpoints) ? [{ label: PAIRED, perCore: (q: string) => run.report.results.find((r) => r.query === q)?.withoutCheckpoints?.eventsPerSecPerCore ?? null }] : []),
    { label: setting(run), perCore: (q: string) => run.report.results.find((r) => r.query === q)?.eventsPerSecPerCore ?? null },
  ]);
  const datasets = [
    ...series.map((s, i) => ({ label: `snapflow, ${s.label}`, backgroundColor: PALETTE[i % PALETTE.length], data: queries.map(s.perCore) })),
    { label: 'Flink 1.13 (published, other hardware)', backgroundColor: '#bbbbbb', data: flink },
  ];
  return [{
    id: 'nexmark', title: 'Nexmark: events per second per core', commands: commandsOf(runs),
    caption: 'Each query\'s events/s divided by the cores its run could use, with and without checkpoints, beside the figure Flink publishes for 8 workers with incremental RocksDB checkpoints (logarithmic). ' +
      'Read: the grey bars were measured on other machines, so a ratio to them says as much about this machine as about the runtime; the ratio between the coloured bars is what checkpoints cost here.',
    config: {
      type: 'bar', data: { labels: queries, datasets },
      options: { animation: false, plugins: { legend: { position: 'bottom' } }, scales: { y: { type: 'logarithmic', title: { display: true, text: 'events/s per core' } } } },
    },
  }];
}
