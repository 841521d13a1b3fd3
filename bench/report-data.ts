/** The suite's results as plain data: their shape, their CSV tables and the incremental/full crossover. */
import type { BackpressureReport } from './backpressure.js';
import type { EnvironmentRecord } from './environment.js';
import type { ThroughputReport } from './throughput.js';
import type { CheckpointBenchReport, CheckpointBenchResult } from './checkpoint.js';
import type { RecoveryReport } from './recovery.js';
import type { WindowBenchReport } from './windows.js';
import type { NexmarkReport } from './nexmark/bench.js';
import type { CostReport } from './cost/bench.js';
import { DEFAULT_REBASE } from '../backends/factory.js';
import { csvField } from '../operators/sinks/format.js';
import { mean } from './measure.js';

/** One benchmark invocation: the equivalent command, the options it ran with and its --json output. */
export interface BenchRun<R> {
  command: string;
  options: Record<string, unknown>;
  report: R;
}

/** Everything one suite run produced; `writeResults` stores it and `readResults` reads it back. */
export interface SuiteResults {
  /** `environment` is absent in folders written before it was recorded. */
  meta: { startedAt: string; finishedAt?: string; sweep: 'quick' | 'full' | 'custom'; host?: string; notes?: string[]; environment?: EnvironmentRecord };
  throughput: BenchRun<ThroughputReport>[];
  checkpoint: BenchRun<CheckpointBenchReport>[];
  recovery: BenchRun<RecoveryReport>[];
  windows: BenchRun<WindowBenchReport>[];
  /** Absent in folders written before the Nexmark benchmark existed. */
  nexmark?: BenchRun<NexmarkReport>[];
  /** Absent in folders written before the COST benchmark existed. */
  cost?: BenchRun<CostReport>[];
  /** Absent in folders written before the backpressure benchmark existed. */
  backpressure?: BenchRun<BackpressureReport>[];
}

/** A header row and data rows, ready for CSV. */
export interface Table {
  header: string[];
  rows: (string | number | boolean | null | undefined)[][];
}

/** Renders a table as CSV with a trailing newline. */
export function toCsv(t: Table): string {
  return [t.header, ...t.rows].map((r) => r.map(csvField).join(',')).join('\n') + '\n';
}

/** Backend of a checkpoint run; runs recorded without it used the benchmark's default, lmdb. */
export function backendOf(run: BenchRun<unknown>): string {
  return typeof run.options.stateBackend === 'string' ? run.options.stateBackend : 'lmdb';
}

/** Interval of a checkpoint run's throughput measurement, if recorded. */
function intervalOf(run: BenchRun<unknown>): number | undefined {
  return typeof run.options.intervalMs === 'number' ? run.options.intervalMs : undefined;
}

/** Mean bytes written and mean end-to-end duration per checkpoint; means, so that re-bases count. */
export function checkpointCost(r: CheckpointBenchResult): { bytes: number; e2eMs: number } {
  return { bytes: Math.round(mean(r.checkpoints.map((c) => c.checkpointedBytes))), e2eMs: Math.round(mean(r.checkpoints.map((c) => c.e2eMs)) * 100) / 100 };
}

/** Throughput table: one row per pipeline and parallelism. */
export function throughputTable(runs: BenchRun<ThroughputReport>[]): Table {
  const header = ['pipeline', 'stateBackend', 'parallelism', 'records', 'recordsPerSec', 'baselineRecordsPerSec', 'peakRssMiB', 'latencyP50Ms', 'latencyP99Ms', 'chaining', 'separateSink', 'backpressuredMs', 'runsRecordsPerSec'];
  const rows = runs.flatMap((run) => run.report.results.map((r) => [
    r.pipeline, r.pipeline === 'keyed' ? backendOf(run) : '', r.parallelism, r.records, r.recordsPerSec, run.report.baseline?.recordsPerSec,
    r.peakRssMiB, r.latencyMs.p50, r.latencyMs.p99, r.chaining, r.separateSink, r.backpressuredMs, r.runs.join(' '),
  ]));
  return { header, rows };
}

