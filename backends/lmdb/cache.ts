/**
 * A write-back cache of decoded state values in front of the LMDB backend's overlay store,
 * within a memory budget. A read of a cached key neither encodes the key nor decodes a value,
 * and an update only marks it dirty, so a key updated many times between two checkpoints is
 * encoded once. Dirty values go to the store whenever the cache outgrows its budget, and at a
 * snapshot: its synchronous part only hands the values dirty at the barrier to the snapshot
 * (O(1)); they are encoded into the snapshot's reserved overlay in slices afterwards, and one
 * that is used before its slice is encoded first, so the snapshot holds the value at the
 * barrier (copy on access, as Flink's heap backend copies on write).
 *
 * Eviction is by generations: each state has a young and an old map of user keys. Once the
 * young entries outgrow half the budget, the dirty values are written out, the old generation
 * is dropped and the young one becomes old; a hit in the old generation moves the entry back.
 * What is used between two turns stays, as in an LRU cache, at the cost of a Map operation.
 */
import type { StateKey } from '../state.js';
import { decodeMapKey, KeyWriter, mapRangeEnd } from '../format/keys.js';
import { packValue, unpackValue } from '../format/state-file.js';
import type { Transaction } from 'lmdb';
import type { CurrentKey } from './accessors.js';
import { TOMBSTONE, type Overlay, type OverlayValue } from './overlay.js';
import type { OverlayStore } from './store.js';

/**
 * Budget of a subtask's cache, in MiB, unless set: room for about half a million small values
 * (a count or a sum per key), and at the default parallelism of two cores 128 MiB in all.
 */
export const DEFAULT_STATE_CACHE_MB = 64;

/** The value of a cached key known to hold nothing. */
export const ABSENT: unique symbol = Symbol('absent');

/**
 * One cached value, or ABSENT; `stored` says whether the store holds the key (so deleting a key
 * the store never held writes nothing, and deleting one it holds needs no read), undefined when
 * a write that needed no read left it unknown; `bytes` is the memory it is reckoned to take.
 * `storeKey` is the encoded store key of a value, list or reducing state's entry once known
 * (undefined for map entries): a key written at every checkpoint is encoded once.
 */
export interface CachedValue { value: unknown; dirty: Dirty | null; stored: boolean | undefined; bytes: number; storeKey: string | undefined }

/** A user key's map state: the entries cached so far, `complete` once every stored entry is among them. */
export interface CachedMap { entries: Map<StateKey, CachedValue>; complete: boolean; bytes: number }

/**
 * Memory reckoned for one cached entry besides its value: a Map slot, the entry object and its
 * key. A decoded value is reckoned at twice its msgpack size (objects and arrays take more room
 * on the heap than their encoding).
 */
const ENTRY_BYTES = 120;
const DECODED_PER_ENCODED_BYTE = 2;
/** Values a snapshot's write-out encodes between two yields to the event loop. */
const WRITE_OUT_SLICE = 2048;

/** The cached entries of one state: user key → value, or → map for map state. */
export class CacheTable<R extends CachedValue | CachedMap> {
  young = new Map<StateKey, R>();
  old = new Map<StateKey, R>();
  constructor(readonly header: Buffer) {}
}

/** A value changed since it was last written, and in which snapshot epoch. */
export interface Dirty { table: CacheTable<CachedValue | CachedMap>; key: StateKey; group: number; mapKey: StateKey | undefined; entry: CachedValue; epoch: number }

/** A snapshot's values: written out into its reserved overlay from `next` on; `onKeys` hears the keys written. */
interface WriteOut { records: Dirty[]; next: number; reserved: Overlay; onKeys: ((keys: IterableIterator<string>) => void) | undefined }

/** The cache of one LMDB backend. */
export class StateCache {
  private readonly tables: CacheTable<CachedValue | CachedMap>[] = [];
  private dirty: Dirty[] = [];
  private youngBytes = 0;
  private readonly writer = new KeyWriter();
  /** Rises with every snapshot: a dirty value of an earlier epoch belongs to the pending write-out. */
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
    return this.insert(t, key, { value: ABSENT, dirty: null, stored: undefined, bytes: ENTRY_BYTES, storeKey: this.writer.latin1() });
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
      entry = { value: ABSENT, dirty: null, stored: m.complete ? false : undefined, bytes: ENTRY_BYTES, storeKey: undefined };
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
      // A cached entry, dirty or not, is newer than the store's.
      if (!m.entries.has(mapKey)) this.addToMap(m, mapKey, { value: unpackValue(v), dirty: null, stored: true, bytes: reckon(v.length), storeKey: undefined });
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

  /** Gives an entry of the current key a new value (ABSENT deletes); it is written to the store later. */
  set(t: CacheTable<CachedValue | CachedMap>, entry: CachedValue, value: unknown, mapKey?: StateKey): void {
    this.captured(entry).value = value;
    if (entry.dirty !== null) return;
    const d: Dirty = { table: t, key: this.cur.key!, group: this.cur.group, mapKey, entry, epoch: this.epoch };
    entry.dirty = d;
    this.dirty.push(d);
  }

