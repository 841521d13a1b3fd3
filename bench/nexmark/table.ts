/** The terminal table of `snapflow bench nexmark`: each query's figures beside Flink's published per-core figure. */
import type { NexmarkReport, NexmarkResult } from './bench.js';
import { textTable } from '../../base/text-table.js';

const thousands = (n: number) => (n >= 10_000 ? `${Math.round(n / 100) / 10}K` : String(n));

/** The table's lines. */
export function nexmarkTable(report: NexmarkReport): string[] {
  const paired = report.results.some((r) => r.withoutCheckpoints !== undefined);
  const header = ['query', 'events', 'p', 'cores', 'events/s', 'per core', 'Flink/core', '× Flink', 'verified', 'ckpts', 'state B', 'ckpt B p50', 'e2e ms p50', 'RSS MiB',
    ...(paired ? ['without/core', 'with/without', 'pairs'] : [])];
  const rows = report.results.map((r) => [
    r.query, String(r.events), String(r.parallelism), String(r.cores), thousands(r.eventsPerSec), thousands(r.eventsPerSecPerCore), thousands(r.flinkPerCore),
    (r.eventsPerSecPerCore / r.flinkPerCore).toFixed(2), r.verified === null ? '-' : r.verified ? 'yes' : 'NO',
    String(r.checkpoints.completed), String(r.checkpoints.stateBytes), String(r.checkpoints.checkpointedBytesMedian), String(r.checkpoints.e2eMsMedian), String(r.peakRssMiB),
    ...(paired ? pairedColumns(r) : []),
  ]);
  const failures = report.results.reduce((n, r) => n + r.failuresInjected, 0);
  return [
    ...textTable(header, rows),
    ...(failures > 0 ? [`${failures} injected failures fired, ${report.results.reduce((n, r) => n + r.restarts, 0)} restarts.`] : []),
    'Flink/core: Flink 1.13 on 8 workers with incremental RocksDB checkpoints (the nexmark/nexmark README), measured on other hardware;',
    'a ratio compares this machine with that one as much as the two runtimes.',
    ...(paired ? ['with/without: the median of the pairs\' ratios (pairs: each run with checkpoints over the run without it beside).'] : []),
    ...(report.results.some((r) => r.warmWorkers) ? ['Warm workers: every run on the same threads, each query\'s after an uncounted run of it with checkpoints and one without.'] : []),
  ];
}

function pairedColumns(r: NexmarkResult): string[] {
  const w = r.withoutCheckpoints;
  return w === undefined ? ['-', '-', '-'] : [thousands(w.eventsPerSecPerCore), w.ratio.toFixed(2), w.ratios.map((x) => x.toFixed(2)).join(' ')];
}
