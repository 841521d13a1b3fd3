/**
 * Interval joins, as Flink's: a left record at time t meets every right record of the same key
 * whose time lies in [t + lower, t + upper]. Each side's records wait in keyed state, by time,
 * until the watermark shows that no record of the other side can still meet them; a timer then
 * removes them. A record that arrives behind the watermark is late: dropped and counted.
 */
import { ConfigError, UserFunctionError } from '../../base/errors.js';
import type { KeySelector } from '../../base/keygroups.js';
import type { MapState, StateKey } from '../../backends/state.js';
import type { Collector, ElementTime, OperatorContext, OperatorTime, Output } from '../api.js';
import { KeyedTimers } from '../time/timers.js';
import { DownstreamFailure, KeyedOperator } from './keyed-operator.js';

/** What an interval join's function sees of a pair. */
export interface IntervalJoinContext<K, R> {
  readonly key: K;
  readonly leftTimestamp: number;
  readonly rightTimestamp: number;
  /** The pair's event time: the later of the two. */
  readonly timestamp: number;
  /** Emits a record (any number per pair); what the function returns, unless undefined, is emitted too. */
  emit(record: R): void;
}

/** A function called for each pair that meets; `E` is what ctx.emit accepts (the output type, apart only for inference). */
export type IntervalJoinFunction<A, B, K, R, E extends R = R> = (left: A, right: B, ctx: IntervalJoinContext<K, E>) => R | void;

/** Joins two keyed streams on time. */
export class IntervalJoinOperator<A, B, K extends StateKey, R> extends KeyedOperator {
  private left!: MapState<number, A[]>;
  private right!: MapState<number, B[]>;
  private timers!: KeyedTimers;
  private time!: OperatorTime;
  private element!: ElementTime;
  private metrics!: Record<string, unknown>;
  private out!: Collector;
  private readonly pair = { key: '' as K, leftTimestamp: 0, rightTimestamp: 0, timestamp: 0, emit: (r: R) => this.emit(r) };

  constructor(
    keyA: KeySelector, private readonly keyB: KeySelector, private readonly lowerMs: number, private readonly upperMs: number,
    private readonly fn: IntervalJoinFunction<A, B, K, R>,
  ) {
    super(keyA);
  }

  override open(ctx: OperatorContext): void {
    super.open(ctx);
    this.left = this.state.mapState<number, A[]>('join:left');
    this.right = this.state.mapState<number, B[]>('join:right');
    this.time = ctx.time;
    this.element = ctx.element;
    this.metrics = ctx.metrics;
    this.metrics.lateRecordsDropped ??= 0;
    this.timers = new KeyedTimers(this.state, ctx.time, ctx.element, (time) => this.cleanUp(time));
  }

  process(record: unknown, out: Collector): void {
    const key = this.enterKey(record) as K;
    this.out = out;
    const t = this.eventTime();
    if (t === null) return;
    this.buffer(this.left, t, record as A, t + Math.max(this.upperMs, 0));
    for (const [tb, rights] of this.right.entries()) {
      if (tb < t + this.lowerMs || tb > t + this.upperMs) continue;
      for (const r of rights) this.join(key, record as A, t, r, tb);
    }
  }

  process2(record: unknown, out: Collector): void {
    const key = this.enterKey(record, this.keyB) as K;
    this.out = out;
    const tb = this.eventTime();
    if (tb === null) return;
    this.buffer(this.right, tb, record as B, tb + Math.max(-this.lowerMs, 0));
    for (const [t, lefts] of this.left.entries()) {
      if (tb < t + this.lowerMs || tb > t + this.upperMs) continue;
      for (const l of lefts) this.join(key, l, t, record as B, tb);
    }
  }

  /** Removes the records the watermark has made useless, then passes it on. */
  processWatermark(time: number, out: Output): void {
    this.out = out;
    this.timers.advanceWatermark(time);
    out.emitWatermark(time);
  }

  close(): void {
    this.timers?.stop();
  }

  /** The current record's event time, or null when it is late (counted). */
  private eventTime(): number | null {
    const t = this.element.timestamp;
    if (t !== t) throw new ConfigError('intervalJoin', 'an interval join needs event times: call assignTimestampsAndWatermarks on both streams', this.origin);
    if (t <= this.time.watermark()) {
      (this.metrics.lateRecordsDropped as number)++;
      return null;
    }
    return t;
  }

  private buffer<V>(side: MapState<number, V[]>, t: number, record: V, cleanUpAt: number): void {
    const list = side.get(t);
    side.put(t, list ? [...list, record] : [record]);
    this.timers.registerEventTime(cleanUpAt);
  }

  private join(key: K, l: A, t: number, r: B, tb: number): void {
    const p = this.pair;
    p.key = key;
    p.leftTimestamp = t;
    p.rightTimestamp = tb;
    p.timestamp = Math.max(t, tb);
    const saved = this.element.timestamp;
    this.element.timestamp = p.timestamp;
    let result: R | void;
    try {
      result = this.fn(l, r, p);
    } catch (err) {
      if (err instanceof DownstreamFailure) throw err.cause;
      if (err instanceof UserFunctionError) throw err;
      throw new UserFunctionError(this.origin, { left: l, right: r }, err);
    }
    if (result !== undefined) this.out.collect(result);
    this.element.timestamp = saved;
  }

  private emit(r: R): void {
    try {
      this.out.collect(r);
    } catch (err) {
      throw new DownstreamFailure(err);
    }
  }

  /** Timer at `time` of the current key: the records of either side whose wait ends there go. */
  private cleanUp(time: number): void {
    for (const t of [...this.left.keys()]) if (t + Math.max(this.upperMs, 0) === time) this.left.remove(t);
    for (const tb of [...this.right.keys()]) if (tb + Math.max(-this.lowerMs, 0) === time) this.right.remove(tb);
  }
}
