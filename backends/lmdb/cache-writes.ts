/**
 * How the cache's values leave it: encoded for a snapshot's write-out (kept ahead of the store
 * as records, or put into the overlay reserved for the snapshot), written to the store as
 * changes, or handed to the store from their records. What the encodings change of the cache's
 * reckoned memory is kept in the shared `CacheBytes`.
 */
import { KeyWriter } from '../format/keys.js';
import { packValue } from '../format/state-file.js';
import { ABSENT, reckon, type CachedValue, type Dirty } from './cache-entries.js';
import { TOMBSTONE, type OverlayValue } from './overlay.js';
import type { OverlayStore } from './store.js';
import type { WriteOut } from './write-out.js';

/** Memory reckoned for a record ahead of the store besides its encoded value: the record and the view of its bytes. */
export const RECORD_BYTES = 200;

/** The cache's reckoned memory: its young entries, and its records ahead of the store. */
export interface CacheBytes {
  young: number;
  ahead: number;
}

/** Encodings and writes of one cache's values. */
export class CacheWrites {
  private readonly writer = new KeyWriter();

  constructor(private readonly store: OverlayStore, private readonly bytes: CacheBytes) {}

  /** Encodes one record of a write-out (its entry is dirty with it): ahead of the store, or into the write-out's reserved overlay. */
  writeOut(w: WriteOut, d: Dirty): void {
    const e = d.entry;
    this.encodeKey(d);
    // Unknown after a write that needed no read. A deletion needs it now; a value only for the
    // count of entries, which the snapshot's copy looks up in key order (snapshot.ts).
    if (e.value === ABSENT) e.stored ??= this.store.read(d.storeKey, Buffer.from(d.storeKey, 'latin1')) !== undefined;
    e.dirty = null;
    if (w.reserved !== undefined) {
      // Nothing was ahead at this barrier: a key the store does not hold is in no snapshot either.
      if (e.value === ABSENT && !e.stored) return;
      const value = this.encode(e);
      e.stored = value !== TOMBSTONE;
      this.store.writeReserved(w.reserved, d.storeKey, value, d.mapPrefix);
      w.add(d);
      return;
    }
    // Neither the store nor an earlier write-out holds it: there is nothing to undo.
    if (e.value === ABSENT && !e.stored && e.ahead === null) return;
    d.out = this.encode(e);
    // The record it supersedes is let go.
    if (e.ahead !== null) this.bytes.ahead -= recordBytes(e.ahead);
    this.bytes.ahead += recordBytes(d);
    d.held = e.stored;
    e.ahead = d;
    w.add(d);
  }

  /** Hands the values ahead of the store to it: not as changes, a snapshot holds them. */
  spill(listed: CachedValue[]): void {
    for (const e of listed) {
      const d = e.ahead;
      // Gone already, or dirty and just written as a change (flush).
      if (d === null) continue;
      e.ahead = null;
      if (d.out !== TOMBSTONE) this.store.write(d.storeKey, undefined, d.out!, d.mapPrefix, false);
      else if (e.stored) this.store.write(d.storeKey, undefined, TOMBSTONE, d.mapPrefix, false);
      e.stored = d.out !== TOMBSTONE;
    }
    this.bytes.ahead = 0;
  }

  /** Writes a dirty value (or its deletion) to the store as a change. */
  change(d: Dirty): void {
    const e = d.entry;
    // An earlier write-out may hold the key though the store does not: its deletion must reach the next snapshot.
    const ahead = e.ahead !== null;
    e.ahead = null;
    if (e.value === ABSENT && e.stored === false && !ahead) return;
    this.encodeKey(d);
    if (e.value === ABSENT) {
      const held = e.stored ?? this.store.read(d.storeKey, Buffer.from(d.storeKey, 'latin1')) !== undefined;
      e.stored = false;
      if (held || ahead) this.store.write(d.storeKey, undefined, TOMBSTONE, d.mapPrefix);
      return;
    }
    const value = this.encode(e);
    e.stored = true;
    // The key's size was checked when it was first encoded.
    this.store.write(d.storeKey, undefined, value, d.mapPrefix);
  }

  /** An entry's value encoded (TOMBSTONE for none), its reckoned size brought up to date. */
  private encode(e: CachedValue): OverlayValue {
    if (e.value === ABSENT) return TOMBSTONE;
    const value = packValue(e.value);
    const bytes = reckon(value.length);
    this.bytes.young += bytes - e.bytes;
    e.bytes = bytes;
    return value;
  }

  /** Fills a record's store key (checking its size once), and its map prefix for a map entry. */
  private encodeKey(d: Dirty): void {
    const e = d.entry;
    if (e.storeKey !== undefined) {
      d.storeKey = e.storeKey;
      return;
    }
    const w = this.writer;
    this.store.checkKeySize(w.encode(d.group, d.table.header, d.key, d.mapKey));
    d.storeKey = w.latin1();
    if (d.mapKey === undefined) e.storeKey = d.storeKey;
    else d.mapPrefix = w.prefixLatin1();
  }
}

/** Memory reckoned for a record ahead of the store. */
function recordBytes(d: Dirty): number {
  return RECORD_BYTES + (d.out === TOMBSTONE || d.out === undefined ? 0 : d.out.length);
}
