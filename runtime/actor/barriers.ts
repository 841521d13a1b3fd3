/**
 * The barriers an actor reads. Aligned ones go to the aligner, whose decisions become a
 * checkpoint taken and forwarded (once aligned) or declined (subsumed or aborted). Unaligned
 * ones are taken as they arrive, ahead of the batches queued before them, which become the
 * checkpoint's channel state together with what the other channels deliver until their own
 * barrier comes; an aligned checkpoint whose alignment outlives the aligned timeout turns
 * unaligned the same way. It also times each checkpoint here: when the first barrier came,
 * how long after the trigger, and what was read until the snapshot.
 */
import type { Clock } from '../../base/clock.js';
import type { Guarantee } from '../../base/kinds.js';
import type { BarrierMessage, BatchMessage } from '../transport/protocol.js';
import { BarrierAligner, type AlignmentEvent, type BarrierInfo } from './barrier-aligner.js';
import { UnalignedBarriers, type UnalignedEvent } from './unaligned-barriers.js';
import type { ChannelStateRecorder } from './channel-state.js';
import type { AlignmentTiming } from './participant.js';

/** What the barrier handler asks of its actor. */
export interface BarrierHost {
  /** Times the alignments; its wall time judges the aligned timeout. */
  clock: Clock;
  /** Records read so far. */
  recordsIn(): number;
  /** Bytes of batches read so far. */
  bytesIn(): number;
  /** Takes the checkpoint and forwards its barrier; a promise when input must wait for it. */
  checkpointAndForward(barrier: BarrierMessage, timing: AlignmentTiming): Promise<void> | null;
  /** Tells the coordinator this actor dropped checkpoint `id`. */
  decline(id: number, reason: string): void;
  /** Holds input back until `wait` settles. */
  pauseUntil(wait: Promise<unknown>): void;
  /** The batches queued on `channel` ahead of its barrier `id` (all of them if it is not queued); the barrier leaves the queue, the batches stay. */
  queuedBefore(channel: number, id: number): { batches: BatchMessage[]; barrier: boolean };
  /** The first channel whose queue holds barrier `id`, or -1. */
  queuedBarrier(id: number): number;
  /** Channels may have been released: read on. */
  resume(): void;
}

/** Unaligned checkpoints at this actor (absent: every barrier aligns). */
export interface UnalignedSetup {
  /** 0: barriers are unaligned from the start; above: a checkpoint starts aligned and turns unaligned this long after its trigger. */
  alignedTimeoutMs: number;
  recorder: ChannelStateRecorder;
}

interface Seen {
  barrier: BarrierInfo;
  at: number;
  delay: number;
  records: number;
  bytes: number;
  timer: unknown;
}

/** Aligns, or takes unaligned, the barriers of one actor's input channels and acts on the outcome. */
export class BarrierHandler {
  private readonly aligner: BarrierAligner;
  private readonly unaligned: UnalignedBarriers;
  /** Checkpoints seen here and not yet taken: their first barrier and how it came. */
  private readonly seen = new Map<number, Seen>();
  /** Bytes read when each unaligned checkpoint was taken, until its last barrier arrives. */
  private readonly recordingSince = new Map<number, number>();

  constructor(channels: number, guarantee: Guarantee, private readonly host: BarrierHost, private readonly u?: UnalignedSetup) {
    this.aligner = new BarrierAligner(channels, guarantee);
    this.unaligned = new UnalignedBarriers(channels);
  }

  /** Whether channel `channel` must stay unread until the pending checkpoint resolves. */
  isBlocked(channel: number): boolean {
    return this.aligner.isBlocked(channel);
  }

  /**
   * Whether a barrier is taken as it arrives instead of in its place in the queue: an
   * unaligned barrier, one of a checkpoint already unaligned here, or one past the aligned
   * timeout. Savepoints and final checkpoints always align.
   */
  isPriority(barrier: BarrierMessage): boolean {
    if (!this.u || barrier.final || barrier.savepoint !== undefined) return false;
    return barrier.unaligned === true || this.unaligned.has(barrier.id) || this.pastTimeout(barrier);
  }

  /** A barrier arrived and was queued behind what came before it: under an aligned timeout, it may not wait there longer. */
  onQueued(barrier: BarrierMessage): void {
    if (this.u && this.u.alignedTimeoutMs > 0 && !barrier.final && barrier.savepoint === undefined) this.see(barrier);
  }

  /** A batch arrived on `channel`: a checkpoint still waiting for that channel's barrier keeps it. */
  onArrival(channel: number, batch: BatchMessage): void {
    if (!this.unaligned.active) return;
    for (const id of this.unaligned.recordingFor(channel)) this.u!.recorder.input(id, channel, batch);
  }

  /** An unaligned barrier (isPriority) arrived on `channel`, ahead of the queue. */
  onPriorityBarrier(channel: number, barrier: BarrierMessage): void {
    if (this.unaligned.has(barrier.id)) {
      this.actUnaligned(this.unaligned.onBarrier(channel, barrier));
      return;
    }
    this.see(barrier);
    this.goUnaligned(barrier.id, channel);
  }

  /** A barrier read in its place in the queue on `channel`. */
  onBarrier(channel: number, barrier: BarrierMessage): void {
    this.see(barrier);
    this.act(this.aligner.onBarrier(channel, barrier));
  }

  /** End of input on `channel`: it holds no checkpoint back. */
  onEnd(channel: number): void {
    this.act(this.aligner.onEndOfInput(channel));
    this.actUnaligned(this.unaligned.onEndOfInput(channel));
  }

