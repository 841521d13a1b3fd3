/**
 * An actor runs one subtask of one chain: it owns the chain's operators, reads its input
 * channels (or polls its source), and writes to its output channels. It never touches another
 * actor's objects; everything goes through channels and the control link. The same code runs
 * on a worker thread and, in tests, on the main thread. This file holds its life (open, run,
 * finish, fail, clean up), the dispatch of control messages, and the one step every checkpoint
 * takes here: snapshot, then forward the barrier.
 */
import { threadId } from 'node:worker_threads';
import type { ElementTime, SourceReader } from '../../operators/api.js';
import { systemClock, wallNow, type Clock } from '../../base/clock.js';
import { CancelledError, ChannelError, serializeError, type ErrorOrigin } from '../../base/errors.js';
import type { ChannelSettings, InputChannel, OutputChannel } from '../transport/channel.js';
import type { ControlEndpoint } from '../transport/control-link.js';
import type { OutputRouter } from '../transport/output.js';
import type { ActorStats, ControlFromActor, ControlToActor } from '../transport/protocol.js';
import { isKeyed, type JobGraph } from '../plan/graph.js';
import { actorName, type PhysicalPlan } from '../plan/plan.js';
import { OperatorChain } from './chain.js';
import { OperatorContexts } from './context.js';
import { FaultInjector, type FailureInjection } from './faults.js';
import { InputGate } from './inputs.js';
import { WatermarkValve, type ValveOutput } from './watermark-valve.js';
import { createOutputRouter } from './outputs.js';
import { ActorCheckpoints } from './checkpoints.js';
import { restoreActorState, type ActorRestore, type InFlightReplay } from './restore.js';
import { SourceDriver } from './source-loop.js';
import type { ActorStateSettings } from './state-settings.js';
import { MetricsReporter, type ActorSample } from './metrics-reporter.js';
import { Debloating } from './debloating.js';
import { perSecond } from '../metrics/time-shares.js';
import { DEFAULT_METRICS_SETTINGS, type MetricsSettings } from '../metrics/settings.js';

/** Everything an actor needs; channels are already connected. */
export interface ActorSetup {
  graph: JobGraph;
  plan: PhysicalPlan;
  chain: number;
  subtask: number;
  inputs: InputChannel[];
  /** Per input channel, the input of the chain's head it feeds (a two-input operator has two); all 0 when absent. */
  inputIndex?: number[];
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
  /** How often the actor reports its figures and, as a source, sends latency markers (default: every second, every 200 ms). */
  metrics?: MetricsSettings;
}

class Actor {
  private readonly clock: Clock;
  private readonly origin: ErrorOrigin & { subtask: number; parallelism: number };
  private readonly chain = new OperatorChain();
  private readonly contexts: OperatorContexts;
  private readonly router: OutputRouter;
  private readonly gate: InputGate;
  private readonly valve: WatermarkValve | null;
  /** The event time of the record going through the chain, shared by the gate, the operators and the outputs. */
  private readonly element: ElementTime = { timestamp: NaN };
  private readonly ckpt: ActorCheckpoints | null = null;
  private readonly faults: FaultInjector;
  private readonly nodeNames: string[];
  private source: SourceDriver | null = null;
  private readonly reporter: MetricsReporter;
  private readonly debloating: Debloating | null;
  private readonly metrics: MetricsSettings;
  private startedAt = 0;
  private cleaned = false;
  private failure: unknown = null;
  private settle!: { resolve: () => void; reject: (e: unknown) => void };
  private readonly done: Promise<void>;

