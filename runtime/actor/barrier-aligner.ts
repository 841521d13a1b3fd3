/**
 * Checkpoint barrier alignment for one actor's input channels, as Flink's aligned
 * checkpoints (exactly-once) and its barrier tracker (at-least-once). Pure bookkeeping: the
 * actor reports every barrier and end of input, then acts on the returned events and stops
 * reading blocked channels.
 */

import type { Guarantee } from '../../base/kinds.js';

/** The barrier fields the aligner needs. */
export interface BarrierInfo { id: number; timestamp: number; final?: boolean; savepoint?: string }

/** What the actor must do after an event. */
export type AlignmentEvent =
  | { kind: 'started'; id: number } // first barrier of a checkpoint seen here: alignment starts
  | { kind: 'aligned'; barrier: BarrierInfo } // every open channel delivered it: snapshot, then forward this (first) barrier
  | { kind: 'aborted'; id: number; reason: string }; // subsumed by a newer checkpoint, or aborted by the coordinator

interface Alignment {
  /** The first barrier received: its timestamp and flags are the checkpoint's. */
  barrier: BarrierInfo;
  delivered: Set<number>;
}

/** Tracks which input channels delivered which checkpoint barrier and which are blocked. */
export class BarrierAligner {
  /** Ascending by id, because a checkpoint only starts above every id started before. */
  private readonly inFlight = new Map<number, Alignment>();
  private readonly ended: boolean[];
  /** Last barrier id per channel, to catch a producer repeating a barrier. */
  private readonly lastBarrier: number[];
  /** Highest id aligned or aborted here: nothing at or below it can complete any more. */
  private done = -Infinity;
  /** Highest id started here: an id below it that never started was skipped upstream. */
  private newest = -Infinity;
  /** Ids the coordinator aborted before they started here; an older id may still align. */
  private readonly aborted = new Set<number>();

  constructor(readonly channels: number, readonly guarantee: Guarantee) {
    if (!Number.isInteger(channels) || channels < 1) throw new Error(`barrier alignment needs at least one input channel, got ${channels}`);
    this.ended = new Array<boolean>(channels).fill(false);
    this.lastBarrier = new Array<number>(channels).fill(-Infinity);
  }

  /** Records barrier `barrier.id` read from `channel`. */
  onBarrier(channel: number, barrier: BarrierInfo): AlignmentEvent[] {
    const { id } = barrier;
    const what = `barrier ${id} on channel ${channel}`;
    if (!Number.isSafeInteger(id)) throw new Error(`${what}: a checkpoint id must be an integer`);
    this.checkReadable(channel, what);
    if (this.lastBarrier[channel] === id) throw new Error(`${what}: the channel already delivered barrier ${id}`);
    this.lastBarrier[channel] = id;
    let alignment = this.inFlight.get(id);
    const events: AlignmentEvent[] = [];
    if (alignment === undefined) {
      // Obsolete: finished here already, or skipped by the channel that started a newer one.
      if (id <= this.done || id < this.newest || this.aborted.has(id)) return [];
      // A newer barrier on an unblocked channel means its producer skipped the pending id.
      if (this.guarantee === 'exactly-once') for (const old of [...this.inFlight.keys()]) events.push(this.drop(old, `subsumed by checkpoint ${id}`));
      alignment = { barrier, delivered: new Set() };
      this.inFlight.set(id, alignment);
      this.newest = id;
      events.push({ kind: 'started', id });
    }
    alignment.delivered.add(channel);
    events.push(...this.complete());
    return events;
  }

  /** Records end of input on `channel`: it no longer holds any checkpoint back. */
  onEndOfInput(channel: number): AlignmentEvent[] {
    this.checkReadable(channel, `end of input on channel ${channel}`);
    this.ended[channel] = true;
    return this.complete();
  }

  /** The coordinator aborted checkpoint `id` (e.g. timeout). */
  abort(id: number, reason: string): AlignmentEvent[] {
    if (this.inFlight.has(id)) return [this.drop(id, reason)];
    if (id > this.done) this.aborted.add(id);
    return [];
  }

  /**
   * Takes checkpoint `id` out of alignment without declining it: its alignment timed out and
   * it goes on unaligned. Returns its first barrier and the channels that delivered it.
   */
  release(id: number): { barrier: BarrierInfo; delivered: ReadonlySet<number> } | null {
    const alignment = this.inFlight.get(id);
    if (alignment === undefined) return null;
    this.inFlight.delete(id);
    this.finish(id);
    return alignment;
  }

  /** Whether the actor must leave `channel` unread until the pending checkpoint resolves. */
  isBlocked(channel: number): boolean {
    this.checkChannel(channel, `channel ${channel}`);
    if (this.guarantee !== 'exactly-once') return false;
    return this.inFlight.values().next().value?.delivered.has(channel) ?? false;
  }

  /** Ids of checkpoints being aligned, ascending. */
  get pending(): readonly number[] {
    return [...this.inFlight.keys()];
  }

  /** True once every channel has ended. */
  get allEnded(): boolean {
    return this.ended.every(Boolean);
  }

  private checkChannel(channel: number, what: string): void {
    if (!Number.isInteger(channel) || channel < 0 || channel >= this.channels) {
      throw new Error(`${what}: no such input channel (the actor has channels 0..${this.channels - 1})`);
    }
  }

  private checkReadable(channel: number, what: string): void {
    this.checkChannel(channel, what);
    if (this.ended[channel]) throw new Error(`${what}: the channel has already ended`);
    // The actor promised not to read a blocked channel, so any message from it is a bug there.
    if (this.isBlocked(channel)) throw new Error(`${what}: the channel is blocked by checkpoint ${this.pending[0]}`);
  }

  /** Completes every checkpoint all open channels delivered; older incomplete ones are subsumed. */
  private complete(): AlignmentEvent[] {
    const events: AlignmentEvent[] = [];
    const waiting: number[] = [];
    for (const [id, { barrier, delivered }] of [...this.inFlight]) {
      if (!this.ended.every((ended, ch) => ended || delivered.has(ch))) {
        waiting.push(id);
        continue;
      }
      for (const old of waiting.splice(0)) events.push(this.drop(old, `subsumed by checkpoint ${id}`));
      this.inFlight.delete(id);
      this.finish(id);
      events.push({ kind: 'aligned', barrier });
    }
    return events;
  }

  private drop(id: number, reason: string): AlignmentEvent {
    this.inFlight.delete(id);
    this.finish(id);
    return { kind: 'aborted', id, reason };
  }

  private finish(id: number): void {
    this.done = Math.max(this.done, id);
    for (const a of this.aborted) if (a <= this.done) this.aborted.delete(a);
  }
}
