/**
 * `snapflow experiment`: the lab this project grew from (docs/experiment.md), run properly.
 * Each case runs in full and in incremental mode on LMDB, several times, alternating the
 * modes run by run so that drift of a noisy machine hits both alike. Per run it records what
 * the lab printed (wall time, `du` size of the mode's checkpoint folder) and what it should
 * have (checkpoints, bytes written, state size, sync/async/alignment, restore time).
 */
import { mkdir, readdir, lstat, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKeyedBackend, DEFAULT_REBASE } from '../backends/factory.js';
import { CheckpointStorage } from '../runtime/storage/checkpoint-storage.js';
import { execute } from '../runtime/execute.js';
import { ConfigError } from '../base/errors.js';
import { checkNumber } from '../base/validate.js';
import type { LabJobParams } from './jobs/lab.js';
import { median, round } from './measure.js';
import { scratchDir } from './scratch.js';
import type { CheckpointMode } from '../base/kinds.js';

/** The cases, in the order they run and print. */
export const CASES = { stateless: 'lab: stateless', keyed: 'lab: keyed', synthetic: 'synthetic' } as const;
/** A case's short name, as --cases takes it. */
export type CaseKey = keyof typeof CASES;
/** A checkpoint mode. */
export type Mode = CheckpointMode;

/** Options of the experiment. */
export interface ExperimentOptions {
  cases: CaseKey[];
  runs: number;
  parallelism: number;
  intervalMs: number;
  recordDelayMs: number;
  /** Synthetic case: keys, share updated per round, rounds, value padding. */
  keys: number;
  updateRatio: number;
  rounds: number;
  valueBytes: number;
  restartAttempts: number;
  restartDelayMs: number;
  /** Print the records of the jobs (stdout) instead of dropping them. */
  print: boolean;
  /** The lab's transaction file. */
  input: string;
  progress?: (line: string) => void;
  /** One run of one case in one mode is over (there are cases × 2 modes × runs). */
  onRun?: () => void;
}

/** Median and range of a figure over runs. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** One run of one case in one mode. */
export interface RunFigures {
  processingMs: number;
  /** `du` of the mode's checkpoint folder after the run: allocated blocks, as the lab's `du -sh` counted. */
  storageBytes: number;
  /** Exact bytes of the files in that folder. */
  diskBytes: number;
  checkpoints: number;
  /** Median over the run's completed checkpoints of the bytes each wrote. */
  checkpointedBytes: number;
  /** State the last completed checkpoint stands on. */
  fullStateBytes: number;
  /** Averages over every subtask of every completed checkpoint. */
  syncMs: number;
  asyncMs: number;
  alignmentMs: number;
  restoreMs: number;
  restarts: number;
}

/** The result of one case in one mode. */
export interface CaseResult {
  name: string;
  case: CaseKey;
  mode: Mode;
  runs: number;
  processingMs: Spread;
  storageBytes: number;
  diskBytes: number;
  checkpoints: number;
  checkpointedBytes: Spread;
  fullStateBytes: number;
  syncMs: number;
  asyncMs: number;
  alignmentMs: number;
  restoreMs: number;
  restore: Spread;
  perRun: RunFigures[];
}

/** What the experiment returns (and `--json` prints). */
export interface ExperimentReport {
  settings: Omit<ExperimentOptions, 'progress'>;
  /** How restoreMs was measured. */
  restoreMethod: string;
  cases: CaseResult[];
}

const JOB = fileURLToPath(new URL('./jobs/lab.js', import.meta.url));
/** How restoreMs is measured, as the report states it. */
export const RESTORE_METHOD = 'keyed state of the last retained checkpoint restored into a fresh LMDB backend on the main thread (metadata read included), not a resume of the job';

/** Median and range of numbers. */
export function spreadOf(values: number[]): Spread {
  return { median: round(median(values), 2), min: round(Math.min(...values), 2), max: round(Math.max(...values), 2) };
}

/** Checks the options, naming the flag of a bad one. */
export function checkOptions(o: ExperimentOptions): void {
  const whole = (flag: string, v: number, min: number) => checkNumber(`--${flag}`, v, { integer: true, min });
  whole('runs', o.runs, 1);
  whole('parallelism', o.parallelism, 1);
  whole('checkpoint-interval', o.intervalMs, 1);
  whole('keys', o.keys, 1);
  whole('rounds', o.rounds, 1);
  whole('value-bytes', o.valueBytes, 0);
  whole('restart-attempts', o.restartAttempts, 0);
  whole('restart-delay', o.restartDelayMs, 0);
  checkNumber('--record-delay', o.recordDelayMs, { min: 0 });
  checkNumber('--update-ratio', o.updateRatio, { min: 0, exclusive: true, max: 1 });
  if (o.cases.length === 0) throw new ConfigError('--cases', `name at least one of ${Object.keys(CASES).join(', ')}`);
  for (const c of o.cases) if (!(c in CASES)) throw new ConfigError('--cases', `unknown case "${c}"; the cases are ${Object.keys(CASES).join(', ')}`);
}

/** Size of a folder as `du -s` counts it: allocated blocks of every file and folder in it. */
export async function duBytes(path: string): Promise<number> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) return 0;
  let n = st.blocks * 512;
  if (st.isDirectory()) for (const name of await readdir(path)) n += await duBytes(join(path, name));
  return n;
}

/** Exact bytes of the files under a folder. */
async function fileBytes(path: string): Promise<number> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  let n = 0;
  for (const name of await readdir(path)) n += await fileBytes(join(path, name));
  return n;
}

