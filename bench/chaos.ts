/**
 * `snapflow chaos`: runs the chaos job (bench/jobs/chaos.ts) with checkpointing and randomly
 * injected failures, then checks exactly-once end to end against a plain computation of the
 * same generated data: every transaction_id in the committed file output exactly once, no
 * ordering violation reported by the job, and the keyed state of the last completed (final)
 * checkpoint equal to each key's plain last sequence number, count and sum. Memory stays
 * O(records / 8 + keys): bitmaps for the output, typed arrays per key for the state.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeKey } from '../backends/format/keys.js';
import { readHandles } from '../backends/format/restore-reader.js';
import { unpackValue } from '../backends/format/state-file.js';
import { generateTransaction, resolveGeneratorOptions } from '../operators/sources/generator.js';
import { CheckpointStorage } from '../runtime/storage/checkpoint-storage.js';
import { ConfigError, SnapflowError } from '../base/errors.js';
import { execute } from '../runtime/execute.js';
import { buildJob } from '../runtime/api/job.js';
import { keyGroupOf, subtaskForKeyGroup } from '../base/keygroups.js';
import chaosJob, { CHAOS_NAMES, cents, type ChaosAccumulator, type ChaosJobParams } from './jobs/chaos.js';
import { median, round } from './measure.js';
import { BACKEND_KINDS, CHECKPOINT_MODES, type BackendKind, type CheckpointMode } from '../base/kinds.js';
import { checkNumber, oneOf as checkOneOf } from '../base/validate.js';

const JOB = new URL('./jobs/chaos.js', import.meta.url);
const COMMITTED = /^part-\d+-\d+\.(jsonl|csv)$/;

/** Options of a chaos run; the CLI flags of the same names. */
export interface ChaosOptions {
  records: number; keys: number; failures: number; seed: number; parallelism: number; checkpointIntervalMs: number;
  mode: CheckpointMode; backend: BackendKind; kind: 'throw' | 'exit' | 'any'; format?: 'jsonl' | 'csv';
  /** Records per second over all source subtasks (default unlimited). */
  rate?: number;
  /** Folder for checkpoints, state and output; given folders are kept, the default temporary one is removed unless `keep`. */
  out?: string;
  keep?: boolean;
  /** Run every subtask on the calling thread (thrown failures only: an exit would end the process). */
  local?: boolean;
  /** Seconds without committed output or a restart after which the run fails as stuck (default 120). */
  stallTimeoutSec?: number;
  /** Progress and restart lines. */
  progress?(line: string): void;
}

/** What a chaos run found; the first six fields are the contract of `--json`. */
export interface ChaosReport {
  failuresInjected: number; restarts: number; lost: number; duplicated: number; stateMatches: boolean;
  restoreMs: { count: number; median: number; max: number; total: number };
  /** Restores that read a checkpoint (the others started over, no checkpoint having completed). */
  restoredFromCheckpoint: number;
  records: number; keys: number; parallelism: number; mode: string; backend: string; kind: string; seed: number; failures: number;
  /** Largest record count at which a failure was drawn, per subtask and attempt. */
  horizon: number;
  durationMs: number; recordsPerSec: number; checkMs: number; violations: number;
  /** Output lines that are neither an id of this run nor a violation. */
  badLines: number;
  mismatchedKeys: number; checkpointsCompleted: number; finalCheckpointId: number;
  /** Hidden (pending or in-progress) part files left in the output folder. */
  uncommittedFiles: number;
  /** Up to five violation or bad lines, for a first look. */
  samples: string[];
  /** Set when the folder was kept. */
  out?: string;
}

/** Whether the run was exactly-once: nothing lost or duplicated, no violation, state as computed. */
export function chaosPassed(r: ChaosReport): boolean {
  return r.lost === 0 && r.duplicated === 0 && r.violations === 0 && r.badLines === 0 && r.stateMatches;
}

const integer = (flag: string, v: unknown, min: number) => checkNumber(`--${flag}`, v, { integer: true, min });
const oneOf = (flag: string, v: unknown, allowed: readonly string[]) => checkOneOf(`--${flag}`, v, allowed);

