/**
 * Creates a subtask's keyed state backend from its options, refusing combinations that
 * cannot work with a ConfigError that names the option.
 */
import { ConfigError } from '../runtime/errors.js';
import { HeapKeyedStateBackend } from './heap.js';
import { LmdbKeyedStateBackend } from './lmdb.js';
import type { KeyedBackendOptions, KeyedStateBackend } from './state.js';

/**
 * When an incremental chain is re-based. A restore merges the deltas with their base in one
 * pass (lmdb-restore.ts), so the longest chain these allow restored 1,000,000 keys in about
 * 1.2× the time of a full checkpoint of the same state (15 deltas of 1%, or 20 of 0.75%:
 * `bench recovery --policy-worst-case`). 0.15 keeps re-bases (a whole-state copy on the
 * actor's thread) to one per 15 checkpoints at 1% updates. The delta count bounds the files a
 * restore opens and holds in memory.
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