  constructor(private readonly s: ActorSetup) {
    this.clock = s.clock ?? systemClock;
    const chain = s.plan.chains[s.chain];
    this.origin = { operator: chain.name, subtask: s.subtask, parallelism: chain.parallelism };
    this.done = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    this.done.catch(() => {});
    this.router = createOutputRouter({ ...s, clock: this.clock, element: this.element });
    this.router.onError = (err) => this.fail(err);
    const send = (msg: ControlFromActor) => s.control.send(msg);
    const cp = s.state?.checkpointing;
    this.contexts = new OperatorContexts({
      chain: s.chain, subtask: s.subtask, parallelism: chain.parallelism, maxParallelism: s.plan.maxParallelism,
      clock: this.clock, state: s.state, restore: s.restore, checkpointing: cp !== undefined, send,
    });
    this.nodeNames = chain.nodeIds.map((id) => s.graph.nodes[id].name);
    this.faults = new FaultInjector(s.injections ?? [], s.subtask, this.origin, send);
    if (s.state && cp) {
      this.ckpt = new ActorCheckpoints({
        state: s.state, actor: actorName(s.plan, s.chain, s.subtask), origin: this.origin, chainIndex: s.chain, inputs: s.inputs.length,
        clock: this.clock, send, keyed: () => this.contexts.createdKeyed, faults: this.faults, operators: this.nodeNames,
        router: this.router, chain: this.chain, gate: () => this.gate, pollControl: () => this.pollControl(),
        failed: () => this.failure !== null, fail: (err) => this.fail(err),
      });
    }
    this.valve = s.inputs.length > 0 ? new WatermarkValve(s.inputs.length) : null;
    const inputOf = s.inputIndex ?? s.inputs.map(() => 0);
    this.gate = new InputGate(s.inputs, {
      records: (c, records, timestamps) => this.onRecords(inputOf[c], records, timestamps),
      arrived: (c, msg) => this.ckpt?.onArrived(c, msg) ?? false,
      barrier: (c, barrier) => {
        if (!this.ckpt) throw new ChannelError(this.origin, `checkpoint barrier ${barrier.id} received but checkpointing is not enabled`);
        this.ckpt.onBarrier(c, barrier);
      },
      watermark: (c, time) => this.onValve(this.valve!.onWatermark(c, time)),
      status: (c, idle) => this.onValve(this.valve!.onStatus(c, idle)),
      latency: (emittedAt) => this.onLatencyMarker(emittedAt),
      end: (c) => {
        this.ckpt?.onEnd(c);
        this.onValve(this.valve!.onEnd(c));
      },
    }, {
      isBlocked: (c) => this.ckpt?.isBlocked(c) ?? false, backpressure: () => this.backpressure(),
      failed: () => this.failure !== null, fail: (err) => this.fail(err),
      closed: () => this.fail(new ChannelError(this.origin, 'an upstream actor closed its channel without end of input')),
      now: () => this.clock.now(),
    });
    this.metrics = s.metrics ?? DEFAULT_METRICS_SETTINGS;
    this.reporter = new MetricsReporter({ clock: this.clock, intervalMs: this.metrics.intervalMs, sample: () => this.sample(), send });
    const target = s.settings.debloatTargetMs;
    this.debloating = target === undefined || s.inputs.length === 0 ? null : new Debloating({
      clock: this.clock, inputs: s.inputs, targetMs: target, credits: s.settings.credits, batchSize: s.settings.batchSize, recordsIn: () => this.gate.recordsIn,
    });
    s.control.onMessage((msg) => this.onControl(msg));
  }

  /** A batch read on a channel feeding input `input` of the chain's head goes through the chain, record by record. */
  private onRecords(input: number, records: unknown[], timestamps: Float64Array | undefined): void {
    const head = this.chain.heads[input];
    const element = this.element;
    if (timestamps === undefined) {
      element.timestamp = NaN;
      for (let i = 0; i < records.length; i++) head.collect(records[i]);
    } else {
      for (let i = 0; i < records.length; i++) {
        element.timestamp = timestamps[i];
        head.collect(records[i]);
      }
    }
  }