/** Throws a ConfigError naming the first flag whose value cannot work. */
export function validateChaosOptions(o: ChaosOptions): void {
  for (const [flag, v, min] of [['records', o.records, 1], ['keys', o.keys, 1], ['failures', o.failures, 0], ['seed', o.seed, 0],
    ['parallelism', o.parallelism, 1], ['checkpoint-interval', o.checkpointIntervalMs, 1]] as const) integer(flag, v, min);
  if (o.stallTimeoutSec !== undefined) integer('stall-timeout', o.stallTimeoutSec, 1);
  oneOf('mode', o.mode, CHECKPOINT_MODES);
  oneOf('backend', o.backend, BACKEND_KINDS);
  oneOf('kind', o.kind, ['throw', 'exit', 'any']);
  if (o.format !== undefined) oneOf('format', o.format, ['jsonl', 'csv']);
  if (o.rate !== undefined) checkNumber('--rate', o.rate, { min: 0, exclusive: true });
  if (o.local && o.kind !== 'throw') throw new ConfigError('--kind', `must be throw with --local: a hard exit would end the calling process, got ${o.kind}`);
  if (o.keys % o.parallelism !== 0) {
    throw new ConfigError('--keys', `must be a multiple of --parallelism ${o.parallelism}, so that each key's records stay in one source split and in order; got ${o.keys}`);
  }
  if (o.backend === 'heap' && o.mode === 'incremental') throw new ConfigError('--mode', 'the heap backend takes full checkpoints only; use --backend lmdb for incremental');
}

/** Records of key k in a run: the sequence numbers k, k + keys, … below records. */
function recordsOfKey(k: number, records: number, keys: number): number {
  return k < records ? Math.floor((records - 1 - k) / keys) + 1 : 0;
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
  const fewest = Math.min(Math.floor(o.records / o.parallelism), ...perChecker);
  const horizon = Math.floor(fewest / (o.failures + 1));
  if (o.failures > 0 && horizon < 1) {
    throw new ConfigError('--failures', `${o.failures} failures need more than ${o.failures} records in every subtask, but one gets ${fewest}; raise --records or --keys, or lower --failures`);
  }
  return { horizon, fewest };
}

/** What the committed output holds. */
export interface OutputAudit { lost: number; duplicated: number; violations: number; badLines: number; lines: number; files: number; uncommittedFiles: number; samples: string[] }

const POPCOUNT = Uint8Array.from({ length: 256 }, (_, b) => { let n = 0; for (let x = b; x; x >>= 1) n += x & 1; return n; });

