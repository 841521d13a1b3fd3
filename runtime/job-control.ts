/**
 * A handle on a running job for savepoints: taken on request while it runs, or by
 * stop-with-savepoint, which ends the job once the savepoint is complete. The CLI drives it
 * from signals; programs pass one to execute().
 */
import type { CheckpointCoordinator } from './checkpoint-coordinator.js';
import { ConfigError } from './errors.js';

/** Triggers savepoints of the job it is given to. */
export class JobControl {
  private current: CheckpointCoordinator | null = null;
  private checkpointing = true;
  private waiting: (() => void)[] = [];
  private ended = false;

  /** Connects the running attempt's checkpoint coordinator (null between attempts and at the end); called by the runtime. */
  attach(coordinator: CheckpointCoordinator | null, checkpointing: boolean): void {
    this.current = coordinator;
    this.checkpointing = checkpointing;
    if (coordinator) for (const wake of this.waiting.splice(0)) wake();
  }

  /** The job ended: requests waiting for an attempt, and later ones, fail. */
  end(): void {
    this.ended = true;
    this.current = null;
    for (const wake of this.waiting.splice(0)) wake();
  }

  /** Takes a savepoint into a new folder inside `dir`; resolves with that folder. */
  savepoint(dir: string): Promise<string> {
    return this.take(dir, false);
  }

  /** Takes a savepoint and ends the job once it is complete; execute() then resolves with the results up to it. */
  stopWithSavepoint(dir: string): Promise<string> {
    return this.take(dir, true);
  }

  private async take(dir: string, stop: boolean): Promise<string> {
    if (!this.checkpointing) throw new ConfigError('savepoint', 'savepoints need checkpointing on (--checkpoint-interval)');
    // Between two attempts of a restarting job there is no coordinator; the request waits for the next.
    while (this.current === null && !this.ended) await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (this.current === null) throw new ConfigError('savepoint', 'the job is not running');
    return this.current.triggerSavepoint(dir, stop);
  }
}
