/**
 * `snapflow chaos`: runs a chaos job with checkpointing and randomly injected failures, then
 * checks exactly-once end to end against a plain computation of the same generated data.
 * The keyed job (bench/jobs/chaos.ts): every transaction_id in the committed file output
 * exactly once, no ordering violation reported by the job, and the keyed state of the last
 * completed (final) checkpoint equal to each key's plain last sequence number, count and sum.
 * The windowed job (bench/jobs/chaos-windows.ts): every window once with its count and sum,
 * nothing late, and no window state left at the end. Memory stays O(records / 8 + keys).
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, SnapflowError } from '../base/errors.js';
import { JobMonitor } from '../runtime/job/monitor.js';
import { execute } from '../runtime/execute.js';
import { buildJob } from '../runtime/api/job.js';
import { keyGroupOf, subtaskForKeyGroup } from '../base/keygroups.js';
import chaosJob, { type ChaosJobParams } from './jobs/chaos.js';
import { opensWindow } from './jobs/chaos-windows.js';
import { auditOutput, auditState, COMMITTED, recordsOfKey, type OutputAudit, type StateAudit } from './chaos-audit.js';
import { auditWindowOutput, auditWindowState } from './chaos-windows.js';
import { median, round } from './measure.js';
import { BACKEND_KINDS, CHECKPOINT_MODES, type BackendKind, type CheckpointMode } from '../base/kinds.js';
import { checkNumber, oneOf as checkOneOf } from '../base/validate.js';

/** The jobs `snapflow chaos` runs: a keyed running count, or tumbling event-time windows. */
export const CHAOS_JOBS = ['keyed', 'windowed'] as const;
/** One of CHAOS_JOBS. */
export type ChaosJob = (typeof CHAOS_JOBS)[number];

const JOBS: Record<ChaosJob, URL> = {
  keyed: new URL('./jobs/chaos.js', import.meta.url),
  windowed: new URL('./jobs/chaos-windows.js', import.meta.url),
};
/** Options of a chaos run; the CLI flags of the same names. */
export interface ChaosOptions {
  records: number; keys: number; failures: number; seed: number; parallelism: number; checkpointIntervalMs: number;
  mode: CheckpointMode; backend: BackendKind; kind: 'throw' | 'exit' | 'any'; format?: 'jsonl' | 'csv';
  /** Which job runs (default keyed). */
  job?: ChaosJob;
  /** Records per second over all source subtasks (default unlimited). */
  rate?: number;
  /** Unaligned checkpoints: barriers overtake the in-flight batches, kept as channel state. */
  unaligned?: boolean;
  /** Checkpoints start aligned and turn unaligned this long after the trigger where they still align (implies unaligned). */
  alignedTimeoutMs?: number;
  /** Folder for checkpoints, state and output; given folders are kept, the default temporary one is removed unless `keep`. */
  out?: string;
  keep?: boolean;
  /** Run every subtask on the calling thread (thrown failures only: an exit would end the process). */
  local?: boolean;
  /** Seconds without committed output or a restart after which the run fails as stuck (default 120). */
  stallTimeoutSec?: number;
  /** Progress and restart lines. */
  progress?(line: string): void;
  /** Every few seconds: the records the sources have emitted in the running attempt (a restart rewinds them). */
  onRecords?(emitted: number): void;
}

/** What a chaos run found; the first six fields are the contract of `--json`. */
export interface ChaosReport {
  failuresInjected: number; restarts: number; lost: number; duplicated: number; stateMatches: boolean;
  restoreMs: { count: number; median: number; max: number; total: number };
  /** Restores that read a checkpoint (the others started over, no checkpoint having completed). */
  restoredFromCheckpoint: number;
  records: number; keys: number; parallelism: number; mode: string; backend: string; kind: string; seed: number; failures: number;
  /** The job that ran; for the windowed one lost, duplicated and violations count windows. */
  job: ChaosJob;
  /** Records dropped as late by the windows: after a restore the watermark starts over, so none may be. */
  lateRecordsDropped: number;
  /** Largest record count at which a failure was drawn, per subtask and attempt. */
  horizon: number;
  durationMs: number; recordsPerSec: number; checkMs: number; violations: number;
  /** Output lines that are neither an id of this run nor a violation. */
  badLines: number;
  mismatchedKeys: number; checkpointsCompleted: number; finalCheckpointId: number;
  /** How barriers went: aligned, unaligned, or aligned with a timeout (ms) after which they turn unaligned. */
  barriers: 'aligned' | 'unaligned' | `aligned-timeout ${number}`;
  /** Completed checkpoints taken unaligned somewhere, and the in-flight bytes all of them kept. */
  unalignedCheckpoints: number;
  persistedBytes: number;
  /** Hidden (pending or in-progress) part files left in the output folder. */
  uncommittedFiles: number;
  /** Up to five violation or bad lines, for a first look. */
  samples: string[];
  /** Set when the folder was kept. */
  out?: string;
}

