/**
 * What happens while a job runs, as events for whoever watches it: each checkpoint or
 * savepoint as it completes, fails or is aborted, each restart and each restore. `snapflow
 * run` prints them as lines on stderr, or one JSON object per line with `--json-events`.
 */
import type { CheckpointSummary } from '../checkpoint/stats.js';

/** One event of a running job; `at` is wall-clock ms. */
export type JobEvent =
  | {
    kind: 'checkpoint' | 'savepoint';
    at: number;
    id: number;
    status: CheckpointSummary['status'];
    reason?: string;
    /** The final checkpoint of a bounded job. */
    final: boolean;
    endToEndMs: number;
    checkpointedBytes: number;
    fullStateBytes: number;
    /** The savepoint's folder. */
    dir?: string;
  }
  /** `strategy` says what the restart strategy decided, e.g. how many restarts it has left. */
  | { kind: 'restart'; at: number; attempt: number; strategy: string; cause: string; delayMs: number }
  | { kind: 'restore'; at: number; attempt: number; checkpointId: number; maxMs: number };

/** The event of a checkpoint or a savepoint. */
export type CheckpointEvent = Extract<JobEvent, { kind: 'checkpoint' | 'savepoint' }>;

/** The event of a checkpoint's (or savepoint's, with its folder) row of the history. */
export function checkpointEvent(s: CheckpointSummary, savepointDir?: string): JobEvent {
  return {
    kind: savepointDir === undefined ? 'checkpoint' : 'savepoint', at: Date.now(), id: s.id, status: s.status, ...(s.reason === undefined ? {} : { reason: s.reason }),
    final: s.final, endToEndMs: Math.round(s.endToEndMs * 100) / 100, checkpointedBytes: s.checkpointedBytes, fullStateBytes: s.fullStateBytes,
    ...(savepointDir === undefined ? {} : { dir: savepointDir }),
  };
}

function mib(bytes: number): string {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

/** One line for a person watching the job. */
export function describeEvent(e: JobEvent): string {
  switch (e.kind) {
    case 'checkpoint':
    case 'savepoint': {
      const what = `${e.kind} ${e.id}${e.final ? ' (final)' : ''}`;
      if (e.status !== 'completed') return `${what} ${e.status}: ${e.reason ?? 'no reason given'}`;
      const where = e.dir === undefined ? '' : ` in ${e.dir}`;
      return `${what} completed${where}: ${Math.round(e.endToEndMs)} ms end to end, ${mib(e.checkpointedBytes)} written, state ${mib(e.fullStateBytes)}`;
    }
    case 'restart':
      return `restart ${e.attempt} (${e.strategy}), cause: ${e.cause}`;
    case 'restore':
      return e.checkpointId === 0 ? `attempt ${e.attempt + 1} starts over: no checkpoint completed` : `attempt ${e.attempt + 1} restored checkpoint ${e.checkpointId} (slowest subtask ${Math.round(e.maxMs)} ms)`;
  }
}
