/**
 * Types of the checkpointing protocol shared by the coordinator, the actors, checkpoint
 * storage and the CLI: configuration, what each subtask acknowledges, and the metadata
 * file that makes a checkpoint complete.
 */
import type { KeyedStateHandle } from '../backends/handles.js';

/** Checkpointing settings of a job (Flink's names in brackets where they differ). */
export interface CheckpointConfig {
  /** Milliseconds between checkpoint triggers. */
  intervalMs: number;
  /** Full snapshots every time, or only what changed since the last completed checkpoint. */
  mode: 'full' | 'incremental';
  /** Where keyed state lives while the job runs. */
  backend: 'lmdb' | 'heap';
  /** exactly-once aligns barriers; at-least-once does not hold channels back. */
  guarantee: 'exactly-once' | 'at-least-once';
  /** The job's checkpoint folder (already resolved: `<checkpoint-dir>/<job id>`). */
  jobDir: string;
  /** Completed checkpoints kept; older ones are deleted with every file only they use. */
  retained: number;
  /** A checkpoint not complete after this long is aborted. */
  timeoutMs: number;
  /** Least time between the end of one checkpoint and the trigger of the next. */
  minPauseMs: number;
  /** Checkpoints in flight at once. */
  maxConcurrent: number;
  /** Failed checkpoints in a row that the job tolerates; one more fails the job. */
  tolerableFailures: number;
  /** Incremental mode: deltas on one base before a fresh base is written. */
  maxDeltas: number;
  /** Incremental mode: delta bytes, as a share of the base's bytes, before a fresh base is written. */
  maxDeltaRatio: number;
}

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
  mode: 'full' | 'incremental';
  backend: 'lmdb' | 'heap';
  maxParallelism: number;
  /** Names of the job's operator chains, in plan order; a resumed job must have the same. */
  chains?: string[];
  /** Wall-clock ms of the trigger and of completion. */
  triggeredAt: number;
  completedAt: number;
  subtasks: SubtaskState[];
  stats: SubtaskCheckpointStats[];
}

/** How a checkpoint ended. */
export type CheckpointStatus = 'completed' | 'failed' | 'aborted';

/** One row of the checkpoint history, as Flink's checkpoint page shows it. */
export interface CheckpointSummary {
  id: number;
  status: CheckpointStatus;
  /** Why it failed or was aborted. */
  reason?: string;
  final: boolean;
  /** Wall-clock ms. */
  triggeredAt: number;
  endToEndMs: number;
  /** Bytes this checkpoint wrote. */
  checkpointedBytes: number;
  /** Bytes of the state it represents (all files it stands on). */
  fullStateBytes: number;
  subtasks: SubtaskCheckpointStats[];
}

/** Min, average and max of a figure over completed checkpoints. */
export interface MinAvgMax {
  min: number;
  avg: number;
  max: number;
}

/** The checkpoint statistics of a run. */
export interface CheckpointStats {
  jobId: string;
  jobDir: string;
  counts: { triggered: number; completed: number; failed: number; aborted: number };
  checkpoints: CheckpointSummary[];
  /** Problems that did not fail a checkpoint: old files that could not be deleted, and the like. */
  warnings: string[];
  summary: {
    endToEndMs: MinAvgMax;
    checkpointedBytes: MinAvgMax;
    fullStateBytes: MinAvgMax;
    syncMs: MinAvgMax;
    asyncMs: MinAvgMax;
    alignmentMs: MinAvgMax;
    startDelayMs: MinAvgMax;
  } | null;
}
