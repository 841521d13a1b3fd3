/** Stateless record-at-a-time operators: map, filter, flatMap. */
import { UserFunctionError, type ErrorOrigin } from '../base/errors.js';
import type { Collector, OperatorContext, StreamOperator } from './api.js';

/** The origin an operator's errors name, taken from its context. */
export function originOf(ctx: OperatorContext): ErrorOrigin {
  return { operator: ctx.operatorName, subtask: ctx.subtask, parallelism: ctx.parallelism };
}

/** Base for operators that call one user function per record. */
abstract class UserFunctionOperator<I, O> implements StreamOperator<I, O> {
  protected origin: ErrorOrigin = {};

  open(ctx: OperatorContext): void {
    this.origin = originOf(ctx);
  }

  abstract process(record: I, out: Collector<O>): void;
}

/** Emits fn(record) for every record. */
export class MapOperator<I, O> extends UserFunctionOperator<I, O> {
  constructor(private readonly fn: (record: I) => O) {
    super();
  }

  process(record: I, out: Collector<O>): void {
    let result: O;
    try {
      result = this.fn(record);
    } catch (err) {
      throw new UserFunctionError(this.origin, record, err);
    }
    out.collect(result);
  }
}

/** Emits the records for which fn returns true. */
export class FilterOperator<T> extends UserFunctionOperator<T, T> {
  constructor(private readonly fn: (record: T) => boolean) {
    super();
  }

  process(record: T, out: Collector<T>): void {
    let keep: boolean;
    try {
      keep = this.fn(record);
    } catch (err) {
      throw new UserFunctionError(this.origin, record, err);
    }
    if (keep) out.collect(record);
  }
}

/** Emits every element of the iterable fn returns (nothing for undefined). */
export class FlatMapOperator<I, O> extends UserFunctionOperator<I, O> {
  constructor(private readonly fn: (record: I) => Iterable<O> | undefined | void) {
    super();
  }

  process(record: I, out: Collector<O>): void {
    let results: O[];
    try {
      const it = this.fn(record);
      results = it === undefined ? [] : Array.isArray(it) ? it : [...it];
    } catch (err) {
      throw new UserFunctionError(this.origin, record, err);
    }
    for (const r of results) out.collect(r);
  }
}