/** Checkpoint summary table: one row per backend, state size, change rate, interval and mode. */
export function checkpointTable(runs: BenchRun<CheckpointBenchReport>[]): Table {
  const header = ['stateBackend', 'mode', 'keys', 'updateRatio', 'intervalMs', 'avgEntryBytes', 'changedKeysPerCheckpoint', 'checkpoints', 'meanCheckpointedBytes', 'meanE2eMs', 'e2eMsMedian', 'syncMsP99', 'recordsPerSec', 'recordsPerSecNoCheckpoints', 'overheadPct'];
  const rows = runs.flatMap((run) => run.report.results.map((r) => {
    const c = checkpointCost(r);
    const overhead = r.recordsPerSec !== null && r.recordsPerSecNoCheckpoints !== null && r.recordsPerSecNoCheckpoints > 0 ? Math.round((1 - r.recordsPerSec / r.recordsPerSecNoCheckpoints) * 1000) / 10 : null;
    // A cost-only run (no throughput runs) used no interval.
    return [backendOf(run), r.mode, r.keys, r.updateRatio, r.recordsPerSec === null ? null : intervalOf(run), r.avgEntryBytes, r.changedKeysPerCheckpoint, r.checkpoints.length,
      c.bytes, c.e2eMs, r.e2eMsMedian, r.syncMsP99, r.recordsPerSec, r.recordsPerSecNoCheckpoints, overhead];
  }));
  return { header, rows };
}

/** Per-checkpoint table: every checkpoint of every run, the load's checkpoint flagged. */
export function timelineTable(runs: BenchRun<CheckpointBenchReport>[]): Table {
  const header = ['stateBackend', 'mode', 'keys', 'updateRatio', 'id', 'afterLoad', 'checkpointedBytes', 'fullStateBytes', 'e2eMs', 'syncMs', 'asyncMs', 'alignmentMs'];
  const rows = runs.flatMap((run) => run.report.results.flatMap((r) => [r.loadCheckpoint, ...r.checkpoints].map((k) => [
    backendOf(run), r.mode, r.keys, r.updateRatio, k.id, k === r.loadCheckpoint, k.checkpointedBytes, k.fullStateBytes, k.e2eMs, k.syncMs, k.asyncMs, k.alignmentMs,
  ])));
  return { header, rows };
}

/** Recovery table: one row per state size and chain length. */
export function recoveryTable(runs: BenchRun<RecoveryReport>[]): Table {
  const header = ['keys', 'updateRatio', 'chainLength', 'restoreMs', 'restoredBytes', 'deltaRatio', 'vsFull', 'fullMs', 'fullKeysPerSec', 'policy', 'runsMs'];
  const rows = runs.flatMap((run) => run.report.results.map((r) => [
    r.keys, run.options.updateRatio as number | undefined, r.chainLength, r.restoreMs, r.restoredBytes, r.deltaRatio, r.vsFull, r.fullMs, r.fullKeysPerSec, r.policy, r.runsMs.join(' '),
  ]));
  return { header, rows };
}

/** Where incremental checkpoints stop paying off, for one backend and state size. */
export interface Crossover {
  backend: string;
  keys: number;
  /** Change rates measured with both modes, ascending. */
  rates: number[];
  /** Lowest change rate at which incremental wrote at least full's bytes or took at least full's time; null: not reached. */
  stopsAt: number | null;
  /** Highest measured rate below `stopsAt` at which incremental still won on both; null if none. */
  paysUpTo: number | null;
  /** Which measure crossed at `stopsAt`. */
  by: ('bytes' | 'duration')[];
}

