/** Stateless record-at-a-time operators: map, filter, flatMap. */
import { UserFunctionError, type ErrorOrigin } from '../runtime/errors.js';
import type { Collector, OperatorContext, StreamOperator } from './api.js';

/** The origin an operator's errors name, taken from its context. */
export function originOf(ctx: OperatorContext): ErrorOrigin {
  return { operator: ctx.operatorName, subtask: ctx.subtask, parallelism: ctx.parallelism };
}

/** Base for operators that call one user function per record. */
abstract class UserFunctionOperator implements StreamOperator {
  protected origin: ErrorOrigin = {};

  open(ctx: OperatorContext): void {
    this.origin = originOf(ctx);
  }

  abstract process(record: unknown, out: Collector): void;
}

/** Emits fn(record) for every record. */
export class MapOperator extends UserFunctionOperator {
  constructor(private readonly fn: (record: any) => unknown) {
    super();
  }

  process(record: unknown, out: Collector): void {
    let result: unknown;
    try {
      result = this.fn(record);
    } catch (err) {
      throw new UserFunctionError(this.origin, record, err);
    }
    out.collect(result);
  }
}

/** Emits the records for which fn returns true. */
export class FilterOperator extends UserFunctionOperator {
  constructor(private readonly fn: (record: any) => boolean) {
    super();
  }

  process(record: unknown, out: Collector): void {
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
export class FlatMapOperator extends UserFunctionOperator {
  constructor(private readonly fn: (record: any) => Iterable<unknown> | undefined | void) {
    super();
  }

  process(record: unknown, out: Collector): void {
    let results: unknown[];
    try {
      const it = this.fn(record);
      results = it === undefined ? [] : Array.isArray(it) ? it : [...it];
    } catch (err) {
      throw new UserFunctionError(this.origin, record, err);
    }
    for (const r of results) out.collect(r);
  }
}
