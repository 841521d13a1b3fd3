/**
 * Runs every actor of a job on the calling thread, connected by in-memory channels:
 * the whole runtime minus the threads, for tests and for quick runs.
 */
import { memoryChannel } from '../transport/memory-channel.js';
import type { ChannelSettings } from '../transport/channel.js';
import type { Clock } from '../../base/clock.js';
import { memoryControl } from '../transport/control-link.js';
import { runActor } from '../actor/actor.js';
import type { BuiltJob } from '../api/job.js';
import { actorName } from '../plan/plan.js';
import { wirePlan } from '../plan/wiring.js';
import type { ActorStateSettings } from '../actor/state-settings.js';
import type { ActorRestore } from '../actor/restore.js';
import type { FailureInjection } from '../actor/faults.js';
import type { MetricsSettings } from '../metrics/settings.js';
import type { ActorHost, LaunchedActor } from './host.js';

/** Options of the single-thread host. */
export interface LocalHostOptions {
  settings: ChannelSettings;
  clock?: Clock;
  state?: ActorStateSettings;
  /** Per actor in plan order (chain, then subtask): what it restores. */
  restores?: ActorRestore[];
  injections?: FailureInjection[];
  metrics?: MetricsSettings;
}

/** An ActorHost that runs actors as plain async functions on this thread. */
export class LocalHost implements ActorHost {
  constructor(private readonly job: BuiltJob, private readonly opts: LocalHostOptions) {}

  launch(): LaunchedActor[] {
    const { plan, graph } = this.job;
    const { channels, actors } = wirePlan(plan);
    const pairs = channels.map((c) => memoryChannel(this.opts.settings.credits, { operator: actorName(plan, plan.edges[c.edge].from, c.from) }));
    return actors.map((w, i) => {
      const control = memoryControl();
      const exited = runActor({
        graph, plan, chain: w.chain, subtask: w.subtask,
        inputs: w.inputs.map((i) => pairs[i].input), inputIndex: w.inputIndex,
        outputs: w.outputs.map((list) => list.map((i) => pairs[i].output)),
        control: control.actor, settings: this.opts.settings, clock: this.opts.clock, state: this.opts.state,
        restore: this.opts.restores?.[i], injections: this.opts.injections, metrics: this.opts.metrics,
      }).then(() => undefined);
      return { chain: w.chain, subtask: w.subtask, control: control.coordinator, exited };
    });
  }

  async shutdown(): Promise<void> {}
}
