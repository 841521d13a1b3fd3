/**
 * A write-back cache of decoded state values in front of the LMDB backend's overlay store,
 * within a memory budget. A read of a cached key neither encodes the key nor decodes a value,
 * and an update only marks it dirty, so a key updated many times between two checkpoints is
 * encoded once.
 *
 * At a snapshot the values dirty at the barrier become its write-out (write-out.ts): the
 * synchronous part only hands them over (O(1)); they are encoded in slices afterwards, and one
 * that is used before its slice is encoded first, so the snapshot holds the value at the
 * barrier (copy on access, as Flink's heap backend copies on write). Written out, a value is
 * ahead of the store, which still holds an older one or none, and stays so while it is cached:
 * the snapshots' files take it from its record, which keeps its encoded bytes, and everything
 * else from LMDB. So a cached key is encoded once per checkpoint that follows a change and
 * never goes through LMDB; the records ahead stay in key order from one barrier to the next
 * (write-out.ts), so only keys new to them are sorted.
 *
 * Eviction is by generations: each state has a young and an old map of user keys. Once the
 * young entries and the records ahead outgrow half the budget, the dirty values and those
 * ahead go to the store (the latter as encoded, and not as changes), the old generation is dropped and the young one becomes old; a hit in the old generation moves the
 * entry back. What is used between two turns stays, as in an LRU cache, at the cost of a Map operation.
 */
import type { StateKey } from '../state.js';
import { decodeMapKey, KeyWriter, mapRangeEnd } from '../format/keys.js';
import { packValue, unpackValue } from '../format/state-file.js';
import { ABSENT, cachedValue, ENTRY_BYTES, reckon, CacheTable, type CachedMap, type CachedValue, type Dirty } from './cache-entries.js';
import type { Transaction } from 'lmdb';
import type { CurrentKey } from './accessors.js';
import { TOMBSTONE, type OverlayValue } from './overlay.js';
import type { OverlayStore } from './store.js';
import { WriteOut } from './write-out.js';

/**
 * Budget of a subtask's cache, in MiB, unless set: room for about 400,000 small values (a count
 * or a sum per key), or 170,000 with their records ahead of the store, and at the default
 * parallelism of two cores 256 MiB in all.
 */
export const DEFAULT_STATE_CACHE_MB = 128;

/** Values a snapshot's write-out encodes between two yields to the event loop. */
const WRITE_OUT_SLICE = 2048;
/** Memory reckoned for a record ahead of the store besides its encoded value: the record and the view of its bytes. */
const RECORD_BYTES = 200;

/** The cache of one LMDB backend. */
export class StateCache {
  private readonly tables: CacheTable<CachedValue | CachedMap>[] = [];
  private dirty: Dirty[] = [];
  /** The entries ahead of the store as of the last write-out, in key order; some may have gone to the store since. */
  private ahead: CachedValue[] = [];
  private youngBytes = 0;
  /** Encoded bytes the records ahead of the store hold. */
  private aheadBytes = 0;
  private readonly writer = new KeyWriter();
  /** Rises with every snapshot: a value dirty since an earlier epoch belongs to the pending write-out. */
  private epoch = 0;
  private writeOut: WriteOut | undefined;
  private closed = false;

  constructor(private readonly store: OverlayStore, private readonly cur: CurrentKey, private readonly budgetBytes: number) {}

  /** A table for one state. */
  table<R extends CachedValue | CachedMap>(header: Buffer): CacheTable<R> {
    const t = new CacheTable<R>(header);
    this.tables.push(t as CacheTable<CachedValue | CachedMap>);
    return t;
  }

  /** The current key's entry of a value, list or reducing state, read from the store on a miss. */
  value(t: CacheTable<CachedValue>): CachedValue {
    const key = this.currentKey();
    const hit = this.lookup(t, key);
    if (hit !== undefined) return this.captured(hit);
    const bytes = this.writer.encode(this.cur.group, t.header, key);
    return this.insert(t, key, this.load(this.writer.latin1(), bytes));
  }