/** Finds the crossover per backend and state size from paired full/incremental results (same interval runs only). */
export function findCrossovers(runs: BenchRun<CheckpointBenchReport>[]): Crossover[] {
  type Pair = { full?: CheckpointBenchResult; incremental?: CheckpointBenchResult };
  const groups = new Map<string, { backend: string; keys: number; byRate: Map<number, Pair> }>();
  for (const run of runs) {
    for (const r of run.report.results) {
      const backend = backendOf(run);
      // Interval sweeps repeat a rate at other intervals; the first run of a rate is the one compared.
      const id = `${backend}|${r.keys}`;
      const g = groups.get(id) ?? { backend, keys: r.keys, byRate: new Map<number, Pair>() };
      groups.set(id, g);
      const pair = g.byRate.get(r.updateRatio) ?? {};
      if (!pair[r.mode]) pair[r.mode] = r;
      g.byRate.set(r.updateRatio, pair);
    }
  }
  const out: Crossover[] = [];
  for (const g of groups.values()) {
    const rates = [...g.byRate.entries()].filter(([, p]) => p.full && p.incremental).map(([rate]) => rate).sort((a, b) => a - b);
    if (rates.length === 0) continue;
    let stopsAt: number | null = null;
    let paysUpTo: number | null = null;
    let by: Crossover['by'] = [];
    for (const rate of rates) {
      const p = g.byRate.get(rate) as Required<Pair>;
      const f = checkpointCost(p.full);
      const i = checkpointCost(p.incremental);
      const crossed: Crossover['by'] = [];
      if (i.bytes >= f.bytes) crossed.push('bytes');
      if (i.e2eMs >= f.e2eMs) crossed.push('duration');
      if (crossed.length > 0) {
        stopsAt = rate;
        by = crossed;
        break;
      }
      paysUpTo = rate;
    }
    out.push({ backend: g.backend, keys: g.keys, rates, stopsAt, paysUpTo, by });
  }
  return out.sort((a, b) => a.backend.localeCompare(b.backend) || a.keys - b.keys);
}

/** A share as a percentage with one decimal at most. */
export const pct = (r: number): string => `${Math.round(r * 1000) / 10}%`;

/** One sentence per crossover, for the report and the terminal. */
export function describeCrossover(c: Crossover): string {
  const where = `${c.backend}, ${c.keys.toLocaleString('en-US')} keys`;
  if (c.stopsAt === null) return `${where}: not reached — incremental was cheaper in bytes and duration at every change rate measured (up to ${pct(c.rates[c.rates.length - 1])}).`;
  const what = c.by.join(' and ');
  if (c.paysUpTo === null) return `${where}: incremental did not pay off even at the lowest change rate measured, ${pct(c.stopsAt)} (${what} ≥ full).`;
  return `${where}: incremental stops paying off between ${pct(c.paysUpTo)} and ${pct(c.stopsAt)} of keys changed per checkpoint (at ${pct(c.stopsAt)} its ${what} ≥ full).`;
}

/** Why the crossover lies where it does: the re-base policy turns incremental checkpoints into full copies at high change rates. */
export function rebaseNote(): string {
  const { maxDeltaRatio: ratio, maxDeltas } = DEFAULT_REBASE;
  // Every key a delta writes rewrites one, so the k-th delta on a base takes the chain's waste to k times the share changed.
  const deltasAt = (share: number) => Math.min(maxDeltas, Math.floor(ratio / share + 1e-9));
  return `An incremental checkpoint is written as a new base (the whole state) when writing it as a delta would take the entries the chain holds beyond the state ` +
    `(values rewritten since the last base, deletions) past ${pct(ratio)} of the state, or after ${maxDeltas} deltas. ` +
    `The benchmark rewrites existing keys, so at 10% of the keys changed per checkpoint a base follows ${deltasAt(0.1)} deltas, at 50% ${deltasAt(0.5)}, ` +
    'and at 100% every checkpoint writes the whole state in both modes while incremental also tracks the keys it changed.';
}
