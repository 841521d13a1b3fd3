/**
 * Checkpoint and state options as users give them (execute() options, CLI flags), checked
 * and turned into the coordinator's configuration and the actors' state settings.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkBackendOptions, DEFAULT_REBASE } from '../../backends/factory.js';
import { checkNumber, oneOf } from '../../base/validate.js';
import { ConfigError } from '../../base/errors.js';
import { BACKEND_KINDS, CHECKPOINT_MODES, GUARANTEES, type BackendKind, type CheckpointMode, type Guarantee } from '../../base/kinds.js';
import type { ActorStateSettings } from '../actor/state-settings.js';
import { newJobId, resolveCheckpointDir } from '../storage/paths.js';

/** Checkpointing settings of a job (Flink's names in brackets where they differ). */
export interface CheckpointConfig {
  /** Milliseconds between checkpoint triggers. */
  intervalMs: number;
  /** Full snapshots every time, or only what changed since the last completed checkpoint. */
  mode: CheckpointMode;
  /** Where keyed state lives while the job runs. */
  backend: BackendKind;
  /** exactly-once aligns barriers; at-least-once does not hold channels back. */
  guarantee: Guarantee;
  /** The job's checkpoint folder (already resolved: `<checkpoint-dir>/<job id>`). */
  jobDir: string;
  /** Completed checkpoints kept; older ones are deleted with every file only they use. */
  retained: number;
  /** A checkpoint not complete after this long is aborted. */
  timeoutMs: number;
  /** Least time between the end of one checkpoint and the trigger of the next. */
  minPauseMs: number;
  /** Checkpoints in flight at once. */
  maxConcurrent: number;
  /** Failed checkpoints in a row that the job tolerates; one more fails the job. */
  tolerableFailures: number;
  /** Incremental mode: deltas on one base before a fresh base is written. */
  maxDeltas: number;
  /** Incremental mode: delta bytes, as a share of the base's bytes, before a fresh base is written. */
  maxDeltaRatio: number;
  /** Unaligned checkpoints (`execution.checkpointing.unaligned`): barriers overtake in-flight data, kept as channel state. */
  unaligned: boolean;
  /** With unaligned checkpoints: 0 starts every checkpoint unaligned; more starts it aligned and turns it unaligned this long after its trigger. */
  alignedTimeoutMs: number;
}

/** Checkpointing options of execute(); only `intervalMs` is required to turn it on. */
export interface CheckpointOptions {
  intervalMs: number;
  mode?: CheckpointMode;
  guarantee?: Guarantee;
  /** A folder or a file:// URI; the job gets its own folder inside. Default: `<tmp>/snapflow-checkpoints`. */
  dir?: string;
  retained?: number;
  timeoutMs?: number;
  minPauseMs?: number;
  maxConcurrent?: number;
  tolerableFailures?: number;
  maxDeltas?: number;
  maxDeltaRatio?: number;
  /** Barriers overtake the in-flight batches, which the checkpoint keeps as channel state (exactly-once only). */
  unaligned?: boolean;
  /** Checkpoints start aligned and turn unaligned where they are still aligning this long after the trigger (implies unaligned). */
  alignedTimeoutMs?: number;
}

/** The resolved state settings of a run. */
export interface ResolvedState {
  jobId: string;
  actors: ActorStateSettings;
  /** Present when checkpointing is on. */
  checkpoints?: CheckpointConfig;
}

/** Checks the options (errors name the CLI flag) and fixes the job's id and folders. */
export function resolveState(jobName: string, backend: string | undefined, opts: CheckpointOptions | undefined, stateDir?: string, stateCacheMb?: number): ResolvedState {
  const kind = oneOf('state-backend', backend, BACKEND_KINDS, 'lmdb');
  const jobId = newJobId(jobName);
  if (stateCacheMb !== undefined) checkNumber('state-cache-mb', stateCacheMb, { min: 0 });
  const actors: ActorStateSettings = { backend: kind, workDir: join(stateDir ?? join(tmpdir(), 'snapflow-state'), jobId), stateCacheMb };
  if (!opts) return { jobId, actors };
  const mode = oneOf('checkpoint-mode', opts.mode, CHECKPOINT_MODES, 'full');
  const rebase = { maxDeltas: opts.maxDeltas ?? DEFAULT_REBASE.maxDeltas, maxDeltaRatio: opts.maxDeltaRatio ?? DEFAULT_REBASE.maxDeltaRatio };
  checkBackendOptions({ kind, mode, ...rebase });
  const config: CheckpointConfig = {
    intervalMs: checkNumber('checkpoint-interval', opts.intervalMs, { integer: true, min: 1 }),
    mode, backend: kind,
    guarantee: oneOf('checkpointing-mode', opts.guarantee, GUARANTEES, 'exactly-once'),
    jobDir: join(resolveCheckpointDir(opts.dir ?? join(tmpdir(), 'snapflow-checkpoints')), jobId),
    retained: checkNumber('retained', opts.retained ?? 1, { integer: true, min: 1 }),
    timeoutMs: checkNumber('checkpoint-timeout', opts.timeoutMs ?? 600_000, { integer: true, min: 1 }),
    minPauseMs: checkNumber('min-pause', opts.minPauseMs ?? 0, { integer: true, min: 0 }),
    maxConcurrent: checkNumber('max-concurrent-checkpoints', opts.maxConcurrent ?? 1, { integer: true, min: 1 }),
    tolerableFailures: checkNumber('tolerable-failures', opts.tolerableFailures ?? 0, { integer: true, min: 0 }),
    ...rebase,
    unaligned: opts.unaligned === true || opts.alignedTimeoutMs !== undefined,
    alignedTimeoutMs: opts.alignedTimeoutMs === undefined ? 0 : checkNumber('aligned-checkpoint-timeout', opts.alignedTimeoutMs, { integer: true, min: 0 }),
  };
  if (config.unaligned && config.guarantee !== 'exactly-once') {
    throw new ConfigError(opts.unaligned ? 'unaligned' : 'aligned-checkpoint-timeout', `unaligned checkpoints keep in-flight data for exactly-once; they do not go with checkpointing-mode ${config.guarantee}`);
  }
  actors.checkpointing = {
    guarantee: config.guarantee, mode, jobDir: config.jobDir, maxDeltas: config.maxDeltas, maxDeltaRatio: config.maxDeltaRatio,
    ...(config.unaligned ? { alignedTimeoutMs: config.alignedTimeoutMs } : {}),
  };
  return { jobId, actors, checkpoints: config };
}
