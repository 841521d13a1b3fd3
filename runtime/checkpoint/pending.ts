/**
 * One checkpoint between its trigger and its end: the acknowledgements collected so far, the
 * files written for it (removed if it is aborted), its timeout, and what it becomes when it
 * ends: the metadata written last, and its row in the checkpoint history.
 */
import type { CheckpointMetadata, SubtaskCheckpointStats, SubtaskState } from '../storage/metadata.js';
import type { CheckpointConfig } from './config.js';
import type { CheckpointStatus, CheckpointSummary } from './stats.js';
import { byChainThenSubtask } from '../plan/plan.js';

/** A savepoint asked for and not yet taken or finished. */
export interface SavepointRequest {
  /** Folder the savepoint is written to (created inside the folder the user named). */
  dir: string;
  stop: boolean;
  resolve(dir: string): void;
  reject(err: Error): void;
}

/** The job-wide facts every checkpoint's metadata records. */
export interface MetadataContext {
  jobId: string;
  jobName: string;
  config: CheckpointConfig;
  maxParallelism: number;
  chains?: string[];
}

/** A triggered checkpoint (or savepoint) that has not ended yet. */
export class PendingCheckpoint {
  private readonly acks = new Map<number, { state: SubtaskState; stats: SubtaskCheckpointStats }>();
  /** Files the acknowledging subtasks wrote for it. */
  readonly written: string[] = [];
  /** Every actor acknowledged; the metadata is being written. */
  completing = false;

  constructor(
    /** The checkpoint id. */
    readonly id: number,
    /** The final checkpoint of a bounded job. */
    readonly final: boolean,
    /** Wall-clock ms of the trigger. */
    readonly triggeredAt: number,
    /** Coordinator clock ms of the trigger, for the end-to-end time. */
    readonly startedAt: number,
    /** The timeout's timer handle. */
    readonly timer: unknown,
    /** Set when it is a savepoint asked for. */
    readonly savepoint?: SavepointRequest,
  ) {}

  /** Counts actor `actor`'s acknowledgement; true once all `actors` have acknowledged. */
  acknowledge(actor: number, state: SubtaskState, stats: SubtaskCheckpointStats, actors: number): boolean {
    this.acks.set(actor, { state, stats });
    this.written.push(...(state.keyed?.written ?? []));
    return this.acks.size === actors;
  }

  /** The subtasks' figures so far, by chain then subtask. */
  subtaskStats(): SubtaskCheckpointStats[] {
    return this.sorted().map((a) => a.stats);
  }

  /** The `_metadata` of this checkpoint, from every acknowledgement (completedAt is set when it is written). */
  metadata(c: MetadataContext): CheckpointMetadata {
    const acks = this.sorted();
    return {
      format: 'snapflow-checkpoint', version: 1, jobId: c.jobId, jobName: c.jobName, checkpointId: this.id,
      savepoint: this.savepoint !== undefined, final: this.final, mode: this.savepoint ? 'full' : c.config.mode, backend: c.config.backend,
      maxParallelism: c.maxParallelism, chains: c.chains,
      triggeredAt: this.triggeredAt, completedAt: 0, subtasks: acks.map((a) => a.state), stats: acks.map((a) => a.stats),
    };
  }

  /** Its row in the checkpoint history, ended at `endedAt` (coordinator clock). */
  summary(status: CheckpointStatus, reason: string | undefined, subtasks: SubtaskCheckpointStats[], endedAt: number): CheckpointSummary {
    const sum = (f: (s: SubtaskCheckpointStats) => number) => subtasks.reduce((n, s) => n + f(s), 0);
    return {
      id: this.id, status, reason, final: this.final, triggeredAt: this.triggeredAt, endToEndMs: endedAt - this.startedAt,
      checkpointedBytes: sum((s) => s.checkpointedBytes), fullStateBytes: sum((s) => s.fullStateBytes),
      writtenEntries: sum((s) => s.writtenEntries ?? 0), writtenDeletions: sum((s) => s.writtenDeletions ?? 0),
      unaligned: subtasks.some((s) => s.unaligned === true), processedBytes: sum((s) => s.processedBytes ?? 0), persistedBytes: sum((s) => s.persistedBytes ?? 0),
      subtasks: [...subtasks].sort(byChainThenSubtask),
    };
  }

  private sorted(): { state: SubtaskState; stats: SubtaskCheckpointStats }[] {
    return [...this.acks.values()].sort((a, b) => byChainThenSubtask(a.state, b.state));
  }
}
