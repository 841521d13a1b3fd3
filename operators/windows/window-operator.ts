/**
 * Event-time windows over a keyed stream, as Flink's WindowOperator with its event-time
 * trigger: each record is added to its key's windows; a window fires when the watermark passes
 * its end (and again for every late record within the allowed lateness), and is purged once the
 * watermark passes its end plus the lateness. A record later than that is dropped and counted,
 * or goes to the late side output. Windows, their contents and their timers are all keyed state:
 * they are checkpointed, restored and rescaled with their keys, and a purge deletes them. Sliding
 * windows of an aggregate that merges are kept as slices instead (slices.ts).
 */
import { ConfigError, UserFunctionError } from '../../base/errors.js';
import type { KeySelector } from '../../base/keygroups.js';
import type { MapState, StateKey, ValueState } from '../../backends/state.js';
import type { Collector, ElementTime, OperatorContext, OperatorTime, Output } from '../api.js';
import { DownstreamFailure, detached, KeyedOperator } from '../keyed/keyed-operator.js';
import { KeyedTimers } from '../time/timers.js';
import { assignWindows, maxTimestamp, touches, type TimeWindow, type WindowAssigner } from './assigners.js';
import { windowCombiner, type WindowFunction } from './functions.js';
import { addToSlice, firstOpenEnd, sliceLayout, sliceOf, takeWindow, type KeySlices, type SliceLayout } from './slices.js';

/** The side output late records go to. */
export const LATE_TAG = 'late';

/** What the window state keeps per key and window, under the window's start. */
interface WindowMeta {
  end: number;
  /** The accumulator (aggregate) or reduction (reduce) so far. */
  acc?: unknown;
  /** Records added (process windows keep them under `start#n`). */
  count: number;
}

/** Settings of one window operator. */
export interface WindowSettings<T, K extends StateKey> {
  assigner: WindowAssigner;
  allowedLatenessMs: number;
  /** Late records go to the side output instead of being dropped. */
  lateToSideOutput: boolean;
  fn: WindowFunction<T, K>;
}

/** Runs one keyed stream's windows. */
export class WindowOperator<T, K extends StateKey> extends KeyedOperator {
  private windows!: MapState<number, WindowMeta>;
  private contents!: MapState<string, T>;
  private slices!: ValueState<KeySlices>;
  private timers!: KeyedTimers;
  private time!: OperatorTime;
  private element!: ElementTime;
  private output!: Output;
  private out!: Collector;
  private metrics!: Record<string, unknown>;
  private readonly combine;
  /** Set when the windows are kept as slices. */
  private readonly layout: SliceLayout | null;
  /** The watermark whose timers are firing. */
  private firingUpTo = -Infinity;

  constructor(keySelector: KeySelector, private readonly s: WindowSettings<T, K>) {
    super(keySelector);
    this.combine = windowCombiner(s.fn, () => this.origin);
    this.layout = sliceLayout(s.assigner, s.allowedLatenessMs, s.fn.kind === 'aggregate' && typeof s.fn.fn.merge === 'function');
  }

  override open(ctx: OperatorContext): void {
    super.open(ctx);
    this.windows = this.state.mapState<number, WindowMeta>('window:windows');
    this.contents = this.state.mapState<string, T>('window:contents');
    this.slices = this.state.valueState<KeySlices>('window:slices');
    this.time = ctx.time;
    this.element = ctx.element;
    this.output = ctx.output;
    this.metrics = ctx.metrics;
    this.metrics.lateRecordsDropped ??= 0;
    this.metrics.windowsFired ??= 0;
    this.timers = new KeyedTimers(this.state, ctx.time, ctx.element, (time) => this.onTimer(time));
  }

  process(record: unknown, out: Collector): void {
    this.enterKey(record);
    this.out = out;
    const ts = this.element.timestamp;
    if (ts !== ts) {
      throw new ConfigError('window', 'event-time windows need event times: call assignTimestampsAndWatermarks before keyBy(…).window(…)', this.origin);
    }
    const watermark = this.time.watermark();
    if (this.layout ? this.addToSlice(this.layout, record as T, ts, watermark) : this.addToWindows(record as T, ts, watermark)) return;
    if (this.s.lateToSideOutput) this.output.emitSide(LATE_TAG, record);
    else (this.metrics.lateRecordsDropped as number)++;
  }

