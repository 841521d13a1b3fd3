/**
 * Creates a subtask's keyed state backend from its options, refusing combinations that
 * cannot work with a ConfigError that names the option.
 */
import { ConfigError } from '../runtime/errors.js';
import { HeapKeyedStateBackend } from './heap.js';
import { LmdbKeyedStateBackend } from './lmdb.js';
import type { KeyedBackendOptions, KeyedStateBackend } from './state.js';

/**
 * When an incremental chain is re-based. Measured with 1,000,000 keys (docs/checkpointing.md):
 * a chain whose deltas reach 0.10 × the base's bytes restored in about 1.45× the time of a
 * full checkpoint, 0.15 in about 1.6×, since a delta entry costs several times a base entry
 * to restore. 0.15 keeps re-bases (a whole-state copy on the actor's thread) to one per 15
 * checkpoints at 1% updates. The delta count bounds the files a restore opens.
 */
export const DEFAULT_REBASE = { maxDeltas: 20, maxDeltaRatio: 0.15 } as const;

/** Checks the options and creates the backend they describe. */
export function createKeyedBackend(opts: KeyedBackendOptions): KeyedStateBackend {
  if (opts.kind === 'heap' && opts.mode === 'incremental') {
    throw new ConfigError('checkpoint-mode', 'the heap state backend takes full checkpoints only; use --state-backend lmdb for incremental checkpoints');
  }
  if (!Number.isInteger(opts.maxDeltas) || opts.maxDeltas < 1) {
    throw new ConfigError('max-deltas', `must be a whole number of at least 1, got ${opts.maxDeltas}`);
  }
  if (!(opts.maxDeltaRatio > 0) || !Number.isFinite(opts.maxDeltaRatio)) {
    throw new ConfigError('max-delta-ratio', `must be a number greater than 0, got ${opts.maxDeltaRatio}`);
  }
  if (opts.kind === 'heap') return new HeapKeyedStateBackend({ keyGroups: opts.keyGroups });
  return new LmdbKeyedStateBackend(opts);
}
