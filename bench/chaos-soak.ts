/**
 * `snapflow chaos --soak N`: the chaos check over its whole matrix (full and incremental
 * checkpoints on LMDB, full on the heap; aligned and unaligned barriers; parallelism 1 to 4),
 * round after round with a new seed each run, until N injected failures have fired. It stops
 * at the first run that is not exactly once, which it names with the command that repeats it.
 */
import { chaosPassed, runChaos, type ChaosOptions, type ChaosReport } from './chaos.js';
import type { BackendKind, CheckpointMode } from '../base/kinds.js';
import { checkNumber } from '../base/validate.js';
import { ConfigError } from '../base/errors.js';

/** One cell of the matrix. */
export interface SoakCell {
  mode: CheckpointMode;
  backend: BackendKind;
  unaligned: boolean;
  parallelism: number;
}

/** Every cell, in the order the rounds visit them. */
export const SOAK_MATRIX: SoakCell[] = (() => {
  const cells: SoakCell[] = [];
  for (const parallelism of [1, 2, 3, 4]) {
    for (const [mode, backend] of [['full', 'lmdb'], ['incremental', 'lmdb'], ['full', 'heap']] as const) {
      for (const unaligned of [false, true]) cells.push({ mode, backend, unaligned, parallelism });
    }
  }
  return cells;
})();

/** What a soak found: each run's verdict in brief, and the totals. */
export interface SoakReport {
  target: number;
  runs: { seed: number; cell: SoakCell; failuresInjected: number; restarts: number; unalignedCheckpoints: number; persistedBytes: number; passed: boolean; durationMs: number }[];
  failuresInjected: number;
  lost: number;
  duplicated: number;
  passed: boolean;
  /** The command that repeats the first run that failed. */
  failedCommand?: string;
}

/** The chaos command that repeats one run of the soak. */
export function soakRunCommand(base: ChaosOptions, cell: SoakCell, seed: number): string {
  return `snapflow chaos --records ${base.records} --keys ${base.keys} --failures ${base.failures} --seed ${seed} --checkpoint-mode ${cell.mode}` +
    ` --state-backend ${cell.backend} -p ${cell.parallelism} --checkpoint-interval ${base.checkpointIntervalMs}ms --kind ${base.kind}` +
    `${base.rate === undefined ? '' : ` --rate ${base.rate}`}${cell.unaligned ? ' --unaligned' : ''} --json`;
}

/** Runs the matrix round after round until `target` failures fired or a run fails. */
export async function runSoak(base: ChaosOptions, target: number, say: (line: string) => void = () => {}): Promise<SoakReport> {
  checkNumber('--soak', target, { integer: true, min: 1 });
  if (base.failures < 1) checkNumber('--failures', base.failures, { integer: true, min: 1 });
  if (base.keys % 12 !== 0) throw new ConfigError('--keys', `the soak runs parallelism 1 to 4, so the keys must be a multiple of 12 (each key's records stay in one split); got ${base.keys}`);
  const report: SoakReport = { target, runs: [], failuresInjected: 0, lost: 0, duplicated: 0, passed: true };
  for (let run = 0; report.failuresInjected < target; run++) {
    const cell = SOAK_MATRIX[run % SOAK_MATRIX.length];
    const seed = base.seed + run;
    const r: ChaosReport = await runChaos({ ...base, ...cell, seed, progress: undefined, onRecords: undefined, alignedTimeoutMs: undefined });
    const passed = chaosPassed(r);
    report.runs.push({
      seed, cell, failuresInjected: r.failuresInjected, restarts: r.restarts, unalignedCheckpoints: r.unalignedCheckpoints, persistedBytes: r.persistedBytes, passed, durationMs: r.durationMs,
    });
    report.failuresInjected += r.failuresInjected;
    report.lost += r.lost;
    report.duplicated += r.duplicated;
    say(`soak: run ${run + 1} seed ${seed} p=${cell.parallelism} ${cell.backend} ${cell.mode} ${cell.unaligned ? 'unaligned' : 'aligned'}: ` +
      `${passed ? 'exactly once' : 'FAILED'}, ${r.failuresInjected} failures (${report.failuresInjected} of ${target}), ${r.unalignedCheckpoints} unaligned checkpoints, ${r.persistedBytes} in-flight bytes kept`);
    if (!passed) {
      report.passed = false;
      report.failedCommand = soakRunCommand(base, cell, seed);
      break;
    }
  }
  return report;
}
