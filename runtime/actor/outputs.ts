/**
 * The output side of an actor, built from the plan: one partitioner per outgoing edge of its
 * chain, feeding that edge's channels (by consumer subtask) through one router.
 */
import type { Clock } from '../../base/clock.js';
import type { ElementTime } from '../../operators/api.js';
import type { OutputChannel, ChannelSettings } from '../transport/channel.js';
import { OutputRouter } from '../transport/output.js';
import { makePartitioner } from '../transport/partitioners.js';
import type { JobGraph } from '../plan/graph.js';
import type { PhysicalPlan } from '../plan/plan.js';

/** What the router of one actor is built from. */
export interface OutputOptions {
  graph: JobGraph;
  plan: PhysicalPlan;
  chain: number;
  subtask: number;
  /** Per outgoing chain edge (in plan order), its channels by consumer subtask. */
  outputs: OutputChannel[][];
  settings: ChannelSettings;
  clock: Clock;
  /** The event time of the record being emitted. */
  element: ElementTime;
}

/** The router of subtask `subtask` of chain `chain`; key selector errors name the chain's last operator and the keyBy's target. */
export function createOutputRouter(o: OutputOptions): OutputRouter {
  const chain = o.plan.chains[o.chain];
  const lastNode = o.graph.nodes[chain.nodeIds[chain.nodeIds.length - 1]];
  const origin = { operator: lastNode.name, subtask: o.subtask, parallelism: chain.parallelism };
  const edges = o.plan.edges.filter((e) => e.from === o.chain);
  return new OutputRouter(
    edges.map((e, i) => ({
      channels: o.outputs[i],
      tag: e.tag,
      partitioner: makePartitioner({
        partitioning: e.partitioning, channels: o.outputs[i].length, subtask: o.subtask,
        maxParallelism: o.plan.maxParallelism, keySelector: e.keySelector, origin,
        target: o.graph.nodes[o.plan.chains[e.to].nodeIds[0]].name,
      }),
    })),
    o.settings.batchSize, o.settings.lingerMs, o.clock, o.element,
  );
}
