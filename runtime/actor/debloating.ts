/**
 * Buffer debloating at an actor: every sample period it measures the records its input gate
 * handled and, when the batch size its senders should use moved, asks each input channel's
 * sender for it. The arithmetic is transport/debloat.ts's.
 */
import { unrefTimer, type Clock } from '../../base/clock.js';
import type { InputChannel } from '../transport/channel.js';
import { BufferDebloater } from '../transport/debloat.js';

/** How often throughput is sampled, as Flink samples it. */
const SAMPLE_MS = 200;
/** The smallest batch worth sending. */
const MIN_BATCH = 16;

/** Samples an actor's throughput and announces batch sizes to its senders. */
export class Debloating {
  private readonly debloater: BufferDebloater;
  private timer: unknown = null;
  private lastRecords = 0;
  private lastAt = 0;
  private stopped = false;

  constructor(private readonly o: { clock: Clock; inputs: InputChannel[]; targetMs: number; credits: number; batchSize: number; recordsIn: () => number }) {
    this.debloater = new BufferDebloater({ targetMs: o.targetMs, channels: o.inputs.length, credits: o.credits, maxBatch: o.batchSize, minBatch: Math.min(MIN_BATCH, o.batchSize) });
  }

  /** The batch size the senders were last asked for. */
  get batchSize(): number {
    return this.debloater.batchSize;
  }

  /** Starts sampling (the actor started processing). */
  start(): void {
    this.lastAt = this.o.clock.now();
    this.schedule();
  }

  private schedule(): void {
    this.timer = this.o.clock.setTimer(SAMPLE_MS, () => {
      this.timer = null;
      if (this.stopped) return;
      const now = this.o.clock.now();
      const records = this.o.recordsIn();
      const size = this.debloater.sample(records - this.lastRecords, now - this.lastAt);
      [this.lastRecords, this.lastAt] = [records, now];
      if (size !== null) for (const c of this.o.inputs) c.announceBatchSize?.(size);
      this.schedule();
    });
    // Sampling alone must not keep a stalled job's process alive.
    unrefTimer(this.timer);
  }

  /** Stops sampling. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.o.clock.cancelTimer(this.timer);
    this.timer = null;
  }
}
