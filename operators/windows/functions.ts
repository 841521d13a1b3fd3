/**
 * What a window does with its records: an aggregate keeps one accumulator and emits its result,
 * a reduce keeps the running reduction, a process function sees every record of the window
 * when it fires. The window operator only adds, merges and fires through this one shape.
 */
import { ConfigError, type ErrorOrigin } from '../../base/errors.js';
import type { StateKey } from '../../backends/state.js';
import type { Collector } from '../api.js';

/** An incremental aggregate of a window's records; `merge` joins two accumulators (of sessions, or of a sliding window's slices). */
export interface WindowAggregateFunction<T, A, R> {
  createAccumulator(): A;
  add(value: T, accumulator: A): A;
  getResult(accumulator: A): R;
  /** Needed by session windows, whose windows merge; sliding windows with it keep one accumulator per slice and merge them as a window fires. */
  merge?(a: A, b: A): A;
}

/** The window a result belongs to. */
export interface WindowInfo<K> {
  key: K;
  /** Inclusive start and exclusive end, in event time. */
  start: number;
  end: number;
}

/** The result of a window's aggregate or reduce: its key, its span and the value. */
export interface WindowResult<K, V> extends WindowInfo<K> {
  value: V;
}

/** A function over a whole window's records; what it returns, unless undefined, is emitted too. */
export type ProcessWindowFunction<T, K, R, E extends R = R> = (elements: T[], window: WindowInfo<K>, out: Collector<E>) => R | void;

/** The function of one window operator. */
export type WindowFunction<T, K extends StateKey> =
  | { kind: 'aggregate'; fn: WindowAggregateFunction<T, unknown, unknown>; session: boolean }
  | { kind: 'reduce'; fn: (a: T, b: T) => T }
  | { kind: 'process'; fn: ProcessWindowFunction<T, K, unknown> };

/** How the window operator adds, merges and fires, whatever the function. */
export interface WindowCombiner<T, K> {
  /** Whether the window keeps its records (process) rather than an accumulator. */
  keepsRecords: boolean;
  add(acc: unknown, record: T): unknown;
  merge(a: unknown, b: unknown): unknown;
  fire(window: WindowInfo<K>, acc: unknown, records: T[], emit: (r: unknown) => void): void;
}

/** The combiner of a window function; `origin` names the operator in a refusal. */
export function windowCombiner<T, K extends StateKey>(f: WindowFunction<T, K>, origin: () => ErrorOrigin): WindowCombiner<T, K> {
  switch (f.kind) {
    case 'aggregate': {
      const { fn } = f;
      if (f.session && typeof fn.merge !== 'function') throw new ConfigError('merge', 'session windows merge, so their aggregate function needs merge(a, b)', origin());
      return {
        keepsRecords: false,
        add: (acc, r) => fn.add(r, acc === undefined ? fn.createAccumulator() : acc),
        merge: (a, b) => fn.merge!(a, b),
        fire: (w, acc, _records, emit) => emit({ key: w.key, start: w.start, end: w.end, value: fn.getResult(acc) }),
      };
    }
    case 'reduce': {
      const { fn } = f;
      return {
        keepsRecords: false,
        add: (acc, r) => (acc === undefined ? r : fn(acc as T, r)),
        merge: (a, b) => fn(a as T, b as T),
        fire: (w, acc, _records, emit) => emit({ key: w.key, start: w.start, end: w.end, value: acc }),
      };
    }
    case 'process': {
      const { fn } = f;
      return {
        keepsRecords: true,
        add: () => undefined,
        merge: () => undefined,
        fire: (w, _acc, records, emit) => {
          const result = fn(records, w, { collect: emit });
          if (result !== undefined) emit(result);
        },
      };
    }
  }
}
