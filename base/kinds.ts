/**
 * The named choices a user makes about state and checkpoints, each with the list of its
 * values, so that options, flags and checks all spell them the same way.
 */

/** Where keyed state lives while a job runs. */
export type BackendKind = 'lmdb' | 'heap';
/** Every state backend, in the order help texts list them. */
export const BACKEND_KINDS: readonly BackendKind[] = ['lmdb', 'heap'];

/** Whether a checkpoint writes the whole state or only what changed since the last one. */
export type CheckpointMode = 'full' | 'incremental';
/** Every checkpoint mode. */
export const CHECKPOINT_MODES: readonly CheckpointMode[] = ['full', 'incremental'];

/** exactly-once aligns barriers; at-least-once does not hold channels back. */
export type Guarantee = 'exactly-once' | 'at-least-once';
/** Every processing guarantee. */
export const GUARANTEES: readonly Guarantee[] = ['exactly-once', 'at-least-once'];