  /** Adds a record to each of its windows the watermark has not left behind; false if there is none. */
  private addToWindows(record: T, ts: number, watermark: number): boolean {
    let added = false;
    for (const w of assignWindows(this.s.assigner, ts)) {
      const target = this.s.assigner.kind === 'session' ? this.mergeSessions(w, watermark) : w;
      if (target === null || this.isLate(target, watermark)) continue;
      this.add(target, record);
      added = true;
      // Late but within the lateness: the window has fired already and fires again with this record.
      if (maxTimestamp(target) <= watermark) this.fire(target);
    }
    return added;
  }

  /** Adds a record to its slice; a new slice whose first open window ends before the key's timer moves it. False if every window of the slice has fired. */
  private addToSlice(l: SliceLayout, record: T, ts: number, watermark: number): boolean {
    const start = sliceOf(l, ts);
    const end = firstOpenEnd(l, start, watermark);
    if (end === undefined) return false;
    const add = (acc: unknown) => this.combine.add(acc, record);
    const s = this.slices.value();
    if (s === undefined) {
      this.slices.update({ starts: [start], accs: [add(undefined)], next: end });
      this.timers.registerEventTime(end - 1);
      return true;
    }
    if (addToSlice(s, start, add) && end < s.next) {
      this.timers.deleteEventTime(s.next - 1);
      this.timers.registerEventTime(end - 1);
      s.next = end;
    }
    this.slices.update(s);
    return true;
  }

  /** Fires the windows the watermark passed (their timers), then passes it on. */
  processWatermark(time: number, out: Output): void {
    this.out = out;
    this.firingUpTo = time;
    this.timers.advanceWatermark(time);
    out.emitWatermark(time);
  }

  private isLate(w: TimeWindow, watermark: number): boolean {
    return maxTimestamp(w) + this.s.allowedLatenessMs <= watermark;
  }

  private add(w: TimeWindow, record: T): void {
    const meta = this.windows.get(w.start);
    const fresh = meta === undefined;
    const next: WindowMeta = fresh ? { end: w.end, count: 0 } : meta;
    if (this.combine.keepsRecords) this.contents.put(`${w.start}#${next.count}`, record);
    else next.acc = this.combine.add(fresh ? undefined : next.acc, record);
    next.count++;
    this.windows.put(w.start, next);
    if (fresh) this.setTimers(w);
  }

  private setTimers(w: TimeWindow): void {
    this.timers.registerEventTime(maxTimestamp(w));
    if (this.s.allowedLatenessMs > 0) this.timers.registerEventTime(maxTimestamp(w) + this.s.allowedLatenessMs);
  }

  private deleteTimers(w: TimeWindow): void {
    this.timers.deleteEventTime(maxTimestamp(w));
    if (this.s.allowedLatenessMs > 0) this.timers.deleteEventTime(maxTimestamp(w) + this.s.allowedLatenessMs);
  }

  /**
   * A session window for a record: the new one merged with every session of the key it touches.
   * Their state moves into the merged window; null when the merged window is already too late.
   */
  private mergeSessions(w: TimeWindow, watermark: number): TimeWindow | null {
    const merged = { ...w };
    const absorbed: { start: number; meta: WindowMeta }[] = [];
    for (const [start, meta] of this.windows.entries()) {
      if (!touches(w, { start, end: meta.end })) continue;
      absorbed.push({ start, meta });
      merged.start = Math.min(merged.start, start);
      merged.end = Math.max(merged.end, meta.end);
    }
    if (absorbed.length === 0) return w;
    if (this.isLate(merged, watermark)) return null;
    if (absorbed.length === 1 && absorbed[0].start === merged.start && absorbed[0].meta.end === merged.end) return merged;
    const into: WindowMeta = { end: merged.end, count: 0 };
    const records: T[] = [];
    for (const { start, meta } of absorbed) {
      this.deleteTimers({ start, end: meta.end });
      this.windows.remove(start);
      if (this.combine.keepsRecords) {
        for (let i = 0; i < meta.count; i++) {
          records.push(this.contents.get(`${start}#${i}`)!);
          this.contents.remove(`${start}#${i}`);
        }
      } else into.acc = into.count === 0 ? meta.acc : this.combine.merge(into.acc, meta.acc);
      into.count += meta.count;
    }
    records.forEach((r, i) => this.contents.put(`${merged.start}#${i}`, r));
    this.windows.put(merged.start, into);
    this.setTimers(merged);
    return merged;
  }

