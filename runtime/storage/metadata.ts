/**
 * The `_metadata` file of a completed checkpoint and what each subtask contributes to it:
 * the contract between the actors that acknowledge, the coordinator that writes it last,
 * and everything that reads checkpoints back (restore, retention, listing).
 */
import type { KeyedStateHandle, StateFileRef } from '../../backends/snapshot.js';
import type { BackendKind, CheckpointMode } from '../../base/kinds.js';

/** Figures of one subtask's part in one checkpoint. */
export interface SubtaskCheckpointStats {
  chain: number;
  subtask: number;
  /** Name of the actor (chain name and subtask). */
  actor: string;
  /** Trigger to the first barrier reaching the subtask (for sources: to the barrier being emitted). */
  startDelayMs: number;
  /** First barrier to the last one of this checkpoint at the subtask. */
  alignmentMs: number;
  /** Records processed between the first and the last barrier. */
  alignedRecords: number;
  /** Time record processing stopped for the snapshot. */
  syncMs: number;
  /** Time of the copy to checkpoint storage, while processing went on. */
  asyncMs: number;
  /** Bytes this checkpoint wrote for the subtask. */
  checkpointedBytes: number;
  /** Bytes of all files the subtask's state stands on. */
  fullStateBytes: number;
  /** Entries in the files this checkpoint wrote: upserts and deletions. */
  writtenEntries: number;
  /** Of them, deletions (tombstones): state removed since the last checkpoint, carried by an incremental one. */
  writtenDeletions: number;
  /** Taken unaligned: barriers overtook the in-flight batches, kept as channel state (absent in older checkpoints: aligned). */
  unaligned?: boolean;
  /** Bytes read from the first barrier to the last one here (Flink's processed in-flight data). */
  processedBytes?: number;
  /** Bytes of in-flight batches kept as channel state (Flink's persisted in-flight data). */
  persistedBytes?: number;
}

/** Where one subtask's channel state of one unaligned checkpoint lies: in-flight batches by channel index. */
export interface ChannelStateHandle {
  file: StateFileRef;
  inputBatches: number;
  outputBatches: number;
}

/** What one subtask contributes to a checkpoint. */
export interface SubtaskState {
  chain: number;
  subtask: number;
  parallelism: number;
  /** Position of the source reader after the records before the barrier (sources only). */
  sourcePosition?: unknown;
  /** Keyed state (chains with a keyed operator only). */
  keyed?: KeyedStateHandle;
  /** In-flight batches an unaligned checkpoint kept (absent when there were none). */
  channelState?: ChannelStateHandle;
}

/** The `_metadata` file of a completed checkpoint; written last, atomically. */
export interface CheckpointMetadata {
  format: 'snapflow-checkpoint';
  version: 1;
  jobId: string;
  jobName: string;
  checkpointId: number;
  /** A checkpoint taken on request, never deleted by retention. */
  savepoint: boolean;
  /** The final checkpoint of a bounded job. */
  final: boolean;
  mode: CheckpointMode;
  backend: BackendKind;
  maxParallelism: number;
  /** Names of the job's operator chains, in plan order; a resumed job must have the same. */
  chains?: string[];
  /** Wall-clock ms of the trigger and of completion. */
  triggeredAt: number;
  completedAt: number;
  subtasks: SubtaskState[];
  stats: SubtaskCheckpointStats[];
}

/** Every file a checkpoint stands on, once per path (subtasks may share a file). */
export function referencedFiles(meta: CheckpointMetadata): StateFileRef[] {
  const byPath = new Map<string, StateFileRef>();
  for (const s of meta.subtasks) {
    for (const f of s.keyed?.files ?? []) if (!byPath.has(f.path)) byPath.set(f.path, f);
    if (s.channelState) byPath.set(s.channelState.file.path, s.channelState.file);
  }
  return [...byPath.values()];
}

/** The files a checkpoint wrote itself, whose bytes are its checkpointed size. */
export function writtenFiles(meta: CheckpointMetadata): StateFileRef[] {
  // Channel state always belongs to the checkpoint that kept it.
  const written = new Set(meta.subtasks.flatMap((s) => [...(s.keyed?.written ?? []), ...(s.channelState ? [s.channelState.file.path] : [])]));
  return referencedFiles(meta).filter((f) => written.has(f.path));
}
