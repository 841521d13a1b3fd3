/**
 * The task metrics of a running job on the main thread: from each actor's latest two reports,
 * the rates and time shares Flink's task metrics give (records in and out per second, busy,
 * idle and backpressured time per second) over the last interval.
 */
import type { ActorMetricsReport } from '../transport/protocol.js';
import { perSecond } from './time-shares.js';

/** Who reported: an actor of the plan. */
export interface ReportingActor {
  chain: number;
  subtask: number;
  /** The chain's name (its operators'). */
  operator: string;
}

/** One actor's figures over its last reporting interval. */
export interface TaskMetricsRow extends ReportingActor {
  /** Wall-clock ms of the latest report. */
  at: number;
  recordsIn: number;
  recordsOut: number;
  numRecordsInPerSecond: number;
  numRecordsOutPerSecond: number;
  busyTimeMsPerSecond: number;
  idleTimeMsPerSecond: number;
  backPressuredTimeMsPerSecond: number;
  /** Alignment time of the actor's last checkpoint, in ms. */
  checkpointAlignmentTime: number;
  /** The actor's input watermark, once it has one. */
  watermark?: number;
}

interface Reports {
  actor: ReportingActor;
  previous: ActorMetricsReport | null;
  latest: ActorMetricsReport;
}

const round1 = (v: number) => Math.round(v * 10) / 10;

/** The latest figures of every actor of the running attempt. */
export class TaskMetrics {
  private readonly reports = new Map<string, Reports>();

  /** An actor's report arrived. */
  add(actor: ReportingActor, report: ActorMetricsReport): void {
    const key = `${actor.chain}/${actor.subtask}`;
    const known = this.reports.get(key);
    // An actor of a new attempt starts its counters over: its first report has no predecessor.
    const previous = known && known.latest.elapsedMs <= report.elapsedMs ? known.latest : null;
    this.reports.set(key, { actor, previous, latest: report });
  }

  /** A new attempt starts: the figures of the old one's actors no longer describe the job. */
  clear(): void {
    this.reports.clear();
  }

  /** Every actor's figures, by chain then subtask. */
  rows(): TaskMetricsRow[] {
    const rows = [...this.reports.values()].map(({ actor, previous, latest }) => {
      const base = previous ?? { elapsedMs: 0, recordsIn: 0, recordsOut: 0, busyMs: 0, backPressuredMs: 0 };
      const span = latest.elapsedMs - base.elapsedMs;
      const rate = (now: number, before: number) => (span <= 0 ? 0 : round1(((now - before) / span) * 1000));
      const shares = perSecond(span, latest.busyMs - base.busyMs, latest.backPressuredMs - base.backPressuredMs);
      const row: TaskMetricsRow = {
        ...actor, at: latest.at, recordsIn: latest.recordsIn, recordsOut: latest.recordsOut,
        numRecordsInPerSecond: rate(latest.recordsIn, base.recordsIn), numRecordsOutPerSecond: rate(latest.recordsOut, base.recordsOut),
        busyTimeMsPerSecond: shares.busy, idleTimeMsPerSecond: shares.idle, backPressuredTimeMsPerSecond: shares.backPressured,
        checkpointAlignmentTime: latest.checkpointAlignmentMs,
      };
      if (latest.watermark !== undefined) row.watermark = latest.watermark;
      return row;
    });
    return rows.sort((a, b) => a.chain - b.chain || a.subtask - b.subtask);
  }
}
