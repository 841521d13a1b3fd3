/** The checkpoint statistics of a run: one row per checkpoint, as Flink's checkpoint page shows them, and their summary. */
import type { SubtaskCheckpointStats } from '../storage/metadata.js';

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
  /** Entries it wrote (upserts and deletions), and of them deletions. */
  writtenEntries: number;
  writtenDeletions: number;
  /** Some subtask took it unaligned (its barriers overtook in-flight data there). */
  unaligned: boolean;
  /** Bytes the subtasks read from its first barrier to its last (Flink's processed in-flight data). */
  processedBytes: number;
  /** Bytes of in-flight batches it kept as channel state (Flink's persisted in-flight data). */
  persistedBytes: number;
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
    processedBytes: MinAvgMax;
    persistedBytes: MinAvgMax;
  } | null;
}

function minAvgMax(values: number[]): MinAvgMax {
  if (values.length === 0) return { min: 0, avg: 0, max: 0 };
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  return { min, avg: sum / values.length, max };
}

/** Summary over completed checkpoints; subtask figures are taken over every subtask of each. */
function summarize(checkpoints: CheckpointSummary[]): CheckpointStats['summary'] {
  const done = checkpoints.filter((c) => c.status === 'completed');
  if (done.length === 0) return null;
  const sub = done.flatMap((c) => c.subtasks);
  const of = (f: (s: SubtaskCheckpointStats) => number) => minAvgMax(sub.map(f));
  return {
    endToEndMs: minAvgMax(done.map((c) => c.endToEndMs)),
    checkpointedBytes: minAvgMax(done.map((c) => c.checkpointedBytes)),
    fullStateBytes: minAvgMax(done.map((c) => c.fullStateBytes)),
    syncMs: of((s) => s.syncMs),
    asyncMs: of((s) => s.asyncMs),
    alignmentMs: of((s) => s.alignmentMs),
    startDelayMs: of((s) => s.startDelayMs),
    processedBytes: minAvgMax(done.map((c) => c.processedBytes)),
    persistedBytes: minAvgMax(done.map((c) => c.persistedBytes)),
  };
}

/** The checkpoints of one attempt as they end, and the problems that failed none of them. */
export class CheckpointHistory {
  private readonly rows: CheckpointSummary[] = [];
  private readonly warnings: string[] = [];

  /** A checkpoint ended. */
  add(row: CheckpointSummary): void {
    this.rows.push(row);
  }

  /** Something went wrong that failed no checkpoint: files left behind, a retention step. */
  warn(line: string): void {
    this.warnings.push(line);
  }

  /** The statistics so far, of a job that triggered `triggered` checkpoints. */
  stats(jobId: string, jobDir: string, triggered: number): CheckpointStats {
    const count = (s: CheckpointStatus) => this.rows.filter((h) => h.status === s).length;
    const checkpoints = [...this.rows].sort((a, b) => a.id - b.id);
    return {
      jobId, jobDir, counts: { triggered, completed: count('completed'), failed: count('failed'), aborted: count('aborted') },
      checkpoints, warnings: [...this.warnings], summary: summarize(checkpoints),
    };
  }
}

/** Checkpoint statistics over all attempts. */
export function mergeCheckpointStats(parts: CheckpointStats[], warnings: string[]): CheckpointStats | undefined {
  if (parts.length === 0) return undefined;
  const checkpoints = parts.flatMap((p) => p.checkpoints).sort((a, b) => a.id - b.id);
  const sum = (k: keyof CheckpointStats['counts']) => parts.reduce((n, p) => n + p.counts[k], 0);
  return {
    jobId: parts[0].jobId, jobDir: parts[0].jobDir,
    counts: { triggered: sum('triggered'), completed: sum('completed'), failed: sum('failed'), aborted: sum('aborted') },
    checkpoints, warnings: [...parts.flatMap((p) => p.warnings), ...warnings], summary: summarize(checkpoints),
  };
}
