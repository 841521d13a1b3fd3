/**
 * `snapflow bench windows`: what checkpoints cost on window state. Per assigner (tumbling,
 * sliding) and mode (full, incremental), one run of generated records through event-time
 * windows over a large key count, checkpointed every interval: each checkpoint's state size,
 * bytes written, entries and deletions written, and its end-to-end, sync and async time.
 * Window state grows while windows fill and is deleted when they fire, so an incremental
 * checkpoint after a window end carries a deletion per purged window and timer.
 */
import { fileURLToPath } from 'node:url';
import { execute } from '../runtime/execute.js';
import { windowSizeMs, type WindowJobParams } from './jobs/windows.js';
import { mean, median, processingMs, quantile, round } from './measure.js';
import { scratchDir } from './scratch.js';
import type { BackendKind, CheckpointMode } from '../base/kinds.js';
import type { CheckpointSummary } from '../runtime/checkpoint/stats.js';

/** The window kinds the benchmark measures. */
export const WINDOW_ASSIGNERS = ['tumbling', 'sliding'] as const;
/** One of WINDOW_ASSIGNERS. */
export type WindowAssignerKind = (typeof WINDOW_ASSIGNERS)[number];

/** Options of the window benchmark. */
export interface WindowBenchOptions {
  keys: number;
  records: number;
  assigners: WindowAssignerKind[];
  modes: CheckpointMode[];
  /** Records of an average key in one window. */
  windowRecordsPerKey: number;
  /** Sliding windows each record belongs to. */
  overlap: number;
  intervalMs: number;
  parallelism: number;
  stateBackend: BackendKind;
  /** Records per second over all sources (default unlimited). */
  rate?: number;
  /** Incremental re-base policy (defaults: the runtime's, DEFAULT_REBASE). */
  maxDeltas?: number;
  maxDeltaRatio?: number;
  threads?: number;
  progress?: (line: string) => void;
}

/** One checkpoint's figures; durations are the slowest subtask's. */
export interface WindowCheckpointFigures {
  id: number;
  fullStateBytes: number;
  checkpointedBytes: number;
  writtenEntries: number;
  writtenDeletions: number;
  e2eMs: number;
  syncMs: number;
  asyncMs: number;
}

/** Figures of one assigner and mode. */
export interface WindowBenchResult {
  assigner: WindowAssignerKind;
  mode: CheckpointMode;
  /** The re-base policy of incremental runs: "default", or the options given. */
  policy: string;
  keys: number;
  records: number;
  windowMs: number;
  slideMs: number;
  /** Checkpoints taken while records flowed (the final one is left out). */
  checkpoints: WindowCheckpointFigures[];
  stateBytesMean: number;
  stateBytesMax: number;
  bytesPerCheckpointMean: number;
  deletionsPerCheckpointMean: number;
  /** Deletions as a share of the entries the checkpoints wrote. */
  deletionShare: number;
  /** Checkpoints that wrote a delta rather than the whole state. */
  deltas: number;
  e2eMsMedian: number;
  e2eMsMax: number;
  syncMsP99: number;
  /** Records per second of the whole run, checkpoints included. */
  recordsPerSec: number;
  /** Window results emitted. */
  windowsFired: number;
}

/** The benchmark's output. */
export interface WindowBenchReport {
  results: WindowBenchResult[];
}

const JOB = fileURLToPath(new URL('./jobs/windows.js', import.meta.url));

function figures(c: CheckpointSummary): WindowCheckpointFigures {
  const max = (f: (s: CheckpointSummary['subtasks'][number]) => number) => round(c.subtasks.reduce((m, s) => Math.max(m, f(s)), 0), 3);
  return {
    id: c.id, fullStateBytes: c.fullStateBytes, checkpointedBytes: c.checkpointedBytes, writtenEntries: c.writtenEntries, writtenDeletions: c.writtenDeletions,
    e2eMs: round(c.endToEndMs, 2), syncMs: max((s) => s.syncMs), asyncMs: max((s) => s.asyncMs),
  };
}

/** How a run's incremental checkpoints chose between a delta and a new base. */
export function policyOf(o: Pick<WindowBenchOptions, 'maxDeltas' | 'maxDeltaRatio'>): string {
  const parts = [o.maxDeltas !== undefined ? `max-deltas ${o.maxDeltas}` : '', o.maxDeltaRatio !== undefined ? `max-delta-ratio ${o.maxDeltaRatio}` : ''].filter(Boolean);
  return parts.length ? parts.join(', ') : 'default';
}

