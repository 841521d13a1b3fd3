/**
 * What a worker thread receives for one actor (ports included, transferred), and how
 * it turns that into a running actor: load the job module, rebuild the plan, check it
 * matches the coordinator's, wrap the ports as channels.
 */
import type { MessagePort } from 'node:worker_threads';
import { runActor } from '../actor/actor.js';
import type { ChannelSettings } from '../transport/channel.js';
import { PortInputChannel, PortOutputChannel } from '../transport/port-channel.js';
import { portEndpoint, type ControlEndpoint } from '../transport/control-link.js';
import { ConfigError, serializeError } from '../../base/errors.js';
import { buildJob, loadJob, planFingerprint, type JobOverrides } from '../api/job.js';
import { actorName } from '../plan/plan.js';
import type { ControlFromActor, ControlToActor } from '../transport/protocol.js';
import type { ActorStateSettings } from '../actor/state-settings.js';
import type { ActorRestore } from '../actor/restore.js';
import type { FailureInjection } from '../actor/faults.js';
import type { MetricsSettings } from '../metrics/settings.js';

/** One actor's task, as sent to a worker. */
export interface ActorTask {
  jobModule: string;
  params: unknown;
  overrides: JobOverrides;
  fingerprint: string;
  chain: number;
  subtask: number;
  settings: ChannelSettings;
  state?: ActorStateSettings;
  restore?: ActorRestore;
  injections?: FailureInjection[];
  metrics?: MetricsSettings;
  inputs: MessagePort[];
  /** Per input port, the input of the chain's head it feeds. */
  inputIndex: number[];
  outputs: MessagePort[][];
  control: MessagePort;
}

/** Runs an actor task on the current thread; resolves true when the actor finished. */
export async function runActorTask(task: ActorTask): Promise<boolean> {
  const control = portEndpoint<ControlToActor, ControlFromActor>(task.control) as ControlEndpoint;
  let built;
  try {
    built = buildJob(await loadJob(task.jobModule), task.params, task.overrides);
    if (planFingerprint(built.plan) !== task.fingerprint) {
      throw new ConfigError('job', 'the job module built a different dataflow on a worker thread; its build function must be deterministic');
    }
  } catch (err) {
    control.send({ kind: 'failed', error: serializeError(err, { operator: `chain ${task.chain}`, subtask: task.subtask }) });
    return false;
  }
  const { plan } = built;
  const origin = (chain: number, subtask: number) => ({ operator: actorName(plan, chain, subtask) });
  const window = task.settings.credits;
  return runActor({
    ...built, chain: task.chain, subtask: task.subtask, control, settings: task.settings, state: task.state,
    restore: task.restore, injections: task.injections, metrics: task.metrics,
    inputs: task.inputs.map((p) => new PortInputChannel(p, window)), inputIndex: task.inputIndex,
    outputs: task.outputs.map((list) => list.map((p) => new PortOutputChannel(p, window, origin(task.chain, task.subtask)))),
  });
}
