/** `snapflow bench` with no benchmark named: a sweep of the three benchmarks into a results folder. */
import { BACKPRESSURE_MODES, BACKPRESSURE_VARIANTS, benchBackpressure, type BackpressureOptions, type BackpressureReport } from './backpressure.js';
import { mkdir } from 'node:fs/promises';
import { hostname, cpus, tmpdir } from 'node:os';
import { environmentRecord } from './environment.js';
import { startProgress } from './progress.js';
import { benchThroughput, type ThroughputOptions, type ThroughputReport } from './throughput.js';
import { benchCheckpoint, type CheckpointBenchOptions, type CheckpointBenchReport } from './checkpoint.js';
import { benchRecovery, type RecoveryBenchOptions, type RecoveryReport } from './recovery.js';
import { benchWindows, type WindowBenchOptions, type WindowBenchReport } from './windows.js';
import { benchNexmark, type NexmarkBenchOptions, type NexmarkReport } from './nexmark/bench.js';
import { benchCost, type CostOptions, type CostReport } from './cost/bench.js';
import { QUERY_NAMES } from './nexmark/queries/index.js';
import { writeResults } from './report.js';
import { ConfigError } from '../base/errors.js';
import { findCrossovers, type BenchRun, type Crossover, type SuiteResults } from './report-data.js';
import type { BackendKind, CheckpointMode } from '../base/kinds.js';

/** The parts of the sweep, which `--only` selects. */
export const SUITE_PARTS = ['throughput', 'checkpoint', 'overhead', 'recovery', 'windows', 'nexmark', 'cost', 'backpressure'] as const;
/** One part of the sweep. */
export type SuitePart = (typeof SUITE_PARTS)[number];

/** One benchmark invocation of the sweep. */
export type SuiteStep = { part: SuitePart; label: string } & (
  | { kind: 'throughput'; options: Omit<ThroughputOptions, 'progress'> }
  | { kind: 'checkpoint'; options: Omit<CheckpointBenchOptions, 'progress'> }
  | { kind: 'recovery'; options: Omit<RecoveryBenchOptions, 'progress'> }
  | { kind: 'windows'; options: Omit<WindowBenchOptions, 'progress'> }
  | { kind: 'nexmark'; options: Omit<NexmarkBenchOptions, 'progress'> }
  | { kind: 'cost'; options: Omit<CostOptions, 'progress'> }
  | { kind: 'backpressure'; options: Omit<BackpressureOptions, 'progress'> }
);

/** What to sweep. */
export interface SuitePlanOptions {
  full: boolean;
  threads?: number;
  /** Parts to run (default: all). */
  only?: SuitePart[];
  /** Leave out state sizes above this many keys. */
  maxKeys?: number;
}

/** Options of the suite. */
export interface SuiteOptions extends SuitePlanOptions {
  /** Results folder. */
  out: string;
  /** Where the progress bar or progress lines go (default: process.stderr). */
  progressStream?: NodeJS.WriteStream;
}

const pow10 = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => 10 ** (from + i));

/**
 * The sweep's steps, quick or full, in the order they run. The full sweep keeps to under
 * an hour and a half on two cores: the checkpoint grid measures cost alone (no throughput
 * runs), throughput with checkpoints is measured by the overhead part at one state size,
 * and 10^7 keys get fewer change rates, checkpoints and runs.
 */
