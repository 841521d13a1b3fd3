/**
 * The operators of an actor's chain: the source reader (resumed from its restored splits) or
 * the operators, opened in chain order, with the collectors that connect each operator to the
 * next and the last one to the outputs. Failure injections that count records wrap those
 * collectors. Every hook the runtime calls on the operators (finish, snapshot, completion,
 * close) goes through here, in chain order.
 */
import type { Collector, OperatorContext, SourceReader, SourceSplitState, StreamOperator } from '../../operators/api.js';
import type { FaultInjector } from './faults.js';
import { ConfigError } from '../../base/errors.js';
import { isKeyed, type JobGraph } from '../plan/graph.js';
import type { PhysicalPlan } from '../plan/plan.js';

/** What opening a chain needs. */
export interface ChainOpenOptions {
  graph: JobGraph;
  plan: PhysicalPlan;
  chain: number;
  subtask: number;
  /** Source chains of a restored job: the splits to resume from. */
  restored?: SourceSplitState[];
  /** The actor's outputs, after the last operator. */
  outputs: Collector;
  faults: FaultInjector;
  context(name: string, keyed: boolean): OperatorContext;
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
  private readonly ops: StreamOperator[] = [];
  /** collectors[i] receives what ops[i] emits. */
  private readonly collectors: Collector[] = [];
  private finishing: Promise<void> | null = null;
  private done = false;

  /** Opens the chain's reader and operators and wires them together. */
  async open(o: ChainOpenOptions): Promise<void> {
    const chain = o.plan.chains[o.chain];
    const nodes = chain.nodeIds.map((id) => o.graph.nodes[id]);
    for (const node of nodes) {
      if (node.spec.kind === 'source') {
        this.reader = node.spec.createReader(o.subtask, chain.parallelism, o.restored);
        await this.reader.open(o.context(node.name, false));
        checkResumed(this.reader, node.name, chain.parallelism, o.restored);
      } else {
        const op = node.spec.createOperator();
        this.ops.push(op);
        await op.open(o.context(node.name, isKeyed(node)));
      }
    }
    const opNames = nodes.filter((n) => n.spec.kind !== 'source').map((n) => n.name);
    const { ops, collectors } = this;
    ops.forEach((_, i) => {
      const next = ops[i + 1];
      collectors.push(next ? o.faults.countRecords(opNames[i + 1], { collect: (r) => next.process(r, collectors[i + 1]) }) : o.outputs);
    });
    if (ops.length === 0) collectors.push(o.outputs);
    const first = ops[0];
    this.head = first ? o.faults.countRecords(opNames[0], { collect: (r) => first.process(r, collectors[0]) }) : o.outputs;
    if (this.reader) this.head = o.faults.countRecords(nodes[0].name, this.head);
  }

  /** True once finish() has completed: the operators have emitted everything they held. */
  get finished(): boolean {
    return this.done;
  }

  /** Runs every operator's finish() once, in chain order, each emitting into the next; later calls wait for the same run. */
  finish(): Promise<void> {
    this.finishing ??= (async () => {
      const { ops, collectors } = this;
      for (let i = 0; i < ops.length; i++) await ops[i].finish?.(collectors[i]);
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

  /** Closes every operator, then the reader; `step` runs each so that one failing close does not skip the rest. */
  async close(step: (fn: () => unknown) => Promise<void>): Promise<void> {
    for (const op of this.ops) await step(() => op.close?.());
    await step(() => this.reader?.close?.());
  }
}
