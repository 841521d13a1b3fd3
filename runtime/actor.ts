/**
 * An actor runs one subtask of one chain: it owns the chain's operators, reads its
 * input channels (or polls its source), and writes to its output channels. It never
 * touches another actor's objects; everything goes through channels and the control
 * link. The same code runs on a worker thread and, in tests, on the main thread.
 */
import { threadId } from 'node:worker_threads';
import type { OperatorContext, RestoreContext, SourceReader } from '../operators/api.js';
import type { KeyedStateBackend } from '../backends/state.js';
import { CheckpointParticipant, keyedBackendFor, type ActorStateSettings } from './actor-checkpoint.js';
import { emptyChain, openChain, type ChainParts } from './actor-chain.js';
import { FaultInjector } from './actor-faults.js';
import { restoreActorState } from './actor-restore.js';
import type { FailureInjection } from './failure-injection.js';
import type { ActorRestore } from './restore-plan.js';
import { SourceDriver } from './actor-source.js';
import { BarrierAligner, type AlignmentEvent } from './alignment.js';
import { systemClock, wallNow, type Clock } from './clock.js';
import type { ChannelSettings, InputChannel, OutputChannel } from './channel.js';
import type { ControlEndpoint } from './control.js';
import { CancelledError, ChannelError, serializeError, type ErrorOrigin } from './errors.js';
import type { JobGraph } from './graph.js';
import { keyGroupRange } from './keygroups.js';
import { OutputRouter } from './output.js';
import { makePartitioner } from './partitioners.js';
import { actorName, type PhysicalPlan } from './plan.js';
import type { ActorStats, BarrierMessage, ControlToActor, DataMessage } from './protocol.js';

/** Everything an actor needs; channels are already connected. */
export interface ActorSetup {
  graph: JobGraph;
  plan: PhysicalPlan;
  chain: number;
  subtask: number;
  inputs: InputChannel[];
  /** Per outgoing chain edge (in plan order), its channels by consumer subtask. */
  outputs: OutputChannel[][];
  control: ControlEndpoint;
  settings: ChannelSettings;
  /** Keyed state backend and checkpointing; without it, state is on the heap and checkpointing is off. */
  state?: ActorStateSettings;
  clock?: Clock;
  /** What to restore before the operators open (a resumed or restarted job). */
  restore?: ActorRestore;
  /** Failure injections armed for this run. */
  injections?: FailureInjection[];
}

interface InputState {
  channel: InputChannel;
  queue: DataMessage[];
  ended: boolean;
}

class Actor {
  private readonly clock: Clock;
  private readonly origin: ErrorOrigin;
  private readonly chain: ChainParts = emptyChain();
  private keyed: KeyedStateBackend | null = null;
  private readonly router: OutputRouter;
  private readonly inputs: InputState[];
  private readonly metrics: Record<string, unknown> = {};
  private recordsIn = 0;
  private batchesIn = 0;
  private startedAt = 0;
  private paused = false;
  private cleaned = false;
  private inputsDone: () => void = () => {};
  private draining = false;
  private drainScheduled = false;
  private failure: unknown = null;
  private settle!: { resolve: () => void; reject: (e: unknown) => void };
  private readonly done: Promise<void>;
  private readonly aligner: BarrierAligner | null = null;
  private readonly ckpt: CheckpointParticipant | null = null;
  /** Alignments in progress: when the first barrier came, its start delay, records read by then. */
  private readonly alignments = new Map<number, { at: number; delay: number; records: number }>();
  private source: SourceDriver | null = null;
  private opsFinished = false;
  private readonly faults: FaultInjector;
  private readonly nodeNames: string[];
  /** Id of the last final barrier passed, and the highest checkpoint completed (the end waits for the one to reach the other). */
  private finalBarrier = 0;
  private lastCompleted = 0;
  private onCompleted: () => void = () => {};