export function planSuite(o: SuitePlanOptions): SuiteStep[] {
  const { full, threads } = o;
  const steps: SuiteStep[] = [];
  const sizes = (from: number, to: number) => pow10(from, to).filter((k) => o.maxKeys === undefined || k <= o.maxKeys);
  const tp = (stateBackend: BackendKind, pipelines: ('stateless' | 'keyed')[], baseline: boolean): void => {
    const options = { pipelines, parallelism: full ? [1, 2, 4, 8, 16] : [1, 2, 4], records: full ? 2_000_000 : 500_000, keys: 100_000, runs: full ? 3 : 1, chaining: true, baseline, stateBackend, threads };
    steps.push({ part: 'throughput', kind: 'throughput', label: `throughput ${pipelines.join('+')} (${stateBackend}) at parallelism ${options.parallelism.join(',')}`, options });
  };
  tp('lmdb', ['stateless', 'keyed'], true);
  if (full) tp('heap', ['keyed'], false);

  const ck = (c: { part: SuitePart; keys: number; updateRatio: number; stateBackend: BackendKind; intervalMs?: number; runs: number; checkpoints: number }): void => {
    const modes: (CheckpointMode)[] = c.stateBackend === 'heap' ? ['full'] : ['full', 'incremental'];
    const intervalMs = c.intervalMs ?? 1000;
    // A throughput run must span a few intervals (updates run at roughly 700,000/s here), or a long interval takes no checkpoint at all.
    const streamUpdates = c.runs === 0 ? 0 : full ? Math.max(2_000_000, 2_000 * intervalMs) : 2 * c.keys;
    const options = { keys: c.keys, updateRatio: c.updateRatio, checkpoints: c.checkpoints, modes, valueBytes: 64, parallelism: 1, intervalMs, streamUpdates, runs: c.runs, stateBackend: c.stateBackend, threads };
    const what = c.runs === 0 ? 'cost' : `throughput at interval ${intervalMs} ms`;
    steps.push({ part: c.part, kind: 'checkpoint', label: `checkpoint ${c.keys} keys, ${c.updateRatio * 100}% changed, ${modes.join('+')}, ${c.stateBackend}, ${what}`, options });
  };
  for (const keys of full ? sizes(4, 7) : sizes(4, 5)) {
    const huge = keys >= 10_000_000;
    const rates = !full ? [0.01, 0.1] : huge ? [0.001, 0.01, 0.1, 1] : [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1];
    for (const updateRatio of rates) {
      // The quick sweep keeps one throughput pair per step; the full one measures throughput in the overhead part.
      ck({ part: 'checkpoint', keys, updateRatio, stateBackend: 'lmdb', runs: full ? 0 : 1, checkpoints: full ? (huge ? 3 : 10) : 5 });
      // The heap backend holds all state in memory and takes full checkpoints only.
      if (full && keys <= 1_000_000) ck({ part: 'checkpoint', keys, updateRatio, stateBackend: 'heap', runs: 0, checkpoints: 10 });
    }
  }
  if (full && (o.maxKeys === undefined || o.maxKeys >= 1_000_000)) {
    for (const intervalMs of [200, 500, 1000, 2000, 5000]) ck({ part: 'overhead', keys: 1_000_000, updateRatio: 0.01, stateBackend: 'lmdb', intervalMs, runs: 3, checkpoints: 3 });
  }

  for (const keys of full ? sizes(4, 7) : sizes(5, 5)) {
    const huge = keys >= 10_000_000;
    const options = { keys, chainLengths: full ? [0, 5, 10, 20] : [0, 4, 16], updateRatio: 0.01, runs: full && !huge ? 3 : 1, valueBytes: 64, policyWorstCase: full };
    steps.push({ part: 'recovery', kind: 'recovery', label: `recovery ${keys} keys, chains ${options.chainLengths.join(',')}`, options });
  }

  // Window state over many keys, windows of two records per key: state churns and is purged at every window end. The
  // rate is held (below what sliding windows sustain here) so that a checkpoint interval touches a small share of the keys.
  const windowKeys = full ? 500_000 : 100_000;
  if (o.maxKeys === undefined || o.maxKeys >= windowKeys) {
    const win = {
      keys: windowKeys, records: full ? 1_500_000 : 300_000, rate: full ? 20_000 : 10_000, assigners: ['tumbling', 'sliding'] as WindowBenchOptions['assigners'],
      windowRecordsPerKey: 2, overlap: 4, intervalMs: 500, parallelism: 1, stateBackend: 'lmdb' as const, threads,
    };
    steps.push({ part: 'windows', kind: 'windows', label: `windows ${windowKeys} keys, tumbling+sliding, full+incremental`, options: { ...win, modes: ['full', 'incremental'] } });
    // The same under a tight re-base policy (a base once the chain's waste passes 15% of the state): what the default's looser one saves.
    steps.push({ part: 'windows', kind: 'windows', label: `windows ${windowKeys} keys, tumbling+sliding, incremental re-based past 15% of the state`, options: { ...win, modes: ['incremental'], maxDeltaRatio: 0.15 } });
  }
  // Nexmark at parallelism 2 with incremental checkpoints every second, each run paired with one without: the pairs' ratio is what they cost.
  const nexmark = {
    queries: [...QUERY_NAMES], events: full ? 2_000_000 : 500_000, parallelism: 2, stateBackend: 'lmdb' as const, verify: false, runs: full ? 3 : 1, threads,
    checkpointIntervalMs: 1000, checkpointMode: 'incremental' as const, compareWithout: true,
  };
  steps.push({ part: 'nexmark', kind: 'nexmark', label: `nexmark ${nexmark.events} events, p=2, incremental checkpoints every 1 s, each run paired with one without`, options: nexmark });
  // COST: the keyed job over a generated file on both backends, beside a hand-written single thread in the same run.
  const cost = { rows: full ? 3_000_000 : 1_000_000, keys: 100_000, seed: 42, backends: ['lmdb', 'heap'] as BackendKind[], parallelism: [1, 2], runs: full ? 3 : 1, threads };
  steps.push({ part: 'cost', kind: 'cost', label: `cost ${cost.rows} rows, lmdb+heap, p=1,2, beside a single thread`, options: cost });
  // Checkpoints of a job held back by a slow sink (every sink subtask, or one), every second.
  const backpressure = { modes: [...BACKPRESSURE_MODES], variants: [...BACKPRESSURE_VARIANTS], sinkRate: 2000, seconds: full ? 30 : 10, parallelism: 2, intervalMs: 1000, debloatTargetMs: 1000, alignedTimeoutMs: 200, keys: 10_000, stateBackend: 'lmdb' as const, threads };
  steps.push({ part: 'backpressure', kind: 'backpressure', label: `backpressure ${backpressure.seconds} s, p=2, slow sinks`, options: backpressure });
  return steps.filter((s) => o.only === undefined || o.only.includes(s.part));
}

