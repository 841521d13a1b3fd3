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
 * never goes through LMDB; the records ahead are kept in a list that only a whole-state
 * snapshot puts in key order (write-out.ts), so a delta sorts only its own keys.
 *
 * Eviction is by generations: each state has a young and an old map of user keys. Once the
 * young entries and the records ahead outgrow half the budget, the dirty values and those
 * ahead go to the store (the latter as encoded, and not as changes), the old generation is dropped and the young one becomes old; a hit in the old generation moves the
 * entry back. What is used between two turns stays, as in an LRU cache, at the cost of a Map operation.
 */
import type { StateKey } from '../state.js';
import { decodeMapKey, KeyWriter, mapRangeEnd } from '../format/keys.js';
import { unpackValue } from '../format/state-file.js';
import { ABSENT, cachedValue, ENTRY_BYTES, guessEncoded, reckon, CacheTable, type CachedMap, type CachedValue, type Dirty } from './cache-entries.js';
import type { CurrentKey } from './accessors.js';
import { CacheWrites, RECORD_BYTES, type CacheBytes } from './cache-writes.js';
import type { OverlayStore, PointView } from './store.js';
import type { NewerKey } from './count.js';
import { finalLive, WriteOut } from './write-out.js';
import { TOMBSTONE } from './overlay.js';

/**
 * Budget of a subtask's cache, in MiB, unless set: room for about 400,000 small values (a count
 * or a sum per key), or 170,000 with their records ahead of the store, and at the default
 * parallelism of two cores 256 MiB in all.
 */
export const DEFAULT_STATE_CACHE_MB = 128;

/** Values a snapshot's write-out encodes between two yields to the event loop. */
const WRITE_OUT_SLICE = 2048;
/** What a write-out's record is reckoned at before its value is encoded: the record and a small value. */
const RECORD_GUESS = RECORD_BYTES + 32;

/** The cache of one LMDB backend. */
export class StateCache {
  private readonly tables: CacheTable<CachedValue | CachedMap>[] = [];
  private dirty: Dirty[] = [];
  /** The entries ahead of the store as of the last write-out, in key order unless aheadInOrder is false; some may have gone to the store since. */
  private ahead: CachedValue[] = [];
  private aheadInOrder = true;
  /** Reckoned memory of the young entries and of the records ahead of the store. */
  private readonly bytes: CacheBytes = { young: 0, ahead: 0 };
  private readonly writes: CacheWrites;
  private readonly writer = new KeyWriter();
  /** Rises with every snapshot: a value dirty since an earlier epoch belongs to the pending write-out. */
  private epoch = 0;
  private writeOut: WriteOut | undefined;
  private closed = false;

