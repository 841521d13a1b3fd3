/**
 * Worker threads kept for the jobs a process runs one after another, as a standing cluster keeps
 * its task managers between jobs: a later job finds the runtime's code loaded and compiled on
 * them. A fresh thread interprets and compiles everything again, and code that runs once a
 * second (a checkpoint's) stays slow for much of a short run. The caller owns the pool and
 * closes it; a job never leaves a kept thread with an actor of its own still running on it.
 */
import type { Piscina } from 'piscina';
import { ConfigError } from '../../base/errors.js';

/** Threads shared by consecutive jobs; one configuration and one job at a time. */
export class WorkerPool {
  /** `failed` once a thread failed while no job ran on them: they are not handed out again. */
  private kept: { key: string; pool: Piscina; failed: boolean } | undefined;
  private inUse = false;
  private readonly closing: Promise<void>[] = [];
  private closed = false;

  /**
   * For a job: the kept threads if they were made for `key` (thread count, tasks per thread,
   * limits), else threads from `make`, kept from now on (threads kept for another key end).
   */
  acquire(key: string, make: () => Piscina): Piscina {
    if (this.closed) throw new ConfigError('workers', 'the worker pool is closed');
    if (this.inUse) throw new ConfigError('workers', 'the worker pool runs one job at a time: a job is running on it');
    if (this.kept?.key !== key || this.kept.failed) {
      if (this.kept !== undefined) this.end(this.kept.pool);
      const kept = { key, pool: make(), failed: false };
      // A job listens for its threads' failures itself; one between jobs belongs to none, and the threads are replaced.
      kept.pool.on('error', () => (kept.failed ||= !this.inUse));
      this.kept = kept;
    }
    this.inUse = true;
    return this.kept.pool;
  }

  /** The job on `pool` is over; `idle` false when an actor of it may still run there, which ends the threads. */
  async release(pool: Piscina, idle: boolean): Promise<void> {
    if (this.kept?.pool !== pool) return;
    this.inUse = false;
    if (idle) return;
    this.kept = undefined;
    await pool.destroy();
  }

  /** The thread ids of the kept threads (none before the first job). */
  threadIds(): number[] {
    return this.kept === undefined ? [] : this.kept.pool.threads.map((t) => t.threadId);
  }

  /** Ends every thread; the pool takes no more jobs. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.kept !== undefined) this.end(this.kept.pool);
    this.kept = undefined;
    await Promise.all(this.closing.splice(0));
  }

  /** Ends threads in the background; close() reports a failure to. */
  private end(pool: Piscina): void {
    const ended = pool.destroy();
    ended.catch(() => {});
    this.closing.push(ended);
  }
}
