/**
 * The barriers an actor reads: each one and every end of input goes to the aligner, whose
 * decisions become a checkpoint taken and forwarded (once aligned) or declined (subsumed or
 * aborted). It also times each alignment: when the first barrier came, how long after the
 * trigger, and how many records were read until the last one arrived.
 */
import type { Clock } from '../../base/clock.js';
import { wallNow } from '../../base/clock.js';
import type { Guarantee } from '../../base/kinds.js';
import type { BarrierMessage } from '../transport/protocol.js';
import { BarrierAligner, type AlignmentEvent } from './barrier-aligner.js';
import type { AlignmentTiming } from './participant.js';

/** What the barrier handler asks of its actor. */
export interface BarrierHost {
  /** Times the alignments. */
  clock: Clock;
  /** Records read so far. */
  recordsIn(): number;
  /** Takes the checkpoint and forwards its barrier; a promise when input must wait for it. */
  checkpointAndForward(barrier: BarrierMessage, timing: AlignmentTiming): Promise<void> | null;
  /** Tells the coordinator this actor dropped checkpoint `id`. */
  decline(id: number, reason: string): void;
  /** Holds input back until `wait` settles. */
  pauseUntil(wait: Promise<unknown>): void;
}

/** Aligns the barriers of one actor's input channels and acts on the outcome. */
export class BarrierHandler {
  private readonly aligner: BarrierAligner;
  /** Alignments in progress: when the first barrier came, its start delay, records read by then. */
  private readonly alignments = new Map<number, { at: number; delay: number; records: number }>();

  constructor(channels: number, guarantee: Guarantee, private readonly host: BarrierHost) {
    this.aligner = new BarrierAligner(channels, guarantee);
  }

  /** Whether channel `channel` must stay unread until the pending checkpoint resolves. */
  isBlocked(channel: number): boolean {
    return this.aligner.isBlocked(channel);
  }

  /** A barrier arrived on `channel`. */
  onBarrier(channel: number, barrier: BarrierMessage): void {
    if (!this.alignments.has(barrier.id)) {
      this.alignments.set(barrier.id, { at: this.host.clock.now(), delay: Math.max(0, wallNow() - barrier.timestamp), records: this.host.recordsIn() });
    }
    this.act(this.aligner.onBarrier(channel, barrier));
  }

  /** End of input on `channel`: it holds no checkpoint back any more. */
  onEnd(channel: number): void {
    this.act(this.aligner.onEndOfInput(channel));
  }

  /** The coordinator aborted checkpoint `id`. */
  abort(id: number, reason: string): void {
    this.act(this.aligner.abort(id, reason));
  }

  private act(events: AlignmentEvent[]): void {
    for (const e of events) {
      if (e.kind === 'started') continue;
      if (e.kind === 'aborted') {
        this.alignments.delete(e.id);
        this.host.decline(e.id, e.reason);
        continue;
      }
      const b = e.barrier;
      const a = this.alignments.get(b.id);
      for (const id of this.alignments.keys()) if (id <= b.id) this.alignments.delete(id);
      const now = this.host.clock.now();
      const timing = { startDelayMs: a?.delay ?? 0, alignmentMs: a ? now - a.at : 0, alignedRecords: a ? this.host.recordsIn() - a.records : 0 };
      const barrier: BarrierMessage = { kind: 'barrier', id: b.id, timestamp: b.timestamp, final: b.final, savepoint: b.savepoint };
      const wait = this.host.checkpointAndForward(barrier, timing);
      if (wait) this.host.pauseUntil(wait);
    }
  }
}
