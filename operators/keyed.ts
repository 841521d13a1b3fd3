/**
 * Operators after keyBy. Each sets the current key on the subtask's state backend
 * before calling the user function, so state handles refer to that record's key.
 */
import { UserFunctionError, type ErrorOrigin, errorMessage } from '../base/errors.js';
import { invalidKeyReason, keyGroupOf, keyGroupRange, type KeyGroupRange, type KeySelector } from '../base/keygroups.js';
import type { KeyedStateBackend, ListState, MapState, ReducingState, StateKey, ValueState } from '../backends/state.js';
import type { Collector, OperatorContext, StreamOperator } from './api.js';
import { originOf } from './basic.js';

/** What a keyed process function sees for the current record: its key K, keyed state, and an emitter of output records R. */
export interface KeyedContext<K extends StateKey = StateKey, R = unknown> {
  /** Key of the record being processed. */
  readonly key: K;
  /** Emits an output record (any number per input record). */
  emit(record: R): void;
  valueState<T>(name: string): ValueState<T>;
  mapState<K extends StateKey, V>(name: string): MapState<K, V>;
  listState<T>(name: string): ListState<T>;
  reducingState<T>(name: string, reduce: (a: T, b: T) => T): ReducingState<T>;
}

/**
 * A function called once per record with keyed state and an emitter; what it returns, unless
 * undefined, is emitted too. `E` is what ctx.emit accepts: the output type itself, a parameter
 * of its own only so that the output type can be inferred from what the function returns.
 */
export type KeyedProcessFunction<T, K extends StateKey, R, E extends R = R> = (record: T, ctx: KeyedContext<K, E>) => R | void;

/** A running aggregate: one accumulator per key, result emitted after every record. */
export interface AggregateFunction<T, A, R> {
  createAccumulator(): A;
  add(value: T, accumulator: A): A;
  getResult(accumulator: A): R;
}

/** Carries an error of a chained downstream operator through the user function, unwrapped again after it. */
class DownstreamFailure extends Error {
  override name = 'DownstreamFailure';
  constructor(override readonly cause: unknown) {
    super(`a downstream operator failed: ${errorMessage(cause)}`);
  }
}

/** A copy of an object that stays in state, so later in-place updates cannot alter what was emitted. */
function detached<T>(value: T): T {
  return value !== null && typeof value === 'object' ? structuredClone(value) : value;
}

/** Shared key handling: select, validate, assign key group, set current key. */
abstract class KeyedOperator implements StreamOperator {
  protected origin: ErrorOrigin = {};
  protected state!: KeyedStateBackend;
  private maxParallelism = 128;
  private range: KeyGroupRange = { start: 0, end: 0 };

  constructor(private readonly keySelector: KeySelector) {}

  open(ctx: OperatorContext): void {
    this.origin = originOf(ctx);
    if (!ctx.keyedState) throw new Error('keyed operator opened without a keyed state backend');
    this.state = ctx.keyedState;
    this.maxParallelism = ctx.maxParallelism;
    this.range = keyGroupRange(ctx.subtask, ctx.parallelism, ctx.maxParallelism);
  }

  /** Sets the record's key as current; throws a UserFunctionError naming the record on a bad key. */
  protected enterKey(record: unknown): StateKey {
    let key: StateKey;
    try {
      key = this.keySelector(record);
    } catch (err) {
      throw new UserFunctionError(this.origin, record, err);
    }
    const bad = invalidKeyReason(key);
    if (bad) throw new UserFunctionError(this.origin, record, new Error(`key selector: ${bad}`));
    const group = keyGroupOf(key, this.maxParallelism);
    if (group < this.range.start || group > this.range.end) {
      const reason = `key ${JSON.stringify(key)} is in key group ${group}, outside this subtask's range ${this.range.start}-${this.range.end}: the key selector must return the same key for a record every time`;
      throw new UserFunctionError(this.origin, record, new Error(reason));
    }
    this.state.setCurrentKey(key, group);
    return key;
  }

  /** A promise while the state backend must drain buffered writes before more records, else null. */
  blocked(): Promise<void> | null {
    return this.state.blocked();
  }