  /** Timer at `time` of the current key: fire the windows that end there, purge those whose lateness ends there. */
  private onTimer(time: number): void {
    const a = this.s.assigner;
    if (this.layout) return this.onSliceTimer(this.layout, time);
    if (a.kind === 'session') return this.onSessionTimer(time);
    // A fixed-size window is known by its end: look up the one that ends at the timer and the
    // one whose lateness ends there, rather than reading every window of the key.
    const size = a.sizeMs;
    const fires = time + 1 - size;
    const meta = this.windows.get(fires);
    if (meta !== undefined) this.fire({ start: fires, end: meta.end });
    const purges = time - this.s.allowedLatenessMs + 1 - size;
    const old = purges === fires ? meta : this.windows.get(purges);
    if (old !== undefined) this.purge({ start: purges, end: old.end }, old);
  }

  /** Sessions have their own sizes: the key's few windows are read to find the ones the timer is for. */
  private onSessionTimer(time: number): void {
    for (const [start, meta] of [...this.windows.entries()]) {
      const w = { start, end: meta.end };
      if (maxTimestamp(w) === time) this.fire(w);
      if (maxTimestamp(w) + this.s.allowedLatenessMs === time) this.purge(w, meta);
    }
  }

  /**
   * The windows of the key from the one ending at the timer to the last the watermark passed,
   * oldest first, each from its slices: fired if it holds any, and its oldest slices purged. One
   * timer per key, not one per window, when the watermark jumps (the end of input fires every
   * window at once); the key's timer is set for the next window while a slice is left.
   */
  private onSliceTimer(l: SliceLayout, time: number): void {
    const s = this.slices.value();
    if (s === undefined || s.next !== time + 1) return;
    let end = s.next;
    for (;;) {
      const accs = takeWindow(l, s, end);
      if (accs.length > 0) {
        // The first slice's accumulator is copied: a merge may update its first argument in place.
        let acc = detached(accs[0]);
        for (let i = 1; i < accs.length; i++) acc = this.combine.merge(acc, accs[i]);
        this.emitWindow({ start: end - l.sizeMs, end }, accs.length === 1 ? acc : detached(acc), []);
      }
      if (s.starts.length === 0) return this.slices.clear();
      if (s.next - 1 > this.firingUpTo) break;
      end = s.next;
    }
    this.slices.update(s);
    this.timers.registerEventTime(s.next - 1);
  }

  private fire(w: TimeWindow): void {
    const meta = this.windows.get(w.start);
    if (meta === undefined) return;
    const records = this.combine.keepsRecords ? Array.from({ length: meta.count }, (_, i) => this.contents.get(`${w.start}#${i}`)!) : [];
    this.emitWindow(w, detached(meta.acc), records);
  }

  /** Emits a window's result (its accumulator already detached from state) with the window's last millisecond as event time. */
  private emitWindow(w: TimeWindow, acc: unknown, records: T[]): void {
    (this.metrics.windowsFired as number)++;
    const key = this.state.currentKey() as K;
    this.element.timestamp = maxTimestamp(w);
    const out = this.out;
    const emit = (r: unknown) => {
      try {
        out.collect(r);
      } catch (err) {
        throw new DownstreamFailure(err);
      }
    };
    try {
      this.combine.fire({ key, start: w.start, end: w.end }, acc, records, emit);
    } catch (err) {
      if (err instanceof DownstreamFailure) throw err.cause;
      if (err instanceof UserFunctionError) throw err;
      throw new UserFunctionError(this.origin, { key, start: w.start, end: w.end }, err);
    }
  }

  private purge(w: TimeWindow, meta: WindowMeta): void {
    this.windows.remove(w.start);
    if (this.combine.keepsRecords) for (let i = 0; i < meta.count; i++) this.contents.remove(`${w.start}#${i}`);
  }

  close(): void {
    this.timers?.stop();
  }
}
