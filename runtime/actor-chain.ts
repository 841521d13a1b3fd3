/**
 * Opening an actor's chain: the source reader (resumed from its restored splits) or the
 * operators, in chain order, and the collectors that connect each operator to the next and
 * the last one to the outputs. Failure injections that count records wrap those collectors.
 */
import type { Collector, OperatorContext, SourceReader, SourceSplitState, StreamOperator } from '../operators/api.js';
import type { FaultInjector } from './actor-faults.js';
import { ConfigError } from './errors.js';
import type { JobGraph } from './graph.js';
import type { PhysicalPlan } from './plan.js';

/** The opened parts of a chain; filled in as they open, so a failure part way still closes what opened. */
export interface ChainParts {
  reader: SourceReader | null;
  ops: StreamOperator[];
  /** collectors[i] receives what ops[i] emits. */
  collectors: Collector[];
  /** Where records enter the chain: its first operator, or straight to the outputs. */
  head: Collector;
}

/** What openChain needs. */
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

/** Empty parts, before the chain opens. */
export function emptyChain(): ChainParts {
  return { reader: null, ops: [], collectors: [], head: { collect: () => {} } };
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

/** Opens the chain's reader and operators into `parts` and wires them together. */
export async function openChain(o: ChainOpenOptions, parts: ChainParts): Promise<void> {
  const chain = o.plan.chains[o.chain];
  const nodes = chain.nodeIds.map((id) => o.graph.nodes[id]);
  for (const node of nodes) {
    if (node.spec.kind === 'source') {
      parts.reader = node.spec.createReader(o.subtask, chain.parallelism, o.restored);
      await parts.reader.open(o.context(node.name, false));
      checkResumed(parts.reader, node.name, chain.parallelism, o.restored);
    } else {
      const op = node.spec.createOperator();
      parts.ops.push(op);
      await op.open(o.context(node.name, node.spec.keySelector !== undefined));
    }
  }
  const opNames = nodes.filter((n) => n.spec.kind !== 'source').map((n) => n.name);
  const { ops, collectors } = parts;
  ops.forEach((_, i) => {
    const next = ops[i + 1];
    collectors.push(next ? o.faults.countRecords(opNames[i + 1], { collect: (r) => next.process(r, collectors[i + 1]) }) : o.outputs);
  });
  if (ops.length === 0) collectors.push(o.outputs);
  const first = ops[0];
  parts.head = first ? o.faults.countRecords(opNames[0], { collect: (r) => first.process(r, collectors[0]) }) : o.outputs;
  if (parts.reader) parts.head = o.faults.countRecords(nodes[0].name, parts.head);
}
