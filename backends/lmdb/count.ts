/**
 * entryCount() of the LMDB backend: (state, key) pairs, as the heap backend counts them,
 * so a map state counts once per user key however many map entries it has. Values, lists
 * and reducing state are one LMDB entry each, so LMDB's native count covers them; only
 * map-state ranges are scanned, and the overlays' uncommitted writes (and a cache's newer
 * changes) are folded in.
 */
import type { RootDatabase, Transaction } from 'lmdb';
import { isMapKey, keyGroupBound, mapPrefixLength, mapRangeEnd } from '../format/keys.js';
import { TOMBSTONE, type Overlay } from './overlay.js';
import type { KeyGroups } from '../format/restore-reader.js';

type FastGet = (key: Buffer, options: { transaction: Transaction }) => Buffer | undefined;

/**
 * A key the cache holds newer than the store: whether it exists now, and whether the store held it
 * when that is known (a record ahead of the store, which nothing writes while it is ahead).
 */
export type NewerKey = [key: string, exists: boolean, held: boolean | undefined];

/** What countEntries reads. */
export interface CountSource {
  db: RootDatabase<Buffer, Buffer>;
  txn: Transaction;
  /** Overlays, oldest first. */
  overlays: Overlay[];
  /** Keys whose existence is newer than the overlays' (a cache's changes not yet written), each key once, if any. */
  newer?: Iterable<NewerKey>;
  /** `nameLen · name · kind` of every map state. */
  mapHeaders: Buffer[];
  keyGroups: KeyGroups;
}

/** Keys read or looked up in LMDB between two pauses of a paced count. */
export const KEYS_PER_PAUSE = 4096;

/** Counts (state, key) pairs in LMDB as of `txn` plus the overlays. */
export function countEntries(src: CountSource): number {
  const counting = counted(src);
  for (;;) {
    const step = counting.next();
    if (step.done) return step.value;
  }
}

/**
 * countEntries() with a pause every KEYS_PER_PAUSE keys read: counting a large state (a job's
 * end, for its statistics) then does not hold up the other actors of the thread, which would
 * otherwise wait for it to end their own work.
 */
export async function countEntriesPaced(src: CountSource, pause: () => Promise<void>): Promise<number> {
  const counting = counted(src);
  for (;;) {
    const step = counting.next();
    if (step.done) return step.value;
    await pause();
  }
}

/** The count, yielding after every KEYS_PER_PAUSE keys read. */
function* counted(src: CountSource): Generator<void, number, void> {
  const { db, txn } = src;
  let n = db.getCount({ transaction: txn });
  // Live map entries per map prefix (one user key's map).
  const maps = new Map<string, number>();
  let read = 0;
  for (const header of src.mapHeaders) {
    for (let g = src.keyGroups.start; g <= src.keyGroups.end; g++) {
      const start = Buffer.concat([keyGroupBound(g), header]);
      for (const key of db.getKeys({ start, end: mapRangeEnd(start), transaction: txn })) {
        if (++read % KEYS_PER_PAUSE === 0) yield;
        n--;
        const prefix = key.toString('latin1', 0, mapPrefixLength(key));
        maps.set(prefix, (maps.get(prefix) ?? 0) + 1);
      }
    }
  }
  // Whether LMDB holds a key changes the count by what exists now less what LMDB holds.
  const change = (k: string, bytes: Buffer, by: number): void => {
    if (by === 0) return;
    if (!isMapKey(bytes)) {
      n += by;
      return;
    }
    const prefix = k.slice(0, mapPrefixLength(bytes));
    maps.set(prefix, (maps.get(prefix) ?? 0) + by);
  };
  const live = new Map<string, boolean>();
  for (const overlay of src.overlays) {
    for (const [k, v] of overlay.entries) {
      if (++read % KEYS_PER_PAUSE === 0) yield;
      live.set(k, v !== TOMBSTONE);
    }
  }
  for (const [k, exists, held] of src.newer ?? []) {
    if (++read % KEYS_PER_PAUSE === 0) yield;
    // No overlay wrote it: what the store held is what LMDB holds, so it needs no lookup.
    if (held !== undefined && !live.has(k)) change(k, Buffer.from(k, 'latin1'), Number(exists) - Number(held));
    else live.set(k, exists);
  }
  const getFast = db.getBinaryFast as FastGet;
  for (const [k, exists] of live) {
    if (++read % KEYS_PER_PAUSE === 0) yield;
    const bytes = Buffer.from(k, 'latin1');
    change(k, bytes, Number(exists) - Number(getFast.call(db, bytes, { transaction: txn }) !== undefined));
  }
  for (const entries of maps.values()) if (entries > 0) n++;
  return n;
}
