/**
 * When the coordinator triggers the next checkpoint: a pure decision over what it knows now,
 * so that the rules (every actor running, the concurrency limit, the minimum pause, nothing
 * after a stop-with-savepoint, savepoints first, the final checkpoint alone) can be tested
 * without clocks or timers.
 */

/** What the decision looks at. Times are the coordinator clock's milliseconds. */
export interface TriggerState {
  /** The time of the decision. */
  now: number;
  /** The job is failing or stopped, or its final checkpoint completed: nothing more is triggered. */
  ended: boolean;
  /** start() was called and every actor reported running. */
  ready: boolean;
  /** Checkpoints in flight. */
  inFlight: number;
  /** One of them is a stop-with-savepoint. */
  stopping: boolean;
  /** Checkpoints allowed in flight at once. */
  maxConcurrent: number;
  /** A savepoint was asked for and waits to be triggered. */
  savepointWaiting: boolean;
  /** Every source is exhausted: the final checkpoint is due. */
  finalRequested: boolean;
  /** An actor asked for a checkpoint outside the interval. */
  requested: boolean;
  /** When the last checkpoint was triggered. */
  lastTrigger: number;
  /** When the last checkpoint ended (completed, failed or aborted). */
  lastEnd: number;
  /** Time between two periodic triggers. */
  intervalMs: number;
  /** Least time between the end of one checkpoint and the next trigger. */
  minPauseMs: number;
}

/** What to do now. */
export type TriggerDecision =
  | { action: 'none' }
  | { action: 'wait'; ms: number }
  | { action: 'savepoint' }
  | { action: 'checkpoint'; final: boolean };

const NONE: TriggerDecision = { action: 'none' };

/** The next step: trigger a savepoint or a checkpoint now, wait so long and ask again, or do nothing until something changes. */
export function nextTrigger(s: TriggerState): TriggerDecision {
  if (s.ended || !s.ready) return NONE;
  if (s.inFlight >= s.maxConcurrent) return NONE;
  // Nothing may complete after a stop-with-savepoint: its sinks would commit output the stopped job then lacks.
  if (s.stopping) return NONE;
  // The final checkpoint goes alone, once everything before it has ended.
  if (s.finalRequested && s.inFlight > 0) return NONE;
  if (s.savepointWaiting && !s.finalRequested) return { action: 'savepoint' };
  const early = s.finalRequested || s.requested;
  const due = Math.max(s.lastEnd + s.minPauseMs, early ? -Infinity : s.lastTrigger + s.intervalMs);
  if (s.now < due) return { action: 'wait', ms: due - s.now };
  return { action: 'checkpoint', final: s.finalRequested };
}
