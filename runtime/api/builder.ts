/**
 * What every stream of one job shares while the job module builds it: the graph its
 * operators are added to, and the names its sinks have taken (collect results are keyed by
 * them). Job modules never see it; they see the environment and the streams.
 */
import { ConfigError } from '../../base/errors.js';
import type { KeySelector } from '../../base/keygroups.js';
import { JobGraph, type GraphNode, type JobConfig, type OperatorSpec, type Partitioning } from '../plan/graph.js';

/** How a stream reaches the operators that consume it. */
export interface StreamEdge {
  partitioning?: Partitioning;
  keySelector?: KeySelector;
}

/** The graph of one job under construction. */
export class JobBuilder {
  readonly graph: JobGraph;
  private readonly sinkNames = new Set<string>();

  constructor(config: Partial<JobConfig>) {
    this.graph = new JobGraph({ parallelism: 1, chaining: true, ...config });
  }

  /** Adds operator `name` consuming the stream of node `from` over `edge`; returns its node. */
  addOperator(from: GraphNode, edge: StreamEdge, name: string, spec: OperatorSpec, isSink = false): GraphNode {
    const node = this.graph.addNode(isSink ? this.claimSinkName(name) : name, spec, isSink);
    this.graph.connect({ from: from.id, to: node.id, partitioning: edge.partitioning, keySelector: edge.keySelector });
    return node;
  }

  /** Registers a sink name; collect results are keyed by it, so it must be unique. */
  private claimSinkName(name: string): string {
    if (this.sinkNames.has(name)) throw new ConfigError('sink name', `"${name}" is used by two sinks`);
    this.sinkNames.add(name);
    return name;
  }
}
