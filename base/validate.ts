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

/** Milliseconds per unit of a duration, in the spellings Flink's durations take. */
const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6, nano: 1e-6, nanos: 1e-6, nanosecond: 1e-6, nanoseconds: 1e-6,
  us: 1e-3, µs: 1e-3, micro: 1e-3, micros: 1e-3, microsecond: 1e-3, microseconds: 1e-3,
  ms: 1, milli: 1, millis: 1, millisecond: 1, milliseconds: 1,
  s: 1000, sec: 1000, secs: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
};

/** A duration in milliseconds, as Flink's settings take them: `10s`, `500 ms`, `1min`; a bare number is milliseconds. */
export function parseDuration(option: string, value: unknown): number {
  if (typeof value === 'number') return checkNumber(option, value, { min: 0 });
  const m = /^\s*([0-9][0-9_]*(?:\.[0-9]+)?(?:e[0-9]+)?)\s*([a-zµ]*)\s*$/i.exec(String(value));
  const unit = m ? DURATION_UNITS[m[2].toLowerCase() || 'ms'] : undefined;
  if (!m || unit === undefined) throw new ConfigError(option, `must be a duration such as 500ms, 10s or 1min (a bare number is milliseconds), got "${String(value)}"`);
  return Number(m[1].replace(/_/g, '')) * unit;
}
