/** The figures a job reports when it ends: duration, throughput, actors, checkpoints, restarts and restores. */
import type { CheckpointStats } from '../checkpoint/stats.js';
import type { ActorStats } from '../transport/protocol.js';
import type { LatencySummary } from '../metrics/latency.js';

/** Figures of a finished job. */
export interface JobStats {
  durationMs: number;
  /** Records emitted by all sources. */
  sourceRecords: number;
  recordsPerSec: number;
  actors: ActorStats[];
  /** Present when checkpointing was on. */
  checkpoints?: CheckpointStats;
  /** Every restart, with its cause (empty when the job never failed). */
  restarts: RestartRecord[];
  /** Every restore: from a savepoint or checkpoint at the start, and after each restart. */
  restores: RestoreRecord[];
  /** Injected failures that fired. */
  failuresInjected: number;
  /** Set when the job was stopped with a savepoint: its folder. */
  stoppedWithSavepoint?: string;
  /** End-to-end latency of the latency markers that reached a sink, over the run and per metrics interval. */
  latency?: LatencySummary;
}

/** One restart of the job. */
export interface RestartRecord {
  /** 1 for the first restart. */
  attempt: number;
  cause: string;
  delayMs: number;
  /** Checkpoint the restart restored (0: none had completed; the job started over). */
  checkpointId: number;
}

/** One subtask's part of a restore. */
export interface SubtaskRestore {
  actor: string;
  chain: number;
  subtask: number;
  ms: number;
  bytes: number;
  handles: number;
}

/** One restore of the whole job. */
export interface RestoreRecord {
  /** 0 for a restore at the start (a resumed job), n after the n-th restart. */
  attempt: number;
  checkpointId: number;
  /** Slowest subtask, the time the job waited for its state. */
  maxMs: number;
  subtasks: SubtaskRestore[];
}

/** What execute() returns. */
export interface JobResult {
  /** Records of each collect sink, by sink name. */
  results: Record<string, unknown[]>;
  stats: JobStats;
}