/** Whether the run was exactly-once: nothing lost or duplicated, no violation, state as computed. */
export function chaosPassed(r: ChaosReport): boolean {
  return r.lost === 0 && r.duplicated === 0 && r.violations === 0 && r.badLines === 0 && r.stateMatches && r.lateRecordsDropped === 0;
}

const integer = (flag: string, v: unknown, min: number) => checkNumber(`--${flag}`, v, { integer: true, min });
const oneOf = (flag: string, v: unknown, allowed: readonly string[]) => checkOneOf(`--${flag}`, v, allowed);

/** Throws a ConfigError naming the first flag whose value cannot work. */
export function validateChaosOptions(o: ChaosOptions): void {
  for (const [flag, v, min] of [['records', o.records, 1], ['keys', o.keys, 1], ['failures', o.failures, 0], ['seed', o.seed, 0],
    ['parallelism', o.parallelism, 1], ['checkpoint-interval', o.checkpointIntervalMs, 1]] as const) integer(flag, v, min);
  if (o.stallTimeoutSec !== undefined) integer('stall-timeout', o.stallTimeoutSec, 1);
  oneOf('checkpoint-mode', o.mode, CHECKPOINT_MODES);
  oneOf('state-backend', o.backend, BACKEND_KINDS);
  oneOf('kind', o.kind, ['throw', 'exit', 'any']);
  if (o.job !== undefined) oneOf('job', o.job, CHAOS_JOBS);
  if (o.format !== undefined) oneOf('format', o.format, ['jsonl', 'csv']);
  if (o.rate !== undefined) checkNumber('--rate', o.rate, { min: 0, exclusive: true });
  if (o.alignedTimeoutMs !== undefined) integer('aligned-checkpoint-timeout', o.alignedTimeoutMs, 0);
  if (o.local && o.kind !== 'throw') throw new ConfigError('--kind', `must be throw with --local: a hard exit would end the calling process, got ${o.kind}`);
  if (o.keys % o.parallelism !== 0) {
    throw new ConfigError('--keys', `must be a multiple of --parallelism ${o.parallelism}, so that each key's records stay in one source split and in order; got ${o.keys}`);
  }
  if (o.backend === 'heap' && o.mode === 'incremental') throw new ConfigError('--checkpoint-mode', 'the heap backend takes full checkpoints only; use --state-backend lmdb for incremental');
}

/**
 * The largest record count a random failure may be drawn at. A failure fires after that many
 * records of one subtask, counted from its attempt's start, and an attempt advances every
 * subtask by about the same share of its records; with horizon = fewest / (F + 1) the first
 * F − 1 attempts use at most (F − 1) / (F + 1) of any subtask's records, so at least twice
 * the horizon is left for the last failure, whichever subtask draws it: every failure fires.
 */
export function failureHorizon(o: ChaosOptions): { horizon: number; fewest: number } {
  const params: ChaosJobParams = { records: o.records, keys: o.keys, seed: o.seed, out: '', format: 'jsonl' };
  const maxP = buildJob(chaosJob, params, { parallelism: o.parallelism }).plan.maxParallelism;
  const perChecker = new Array<number>(o.parallelism).fill(0);
  for (let k = 0; k < o.keys; k++) {
    perChecker[subtaskForKeyGroup(keyGroupOf('C' + k, maxP), maxP, o.parallelism)] += recordsOfKey(k, o.records, o.keys);
  }
  const fewest = Math.min(Math.floor(o.records / o.parallelism), ...perChecker, ...(o.job === 'windowed' ? windowsPerSubtask(o, maxP) : []));
  const horizon = Math.floor(fewest / (o.failures + 1));
  if (o.failures > 0 && horizon < 1) {
    throw new ConfigError('--failures', `${o.failures} failures need more than ${o.failures} records in every subtask, but one gets ${fewest}; raise --records or --keys, or lower --failures`);
  }
  return { horizon, fewest };
}

