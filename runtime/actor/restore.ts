/**
 * A subtask's restore: its keyed state is rebuilt from the handles the restore plan gave it
 * (base and deltas, or a full file), and the in-flight batches an unaligned checkpoint kept
 * are read back for replay, before any operator opens. The time it takes is what
 * the job reports as this subtask's restore time.
 */
import type { KeyedStateHandle, StateFileRef, StateFileSource } from '../../backends/snapshot.js';
import type { SourceSplitState } from '../../operators/api.js';
import type { KeyedStateBackend } from '../../backends/state.js';
import type { FaultInjector } from './faults.js';
import { join } from 'node:path';
import { CheckpointStorage } from '../storage/checkpoint-storage.js';
import type { ChannelStateHandle } from '../storage/metadata.js';
import { decodeBatch, decodeChannelState, type ChannelStateDocument } from '../transport/codec.js';
import type { BatchMessage } from '../transport/protocol.js';
import { CorruptCheckpointError, errorMessage } from '../../base/errors.js';
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
  /** In-flight batches an unaligned checkpoint kept for this subtask (same parallelism only). */
  channelState?: ChannelStateHandle;
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

/** In-flight batches to replay before anything new: per input channel, and per output channel, in order. */
export interface InFlightReplay {
  inputs: BatchMessage[][];
  outputs: BatchMessage[][];
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

/** Reads a channel state file back into the batches to replay; throws CorruptCheckpointError naming the file. */
async function readChannelState(source: StateFileSource, handle: ChannelStateHandle, where: string): Promise<InFlightReplay> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of source.read(handle.file)) chunks.push(Uint8Array.from(chunk));
  let doc: ChannelStateDocument;
  try {
    doc = decodeChannelState(Buffer.concat(chunks));
  } catch (err) {
    throw new CorruptCheckpointError(join(where, handle.file.path), errorMessage(err));
  }
  const side = (list: ChannelStateDocument['inputs']) => {
    const out: BatchMessage[][] = [];
    for (const [channel, batches] of list) out[channel] = batches.map(decodeBatch);
    return Array.from(out, (b) => b ?? []);
  };
  return { inputs: side(doc.inputs), outputs: side(doc.outputs) };
}

/** Restores the subtask's keyed state and reads its channel state back; throws CorruptCheckpointError naming a damaged file. */
export async function restoreActorState(req: RestoreRequest): Promise<{ report: RestoreReport; replay?: InFlightReplay }> {
  const { restore, keyed, clock } = req;
  const t0 = clock.now();
  const injected = req.faults.duringRestore(req.operators);
  const fire = () => {
    if (injected) req.faults.fire(injected);
  };
  let bytes = 0;
  let source = new CheckpointStorage(restore.storageDir, { flat: restore.flat }).source();
  if (injected) source = faulty(source, fire);
  let replay: InFlightReplay | undefined;
  if (restore.channelState) {
    replay = await readChannelState(source, restore.channelState, restore.storageDir);
    bytes += restore.channelState.file.bytes;
  }
  if (keyed && restore.keyed.length > 0) {
    await keyed.restore(restore.keyed, source, { continueChain: restore.continueChain });
    for (const h of restore.keyed) for (const f of h.files) bytes += f.bytes;
  }
  fire();
  return { report: { ms: clock.now() - t0, bytes, handles: restore.keyed.length + (restore.channelState ? 1 : 0) }, replay };
}
