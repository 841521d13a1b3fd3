/**
 * Worker threads kept for the jobs a process runs one after another, as a standing cluster keeps
 * its task managers between jobs: a later job finds the runtime's code loaded and compiled on
 * them. A fresh thread interprets and compiles everything again, and code that runs once a
 * second (a checkpoint's) stays slow for much of a short run. The caller owns the pool and
 * closes it; a job never leaves a kept thread with an actor of its own still running on it.
 */
import type { Piscina } from 'piscina';

/** Threads shared by consecutive jobs; one configuration at a time. */
export class WorkerPool {
  private kept: { key: string; pool: Piscina } | undefined;
  private readonly closing: Promise<unknown>[] = [];
  private closed = false;

  /**
   * The kept threads if they were made for `key` (thread count, tasks per thread, limits), else
   * threads from `make`, kept from now on; threads kept for another key are closed.
   */
  acquire(key: string, make: () => Piscina): Piscina {
    if (this.closed) throw new Error('the worker pool is closed');
    if (this.kept?.key === key) return this.kept.pool;
    if (this.kept !== undefined) this.closing.push(this.kept.pool.destroy());
    const pool = make();
    this.kept = { key, pool };
    return pool;
  }

  /** Closes threads a job could not leave idle (an actor still running): the next job gets fresh ones. */
  discard(pool: Piscina): Promise<void> {
    if (this.kept?.pool === pool) this.kept = undefined;
    return pool.destroy();
  }

  /** The thread ids of the kept threads (empty before the first job). */
  threadIds(): number[] {
    return this.kept === undefined ? [] : this.kept.pool.threads.map((t) => t.threadId);
  }

  /** Ends every thread; the pool takes no more jobs. */
  async close(): Promise<void> {
    this.closed = true;
    const pool = this.kept?.pool;
    this.kept = undefined;
    await Promise.all([...this.closing.splice(0), pool?.destroy()]);
  }
}
