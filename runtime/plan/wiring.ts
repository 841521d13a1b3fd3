/** Which channels each actor reads and writes, derived from the plan. */
import { channelsOf, type ChannelId, type PhysicalPlan } from './plan.js';

/** Channel indices (into channelsOf(plan)) of one actor. */
export interface ActorWiring {
  chain: number;
  subtask: number;
  inputs: number[];
  /** Per input channel, the input of the chain's head it feeds (0, or 1 for a two-input operator's second). */
  inputIndex: number[];
  /** Per outgoing edge of the chain (plan order), channel indices by consumer subtask. */
  outputs: number[][];
}

/** The wiring of every actor, in chain then subtask order, and the channel list it indexes. */
export function wirePlan(plan: PhysicalPlan): { channels: ChannelId[]; actors: ActorWiring[] } {
  const channels = channelsOf(plan);
  const actors: ActorWiring[] = [];
  for (const chain of plan.chains) {
    const outEdges = plan.edges.filter((e) => e.from === chain.index);
    for (let subtask = 0; subtask < chain.parallelism; subtask++) {
      const inputs: number[] = [];
      const inputIndex: number[] = [];
      const outputs: number[][] = outEdges.map(() => []);
      channels.forEach((c, i) => {
        const e = plan.edges[c.edge];
        if (e.to === chain.index && c.to === subtask) {
          inputs.push(i);
          inputIndex.push(e.input);
        }
        const k = outEdges.indexOf(e);
        if (k >= 0 && c.from === subtask) outputs[k].push(i);
      });
      actors.push({ chain: chain.index, subtask, inputs, inputIndex, outputs });
    }
  }
  return { channels, actors };
}