  constructor(private readonly s: ActorSetup) {
    this.clock = s.clock ?? systemClock;
    const chain = s.plan.chains[s.chain];
    this.origin = { operator: chain.name, subtask: s.subtask, parallelism: chain.parallelism };
    this.done = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    this.done.catch(() => {});
    const edges = s.plan.edges.filter((e) => e.from === s.chain);
    const lastNode = s.graph.nodes[chain.nodeIds[chain.nodeIds.length - 1]];
    const outOrigin = { operator: lastNode.name, subtask: s.subtask, parallelism: chain.parallelism };
    this.router = new OutputRouter(
      edges.map((e, i) => ({
        channels: s.outputs[i],
        partitioner: makePartitioner({
          partitioning: e.partitioning, channels: s.outputs[i].length, subtask: s.subtask,
          maxParallelism: s.plan.maxParallelism, keySelector: e.keySelector, origin: outOrigin,
          target: s.graph.nodes[s.plan.chains[e.to].nodeIds[0]].name,
        }),
      })),
      s.settings.batchSize, s.settings.lingerMs, this.clock,
    );
    this.router.onError = (err) => this.fail(err);
    this.inputs = s.inputs.map((channel) => ({ channel, queue: [], ended: false }));
    const cp = s.state?.checkpointing;
    if (cp) {
      if (s.inputs.length > 0) this.aligner = new BarrierAligner(s.inputs.length, cp.guarantee);
      this.ckpt = new CheckpointParticipant({
        settings: s.state!, actor: actorName(s.plan, s.chain, s.subtask), chain: s.chain, subtask: s.subtask,
        parallelism: chain.parallelism, clock: this.clock, send: (msg) => s.control.send(msg),
      }, () => this.keyed);
    }
    this.nodeNames = chain.nodeIds.map((id) => s.graph.nodes[id].name);
    this.faults = new FaultInjector(s.injections ?? [], s.subtask, this.origin, (msg) => s.control.send(msg));
    if (this.ckpt) this.ckpt.attachFaults(this.faults, this.nodeNames, (err) => this.fail(err));
    s.control.onMessage((msg) => this.onControl(msg));
  }

  /**
   * Handles control messages that have arrived but wait behind data messages. A completion
   * notice sent before a later barrier's trigger is then seen before that barrier's snapshot,
   * so an incremental snapshot does not carry changes an already completed checkpoint holds.
   */
  private pollControl(): void {
    for (let msg = this.s.control.poll(); msg !== undefined; msg = this.s.control.poll()) this.onControl(msg);
  }

  private onControl(msg: ControlToActor): void {
    try {
      if (msg.kind === 'cancel') this.fail(new CancelledError(msg.reason, this.origin));
      else if (msg.kind === 'trigger') this.source?.onTrigger(msg);
      else if (msg.kind === 'checkpoint-complete') {
        this.lastCompleted = Math.max(this.lastCompleted, msg.id);
        this.onCompleted();
        this.source?.onOutcome(msg.id, true);
        this.ckpt?.onComplete(msg.id);
        this.chain.reader?.notifyCheckpointComplete?.(msg.id);
        for (const op of this.chain.ops) op.notifyCheckpointComplete?.(msg.id);
      } else if (msg.kind === 'checkpoint-abort') {
        this.source?.onOutcome(msg.id, false);
        this.ckpt?.onAbort(msg.id, msg.reason);
        this.chain.reader?.notifyCheckpointAborted?.(msg.id);
        if (this.aligner) {
          this.onAlignment(this.aligner.abort(msg.id, msg.reason));
          this.drain();
        }
      }
    } catch (err) {
      this.fail(err);
    }
  }

  private contextFor(name: string, keyed: boolean): OperatorContext {
    const chain = this.s.plan.chains[this.s.chain];
    const r = this.s.restore;
    const restored: RestoreContext | undefined = r && { checkpointId: r.checkpointId, previousParallelism: r.previousParallelism, inheritedSubtasks: r.inheritedSubtasks };
    return {
      operatorName: name, subtask: this.s.subtask, parallelism: chain.parallelism,
      maxParallelism: this.s.plan.maxParallelism, clock: this.clock, metrics: this.metrics,
      toCoordinator: (msg) => this.s.control.send(msg),
      keyedState: keyed ? (this.keyed ??= this.createKeyed()) : undefined,
      restored, checkpointing: this.ckpt !== null,
    };
  }

  private createKeyed(): KeyedStateBackend {
    const chain = this.s.plan.chains[this.s.chain];
    const range = keyGroupRange(this.s.subtask, chain.parallelism, this.s.plan.maxParallelism);
    return keyedBackendFor(this.s.state, `${this.s.chain}-${this.s.subtask}`, range);
  }

  private async open(): Promise<void> {
    if (this.s.restore) {
      const keyedChain = this.s.plan.chains[this.s.chain].nodeIds.some((id) => {
        const spec = this.s.graph.nodes[id].spec;
        return spec.kind === 'operator' && spec.keySelector !== undefined;
      });
      const report = await restoreActorState({
        restore: this.s.restore, keyed: keyedChain ? (this.keyed ??= this.createKeyed()) : null, clock: this.clock,
        faults: this.faults, operators: this.nodeNames,
      });
      this.s.control.send({ kind: 'restored', ...report });
    }
    await openChain({
      graph: this.s.graph, plan: this.s.plan, chain: this.s.chain, subtask: this.s.subtask, restored: this.s.restore?.sources,
      outputs: this.router, faults: this.faults, context: (name, keyed) => this.contextFor(name, keyed),
    }, this.chain);
  }