/** The sweep's steps; a selection that leaves nothing to run is an error naming the options. */
export function planSuiteOrFail(o: SuitePlanOptions): SuiteStep[] {
  const steps = planSuite(o);
  if (steps.length === 0) {
    const what = [o.only ? `--only ${o.only.join(',')}` : '', o.maxKeys !== undefined ? `--max-keys ${o.maxKeys}` : '', o.full ? '--full' : 'the quick sweep'].filter(Boolean).join(' with ');
    throw new ConfigError(o.only ? '--only' : '--max-keys', `${what} leaves no step to run (the overhead part runs at 10^6 keys in the --full sweep only; see --plan)`);
  }
  return steps;
}

/** The CLI command that runs one step on its own. */
export function commandOf(step: SuiteStep): string {
  const o = step.options;
  const threads = 'threads' in o && o.threads !== undefined ? ` --threads ${o.threads}` : '';
  switch (step.kind) {
    case 'throughput': {
      const t = step.options;
      return `snapflow bench throughput --pipeline ${t.pipelines.join(',')} --parallelism ${t.parallelism.join(',')} --records ${t.records} --keys ${t.keys} --runs ${t.runs}` +
        `${t.baseline ? '' : ' --no-baseline'}${t.stateBackend ? ` --state-backend ${t.stateBackend}` : ''}${threads} --json`;
    }
    case 'checkpoint': {
      const c = step.options;
      const throughput = c.runs > 0 ? ` --checkpoint-interval ${c.intervalMs} --stream-updates ${c.streamUpdates}` : '';
      return `snapflow bench checkpoint --keys ${c.keys} --update-ratio ${c.updateRatio} --checkpoints ${c.checkpoints} --checkpoint-mode ${c.modes.join(',')} --value-bytes ${c.valueBytes}` +
        ` --parallelism ${c.parallelism}${throughput} --runs ${c.runs} --state-backend ${c.stateBackend}${threads} --json`;
    }
    case 'windows': {
      const w = step.options;
      return `snapflow bench windows --keys ${w.keys} --records ${w.records} --assigner ${w.assigners.join(',')} --checkpoint-mode ${w.modes.join(',')} --window-records ${w.windowRecordsPerKey}` +
        ` --overlap ${w.overlap} --checkpoint-interval ${w.intervalMs} --parallelism ${w.parallelism}${w.rate !== undefined ? ` --rate ${w.rate}` : ''}${w.maxDeltas !== undefined ? ` --max-deltas ${w.maxDeltas}` : ''}` +
        `${w.maxDeltaRatio !== undefined ? ` --max-delta-ratio ${w.maxDeltaRatio}` : ''}${threads} --json`;
    }
    case 'nexmark': {
      const n = step.options;
      const checkpoints = n.checkpointIntervalMs === undefined ? '' : ` --checkpoint-interval ${n.checkpointIntervalMs} --checkpoint-mode ${n.checkpointMode ?? 'incremental'}`;
      return `snapflow bench nexmark --queries ${n.queries.join(',')} --events ${n.events} --parallelism ${n.parallelism}${checkpoints}${n.compareWithout ? ' --compare-without' : ''} --state-backend ${n.stateBackend} --runs ${n.runs}${threads} --json`;
    }
    case 'cost': {
      const c = step.options;
      return `snapflow bench cost --rows ${c.rows} --keys ${c.keys} --seed ${c.seed} --state-backend ${c.backends.join(',')} --parallelism ${c.parallelism.join(',')} --runs ${c.runs}${threads} --json`;
    }
    case 'backpressure': {
      const b = step.options;
      return `snapflow bench backpressure --modes ${b.modes.join(',')} --variants ${b.variants.join(',')} --sink-rate ${b.sinkRate} --seconds ${b.seconds} --parallelism ${b.parallelism}` +
        ` --checkpoint-interval ${b.intervalMs} --buffer-debloat-target ${b.debloatTargetMs} --aligned-checkpoint-timeout ${b.alignedTimeoutMs} --keys ${b.keys} --state-backend ${b.stateBackend}${threads} --json`;
    }
    case 'recovery': {
      const r = step.options;
      return `snapflow bench recovery --keys ${r.keys} --chain-lengths ${r.chainLengths.join(',')} --update-ratio ${r.updateRatio} --runs ${r.runs} --value-bytes ${r.valueBytes}` +
        `${r.policyWorstCase ? ' --policy-worst-case' : ''} --json`;
    }
  }
}

