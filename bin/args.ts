/** Parsing of CLI values that yargs leaves as strings. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../base/errors.js';
import { checkNumber, parseDuration, parseNumber, positiveInteger } from '../base/validate.js';

/** Parses "1,2,4" into positive integers, naming the option on error. */
export function intList(option: string, value: string | number): number[] {
  const parts = String(value).split(',').map((s) => s.trim()).filter(Boolean);
  const nums = parts.map(Number);
  if (nums.length === 0 || nums.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new ConfigError(`--${option}`, `expected a comma-separated list of positive integers, got "${value}"`);
  }
  return nums;
}

/** Parses "a,b" into values each of which must be one of `allowed`, naming the option on error. */
export function choiceList<T extends string>(option: string, value: unknown, allowed: readonly T[]): T[] {
  const parts = String(value).split(',').map((s) => s.trim()).filter(Boolean);
  const bad = parts.find((p) => !(allowed as readonly string[]).includes(p));
  if (parts.length === 0 || bad !== undefined) {
    throw new ConfigError(`--${option}`, `expected a comma-separated list of ${allowed.join(', ')}, got "${String(value)}"`);
  }
  return parts as T[];
}

/** Parses a positive integer option, accepting 1e6 and 1_000_000 style values. */
export function positiveInt(option: string, value: unknown): number {
  return positiveInteger(`--${option}`, parseNumber(`--${option}`, value));
}

/** Parses a duration option (`1s`, `500ms`, a bare number of ms) that must be above zero; returns milliseconds. */
export function positiveDuration(option: string, value: unknown): number {
  return checkNumber(`--${option}`, parseDuration(`--${option}`, value), { min: 0, exclusive: true });
}

/** Parses repeated `--param key=value` flags into an object; numeric and boolean values are converted. */
export function parseParams(values: string[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const item of values ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new ConfigError('--param', `expected key=value, got "${item}"`);
    const key = item.slice(0, eq);
    const raw = item.slice(eq + 1);
    out[key] = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && !Number.isNaN(Number(raw)) ? Number(raw) : raw;
  }
  return out;
}

/** Resolves a job argument: a bundled job name (e.g. "transactions") or a module path. */
export function resolveJob(job: string): string {
  const bundled = fileURLToPath(new URL(`./jobs/${job}.js`, import.meta.url));
  if (/^[\w-]+$/.test(job) && existsSync(bundled)) return bundled;
  if (!existsSync(job)) throw new ConfigError('<job>', `no job module at "${job}" and no bundled job of that name`);
  return job;
}
