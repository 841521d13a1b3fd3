/**
 * `snapflow bench backpressure`: what checkpoints cost when the job is backpressured. A keyed
 * job whose sink accepts a tenth of what its sources offer (every sink subtask, or only one)
 * runs with checkpoints every interval; per mode, the checkpoints' end-to-end time, alignment
 * and start delay, the in-flight bytes they persisted, and the records per second. An aligned
 * barrier waits behind every batch queued before it, so its checkpoint takes as long as the
 * backlog takes to drain: the figure the other modes are to beat.
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { execute } from '../runtime/execute.js';
import { median, processingMs, quantile, round } from './measure.js';
import { scratchDir } from './scratch.js';
import type { BackendKind } from '../base/kinds.js';
import type { CheckpointSummary } from '../runtime/checkpoint/stats.js';
import type { BackpressureJobParams } from './jobs/backpressure.js';

/**
 * The modes measured: aligned barriers; aligned barriers with buffer debloating; unaligned
 * barriers, which overtake the in-flight batches and persist them; and checkpoints that start
 * aligned and turn unaligned where they still align after the aligned timeout.
 */
export const BACKPRESSURE_MODES = ['aligned', 'aligned-debloat', 'unaligned', 'aligned-timeout'] as const;
/** One of BACKPRESSURE_MODES. */
export type BackpressureMode = (typeof BACKPRESSURE_MODES)[number];
/** Which sink subtasks are slow. */
export const BACKPRESSURE_VARIANTS = ['all', 'one-slow'] as const;

/** Options of the backpressure benchmark. */
export interface BackpressureOptions {
  modes: BackpressureMode[];
  variants: BackpressureJobParams['variant'][];
  /** Records per second a slow sink subtask accepts; the sources offer ten times what the sinks take. */
  sinkRate: number;
  /** Seconds each run lasts at the sinks' rate. */
  seconds: number;
  parallelism: number;
  intervalMs: number;
  /** aligned-debloat: the in-flight data each channel aims at, in ms of its receiver's processing. */
  debloatTargetMs: number;
  /** aligned-timeout: how long after its trigger a checkpoint still aligning turns unaligned. */
  alignedTimeoutMs: number;
  keys: number;
  stateBackend: BackendKind;
  threads?: number;
  progress?: (line: string) => void;
}

/** Figures of one mode and variant; durations are each checkpoint's slowest subtask's, medians over the checkpoints before the final one. */
export interface BackpressureResult {
  mode: BackpressureMode;
  variant: BackpressureJobParams['variant'];
  parallelism: number;
  checkpoints: number;
  e2eMsMedian: number;
  e2eMsP99: number;
  alignmentMsMedian: number;
  startDelayMsMedian: number;
  /** In-flight bytes persisted with each checkpoint (channel state): none for aligned checkpoints. */
  persistedBytesMedian: number;
  recordsPerSec: number;
}

/** What the command prints with --json. */
export interface BackpressureReport {
  results: BackpressureResult[];
}

const JOB = fileURLToPath(new URL('./jobs/backpressure.js', import.meta.url));

/** The checkpoint options of a mode. */
function modeOptions(mode: BackpressureMode, o: BackpressureOptions): { unaligned?: boolean; alignedTimeoutMs?: number } {
  if (mode === 'unaligned') return { unaligned: true };
  if (mode === 'aligned-timeout') return { alignedTimeoutMs: o.alignedTimeoutMs };
  return {};
}

const slowest = (c: CheckpointSummary, f: (s: CheckpointSummary['subtasks'][number]) => number) => c.subtasks.reduce((m, s) => Math.max(m, f(s)), 0);

/** Runs every mode and variant once. */
export async function benchBackpressure(o: BackpressureOptions): Promise<BackpressureReport> {
  const say = o.progress ?? (() => {});
  const results: BackpressureResult[] = [];
  const scratch = await scratchDir('snapflow-backpressure-');
  try {
    for (const variant of o.variants) {
      for (const mode of o.modes) {
        const records = Math.max(1, Math.round(o.sinkRate * o.parallelism * o.seconds));
        const params: BackpressureJobParams = { records, keys: o.keys, sinkRate: o.sinkRate, variant, sourceRate: 10 * o.sinkRate * o.parallelism };
        const dir = join(scratch.path, `${variant}-${mode}`);
        const result = await execute(JOB, {
          parallelism: o.parallelism, params: { ...params }, threads: o.threads, channels: mode === 'aligned-debloat' ? { debloatTargetMs: o.debloatTargetMs } : undefined, stateBackend: o.stateBackend, stateDir: join(dir, 'state'), jobName: `backpressure-${variant}-${mode}`,
          checkpointing: { intervalMs: o.intervalMs, mode: 'full', dir: join(dir, 'checkpoints'), ...modeOptions(mode, o) }, log: () => {},
        });
        const done = (result.stats.checkpoints?.checkpoints ?? []).filter((c) => c.status === 'completed' && !c.final);
        const e2e = done.map((c) => c.endToEndMs).sort((a, b) => a - b);
        const r: BackpressureResult = {
          mode, variant, parallelism: o.parallelism, checkpoints: done.length,
          e2eMsMedian: round(done.length ? median(e2e) : NaN, 1), e2eMsP99: round(quantile(e2e, 0.99), 1),
          alignmentMsMedian: round(done.length ? median(done.map((c) => slowest(c, (s) => s.alignmentMs))) : NaN, 1),
          startDelayMsMedian: round(done.length ? median(done.map((c) => slowest(c, (s) => s.startDelayMs))) : NaN, 1),
          persistedBytesMedian: done.length ? Math.round(median(done.map((c) => c.persistedBytes))) : 0,
          recordsPerSec: Math.round((result.stats.sourceRecords / processingMs(result.stats)) * 1000),
        };
        say(`backpressure: ${variant} ${mode}: ${r.checkpoints} checkpoints, end to end ${r.e2eMsMedian} ms median (p99 ${r.e2eMsP99}), alignment ${r.alignmentMsMedian} ms, persisted ${r.persistedBytesMedian} B, ${r.recordsPerSec} records/s`);
        results.push(r);
      }
    }
  } finally {
    await scratch.remove();
  }
  return { results };
}