/** Windows per window subtask (the records its sink subtask gets): one per record that opens its key's window. */
function windowsPerSubtask(o: ChaosOptions, maxP: number): number[] {
  const subtaskOf = Array.from({ length: o.keys }, (_, k) => subtaskForKeyGroup(keyGroupOf('C' + k, maxP), maxP, o.parallelism));
  const out = new Array<number>(o.parallelism).fill(0);
  for (let seq = 0; seq < o.records; seq++) {
    if (opensWindow(seq, o.keys)) out[subtaskOf[seq % o.keys]]++;
  }
  return out;
}

/** The run stopped moving; its stuck worker threads may keep the process from exiting normally. */
export class ChaosStalledError extends SnapflowError {
  override name = 'ChaosStalledError';
}

/** The newest completed checkpoint under a checkpoint folder (`<dir>/<job>/chk-N` with its metadata), 0 before the first. */
async function newestCheckpoint(dir: string): Promise<number> {
  let newest = 0;
  for (const job of await readdir(dir).catch(() => [] as string[])) {
    for (const chk of await readdir(join(dir, job)).catch(() => [] as string[])) {
      const id = /^chk-(\d+)$/.exec(chk) ? Number(chk.slice(4)) : 0;
      if (id > newest && (await stat(join(dir, job, chk, '_metadata')).then(() => true, () => false))) newest = id;
    }
  }
  return newest;
}

/**
 * Says every 10 s how much output is committed, and rejects `stalled` once neither the
 * committed output, the completed checkpoints nor a restart moved for `stallMs`: a stuck job
 * never ends by itself, and a stress test must. (Windows commit nothing until they fire, but
 * their checkpoints go on.)
 */
function watchProgress(dir: string, checkpoints: string, stallMs: number, say: (line: string) => void, tick: () => void) {
  const started = performance.now();
  let moved = started;
  let lastBytes = -1;
  let lastCheckpoints = -1;
  let reject!: (err: Error) => void;
  const stalled = new Promise<never>((_, r) => (reject = r));
  stalled.catch(() => {});
  const timer = setInterval(() => void (async () => {
    const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => COMMITTED.test(n));
    const bytes = (await Promise.all(names.map((n) => stat(join(dir, n)).then((s) => s.size, () => 0)))).reduce((a, b) => a + b, 0);
    const completed = await newestCheckpoint(checkpoints);
    const now = performance.now();
    if (bytes !== lastBytes || completed !== lastCheckpoints) {
      [lastBytes, lastCheckpoints] = [bytes, completed];
      moved = now;
    }
    say(`chaos: ${Math.round((now - started) / 1000)} s, ${names.length} committed part files, ${round(bytes / 2 ** 20, 1)} MiB, checkpoint ${completed}`);
    tick();
    if (now - moved >= stallMs) {
      reject(new ChaosStalledError(`the job made no progress for ${Math.round((now - moved) / 1000)} s (no output committed, no checkpoint completed, no restart): it is stuck; see docs/chaos.md`));
    }
  })(), Math.min(10_000, stallMs));
  return { stalled, moved: () => void (moved = performance.now()), stop: () => clearInterval(timer) };
}

/** How a run's barriers go, as the report names it. */
function barriersOf(o: ChaosOptions): ChaosReport['barriers'] {
  if (o.alignedTimeoutMs !== undefined) return `aligned-timeout ${o.alignedTimeoutMs}`;
  return o.unaligned ? 'unaligned' : 'aligned';
}

