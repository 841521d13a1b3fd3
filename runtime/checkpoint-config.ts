/**
 * Checkpoint and state options as users give them (execute() options, CLI flags), checked
 * and turned into the coordinator's configuration and the actors' state settings.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_REBASE } from '../backends/factory.js';
import type { ActorStateSettings } from './actor-checkpoint.js';
import { newJobId, resolveCheckpointDir } from './checkpoint-storage.js';
import type { CheckpointConfig } from './checkpoint-types.js';
import { ConfigError } from './errors.js';

/** Checkpointing options of execute(); only `intervalMs` is required to turn it on. */
export interface CheckpointOptions {
  intervalMs: number;
  mode?: 'full' | 'incremental';
  guarantee?: 'exactly-once' | 'at-least-once';
  /** A folder or a file:// URI; the job gets its own folder inside. Default: `<tmp>/snapflow-checkpoints`. */
  dir?: string;
  retained?: number;
  timeoutMs?: number;
  minPauseMs?: number;
  maxConcurrent?: number;
  tolerableFailures?: number;
  maxDeltas?: number;
  maxDeltaRatio?: number;
}

/** The resolved state settings of a run. */
export interface ResolvedState {
  jobId: string;
  actors: ActorStateSettings;
  /** Present when checkpointing is on. */
  checkpoints?: CheckpointConfig;
}

function check(option: string, value: number, min: number, integer = true): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new ConfigError(option, `must be ${integer ? 'an integer' : 'a number'} ≥ ${min}, got ${String(value)}`);
  }
  return value;
}

function oneOf<T extends string>(option: string, value: T | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value)) throw new ConfigError(option, `must be one of ${allowed.join(', ')}, got ${String(value)}`);
  return value;
}

/** Checks the options (errors name the CLI flag) and fixes the job's id and folders. */
export function resolveState(jobName: string, backend: string | undefined, opts: CheckpointOptions | undefined, stateDir?: string): ResolvedState {
  const kind = oneOf('state-backend', backend as 'lmdb' | 'heap' | undefined, ['lmdb', 'heap'], 'lmdb');
  const jobId = newJobId(jobName);
  const actors: ActorStateSettings = { backend: kind, workDir: join(stateDir ?? join(tmpdir(), 'snapflow-state'), jobId) };
  if (!opts) return { jobId, actors };
  const mode = oneOf('checkpoint-mode', opts.mode, ['full', 'incremental'], 'full');
  if (kind === 'heap' && mode === 'incremental') {
    throw new ConfigError('checkpoint-mode', 'the heap state backend takes full checkpoints only; use --state-backend lmdb for incremental checkpoints');
  }
  const config: CheckpointConfig = {
    intervalMs: check('checkpoint-interval', opts.intervalMs, 1),
    mode, backend: kind,
    guarantee: oneOf('checkpointing-mode', opts.guarantee, ['exactly-once', 'at-least-once'], 'exactly-once'),
    jobDir: join(resolveCheckpointDir(opts.dir ?? join(tmpdir(), 'snapflow-checkpoints')), jobId),
    retained: check('retained', opts.retained ?? 1, 1),
    timeoutMs: check('checkpoint-timeout', opts.timeoutMs ?? 600_000, 1),
    minPauseMs: check('min-pause', opts.minPauseMs ?? 0, 0),
    maxConcurrent: check('max-concurrent-checkpoints', opts.maxConcurrent ?? 1, 1),
    tolerableFailures: check('tolerable-failures', opts.tolerableFailures ?? 0, 0),
    maxDeltas: check('max-deltas', opts.maxDeltas ?? DEFAULT_REBASE.maxDeltas, 1),
    maxDeltaRatio: check('max-delta-ratio', opts.maxDeltaRatio ?? DEFAULT_REBASE.maxDeltaRatio, Number.MIN_VALUE, false),
  };
  actors.checkpointing = { guarantee: config.guarantee, mode, jobDir: config.jobDir, maxDeltas: config.maxDeltas, maxDeltaRatio: config.maxDeltaRatio };
  return { jobId, actors, checkpoints: config };
}
