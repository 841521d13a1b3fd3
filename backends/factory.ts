/**
 * Creates a subtask's keyed state backend from its options, refusing combinations that
 * cannot work with a ConfigError that names the option.
 */
import { ConfigError } from '../base/errors.js';
import { checkNumber } from '../base/validate.js';
import { HeapKeyedStateBackend } from './heap/backend.js';
import { LmdbKeyedStateBackend } from './lmdb/backend.js';
import type { KeyedBackendOptions, KeyedStateBackend } from './state.js';

/**
 * When an incremental chain is re-based. A restore merges the deltas with their base in one
 * pass (lmdb/restore.ts), so the longest chain these allow restored 1,000,000 keys in about
 * 1.2× the time of a full checkpoint of the same state (15 deltas of 1%, or 20 of 0.75%:
 * `bench recovery --policy-worst-case`). 0.15 keeps re-bases (a whole-state copy on the
 * actor's thread) to one per 15 checkpoints at 1% updates. The delta count bounds the files a
 * restore opens and holds in memory.
 */
export const DEFAULT_REBASE = { maxDeltas: 20, maxDeltaRatio: 0.15 } as const;

/** Throws a ConfigError naming the option if the backend cannot work with these settings. */
export function checkBackendOptions(opts: Pick<KeyedBackendOptions, 'kind' | 'mode' | 'maxDeltas' | 'maxDeltaRatio' | 'stateCacheMb'>): void {
  if (opts.kind === 'heap' && opts.mode === 'incremental') {
    throw new ConfigError('checkpoint-mode', 'the heap state backend takes full checkpoints only; use --state-backend lmdb for incremental checkpoints');
  }
  checkNumber('max-deltas', opts.maxDeltas, { integer: true, min: 1 });
  checkNumber('max-delta-ratio', opts.maxDeltaRatio, { min: 0, exclusive: true });
  if (opts.stateCacheMb !== undefined) checkNumber('state-cache-mb', opts.stateCacheMb, { min: 0 });
}

/** Checks the options and creates the backend they describe. */
export function createKeyedBackend(opts: KeyedBackendOptions): KeyedStateBackend {
  checkBackendOptions(opts);
  if (opts.kind === 'heap') return new HeapKeyedStateBackend({ keyGroups: opts.keyGroups });
  return new LmdbKeyedStateBackend(opts);
}