/** Streams the committed part files of `dir` byte by byte, with one bitmap of seen ids and one of duplicated ids. */
export async function auditOutput(dir: string, records: number): Promise<OutputAudit> {
  const seen = new Uint8Array((records + 7) >>> 3);
  const dup = new Uint8Array(seen.length);
  const a: OutputAudit = { lost: 0, duplicated: 0, violations: 0, badLines: 0, lines: 0, files: 0, uncommittedFiles: 0, samples: [] };
  let id = -1;
  let text: string | null = null;
  const endLine = () => {
    if (text === null && id >= 0 && id < records) {
      a.lines++;
      const byte = id >>> 3;
      const bit = 1 << (id & 7);
      if ((seen[byte] & bit) === 0) {
        seen[byte] |= bit;
      } else if ((dup[byte] & bit) === 0) {
        dup[byte] |= bit;
        a.duplicated++;
      }
    } else if (text !== 'value') {
      // 'value' is the CSV header every file starts with; anything else not an id is reported.
      const line = text ?? String(id);
      if (/^"?violation /.test(line)) a.violations++;
      else a.badLines++;
      if (a.samples.length < 5) a.samples.push(line);
    }
    id = -1;
    text = null;
  };
  const names = (await readdir(dir).catch(() => [] as string[])).sort();
  for (const name of names) {
    if (name.startsWith('.')) a.uncommittedFiles++;
    if (!COMMITTED.test(name)) continue;
    a.files++;
    for await (const chunk of createReadStream(join(dir, name), { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      for (let i = 0; i < chunk.length; i++) {
        const c = chunk[i];
        if (c === 10) endLine();
        else if (text === null && c >= 48 && c <= 57) id = id < 0 ? c - 48 : id * 10 + (c - 48);
        else {
          text ??= id >= 0 ? String(id) : '';
          if (text.length < 200) text += String.fromCharCode(c);
        }
      }
    }
    if (id >= 0 || text !== null) endLine();
  }
  let present = 0;
  for (let i = 0; i < seen.length; i++) present += POPCOUNT[seen[i]];
  a.lost = records - present;
  return a;
}

/** How the final keyed state compares with the plain computation. */
export interface StateAudit { stateMatches: boolean; mismatchedKeys: number; checkpointId: number; final: boolean; entries: number }

/** Sum of amounts in cents per key, from the generator directly: O(keys) memory. */
function plainSums(o: ChaosOptions): Float64Array {
  const gen = resolveGeneratorOptions({ records: o.records, keys: o.keys, distribution: 'cyclic', seed: o.seed });
  const sums = new Float64Array(o.keys);
  for (let seq = 0; seq < o.records; seq++) sums[seq % o.keys] += cents(generateTransaction(seq, gen).amount);
  return sums;
}

/** Streams the keyed state of the newest completed checkpoint in `jobDir` into per-key arrays and compares it key by key. */
export async function auditState(jobDir: string, o: ChaosOptions): Promise<StateAudit> {
  const storage = new CheckpointStorage(jobDir);
  const ids = await storage.completedIds();
  if (ids.length === 0) return { stateMatches: false, mismatchedKeys: o.keys, checkpointId: 0, final: false, entries: 0 };
  const meta = await storage.readMetadata(ids[ids.length - 1]);
  const present = new Uint8Array(o.keys);
  const last = new Float64Array(o.keys);
  const count = new Float64Array(o.keys);
  const sum = new Float64Array(o.keys);
  let entries = 0;
  let foreign = 0;
  await readHandles({
    handles: meta.subtasks.flatMap((s) => (s.keyed ? [s.keyed] : [])), source: storage.source(),
    keyGroups: { start: 0, end: meta.maxParallelism - 1 },
    // Files come base first, then deltas in order, so a later entry of a key overrides an earlier one.
    onEntry: (e) => {
      entries++;
      const k = decodeKey(e.key);
      const key = typeof k.userKey === 'string' && /^C\d+$/.test(k.userKey) ? Number(k.userKey.slice(1)) : -1;
      if (k.name !== CHAOS_NAMES.state || k.kind !== 'value' || key < 0 || key >= o.keys) return void foreign++;
      if (e.value === null) return void (present[key] = 0);
      const v = unpackValue(e.value) as ChaosAccumulator;
      present[key] = 1;
      [last[key], count[key], sum[key]] = v;
    },
  });
  const sums = plainSums(o);
  let mismatched = foreign;
  for (let k = 0; k < o.keys; k++) {
    const n = recordsOfKey(k, o.records, o.keys);
    const ok = n === 0 ? present[k] === 0 : present[k] === 1 && last[k] === n - 1 && count[k] === n && sum[k] === sums[k];
    if (!ok) mismatched++;
  }
  return { stateMatches: mismatched === 0, mismatchedKeys: mismatched, checkpointId: meta.checkpointId, final: meta.final, entries };
}

/** The run stopped moving; its stuck worker threads may keep the process from exiting normally. */
export class ChaosStalledError extends SnapflowError {
  override name = 'ChaosStalledError';
}

/**
 * Says every 10 s how much output is committed, and rejects `stalled` once neither the
 * committed output nor a restart moved for `stallMs`: a stuck job never ends by itself, and
 * a stress test must.
 */
function watchProgress(dir: string, stallMs: number, say: (line: string) => void) {
  const started = performance.now();
  let moved = started;
  let lastBytes = -1;
  let reject!: (err: Error) => void;
  const stalled = new Promise<never>((_, r) => (reject = r));
  stalled.catch(() => {});
  const timer = setInterval(() => void (async () => {
    const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => COMMITTED.test(n));
    const bytes = (await Promise.all(names.map((n) => stat(join(dir, n)).then((s) => s.size, () => 0)))).reduce((a, b) => a + b, 0);
    const now = performance.now();
    if (bytes !== lastBytes) {
      lastBytes = bytes;
      moved = now;
    }
    say(`chaos: ${Math.round((now - started) / 1000)} s, ${names.length} committed part files, ${round(bytes / 2 ** 20, 1)} MiB`);
    if (now - moved >= stallMs) {
      reject(new ChaosStalledError(`the job made no progress for ${Math.round((now - moved) / 1000)} s (no output committed, no restart): it is stuck; see docs/chaos.md`));
    }
  })(), Math.min(10_000, stallMs));
  return { stalled, moved: () => void (moved = performance.now()), stop: () => clearInterval(timer) };
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
    say(`chaos: ${o.records} records, ${o.keys} keys, p=${o.parallelism}, ${o.backend} ${o.mode}, ${o.failures} × !${o.kind} failures within the first ${horizon} records of a subtask's attempt, in ${root}`);
    const watch = watchProgress(params.out, (o.stallTimeoutSec ?? 120) * 1000, say);
    const job = execute(JOB, {
      local: o.local ?? false, parallelism: o.parallelism, params: { ...params }, jobName: 'chaos', stateBackend: o.backend, stateDir: join(root, 'state'),
      checkpointing: { intervalMs: o.checkpointIntervalMs, mode: o.mode, dir: join(root, 'checkpoints') },
      // Room for a few failures beyond the injected ones, so that a runtime fault shows up in the report rather than as a failed job.
      restart: { strategy: 'fixed-delay', attempts: o.failures + 5, delayMs: 0 },
      injectFailures: o.failures > 0 ? [`random=${o.failures}!${o.kind}`] : undefined, injectSeed: o.seed, injectHorizon: Math.max(1, horizon),
      log: (line) => (watch.moved(), say(`chaos: ${line}`)),
    });
    const result = await Promise.race([job, watch.stalled]).finally(() => watch.stop());
    const { stats } = result;
    say(`chaos: job finished in ${round(stats.durationMs / 1000, 1)} s after ${stats.restarts.length} restart(s); checking output and state`);
    const checking = performance.now();
    const output = await auditOutput(params.out, o.records);
    const state = await auditState(stats.checkpoints!.jobDir, o);
    const restoreMs = stats.restores.map((r) => r.maxMs);
    return {
      failuresInjected: stats.failuresInjected, restarts: stats.restarts.length, lost: output.lost, duplicated: output.duplicated, stateMatches: state.stateMatches,
      restoreMs: {
        count: restoreMs.length, median: restoreMs.length ? round(median(restoreMs), 1) : 0,
        max: round(Math.max(0, ...restoreMs), 1), total: round(restoreMs.reduce((a, b) => a + b, 0), 1),
      },
      restoredFromCheckpoint: stats.restores.filter((r) => r.checkpointId > 0).length,
      records: o.records, keys: o.keys, parallelism: o.parallelism, mode: o.mode, backend: o.backend, kind: o.kind, seed: o.seed, failures: o.failures, horizon,
      durationMs: Math.round(stats.durationMs), recordsPerSec: Math.round(o.records / (stats.durationMs / 1000)), checkMs: Math.round(performance.now() - checking),
      violations: output.violations, badLines: output.badLines, mismatchedKeys: state.mismatchedKeys,
      checkpointsCompleted: stats.checkpoints?.counts.completed ?? 0, finalCheckpointId: state.final ? state.checkpointId : 0,
      uncommittedFiles: output.uncommittedFiles, samples: output.samples, ...(removeAtEnd ? {} : { out: root }),
    };
  } finally {
    if (removeAtEnd) await rm(root, { recursive: true, force: true });
  }
}
