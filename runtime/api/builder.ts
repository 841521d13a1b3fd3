/**
 * What every stream of one job shares while the job module builds it: the graph its
 * operators are added to, and the names its sinks have taken (collect results are keyed by
 * them). Job modules never see it; they see the environment and the streams.
 */
import { ConfigError } from '../../base/errors.js';
import type { KeySelector, StateKey } from '../../base/keygroups.js';
import type { WindowAssigner } from '../../operators/windows/assigners.js';
import type { ConnectedStreams, DataStream, IntervalJoin, JoinedStreams, KeyedStream, WindowedStream } from './types.js';
import { JobGraph, type GraphNode, type JobConfig, type OperatorSpec, type Partitioning } from '../plan/graph.js';

/** How a stream reaches the operators that consume it. */
export interface StreamEdge {
  partitioning?: Partitioning;
  keySelector?: KeySelector;
  /** The side output of the producing operator that the stream is (a window's late data). */
  tag?: string;
  /** The input of a two-input operator the stream feeds. */
  input?: number;
}

/** One producer of a stream and how its records travel to the next operator; a union has several. */
export interface StreamInput {
  node: GraphNode;
  edge: StreamEdge;
}

/** The same producers with their records travelling over `edge` instead (a side output stays the one it is). */
export function overEdge(inputs: StreamInput[], edge: StreamEdge): StreamInput[] {
  return inputs.map((i) => ({ node: i.node, edge: { ...edge, tag: i.edge.tag } }));
}

/** How a job's streams create streams of other kinds without importing one another. */
export interface StreamFactory {
  data<T>(builder: JobBuilder, inputs: StreamInput[]): DataStream<T>;
  /** `inputs` hash-partitioned by the key selector. */
  keyed<T, K extends StateKey>(builder: JobBuilder, inputs: StreamInput[]): KeyedStream<T, K>;
  windowed<T, K extends StateKey>(builder: JobBuilder, inputs: StreamInput[], assigner: WindowAssigner): WindowedStream<T, K>;
  connected<A, B>(builder: JobBuilder, a: StreamInput[], b: StreamInput[]): ConnectedStreams<A, B>;
  /** `b` keyed like `a` already. */
  intervalJoin<A, B, K extends StateKey>(builder: JobBuilder, a: StreamInput[], b: StreamInput[]): IntervalJoin<A, B, K>;
  joined<A, B>(left: DataStream<A>, right: DataStream<B>): JoinedStreams<A, B>;
}

/** The graph of one job under construction. */
export class JobBuilder {
  readonly graph: JobGraph;
  private readonly sinkNames = new Set<string>();
  private readonly checks: (() => void)[] = [];

  constructor(config: Partial<JobConfig>, readonly streams: StreamFactory) {
    this.graph = new JobGraph({ parallelism: 1, chaining: true, ...config });
  }

  /** Adds operator `name` consuming the streams of the given nodes over their edges; returns its node. */
  addOperator(from: StreamInput[], name: string, spec: OperatorSpec, isSink = false): GraphNode {
    const node = this.graph.addNode(isSink ? this.claimSinkName(name) : name, spec, isSink);
    for (const { node: source, edge } of from) {
      this.graph.connect({ from: source.id, to: node.id, partitioning: edge.partitioning, keySelector: edge.keySelector, tag: edge.tag, input: edge.input });
    }
    return node;
  }

  /** Runs `check` once the job module has built the graph (a window must have been given its function). */
  checkWhenBuilt(check: () => void): void {
    this.checks.push(check);
  }

  /** The graph, after every check. */
  built(): JobGraph {
    for (const check of this.checks) check();
    return this.graph;
  }

  /** Registers a sink name; collect results are keyed by it, so it must be unique. */
  private claimSinkName(name: string): string {
    if (this.sinkNames.has(name)) throw new ConfigError('sink name', `"${name}" is used by two sinks`);
    this.sinkNames.add(name);
    return name;
  }
}
