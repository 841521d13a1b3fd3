/**
 * `snapflow bench nexmark`: each query over the same generated events, run on worker threads at
 * one parallelism, with or without checkpoints and injected failures; events per second, per
 * core, the peak resident memory, the checkpoints' figures and, with `verify`, whether the
 * result equals the reference computation's.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { execute, WorkerPool, type BackendKind, type CheckpointMode, type JobResult } from '../../runtime/index.js';
import { median, processingMs, round, sampleRss } from '../measure.js';
import { scratchDir } from '../scratch.js';
import { ConfigError } from '../../base/errors.js';
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
  /**
   * With checkpoints: each run is paired with one of the same query without them, the two in
   * turn (the order alternating from pair to pair), so that the machine's drift falls on both
   * and each pair's ratio is what checkpoints cost.
   */
  compareWithout?: boolean;
  /** Failures injected into each run at the source's subtasks (throws and thread exits in turn); needs checkpoints. */
  failures?: number;
  threads?: number;
  /**
   * Every run on the same worker threads, each query's runs after one run of it with checkpoints
   * and one without, not counted, on them: figures of workers whose code is compiled, as on a
   * standing cluster, rather than of threads that start with the run.
   */
  warmWorkers?: boolean;
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

/** The runs without checkpoints paired with those with them, and what checkpoints cost. */
export interface NexmarkWithoutCheckpoints {
  eventsPerSec: number;
  eventsPerSecPerCore: number;
  peakRssMiB: number;
  /** Events per second of each run without checkpoints. */
  runs: number[];
  /** Each pair's events/s with checkpoints divided by its events/s without. */
  ratios: number[];
  /** The median of the pairs' ratios. */
  ratio: number;
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
  /** With `compareWithout`: the paired runs without checkpoints. */
  withoutCheckpoints?: NexmarkWithoutCheckpoints;
  /** Present when the runs shared worker threads warmed by two runs of the query first. */
  warmWorkers?: true;
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

/** One run's figures. */
interface RunFigures {
  eventsPerSec: number;
  peakRssMiB: number;
  result: JobResult;
}

/** Runs one query once, with the options' checkpoints and failures or with neither. */
async function runOnce(o: NexmarkBenchOptions, query: string, run: number, stateDir: string, checkpointed: boolean, workers?: WorkerPool): Promise<RunFigures> {
  const params: NexmarkParams = { events: o.events, rate: o.rate, seed: o.seed, throttle: o.throttle, sink: o.verify ? 'check' : 'discard' };
  const stopRss = sampleRss();
  const withCheckpoints = checkpointed && o.checkpointIntervalMs !== undefined;
  const result = await execute(fileURLToPath(queryModule(query)), {
    parallelism: o.parallelism, threads: o.threads, workers, stateBackend: o.stateBackend, stateCacheMb: o.stateCacheMb, stateDir, params: { ...params }, jobName: `nexmark-${query}-${run}${checkpointed ? '' : '-without'}`,
    ...(withCheckpoints ? { checkpointing: { intervalMs: o.checkpointIntervalMs!, mode: o.checkpointMode ?? 'incremental', dir: stateDir, maxDeltas: o.maxDeltas, maxDeltaRatio: o.maxDeltaRatio } } : {}),
    ...(withCheckpoints && o.failures ? { injectFailures: sourceFailures(o.failures, o.events, o.parallelism), restart: { strategy: 'fixed-delay' as const, attempts: o.failures + 2, delayMs: 0 }, log: () => {} } : {}),
  });
  const peakRssMiB = stopRss();
  // A run that restarted counts its whole duration; otherwise from the first actor's start to the last one's end.
  const ms = result.stats.restarts.length > 0 ? result.stats.durationMs : processingMs(result.stats);
  return { eventsPerSec: Math.round(o.events / (ms / 1000)), peakRssMiB, result };
}

/** The paired runs' figures. */
function withoutFigures(rates: number[], paired: number[], peak: number, cores: number): NexmarkWithoutCheckpoints {
  const eventsPerSec = Math.round(median(paired));
  const ratios = rates.map((r, i) => round(r / paired[i]!, 3));
  return { eventsPerSec, eventsPerSecPerCore: Math.round(eventsPerSec / cores), peakRssMiB: round(peak, 1), runs: paired, ratios, ratio: round(median(ratios), 3) };
}

/** Runs the benchmark. */
export async function benchNexmark(o: NexmarkBenchOptions): Promise<NexmarkReport> {
  const say = o.progress ?? (() => {});
  if (o.compareWithout && o.checkpointIntervalMs === undefined) throw new ConfigError('compare-without', 'needs --checkpoint-interval: it pairs runs with checkpoints with runs without');
  nexmarkConfig({ events: o.events, rate: o.rate, seed: o.seed, throttle: o.throttle });
  const queries = o.queries.map((name) => QUERIES.find((q) => q.name === name)!);
  const scratch = await scratchDir('snapflow-bench-nexmark-');
  const report: NexmarkReport = { results: [] };
  const workers = o.warmWorkers ? new WorkerPool() : undefined;
  try {
    for (const query of queries) {
      if (workers !== undefined) {
        for (const checkpointed of [false, true]) await runOnce(o, query.name, 0, scratch.path, checkpointed, workers);
        say(`nexmark ${query.name}: workers warmed by a run without checkpoints and one with them`);
      }
      const expected = o.verify ? referenceDigest(query, { events: o.events, rate: o.rate, seed: o.seed }) : undefined;
      const rates: number[] = [];
      const paired: number[] = [];
      let peak = 0;
      let pairedPeak = 0;
      let verified: boolean | null = o.verify ? true : null;
      let cores = 1;
      let failuresInjected = 0;
      let restarts = 0;
      let last: JobResult | undefined;
      const check = (result: JobResult) => {
        if (expected !== undefined && !sameDigest(resultDigest(query, result), expected)) verified = false;
      };
      const outcome = () => (verified === null ? '' : verified ? ', verified' : ', NOT equal to the reference');
      const without = async (run: number) => {
        const r = await runOnce(o, query.name, run, scratch.path, false, workers);
        paired.push(r.eventsPerSec);
        pairedPeak = Math.max(pairedPeak, r.peakRssMiB);
        check(r.result);
        say(`nexmark ${query.name}: run ${run}/${o.runs} without checkpoints: ${r.eventsPerSec} events/s${outcome()}`);
      };
      for (let run = 1; run <= o.runs; run++) {
        // Pairs alternate which run goes first, so that neither always meets a warmer or cooler machine.
        if (o.compareWithout && run % 2 === 1) await without(run);
        const r = await runOnce(o, query.name, run, scratch.path, true, workers);
        rates.push(r.eventsPerSec);
        peak = Math.max(peak, r.peakRssMiB);
        cores = Math.min(r.result.stats.actors.length, o.threads ?? availableParallelism(), availableParallelism());
        failuresInjected += r.result.stats.failuresInjected;
        restarts += r.result.stats.restarts.length;
        check(r.result);
        last = r.result;
        say(`nexmark ${query.name}: run ${run}/${o.runs}: ${r.eventsPerSec} events/s${outcome()}`);
        if (o.compareWithout && run % 2 === 0) await without(run);
      }
      const eventsPerSec = Math.round(median(rates));
      report.results.push({
        query: query.name, events: o.events, parallelism: o.parallelism, cores, eventsPerSec, eventsPerSecPerCore: Math.round(eventsPerSec / cores),
        peakRssMiB: round(peak, 1), verified, checkpoints: checkpointFigures(last!), failuresInjected, restarts, runs: rates, flinkPerCore: FLINK_PER_CORE[query.name]!,
        ...(o.compareWithout ? { withoutCheckpoints: withoutFigures(rates, paired, pairedPeak, cores) } : {}),
        ...(workers !== undefined ? { warmWorkers: true as const } : {}),
      });
    }
  } finally {
    await workers?.close();
    await scratch.remove();
  }
  return report;
}
