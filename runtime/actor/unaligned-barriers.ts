/**
 * Unaligned checkpoints at one actor, as Flink's: the first barrier of a checkpoint to reach
 * any input channel starts it at once (the actor snapshots and forwards the barrier), and
 * every other open channel keeps recording what it delivers as the checkpoint's channel state
 * until that channel's barrier arrives too. Pure bookkeeping: the actor reports barriers and
 * ends of input, asks which checkpoints a channel records for, and acts on the events.
 */
import type { BarrierInfo } from './barrier-aligner.js';

/** What the actor must do after an event. */
export type UnalignedEvent =
  /** First barrier of the checkpoint here: snapshot now, forward the barrier ahead of the output backlog, and record `recording`'s input. */
  | { kind: 'snapshot'; barrier: BarrierInfo; recording: number[] }
  /** Every open channel delivered the barrier: the checkpoint's channel state is whole and can be written. */
  | { kind: 'recorded'; id: number }
  | { kind: 'aborted'; id: number; reason: string };

/** Tracks, per unaligned checkpoint in progress, the channels whose barrier is still on its way. */
export class UnalignedBarriers {
  /** Ascending by id: a checkpoint only starts above every id started before. */
  private readonly recording = new Map<number, Set<number>>();
  private readonly ended: boolean[];
  /** Highest id started or aborted here: a barrier at or below it that is not recording is obsolete. */
  private done = -Infinity;

  constructor(readonly channels: number) {
    if (!Number.isInteger(channels) || channels < 1) throw new Error(`unaligned checkpoints need at least one input channel, got ${channels}`);
    this.ended = new Array<boolean>(channels).fill(false);
  }

  /** Barrier `barrier.id` arrived on `channel`, ahead of whatever was queued before it. */
  onBarrier(channel: number, barrier: BarrierInfo): UnalignedEvent[] {
    this.checkOpen(channel, `barrier ${barrier.id} on channel ${channel}`);
    const waiting = this.recording.get(barrier.id);
    if (waiting !== undefined) {
      waiting.delete(channel);
      return this.settle(barrier.id);
    }
    if (barrier.id <= this.done) return [];
    return this.start(barrier, new Set([channel]));
  }

  /**
   * Starts checkpoint `barrier.id` as unaligned with `delivered` channels' barriers already
   * read: an aligned checkpoint whose alignment timed out here turns unaligned.
   */
  start(barrier: BarrierInfo, delivered: ReadonlySet<number>): UnalignedEvent[] {
    if (this.recording.has(barrier.id) || barrier.id <= this.done) return [];
    const waiting = new Set<number>();
    for (let c = 0; c < this.channels; c++) if (!this.ended[c] && !delivered.has(c)) waiting.add(c);
    this.recording.set(barrier.id, waiting);
    this.done = barrier.id;
    return [{ kind: 'snapshot', barrier, recording: [...waiting] }, ...this.settle(barrier.id)];
  }

  /** End of input on `channel`: no barrier will come on it, so it records for nothing any more. */
  onEndOfInput(channel: number): UnalignedEvent[] {
    this.checkOpen(channel, `end of input on channel ${channel}`);
    this.ended[channel] = true;
    const events: UnalignedEvent[] = [];
    for (const [id, waiting] of [...this.recording]) if (waiting.delete(channel)) events.push(...this.settle(id));
    return events;
  }

  /** The coordinator aborted checkpoint `id`: its recording stops. */
  abort(id: number, reason: string): UnalignedEvent[] {
    this.done = Math.max(this.done, id);
    return this.recording.delete(id) ? [{ kind: 'aborted', id, reason }] : [];
  }

  /** Ids of the checkpoints whose channel state takes what `channel` delivers now, ascending. */
  recordingFor(channel: number): number[] {
    const ids: number[] = [];
    for (const [id, waiting] of this.recording) if (waiting.has(channel)) ids.push(id);
    return ids;
  }

  /** Whether checkpoint `id` started here unaligned and still records. */
  has(id: number): boolean {
    return this.recording.has(id);
  }

  /** Whether any checkpoint still records. */
  get active(): boolean {
    return this.recording.size > 0;
  }

  /** Ids still recording, ascending. */
  get pending(): readonly number[] {
    return [...this.recording.keys()];
  }

  private settle(id: number): UnalignedEvent[] {
    if (this.recording.get(id)?.size !== 0) return [];
    this.recording.delete(id);
    return [{ kind: 'recorded', id }];
  }

  private checkOpen(channel: number, what: string): void {
    if (!Number.isInteger(channel) || channel < 0 || channel >= this.channels) {
      throw new Error(`${what}: no such input channel (the actor has channels 0..${this.channels - 1})`);
    }
    if (this.ended[channel]) throw new Error(`${what}: the channel has already ended`);
  }
}
