/**
 * An actor's side of checkpointing: takes the synchronous part of a snapshot when its
 * barrier is aligned, runs the asynchronous part in the background while the actor keeps
 * processing records, and acknowledges (or declines) to the coordinator. It also follows
 * the completion notices, so that a bounded job ends only once its final checkpoint has
 * completed (sinks commit on that notice).
 */
import type { AsyncSnapshot, KeyedStateHandle, SnapshotTarget } from '../../backends/snapshot.js';
import type { KeyedStateBackend } from '../../backends/state.js';
import { CheckpointStorage } from '../storage/checkpoint-storage.js';
import type { SubtaskCheckpointStats, SubtaskState } from '../storage/metadata.js';
import type { Clock } from '../../base/clock.js';
import type { FaultInjector } from './faults.js';
import type { BarrierMessage, ControlFromActor } from '../transport/protocol.js';
import { errorMessage } from '../../base/errors.js';
import type { ActorStateSettings } from './state-settings.js';
import type { ChannelStateResult, ChannelStateWork } from './channel-state.js';

/** How long the barrier took to arrive and align at this actor. */
export interface AlignmentTiming {
  startDelayMs: number;
  alignmentMs: number;
  alignedRecords: number;
  /** Bytes read from the first barrier to the snapshot. */
  processedBytes: number;
  /** Taken unaligned: the barrier overtook the in-flight batches, which are kept as channel state. */
  unaligned: boolean;
}

/** Identity of the actor taking part. */
export interface ParticipantOptions {
  settings: ActorStateSettings;
  actor: string;
  chain: number;
  subtask: number;
  parallelism: number;
  clock: Clock;
  send(msg: ControlFromActor): void;
}

function bytesOf(handle: KeyedStateHandle | undefined): { written: number; full: number; entries: number; deletions: number } {
  const b = { written: 0, full: 0, entries: 0, deletions: 0 };
  if (!handle) return b;
  const written = new Set(handle.written);
  for (const file of handle.files) {
    b.full += file.bytes;
    if (!written.has(file.path)) continue;
    b.written += file.bytes;
    b.entries += file.entries;
    b.deletions += file.deletions ?? 0;
  }
  return b;
}

/** What the asynchronous part of one subtask's checkpoint produced. */
interface Written {
  keyed?: KeyedStateHandle;
  channel?: ChannelStateResult;
}

/** The asynchronous part of one subtask's checkpoint: the state copy, the operators' work, the channel state. */
interface Work {
  run(): Promise<Written>;
  cancel(reason: string): void;
}

/** Joins the state copy, the operators' work and the channel state into the one task the acknowledgement waits for. */
function asyncWork(copy: AsyncSnapshot | null, operatorWork: Promise<unknown> | null, channel: { work: ChannelStateWork; target: SnapshotTarget } | null): Work | null {
  if (!copy && !operatorWork && !channel) return null;
  return {
    run: async () => {
      const [keyed, , written] = await Promise.all([copy?.run(), operatorWork, channel?.work.write(channel.target)]);
      return { keyed, channel: written };
    },
    cancel: (reason) => {
      copy?.cancel(reason);
      channel?.work.cancel(reason);
    },
  };
}

/** Takes this actor's snapshots and reports them. */
export class CheckpointParticipant {
  private readonly storage: CheckpointStorage;
  private readonly running = new Map<number, Work>();
  private readonly tasks = new Set<Promise<void>>();
  private faults: { injector: FaultInjector; operators: string[]; fail(err: unknown): void } | null = null;
  /** Id of the last final barrier passed, and the highest checkpoint completed: the end waits for the one to reach the other. */
  private finalId = 0;
  private lastCompleted = 0;
  private committed: (() => void) | null = null;

  constructor(private readonly o: ParticipantOptions, private readonly keyed: () => KeyedStateBackend | null) {
    this.storage = new CheckpointStorage(o.settings.checkpointing!.jobDir);
  }