  /** A latency marker goes on to one output channel; at a sink, where it ends, its latency is recorded. */
  private onLatencyMarker(emittedAt: number): void {
    if (!this.router.emitLatencyMarker(emittedAt)) this.reporter.latency.record(this.clock.wall() - emittedAt);
  }

  /** Passes what the watermark valve decided on to the chain: idleness first, so a watermark goes out active. */
  private onValve(out: ValveOutput): void {
    if (out.idle !== undefined) this.chain.status(out.idle);
    if (out.watermark !== undefined) this.chain.watermark(out.watermark);
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
      switch (msg.kind) {
        case 'cancel':
          this.fail(new CancelledError(msg.reason, this.origin));
          return;
        case 'trigger':
          this.source?.onTrigger(msg);
          return;
        case 'checkpoint-complete':
          this.ckpt?.onComplete(msg.id);
          this.source?.onOutcome(msg.id, true);
          this.chain.notifyComplete(msg.id);
          return;
        case 'checkpoint-abort':
          this.source?.onOutcome(msg.id, false);
          this.ckpt?.onAbort(msg.id, msg.reason);
          this.chain.notifyAborted(msg.id);
      }
    } catch (err) {
      this.fail(err);
    }
  }

  private async open(): Promise<void> {
    let inFlight: InFlightReplay | undefined;
    if (this.s.restore) {
      const keyedChain = this.s.plan.chains[this.s.chain].nodeIds.some((id) => isKeyed(this.s.graph.nodes[id]));
      const { report, replay } = await restoreActorState({
        restore: this.s.restore, keyed: keyedChain ? this.contexts.keyedBackend() : null, clock: this.clock,
        faults: this.faults, operators: this.nodeNames,
      });
      this.s.control.send({ kind: 'restored', ...report });
      inFlight = replay;
    }
    // In-flight batches of an unaligned checkpoint go first: what was sent before the barrier, then what was received.
    if (inFlight) this.router.replay(inFlight.outputs);
    await this.chain.open({
      graph: this.s.graph, plan: this.s.plan, chain: this.s.chain, subtask: this.s.subtask, restored: this.s.restore?.sources,
      outputs: this.router, faults: this.faults, clock: this.clock, element: this.element, fail: (err) => this.fail(err),
      context: (name, keyed, own) => this.contexts.forOperator(name, keyed, own),
    });
    const inputOf = this.s.inputIndex ?? this.s.inputs.map(() => 0);
    inFlight?.inputs.forEach((batches, c) => {
      if (c >= inputOf.length) throw new ChannelError(this.origin, `channel state names input channel ${c}, but the subtask has ${inputOf.length}`);
      for (const b of batches) this.onRecords(inputOf[c], b.records, b.timestamps);
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
    const waits = this.chain.blocked();
    if (this.router.isBlocked()) waits.push(this.router.whenUnblocked());
    return waits.length ? Promise.all(waits) : null;
  }

  private runSource(reader: SourceReader): Promise<void> {
    this.source = new SourceDriver({
      batchSize: this.s.settings.batchSize, head: this.chain.head, element: this.element, failed: () => this.failure !== null,
      backpressure: () => this.backpressure(), checkpointing: this.ckpt !== null,
      checkpointAndForward: (barrier) => this.ckpt!.checkpointAndForward(barrier), send: (msg) => this.s.control.send(msg),
      now: () => this.clock.now(), latencyIntervalMs: this.metrics.latencyIntervalMs,
      emitLatencyMarker: () => this.router.emitLatencyMarker(this.clock.wall()),
    }, reader);
    return this.source.run();
  }

  private async finish(): Promise<void> {
    await this.chain.finish();
    this.router.broadcastEvent({ kind: 'end' });
    while (this.router.isBlocked()) await this.router.whenUnblocked();
  }

  /** Waits for `work` unless the actor fails first; then throws the failure. */
  private async until(work: Promise<unknown> | undefined): Promise<void> {
    await Promise.race([work, this.done]);
    if (this.failure !== null) throw this.failure;
  }

  /** The counters a metrics report carries. */
  private sample(): ActorSample {
    const elapsedMs = this.startedAt === 0 ? 0 : Math.max(0, wallNow() - this.startedAt);
    const watermark = this.valve?.watermark ?? -Infinity;
    return {
      elapsedMs, recordsIn: this.source ? this.source.count : this.gate.recordsIn, recordsOut: this.router.stats.recordsOut,
      busyMs: this.source ? this.source.busyMs : this.gate.busyMs, backPressuredMs: this.router.backpressuredMsAt(this.clock.now()),
      checkpointAlignmentMs: this.ckpt?.lastAlignmentMs ?? 0, ...(Number.isFinite(watermark) ? { watermark } : {}),
    };
  }

  /** The actor's figures, its work having ended now; without the count of state entries (countState). */
  private stats(): ActorStats {
    const endedAt = wallNow();
    const o = this.router.stats;
    const busyMs = this.source ? this.source.busyMs : this.gate.busyMs;
    const elapsed = Math.max(0, endedAt - this.startedAt);
    return {
      operator: this.origin.operator!, chain: this.s.chain, subtask: this.s.subtask, threadId,
      recordsIn: this.source ? this.source.count : this.gate.recordsIn, recordsOut: o.recordsOut,
      batchesIn: this.gate.batchesIn, batchesOut: o.batchesOut, backpressuredMs: o.backpressuredMs, maxInFlight: o.maxInFlight,
      busyMs, idleMs: Math.max(0, elapsed - busyMs - o.backpressuredMs), timeMsPerSecond: perSecond(elapsed, busyMs, o.backpressuredMs),
      startedAt: this.startedAt, endedAt, metrics: this.contexts.metrics,
    };
  }

  /**
   * Counts the state's entries into the figures, after the work ended: in slices, so that the
   * thread's other actors, which may be waiting for their last input, can end meanwhile. A failing
   * actor leaves it out.
   */
  private async countState(): Promise<void> {
    const keyed = this.contexts.createdKeyed;
    if (keyed) this.contexts.metrics.stateEntries = await keyed.entryCountPaced();
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
    await this.chain.close(step);
    await step(() => this.contexts.createdKeyed?.dispose());
    await this.gate.close(step);
    await step(() => this.router.close());
    return first;
  }

  async run(): Promise<boolean> {
    try {
      await this.open();
      this.startedAt = wallNow();
      this.reporter.start();
      this.debloating?.start();
      if (this.ckpt) this.s.control.send({ kind: 'running' });
      await this.until(this.chain.reader ? this.runSource(this.chain.reader) : this.gate.run());
      await this.until(this.finish());
      await this.until(this.ckpt?.participant.finalCommitted());
      await this.until(this.ckpt?.participant.drain());
      const stats = this.stats();
      await this.countState();
      const closeError = await this.cleanup();
      if (closeError !== null) throw closeError;
      this.reporter.stop(true);
      this.debloating?.stop();
      this.s.control.send({ kind: 'finished', stats });
      return true;
    } catch (err) {
      this.failure ??= err;
      this.reporter.stop(false);
      this.debloating?.stop();
      let stats: ActorStats | undefined;
      try {
        stats = this.stats();
      } catch {
        // Figures of a broken actor are a nicety; the failure itself must still be reported.
      }
      // Reported first, so the job reacts at once; the coordinator waits for this task to end (state released)
      // before it tears the thread down, as a thread terminated mid LMDB write never finishes terminating.
      this.s.control.send({ kind: 'failed', error: serializeError(err, this.origin), stats });
      await this.ckpt?.participant.cancelAll('the subtask failed').catch(() => {});
      await this.cleanup();
      return false;
    }
  }
}

/** Runs one actor to completion; the outcome is reported on its control link. Resolves true on success. */
export function runActor(setup: ActorSetup): Promise<boolean> {
  return new Actor(setup).run();
}