  /** Runs the operators' snapshotState for checkpoint `id`; their promises are joined into one. */
  private snapshotOperators(id: number): Promise<unknown> | null {
    let work: Promise<unknown>[] | null = null;
    for (const op of this.chain.ops) {
      const p = op.snapshotState?.(id);
      if (p) (work ??= []).push(p);
    }
    return work && Promise.all(work);
  }

  /** With checkpointing, the end waits for the final checkpoint's completion notice (sinks commit on it). */
  private finalCommitted(): Promise<void> {
    return new Promise<void>((resolve) => {
      const check = () => {
        if (this.finalBarrier <= this.lastCompleted || this.failure !== null) {
          this.onCompleted = () => {};
          resolve();
        }
      };
      this.onCompleted = check;
      check();
    });
  }


  private fail(err: unknown): void {
    if (this.failure !== null) return;
    this.failure = err;
    this.settle.reject(err);
    this.source?.interrupt();
  }

  /** A promise if the outputs or an operator cannot take more now. */
  private backpressure(): Promise<unknown> | null {
    const waits: Promise<unknown>[] = [];
    if (this.router.isBlocked()) waits.push(this.router.whenUnblocked());
    for (const op of this.chain.ops) {
      const p = op.blocked?.();
      if (p) waits.push(p);
    }
    return waits.length ? Promise.all(waits) : null;
  }

  private async runSource(reader: SourceReader): Promise<void> {
    const driver = new SourceDriver({
      batchSize: this.s.settings.batchSize, head: this.chain.head, failed: () => this.failure !== null,
      backpressure: () => this.backpressure(), finishOperators: () => this.finishOperators(),
      snapshot: this.ckpt ? (barrier, timing, position) => {
        if (barrier.final) this.finalBarrier = barrier.id;
        this.ckpt!.snapshot(barrier, timing, position, this.snapshotOperators(barrier.id));
      } : null,
      broadcast: (barrier) => this.router.broadcastEvent(barrier), send: (msg) => this.s.control.send(msg),
    }, reader);
    this.source = driver;
    try {
      await driver.run();
    } finally {
      this.recordsIn = driver.count;
    }
  }

  private runInputs(): Promise<void> {
    if (this.inputs.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.inputsDone = resolve;
      this.inputs.forEach((inp) => {
        inp.channel.onMessage((msg) => {
          inp.queue.push(msg);
          this.scheduleDrain();
        });
        inp.channel.onClose(() => this.fail(new ChannelError(this.origin, 'an upstream actor closed its channel without end of input')));
      });
    });
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

  private drain(): void {
    if (this.draining || this.paused || this.failure !== null) return;
    this.draining = true;
    try {
      let progressed = true;
      while (progressed && !this.paused && this.failure === null) {
        progressed = false;
        for (let c = 0; c < this.inputs.length; c++) {
          const inp = this.inputs[c];
          if (inp.queue.length === 0 || this.aligner?.isBlocked(c)) continue;
          progressed = true;
          this.handle(c, inp, inp.queue.shift()!);
          if (this.paused || this.failure !== null) break;
        }
      }
    } catch (err) {
      this.fail(err);
    } finally {
      this.draining = false;
    }
  }

  private handle(c: number, inp: InputState, msg: DataMessage): void {
    switch (msg.kind) {
      case 'batch': {
        const head = this.chain.head;
        const records = msg.records;
        for (let i = 0; i < records.length; i++) head.collect(records[i]);
        this.recordsIn += records.length;
        this.batchesIn++;
        inp.channel.release();
        const wait = this.backpressure();
        if (wait) {
          this.paused = true;
          wait.then(() => {
            this.paused = false;
            this.drain();
          }, (err) => this.fail(err));
        }
        return;
      }
      case 'end':
        inp.ended = true;
        inp.channel.close();
        if (this.aligner) this.onAlignment(this.aligner.onEndOfInput(c));
        if (this.inputs.every((i) => i.ended)) this.inputsDone();
        return;
      case 'barrier':
        if (!this.aligner) throw new ChannelError(this.origin, `checkpoint barrier ${msg.id} received but checkpointing is not enabled`);
        if (!this.alignments.has(msg.id)) this.alignments.set(msg.id, { at: this.clock.now(), delay: Math.max(0, wallNow() - msg.timestamp), records: this.recordsIn });
        this.onAlignment(this.aligner.onBarrier(c, msg));
        return;
    }
  }

