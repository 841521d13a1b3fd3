/**
 * Checks of option values, each throwing a ConfigError that names the option, so that every
 * command, every execute() option and every operator setting words its refusals the same way.
 */
import { ConfigError } from './errors.js';

/** What a numeric option accepts. */
export interface NumberRule {
  /** Lowest value allowed (inclusive unless `exclusive`). */
  min?: number;
  /** Highest value allowed (inclusive). */
  max?: number;
  /** The minimum itself is refused: `> min` rather than `≥ min`. */
  exclusive?: boolean;
  /** Only whole numbers (safe integers). */
  integer?: boolean;
}

function describe(rule: NumberRule): string {
  const what = rule.integer ? 'an integer' : 'a number';
  const min = rule.min ?? -Infinity;
  const max = rule.max ?? Infinity;
  if (min !== -Infinity && max !== Infinity) return rule.exclusive ? `${what} > ${min} and ≤ ${max}` : `${what} between ${min} and ${max}`;
  if (min !== -Infinity) return `${what} ${rule.exclusive ? '>' : '≥'} ${min}`;
  if (max !== Infinity) return `${what} ≤ ${max}`;
  return rule.integer ? 'an integer' : 'a finite number';
}

/** Returns `value` if it is a number the rule accepts, else throws a ConfigError naming `option`. */
export function checkNumber(option: string, value: unknown, rule: NumberRule = {}): number {
  const min = rule.min ?? -Infinity;
  const ok = typeof value === 'number' && Number.isFinite(value)
    && (rule.exclusive ? value > min : value >= min) && value <= (rule.max ?? Infinity)
    && (!rule.integer || Number.isSafeInteger(value));
  if (!ok) throw new ConfigError(option, `must be ${describe(rule)}, got ${String(value)}`);
  return value as number;
}

/** A whole number of at least 1 (parallelism, counts, sizes). */
export function positiveInteger(option: string, value: unknown): number {
  return checkNumber(option, value, { integer: true, min: 1 });
}

/** `value` if it is one of `allowed`; `fallback` when it is undefined and a fallback is given. */
export function oneOf<T extends string>(option: string, value: unknown, allowed: readonly T[], fallback?: T): T {
  if (value === undefined && fallback !== undefined) return fallback;
  if (!allowed.includes(value as T)) throw new ConfigError(option, `must be one of ${allowed.join(', ')}, got ${String(value)}`);
  return value as T;
}

/** A number as users type it on a command line: `1e6` and `1_000_000` are a million. */
export function parseNumber(option: string, value: unknown): number {
  const n = typeof value === 'number' ? value : Number(String(value).replace(/_/g, ''));
  if (!Number.isFinite(n) || (typeof value === 'string' && value.trim() === '')) throw new ConfigError(option, `must be a number, got "${String(value)}"`);
  return n;
}
