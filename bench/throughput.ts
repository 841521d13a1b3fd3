/**
 * `snapflow bench throughput`: records/s of the stateless and keyed pipelines at each
 * parallelism, on worker threads, next to the bare MessagePort pipe measured in the
 * same process so that figures can be read as ratios on a noisy machine.
 */
import { fileURLToPath } from 'node:url';
import { InputError } from '../base/errors.js';
import { execute } from '../runtime/execute.js';
import { runPipeBaseline, type PipeResult } from './pipe-baseline.js';
import { latencyOf, median, processingMs, round, sampleRss } from './measure.js';
import type { ThroughputParams } from './jobs/throughput.js';
import type { BackendKind } from '../base/kinds.js';

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
  stateBackend?: BackendKind;
  /** A transaction file (`snapflow gen`) read instead of generated records; the rows the source read are the records counted. */
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
      // A file's rows are known once the source has read them; every later run must read as many.
      let expected = opts.input === undefined ? opts.records : undefined;
      for (let run = 0; run < opts.runs; run++) {
        const stopRss = sampleRss();
        const params: ThroughputParams = { pipeline, records: opts.records, keys: opts.keys, sinkRate: opts.sinkRate, separateSink: opts.separateSink, input: opts.input };
        const result = await execute(JOB, { parallelism, params: params as unknown as Record<string, unknown>, chaining: opts.chaining, threads: opts.threads, stateBackend: opts.stateBackend });
        peak = Math.max(peak, stopRss());
        const read = result.stats.sourceRecords;
        if (expected === undefined && opts.input !== undefined) {
          if (read === 0) throw new InputError(opts.input, undefined, 'no data rows after the header; write one with snapflow gen');
          expected = read;
        }
        if (read !== expected) throw new Error(`benchmark lost records: ${read}/${expected}${opts.input ? ` (rows of ${opts.input})` : ''}`);
        rates.push(Math.round(read / (processingMs(result.stats) / 1000)));
        latency = latencyOf(result.stats);
        backpressuredMs = Math.round(result.stats.actors.reduce((n, a) => n + a.backpressuredMs, 0));
        say(`${pipeline} p=${parallelism} run ${run + 1}/${opts.runs}: ${rates[rates.length - 1]} records/s, peak RSS ${peak} MiB`);
      }
      report.results.push({
        pipeline, parallelism, records: expected ?? opts.records, recordsPerSec: Math.round(median(rates)), peakRssMiB: round(peak, 1),
        latencyMs: latency, runs: rates, chaining: opts.chaining, separateSink: opts.separateSink ?? false, backpressuredMs,
      });
    }
  }
  return report;
}
