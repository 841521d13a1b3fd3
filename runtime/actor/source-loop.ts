/**
 * How a source actor runs: poll the reader in batches while the outputs have credit, and
 * between two polls turn checkpoint triggers into barriers that carry the reader's position.
 * With checkpointing on, an exhausted source holds back end of input until a final
 * checkpoint completes, so a bounded job ends with a checkpoint that covers all its output.
 */
import type { Collector, ElementTime, SourceReader } from '../../operators/api.js';
import type { BarrierMessage, ControlFromActor } from '../transport/protocol.js';

/** What the source loop needs from its actor. */
export interface SourceHost {
  batchSize: number;
  /** Where polled records go (the chain's first operator or the outputs). */
  head: Collector;
  /** The event time of the record going through the chain: a polled record has none until an operator gives it one. */
  element: ElementTime;
  failed(): boolean;
  backpressure(): Promise<unknown> | null;
  /** With checkpointing on, an exhausted source waits for the final checkpoint. */
  checkpointing: boolean;
  /** Takes the checkpoint (with the reader's position) and emits its barrier; a promise when it must finish the operators first. */
  checkpointAndForward(barrier: BarrierMessage): Promise<void> | null;
  send(msg: ControlFromActor): void;
  /** Milliseconds of a monotonic clock, for the time spent polling. */
  now(): number;
  /** Milliseconds between two latency markers (0: none). */
  latencyIntervalMs: number;
  /** Sends a latency marker behind the records emitted so far; false when there is no output to send it on. */
  emitLatencyMarker(): boolean;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Drives one source reader; the actor forwards checkpoint control messages to it. */
export class SourceDriver {
  /** Records emitted so far. */
  count = 0;
  /** Milliseconds spent in the reader's polls, the records' way through the chain included (Flink's busy time). */
  busyMs = 0;
  private readonly triggers: { id: number; timestamp: number; final: boolean; savepoint?: string; stop?: boolean }[] = [];
  /** A stop-with-savepoint barrier went out: polling pauses until that savepoint ends (the job then stops, or goes on if it failed). */
  private stopAt: number | null = null;
  /** Highest checkpoint ids completed and aborted so far (an exhausted source waits on these). */
  private lastCompleted = 0;
  private lastAborted = 0;
  private wake: () => void = () => {};
  private nextMarkerAt = 0;

  constructor(private readonly host: SourceHost, private readonly reader: SourceReader) {}

  /** The coordinator asks for barrier `id`; it is emitted before the next poll. */
  onTrigger(t: { id: number; timestamp: number; final: boolean; savepoint?: string; stop?: boolean }): void {
    this.triggers.push(t);
    this.wake();
  }

  /** Checkpoint `id` completed or was aborted. */
  onOutcome(id: number, completed: boolean): void {
    if (completed) this.lastCompleted = Math.max(this.lastCompleted, id);
    else this.lastAborted = Math.max(this.lastAborted, id);
    if (!completed && id === this.stopAt) this.stopAt = null;
    this.wake();
  }

  /** Wakes a waiting exhausted source (the actor failed). */
  interrupt(): void {
    this.wake();
  }

  /** Polls until the reader is exhausted (and, with checkpointing, the final checkpoint completed). */
  async run(): Promise<void> {
    const { host, reader } = this;
    const counting: Collector = { collect: (r) => (this.count++, host.head.collect(r)) };
    for (;;) {
      if (host.failed()) return;
      await this.serveTriggers();
      if (this.stopAt !== null) {
        if (this.triggers.length === 0) await this.sleep();
        continue;
      }
      const wait = host.backpressure();
      if (wait) {
        // A trigger is served while the outputs are full: its barrier then waits in the backlog (or overtakes it, unaligned), not behind it.
        await Promise.race([wait, this.triggered()]);
        continue;
      }
      host.element.timestamp = NaN;
      const started = host.now();
      const polled = reader.poll(host.batchSize, counting);
      const more = typeof polled === 'boolean' ? polled : await polled;
      const polledAt = host.now();
      this.busyMs += polledAt - started;
      if (host.latencyIntervalMs > 0 && polledAt >= this.nextMarkerAt) {
        // A source chained to its sink has no output: markers would measure nothing, so none go out.
        this.nextMarkerAt = host.emitLatencyMarker() ? polledAt + host.latencyIntervalMs : Infinity;
      }
      if (!more) break;
      await yieldToEventLoop();
    }
    if (host.checkpointing) await this.awaitFinalCheckpoint();
  }

  /** Emits a barrier for each trigger received; returns the id of a final one, if any. */
  private async serveTriggers(): Promise<number | null> {
    let finalId: number | null = null;
    while (this.triggers.length > 0 && !this.host.failed()) {
      const t = this.triggers.shift()!;
      const barrier: BarrierMessage = { kind: 'barrier', id: t.id, timestamp: t.timestamp, final: t.final, savepoint: t.savepoint };
      if (t.stop) this.stopAt = t.id;
      if (t.final) finalId = t.id;
      const wait = this.host.checkpointAndForward(barrier);
      if (wait) await wait;
    }
    return finalId;
  }

  private async awaitFinalCheckpoint(): Promise<void> {
    this.host.send({ kind: 'source-exhausted' });
    let finalId: number | null = null;
    for (;;) {
      const served = await this.serveTriggers();
      if (served !== null) finalId = served;
      if (this.host.failed()) return;
      if (finalId !== null && this.lastCompleted >= finalId) return;
      if (finalId !== null && this.lastAborted >= finalId) finalId = null;
      // Nothing may be awaited between these checks and the wait, or a wake-up could be missed.
      if (this.triggers.length > 0) continue;
      await this.sleep();
    }
  }

  /** Resolves at the next trigger, outcome or failure, or at once when a trigger waits. */
  private triggered(): Promise<void> {
    if (this.triggers.length > 0) return Promise.resolve();
    return new Promise<void>((resolve) => (this.wake = resolve));
  }

  /** Waits for a trigger, an outcome or a failure; a failing actor calls interrupt(), which wakes it too. */
  private async sleep(): Promise<void> {
    await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = () => {};
  }
}
