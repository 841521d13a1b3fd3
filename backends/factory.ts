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
 * When an incremental chain is re-based. A re-base copies the whole state on the actor's thread;
 * the chain's waste (values later deltas superseded, deletions and their tombstones) is read in
 * vain only by a restore. Re-basing once the waste reaches the state's own size keeps the copies
 * amortized at most what the deltas wrote since the last base, and a restore at most about twice
 * the state's entries. A tighter ratio re-based Nexmark's q9 at three of six checkpoints, and
 * q3, whose state mostly grows, at every one. The delta count bounds the files a restore opens
 * and holds in memory.
 */
export const DEFAULT_REBASE = { maxDeltas: 20, maxDeltaRatio: 1 } as const;

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
