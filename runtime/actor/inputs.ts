/**
 * The input side of an actor: one queue per input channel, drained round-robin over the
 * channels that alignment does not block, each message handed to the actor in channel order.
 * After a batch its credit goes back, and the gate stops taking input while the outputs or an
 * operator cannot take more (or while a final barrier's flush runs), so that pressure reaches
 * the senders instead of piling up here.
 */
import type { InputChannel } from '../transport/channel.js';
import type { BarrierMessage, BatchMessage, DataMessage } from '../transport/protocol.js';

/** What the actor does with each message read from channel `channel`. */
export interface InputHandler {
  /** A batch: its records in order, and their event times when they have any. */
  records(channel: number, records: unknown[], timestamps: Float64Array | undefined): void;
  barrier(channel: number, barrier: BarrierMessage): void;
  watermark(channel: number, time: number): void;
  status(channel: number, idle: boolean): void;
  /** A latency marker that left its source at wall time `emittedAt`. */
  latency(emittedAt: number): void;
  end(channel: number): void;
  /** Sees each message as it arrives, before it queues; true when it took the message (an unaligned barrier, which overtakes the queue). */
  arrived?(channel: number, msg: DataMessage): boolean;
}

/** What the gate asks of its actor. */
export interface GateHost {
  /** Whether alignment holds channel `channel` back. */
  isBlocked(channel: number): boolean;
  /** A promise while the outputs or an operator cannot take more, else null. */
  backpressure(): Promise<unknown> | null;
  /** True once the actor failed: nothing more is read. */
  failed(): boolean;
  /** Fails the actor with `err` (a handler threw, or a pause's promise rejected). */
  fail(err: unknown): void;
  /** The channel's producer went away without end of input. */
  closed(channel: number): void;
  /** Milliseconds of a monotonic clock, for the time spent handling input. */
  now(): number;
}

/** Milliseconds one drain may run before the event loop gets a turn (port messages, timers, checkpoint work). */
const DRAIN_SLICE_MS = 2;

interface Input {
  channel: InputChannel;
  queue: DataMessage[];
  ended: boolean;
}

/** Reads an actor's input channels in order, under backpressure and alignment. */
export class InputGate {
  /** Records read so far. */
  recordsIn = 0;
  /** Batches read so far. */
  batchesIn = 0;
  /** Bytes of the batches read so far, as they crossed their channel. */
  bytesIn = 0;
  /** Milliseconds spent handling input (Flink's busy time). */
  busyMs = 0;
  private readonly inputs: Input[];
  private pauses = 0;
  private draining = false;
  private drainScheduled = false;
  private allEnded: () => void = () => {};

  constructor(channels: InputChannel[], private readonly handler: InputHandler, private readonly host: GateHost) {
    this.inputs = channels.map((channel) => ({ channel, queue: [], ended: false }));
  }

  /** Listens on every channel; resolves once each has delivered end of input. */
  run(): Promise<void> {
    if (this.inputs.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.allEnded = resolve;
      this.inputs.forEach((inp, c) => {
        inp.channel.onMessage((msg) => {
          try {
            if (this.handler.arrived?.(c, msg)) return this.scheduleDrain();
          } catch (err) {
            return this.host.fail(err);
          }
          inp.queue.push(msg);
          this.scheduleDrain();
        });
        inp.channel.onClose(() => this.host.closed(c));
      });
    });
  }

  /** Takes no input until `wait` settles; pauses nest, so input resumes once the last one ends. */
  pauseUntil(wait: Promise<unknown>): void {
    this.pauses++;
    wait.then(() => {
      this.pauses--;
      this.drain();
    }, (err: unknown) => this.host.fail(err));
  }

  /**
   * Drains on the next check phase rather than inside the message callback. A port delivers
   * up to a thousand messages in one callback, and a producer refilled by returned credit keeps
   * it going, which starved timers, file writes and the asynchronous part of snapshots.
   */
  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  /** Handles queued messages until every readable queue is empty, the gate pauses, or the actor fails. */
  drain(): void {
    if (this.draining || this.pauses > 0 || this.host.failed()) return;
    this.draining = true;
    const started = this.host.now();
    try {
      let progressed = true;
      while (progressed && this.pauses === 0 && !this.host.failed()) {
        progressed = false;
        for (let c = 0; c < this.inputs.length; c++) {
          const inp = this.inputs[c];
          if (inp.queue.length === 0 || this.host.isBlocked(c)) continue;
          progressed = true;
          this.handle(c, inp, inp.queue.shift()!);
          if (this.pauses > 0 || this.host.failed()) break;
          // Gives arrivals a turn: an unaligned barrier waits for one batch here, not for the whole queue.
          if (this.host.now() - started >= DRAIN_SLICE_MS) {
            this.scheduleDrain();
            return;
          }
        }
      }
    } catch (err) {
      this.host.fail(err);
    } finally {
      this.draining = false;
      this.busyMs += this.host.now() - started;
    }
  }

  private handle(c: number, inp: Input, msg: DataMessage): void {
    switch (msg.kind) {
      case 'batch': {
        this.handler.records(c, msg.records, msg.timestamps);
        this.recordsIn += msg.records.length;
        this.batchesIn++;
        this.bytesIn += msg.bytes ?? 0;
        inp.channel.release();
        const wait = this.host.backpressure();
        if (wait) this.pauseUntil(wait);
        return;
      }
      case 'end':
        inp.ended = true;
        inp.channel.close();
        this.handler.end(c);
        if (this.inputs.every((i) => i.ended)) this.allEnded();
        return;
      case 'barrier':
        this.handler.barrier(c, msg);
        return;
      case 'watermark':
        this.handler.watermark(c, msg.time);
        return;
      case 'status':
        this.handler.status(c, msg.idle);
        return;
      case 'latency':
        this.handler.latency(msg.emittedAt);
    }
  }

  /**
   * The batches queued on `channel` ahead of its barrier `id`, or all of them if that barrier
   * is not queued; the barrier leaves the queue (it was taken ahead of them), the batches stay.
   */
  queuedBefore(channel: number, id: number): { batches: BatchMessage[]; barrier: boolean } {
    const queue = this.inputs[channel].queue;
    const batches: BatchMessage[] = [];
    for (let i = 0; i < queue.length; i++) {
      const msg = queue[i];
      if (msg.kind === 'batch') batches.push(msg);
      else if (msg.kind === 'barrier' && msg.id === id) {
        queue.splice(i, 1);
        return { batches, barrier: true };
      }
    }
    return { batches, barrier: false };
  }

  /** The first channel whose queue holds barrier `id`, or -1. */
  queuedBarrier(id: number): number {
    return this.inputs.findIndex((inp) => inp.queue.some((m) => m.kind === 'barrier' && m.id === id));
  }

  /** Closes every channel; `step` runs each close, so that one failing does not skip the rest. */
  async close(step: (fn: () => unknown) => Promise<void>): Promise<void> {
    for (const inp of this.inputs) await step(() => inp.channel.close());
  }
}