/** Restores the keyed state of the newest completed checkpoint in a job folder into fresh backends; returns the milliseconds taken. */
export async function timeRestore(jobDir: string, workDir: string): Promise<number> {
  const storage = new CheckpointStorage(jobDir);
  const t0 = performance.now();
  const ids = await storage.completedIds();
  if (ids.length === 0) return NaN;
  const meta = await storage.readMetadata(Math.max(...ids));
  let n = 0;
  for (const s of meta.subtasks) {
    if (!s.keyed) continue;
    const b = createKeyedBackend({
      kind: 'lmdb', mode: meta.mode, keyGroups: s.keyed.keyGroups, workDir: join(workDir, `restore-${n++}`),
      maxDeltas: DEFAULT_REBASE.maxDeltas, maxDeltaRatio: DEFAULT_REBASE.maxDeltaRatio,
    });
    await b.restore([s.keyed], storage.source());
    await b.dispose();
  }
  return performance.now() - t0;
}

async function runOnce(o: ExperimentOptions, key: CaseKey, mode: Mode, dir: string, warmUp: boolean): Promise<RunFigures> {
  const ckDir = join(dir, mode);
  await mkdir(ckDir, { recursive: true });
  const params: LabJobParams = {
    case: key, input: o.input, recordDelayMs: o.recordDelayMs, print: o.print,
    keys: o.keys, updateRatio: o.updateRatio, rounds: o.rounds, valueBytes: o.valueBytes,
  };
  const t0 = performance.now();
  const { stats } = await execute(JOB, {
    parallelism: o.parallelism, params: params as unknown as Record<string, unknown>, stateBackend: 'lmdb', stateDir: join(dir, 'state'), jobName: `lab-${key}`,
    checkpointing: { intervalMs: o.intervalMs, mode, dir: ckDir },
    // Flink's chained source hands the map one record at a time, so a barrier can pass between two sleeps; a
    // batch of the whole file would hold every barrier until the file is done.
    channels: key === 'synthetic' ? undefined : { batchSize: 1 },
    restart: { strategy: 'fixed-delay', attempts: o.restartAttempts, delayMs: o.restartDelayMs },
    log: (line) => o.progress?.(`  snapflow: ${line}`),
  });
  const processingMs = performance.now() - t0;
  const ck = stats.checkpoints!;
  const done = ck.checkpoints.filter((c) => c.status === 'completed');
  // Unmeasured the first time in a case, so that no measured restore is the one that loads and compiles the code.
  if (warmUp) await timeRestore(ck.jobDir, join(dir, 'warm-up'));
  const restoreMs = await timeRestore(ck.jobDir, join(dir, 'restore'));
  return {
    processingMs: round(processingMs, 1), storageBytes: await duBytes(ckDir), diskBytes: await fileBytes(ckDir), checkpoints: done.length,
    checkpointedBytes: done.length ? median(done.map((c) => c.checkpointedBytes)) : 0, fullStateBytes: done.at(-1)?.fullStateBytes ?? 0,
    syncMs: round(ck.summary?.syncMs.avg ?? 0, 3), asyncMs: round(ck.summary?.asyncMs.avg ?? 0, 3), alignmentMs: round(ck.summary?.alignmentMs.avg ?? 0, 3),
    restoreMs: round(restoreMs, 2), restarts: stats.restarts.length,
  };
}

function summarizeRuns(key: CaseKey, mode: Mode, runs: RunFigures[]): CaseResult {
  const med = (f: (r: RunFigures) => number) => round(median(runs.map(f)), 3);
  return {
    name: CASES[key], case: key, mode, runs: runs.length, processingMs: spreadOf(runs.map((r) => r.processingMs)),
    storageBytes: med((r) => r.storageBytes), diskBytes: med((r) => r.diskBytes), checkpoints: med((r) => r.checkpoints),
    checkpointedBytes: spreadOf(runs.map((r) => r.checkpointedBytes)), fullStateBytes: med((r) => r.fullStateBytes),
    syncMs: med((r) => r.syncMs), asyncMs: med((r) => r.asyncMs), alignmentMs: med((r) => r.alignmentMs),
    restoreMs: med((r) => r.restoreMs), restore: spreadOf(runs.map((r) => r.restoreMs)), perRun: runs,
  };
}

/** Runs every case in both modes, `runs` times each. */
export async function runExperiment(o: ExperimentOptions): Promise<ExperimentReport> {
  checkOptions(o);
  const say = o.progress ?? (() => {});
  const scratch = await scratchDir('snapflow-experiment-');
  const root = scratch.path;
  const { progress: _progress, onRun: _onRun, ...settings } = o;
  const report: ExperimentReport = { settings, restoreMethod: RESTORE_METHOD, cases: [] };
  try {
    for (const key of o.cases) {
      const runs: Record<Mode, RunFigures[]> = { full: [], incremental: [] };
      for (let r = 0; r < o.runs; r++) {
        // Alternating which mode goes first keeps a slow start or a warming machine from favouring one.
        const order: Mode[] = r % 2 === 0 ? ['full', 'incremental'] : ['incremental', 'full'];
        for (const mode of order) {
          const dir = join(root, `${key}-${mode}-${r}`);
          const f = await runOnce(o, key, mode, dir, r === 0 && mode === order[0]);
          runs[mode].push(f);
          say(`experiment: ${CASES[key]}, ${mode}, run ${r + 1}/${o.runs}: ${(f.processingMs / 1000).toFixed(2)} s, ${f.checkpoints} checkpoint${f.checkpoints === 1 ? '' : 's'}, restore ${f.restoreMs} ms`);
          await rm(dir, { recursive: true, force: true });
          o.onRun?.();
        }
      }
      report.cases.push(summarizeRuns(key, 'full', runs.full), summarizeRuns(key, 'incremental', runs.incremental));
    }
  } finally {
    await scratch.remove();
  }
  return report;
}
