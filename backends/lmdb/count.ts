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

/** What countEntries reads. */
export interface CountSource {
  db: RootDatabase<Buffer, Buffer>;
  txn: Transaction;
  /** Overlays, oldest first. */
  overlays: Overlay[];
  /** Keys whose existence is newer than the overlays' (a cache's changes not yet written), if any. */
  newer?: Map<string, boolean>;
  /** `nameLen · name · kind` of every map state. */
  mapHeaders: Buffer[];
  keyGroups: KeyGroups;
}

/** Counts (state, key) pairs in LMDB as of `txn` plus the overlays. */
export function countEntries(src: CountSource): number {
  const { db, txn } = src;
  let n = db.getCount({ transaction: txn });
  // Live map entries per map prefix (one user key's map).
  const maps = new Map<string, number>();
  for (const header of src.mapHeaders) {
    for (let g = src.keyGroups.start; g <= src.keyGroups.end; g++) {
      const start = Buffer.concat([keyGroupBound(g), header]);
      for (const key of db.getKeys({ start, end: mapRangeEnd(start), transaction: txn })) {
        n--;
        const prefix = key.toString('latin1', 0, mapPrefixLength(key));
        maps.set(prefix, (maps.get(prefix) ?? 0) + 1);
      }
    }
  }
  const live = new Map<string, boolean>();
  for (const overlay of src.overlays) for (const [k, v] of overlay.entries) live.set(k, v !== TOMBSTONE);
  if (src.newer) for (const [k, exists] of src.newer) live.set(k, exists);
  const getFast = db.getBinaryFast as FastGet;
  for (const [k, exists] of live) {
    const bytes = Buffer.from(k, 'latin1');
    const change = Number(exists) - Number(getFast.call(db, bytes, { transaction: txn }) !== undefined);
    if (change === 0) continue;
    if (!isMapKey(bytes)) {
      n += change;
      continue;
    }
    const prefix = k.slice(0, mapPrefixLength(bytes));
    maps.set(prefix, (maps.get(prefix) ?? 0) + change);
  }
  for (const entries of maps.values()) if (entries > 0) n++;
  return n;
}
