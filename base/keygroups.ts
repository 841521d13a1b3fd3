/**
 * Keys → key groups → subtasks, with the same arithmetic as Flink so that state can be
 * redistributed when a job is restored at another parallelism.
 */

/** A key after keyBy; keys hash deterministically, so only strings and numbers are allowed. */
export type StateKey = string | number;

/** Extracts the key of a record; must be deterministic. */
export type KeySelector<T = any, K extends StateKey = StateKey> = (record: T) => K;

/** Upper bound of max parallelism (number of key groups). */
export const UPPER_BOUND_MAX_PARALLELISM = 1 << 15;

/** Finalisation step of 32-bit murmur3; spreads a hash over all bits. */
export function murmurMix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hashString(s: string): number {
  let h = 0x9747b28c;
  for (let i = 0; i < s.length; i++) {
    let k = s.charCodeAt(i);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  return (h ^ s.length) | 0;
}

/** Deterministic 32-bit hash of a key, identical on every thread and every run. */
export function hashKey(key: StateKey): number {
  if (typeof key === 'number') {
    if (Number.isInteger(key) && key >= -0x80000000 && key <= 0x7fffffff) return key | 0;
    return hashString('n' + String(key));
  }
  return hashString(key);
}

/** Key group of a key in [0, maxParallelism). */
export function keyGroupOf(key: StateKey, maxParallelism: number): number {
  return murmurMix(hashKey(key)) % maxParallelism;
}

/** Subtask that owns a key group (contiguous ranges, as Flink assigns them). */
export function subtaskForKeyGroup(keyGroup: number, maxParallelism: number, parallelism: number): number {
  return Math.floor((keyGroup * parallelism) / maxParallelism);
}

/** Inclusive key-group range owned by a subtask. */
export interface KeyGroupRange {
  start: number;
  end: number;
}

/** The key-group range of subtask `index` out of `parallelism`. */
export function keyGroupRange(index: number, parallelism: number, maxParallelism: number): KeyGroupRange {
  return {
    start: Math.floor((index * maxParallelism + parallelism - 1) / parallelism),
    end: Math.floor(((index + 1) * maxParallelism - 1) / parallelism),
  };
}

/** Flink's default: 1.5 × parallelism rounded up to a power of two, within [128, 32768]. */
export function defaultMaxParallelism(parallelism: number): number {
  const wanted = parallelism + Math.floor(parallelism / 2);
  let pow = 1;
  while (pow < wanted) pow <<= 1;
  return Math.min(Math.max(pow, 128), UPPER_BOUND_MAX_PARALLELISM);
}

/** Checks a value returned by a key selector; returns an error message or undefined. */
export function invalidKeyReason(key: unknown): string | undefined {
  if (typeof key === 'string') {
    // Channels encode strings as UTF-8, which replaces a lone surrogate: the key would change in transit.
    return (key as unknown as { isWellFormed(): boolean }).isWellFormed() ? undefined : 'key contains a lone UTF-16 surrogate';
  }
  if (typeof key === 'number') return Number.isNaN(key) ? 'key is NaN' : undefined;
  return `key must be a string or a number, got ${key === null ? 'null' : typeof key}`;
}
