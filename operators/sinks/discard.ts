/**
 * Drops records, optionally slowly (to exercise backpressure) and optionally measuring
 * end-to-end latency from a wall-clock field the source stamped.
 */
import { wallNow } from '../../base/clock.js';
import { checkNumber } from '../../base/validate.js';
import type { Collector, OperatorContext, StreamOperator } from '../api.js';

/** Options of the discard sink. */
export interface DiscardOptions {
  /** Accept at most this many records per second (per subtask); unlimited when absent. */
  ratePerSec?: number;
  /** Field holding the wall-clock emit time (ms) for latency sampling. */
  latencyField?: string;
}

const SAMPLE_EVERY = 16;
const MAX_SAMPLES = 200_000;

/** The discard sink. */
export class DiscardSink implements StreamOperator {
  private ctx!: OperatorContext;
  private count = 0;
  private startedAt = 0;
  private waiting: Promise<void> | null = null;
  private timer: unknown = null;
  private samples: number[] = [];

  constructor(private readonly options: DiscardOptions = {}) {
    const rate = options.ratePerSec;
    if (rate !== undefined) checkNumber('ratePerSec', rate, { min: 0, exclusive: true });
  }

  open(ctx: OperatorContext): void {
    this.ctx = ctx;
    this.startedAt = ctx.clock.now();
  }

  process(record: unknown, _out: Collector): void {
    this.count++;
    const field = this.options.latencyField;
    if (field !== undefined && this.count % SAMPLE_EVERY === 0 && this.samples.length < MAX_SAMPLES) {
      const sent = (record as Record<string, unknown>)[field];
      if (typeof sent === 'number') this.samples.push(wallNow() - sent);
    }
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
    if (this.samples.length > 0) this.ctx.metrics.latencySamples = this.samples;
  }
}
