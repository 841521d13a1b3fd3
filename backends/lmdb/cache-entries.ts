/**
 * What the LMDB backend's cache of decoded values (cache.ts) holds: an entry per key, tables of
 * them per state, and the record of a value changed since the last barrier, which the barrier's
 * write-out (write-out.ts) encodes and which then stands for the key until the store has it.
 */
import type { StateKey } from '../state.js';
import type { Encoded } from './encodings.js';
import { TOMBSTONE } from './overlay.js';

/** The value of a cached key known to hold nothing. */
export const ABSENT: unique symbol = Symbol('absent');

/**
 * One cached value, or ABSENT. `dirty` is its change since the last barrier (made in `epoch`);
 * `ahead` the record of its last write-out while the store still holds an older value. `stored`
 * says whether the store holds the key (so deleting a key the store never held writes nothing),
 * undefined when a write that needed no read left it unknown; `bytes` is the memory it is
 * reckoned to take. `storeKey` is the encoded store key once known (a map entry's once it was
 * written out): a key written at every checkpoint is encoded once.
 * `listed` while it is in the cache's list of entries ahead of the store.
 */
export interface CachedValue {
  value: unknown;
  dirty: Dirty | null;
  epoch: number;
  ahead: Dirty | null;
  stored: boolean | undefined;
  bytes: number;
  storeKey: string | undefined;
  listed: boolean;
}

/** A user key's map state: the entries cached so far, `complete` once every stored entry is among them. */
export interface CachedMap { entries: Map<StateKey, CachedValue>; complete: boolean; bytes: number }

/** The cached entries of one state: user key → value, or → map for map state. */
export class CacheTable<R extends CachedValue | CachedMap> {
  young = new Map<StateKey, R>();
  old = new Map<StateKey, R>();
  constructor(readonly header: Buffer) {}
}

/**
 * A value changed since the last barrier of `epoch`. Its write-out fills `storeKey`, `mapPrefix`
 * (map entries), its encoding (`chunk`, `at`, `len`: the encoded value, or TOMBSTONE) and `held`
 * (whether the store held the key then; left undefined by a write that needed no read, until a
 * snapshot's copy looks it up); `chunk` stays undefined when there was nothing to write (created
 * and deleted unseen).
 */
export interface Dirty extends Encoded {
  table: CacheTable<CachedValue | CachedMap>;
  key: StateKey;
  group: number;
  mapKey: StateKey | undefined;
  entry: CachedValue;
  epoch: number;
  storeKey: string;
  mapPrefix: string | undefined;
  held: boolean | undefined;
}

/**
 * What the records ahead of the store add to the entries LMDB holds, kept as records join and
 * leave so that a delta counts the state's entries by the records that changed, not by a pass
 * over every record ahead: `live` sums the records whose `held` is known, `unknown` lists those
 * joined without it (some may have left or been looked up since).
 */
export interface AheadTally {
  live: number;
  unknown: Dirty[];
}

/** The entries a record ahead adds to LMDB's (1: a key LMDB lacks), or takes away (-1: a deletion of one it holds); `held` known. */
export function liveEffect(d: Dirty): number {
  if (d.chunk === TOMBSTONE) return d.held ? -1 : 0;
  return d.held ? 0 : 1;
}

/**
 * Sets a record's `held` once looked up; a record still ahead then counts in the tally (one
 * that left counted nothing when it left), and its entry learns it too.
 */
export function settleHeld(d: Dirty, held: boolean, tally: AheadTally): void {
  d.held = held;
  if (d.entry.ahead !== d) return;
  d.entry.stored ??= held;
  tally.live += liveEffect(d);
}

/**
 * Memory reckoned for one cached entry besides its value: a Map slot, the entry object and its
 * key. A decoded value is reckoned at twice its msgpack size (objects and arrays take more room
 * on the heap than their encoding).
 */
export const ENTRY_BYTES = 120;
const DECODED_PER_ENCODED_BYTE = 2;

/** Memory reckoned for a cached value whose encoding takes `encoded` bytes. */
export function reckon(encoded: number): number {
  return ENTRY_BYTES + DECODED_PER_ENCODED_BYTE * encoded;
}

/** Members of an array looked at by guessEncoded; a longer array is reckoned from them. */
const GUESS_SAMPLE = 16;

/**
 * About how many bytes a decoded value takes encoded, without encoding it: strings by length,
 * numbers by their largest form, objects and arrays by their members two levels down (a longer
 * array from its first members). A value written without being read counts against the budget by
 * this until it is encoded, which then reckons it exactly.
 */
export function guessEncoded(value: unknown, depth = 2): number {
  if (typeof value === 'string') return 5 + value.length;
  if (typeof value !== 'object' || value === null) return 9;
  if (value instanceof Uint8Array) return 5 + value.length;
  if (depth === 0) return 32;
  let n = 5;
  if (Array.isArray(value)) {
    const seen = Math.min(value.length, GUESS_SAMPLE);
    let sample = 0;
    for (let i = 0; i < seen; i++) sample += guessEncoded(value[i], depth - 1);
    return seen === 0 ? n : n + Math.round((sample * value.length) / seen);
  }
  for (const k in value) n += 1 + k.length + guessEncoded((value as Record<string, unknown>)[k], depth - 1);
  return n;
}

/** A fresh entry. */
export function cachedValue(value: unknown, stored: boolean | undefined, bytes: number, storeKey: string | undefined): CachedValue {
  return { value, dirty: null, epoch: 0, ahead: null, stored, bytes, storeKey, listed: false };
}
