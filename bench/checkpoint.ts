/**
 * `snapflow bench checkpoint`: what full and incremental checkpoints cost on real keyed
 * state. Per mode, one run loads N keys and then, K times, updates a fraction R of them
 * and takes a checkpoint (bytes, end-to-end, sync, async and alignment time of each); two
 * more runs measure throughput while the same hot keys are updated without pause, with
 * checkpoints every interval and with checkpointing off, back to back in this process. The
 * checkpointed run takes one checkpoint of the loaded state before its updates begin, so
 * both measure the same thing: updates per second after the load.
 */
import { fileURLToPath } from 'node:url';
import { execute, type ExecuteOptions } from '../runtime/execute.js';
import type { CheckpointJobParams } from './jobs/checkpoint.js';
import { median, quantile, round } from './measure.js';
import { scratchDir } from './scratch.js';
import type { BackendKind, CheckpointMode } from '../base/kinds.js';
import type { CheckpointSummary } from '../runtime/checkpoint/stats.js';
import type { JobStats } from '../runtime/job/stats.js';

/** Options of the checkpoint benchmark. */
export interface CheckpointBenchOptions {
  keys: number;
  updateRatio: number;
  /** Checkpoints after the load, each preceded by one round of updates. */
  checkpoints: number;
  modes: (CheckpointMode)[];
  valueBytes: number;
  parallelism: number;
  /** Interval of the throughput runs. */
  intervalMs: number;
  /** Updates of each throughput run, after the load. */
  streamUpdates: number;
  /** Throughput runs per configuration; the median is reported. 0 measures the checkpoints' cost alone. */
  runs: number;
  stateBackend: BackendKind;
  /** Incremental re-base policy (defaults: the runtime's). */
  maxDeltas?: number;
  maxDeltaRatio?: number;
  threads?: number;
  progress?: (line: string) => void;
}

/** One checkpoint's figures; durations of subtasks are their maximum. */
export interface CheckpointFigures {
  id: number;
  checkpointedBytes: number;
  fullStateBytes: number;
  e2eMs: number;
  syncMs: number;
  asyncMs: number;
  alignmentMs: number;
}

/** Figures of one mode. */
export interface CheckpointBenchResult {
  mode: CheckpointMode;
  keys: number;
  updateRatio: number;
  /** The checkpoints after each round of updates (the load's checkpoint and the final one are left out). */
  checkpoints: CheckpointFigures[];
  /** The checkpoint right after the load. */
  loadCheckpoint: CheckpointFigures;
  /** Bytes per key of the loaded state (the load checkpoint's state size / keys). */
  avgEntryBytes: number;
  changedKeysPerCheckpoint: number;
  syncMsP99: number;
  e2eMsMedian: number;
  /** Updates per second after the load (median of the runs), with checkpoints every interval; null without throughput runs. */
  recordsPerSec: number | null;
  /** The same with checkpointing off. */
  recordsPerSecNoCheckpoints: number | null;
  /** recordsPerSec of every throughput run, in order, with and without checkpoints. */
  runs: { withCheckpoints: number[]; noCheckpoints: number[] };
}

/** The benchmark's output. */
export interface CheckpointBenchReport {
  results: CheckpointBenchResult[];
}

const JOB = fileURLToPath(new URL('./jobs/checkpoint.js', import.meta.url));

/**
 * Updates per second after the load, from the source's first update to its last: with
 * credit-based flow control the source runs at the pace the keyed operator sets, and the
 * final checkpoint after the last record is left out of both runs alike.
 */
function updateRate(stats: JobStats, updates: number): number {
  const source = stats.actors.find((a) => a.metrics.updatesFrom !== undefined)?.metrics;
  const from = source?.updatesFrom as number | undefined;
  const until = source?.updatesUntil as number | undefined;
  if (from === undefined || until === undefined) throw new Error('the source did not report when its updates began and ended');
  // The source starts its clock after a warm-up of a tenth of the updates.
  return Math.round((updates - Math.floor(updates / 10)) / ((until - from) / 1000));
}

function figures(c: CheckpointSummary): CheckpointFigures {
  const max = (f: (s: CheckpointSummary['subtasks'][number]) => number) => round(c.subtasks.reduce((m, s) => Math.max(m, f(s)), 0), 3);
  return {
    id: c.id, checkpointedBytes: c.checkpointedBytes, fullStateBytes: c.fullStateBytes, e2eMs: round(c.endToEndMs, 2),
    syncMs: max((s) => s.syncMs), asyncMs: max((s) => s.asyncMs), alignmentMs: max((s) => s.alignmentMs),
  };
}

