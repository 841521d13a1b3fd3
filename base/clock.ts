/** Time as the runtime sees it; tests inject a manual clock so intervals are deterministic. */
export interface Clock {
  /** Milliseconds, monotonic within a thread. */
  now(): number;
  /** Milliseconds since the epoch, comparable across threads: processing time as timers and windows see it. */
  wall(): number;
  /** Resolves after `ms` milliseconds of this clock's time. */
  sleep(ms: number): Promise<void>;
  /** Calls `fn` after `ms`; returns a handle for cancelTimer. */
  setTimer(ms: number, fn: () => void): unknown;
  cancelTimer(handle: unknown): void;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => performance.now(),
  wall: () => wallNow(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  setTimer: (ms, fn) => setTimeout(fn, ms),
  cancelTimer: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Lets the process exit while only this timer is pending (a no-op for a manual clock's timers). */
export function unrefTimer(handle: unknown): void {
  (handle as { unref?: () => void } | null)?.unref?.();
}

/** Read once: the getter is far slower than performance.now() itself. */
const TIME_ORIGIN = performance.timeOrigin;

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across threads. */
export function wallNow(): number {
  return TIME_ORIGIN + performance.now();
}

/** A clock that only moves when told to; timers fire in time order during advance(). */
export class ManualClock implements Clock {
  private time = 0;
  private seq = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.time;
  }

  /** The same time: a manual clock starts at the epoch. */
  wall(): number {
    return this.time;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(ms, resolve));
  }

  setTimer(ms: number, fn: () => void): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.time + Math.max(0, ms), fn });
    return id;
  }

  cancelTimer(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Moves time forward by `ms`, firing due timers in order. */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].at <= target && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.timers.delete(next[0]);
      this.time = next[1].at;
      next[1].fn();
    }
    this.time = target;
  }
}