  constructor(private readonly store: OverlayStore, private readonly cur: CurrentKey, private readonly budgetBytes: number) {
    this.writes = new CacheWrites(store, this.bytes);
  }

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
    return this.insert(t, key, cachedValue(ABSENT, this.unread(), ENTRY_BYTES, this.writer.latin1()));
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
      entry = cachedValue(ABSENT, m.complete ? false : this.unread(), ENTRY_BYTES, undefined);
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
    // Reckoned by a guess until it is encoded: a value written without a read would otherwise count as an empty entry.
    const bytes = value === ABSENT ? ENTRY_BYTES : reckon(guessEncoded(value));
    this.bytes.young += bytes - entry.bytes;
    entry.bytes = bytes;
    const d: Dirty = { table: t, key: this.cur.key!, group: this.cur.group, mapKey, entry, epoch: this.epoch, storeKey: '', mapPrefix: undefined, chunk: undefined, at: 0, len: 0, held: undefined };
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
   * A final snapshot's write-out always stays ahead: the store is dropped once the job ends, so
   * writing its changes there would be wasted (a bounded job's end deletes most of its state).
   * `onDone` hears the keys written out as soon as the last one is encoded.
   */
  beginSnapshot(onDone?: (keys: Iterable<string>) => void, final = false): { writeOut: WriteOut; point: Promise<PointView> } {
    this.finishWriteOut();
    const inStore = !final && this.bytes.young + this.bytes.ahead + this.dirty.length * RECORD_GUESS > this.budgetBytes / 2;
    if (inStore) this.spillAhead();
    const { point, reserved } = this.store.snapshotPoint(inStore);
    const w = new WriteOut(this.dirty, this.epoch, this.writes.tally, reserved, onDone, final);
    // No record follows a final barrier: its write-out is encoded at once, when the copy asks for it.
    if (final) w.defer(() => this.writeOut === w && this.encode(Infinity), finalLive(this.ahead, this.dirty));
    this.writeOut = w;
    this.dirty = [];
    this.epoch++;
    if (!final) setImmediate(this.slice);
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
    const now = w.finish(this.ahead, this.aheadInOrder);
    this.ahead = now.entries;
    this.aheadInOrder = now.inOrder;
  }

  /** Writes every dirty value, and every value ahead of the store, to the store; the entries stay cached, clean. */
  flush(): void {
    this.finishWriteOut();
    const dirty = this.dirty;
    this.dirty = [];
    for (const d of dirty) {
      if (d.entry.dirty !== d) continue;
      d.entry.dirty = null;
      this.writes.change(d);
    }
    this.spillAhead();
  }

  /**
   * The keys whose state the store does not hold yet (changed, or ahead of it), each once, with
   * whether it holds a value now and, for a record ahead, whether the store held the key if known.
   * Read lazily: a paced count reads it between its pauses.
   */
  unstoredKeys(): Iterable<NewerKey> {
    // A final write-out waits to be encoded until a copy needs it; a count needs it not.
    const pending = this.writeOut?.deferred === true ? this.writeOut.records : [];
    if (pending.length === 0) this.finishWriteOut();
    return this.unstored(this.ahead, pending, this.dirty);
  }

  private *unstored(ahead: CachedValue[], pending: Dirty[], dirty: Dirty[]): Generator<NewerKey> {
    // A change since the last write-out supersedes its record.
    for (const e of ahead) if (e.ahead !== null && e.dirty === null) yield [e.ahead.storeKey, e.ahead.chunk !== TOMBSTONE, e.ahead.held];
    // A record of a deferred write-out: its value at the barrier, or, if encoded since, ahead of the store but not yet listed.
    for (const d of pending) {
      const e = d.entry;
      if (e.dirty === d) yield [this.writes.keyOf(d), e.value !== ABSENT, e.ahead?.held];
      else if (e.ahead === d && e.dirty === null && !e.listed) yield [d.storeKey, d.chunk !== TOMBSTONE, d.held];
    }
    for (const d of dirty) if (d.entry.dirty === d) yield [this.writes.keyOf(d), d.entry.value !== ABSENT, undefined];
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
    this.aheadInOrder = true;
    this.writes.reset();
    this.bytes.ahead = 0;
    this.bytes.young = 0;
    for (const t of this.tables) {
      t.young = new Map();
      t.old = new Map();
    }
  }

  /** Memory the cache is reckoned to take now. */
  reckonedBytes(): number {
    let old = 0;
    for (const t of this.tables) for (const r of t.old.values()) old += r.bytes;
    return this.bytes.young + this.bytes.ahead + old;
  }

  private currentKey(): StateKey {
    const key = this.cur.key;
    if (key === undefined) throw new Error('keyed state accessed with no current key');
    if (this.bytes.young + this.bytes.ahead > this.budgetBytes / 2) this.makeRoom();
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
    this.bytes.young += old.bytes;
    return old;
  }

  /** An entry whose value is the snapshot's as well as the caller's: one dirty at the pending snapshot's barrier is written out first. */
  private captured(e: CachedValue): CachedValue {
    // The epoch sits on the entry itself: reading the record too would cost a memory access per use.
    if (e.dirty !== null && e.epoch < this.epoch) this.writeOutRecord(this.writeOut!, e.dirty);
    return e;
  }

  /** A slice of the pending write-out. */
  private readonly slice = (): void => this.encode(WRITE_OUT_SLICE);

  /** Encodes up to `n` records of the pending write-out, the rest in a later turn. */
  private encode(n: number): void {
    const w = this.writeOut;
    if (w === undefined || this.closed) return;
    try {
      const end = Math.min(w.next + n, w.records.length);
      for (; w.next < end; w.next++) this.writeOutRecord(w, w.records[w.next]);
      if (w.next < w.records.length) setImmediate(this.slice);
      else this.finishWriteOut();
    } catch (err) {
      // A value that cannot be encoded: the backend fails with it, and the actor hears it.
      w.fail(err);
      this.store.abort(err);
    }
  }

  /** Encodes one record of the pending write-out, unless its entry is no longer dirty with it (captured already, or written to the store by a turn). */
  private writeOutRecord(w: WriteOut, d: Dirty): void {
    if (d.entry.dirty === d) this.writes.writeOut(w, d);
  }

  /** Hands every value ahead to the store: the list of entries ahead starts again empty, so the next write-out's merge costs only its own records. */
  private spillAhead(): void {
    this.writes.spill(this.ahead);
    this.ahead = [];
    this.aheadInOrder = true;
  }

  /** Whether the store holds a key created without a read: unknown, unless the store holds no key of the cache's states. */
  private unread(): false | undefined {
    return this.writes.storeMayHold ? undefined : false;
  }

  /** Puts a new entry of a key into the young generation. */
  private insert<R extends CachedValue | CachedMap>(t: CacheTable<R>, key: StateKey, entry: R): R {
    t.young.set(key, entry);
    this.bytes.young += entry.bytes;
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
    this.bytes.young += entry.bytes;
  }

  /**
   * Over budget: the records ahead of the store go to it first, which keeps every decoded value;
   * if that is not enough, the cache turns a generation.
   */
  private makeRoom(): void {
    if (this.bytes.ahead > 0) {
      this.finishWriteOut();
      this.spillAhead();
      if (this.bytes.young <= this.budgetBytes / 2) return;
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
    this.bytes.young = 0;
  }
}