/** Runs the checkpoint benchmark. */
export async function benchCheckpoint(opts: CheckpointBenchOptions): Promise<CheckpointBenchReport> {
  const say = opts.progress ?? (() => {});
  const scratch = await scratchDir('snapflow-bench-checkpoint-');
  const dir = scratch.path;
  const report: CheckpointBenchReport = { results: [] };
  const params = (mode: CheckpointJobParams['mode'], checkpointAfterLoad = false): Record<string, unknown> => ({
    keys: opts.keys, updateRatio: opts.updateRatio, mode, rounds: opts.checkpoints, updates: opts.streamUpdates, valueBytes: opts.valueBytes, checkpointAfterLoad,
  }) satisfies CheckpointJobParams;
  const base: ExecuteOptions = { parallelism: opts.parallelism, threads: opts.threads, stateBackend: opts.stateBackend };
  try {
    for (const mode of opts.modes) {
      say(`checkpoint: ${mode}, ${opts.keys} keys, ${opts.checkpoints} rounds of ${opts.updateRatio * 100}% updates`);
      const rounds = await execute(JOB, {
        ...base, params: params('rounds'),
        checkpointing: { intervalMs: 1e9, mode, dir, retained: 1, maxDeltas: opts.maxDeltas, maxDeltaRatio: opts.maxDeltaRatio },
      });
      const done = rounds.stats.checkpoints!.checkpoints.filter((c) => c.status === 'completed' && !c.final);
      if (done.length !== opts.checkpoints + 1) {
        throw new Error(`expected ${opts.checkpoints + 1} completed checkpoints in the ${mode} run, got ${done.length}`);
      }
      const [load, ...rest] = done.map(figures);
      const withCk: number[] = [];
      const without: number[] = [];
      for (let r = 0; r < opts.runs; r++) {
        const off = await execute(JOB, { ...base, params: params('stream') });
        without.push(updateRate(off.stats, opts.streamUpdates));
        const on = await execute(JOB, {
          ...base, params: params('stream', true),
          checkpointing: { intervalMs: opts.intervalMs, mode, dir, retained: 1, maxDeltas: opts.maxDeltas, maxDeltaRatio: opts.maxDeltaRatio },
        });
        withCk.push(updateRate(on.stats, opts.streamUpdates));
        say(`  throughput run ${r + 1}: ${without[r]} records/s without checkpoints, ${withCk[r]} with ${mode} checkpoints every ${opts.intervalMs} ms`);
      }
      const syncs = rest.map((c) => c.syncMs).sort((a, b) => a - b);
      report.results.push({
        mode, keys: opts.keys, updateRatio: opts.updateRatio, checkpoints: rest, loadCheckpoint: load,
        avgEntryBytes: round(load.fullStateBytes / opts.keys, 2), changedKeysPerCheckpoint: Math.max(1, Math.round(opts.keys * opts.updateRatio)),
        syncMsP99: round(quantile(syncs, 0.99), 3), e2eMsMedian: round(median(rest.map((c) => c.e2eMs)), 2),
        recordsPerSec: withCk.length > 0 ? Math.round(median(withCk)) : null, recordsPerSecNoCheckpoints: without.length > 0 ? Math.round(median(without)) : null,
        runs: { withCheckpoints: withCk, noCheckpoints: without },
      });
    }
  } finally {
    await scratch.remove();
  }
  return report;
}

/** The targets, checked against a report: one line per figure, with the numbers behind it. */
export function checkTargets(report: CheckpointBenchReport): string[] {
  const lines: string[] = [];
  const full = report.results.find((r) => r.mode === 'full');
  const inc = report.results.find((r) => r.mode === 'incremental');
  if (inc) {
    const limit = 1.5 * inc.changedKeysPerCheckpoint * inc.avgEntryBytes + 64 * 1024;
    const worst = Math.max(...inc.checkpoints.map((c) => c.checkpointedBytes));
    lines.push(`incremental bytes per checkpoint: max ${worst} vs limit ${Math.round(limit)} (1.5 × ${inc.changedKeysPerCheckpoint} keys × ${inc.avgEntryBytes} B + 64 KiB): ${worst <= limit ? 'met' : 'NOT met'}`);
  }
  if (inc && full) {
    const ratio = inc.e2eMsMedian / full.e2eMsMedian;
    lines.push(`incremental end-to-end / full: ${inc.e2eMsMedian} / ${full.e2eMsMedian} ms = ${ratio.toFixed(3)} (target ≤ 0.1): ${ratio <= 0.1 ? 'met' : 'NOT met'}`);
  }
  for (const r of report.results) {
    lines.push(`${r.mode} sync part p99: ${r.syncMsP99} ms (target < 5): ${r.syncMsP99 < 5 ? 'met' : 'NOT met'}`);
    if (r.recordsPerSec === null || r.recordsPerSecNoCheckpoints === null) continue;
    const ratio = r.recordsPerSec / r.recordsPerSecNoCheckpoints;
    const target = r.mode === 'incremental' ? ' (target ≥ 0.90)' : '';
    lines.push(`${r.mode} throughput with checkpoints / without: ${r.recordsPerSec} / ${r.recordsPerSecNoCheckpoints} = ${ratio.toFixed(3)}${target}${target ? (ratio >= 0.9 ? ': met' : ': NOT met') : ''}`);
  }
  return lines;
}