/** Default results folder: bench-results/<UTC timestamp>. */
export function defaultOutDir(now = new Date()): string {
  return `bench-results/${now.toISOString().replace(/[:.]/g, '-')}`;
}

/** What the suite leaves behind. */
export interface SuiteOutcome {
  dir: string;
  files: string[];
  results: SuiteResults;
  crossovers: Crossover[];
}

/** Runs the sweep, rewriting the results folder after every step so a stopped run keeps what it measured. */
export async function runSuite(opts: SuiteOptions): Promise<SuiteOutcome> {
  const steps = planSuiteOrFail(opts);
  const results: SuiteResults = {
    meta: { startedAt: new Date().toISOString(), sweep: opts.only || opts.maxKeys !== undefined ? 'custom' : opts.full ? 'full' : 'quick', host: `${hostname()}, ${cpus().length} cores, Node ${process.version}` },
    throughput: [], checkpoint: [], recovery: [], windows: [], nexmark: [],
  };
  await mkdir(opts.out, { recursive: true });
  results.meta.environment = environmentRecord(opts.out, tmpdir());
  const bar = startProgress({ label: 'bench', total: steps.length, unit: 'steps', stream: opts.progressStream });
  let files: string[] = [];
  for (const [i, step] of steps.entries()) {
    bar.update(i, step.label);
    const command = commandOf(step);
    // The benchmarks' own progress lines would break the bar and flood logs; the step line stands for them.
    const quiet = { progress: () => {} };
    if (step.kind === 'throughput') {
      const report = await benchThroughput({ ...step.options, ...quiet });
      results.throughput.push({ command, options: { ...step.options }, report } satisfies BenchRun<ThroughputReport>);
    } else if (step.kind === 'checkpoint') {
      const report = await benchCheckpoint({ ...step.options, ...quiet });
      results.checkpoint.push({ command, options: { ...step.options }, report } satisfies BenchRun<CheckpointBenchReport>);
    } else if (step.kind === 'nexmark') {
      const report = await benchNexmark({ ...step.options, ...quiet });
      (results.nexmark ??= []).push({ command, options: { ...step.options }, report } satisfies BenchRun<NexmarkReport>);
    } else if (step.kind === 'backpressure') {
      const report = await benchBackpressure({ ...step.options, ...quiet });
      (results.backpressure ??= []).push({ command, options: { ...step.options }, report } satisfies BenchRun<BackpressureReport>);
    } else if (step.kind === 'cost') {
      const report = await benchCost({ ...step.options, ...quiet });
      (results.cost ??= []).push({ command, options: { ...step.options }, report } satisfies BenchRun<CostReport>);
    } else if (step.kind === 'windows') {
      const report = await benchWindows({ ...step.options, ...quiet });
      results.windows.push({ command, options: { ...step.options }, report } satisfies BenchRun<WindowBenchReport>);
    } else {
      const report = await benchRecovery({ ...step.options, ...quiet });
      results.recovery.push({ command, options: { ...step.options }, report } satisfies BenchRun<RecoveryReport>);
    }
    files = await writeResults(opts.out, results);
  }
  results.meta.finishedAt = new Date().toISOString();
  const crossovers = findCrossovers(results.checkpoint);
  files = await writeResults(opts.out, results);
  bar.stop();
  return { dir: opts.out, files, results, crossovers };
}
