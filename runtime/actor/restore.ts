/**
 * A subtask's restore: its keyed state is rebuilt from the handles the restore plan gave it
 * (base and deltas, or a full file), before any operator opens. The time it takes is what
 * the job reports as this subtask's restore time.
 */
import type { KeyedStateHandle, StateFileRef, StateFileSource } from '../../backends/snapshot.js';
import type { SourceSplitState } from '../../operators/api.js';
import type { KeyedStateBackend } from '../../backends/state.js';
import type { FaultInjector } from './faults.js';
import { CheckpointStorage } from '../storage/checkpoint-storage.js';
import type { Clock } from '../../base/clock.js';

/** What one subtask restores before it opens its operators. */
export interface ActorRestore {
  /** Id of the checkpoint restored; 0 for a restart before any checkpoint completed (nothing to restore). */
  checkpointId: number;
  /** Folder the handles' file paths are relative to, and whether it is a savepoint (flat) folder. */
  storageDir: string;
  flat: boolean;
  /** Parallelism of the chain in the checkpoint. */
  previousParallelism: number;
  /** Former subtasks whose non-keyed work this subtask takes over. */
  inheritedSubtasks: number[];
  /** Keyed state handles overlapping this subtask's key groups. */
  keyed: KeyedStateHandle[];
  /** Source chains: the inherited positions (absent when the sources start from the beginning). */
  sources?: SourceSplitState[];
  /** The handles are this job's own checkpoint, so incremental snapshots may continue on them. */
  continueChain: boolean;
}

/** What restoreActorState needs. */
export interface RestoreRequest {
  restore: ActorRestore;
  /** The chain's keyed backend, or null for a chain without keyed state. */
  keyed: KeyedStateBackend | null;
  clock: Clock;
  faults: FaultInjector;
  /** Names of the chain's operators (injections target them). */
  operators: string[];
}

/** Figures of one subtask's restore. */
export interface RestoreReport {
  ms: number;
  bytes: number;
  handles: number;
}

/** Reads files through `source`, firing an armed restore injection once the first chunk has been read. */
function faulty(source: StateFileSource, fire: () => void): StateFileSource {
  let fired = false;
  return {
    async *read(ref: StateFileRef) {
      for await (const chunk of source.read(ref)) {
        yield chunk;
        if (!fired) {
          fired = true;
          fire();
        }
      }
    },
  };
}

/** Restores the subtask's keyed state; throws CorruptCheckpointError naming a damaged file. */
export async function restoreActorState(req: RestoreRequest): Promise<RestoreReport> {
  const { restore, keyed, clock } = req;
  const t0 = clock.now();
  const injected = req.faults.duringRestore(req.operators);
  const fire = () => {
    if (injected) req.faults.fire(injected);
  };
  let bytes = 0;
  if (keyed && restore.keyed.length > 0) {
    let source = new CheckpointStorage(restore.storageDir, { flat: restore.flat }).source();
    if (injected) source = faulty(source, fire);
    await keyed.restore(restore.keyed, source, { continueChain: restore.continueChain });
    for (const h of restore.keyed) for (const f of h.files) bytes += f.bytes;
  }
  fire();
  return { ms: clock.now() - t0, bytes, handles: restore.keyed.length };
}
