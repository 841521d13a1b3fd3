/**
 * The keys written to the store in one interval between snapshots, as a log in the order of the
 * writes: appending is all a write costs, where a map of changed keys cost a hash-table insert
 * on every timer set or fired. The delta's copy sorts the keys anyway; the log is sorted then,
 * once, and each key keeps its last value.
 */
import { TOMBSTONE, type OverlayValue } from './overlay.js';

/** A changed key's value: encoded bytes, TOMBSTONE for a deletion, undefined when left to be read (noted without it). */
export type ChangedValue = OverlayValue | undefined;

/** The changed keys of an interval in key order, each once, with its last value. */
export interface SortedChanges {
  keys: string[];
  values: ChangedValue[];
}

/** Writes of one interval, in order. */
export class ChangeLog {
  private readonly keys: string[] = [];
  private readonly values: ChangedValue[] = [];
  /** Per write, 1 when it changed its key; 0 for a value a snapshot holds already, handed over by the cache. */
  private readonly changes: number[] = [];
  private changed = 0;
  private deleted = 0;
  private sortedChanges: SortedChanges | undefined;

  /**
   * Logs a write of `key` (latin1) as of now; `again` when the key is known to be logged as
   * changed already. A key is changed in the interval if any of its writes changed it, and its
   * value is its last write's, whatever wrote it.
   */
  add(key: string, value: ChangedValue, change: boolean, again = false): void {
    this.keys.push(key);
    this.values.push(value);
    this.changes.push(change ? 1 : 0);
    if (change && !again) this.changed++;
    if (change && value === TOMBSTONE) this.deleted++;
    this.sortedChanges = undefined;
  }

  /** The keys changed, but for one changed again after the store froze the overlay it was in, which counts twice. */
  get size(): number {
    return this.changed;
  }

  /** Of them, deletions: each leaves a tombstone in a delta (a key deleted, then written again, counts too). */
  deletions(): number {
    return this.deleted;
  }

  /** The changed keys in key order, each once with its last value; worked out once. */
  sorted(): SortedChanges {
    if (this.sortedChanges !== undefined) return this.sortedChanges;
    const { keys, values, changes } = this;
    const order = Array.from({ length: keys.length }, (_, i) => i);
    // The sort is stable: a key's writes stay in the order they were made, its last one last.
    // latin1 strings compare char by char with chars 0-255, which is byte order.
    order.sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : 0));
    const out: SortedChanges = { keys: [], values: [] };
    for (let i = 0; i < order.length; ) {
      const key = keys[order[i]];
      let change = 0;
      let last = i;
      for (; i < order.length && keys[order[i]] === key; i++) {
        change |= changes[order[i]];
        last = i;
      }
      if (change === 0) continue;
      out.keys.push(key);
      out.values.push(values[order[last]]);
    }
    this.sortedChanges = out;
    return out;
  }
}

