/**
 * State handles of the LMDB backend over its cache of decoded values (cache.ts). A value read
 * while its key is cached is the stored object, as on the heap backend, so state changes
 * through update(), put() and add(); list state hands out copies of its list, as the heap
 * backend does, which lets add() append to the cached list instead of rewriting it.
 */
import { stateHeader } from '../format/keys.js';
import { ABSENT, type CacheTable, type CachedMap, type CachedValue } from './cache-entries.js';
import type { StateCache } from './cache.js';
import type { ListState, MapState, ReducingState, StateKey, ValueState } from '../state.js';

function present<T>(entry: CachedValue): T | undefined {
  return entry.value === ABSENT ? undefined : (entry.value as T);
}

/** Deletes an entry's value; one known to be absent stays clean, so it writes nothing. */
function drop(cache: StateCache, t: CacheTable<CachedValue | CachedMap>, entry: CachedValue, mapKey?: StateKey): void {
  if (entry.value !== ABSENT) cache.set(t, entry, ABSENT, mapKey);
}

/** Makes the handles of the four state kinds over one cache. */
export class CachedHandles {
  constructor(private readonly cache: StateCache) {}

  /** Value state. */
  value<T>(name: string): ValueState<T> {
    const cache = this.cache;
    const t = cache.table<CachedValue>(stateHeader(name, 'value'));
    return {
      value: () => present<T>(cache.value(t)),
      update: (v: T) => cache.set(t, cache.valueToWrite(t), v),
      clear: () => drop(cache, t, cache.value(t)),
    };
  }

  /** List state: the whole list is one stored value. */
  list<T>(name: string): ListState<T> {
    const cache = this.cache;
    const t = cache.table<CachedValue>(stateHeader(name, 'list'));
    const append = (vs: T[]): void => {
      const e = cache.value(t);
      if (vs.length === 0) return;
      // The cached list is never handed out, so it can grow in place.
      if (e.value === ABSENT) cache.set(t, e, vs.slice());
      else {
        (e.value as T[]).push(...vs);
        cache.set(t, e, e.value);
      }
    };
    return {
      get: () => present<T[]>(cache.value(t))?.slice() ?? [],
      add: (v: T) => append([v]),
      addAll: (vs: T[]) => append(vs),
      update: (vs: T[]) => (vs.length === 0 ? drop(cache, t, cache.value(t)) : cache.set(t, cache.valueToWrite(t), vs.slice())),
      clear: () => drop(cache, t, cache.value(t)),
    };
  }

  /** Reducing state. */
  reducing<T>(name: string, reduce: (a: T, b: T) => T): ReducingState<T> {
    const cache = this.cache;
    const t = cache.table<CachedValue>(stateHeader(name, 'reducing'));
    return {
      get: () => present<T>(cache.value(t)),
      add: (v: T) => {
        const e = cache.value(t);
        cache.set(t, e, e.value === ABSENT ? v : reduce(e.value as T, v));
      },
      clear: () => drop(cache, t, cache.value(t)),
    };
  }

  /** Map state: one cached (and stored) entry per map entry, so an update touches one entry. */
  map<K extends StateKey, V>(name: string): MapState<K, V> {
    const cache = this.cache;
    const t = cache.table<CachedMap>(stateHeader(name, 'map'));
    const entry = (k: K): CachedValue => cache.mapEntry(t, cache.map(t), k);
    // Read eagerly, as the heap backend does: a key change before iterating must not switch maps.
    const live = (): [K, V][] => cache.liveEntries(t, cache.map(t)).map(([k, e]) => [k as K, e.value as V]);
    return {
      get: (k: K) => present<V>(entry(k)),
      put: (k: K, v: V) => cache.set(t, cache.mapEntry(t, cache.map(t), k, true), v, k),
      remove: (k: K) => drop(cache, t, entry(k), k),
      contains: (k: K) => entry(k).value !== ABSENT,
      entries: () => live().values(),
      keys: () => live().map(([k]) => k).values(),
      values: () => live().map(([, v]) => v).values(),
      isEmpty: () => live().length === 0,
      clear: () => {
        const m = cache.map(t);
        cache.complete(t, m);
        for (const [k, e] of m.entries) drop(cache, t, e, k);
      },
    };
  }
}
