/**
 * Timers of the LMDB backend: one entry per (key, time), under keys that start with the key
 * group and sort by time within it, so a range scan of a key group finds its due timers first
 * and they are copied, restored and rescaled with the rest of the state. Only the earliest time
 * of each key group is kept in memory, worked out again by a scan when it may have changed.
 */
import { decodeTimerKey, encodeTimerKey, timerPrefix, timerRangeEnd } from '../format/keys.js';
import type { KeyGroups } from '../format/restore-reader.js';
import type { DueTimer, TimerState } from '../state.js';
import type { CurrentKey } from './accessors.js';
import { TOMBSTONE } from './overlay.js';
import type { OverlayStore } from './store.js';

/** The value of a timer entry: only its key matters (msgpack `true`). */
const PRESENT = Buffer.from([0xc3]);

/** Throws for a time no timer can have. */
export function checkTimerTime(time: number): void {
  if (typeof time !== 'number' || Number.isNaN(time)) throw new Error(`a timer needs a time in milliseconds, got ${String(time)}`);
}

/** One timer state over the overlay store. */
export class LmdbTimers implements TimerState {
  /** Per key group of the subtask, its earliest timer (+∞: none), NaN while unknown. */
  private readonly earliestOf: Float64Array;
  /**
   * Per key group, 1 once a scan found it without timers. Its earliest is then +∞, which the final
   * watermark (+∞) reaches: without this mark every round of firing at the end of input scanned
   * every emptied key group again, a quadratic end for a job with many timers.
   */
  private readonly empty: Uint8Array;
  private readonly prefixes: string[] = [];

  constructor(private readonly store: OverlayStore, private readonly cur: CurrentKey, private readonly header: Buffer, private readonly keyGroups: KeyGroups) {
    const n = keyGroups.end - keyGroups.start + 1;
    this.earliestOf = new Float64Array(n).fill(NaN);
    this.empty = new Uint8Array(n);
    for (let g = keyGroups.start; g <= keyGroups.end; g++) this.prefixes.push(timerPrefix(g, header).toString('latin1'));
  }

  register(time: number): void {
    checkTimerTime(time);
    const { key, group } = this.current();
    const bytes = encodeTimerKey(group, this.header, time, key);
    this.store.write(bytes.toString('latin1'), bytes, PRESENT, this.prefixes[group - this.keyGroups.start]);
    const i = group - this.keyGroups.start;
    if (this.earliestOf[i] > time) this.earliestOf[i] = time;
    this.empty[i] = 0;
  }

  delete(time: number): void {
    checkTimerTime(time);
    const { key, group } = this.current();
    const bytes = encodeTimerKey(group, this.header, time, key);
    const i = group - this.keyGroups.start;
    this.store.remove(bytes.toString('latin1'), bytes, this.prefixes[i]);
    if (this.earliestOf[i] === time) this.earliestOf[i] = NaN;
  }

  takeDue(time: number, limit: number): DueTimer[] {
    const out: DueTimer[] = [];
    for (let g = this.keyGroups.start; g <= this.keyGroups.end && out.length < limit; g++) {
      const i = g - this.keyGroups.start;
      const earliest = this.earliest1(i);
      if (this.empty[i] === 1 || !(earliest <= time)) continue;
      const prefix = this.prefixes[i];
      const room = limit - out.length;
      // One scan past the due timers: the first one left is the key group's new earliest.
      let next = Infinity;
      let left = false;
      for (const k of this.store.rangeKeys(prefix, timerPrefix(g, this.header), timerRangeEnd(g, this.header, Infinity), room + 1)) {
        const bytes = Buffer.from(k, 'latin1');
        const t = decodeTimerKey(bytes);
        if (t.time > time || out.length === limit) {
          next = t.time;
          left = true;
          break;
        }
        out.push({ time: t.time, key: t.userKey, keyGroup: g });
        this.store.write(k, bytes, TOMBSTONE, prefix);
      }
      this.earliestOf[i] = next;
      this.empty[i] = left ? 0 : 1;
    }
    return out;
  }

  earliest(): number {
    let min = Infinity;
    for (let i = 0; i < this.earliestOf.length; i++) min = Math.min(min, this.earliest1(i));
    return min;
  }

  /** After a restore the timers on disk are new: every key group's earliest is worked out again. */
  forget(): void {
    this.earliestOf.fill(NaN);
    this.empty.fill(0);
  }

  /** Key group `start + i`'s earliest timer, scanned for when unknown. */
  private earliest1(i: number): number {
    const known = this.earliestOf[i];
    if (!Number.isNaN(known)) return known;
    const g = this.keyGroups.start + i;
    const [first] = this.store.rangeKeys(this.prefixes[i], timerPrefix(g, this.header), timerRangeEnd(g, this.header, Infinity), 1);
    const e = first === undefined ? Infinity : decodeTimerKey(Buffer.from(first, 'latin1')).time;
    this.earliestOf[i] = e;
    this.empty[i] = first === undefined ? 1 : 0;
    return e;
  }

  private current(): { key: NonNullable<CurrentKey['key']>; group: number } {
    const { key, group } = this.cur;
    if (key === undefined) throw new Error('a timer was set or deleted with no current key');
    return { key, group };
  }
}
