/**
 * Buffer debloating, the receiver's arithmetic: from the records an actor processed per second,
 * the batch size its senders should use so that what is in flight towards it (every channel's
 * credit window of batches) holds about the target's worth of processing. Under backpressure a
 * full window of full batches can hold seconds of work, which an aligned barrier has to wait
 * behind; a window of smaller batches holds only the target's. Pure: the actor feeds it samples.
 */

/** What the debloater is tuned by. */
export interface DebloatSettings {
  /** Time's worth of processing that may be in flight towards the actor. */
  targetMs: number;
  /** Input channels of the actor and the credit (batches) each grants. */
  channels: number;
  credits: number;
  /** Largest batch (the configured batch size) and smallest worth sending. */
  maxBatch: number;
  minBatch: number;
}

/** Weight of a new throughput sample in the running estimate. */
const SMOOTHING = 0.3;
/** A new batch size is announced only when it differs from the last by more than this share. */
const THRESHOLD = 0.1;

/** Turns processing throughput into the batch size the actor's senders should use. */
export class BufferDebloater {
  private throughput: number | null = null;
  private announced: number;

  constructor(private readonly s: DebloatSettings) {
    this.announced = s.maxBatch;
  }

  /** The batch size senders use now. */
  get batchSize(): number {
    return this.announced;
  }

  /** Records per second, smoothed (null before the first sample). */
  get recordsPerSec(): number | null {
    return this.throughput;
  }

  /**
   * `records` were processed in the last `elapsedMs`: returns the batch size to announce when it
   * moved by more than a tenth, else null. A period without time tells nothing.
   */
  sample(records: number, elapsedMs: number): number | null {
    if (elapsedMs <= 0) return null;
    const rate = (records / elapsedMs) * 1000;
    this.throughput = this.throughput === null ? rate : this.throughput + SMOOTHING * (rate - this.throughput);
    const inFlight = (this.throughput * this.s.targetMs) / 1000;
    const batch = Math.round(Math.min(this.s.maxBatch, Math.max(this.s.minBatch, inFlight / (this.s.channels * this.s.credits))));
    if (Math.abs(batch - this.announced) <= this.announced * THRESHOLD) return null;
    this.announced = batch;
    return batch;
  }
}
