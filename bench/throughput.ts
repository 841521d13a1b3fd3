/**
 * `snapflow bench throughput`: records/s of the stateless and keyed pipelines at each
 * parallelism, on worker threads, next to the bare MessagePort pipe measured in the
 * same process so that figures can be read as ratios on a noisy machine.
 */
import { createReadStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InputError } from '../runtime/errors.js';
import { execute } from '../runtime/execute.js';
import { runPipeBaseline, type PipeResult } from './pipe-baseline.js';
import { latencyOf, median, processingMs, round, sampleRss } from './measure.js';
import type { ThroughputParams } from './jobs/throughput.js';

/** Options of the throughput benchmark. */
export interface ThroughputOptions {
  pipelines: ThroughputParams['pipeline'][];
  parallelism: number[];
  records: number;
  keys: number;
  /** Runs per configuration; the median is reported. */
  runs: number;
  chaining: boolean;
  /** Worker threads (default: the machine's cores). */
  threads?: number;
  /** Stateless pipeline: the sink in its own actor, one channel hop like the bare pipe. */
  separateSink?: boolean;
  /** Records/s each sink subtask accepts (a deliberately slow sink). */
  sinkRate?: number;
  baseline: boolean;
  /** State backend of the keyed pipeline (default: the runtime's, lmdb). */
  stateBackend?: 'lmdb' | 'heap';
  /** A transaction file (`snapflow gen`) read instead of generated records; `records` is then its row count. */
  input?: string;
  progress?: (line: string) => void;
}

/** One configuration's figures. */
export interface ThroughputResult {
  pipeline: string;
  parallelism: number;
  records: number;
  recordsPerSec: number;
  peakRssMiB: number;
  latencyMs: { p50: number; p99: number };
  /** recordsPerSec of every run, in order. */
  runs: number[];
  chaining: boolean;
  separateSink: boolean;
  /** Milliseconds actors spent waiting for credit, summed over actors (last run). */
  backpressuredMs: number;
}

/** The benchmark's output. */
export interface ThroughputReport {
  baseline?: PipeResult;
  results: ThroughputResult[];
}

const JOB = fileURLToPath(new URL('./jobs/throughput.js', import.meta.url));

/** Runs the throughput benchmark. */
export async function benchThroughput(opts: ThroughputOptions): Promise<ThroughputReport> {
  const say = opts.progress ?? (() => {});
  const report: ThroughputReport = { results: [] };
  if (opts.baseline) {
    const runs: PipeResult[] = [];
    for (let i = 0; i < opts.runs; i++) runs.push(await runPipeBaseline({ records: Math.min(opts.records, 5_000_000), batchSize: 1024, encoding: 'msgpack' }));
    report.baseline = runs.sort((a, b) => a.recordsPerSec - b.recordsPerSec)[runs.length >> 1];
    say(`baseline pipe: ${report.baseline.recordsPerSec} records/s`);
  }
  for (const pipeline of opts.pipelines) {
    for (const parallelism of opts.parallelism) {
      const rates: number[] = [];
      let peak = 0;
      let latency = { p50: NaN, p99: NaN };
      let backpressuredMs = 0;
      for (let run = 0; run < opts.runs; run++) {
        const stopRss = sampleRss();
        const params: ThroughputParams = { pipeline, records: opts.records, keys: opts.keys, sinkRate: opts.sinkRate, separateSink: opts.separateSink, input: opts.input };
        const result = await execute(JOB, { parallelism, params: params as unknown as Record<string, unknown>, chaining: opts.chaining, threads: opts.threads, stateBackend: opts.stateBackend });
        peak = Math.max(peak, stopRss());
        if (result.stats.sourceRecords !== opts.records) {
          throw new Error(`benchmark lost records: ${result.stats.sourceRecords}/${opts.records}${opts.input ? ` (rows of ${opts.input})` : ''}`);
        }
        rates.push(Math.round(opts.records / (processingMs(result.stats) / 1000)));
        latency = latencyOf(result.stats);
        backpressuredMs = Math.round(result.stats.actors.reduce((n, a) => n + a.backpressuredMs, 0));
        say(`${pipeline} p=${parallelism} run ${run + 1}/${opts.runs}: ${rates[rates.length - 1]} records/s, peak RSS ${peak} MiB`);
      }
      report.results.push({
        pipeline, parallelism, records: opts.records, recordsPerSec: Math.round(median(rates)), peakRssMiB: round(peak, 1),
        latencyMs: latency, runs: rates, chaining: opts.chaining, separateSink: opts.separateSink ?? false, backpressuredMs,
      });
    }
  }
  return report;
}

/** Data rows of a CSV file with a header line, counted in one streamed pass (which also warms the page cache for the runs). */
export async function countCsvRows(path: string): Promise<number> {
  let lines = 0;
  let last = 0x0a;
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) lines++;
      if (chunk.length > 0) last = chunk[chunk.length - 1];
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new InputError(path, undefined, e.code === 'ENOENT' ? 'file not found' : e.message);
  }
  // A last line without a newline is a row too; the header is not.
  return Math.max(0, lines + (last === 0x0a ? 0 : 1) - 1);
}
