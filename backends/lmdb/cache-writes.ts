/**
 * How the cache's values leave it: encoded for a snapshot's write-out (kept ahead of the store
 * as records, or put into the overlay reserved for the snapshot), written to the store as
 * changes, or handed to the store from their records. What the encodings change of the cache's
 * reckoned memory is kept in the shared `CacheBytes`.
 */
import { KeyWriter, userKeyLength } from '../format/keys.js';
import { packValue } from '../format/state-file.js';
import { ABSENT, liveEffect, reckon, type AheadTally, type CachedValue, type Dirty } from './cache-entries.js';
import { TOMBSTONE, type OverlayValue } from './overlay.js';
import { EncodingSlab, encodedValue } from './encodings.js';
import type { OverlayStore } from './store.js';
import type { WriteOut } from './write-out.js';

/** Memory reckoned for a record ahead of the store besides the chunk of its encoding: the record and its places in the lists. */
export const RECORD_BYTES = 128;

/** The cache's reckoned memory: its young entries, and its records ahead of the store. */
export interface CacheBytes {
  young: number;
  ahead: number;
}

/** Encodings and writes of one cache's values. */
export class CacheWrites {
  private readonly writer = new KeyWriter();
  private slab = new EncodingSlab();
  /** What the records ahead add to LMDB's entries, kept as they join and leave. */
  readonly tally: AheadTally = { live: 0, unknown: [] };
  /** See storeMayHold. */
  private mayHold = false;

  constructor(private readonly store: OverlayStore, private readonly bytes: CacheBytes) {}

  /**
   * Whether the store may hold a cached state's key: false until a value of the cache is first
   * written to it (or a restore filled it). Until then a key written without a read is known to
   * be absent from the store, so neither its deletion nor the count of entries looks it up.
   */
  get storeMayHold(): boolean {
    return this.mayHold;
  }

  /** Encodes one record of a write-out (its entry is dirty with it): ahead of the store, or into the write-out's reserved overlay. */
  writeOut(w: WriteOut, d: Dirty): void {
    const e = d.entry;
    this.encodeKey(d);
    // Unknown after a write that needed no read. A deletion of a key no earlier write-out holds
    // needs it now (a key nowhere needs no tombstone); otherwise it is needed only for the count
    // of entries, which the snapshot's copy looks up in key order (snapshot.ts).
    if (e.value === ABSENT && e.ahead === null) e.stored ??= this.store.read(d.storeKey, Buffer.from(d.storeKey, 'latin1')) !== undefined;
    e.dirty = null;
    if (w.reserved !== undefined) {
      // Nothing was ahead at this barrier: a key the store does not hold is in no snapshot either.
      if (e.value === ABSENT && !e.stored) return;
      // The encoding stays until the snapshot's copy is over, which then need not read it back from LMDB.
      this.encodeRecord(d);
      this.mayHold = true;
      e.stored = d.chunk !== TOMBSTONE;
      this.store.writeReserved(w.reserved, d.storeKey, encodedValue(d)!, d.mapPrefix);
      w.add(d);
      return;
    }
    // Neither the store nor an earlier write-out holds it: there is nothing to undo.
    if (e.value === ABSENT && !e.stored && e.ahead === null) return;
    this.encodeRecord(d);
    // The record it supersedes is let go.
    if (e.ahead !== null) this.leave(e.ahead);
    d.held = e.stored;
    this.join(d);
    e.ahead = d;
    w.add(d);
  }

  /** Hands the values ahead of the store to it: not as changes, a snapshot holds them. The entries leave the list. */
  spill(listed: CachedValue[]): void {
    for (const e of listed) {
      e.listed = false;
      const d = e.ahead;
      // Gone already, or dirty and just written as a change (flush).
      if (d === null) continue;
      e.ahead = null;
      this.leave(d);
      this.mayHold = true;
      if (d.chunk !== TOMBSTONE) this.store.write(d.storeKey, undefined, encodedValue(d)!, d.mapPrefix, false);
      // Unknown whether the store holds it: deleting a key it lacks is harmless.
      else if (e.stored !== false) this.store.write(d.storeKey, undefined, TOMBSTONE, d.mapPrefix, false);
      e.stored = d.chunk !== TOMBSTONE;
    }
  }

  /** Writes a dirty value (or its deletion) to the store as a change. */
  change(d: Dirty): void {
    const e = d.entry;
    // An earlier write-out may hold the key though the store does not: its deletion must reach the next snapshot.
    const ahead = e.ahead !== null;
    if (ahead) this.leave(e.ahead!);
    e.ahead = null;
    if (e.value === ABSENT && e.stored === false && !ahead) return;
    this.mayHold = true;
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

  /** Packs encodings into new chunks from now on (the cache forgot its entries, as the store was filled anew: no record stands in the old ones). */
  reset(): void {
    this.slab = new EncodingSlab();
    this.mayHold = true;
    this.tally.live = 0;
    this.tally.unknown = [];
  }

  /** A record's value encoded into the slab (TOMBSTONE for none), its entry's reckoned size brought up to date. */
  private encodeRecord(d: Dirty): void {
    const e = d.entry;
    if (e.value === ABSENT) {
      d.chunk = TOMBSTONE;
      return;
    }
    this.slab.encode(e.value, d);
    const bytes = reckon(d.len);
    this.bytes.young += bytes - e.bytes;
    e.bytes = bytes;
  }

  /** A record goes ahead of the store: its chunk counts whole while it holds one; it counts in the tally, or waits to be looked up. */
  private join(d: Dirty): void {
    if (d.held === undefined) this.tally.unknown.push(d);
    else this.tally.live += liveEffect(d);
    this.bytes.ahead += RECORD_BYTES;
    const c = d.chunk;
    if (c !== undefined && c !== TOMBSTONE && c.ahead++ === 0) this.bytes.ahead += c.buf.length;
  }

  /** A record stops standing for its key ahead of the store; one not yet looked up never counted in the tally. */
  private leave(d: Dirty): void {
    if (d.held !== undefined) this.tally.live -= liveEffect(d);
    this.bytes.ahead -= RECORD_BYTES;
    const c = d.chunk;
    if (c !== undefined && c !== TOMBSTONE && --c.ahead === 0) this.bytes.ahead -= c.buf.length;
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

  /** A record's store key, encoded now if it was not yet. */
  keyOf(d: Dirty): string {
    this.encodeKey(d);
    return d.storeKey;
  }

  /** Fills a record's store key (checking its size once, then kept on the entry), and its map prefix for a map entry. */
  private encodeKey(d: Dirty): void {
    const e = d.entry;
    if (e.storeKey !== undefined) {
      d.storeKey = e.storeKey;
      if (d.mapKey !== undefined) d.mapPrefix = e.storeKey.slice(0, e.storeKey.length - userKeyLength(d.mapKey));
      return;
    }
    const w = this.writer;
    this.store.checkKeySize(w.encode(d.group, d.table.header, d.key, d.mapKey));
    d.storeKey = w.latin1();
    e.storeKey = d.storeKey;
    if (d.mapKey !== undefined) d.mapPrefix = w.prefixLatin1();
  }
}