  /**
   * The current key's entry for a write that does not read the old value: a miss makes an entry
   * without reading the store (a job that loads many new keys would read each one in vain).
   */
  valueToWrite(t: CacheTable<CachedValue>): CachedValue {
    const key = this.currentKey();
    const hit = this.lookup(t, key);
    if (hit !== undefined) return this.captured(hit);
    this.store.checkKeySize(this.writer.encode(this.cur.group, t.header, key));
    return this.insert(t, key, cachedValue(ABSENT, undefined, ENTRY_BYTES, this.writer.latin1()));
  }

  /** The current key's map (of a map state), with the entries cached so far. */
  map(t: CacheTable<CachedMap>): CachedMap {
    const key = this.currentKey();
    const hit = this.lookup(t, key);
    if (hit !== undefined) return hit;
    return this.insert(t, key, { entries: new Map(), complete: false, bytes: ENTRY_BYTES });
  }

  /** One entry of the current key's map, `m` as map() returned it; read from the store on a miss unless `blind` (a put). */
  mapEntry(t: CacheTable<CachedMap>, m: CachedMap, mapKey: StateKey, blind = false): CachedValue {
    const hit = m.entries.get(mapKey);
    if (hit !== undefined) return this.captured(hit);
    let entry: CachedValue;
    if (m.complete || blind) {
      if (!m.complete) this.store.checkKeySize(this.writer.encode(this.cur.group, t.header, this.cur.key!, mapKey));
      entry = cachedValue(ABSENT, m.complete ? false : undefined, ENTRY_BYTES, undefined);
    } else {
      const bytes = this.writer.encode(this.cur.group, t.header, this.cur.key!, mapKey);
      entry = this.load(this.writer.latin1(), bytes);
      entry.storeKey = undefined;
    }
    this.addToMap(m, mapKey, entry);
    return entry;
  }

  /** Caches every entry of the current key's map that the store holds and the cache does not. */
  complete(t: CacheTable<CachedMap>, m: CachedMap): void {
    if (m.complete) return;
    const prefix = Buffer.from(this.writer.encode(this.cur.group, t.header, this.cur.key!));
    for (const [k, v] of this.store.mapEntries(this.writer.latin1(), prefix, mapRangeEnd(prefix))) {
      const mapKey = decodeMapKey(Buffer.from(k, 'latin1'), prefix.length);
      // A cached entry, dirty, ahead or neither, is newer than the store's.
      if (!m.entries.has(mapKey)) this.addToMap(m, mapKey, cachedValue(unpackValue(v), true, reckon(v.length), undefined));
    }
    m.complete = true;
  }

  /** The live entries of the current key's map, every stored one loaded (see complete). */
  liveEntries(t: CacheTable<CachedMap>, m: CachedMap): [StateKey, CachedValue][] {
    this.complete(t, m);
    const out: [StateKey, CachedValue][] = [];
    for (const [k, e] of m.entries) if (this.captured(e).value !== ABSENT) out.push([k, e]);
    return out;
  }

  /** Gives an entry of the current key a new value (ABSENT deletes); it is written out later. */
  set(t: CacheTable<CachedValue | CachedMap>, entry: CachedValue, value: unknown, mapKey?: StateKey): void {
    this.captured(entry).value = value;
    if (entry.dirty !== null) return;
    const d: Dirty = { table: t, key: this.cur.key!, group: this.cur.group, mapKey, entry, epoch: this.epoch, storeKey: '', mapPrefix: undefined, out: undefined, held: false };
    entry.dirty = d;
    entry.epoch = this.epoch;
    this.dirty.push(d);
  }

  /**
   * A snapshot's synchronous part: the values dirty now become the barrier's write-out, and the
   * store's point is set. When keeping the write-out's records ahead would outgrow the budget,
   * the records ahead go to the store first and the write-out's values into an overlay the
   * point waits for, so LMDB at the point holds the whole state (as a cache too small for
   * the state's changes between two barriers would have it anyway).
   * `onDone` hears the keys written out as soon as the last one is encoded.
   */
  beginSnapshot(onDone?: (keys: Iterable<string>) => void): { writeOut: WriteOut; point: Promise<Transaction> } {
    this.finishWriteOut();
    const inStore = this.youngBytes + this.aheadBytes + this.dirty.length * (RECORD_BYTES + 32) > this.budgetBytes / 2;
    if (inStore) this.spillAhead();
    const { point, reserved } = this.store.snapshotPoint(inStore);
    const w = new WriteOut(this.dirty, this.epoch, reserved, onDone);
    this.writeOut = w;
    this.dirty = [];
    this.epoch++;
    setImmediate(this.slice);
    return { writeOut: w, point };
  }

