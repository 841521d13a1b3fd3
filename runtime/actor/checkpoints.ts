/**
 * An actor's checkpoints, from its barriers to its acknowledgement: the barrier handler that
 * aligns them (or takes them unaligned), the channel state of unaligned ones, and the one step
 * every checkpoint takes here: snapshot, then forward the barrier, in place behind the output
 * backlog when aligned or ahead of it when unaligned.
 */
import { wallNow, type Clock } from '../../base/clock.js';
import { ChannelError, type ErrorOrigin } from '../../base/errors.js';
import type { OutputRouter } from '../transport/output.js';
import type { BarrierMessage, ControlFromActor, DataMessage } from '../transport/protocol.js';
import type { KeyedStateBackend } from '../../backends/state.js';
import { BarrierHandler } from './barriers.js';
import type { OperatorChain } from './chain.js';
import { ChannelStateRecorder, type ChannelStateWork } from './channel-state.js';
import type { FaultInjector } from './faults.js';
import type { InputGate } from './inputs.js';
import { CheckpointParticipant, type AlignmentTiming } from './participant.js';
import type { ActorStateSettings } from './state-settings.js';

/** What an actor's checkpoints need from it. */
export interface CheckpointsSetup {
  state: ActorStateSettings;
  /** Name of the actor in checkpoint storage. */
  actor: string;
  origin: ErrorOrigin & { subtask: number; parallelism: number };
  chainIndex: number;
  inputs: number;
  clock: Clock;
  send(msg: ControlFromActor): void;
  keyed(): KeyedStateBackend | null;
  faults: FaultInjector;
  operators: string[];
  router: OutputRouter;
  chain: OperatorChain;
  /** The gate, created after the checkpoints. */
  gate(): InputGate;
  /** Handles control messages waiting behind data before a snapshot. */
  pollControl(): void;
  failed(): boolean;
  fail(err: unknown): void;
}

/** The checkpoint side of one actor. */
export class ActorCheckpoints {
  readonly participant: CheckpointParticipant;
  private readonly barriers: BarrierHandler | null = null;
  /** Channel state of unaligned checkpoints (null when checkpoints always align). */
  private readonly recorder: ChannelStateRecorder | null = null;
  private readonly alignedTimeoutMs: number;
  /** Alignment time of the last checkpoint here. */
  lastAlignmentMs = 0;
  /** Aligned barriers still held back in an output backlog, each with the timer of its aligned timeout. */
  private readonly held = new Map<number, { timer: unknown; done(): void }>();

  constructor(private readonly c: CheckpointsSetup) {
    const cp = c.state.checkpointing!;
    this.participant = new CheckpointParticipant({
      settings: c.state, actor: c.actor, chain: c.chainIndex, subtask: c.origin.subtask, parallelism: c.origin.parallelism, clock: c.clock, send: c.send,
    }, c.keyed);
    this.participant.attachFaults(c.faults, c.operators, c.fail);
    this.alignedTimeoutMs = cp.alignedTimeoutMs ?? 0;
    if (cp.alignedTimeoutMs !== undefined) this.recorder = new ChannelStateRecorder(c.origin);
    c.router.onBarrierSent = (id) => {
      const held = this.held.get(id);
      if (held && !c.router.holdsBarrier(id)) held.done();
    };
    if (c.inputs === 0) return;
    this.barriers = new BarrierHandler(c.inputs, cp.guarantee, {
      clock: c.clock, recordsIn: () => c.gate().recordsIn, bytesIn: () => c.gate().bytesIn, decline: (id, reason) => this.participant.decline(id, reason),
      checkpointAndForward: (barrier, timing) => this.checkpointAndForward(barrier, timing),
      pauseUntil: (wait) => c.gate().pauseUntil(wait), queuedBefore: (ch, id) => c.gate().queuedBefore(ch, id),
      queuedBarrier: (id) => c.gate().queuedBarrier(id), resume: () => c.gate().drain(),
    }, this.recorder ? { alignedTimeoutMs: this.alignedTimeoutMs, recorder: this.recorder } : undefined);
  }

  /** Whether alignment holds channel `channel` back. */
  isBlocked(channel: number): boolean {
    return this.barriers?.isBlocked(channel) ?? false;
  }

  /** A barrier read in its place on `channel`. */
  onBarrier(channel: number, barrier: BarrierMessage): void {
    if (!this.barriers) throw new ChannelError(this.c.origin, `checkpoint barrier ${barrier.id} received on a source`);
    this.barriers.onBarrier(channel, barrier);
  }

  /** End of input on `channel`. */
  onEnd(channel: number): void {
    this.barriers?.onEnd(channel);
  }

