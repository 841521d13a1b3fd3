/**
 * Paces a source to a rate on an injected clock: how many items are due now and how long until
 * the next one. The schedule starts at the first call, so a slow start is no backlog to catch
 * up, and a source that fell behind catches up at once.
 */

/** The schedule of one source subtask emitting `perMs` items per millisecond. */
export class Pacer {
  private start = -1;
  private done = 0;

  constructor(private readonly perMs: number) {}

  /** Items the schedule allows by `now`: the first is due at once. */
  due(now: number): number {
    if (this.start < 0) this.start = now;
    return Math.floor((now - this.start) * this.perMs) + 1 - this.done;
  }

  /** Milliseconds from `now` until the next item is due. */
  waitMs(now: number): number {
    return this.start + this.done / this.perMs - now;
  }

  /** Counts items emitted. */
  emitted(count: number): void {
    this.done += count;
  }
}