  /** Encodes what is left of the pending write-out at once; its records join those ahead of the store. */
  finishWriteOut(): void {
    const w = this.writeOut;
    if (w === undefined) return;
    try {
      for (; w.next < w.records.length; w.next++) this.writeOutRecord(w, w.records[w.next]);
    } catch (err) {
      w.fail(err);
      throw err;
    }
    this.writeOut = undefined;
    if (w.reserved !== undefined) this.store.seal(w.reserved);
    this.ahead = w.finish(this.ahead);
  }

  /** Writes every dirty value, and every value ahead of the store, to the store; the entries stay cached, clean. */
  flush(): void {
    this.finishWriteOut();
    const dirty = this.dirty;
    this.dirty = [];
    for (const d of dirty) {
      if (d.entry.dirty !== d) continue;
      d.entry.dirty = null;
      this.write(d);
    }
    this.spillAhead();
  }

  /** Stops the write-out's slices (the backend is closing). */
  close(): void {
    this.closed = true;
    this.writeOut?.fail(new Error('the state backend is closed'));
  }

  /** Forgets every cached entry, dirty ones too (the store's state was replaced: a restore). */
  clear(): void {
    this.finishWriteOut();
    this.dirty = [];
    this.ahead = [];
    this.aheadBytes = 0;
    this.youngBytes = 0;
    for (const t of this.tables) {
      t.young = new Map();
      t.old = new Map();
    }
  }

  /** Memory the cache is reckoned to take now. */
  reckonedBytes(): number {
    let old = 0;
    for (const t of this.tables) for (const r of t.old.values()) old += r.bytes;
    return this.youngBytes + this.aheadBytes + old;
  }

  private currentKey(): StateKey {
    const key = this.cur.key;
    if (key === undefined) throw new Error('keyed state accessed with no current key');
    if (this.youngBytes + this.aheadBytes > this.budgetBytes / 2) this.makeRoom();
    return key;
  }

  /** The young entry of a key, or its old one moved to the young generation. */
  private lookup<R extends CachedValue | CachedMap>(t: CacheTable<R>, key: StateKey): R | undefined {
    const young = t.young.get(key);
    if (young !== undefined) return young;
    const old = t.old.get(key);
    if (old === undefined) return undefined;
    t.old.delete(key);
    t.young.set(key, old);
    this.youngBytes += old.bytes;
    return old;
  }

  /** An entry whose value is the snapshot's as well as the caller's: one dirty at the pending snapshot's barrier is written out first. */
  private captured(e: CachedValue): CachedValue {
    // The epoch sits on the entry itself: reading the record too would cost a memory access per use.
    if (e.dirty !== null && e.epoch < this.epoch) this.writeOutRecord(this.writeOut!, e.dirty);
    return e;
  }

  /** A slice of the pending write-out. */
  private readonly slice = (): void => {
    const w = this.writeOut;
    if (w === undefined || this.closed) return;
    try {
      const end = Math.min(w.next + WRITE_OUT_SLICE, w.records.length);
      for (; w.next < end; w.next++) this.writeOutRecord(w, w.records[w.next]);
      if (w.next < w.records.length) setImmediate(this.slice);
      else this.finishWriteOut();
    } catch (err) {
      // A value that cannot be encoded: the backend fails with it, and the actor hears it.
      w.fail(err);
      this.store.abort(err);
    }
  };

  /** Encodes one record of the write-out: it then stands for its key, ahead of the store. */
  private writeOutRecord(w: WriteOut, d: Dirty): void {
    const e = d.entry;
    // Captured already, or written to the store since (a turn).
    if (e.dirty !== d) return;
    if (w.reserved !== undefined) {
      this.writeReserved(w, d);
      return;
    }
    this.encodeKey(d);
    // Unknown after a write that needed no read: the store is as it was at the barrier for this key.
    e.stored ??= this.store.read(d.storeKey, Buffer.from(d.storeKey, 'latin1')) !== undefined;
    if (e.value === ABSENT) {
      // Neither the store nor an earlier write-out holds it: there is nothing to undo.
      if (!e.stored && e.ahead === null) {
        e.dirty = null;
        return;
      }
      d.out = TOMBSTONE;
    } else {
      const out = packValue(e.value);
      d.out = out;
      const bytes = reckon(out.length);
      this.youngBytes += bytes - e.bytes;
      e.bytes = bytes;
    }
    // The record it supersedes is let go.
    if (e.ahead !== null) this.aheadBytes -= recordBytes(e.ahead);
    this.aheadBytes += recordBytes(d);
    e.dirty = null;
    d.held = e.stored;
    e.ahead = d;
    w.add(d);
  }