  abstract process(record: unknown, out: Collector): void;
}

/** Runs a KeyedProcessFunction. */
export class KeyedProcessOperator<T, K extends StateKey, R> extends KeyedOperator {
  private out!: Collector;
  private key = '' as K;
  private readonly ctx: KeyedContext<K, R>;

  constructor(keySelector: KeySelector, private readonly fn: KeyedProcessFunction<T, K, R>) {
    super(keySelector);
    const self = this;
    this.ctx = {
      get key() {
        return self.key;
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

  process(record: unknown, out: Collector): void {
    this.key = this.enterKey(record) as K;
    this.out = out;
    let result: R | void;
    try {
      result = this.fn(record as T, this.ctx);
    } catch (err) {
      // A chained operator after this one failed: its error names it and says whether a restart helps.
      if (err instanceof DownstreamFailure) throw err.cause;
      if (err instanceof UserFunctionError) throw err;
      throw new UserFunctionError(this.origin, record, err);
    }
    if (result === undefined) return;
    // An async function returns a promise: emitting it would send an empty object downstream.
    if (typeof (result as { then?: unknown } | null)?.then === 'function') {
      throw new UserFunctionError(this.origin, record, new Error('the process function returned a promise; process functions run synchronously, so return the record itself (or use ctx.emit)'));
    }
    out.collect(result);
  }
}

/** Runs an operator of the user's own after keyBy, with the record's key set as current before each record. */
export class KeyedCustomOperator<I, O> extends KeyedOperator {
  constructor(keySelector: KeySelector, private readonly inner: StreamOperator<I, O>) {
    super(keySelector);
  }

  override async open(ctx: OperatorContext): Promise<void> {
    super.open(ctx);
    await this.inner.open(ctx);
  }

  process(record: unknown, out: Collector): void {
    this.enterKey(record);
    this.inner.process(record as I, out as Collector<O>);
  }

  override blocked(): Promise<void> | null {
    const own = this.inner.blocked?.() ?? null;
    const state = super.blocked();
    return own && state ? Promise.all([own, state]).then(() => undefined) : (own ?? state);
  }

  finish(out: Collector): void | Promise<void> {
    return this.inner.finish?.(out as Collector<O>);
  }

  close(): void | Promise<void> {
    return this.inner.close?.();
  }

  snapshotState(id: number): void | Promise<void> {
    return this.inner.snapshotState?.(id);
  }

  notifyCheckpointComplete(id: number): void {
    this.inner.notifyCheckpointComplete?.(id);
  }
}

/** Folds records per key with a reduce function, emitting the running result. */
export class ReduceOperator<T> extends KeyedOperator {
  private handle!: ValueState<T>;

  constructor(keySelector: KeySelector, private readonly fn: (a: T, b: T) => T) {
    super(keySelector);
  }

  override open(ctx: OperatorContext): void {
    super.open(ctx);
    this.handle = this.state.valueState<T>('reduce');
  }

  process(record: unknown, out: Collector): void {
    this.enterKey(record);
    const prev = this.handle.value();
    let next: T;
    try {
      next = prev === undefined ? (record as T) : this.fn(prev, record as T);
    } catch (err) {
      throw new UserFunctionError(this.origin, record, err);
    }
    this.handle.update(next);
    out.collect(detached(next));
  }
}

/** Maintains an accumulator per key, emitting getResult after every record. */
export class AggregateOperator<T, A, R> extends KeyedOperator {
  private handle!: ValueState<A>;

  constructor(keySelector: KeySelector, private readonly fn: AggregateFunction<T, A, R>) {
    super(keySelector);
  }

  override open(ctx: OperatorContext): void {
    super.open(ctx);
    this.handle = this.state.valueState<A>('aggregate');
  }

  process(record: unknown, out: Collector): void {
    this.enterKey(record);
    let result: R;
    try {
      const acc = this.fn.add(record as T, this.handle.value() ?? this.fn.createAccumulator());
      this.handle.update(acc);
      result = this.fn.getResult(acc);
    } catch (err) {
      throw new UserFunctionError(this.origin, record, err);
    }
    out.collect(detached(result));
  }
}