  /**
   * A snapshot's synchronous part: the values dirty now become its write-out, encoded in slices
   * after the barrier into an overlay reserved for it; `point` opens once they are committed.
   * `onKeys` hears the keys written (an incremental snapshot's changes), `pendingKeys` how many there may be.
   */
  beginSnapshot(onKeys?: (keys: IterableIterator<string>) => void): { point: Promise<Transaction>; pendingKeys: number } {
    this.finishWriteOut();
    const { point, reserved } = this.store.snapshotPoint(true);
    this.writeOut = { records: this.dirty, next: 0, reserved: reserved!, onKeys };
    const pendingKeys = this.dirty.length;
    this.dirty = [];
    this.epoch++;
    setImmediate(this.slice);
    return { point, pendingKeys };
  }

  /** Writes out what is left of a pending snapshot's values at once and seals its overlay. */
  finishWriteOut(): void {
    const w = this.writeOut;
    if (w === undefined) return;
    for (; w.next < w.records.length; w.next++) this.writeOutRecord(w.records[w.next]);
    this.writeOut = undefined;
    w.onKeys?.(w.reserved.entries.keys());
    this.store.seal(w.reserved);
  }

  /** Writes every dirty value to the store, encoded; the entries stay cached, clean. */
  flush(): void {
    this.finishWriteOut();
    const dirty = this.dirty;
    this.dirty = [];
    for (const d of dirty) {
      if (d.entry.dirty !== d) continue;
      d.entry.dirty = null;
      this.write(d, undefined);
    }
  }

  /** Stops the write-out's slices (the backend is closing). */
  close(): void {
    this.closed = true;
  }

  /** Forgets every cached entry, dirty ones too (the store's state was replaced: a restore). */
  clear(): void {
    this.finishWriteOut();
    this.dirty = [];
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
    return this.youngBytes + old;
  }

  private currentKey(): StateKey {
    const key = this.cur.key;
    if (key === undefined) throw new Error('keyed state accessed with no current key');
    if (this.youngBytes > this.budgetBytes / 2) this.turn();
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
    if (e.dirty !== null && e.dirty.epoch < this.epoch) this.writeOutRecord(e.dirty);
    return e;
  }

  /** A slice of the pending write-out; the last one seals the snapshot's overlay. */
  private readonly slice = (): void => {
    const w = this.writeOut;
    if (w === undefined || this.closed) return;
    try {
      const end = Math.min(w.next + WRITE_OUT_SLICE, w.records.length);
      for (; w.next < end; w.next++) this.writeOutRecord(w.records[w.next]);
      if (w.next < w.records.length) setImmediate(this.slice);
      else this.finishWriteOut();
    } catch (err) {
      // A value that cannot be encoded, or a failed store: the backend fails with it, and the actor hears it.
      this.store.abort(err);
    }
  };

  private writeOutRecord(d: Dirty): void {
    // Captured already, or dirty again after it was: nothing of this snapshot's left to write.
    if (d.entry.dirty !== d) return;
    d.entry.dirty = null;
    this.write(d, this.writeOut!.reserved);
  }

  /** Encodes one value (or its deletion) into the store, or into a snapshot's reserved overlay. */
  private write(d: Dirty, reserved: Overlay | undefined): void {
    const e = d.entry;
    // Created and deleted since it was last written: the store never saw it.
    if (e.value === ABSENT && e.stored === false) return;
    let key = e.storeKey;
    let keyBytes: Buffer | undefined;
    let mapPrefix: string | undefined;
    if (key === undefined) {
      const w = this.writer;
      keyBytes = w.encode(d.group, d.table.header, d.key, d.mapKey);
      this.store.checkKeySize(keyBytes);
      mapPrefix = d.mapKey === undefined ? undefined : w.prefixLatin1();
      key = w.latin1();
      if (d.mapKey === undefined) e.storeKey = key;
    }
    let value: OverlayValue = TOMBSTONE;
    if (e.value === ABSENT) {
      // Unknown whether the store holds it: a tombstone only if it does.
      const held = e.stored ?? this.store.read(key, keyBytes ?? Buffer.from(key, 'latin1')) !== undefined;
      e.stored = false;
      if (!held) return;
    } else {
      value = packValue(e.value);
      e.stored = true;
      const bytes = reckon(value.length);
      this.youngBytes += bytes - e.bytes;
      e.bytes = bytes;
    }
    // The key's size was checked when it was first encoded.
    if (reserved === undefined) this.store.write(key, undefined, value, mapPrefix);
    else this.store.writeReserved(reserved, key, undefined, value, mapPrefix);
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
    if (stored === undefined) return { value: ABSENT, dirty: null, stored: false, bytes: ENTRY_BYTES, storeKey: str };
    return { value: unpackValue(stored), dirty: null, stored: true, bytes: reckon(stored.length), storeKey: str };
  }

  private addToMap(m: CachedMap, mapKey: StateKey, entry: CachedValue): void {
    m.entries.set(mapKey, entry);
    m.bytes += entry.bytes;
    this.youngBytes += entry.bytes;
  }

  /** Writes out what is dirty, drops the old generation and makes the young one old. */
  private turn(): void {
    this.flush();
    for (const t of this.tables) {
      t.old = t.young;
      t.young = new Map();
    }
    this.youngBytes = 0;
  }
}

/** Memory reckoned for a cached value whose encoding takes `encoded` bytes. */
function reckon(encoded: number): number {
  return ENTRY_BYTES + DECODED_PER_ENCODED_BYTE * encoded;
}