  /** Encodes one record of a write-out that goes to the store: into the overlay reserved for it, before the point. */
  private writeReserved(w: WriteOut, d: Dirty): void {
    const e = d.entry;
    this.encodeKey(d);
    e.stored ??= this.store.read(d.storeKey, Buffer.from(d.storeKey, 'latin1')) !== undefined;
    e.dirty = null;
    // Nothing was ahead at this barrier: a key the store does not hold is in no snapshot either.
    if (e.value === ABSENT && !e.stored) return;
    let value: OverlayValue = TOMBSTONE;
    if (e.value !== ABSENT) {
      value = packValue(e.value);
      const bytes = reckon(value.length);
      this.youngBytes += bytes - e.bytes;
      e.bytes = bytes;
    }
    e.stored = value !== TOMBSTONE;
    this.store.writeReserved(w.reserved!, d.storeKey, value, d.mapPrefix);
    w.add(d);
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

  /** Hands the values ahead of the store to it: not as changes, a snapshot holds them. */
  private spillAhead(): void {
    // The list keeps its order for the next write-out: an entry written out again keeps its place.
    for (const e of this.ahead) {
      const d = e.ahead;
      // Gone already, or dirty and just written as a change (flush).
      if (d === null) continue;
      e.ahead = null;
      if (d.out !== TOMBSTONE) this.store.write(d.storeKey, undefined, d.out!, d.mapPrefix, false);
      else if (e.stored) this.store.write(d.storeKey, undefined, TOMBSTONE, d.mapPrefix, false);
      e.stored = d.out !== TOMBSTONE;
    }
    this.aheadBytes = 0;
  }

  /** Writes a dirty value (or its deletion) to the store as a change. */
  private write(d: Dirty): void {
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
    const value = packValue(e.value);
    e.stored = true;
    const bytes = reckon(value.length);
    this.youngBytes += bytes - e.bytes;
    e.bytes = bytes;
    // The key's size was checked when it was first encoded.
    this.store.write(d.storeKey, undefined, value, d.mapPrefix);
  }

  /** Puts a new entry of a key into the young generation. */
  private insert<R extends CachedValue | CachedMap>(t: CacheTable<R>, key: StateKey, entry: R): R {
    t.young.set(key, entry);
    this.youngBytes += entry.bytes;
    return entry;
  }

  private load(str: string, keyBytes: Buffer): CachedValue {
    this.store.checkKeySize(keyBytes);
    const stored = this.store.read(str, keyBytes);
    if (stored === undefined) return cachedValue(ABSENT, false, ENTRY_BYTES, str);
    return cachedValue(unpackValue(stored), true, reckon(stored.length), str);
  }

  private addToMap(m: CachedMap, mapKey: StateKey, entry: CachedValue): void {
    m.entries.set(mapKey, entry);
    m.bytes += entry.bytes;
    this.youngBytes += entry.bytes;
  }

  /**
   * Over budget: the records ahead of the store go to it first, which keeps every decoded value;
   * if that is not enough, the cache turns a generation.
   */
  private makeRoom(): void {
    if (this.aheadBytes > 0) {
      this.finishWriteOut();
      this.spillAhead();
      if (this.youngBytes <= this.budgetBytes / 2) return;
    }
    this.turn();
  }

  /** Writes out what is dirty or ahead, drops the old generation and makes the young one old. */
  private turn(): void {
    this.flush();
    for (const t of this.tables) {
      t.old = t.young;
      t.young = new Map();
    }
    this.youngBytes = 0;
  }
}

/** Memory reckoned for a record ahead of the store. */
function recordBytes(d: Dirty): number {
  return RECORD_BYTES + (d.out === TOMBSTONE || d.out === undefined ? 0 : d.out.length);
}