  /** The coordinator aborted checkpoint `id`. */
  abort(id: number, reason: string): void {
    this.act(this.aligner.abort(id, reason));
    this.actUnaligned(this.unaligned.abort(id, reason));
    this.forget(id);
  }

  /** Remembers when checkpoint `barrier.id` was first seen here; under an aligned timeout, arms its expiry. */
  private see(barrier: BarrierMessage): void {
    if (this.seen.has(barrier.id)) return;
    const wall = this.host.clock.wall();
    let timer: unknown = null;
    if (this.u && this.u.alignedTimeoutMs > 0 && !barrier.final && barrier.savepoint === undefined) {
      timer = this.host.clock.setTimer(Math.max(0, barrier.timestamp + this.u.alignedTimeoutMs - wall), () => this.expire(barrier.id));
    }
    const info: BarrierInfo = { id: barrier.id, timestamp: barrier.timestamp, final: barrier.final, savepoint: barrier.savepoint };
    this.seen.set(barrier.id, {
      barrier: info, at: this.host.clock.now(), delay: Math.max(0, wall - barrier.timestamp), records: this.host.recordsIn(), bytes: this.host.bytesIn(), timer,
    });
  }

  private pastTimeout(barrier: BarrierMessage): boolean {
    return this.host.clock.wall() - barrier.timestamp >= this.u!.alignedTimeoutMs;
  }

  /** The aligned timeout of checkpoint `id` passed: if it is still aligning or queued here, it goes on unaligned. */
  private expire(id: number): void {
    const s = this.seen.get(id);
    if (!s) return;
    s.timer = null;
    const channel = this.aligner.pending.includes(id) ? undefined : this.host.queuedBarrier(id);
    // Neither aligning nor queued: it was taken, or its barriers are still on their way (and will arrive past the timeout).
    if (channel === -1) return void this.seen.delete(id);
    this.goUnaligned(id, channel);
    this.host.resume();
  }

  /**
   * Takes checkpoint `id` unaligned: older aligned ones are subsumed, the channels that
   * delivered its barrier in alignment stay delivered, `arrival` (if any) delivered it now,
   * and what the others hold queued before it becomes channel state.
   */
  private goUnaligned(id: number, arrival?: number): void {
    for (const old of this.aligner.pending) if (old < id) this.act(this.aligner.abort(old, `subsumed by checkpoint ${id}`));
    const released = this.aligner.release(id);
    const s = this.seen.get(id)!;
    const delivered = new Set(released?.delivered ?? []);
    if (arrival !== undefined) delivered.add(arrival);
    const events = this.unaligned.start(released?.barrier ?? s.barrier, delivered);
    if (events.length === 0) return this.forget(id);
    const recorder = this.u!.recorder;
    recorder.begin(id);
    const found: number[] = [];
    const capture = (c: number) => {
      const q = this.host.queuedBefore(c, id);
      for (const b of q.batches) recorder.input(id, c, b);
      return q.barrier;
    };
    if (arrival !== undefined) capture(arrival);
    const [snapshot, ...rest] = events;
    if (snapshot.kind === 'snapshot') for (const c of snapshot.recording) if (capture(c)) found.push(c);
    this.take({ ...(released?.barrier ?? s.barrier), unaligned: true }, s);
    this.recordingSince.set(id, this.host.bytesIn());
    this.actUnaligned(rest);
    for (const c of found) this.actUnaligned(this.unaligned.onBarrier(c, s.barrier));
  }

  private take(b: BarrierInfo & { unaligned?: boolean }, s: Seen | undefined): void {
    const now = this.host.clock.now();
    const timing: AlignmentTiming = {
      startDelayMs: s?.delay ?? 0, alignmentMs: s ? now - s.at : 0, alignedRecords: s ? this.host.recordsIn() - s.records : 0,
      processedBytes: s ? this.host.bytesIn() - s.bytes : 0, unaligned: b.unaligned === true,
    };
    this.forget(b.id);
    const barrier: BarrierMessage = { kind: 'barrier', id: b.id, timestamp: b.timestamp, final: b.final, savepoint: b.savepoint, unaligned: b.unaligned };
    const wait = this.host.checkpointAndForward(barrier, timing);
    if (wait) this.host.pauseUntil(wait);
  }

  /** Drops what was noted about checkpoints up to `id`, disarming their timeouts. */
  private forget(id: number): void {
    for (const [old, s] of this.seen) {
      if (old > id) continue;
      if (s.timer !== null) this.host.clock.cancelTimer(s.timer);
      this.seen.delete(old);
    }
  }

  private act(events: AlignmentEvent[]): void {
    for (const e of events) {
      if (e.kind === 'started') continue;
      if (e.kind === 'aborted') {
        this.forget(e.id);
        this.host.decline(e.id, e.reason);
        continue;
      }
      this.take(e.barrier, this.seen.get(e.barrier.id));
    }
  }

  private actUnaligned(events: UnalignedEvent[]): void {
    for (const e of events) {
      if (e.kind === 'recorded') {
        this.u!.recorder.finish(e.id, this.host.bytesIn() - (this.recordingSince.get(e.id) ?? this.host.bytesIn()));
        this.recordingSince.delete(e.id);
      } else if (e.kind === 'aborted') {
        this.u?.recorder.abort(e.id, e.reason);
        this.recordingSince.delete(e.id);
      }
    }
  }
}
