/**
 * Where actors run: a host launches every actor of one attempt (on this thread or on worker
 * threads) and tears them down; the attempt talks to each through its control link.
 */
import type { CoordinatorEndpoint } from '../transport/control-link.js';

/** A started actor as the coordinator sees it. */
export interface LaunchedActor {
  chain: number;
  subtask: number;
  control: CoordinatorEndpoint;
  /** Settles when the actor's task ends; rejects if its thread died. */
  exited: Promise<void>;
}

/** Starts actors somewhere (this thread, a worker pool) and tears them down. */
export interface ActorHost {
  launch(): LaunchedActor[];
  shutdown(): Promise<void>;
}
