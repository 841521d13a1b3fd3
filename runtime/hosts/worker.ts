/** Piscina worker entry: one task = one actor, for the whole life of the job. */
import { runActorTask, type ActorTask } from './actor-task.js';

/** Runs the actor described by the task. */
export default function (task: ActorTask): Promise<boolean> {
  return runActorTask(task);
}
