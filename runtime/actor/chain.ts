/**
 * The operators of an actor's chain: the source reader (resumed from its restored splits) or
 * the operators, opened in chain order, each with an output that feeds the next operator (the
 * last one's feeds the actor's outputs). Records, watermarks and idleness all go down these
 * outputs; failure injections that count records wrap them. Every hook the runtime calls on
 * the operators (watermarks, finish, snapshot, completion, close) goes through here, in chain
 * order, and so do the processing-time callbacks the operators schedule.
 */
import type { Clock } from '../../base/clock.js';
import { ConfigError } from '../../base/errors.js';
import type { Collector, ElementTime, OperatorContext, Output, SourceReader, SourceSplitState, StreamOperator, OperatorTime } from '../../operators/api.js';
import { isKeyed, type JobGraph } from '../plan/graph.js';
import type { PhysicalPlan } from '../plan/plan.js';
import type { FaultInjector } from './faults.js';

/** What opening a chain needs. */
export interface ChainOpenOptions {
  graph: JobGraph;
  plan: PhysicalPlan;
  chain: number;
  subtask: number;
  /** Source chains of a restored job: the splits to resume from. */
  restored?: SourceSplitState[];
  /** The actor's outputs, after the last operator. */
  outputs: Output;
  faults: FaultInjector;
  clock: Clock;
  /** The event time of the record going through the chain. */
  element: ElementTime;
  /** An operator's scheduled callback failed: the actor fails. */
  fail(err: unknown): void;
  /** The context of an operator, completed with its output and time service. */
  context(name: string, keyed: boolean, own: Pick<OperatorContext, 'output' | 'element' | 'time'>): OperatorContext;
}

/**
 * A reader that ignored its restored position would replay or skip records silently; at an
 * unchanged parallelism its position right after opening must be the one it was given.
 */
function checkResumed(reader: SourceReader, name: string, parallelism: number, restored?: SourceSplitState[]): void {
  if (!restored || restored.length !== 1 || restored[0].parallelism !== parallelism) return;
  const now = JSON.stringify(reader.position());
  const want = JSON.stringify(restored[0].position);
  if (now !== want) throw new ConfigError(`source "${name}"`, `resumed at position ${now}, not at the restored ${want}; its createReader must honour the restored positions`);
}

/** The opened reader and operators of one actor; filled in as they open, so a failure part way still closes what opened. */
export class OperatorChain {
  /** The source reader of a source chain. */
  reader: SourceReader | null = null;
  /** Where records enter the chain: its first operator, or straight to the outputs. */
  head: Collector = { collect: () => {} };
  /** Per input of the head: a two-input operator's second input has a head of its own. */
  heads: Collector[] = [];
  private readonly ops: StreamOperator[] = [];
  /** outputs[i] receives what ops[i] emits. */
  private readonly outputs: Output[] = [];
  /** The last watermark each operator was given. */
  private readonly watermarks: number[] = [];
  private last: Output | null = null;
  private readonly scheduled = new Set<unknown>();
  private clock: Clock | null = null;
  private finishing: Promise<void> | null = null;
  private done = false;
  /** Operators whose open() was called: only those are closed. */
  private opened = 0;

  /** Opens the chain's reader and operators and wires them together. */
  async open(o: ChainOpenOptions): Promise<void> {
    const chain = o.plan.chains[o.chain];
    const nodes = chain.nodeIds.map((id) => o.graph.nodes[id]);
    const source = nodes[0].spec.kind === 'source' ? nodes[0] : null;
    const opNodes = source ? nodes.slice(1) : nodes;
    this.clock = o.clock;
    this.last = o.outputs;
    // Created first and opened after, so that each operator's context can hold the output that feeds the next one.
    for (const node of opNodes) if (node.spec.kind === 'operator') this.ops.push(node.spec.createOperator());
    const { ops, outputs } = this;
    ops.forEach((_, i) => {
      const next = ops[i + 1];
      outputs.push(next ? this.feeding(i + 1, o.faults.countRecords(opNodes[i + 1].name, (r) => next.process(r, outputs[i + 1]))) : o.outputs);
      this.watermarks.push(-Infinity);
    });
    const first = ops[0];
    const headOutput: Output = first ? this.feeding(0, o.faults.countRecords(opNodes[0].name, (r) => first.process(r, outputs[0]))) : o.outputs;
    this.head = headOutput;
    this.heads = [headOutput];
    if (first?.process2) {
      const second = first.process2.bind(first);
      this.heads.push({ collect: o.faults.countRecords(opNodes[0].name, (r) => second(r, outputs[0])) });
    }
    if (source) {
      const counted = o.faults.countRecords(source.name, (r) => headOutput.collect(r));
      if (o.faults.counts(source.name)) this.head = { collect: counted };
    }
    if (source && source.spec.kind === 'source') {
      this.reader = source.spec.createReader(o.subtask, chain.parallelism, o.restored);
      await this.reader.open(o.context(source.name, false, { output: headOutput, element: o.element, time: this.timeService(-1, o) }));
      checkResumed(this.reader, source.name, chain.parallelism, o.restored);
    }
    for (let i = 0; i < ops.length; i++) {
      this.opened = i + 1;
      await ops[i].open(o.context(opNodes[i].name, isKeyed(opNodes[i]), { output: outputs[i], element: o.element, time: this.timeService(i, o) }));
    }
  }

