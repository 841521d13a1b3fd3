/**
 * The logical dataflow a job module builds: operator nodes and the edges between them.
 * It holds functions, so it never crosses threads; every worker rebuilds it from the
 * job module and finds its own operators by node id.
 */
import type { SourceDefinition, StreamOperator } from '../../operators/api.js';
import type { KeySelector } from '../../base/keygroups.js';

/** How records of an edge are distributed over the consumer's subtasks. */
export type Partitioning = 'forward' | 'rebalance' | 'broadcast' | 'hash';

/** A source: one reader per source subtask. */
export interface SourceSpec extends SourceDefinition {
  kind: 'source';
}

/** Any other operator, a sink included. */
export interface OperatorSpec {
  kind: 'operator';
  createOperator(): StreamOperator;
  /** Present when the operator works on keyed state (after keyBy). */
  keySelector?: KeySelector;
  /** 2 for a two-input operator (connect, joins): its edges say which input they feed. */
  inputs?: 1 | 2;
}

/** One logical operator. */
export interface GraphNode {
  id: number;
  name: string;
  spec: SourceSpec | OperatorSpec;
  /** Set explicitly by the job, else the environment default applies. */
  parallelism?: number;
  /** How the job asked this operator to be chained: normally, as the head of a new chain, or never. */
  chaining: 'default' | 'new-chain' | 'never';
  isSink: boolean;
}

/** Whether an operator works on keyed state (it came after keyBy): its chain has a keyed backend, restores it, and is a default target of failure injection. */
export function isKeyed(node: GraphNode): boolean {
  return node.spec.kind === 'operator' && node.spec.keySelector !== undefined;
}

/** One logical edge. */
export interface GraphEdge {
  from: number;
  to: number;
  /** Undefined means the default: forward when parallelisms match, else rebalance. */
  partitioning?: Partitioning;
  keySelector?: KeySelector;
  /** The side output of `from` this edge takes (a window's late data); absent for the main output. */
  tag?: string;
  /** The input of a two-input operator this edge feeds (0 or 1); 0 when absent. */
  input?: number;
}

/** Job-wide settings that the job module or the caller may set. */
export interface JobConfig {
  parallelism: number;
  /** Number of key groups; undefined means the default derived from the parallelism. */
  maxParallelism?: number;
  chaining: boolean;
  /** How often sources' watermark generators emit a watermark (Flink's auto-watermark interval); 200 ms when absent. */
  autoWatermarkIntervalMs?: number;
}

/** The whole logical dataflow. */
export class JobGraph {
  readonly nodes: GraphNode[] = [];
  readonly edges: GraphEdge[] = [];

  constructor(readonly config: JobConfig) {}

  /** Adds a node and returns it. */
  addNode(name: string, spec: SourceSpec | OperatorSpec, isSink = false): GraphNode {
    const node: GraphNode = { id: this.nodes.length, name, spec, chaining: 'default', isSink };
    this.nodes.push(node);
    return node;
  }

  /** Connects two nodes. */
  connect(edge: GraphEdge): void {
    this.edges.push(edge);
  }
}
