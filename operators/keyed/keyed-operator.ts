/**
 * What every operator after keyBy shares: the record's key is selected, checked and set as the
 * current key of the subtask's state backend before the user function runs, so that state
 * handles refer to that record's key.
 */
import { UserFunctionError, type ErrorOrigin, errorMessage } from '../../base/errors.js';
import { invalidKeyReason, keyGroupOf, keyGroupRange, type KeyGroupRange, type KeySelector } from '../../base/keygroups.js';
import type { KeyedStateBackend, StateKey } from '../../backends/state.js';
import type { Collector, OperatorContext, StreamOperator } from '../api.js';
import { originOf } from '../basic.js';

/** Carries an error of a chained downstream operator through the user function, unwrapped again after it. */
export class DownstreamFailure extends Error {
  override name = 'DownstreamFailure';
  constructor(override readonly cause: unknown) {
    super(`a downstream operator failed: ${errorMessage(cause)}`);
  }
}

const isPrimitive = (x: unknown): boolean => x === null || (typeof x !== 'object' && typeof x !== 'function');

/**
 * A copy of a plain object or array whose values are all primitives, made by hand (about a
 * tenth of structuredClone's cost for a small record), or undefined for anything else.
 */
function flatCopy(value: object): object | undefined {
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype || !value.every(isPrimitive)) return undefined;
    // Properties beside the indexes would be lost by slice(); structuredClone keeps them.
    return Object.keys(value).length === value.length ? value.slice() : undefined;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return undefined;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) {
    const x = (value as Record<string, unknown>)[k];
    // An own "__proto__" would set the copy's prototype instead of a property.
    if (k === '__proto__' || !isPrimitive(x)) return undefined;
    out[k] = x;
  }
  return out;
}

/** A copy of an object that stays in state, so later in-place updates cannot alter what was emitted. */
export function detached<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  return (flatCopy(value) ?? structuredClone(value)) as T;
}

/** Shared key handling: select, validate, assign key group, set current key. */
export abstract class KeyedOperator implements StreamOperator {
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
  protected enterKey(record: unknown, selector: KeySelector = this.keySelector): StateKey {
    let key: StateKey;
    try {
      key = selector(record);
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