  /** The output whose records go to `collect`, and whose watermarks and idleness go to operator `i`. */
  private feeding(i: number, collect: (record: unknown) => void): Output {
    return {
      collect,
      emitWatermark: (time) => this.watermarkAt(i, time),
      emitStatus: (idle) => this.statusAt(i, idle),
      emitSide: (tag, record) => this.last!.emitSide(tag, record),
    };
  }

  /** Operator `i`'s view of time; -1 is the source reader, which sees no watermarks. */
  private timeService(i: number, o: ChainOpenOptions): OperatorTime {
    return {
      watermark: () => (i < 0 ? -Infinity : this.watermarks[i]),
      now: () => o.clock.wall(),
      schedule: (time, fn) => {
        const handle = o.clock.setTimer(Math.max(0, time - o.clock.wall()), () => {
          this.scheduled.delete(handle);
          try {
            fn();
          } catch (err) {
            o.fail(err);
          }
        });
        this.scheduled.add(handle);
        return {
          cancel: () => {
            if (this.scheduled.delete(handle)) o.clock.cancelTimer(handle);
          },
        };
      },
    };
  }

  private watermarkAt(i: number, time: number): void {
    if (i === this.ops.length) return this.last!.emitWatermark(time);
    this.watermarks[i] = time;
    const op = this.ops[i];
    if (op.processWatermark) op.processWatermark(time, this.outputs[i]);
    else this.outputs[i].emitWatermark(time);
  }

  private statusAt(i: number, idle: boolean): void {
    if (i === this.ops.length) return this.last!.emitStatus(idle);
    const op = this.ops[i];
    if (op.processStatus) op.processStatus(idle, this.outputs[i]);
    else this.outputs[i].emitStatus(idle);
  }

  /** The watermark of the actor's input advanced: its operators see it in chain order. */
  watermark(time: number): void {
    this.watermarkAt(0, time);
  }

  /** The actor's input went idle or became active again. */
  status(idle: boolean): void {
    this.statusAt(0, idle);
  }

  /** True once finish() has completed: the operators have emitted everything they held. */
  get finished(): boolean {
    return this.done;
  }

  /**
   * Runs every operator's finish() once, in chain order, each emitting into the next; later
   * calls wait for the same run. A source chain's input ends here, so its operators first see
   * the final watermark (+∞): every event-time timer and window fires, as in a bounded stream.
   */
  finish(): Promise<void> {
    this.finishing ??= (async () => {
      if (this.reader) this.watermark(Infinity);
      const { ops, outputs } = this;
      for (let i = 0; i < ops.length; i++) await ops[i].finish?.(outputs[i]);
      this.done = true;
    })();
    return this.finishing;
  }

  /** Runs the operators' snapshotState for checkpoint `id`; their promises are joined into one (null when none has work). */
  snapshot(id: number): Promise<unknown> | null {
    let work: Promise<unknown>[] | null = null;
    for (const op of this.ops) {
      const p = op.snapshotState?.(id);
      if (p) (work ??= []).push(p);
    }
    return work && Promise.all(work);
  }

  /** Checkpoint `id` completed: the reader and every operator hear of it. */
  notifyComplete(id: number): void {
    this.reader?.notifyCheckpointComplete?.(id);
    for (const op of this.ops) op.notifyCheckpointComplete?.(id);
  }

  /** Checkpoint `id` was aborted: the reader hears of it. */
  notifyAborted(id: number): void {
    this.reader?.notifyCheckpointAborted?.(id);
  }

  /** Promises of operators that cannot take more input now (empty when all can). */
  blocked(): Promise<unknown>[] {
    const waits: Promise<unknown>[] = [];
    for (const op of this.ops) {
      const p = op.blocked?.();
      if (p) waits.push(p);
    }
    return waits;
  }

  /** Cancels the scheduled callbacks, then closes every operator and the reader; `step` runs each, so one failing close does not skip the rest. */
  async close(step: (fn: () => unknown) => Promise<void>): Promise<void> {
    for (const handle of this.scheduled) this.clock?.cancelTimer(handle);
    this.scheduled.clear();
    for (const op of this.ops.slice(0, this.opened)) await step(() => op.close?.());
    await step(() => this.reader?.close?.());
  }
}