/** Runs the chaos job and checks its output and final state; throws if the job itself fails. */
export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  validateChaosOptions(o);
  const say = o.progress ?? (() => {});
  const { horizon } = failureHorizon(o);
  const root = o.out ?? (await mkdtemp(join(tmpdir(), 'snapflow-chaos-')));
  const params: ChaosJobParams = { records: o.records, keys: o.keys, seed: o.seed, out: join(root, 'output'), format: o.format ?? 'jsonl', rate: o.rate };
  if ((await readdir(params.out).catch(() => [])).length > 0) throw new ConfigError('--out', `${params.out} holds output of an earlier run; remove it or name another folder`);
  const removeAtEnd = o.out === undefined && !o.keep;
  try {
    const kind = o.job ?? 'keyed';
    say(`chaos: ${kind} job, ${o.records} records, ${o.keys} keys, p=${o.parallelism}, ${o.backend} ${o.mode}, ${barriersOf(o)} barriers, ${o.failures} × !${o.kind} failures within the first ${horizon} records of a subtask's attempt, in ${root}`);
    const monitor = new JobMonitor();
    const emitted = () => monitor.tasks.rows().filter((r) => monitor.vertices[r.chain]?.isSource).reduce((n, r) => n + r.recordsIn, 0);
    const watch = watchProgress(params.out, join(root, 'checkpoints'), (o.stallTimeoutSec ?? 120) * 1000, say, () => o.onRecords?.(emitted()));
    const job = execute(JOBS[kind], {
      local: o.local ?? false, parallelism: o.parallelism, params: { ...params }, jobName: 'chaos', stateBackend: o.backend, stateDir: join(root, 'state'),
      checkpointing: { intervalMs: o.checkpointIntervalMs, mode: o.mode, dir: join(root, 'checkpoints'), unaligned: o.unaligned, alignedTimeoutMs: o.alignedTimeoutMs },
      // Room for a few failures beyond the injected ones, so that a runtime fault shows up in the report rather than as a failed job.
      restart: { strategy: 'fixed-delay', attempts: o.failures + 5, delayMs: 0 },
      injectFailures: o.failures > 0 ? [`random=${o.failures}!${o.kind}`] : undefined, injectSeed: o.seed, injectHorizon: Math.max(1, horizon),
      log: (line) => (watch.moved(), say(`chaos: ${line}`)), monitor,
    });
    const result = await Promise.race([job, watch.stalled]).finally(() => watch.stop());
    const { stats } = result;
    say(`chaos: job finished in ${round(stats.durationMs / 1000, 1)} s after ${stats.restarts.length} restart(s); checking output and state`);
    const checking = performance.now();
    const jobDir = stats.checkpoints!.jobDir;
    const [output, state]: [OutputAudit, StateAudit] = kind === 'windowed'
      ? [await auditWindowOutput(params.out, o), await auditWindowState(jobDir)]
      : [await auditOutput(params.out, o.records), await auditState(jobDir, o)];
    const lateRecordsDropped = stats.actors.reduce((n, a) => n + ((a.metrics.lateRecordsDropped as number | undefined) ?? 0), 0);
    const restoreMs = stats.restores.map((r) => r.maxMs);
    const completed = (stats.checkpoints?.checkpoints ?? []).filter((c) => c.status === 'completed');
    return {
      failuresInjected: stats.failuresInjected, restarts: stats.restarts.length, lost: output.lost, duplicated: output.duplicated, stateMatches: state.stateMatches,
      restoreMs: {
        count: restoreMs.length, median: restoreMs.length ? round(median(restoreMs), 1) : 0,
        max: round(Math.max(0, ...restoreMs), 1), total: round(restoreMs.reduce((a, b) => a + b, 0), 1),
      },
      restoredFromCheckpoint: stats.restores.filter((r) => r.checkpointId > 0).length,
      job: kind, lateRecordsDropped, records: o.records, keys: o.keys, parallelism: o.parallelism, mode: o.mode, backend: o.backend, kind: o.kind, seed: o.seed, failures: o.failures, horizon,
      durationMs: Math.round(stats.durationMs), recordsPerSec: Math.round(o.records / (stats.durationMs / 1000)), checkMs: Math.round(performance.now() - checking),
      violations: output.violations, badLines: output.badLines, mismatchedKeys: state.mismatchedKeys,
      checkpointsCompleted: stats.checkpoints?.counts.completed ?? 0, finalCheckpointId: state.final ? state.checkpointId : 0,
      barriers: barriersOf(o), unalignedCheckpoints: completed.filter((c) => c.unaligned).length, persistedBytes: completed.reduce((n, c) => n + c.persistedBytes, 0),
      uncommittedFiles: output.uncommittedFiles, samples: output.samples, ...(removeAtEnd ? {} : { out: root }),
    };
  } finally {
    if (removeAtEnd) await rm(root, { recursive: true, force: true });
  }
}
