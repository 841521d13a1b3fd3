/**
 * An actor's running figures on their way to the main thread: every metrics interval the
 * reporter samples the actor's counters and hands over the latency a sink subtask measured
 * since the previous report, so that a job can be watched while it runs.
 */
import { unrefTimer, type Clock } from '../../base/clock.js';
import { LatencyRecorder } from '../metrics/latency.js';
import type { ActorMetricsReport, ControlFromActor } from '../transport/protocol.js';

/** The counters of the actor at the moment of a report. */
export type ActorSample = Omit<ActorMetricsReport, 'at' | 'latency'>;

/** What the reporter needs from its actor. */
export interface ReporterHost {
  clock: Clock;
  /** Milliseconds between two reports; 0 reports only once, as the actor finishes. */
  intervalMs: number;
  sample(): ActorSample;
  send(msg: ControlFromActor): void;
}

/** Sends an actor's metrics report every interval, and a last one as it finishes. */
export class MetricsReporter {
  readonly latency = new LatencyRecorder();
  private timer: unknown = null;
  private stopped = false;

  constructor(private readonly host: ReporterHost) {}

  /** Starts the periodic reports (the actor started processing). */
  start(): void {
    if (this.host.intervalMs > 0) this.schedule();
  }

  private schedule(): void {
    this.timer = this.host.clock.setTimer(this.host.intervalMs, () => {
      this.timer = null;
      if (this.stopped) return;
      this.report();
      this.schedule();
    });
    // Reports alone must not keep a stalled job's process alive: it would never notice it stalled.
    unrefTimer(this.timer);
  }

  private report(): void {
    const latency = this.latency.take();
    const report: ActorMetricsReport = { ...this.host.sample(), at: this.host.clock.wall() };
    if (latency !== undefined) report.latency = latency;
    this.host.send({ kind: 'metrics', report });
  }

  /** Stops reporting; `final` sends the last report first (a finishing actor, not a failing one). */
  stop(final: boolean): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== null) this.host.clock.cancelTimer(this.timer);
    this.timer = null;
    if (final) this.report();
  }
}
