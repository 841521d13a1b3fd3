/**
 * Where an actor keeps keyed state and how it checkpoints it, as the coordinator hands it to
 * every actor, and the subtask backend those settings create: the backend and the snapshot
 * strategy are chosen together.
 */
import { join } from 'node:path';
import { createKeyedBackend, DEFAULT_REBASE } from '../../backends/factory.js';
import type { KeyedStateBackend } from '../../backends/state.js';
import type { KeyGroupRange } from '../../base/keygroups.js';
import type { BackendKind, CheckpointMode, Guarantee } from '../../base/kinds.js';

/** Where an actor keeps keyed state, and how it checkpoints it (absent: checkpointing is off). */
export interface ActorStateSettings {
  backend: BackendKind;
  /** Parent folder of the subtasks' working LMDB environments. */
  workDir: string;
  /** Budget of each LMDB subtask's cache of decoded values, in MiB (default: the backend's). */
  stateCacheMb?: number;
  checkpointing?: {
    guarantee: Guarantee;
    mode: CheckpointMode;
    jobDir: string;
    maxDeltas: number;
    maxDeltaRatio: number;
    /** Unaligned checkpoints (absent: every checkpoint aligns); 0 starts them unaligned, more starts them aligned and switches this long after the trigger. */
    alignedTimeoutMs?: number;
  };
}

/** Creates the keyed backend of a subtask as the settings say (on the heap without settings). */
export function keyedBackendFor(settings: ActorStateSettings | undefined, owner: string, keyGroups: KeyGroupRange): KeyedStateBackend {
  const c = settings?.checkpointing;
  return createKeyedBackend({
    kind: settings?.backend ?? 'heap', mode: c?.mode ?? 'full', keyGroups,
    workDir: join(settings?.workDir ?? '.', owner.replace(/[^A-Za-z0-9._-]+/g, '_')),
    maxDeltas: c?.maxDeltas ?? DEFAULT_REBASE.maxDeltas, maxDeltaRatio: c?.maxDeltaRatio ?? DEFAULT_REBASE.maxDeltaRatio,
    stateCacheMb: settings?.stateCacheMb,
  });
}
