/**
 * Drops records, optionally slowly, to exercise backpressure. End-to-end latency is measured
 * by the runtime's latency markers at every sink, this one included.
 */
import { checkNumber } from '../../base/validate.js';
import type { Collector, OperatorContext, StreamOperator } from '../api.js';

/** Options of the discard sink. */
export interface DiscardOptions {
  /** Accept at most this many records per second (per subtask); unlimited when absent. */
  ratePerSec?: number;
}

/** The discard sink. */
export class DiscardSink implements StreamOperator {
  private ctx!: OperatorContext;
  private count = 0;
  private startedAt = 0;
  private waiting: Promise<void> | null = null;
  private timer: unknown = null;

  constructor(private readonly options: DiscardOptions = {}) {
    const rate = options.ratePerSec;
    if (rate !== undefined) checkNumber('ratePerSec', rate, { min: 0, exclusive: true });
  }

  open(ctx: OperatorContext): void {
    this.ctx = ctx;
    this.startedAt = ctx.clock.now();
  }

  process(_record: unknown, _out: Collector): void {
    this.count++;
  }

  blocked(): Promise<void> | null {
    const rate = this.options.ratePerSec;
    if (rate === undefined || this.waiting) return this.waiting;
    const dueAt = this.startedAt + (this.count / rate) * 1000;
    const ahead = dueAt - this.ctx.clock.now();
    if (ahead <= 1) return null;
    this.waiting = new Promise<void>((resolve) => {
      this.timer = this.ctx.clock.setTimer(ahead, () => {
        this.timer = null;
        this.waiting = null;
        resolve();
      });
    });
    return this.waiting;
  }

  close(): void {
    if (this.timer !== null) this.ctx.clock.cancelTimer(this.timer);
    this.timer = null;
  }

  finish(): void {
    this.ctx.metrics.discarded = this.count;
  }
}
