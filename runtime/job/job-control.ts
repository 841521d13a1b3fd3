/**
 * A handle on a running job for savepoints: taken on request while it runs, or by
 * stop-with-savepoint, which ends the job once the savepoint is complete. The CLI drives it
 * from signals; programs pass one to execute().
 */
import type { CheckpointCoordinator } from '../checkpoint/coordinator.js';
import { ConfigError } from '../../base/errors.js';

/** Triggers savepoints of the job it is given to. */
export class JobControl {
  private current: CheckpointCoordinator | null = null;
  /** Unknown until the job starts; savepoints need checkpointing. */
  private checkpointing: boolean | undefined;
  private waiting: (() => void)[] = [];
  private ended = false;

  /** The job starts, with or without checkpointing; called by the runtime. */
  begin(checkpointing: boolean): void {
    this.checkpointing = checkpointing;
    this.wake();
  }

  /** Connects the running attempt's checkpoint coordinator (null between attempts and while one ends); called by the runtime. */
  attach(coordinator: CheckpointCoordinator | null): void {
    this.current = coordinator;
    if (coordinator) this.wake();
  }

  /** The job ended: requests waiting for an attempt, and later ones, fail. */
  end(): void {
    this.ended = true;
    this.current = null;
    this.wake();
  }

  /** Takes a savepoint into a new folder inside `dir`; resolves with that folder. */
  savepoint(dir: string): Promise<string> {
    return this.take(dir, false);
  }

  /** Takes a savepoint and ends the job once it is complete; execute() then resolves with the results up to it. */
  stopWithSavepoint(dir: string): Promise<string> {
    return this.take(dir, true);
  }

  private wake(): void {
    for (const resolve of this.waiting.splice(0)) resolve();
  }

  private async take(dir: string, stop: boolean): Promise<string> {
    // Before the job starts and between two attempts there is no coordinator; the request waits for the next.
    while (this.current === null && !this.ended && this.checkpointing !== false) await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (this.checkpointing === false) throw new ConfigError('savepoint', 'savepoints need checkpointing on (--checkpoint-interval)');
    if (this.current === null) throw new ConfigError('savepoint', 'the job is not running');
    return this.current.triggerSavepoint(dir, stop);
  }
}
