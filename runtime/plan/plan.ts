/**
 * Expands a logical JobGraph into what runs: chains of operators (fused when connected
 * forward with equal parallelism, as Flink chains them), their parallelism, and the
 * channels between chain subtasks. Pure data derived deterministically from the graph,
 * so the coordinator and every worker compute the same plan.
 */
import { ConfigError } from '../../base/errors.js';
import { defaultMaxParallelism } from '../../base/keygroups.js';
import type { KeySelector } from '../../base/keygroups.js';
import type { GraphEdge, JobGraph, Partitioning } from './graph.js';

/** Operators fused into one actor per subtask. */
export interface ChainPlan {
  index: number;
  /** Node ids, head first. */
  nodeIds: number[];
  name: string;
  parallelism: number;
  isSource: boolean;
}

/** A connection between two chains. */
export interface ChainEdge {
  index: number;
  from: number;
  to: number;
  partitioning: Partitioning;
  keySelector?: KeySelector;
  /** The producer's side output the edge takes; absent for its main output. */
  tag?: string;
  /** The input of the consumer's two-input operator the edge feeds; 0 for every other operator. */
  input: number;
}

/** The executable plan. */
export interface PhysicalPlan {
  chains: ChainPlan[];
  edges: ChainEdge[];
  maxParallelism: number;
}

/** One channel: edge `edge`, from subtask `from` of its producer to subtask `to` of its consumer. */
export interface ChannelId {
  edge: number;
  from: number;
  to: number;
}

function resolveParallelism(graph: JobGraph): number[] {
  return graph.nodes.map((node) => {
    const limit = node.spec.kind === 'source' ? node.spec.maxParallelism : undefined;
    if (node.parallelism !== undefined && limit !== undefined && node.parallelism > limit) {
      throw new ConfigError(`parallelism of "${node.name}"`, `this source supports at most ${limit}, got ${node.parallelism}`);
    }
    return node.parallelism ?? Math.min(graph.config.parallelism, limit ?? Infinity);
  });
}

function resolvePartitioning(edge: GraphEdge, par: number[], names: string[]): Partitioning {
  const same = par[edge.from] === par[edge.to];
  const p = edge.partitioning ?? (same ? 'forward' : 'rebalance');
  if (p === 'forward' && !same) {
    throw new ConfigError('forward', `"${names[edge.from]}" (parallelism ${par[edge.from]}) cannot forward to "${names[edge.to]}" (parallelism ${par[edge.to]})`);
  }
  return p;
}

/** Builds the physical plan; throws ConfigError for an impossible graph. */
export function buildPlan(graph: JobGraph): PhysicalPlan {
  const { nodes, edges } = graph;
  if (nodes.length === 0) throw new ConfigError('job', 'the job defines no operators');
  const par = resolveParallelism(graph);
  const names = nodes.map((n) => n.name);
  const maxParallelism = graph.config.maxParallelism ?? defaultMaxParallelism(Math.max(...par));
  for (const [i, p] of par.entries()) {
    if (p > maxParallelism) throw new ConfigError(`parallelism of "${names[i]}"`, `${p} exceeds max parallelism ${maxParallelism}`);
  }
  const parts = edges.map((e) => resolvePartitioning(e, par, names));
  const inputs = nodes.map((n) => edges.filter((e) => e.to === n.id));
  const outputs = nodes.map((n) => edges.filter((e) => e.from === n.id));
  for (const n of nodes) {
    if (n.spec.kind === 'source' && inputs[n.id].length > 0) throw new ConfigError('job', `source "${n.name}" cannot have inputs`);
    if (n.spec.kind !== 'source' && inputs[n.id].length === 0) throw new ConfigError('job', `operator "${n.name}" has no input`);
    if (n.isSink && outputs[n.id].length > 0) throw new ConfigError('job', `sink "${n.name}" cannot have outputs`);
    const wanted = n.spec.kind === 'operator' ? (n.spec.inputs ?? 1) : 0;
    for (let i = 0; i < wanted; i++) {
      if (!inputs[n.id].some((e) => (e.input ?? 0) === i)) throw new ConfigError('job', `operator "${n.name}" has no input ${i + 1}`);
    }
    const extra = inputs[n.id].find((e) => (e.input ?? 0) >= Math.max(1, wanted));
    if (extra) throw new ConfigError('job', `operator "${n.name}" takes ${wanted} input(s), but an edge feeds input ${(extra.input ?? 0) + 1}`);
  }
  const chainOf = new Array<number>(nodes.length).fill(-1);
  const chains: ChainPlan[] = [];
  for (const n of nodes) {
    const ins = inputs[n.id];
    const e = ins[0];
    const fuse = graph.config.chaining && n.chaining === 'default' && ins.length === 1 && nodes[e.from].chaining !== 'never' && parts[edges.indexOf(e)] === 'forward'
      && outputs[e.from].length === 1 && e.tag === undefined && n.spec.kind === 'operator' && !n.spec.keySelector && chainOf[e.from] >= 0;
    if (fuse) {
      const chain = chains[chainOf[e.from]];
      chain.nodeIds.push(n.id);
      chainOf[n.id] = chain.index;
    } else {
      chainOf[n.id] = chains.length;
      chains.push({ index: chains.length, nodeIds: [n.id], name: '', parallelism: par[n.id], isSource: n.spec.kind === 'source' });
    }
  }
  for (const c of chains) c.name = c.nodeIds.map((id) => names[id]).join(' -> ');
  const chainEdges: ChainEdge[] = [];
  edges.forEach((e, i) => {
    if (chainOf[e.from] === chainOf[e.to]) return;
    chainEdges.push({ index: chainEdges.length, from: chainOf[e.from], to: chainOf[e.to], partitioning: parts[i], keySelector: e.keySelector, tag: e.tag, input: e.input ?? 0 });
  });
  return { chains, edges: chainEdges, maxParallelism };
}

/** Every channel of the plan, in a fixed order. */
export function channelsOf(plan: PhysicalPlan): ChannelId[] {
  const out: ChannelId[] = [];
  for (const e of plan.edges) {
    const pFrom = plan.chains[e.from].parallelism;
    const pTo = plan.chains[e.to].parallelism;
    for (let from = 0; from < pFrom; from++) {
      if (e.partitioning === 'forward') out.push({ edge: e.index, from, to: from });
      else for (let to = 0; to < pTo; to++) out.push({ edge: e.index, from, to });
    }
  }
  return out;
}

/** Stable identifier of an actor. */
export function actorName(plan: PhysicalPlan, chain: number, subtask: number): string {
  const c = plan.chains[chain];
  return `${c.name} (${subtask + 1}/${c.parallelism})`;
}

/** Orders anything that names a chain and a subtask as the plan does: by chain, then subtask. */
export function byChainThenSubtask(a: { chain: number; subtask: number }, b: { chain: number; subtask: number }): number {
  return a.chain - b.chain || a.subtask - b.subtask;
}
