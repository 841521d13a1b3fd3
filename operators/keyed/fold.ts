/** Keyed folds: reduce and aggregate keep one value per key and emit the running result after every record. */
import { UserFunctionError } from '../../base/errors.js';
import type { KeySelector } from '../../base/keygroups.js';
import type { ValueState } from '../../backends/state.js';
import type { Collector, OperatorContext } from '../api.js';
import { detached, KeyedOperator } from './keyed-operator.js';

/** A running aggregate: one accumulator per key, result emitted after every record. */
export interface AggregateFunction<T, A, R> {
  createAccumulator(): A;
  add(value: T, accumulator: A): A;
  getResult(accumulator: A): R;
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