  /** Sees each message as it arrives: an unaligned barrier is taken at once, ahead of the queue; true when it was. */
  onArrived(channel: number, msg: DataMessage): boolean {
    const b = this.barriers;
    if (b === null || this.recorder === null) return false;
    if (msg.kind === 'batch') b.onArrival(channel, msg);
    else if (msg.kind === 'barrier') {
      if (b.isPriority(msg)) {
        b.onPriorityBarrier(channel, msg);
        return true;
      }
      b.onQueued(msg);
    }
    return false;
  }

  /** The coordinator completed checkpoint `id`. */
  onComplete(id: number): void {
    this.participant.onComplete(id);
  }

  /** The coordinator aborted checkpoint `id`: its copy stops and its alignment or recording ends. */
  onAbort(id: number, reason: string): void {
    const held = this.held.get(id);
    if (held) this.c.clock.cancelTimer(held.timer);
    this.held.delete(id);
    this.participant.onAbort(id, reason);
    if (this.barriers) {
      this.barriers.abort(id, reason);
      this.c.gate().drain();
    }
  }

  /**
   * The one step of every checkpoint at this actor, whether its barrier was aligned on the
   * inputs, taken unaligned, or emitted by the source: snapshot, then forward the barrier.
   * Before a final barrier the operators first emit what they hold, which may take a while:
   * the caller then gets a promise and takes no input until it settles. A source's timing and
   * position are taken as its barrier goes out.
   */
  checkpointAndForward(barrier: BarrierMessage, timing?: AlignmentTiming): Promise<void> | null {
    const { chain } = this.c;
    const take = () => {
      this.c.pollControl();
      if (this.c.failed()) return;
      const t = timing ?? { startDelayMs: Math.max(0, wallNow() - barrier.timestamp), alignmentMs: 0, alignedRecords: 0, processedBytes: 0, unaligned: false };
      this.lastAlignmentMs = t.alignmentMs;
      // The operators' part first: what they emit for the snapshot goes out before the barrier.
      const operatorWork = chain.snapshot(barrier.id);
      const position = chain.reader?.position();
      const channelWork = this.overtakeOutputs(barrier, t) ?? this.forwardAligned(barrier, t);
      this.participant.snapshot(barrier, t, position, operatorWork, channelWork);
    };
    if (barrier.final) this.participant.noteFinal(barrier.id);
    if (!barrier.final || chain.finished) {
      take();
      return null;
    }
    return chain.finish().then(take);
  }

  /**
   * Forwards an aligned barrier behind what the outputs hold back. Under an aligned timeout, a
   * barrier still held back in a backlog when the timeout passes overtakes it there, the batches
   * it jumps becoming channel state: the returned work writes them, and completes at once when
   * the barrier leaves every backlog in time. Null without an aligned timeout or when nothing holds it.
   */
  private forwardAligned(barrier: BarrierMessage, t: AlignmentTiming): ChannelStateWork | null {
    const { router, clock } = this.c;
    router.broadcastEvent(barrier);
    const r = this.recorder;
    const { id } = barrier;
    if (r === null || this.alignedTimeoutMs === 0 || barrier.final || barrier.savepoint !== undefined || !router.holdsBarrier(id)) return null;
    r.begin(id);
    const timer = clock.setTimer(Math.max(0, barrier.timestamp + this.alignedTimeoutMs - clock.wall()), () => {
      this.held.delete(id);
      if (router.holdsBarrier(id)) {
        t.unaligned = true;
        r.outputs(id, router.expediteBarrier(id));
      }
      r.finish(id);
    });
    this.held.set(id, {
      timer,
      done: () => {
        clock.cancelTimer(timer);
        this.held.delete(id);
        r.finish(id);
      },
    });
    return r.work(id);
  }

  /**
   * Forwards an unaligned barrier ahead of the output backlog, which becomes channel state,
   * and returns the work that writes the checkpoint's channel state; null when the barrier
   * goes out aligned. A barrier still aligned here turns unaligned once its aligned timeout passed.
   */
  private overtakeOutputs(barrier: BarrierMessage, t: AlignmentTiming): ChannelStateWork | null {
    const r = this.recorder;
    if (r === null || barrier.final || barrier.savepoint !== undefined) return null;
    if (!t.unaligned && this.alignedTimeoutMs > 0 && this.c.clock.wall() - barrier.timestamp < this.alignedTimeoutMs) return null;
    r.begin(barrier.id);
    r.outputs(barrier.id, this.c.router.overtake({ ...barrier, unaligned: true }));
    // Aligned on the inputs: nothing more comes in for this checkpoint.
    if (!t.unaligned) r.finish(barrier.id);
    t.unaligned = true;
    return r.work(barrier.id);
  }
}
