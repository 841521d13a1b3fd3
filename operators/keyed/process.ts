/**
 * Keyed process functions: a function, or an object with processElement and onTimer, called per
 * record with its key, keyed state, timers and an emitter, as Flink's KeyedProcessFunction.
 * Timers are keyed state too: they fire with their key current, so state and emit work in
 * onTimer as in processElement.
 */
import { UserFunctionError } from '../../base/errors.js';
import type { KeySelector } from '../../base/keygroups.js';
import type { ListState, MapState, ReducingState, StateKey, ValueState } from '../../backends/state.js';
import type { Collector, OperatorContext, OperatorTime, Output } from '../api.js';
import { KeyedTimers, type TimeDomain } from '../time/timers.js';
import { DownstreamFailure, KeyedOperator } from './keyed-operator.js';

/** The timers a keyed process function sets for the current key (one per key and time). */
export interface TimerService {
  /** Fires onTimer once the watermark reaches `time`. */
  registerEventTime(time: number): void;
  deleteEventTime(time: number): void;
  /** Fires onTimer once processing time (the injected clock, ms since the epoch) reaches `time`. */
  registerProcessingTime(time: number): void;
  deleteProcessingTime(time: number): void;
  /** Processing time now, ms since the epoch. */
  currentProcessingTime(): number;
}

/** What a keyed process function sees for the current record: its key K, keyed state, timers, and an emitter of output records R. */
export interface KeyedContext<K extends StateKey = StateKey, R = unknown> {
  /** Key of the record being processed. */
  readonly key: K;
  /** The record's event time (in onTimer: the timer's, for event-time timers); undefined when it has none. */
  readonly timestamp: number | undefined;
  /** The watermark this operator has seen (−∞ before the first). */
  watermark(): number;
  /** Timers of the current key. */
  readonly timers: TimerService;
  /** Emits an output record (any number per input record). */
  emit(record: R): void;
  valueState<T>(name: string): ValueState<T>;
  mapState<K extends StateKey, V>(name: string): MapState<K, V>;
  listState<T>(name: string): ListState<T>;
  reducingState<T>(name: string, reduce: (a: T, b: T) => T): ReducingState<T>;
}

/** What onTimer sees: the timer's key as current, and which clock fired it. */
export interface OnTimerContext<K extends StateKey = StateKey, R = unknown> extends KeyedContext<K, R> {
  readonly timeDomain: TimeDomain;
}

/**
 * A function called once per record with keyed state and an emitter, or an object whose
 * processElement is that function and whose onTimer fires the timers it sets. What either
 * returns, unless undefined, is emitted too. `E` is what ctx.emit accepts: the output type
 * itself, a parameter of its own only so that the output type can be inferred from returns.
 */
export type KeyedProcessFunction<T, K extends StateKey, R, E extends R = R> =
  | ((record: T, ctx: KeyedContext<K, E>) => R | void)
  | {
    processElement(record: T, ctx: KeyedContext<K, E>): R | void;
    onTimer?(time: number, ctx: OnTimerContext<K, E>): R | void;
  };

/** Runs a KeyedProcessFunction. */
export class KeyedProcessOperator<T, K extends StateKey, R> extends KeyedOperator {
  protected out!: Collector;
  private output!: Output;
  protected key = '' as K;
  private domain: TimeDomain = 'event';
  private time!: OperatorTime;
  private element!: { timestamp: number };
  private timers: KeyedTimers | null = null;
  protected readonly ctx: OnTimerContext<K, R>;
  private readonly onElement: (record: T, ctx: KeyedContext<K, R>) => R | void;
  private readonly onTimer: ((time: number, ctx: OnTimerContext<K, R>) => R | void) | undefined;

  constructor(keySelector: KeySelector, fn: KeyedProcessFunction<T, K, R>) {
    super(keySelector);
    if (typeof fn === 'function') this.onElement = fn;
    else {
      if (typeof fn?.processElement !== 'function') throw new Error('a keyed process function is a function or an object with processElement(record, ctx)');
      this.onElement = fn.processElement.bind(fn);
      this.onTimer = fn.onTimer?.bind(fn);
    }
    const self = this;
    const timers: TimerService = {
      registerEventTime: (t) => self.requireTimers().registerEventTime(t),
      deleteEventTime: (t) => self.requireTimers().deleteEventTime(t),
      registerProcessingTime: (t) => self.requireTimers().registerProcessingTime(t),
      deleteProcessingTime: (t) => self.requireTimers().deleteProcessingTime(t),
      currentProcessingTime: () => self.time.now(),
    };
    this.ctx = {
      get key() {
        return self.key;
      },
      get timestamp() {
        const ts = self.element.timestamp;
        return ts === ts ? ts : undefined;
      },
      watermark: () => self.time.watermark(),
      timers,
      get timeDomain() {
        return self.domain;
      },
      emit: (r) => {
        try {
          self.out.collect(r);
        } catch (err) {
          throw new DownstreamFailure(err);
        }
      },
      valueState: (name) => self.state.valueState(name),
      mapState: (name) => self.state.mapState(name),
      listState: (name) => self.state.listState(name),
      reducingState: (name, reduce) => self.state.reducingState(name, reduce),
    };
  }

  override open(ctx: OperatorContext): void {
    super.open(ctx);
    this.output = ctx.output;
    this.time = ctx.time;
    this.element = ctx.element;
    if (this.onTimer) {
      this.timers = new KeyedTimers(this.state, ctx.time, ctx.element, (time, key, domain) => this.fireTimer(time, key as K, domain));
      this.timers.start();
    }
  }

  process(record: unknown, out: Collector): void {
    this.key = this.enterKey(record) as K;
    this.out = out;
    this.emitResult(record, () => this.onElement(record as T, this.ctx));
  }

  /** Fires the event-time timers the watermark passed, then passes it on. */
  processWatermark(time: number, out: Output): void {
    if (this.timers) {
      this.out = out;
      this.timers.advanceWatermark(time);
    }
    out.emitWatermark(time);
  }

  close(): void {
    this.timers?.stop();
  }

  private fireTimer(time: number, key: K, domain: TimeDomain): void {
    this.key = key;
    this.domain = domain;
    // A processing-time timer fires outside any record: its output goes to the operator's output.
    if (domain === 'processing') this.out = this.output;
    this.emitResult({ timer: time, key }, () => this.onTimer!(time, this.ctx));
  }

  private requireTimers(): KeyedTimers {
    if (this.timers === null) throw new Error('timers need an onTimer to fire: pass process({ processElement, onTimer })');
    return this.timers;
  }

  /** Runs the user's code and emits what it returns; `what` names the record (or timer) in errors. */
  protected emitResult(what: unknown, call: () => R | void): void {
    let result: R | void;
    try {
      result = call();
    } catch (err) {
      // A chained operator after this one failed: its error names it and says whether a restart helps.
      if (err instanceof DownstreamFailure) throw err.cause;
      if (err instanceof UserFunctionError) throw err;
      throw new UserFunctionError(this.origin, what, err);
    }
    if (result === undefined) return;
    // An async function returns a promise: emitting it would send an empty object downstream.
    if (typeof (result as { then?: unknown } | null)?.then === 'function') {
      throw new UserFunctionError(this.origin, what, new Error('the process function returned a promise; process functions run synchronously, so return the record itself (or use ctx.emit)'));
    }
    this.out.collect(result);
  }
}