  private onAlignment(events: AlignmentEvent[]): void {
    for (const e of events) {
      if (e.kind === 'started') continue;
      if (e.kind === 'aborted') {
        this.alignments.delete(e.id);
        this.ckpt!.decline(e.id, e.reason);
        continue;
      }
      const b = e.barrier;
      const a = this.alignments.get(b.id);
      this.alignments.delete(b.id);
      for (const id of this.alignments.keys()) if (id < b.id) this.alignments.delete(id);
      const timing = { startDelayMs: a?.delay ?? 0, alignmentMs: a ? this.clock.now() - a.at : 0, alignedRecords: a ? this.recordsIn - a.records : 0 };
      const barrier: BarrierMessage = { kind: 'barrier', id: b.id, timestamp: b.timestamp, final: b.final, savepoint: b.savepoint };
      if (b.final) this.finalBarrier = b.id;
      if (!b.final || this.opsFinished) {
        this.pollControl();
        this.ckpt!.snapshot(barrier, timing, undefined, this.snapshotOperators(b.id));
        this.router.broadcastEvent(barrier);
        continue;
      }
      // Operators flush what they hold before the final snapshot, which may take a while.
      this.paused = true;
      (async () => {
        await this.finishOperators();
        this.pollControl();
        this.ckpt!.snapshot(barrier, timing, undefined, this.snapshotOperators(b.id));
        this.router.broadcastEvent(barrier);
        this.paused = false;
        this.drain();
      })().catch((err: unknown) => this.fail(err));
    }
  }

  /** Runs every operator's finish() once, in chain order. */
  private async finishOperators(): Promise<void> {
    if (this.opsFinished) return;
    this.opsFinished = true;
    const { ops, collectors } = this.chain;
    for (let i = 0; i < ops.length; i++) await ops[i].finish?.(collectors[i]);
  }

  private async finish(): Promise<void> {
    await this.finishOperators();
    this.router.broadcastEvent({ kind: 'end' });
    while (this.router.isBlocked()) await this.router.whenUnblocked();
  }

  /** The actor's figures; counting state entries scans the state, so a failing actor leaves it out. */
  private stats(countState = true): ActorStats {
    const o = this.router.stats;
    if (this.keyed && countState) this.metrics.stateEntries = this.keyed.entryCount();
    return {
      operator: this.origin.operator!, chain: this.s.chain, subtask: this.s.subtask, threadId, recordsIn: this.recordsIn, recordsOut: o.recordsOut,
      batchesIn: this.batchesIn, batchesOut: o.batchesOut, backpressuredMs: o.backpressuredMs, maxInFlight: o.maxInFlight,
      startedAt: this.startedAt, endedAt: wallNow(), metrics: this.metrics,
    };
  }

  /** Releases everything once, step by step; returns the first error so a later step still runs. */
  private async cleanup(): Promise<unknown> {
    if (this.cleaned) return null;
    this.cleaned = true;
    let first: unknown = null;
    const step = async (fn: () => unknown) => {
      try {
        await fn();
      } catch (err) {
        first ??= err;
      }
    };
    for (const op of this.chain.ops) await step(() => op.close?.());
    await step(() => this.chain.reader?.close?.());
    await step(() => this.keyed?.dispose());
    for (const inp of this.inputs) await step(() => inp.channel.close());
    await step(() => this.router.close());
    return first;
  }


  async run(): Promise<boolean> {
    try {
      await this.open();
      this.startedAt = wallNow();
      if (this.ckpt) this.s.control.send({ kind: 'running' });
      const work = this.chain.reader ? this.runSource(this.chain.reader) : this.runInputs();
      await Promise.race([work, this.done]);
      if (this.failure !== null) throw this.failure;
      await Promise.race([this.finish(), this.done]);
      if (this.failure !== null) throw this.failure;
      if (this.ckpt) await Promise.race([this.finalCommitted(), this.done]);
      if (this.failure !== null) throw this.failure;
      await Promise.race([this.ckpt?.drain(), this.done]);
      if (this.failure !== null) throw this.failure;
      const stats = this.stats();
      const closeError = await this.cleanup();
      if (closeError !== null) throw closeError;
      this.s.control.send({ kind: 'finished', stats });
      return true;
    } catch (err) {
      this.failure ??= err;
      let stats: ActorStats | undefined;
      try {
        stats = this.stats(false);
      } catch {
        // Figures of a broken actor are a nicety; the failure itself must still be reported.
      }
      // Reported first, so the job reacts at once; the coordinator waits for this task to end (state released)
      // before it tears the thread down, as a thread terminated mid LMDB write never finishes terminating.
      this.s.control.send({ kind: 'failed', error: serializeError(err, this.origin), stats });
      await this.ckpt?.cancelAll('the subtask failed').catch(() => {});
      await this.cleanup();
      return false;
    }
  }
}

/** Runs one actor to completion; the outcome is reported on its control link. Resolves true on success. */
export function runActor(setup: ActorSetup): Promise<boolean> {
  return new Actor(setup).run();
}