  /**
   * Takes the synchronous part now (the caller forwards the barrier right after) and
   * acknowledges once the asynchronous part has written its files and `operatorWork` (sinks
   * making their output durable) has settled.
   */
  snapshot(barrier: BarrierMessage, timing: AlignmentTiming, sourcePosition?: unknown, operatorWork: Promise<unknown> | null = null, channelWork: ChannelStateWork | null = null): void {
    const { id } = barrier;
    const { clock } = this.o;
    const base = { chain: this.o.chain, subtask: this.o.subtask, parallelism: this.o.parallelism };
    const stats = (syncMs: number, asyncMs: number, written: Written = {}): SubtaskCheckpointStats => {
      const b = bytesOf(written.keyed);
      const { processedBytes, ...rest } = timing;
      return {
        ...base, actor: this.o.actor, ...rest, syncMs, asyncMs, checkpointedBytes: b.written, fullStateBytes: b.full, writtenEntries: b.entries, writtenDeletions: b.deletions,
        processedBytes: processedBytes + (written.channel?.processedBytes ?? 0), persistedBytes: written.channel?.persistedBytes ?? 0,
      };
    };
    const keyed = this.keyed();
    const t0 = clock.now();
    let copy: AsyncSnapshot | null = null;
    let target: SnapshotTarget;
    try {
      target = barrier.savepoint ? new CheckpointStorage(barrier.savepoint, { flat: true }).target(id, this.o.actor) : this.storage.target(id, this.o.actor);
      copy = keyed ? keyed.snapshot(id, target, { savepoint: barrier.savepoint !== undefined, final: barrier.final === true }) : null;
    } catch (err) {
      channelWork?.cancel('the snapshot failed');
      this.o.send({ kind: 'decline', id, reason: `its snapshot failed: ${errorMessage(err)}` });
      return;
    }
    const syncMs = clock.now() - t0;
    const state = sourcePosition === undefined ? base : { ...base, sourcePosition };
    const f = this.faults;
    const injected = f?.injector.duringCheckpoint(id, f.operators);
    if (f && injected) {
      // Fires once the copy has started, so partial files exist when the subtask dies.
      setImmediate(() => {
        try {
          f.injector.fire(injected);
        } catch (err) {
          f.fail(err);
        }
      });
    }
    const t1 = clock.now();
    const pending = asyncWork(copy, operatorWork, channelWork && { work: channelWork, target });
    if (!pending) {
      if (!injected) this.o.send({ kind: 'ack', id, state, stats: stats(syncMs, 0) });
      return;
    }
    this.running.set(id, pending);
    const task = pending.run().then(
      (written) => {
        this.running.delete(id);
        // The subtask is failing on purpose; acknowledging would let the checkpoint complete.
        if (injected) return;
        const full: SubtaskState = { ...state };
        if (written.keyed) full.keyed = written.keyed;
        if (written.channel?.handle) full.channelState = written.channel.handle;
        this.o.send({ kind: 'ack', id, state: full, stats: stats(syncMs, clock.now() - t1, written) });
      },
      (err: unknown) => {
        const cancelled = !this.running.has(id);
        this.running.delete(id);
        if (!cancelled) this.o.send({ kind: 'decline', id, reason: `writing its snapshot failed: ${errorMessage(err)}` });
      },
    );
    const tracked = task.finally(() => this.tasks.delete(tracked));
    this.tasks.add(tracked);
  }

  /** Arms injected failures of the asynchronous part for the chain's operators; `fail` fails the actor. */
  attachFaults(injector: FaultInjector, operators: string[], fail: (err: unknown) => void): void {
    this.faults = { injector, operators, fail };
  }

  /** A final barrier passed: the actor may end once its checkpoint completed. */
  noteFinal(id: number): void {
    this.finalId = id;
  }

  /** Resolves once the last final checkpoint this actor took part in has completed (at once if there was none). */
  finalCommitted(): Promise<void> {
    if (this.finalId <= this.lastCompleted) return Promise.resolve();
    return new Promise<void>((resolve) => (this.committed = resolve));
  }

  /** The coordinator completed checkpoint `id`. */
  onComplete(id: number): void {
    this.lastCompleted = Math.max(this.lastCompleted, id);
    this.keyed()?.notifyCheckpointComplete(id);
    if (this.committed && this.finalId <= this.lastCompleted) {
      const resolve = this.committed;
      this.committed = null;
      resolve();
    }
  }

  /** Checkpoint `id` was aborted here or by the coordinator: stop its copy, keep its changes for the next one. */
  onAbort(id: number, reason: string): void {
    const running = this.running.get(id);
    if (running) {
      this.running.delete(id);
      running.cancel(reason);
    }
    this.keyed()?.notifyCheckpointAborted(id);
  }

  /** Tells the coordinator this actor dropped checkpoint `id` (e.g. subsumed during alignment). */
  decline(id: number, reason: string): void {
    this.o.send({ kind: 'decline', id, reason });
  }

  /** Waits for every asynchronous part in flight (before the backend is closed). */
  async drain(): Promise<void> {
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }

  /** Cancels every asynchronous part in flight and waits for them to clean up. */
  async cancelAll(reason: string): Promise<void> {
    for (const id of [...this.running.keys()]) this.onAbort(id, reason);
    await this.drain();
  }
}
