/**
 * `snapflow bench nexmark`: each query over the same generated events, run on worker threads at
 * one parallelism, with or without checkpoints and injected failures; events per second, per
 * core, the peak resident memory, the checkpoints' figures and, with `verify`, whether the
 * result equals the reference computation's.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { execute, type BackendKind, type CheckpointMode, type JobResult } from '../../runtime/index.js';
import { median, processingMs, round, sampleRss } from '../measure.js';
import { scratchDir } from '../scratch.js';
import { nexmarkConfig } from './generator.js';
import type { NexmarkParams } from './query.js';
import { FLINK_PER_CORE, QUERIES, queryModule } from './queries/index.js';
import { referenceDigest, resultDigest, sameDigest } from './verify.js';

/** Options of the Nexmark benchmark. */
export interface NexmarkBenchOptions {
  queries: string[];
  events: number;
  parallelism: number;
  /** Events per second of event time (default: the generator's, 10,000,000 as in Flink's runs). */
  rate?: number;
  seed?: number;
  /** Events per second of wall-clock time at most (default: unthrottled). */
  throttle?: number;
  /** Checkpoint every so many ms; no checkpoints when absent. */
  checkpointIntervalMs?: number;
  checkpointMode?: CheckpointMode;
  /** Incremental re-base policy (defaults: the runtime's). */
  maxDeltas?: number;
  maxDeltaRatio?: number;
  stateBackend: BackendKind;
  /** Budget of each LMDB subtask's cache of decoded values, MiB (default: the runtime's). */
  stateCacheMb?: number;
  verify: boolean;
  runs: number;
  /** Failures injected into each run at the source's subtasks (throws and thread exits in turn); needs checkpoints. */
  failures?: number;
  threads?: number;
  progress?: (line: string) => void;
}

/** What the checkpoints of a run did (zeros without checkpoints). */
export interface NexmarkCheckpointFigures {
  completed: number;
  /** The largest state a completed checkpoint held, bytes. */
  stateBytes: number;
  checkpointedBytesMedian: number;
  e2eMsMedian: number;
}

/** One query's figures: medians over the runs. */
export interface NexmarkResult {
  query: string;
  events: number;
  parallelism: number;
  /** The CPUs the run could use: the smaller of its threads and the machine's cores. */
  cores: number;
  eventsPerSec: number;
  eventsPerSecPerCore: number;
  peakRssMiB: number;
  /** Whether every run's result equalled the reference's; null when not checked. */
  verified: boolean | null;
  checkpoints: NexmarkCheckpointFigures;
  /** Failures that fired and restarts, summed over the runs. */
  failuresInjected: number;
  restarts: number;
  /** Events per second of each run. */
  runs: number[];
  /** Flink's published figure, measured on other hardware. */
  flinkPerCore: number;
}

/** The benchmark's output. */
export interface NexmarkReport {
  results: NexmarkResult[];
}

function checkpointFigures(result: JobResult): NexmarkCheckpointFigures {
  const done = (result.stats.checkpoints?.checkpoints ?? []).filter((c) => c.status === 'completed' && !c.final);
  return {
    completed: done.length,
    stateBytes: Math.max(0, ...done.map((c) => c.fullStateBytes)),
    checkpointedBytesMedian: done.length ? Math.round(median(done.map((c) => c.checkpointedBytes))) : 0,
    e2eMsMedian: done.length ? round(median(done.map((c) => c.endToEndMs)), 1) : 0,
  };
}

/** Failure specs: `failures` at the source's subtasks in turn, each after the same share of a subtask's events, so each fires whatever was restored. */
export function sourceFailures(failures: number, events: number, parallelism: number): string[] {
  const after = Math.max(1, Math.floor(events / parallelism / (failures + 2)));
  return Array.from({ length: failures }, (_, j) => `records=${after}@Source: Nexmark#${j % parallelism}${j % 2 === 0 ? '!throw' : '!exit'}`);
}

/** Runs the benchmark. */
export async function benchNexmark(o: NexmarkBenchOptions): Promise<NexmarkReport> {
  const say = o.progress ?? (() => {});
  nexmarkConfig({ events: o.events, rate: o.rate, seed: o.seed, throttle: o.throttle });
  const queries = o.queries.map((name) => QUERIES.find((q) => q.name === name)!);
  const scratch = await scratchDir('snapflow-bench-nexmark-');
  const report: NexmarkReport = { results: [] };
  try {
    for (const query of queries) {
      const expected = o.verify ? referenceDigest(query, { events: o.events, rate: o.rate, seed: o.seed }) : undefined;
      const rates: number[] = [];
      let peak = 0;
      let verified: boolean | null = o.verify ? true : null;
      let cores = 1;
      let failuresInjected = 0;
      let restarts = 0;
      let last: JobResult | undefined;
      for (let run = 1; run <= o.runs; run++) {
        const params: NexmarkParams = { events: o.events, rate: o.rate, seed: o.seed, throttle: o.throttle, sink: o.verify ? 'check' : 'discard' };
        const stopRss = sampleRss();
        const result = await execute(fileURLToPath(queryModule(query.name)), {
          parallelism: o.parallelism, threads: o.threads, stateBackend: o.stateBackend, stateCacheMb: o.stateCacheMb, stateDir: scratch.path, params: { ...params }, jobName: `nexmark-${query.name}-${run}`,
          ...(o.checkpointIntervalMs === undefined ? {} : { checkpointing: { intervalMs: o.checkpointIntervalMs, mode: o.checkpointMode ?? 'incremental', dir: scratch.path, maxDeltas: o.maxDeltas, maxDeltaRatio: o.maxDeltaRatio } }),
          ...(o.failures ? { injectFailures: sourceFailures(o.failures, o.events, o.parallelism), restart: { strategy: 'fixed-delay' as const, attempts: o.failures + 2, delayMs: 0 }, log: () => {} } : {}),
        });
        peak = Math.max(peak, stopRss());
        // A run that restarted counts its whole duration; otherwise from the first actor's start to the last one's end.
        const ms = result.stats.restarts.length > 0 ? result.stats.durationMs : processingMs(result.stats);
        rates.push(Math.round(o.events / (ms / 1000)));
        cores = Math.min(result.stats.actors.length, o.threads ?? availableParallelism(), availableParallelism());
        failuresInjected += result.stats.failuresInjected;
        restarts += result.stats.restarts.length;
        if (expected !== undefined && !sameDigest(resultDigest(query, result), expected)) verified = false;
        last = result;
        say(`nexmark ${query.name}: run ${run}/${o.runs}: ${rates.at(-1)} events/s${verified === null ? '' : verified ? ', verified' : ', NOT equal to the reference'}`);
      }
      const eventsPerSec = Math.round(median(rates));
      report.results.push({
        query: query.name, events: o.events, parallelism: o.parallelism, cores, eventsPerSec, eventsPerSecPerCore: Math.round(eventsPerSec / cores),
        peakRssMiB: round(peak, 1), verified, checkpoints: checkpointFigures(last!), failuresInjected, restarts, runs: rates, flinkPerCore: FLINK_PER_CORE[query.name]!,
      });
    }
  } finally {
    await scratch.remove();
  }
  return report;
}
