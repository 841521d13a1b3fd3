/**
 * `snapflow bench cost`: the cost job (bench/jobs/cost.ts) through snapflow on both backends,
 * at parallelism 1 and 2, without checkpoints and with one every second, beside the
 * hand-written single-threaded baseline (baseline.ts) over the same file in the same run. A
 * configuration's `vsBaseline` below 1 means snapflow on that many cores is slower than one
 * plain thread: its COST (the cores it needs to beat one thread) is higher.
 */
import { textTable } from '../../base/text-table.js';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { InputError } from '../../base/errors.js';
import type { BackendKind } from '../../base/kinds.js';
import { writeTransactionsFile } from '../../operators/sources/transactions-file.js';
import { execute } from '../../runtime/execute.js';
import { median, processingMs, round, sampleRss } from '../measure.js';
import { scratchDir } from '../scratch.js';
import type { BaselineRun } from './baseline.js';
import type { CostParams } from '../jobs/cost.js';

/** Options of the cost benchmark. */
export interface CostOptions {
  rows: number;
  keys: number;
  seed: number;
  /** A transaction file to read instead of the generated one (its rows are counted). */
  input?: string;
  backends: BackendKind[];
  parallelism: number[];
  /** Runs of every configuration and of the baseline; figures are medians. */
  runs: number;
  /** Budget of each LMDB subtask's cache of decoded values, MiB (default: the runtime's). */
  stateCacheMb?: number;
  threads?: number;
  progress?: (line: string) => void;
}

/** How a configuration checkpoints: not at all, or every second (the heap backend takes full checkpoints only). */
export type CostCheckpointing = 'none' | 'incremental' | 'full';

/** One configuration's figures. */
export interface CostResult {
  backend: BackendKind;
  parallelism: number;
  checkpointing: CostCheckpointing;
  recordsPerSec: number;
  /** recordsPerSec over the baseline's. */
  vsBaseline: number;
  peakRssMiB: number;
  checkpoints: number;
  /** recordsPerSec of every run, in order. */
  runs: number[];
}

/** The benchmark's output. */
export interface CostReport {
  input: string;
  rows: number;
  baseline: { recordsPerSec: number; runs: number[] };
  results: CostResult[];
}

const JOB = fileURLToPath(new URL('../jobs/cost.js', import.meta.url));
const BASELINE = fileURLToPath(new URL('./baseline.js', import.meta.url));
const run = promisify(execFile);

/** The generated file for these options, written once and reused by later runs. */
async function inputFile(o: CostOptions, say: (line: string) => void): Promise<string> {
  if (o.input !== undefined) {
    if (!existsSync(o.input)) throw new InputError(o.input, undefined, 'no such transaction file (--input)');
    return o.input;
  }
  const dir = join(tmpdir(), 'snapflow-bench-cost');
  const path = join(dir, `transactions-${o.rows}-${o.keys}-${o.seed}.csv`);
  if (existsSync(path)) return path;
  mkdirSync(dir, { recursive: true });
  say(`cost: writing ${o.rows} rows over ${o.keys} customers to ${path}`);
  // Written aside and renamed, so an interrupted run never leaves a short file to be reused.
  const partial = `${path}.${process.pid}.partial`;
  await writeTransactionsFile({ rows: o.rows, keys: o.keys, skew: 'uniform', seed: o.seed, out: partial });
  renameSync(partial, path);
  return path;
}

/** Lines written to the files of a folder (the file sink's output). */
function linesIn(dir: string): number {
  let n = 0;
  for (const f of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!f.isFile()) continue;
    const text = readFileSync(join(f.parentPath, f.name));
    for (let i = text.indexOf(10); i >= 0; i = text.indexOf(10, i + 1)) n++;
  }
  return n;
}

/** Runs the baseline and every configuration `runs` times over the same file. */
export async function benchCost(o: CostOptions): Promise<CostReport> {
  const say = o.progress ?? (() => {});
  const input = await inputFile(o, say);
  const scratch = await scratchDir('snapflow-bench-cost-');
  const configs: { backend: BackendKind; parallelism: number; checkpointing: CostCheckpointing }[] = [];
  for (const backend of o.backends) {
    for (const parallelism of o.parallelism) {
      for (const checkpointing of ['none', backend === 'lmdb' ? 'incremental' : 'full'] as const) configs.push({ backend, parallelism, checkpointing });
    }
  }
  const baselineRates: number[] = [];
  const rates = configs.map(() => [] as number[]);
  const peaks = configs.map(() => 0);
  const checkpoints = configs.map(() => 0);
  let rows = 0;
  let outputs = 0;
  try {
    for (let r = 1; r <= o.runs; r++) {
      const baseOut = join(scratch.path, `baseline-${r}.jsonl`);
      const { stdout } = await run(process.execPath, [BASELINE, input, baseOut], { maxBuffer: 1 << 20 });
      const base = JSON.parse(stdout) as BaselineRun;
      rows = base.rows;
      baselineRates.push(Math.round(base.rows / (base.ms / 1000)));
      say(`cost: run ${r}/${o.runs}: baseline ${baselineRates.at(-1)} records/s`);
      for (const [i, c] of configs.entries()) {
        const output = join(scratch.path, `out-${outputs++}`);
        const params: CostParams = { input, output };
        const stopRss = sampleRss();
        const result = await execute(JOB, {
          parallelism: c.parallelism, threads: o.threads, stateBackend: c.backend, stateCacheMb: o.stateCacheMb, stateDir: scratch.path, params: { ...params }, jobName: 'cost',
          ...(c.checkpointing === 'none' ? {} : { checkpointing: { intervalMs: 1000, mode: c.checkpointing, dir: join(scratch.path, 'checkpoints') } }),
        });
        peaks[i] = Math.max(peaks[i]!, stopRss());
        const written = linesIn(output);
        if (written !== rows) throw new Error(`cost: ${c.backend} p=${c.parallelism} wrote ${written} lines for ${rows} rows`);
        rates[i]!.push(Math.round(rows / (processingMs(result.stats) / 1000)));
        checkpoints[i] = result.stats.checkpoints?.counts.completed ?? 0;
        say(`cost: run ${r}/${o.runs}: ${c.backend} p=${c.parallelism} checkpoints ${c.checkpointing}: ${rates[i]!.at(-1)} records/s`);
      }
    }
  } finally {
    await scratch.remove();
  }
  const baseline = median(baselineRates);
  return {
    input, rows,
    baseline: { recordsPerSec: Math.round(baseline), runs: baselineRates },
    results: configs.map((c, i) => ({
      ...c, recordsPerSec: Math.round(median(rates[i]!)), vsBaseline: round(median(rates[i]!) / baseline, 3), peakRssMiB: round(peaks[i]!, 1), checkpoints: checkpoints[i]!, runs: rates[i]!,
    })),
  };
}

/** The terminal table of the report. */
export function costTable(report: CostReport): string[] {
  const header = ['backend', 'p', 'checkpoints', 'records/s', '× baseline', 'ckpts', 'RSS MiB'];
  const rows = report.results.map((r) => [r.backend, String(r.parallelism), r.checkpointing === 'none' ? 'none' : `${r.checkpointing} 1 s`, String(r.recordsPerSec), r.vsBaseline.toFixed(2), String(r.checkpoints), String(r.peakRssMiB)]);
  return [
    `${report.rows} rows of ${report.input}; hand-written single thread (bench/cost/baseline.ts): ${report.baseline.recordsPerSec} records/s`,
    ...textTable(header, rows),
    '× baseline below 1: snapflow on that many cores is slower than one plain thread.',
  ];
}