/** Runs the window benchmark. */
export async function benchWindows(o: WindowBenchOptions): Promise<WindowBenchReport> {
  const say = o.progress ?? (() => {});
  const scratch = await scratchDir('snapflow-bench-windows-');
  const report: WindowBenchReport = { results: [] };
  try {
    for (const assigner of o.assigners) {
      for (const mode of o.modes) {
        const params: WindowJobParams = { assigner, records: o.records, keys: o.keys, windowRecordsPerKey: o.windowRecordsPerKey, overlap: o.overlap, rate: o.rate };
        const windowMs = windowSizeMs(params);
        say(`windows: ${assigner}, ${mode}, ${o.records} records over ${o.keys} keys, windows of ${o.windowRecordsPerKey} records per key, checkpoints every ${o.intervalMs} ms`);
        const { stats } = await execute(JOB, {
          parallelism: o.parallelism, threads: o.threads, stateBackend: o.stateBackend, params: { ...params },
          checkpointing: { intervalMs: o.intervalMs, mode, dir: scratch.path, maxDeltas: o.maxDeltas, maxDeltaRatio: o.maxDeltaRatio },
        });
        const done = stats.checkpoints!.checkpoints.filter((c) => c.status === 'completed' && !c.final).map(figures);
        const written = done.reduce((n, c) => n + c.writtenEntries, 0);
        const windowsFired = stats.actors.reduce((n, a) => n + ((a.metrics.windowsFired as number | undefined) ?? 0), 0);
        const result: WindowBenchResult = {
          assigner, mode, policy: policyOf(o), keys: o.keys, records: o.records, windowMs, slideMs: assigner === 'sliding' ? windowMs / o.overlap : windowMs, checkpoints: done,
          stateBytesMean: Math.round(mean(done.map((c) => c.fullStateBytes))), stateBytesMax: Math.max(0, ...done.map((c) => c.fullStateBytes)),
          bytesPerCheckpointMean: Math.round(mean(done.map((c) => c.checkpointedBytes))),
          deletionsPerCheckpointMean: Math.round(mean(done.map((c) => c.writtenDeletions))),
          deletionShare: written === 0 ? 0 : round(done.reduce((n, c) => n + c.writtenDeletions, 0) / written, 3),
          deltas: done.filter((c) => c.checkpointedBytes < c.fullStateBytes).length,
          e2eMsMedian: done.length ? round(median(done.map((c) => c.e2eMs)), 2) : 0, e2eMsMax: Math.max(0, ...done.map((c) => c.e2eMs)),
          syncMsP99: round(quantile(done.map((c) => c.syncMs).sort((a, b) => a - b), 0.99) || 0, 3),
          recordsPerSec: Math.round(o.records / (processingMs(stats) / 1000)), windowsFired,
        };
        report.results.push(result);
        say(`  ${done.length} checkpoints (${result.deltas} deltas): state ${result.stateBytesMean} B on average, ${result.bytesPerCheckpointMean} B and ${result.deletionsPerCheckpointMean} deletions written per checkpoint, e2e median ${result.e2eMsMedian} ms; ${result.recordsPerSec} records/s`);
      }
    }
  } finally {
    await scratch.remove();
  }
  return report;
}

/** One line per assigner: incremental against full, as ratios of the same run's figures. */
export function compareModes(report: WindowBenchReport): string[] {
  const lines: string[] = [];
  for (const assigner of WINDOW_ASSIGNERS) {
    const full = report.results.find((r) => r.assigner === assigner && r.mode === 'full');
    const inc = report.results.find((r) => r.assigner === assigner && r.mode === 'incremental');
    if (!full || !inc) continue;
    const ratio = (a: number, b: number) => (b === 0 ? '-' : (a / b).toFixed(3));
    lines.push(`${assigner}: incremental / full bytes per checkpoint ${ratio(inc.bytesPerCheckpointMean, full.bytesPerCheckpointMean)}, ` +
      `end-to-end ${ratio(inc.e2eMsMedian, full.e2eMsMedian)}, records/s ${ratio(inc.recordsPerSec, full.recordsPerSec)}; ` +
      `incremental checkpoints carried ${inc.deletionsPerCheckpointMean} deletions each (${(inc.deletionShare * 100).toFixed(1)}% of what they wrote)`);
  }
  return lines;
}
