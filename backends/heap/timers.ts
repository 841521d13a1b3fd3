/**
 * Timers of the heap backend: per key group, the distinct times in ascending order and the keys
 * set for each, so the due ones are taken from the front. Snapshots write them as the same
 * timer entries the LMDB backend stores, so either backend restores the other's.
 */
import type { DueTimer, StateKey, TimerState } from '../state.js';

interface GroupTimers {
  /** Distinct times, ascending. */
  times: number[];
  keys: Map<number, Set<StateKey>>;
}

/** The first index in the ascending `times` whose time is not below `time`. */
function lowerBound(times: number[], time: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid] < time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** One timer state on the heap. */
export class HeapTimers implements TimerState {
  private readonly groups = new Map<number, GroupTimers>();
  private count = 0;

  constructor(private readonly current: () => { key: StateKey; group: number }) {}

  /** Timers held. */
  get size(): number {
    return this.count;
  }

  register(time: number): void {
    if (typeof time !== 'number' || Number.isNaN(time)) throw new Error(`a timer needs a time in milliseconds, got ${String(time)}`);
    const { key, group } = this.current();
    this.add(group, time, key);
  }

  /** Adds a timer of another key than the current one (a restore). */
  add(group: number, time: number, key: StateKey): void {
    let g = this.groups.get(group);
    if (!g) this.groups.set(group, (g = { times: [], keys: new Map() }));
    let keys = g.keys.get(time);
    if (!keys) {
      g.times.splice(lowerBound(g.times, time), 0, time);
      g.keys.set(time, (keys = new Set()));
    }
    const size = keys.size;
    keys.add(key);
    this.count += keys.size - size;
  }

  delete(time: number): void {
    const { key, group } = this.current();
    this.remove(group, time, key);
  }

  /** Removes a timer of another key than the current one (a restore applying a deletion). */
  remove(group: number, time: number, key: StateKey): void {
    const g = this.groups.get(group);
    const keys = g?.keys.get(time);
    if (!g || !keys || !keys.delete(key)) return;
    this.count--;
    if (keys.size === 0) {
      g.keys.delete(time);
      g.times.splice(lowerBound(g.times, time), 1);
    }
  }

  takeDue(time: number, limit: number): DueTimer[] {
    const out: DueTimer[] = [];
    for (const [group, g] of this.groups) {
      while (out.length < limit && g.times.length > 0 && g.times[0] <= time) {
        const t = g.times[0];
        const keys = g.keys.get(t)!;
        for (const key of keys) {
          if (out.length >= limit) break;
          out.push({ time: t, key, keyGroup: group });
          keys.delete(key);
          this.count--;
        }
        if (keys.size === 0) {
          g.keys.delete(t);
          g.times.shift();
        }
      }
      if (out.length >= limit) break;
    }
    return out;
  }

  earliest(): number {
    let min = Infinity;
    for (const g of this.groups.values()) if (g.times.length > 0 && g.times[0] < min) min = g.times[0];
    return min;
  }

  /** Every timer held, for a snapshot. */
  *entries(): IterableIterator<DueTimer> {
    for (const [group, g] of this.groups) for (const time of g.times) for (const key of g.keys.get(time)!) yield { time, key, keyGroup: group };
  }

  clear(): void {
    this.groups.clear();
    this.count = 0;
  }
}
