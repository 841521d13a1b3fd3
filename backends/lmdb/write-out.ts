/**
 * One barrier's write-out: the cache's values dirty at the barrier, encoded after it in slices
 * (one used before its slice comes is encoded first, so each holds its value at the barrier).
 * Encoded, a record stands for its key ahead of the store until the key changes again or the
 * cache lets it go, and the snapshots' files take its bytes from it, in key order. The entries
 * ahead stay in a list until the cache hands them all to the store to make room; a key written
 * out again keeps its place. A whole-state snapshot reads every record ahead, in key order: its
 * write-out merges the keys new to the list into it. A delta reads only its own records: its
 * write-out sorts them and appends the new keys as one more sorted run, which the next
 * whole-state write-out's sort merges, so a delta costs what changed, not the state's size.
 */
import { ABSENT, liveEffect, settleHeld, type AheadTally, type CachedValue, type Dirty } from './cache-entries.js';
import { TOMBSTONE, type Overlay } from './overlay.js';

/** The records of one write-out and what became of them. */
export class WriteOut {
  /** The next record to encode. */
  next = 0;
  /** How many keys the write-out may write. */
  readonly size: number;
  /** Records encoded with something to write, in the order encoded. */
  private readonly written: Dirty[] = [];
  /** Every record ahead of the store at this barrier, in key order unless allInOrder is false; once done. */
  private all: Dirty[] = [];
  private allInOrder = true;
  /** Into the store: the records written, in key order; once done. */
  private reservedInOrder: Dirty[] = [];
  /** This barrier's records ahead, in key order, for a delta that needs no others; once done. */
  private freshInOrder: Dirty[] = [];
  /** Whether the copy needs every record ahead at the barrier (a whole state, or a delta that looks keys up among them). */
  private whole = true;
  /** What the records ahead at the barrier add to LMDB's entries, less those still to be looked up; once done. */
  private liveAhead = 0;
  /** The records ahead at the barrier whose `held` was unknown then; once done. */
  private unknownAhead: Dirty[] = [];
  private finished = false;
  private released = false;
  /** A final write-out's encoding, left until the copy needs it (encodeNow). */
  private encodeRest: (() => void) | undefined;
  /** A final write-out's count of the cache's live values at the barrier (finalLive); undefined for any other. */
  private liveAtBarrier: number | undefined;
  private settle!: { resolve: () => void; reject: (err: Error) => void };
  /** Resolves once every record is encoded; rejects if one could not be. */
  readonly done: Promise<void>;

  /**
   * `reserved` when the write-out goes to the store (into that overlay, before the snapshot's
   * point) rather than staying ahead of it; `final` for a bounded job's last one.
   */
  constructor(
    public records: Dirty[], readonly epoch: number, private readonly tally: AheadTally, readonly reserved: Overlay | undefined,
    private readonly onDone?: (keys: Iterable<string>) => void, private readonly final = false,
  ) {
    this.size = records.length;
    this.done = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    // A snapshot cancelled before its copy ran never awaits it.
    this.done.catch(() => {});
  }

  /**
   * Leaves a final write-out unencoded until the copy asks for it: a bounded job's end often
   * empties its state, and a copy that finds it empty by the `live` values of the cache at the
   * barrier needs no record encoded.
   */
  defer(encodeRest: () => void, live: number): void {
    this.encodeRest = encodeRest;
    this.liveAtBarrier = live;
  }

  /** Whether the write-out waits to be encoded until a copy asks (encodeNow). */
  get deferred(): boolean {
    return this.encodeRest !== undefined;
  }

  /** Encodes what a deferred write-out left, at once; `done` then settles. */
  encodeNow(): void {
    const rest = this.encodeRest;
    this.encodeRest = undefined;
    rest?.();
  }

  /**
   * Whether the state at a final barrier is empty, worked out without encoding a record or
   * looking a key up: when LMDB held no entry at the snapshot's point, the state is the cache's
   * live values. False when that cannot be told so (LMDB holds entries, or the write-out is not
   * a final one).
   */
  emptyAt(stored: number): boolean {
    return stored === 0 && this.liveAtBarrier === 0;
  }

  /** The copy is a delta that reads no record ahead but this barrier's own; call before the write-out is done. */
  freshOnly(): void {
    this.whole = false;
  }

  /**
   * How many of the records delete a key the store or an earlier write-out holds (or may hold):
   * those encoded so far by their tombstones, the rest by their values at the barrier.
   */
  deletions(): number {
    let n = 0;
    for (const d of this.written) if (d.chunk === TOMBSTONE) n++;
    for (let i = this.next; i < this.records.length; i++) {
      const d = this.records[i];
      const e = d.entry;
      if (e.dirty === d && e.value === ABSENT && (e.ahead !== null || e.stored !== false)) n++;
    }
    return n;
  }

  /** Notes a record encoded with something to write. */
  add(d: Dirty): void {
    this.written.push(d);
  }

  /**
   * Every record is encoded: given the list of entries ahead before (in key order if `inOrder`),
   * returns the list now and whether it is in key order. A final write-out leaves it out of order:
   * the end of a bounded job often deletes most of the state, its snapshot then finds the state
   * empty without a look at the records' order, and sorting a deletion per key would cost more.
   */
  finish(before: CachedValue[], inOrder: boolean): { entries: CachedValue[]; inOrder: boolean } {
    this.takeTally();
    let now: { entries: CachedValue[]; inOrder: boolean };
    if (!this.keptAll) now = this.appendFresh(before);
    else {
      const { entries, records } = this.final ? gatherAhead(before, this.written) : mergeAhead(inOrder ? before : inKeyOrder(before), this.written);
      this.all = records;
      this.allInOrder = !this.final;
      now = { entries, inOrder: !this.final };
    }
    if (this.reserved !== undefined) this.reservedInOrder = [...this.written].sort(byStoreKey);
    this.finished = true;
    this.onDone?.(this.keys());
    this.settle.resolve();
    if (this.released) this.keepKeysOnly();
    return now;
  }

  /** This write-out's records, sorted, stand for the delta; the keys new to the list follow it as one sorted run. */
  private appendFresh(before: CachedValue[]): { entries: CachedValue[]; inOrder: boolean } {
    const fresh = this.written.filter((d) => d.entry.ahead === d).sort(byStoreKey);
    const inOrder = before.length === 0;
    for (const d of newToList(fresh)) before.push(d.entry);
    this.freshInOrder = fresh;
    return { entries: before, inOrder };
  }

  /** The tally at the barrier: its count, and the records ahead still to be looked up (the tally keeps only those). */
  private takeTally(): void {
    this.liveAhead = this.tally.live;
    const unknown = this.tally.unknown.filter((d) => d.held === undefined && d.entry.ahead === d);
    this.tally.unknown = unknown;
    this.unknownAhead = [...unknown];
  }

  /**
   * What the records ahead at the barrier add to LMDB's entries at the snapshot's point; `held`
   * looks a key up there for a record whose write-out left it unknown. Once done.
   */
  countAhead(held: (storeKey: string) => boolean): number {
    // In key order: LMDB's pages are then read once each, in order, as a scan would.
    for (const d of this.unknownAhead.filter((r) => r.held === undefined).sort(byStoreKey)) settleHeld(d, held(d.storeKey), this.tally);
    let n = this.liveAhead;
    for (const d of this.unknownAhead) n += liveEffect(d);
    return n;
  }

  /** The write-out failed: the snapshot fails with it. */
  fail(err: unknown): void {
    this.settle.reject(err instanceof Error ? err : new Error(String(err)));
  }

  /** Every record ahead of the store at this barrier, in key order; once done. */
  ahead(): Dirty[] {
    this.checkWhole();
    if (!this.allInOrder) {
      this.all.sort(byStoreKey);
      this.allInOrder = true;
    }
    return this.all;
  }

  /** Whether every record ahead at the barrier was kept for the copy. */
  get keptAll(): boolean {
    return this.whole || this.final || this.reserved !== undefined;
  }

  /** This barrier's records, in key order; once done. */
  fresh(): Dirty[] {
    if (this.reserved !== undefined) return this.reservedInOrder;
    return this.keptAll ? this.ahead().filter((d) => d.epoch === this.epoch) : this.freshInOrder;
  }

  private checkWhole(): void {
    if (!this.keptAll) throw new Error('internal error: a delta that reads only its own records asked for every record ahead of the store');
  }

  /** The keys written; once done. */
  *keys(): IterableIterator<string> {
    for (const d of this.written) yield d.storeKey;
  }

  /** The snapshot's copy is over: once done, only what the keys need is kept (a later delta carries them if its checkpoint does not complete). */
  release(): void {
    this.released = true;
    if (this.finished) this.keepKeysOnly();
  }

  private keepKeysOnly(): void {
    // The written records stay for their keys: the entries ahead hold them anyway until they change again.
    this.records = [];
    this.all = [];
    this.reservedInOrder = [];
    this.freshInOrder = [];
    this.unknownAhead = [];
    // A record no longer ahead (into the store, the encodings were kept for the copy alone) lets
    // its chunk go: the written records stay only for their keys, and would keep whole chunks alive.
    for (const d of this.written) if (d.entry.ahead !== d) d.chunk = undefined;
  }
}

/**
 * How many keys the cache holds a live value of at a final barrier: the dirty ones among the
 * write-out's `records`, and the records ahead of the store (`ahead`, the list of entries ahead)
 * of entries not dirty. Every other cached value is the store's.
 */
export function finalLive(ahead: CachedValue[], records: Dirty[]): number {
  let live = 0;
  for (const e of ahead) if (e.dirty === null && e.ahead !== null && e.ahead.chunk !== TOMBSTONE) live++;
  for (const d of records) if (d.entry.dirty === d && d.entry.value !== ABSENT) live++;
  return live;
}

/**
 * The entries ahead of the store after a write-out, in key order, with their records: each entry
 * of `before` that still has a record keeps its place (its record may be this write-out's), and
 * the entries new to the list are sorted and merged in, in one pass. An entry without a record leaves it.
 */
export function mergeAhead(before: CachedValue[], written: Dirty[]): { entries: CachedValue[]; records: Dirty[] } {
  const added = newToList(written).sort(byStoreKey);
  const entries: CachedValue[] = [];
  const records: Dirty[] = [];
  let j = 0;
  for (const e of before) {
    const r = e.ahead;
    if (r === null) {
      e.listed = false;
      continue;
    }
    while (j < added.length && added[j].storeKey < r.storeKey) {
      entries.push(added[j].entry);
      records.push(added[j++]);
    }
    entries.push(e);
    records.push(r);
  }
  for (; j < added.length; j++) {
    entries.push(added[j].entry);
    records.push(added[j]);
  }
  return { entries, records };
}

/** The entries ahead after a write-out and their records, as mergeAhead has them but in no particular order. */
function gatherAhead(before: CachedValue[], written: Dirty[]): { entries: CachedValue[]; records: Dirty[] } {
  const entries: CachedValue[] = [];
  const records: Dirty[] = [];
  for (const e of before) {
    if (e.ahead === null) e.listed = false;
    else {
      entries.push(e);
      records.push(e.ahead);
    }
  }
  for (const d of newToList(written)) {
    entries.push(d.entry);
    records.push(d);
  }
  return { entries, records };
}

/** The records of a write-out whose entries join the list of entries ahead, marked as listed. */
function newToList(written: Dirty[]): Dirty[] {
  const added: Dirty[] = [];
  for (const d of written) {
    const e = d.entry;
    if (e.listed || e.ahead !== d) continue;
    e.listed = true;
    added.push(d);
  }
  return added;
}

/** Entries ahead put in key order, those no longer ahead left out. */
function inKeyOrder(entries: CachedValue[]): CachedValue[] {
  const kept: CachedValue[] = [];
  for (const e of entries) {
    if (e.ahead === null) e.listed = false;
    else kept.push(e);
  }
  // An entry ahead holds its record's store key itself: one memory read less per comparison.
  return kept.sort(byEntryKey);
}

/** Orders entries ahead of the store by their key. */
function byEntryKey(a: CachedValue, b: CachedValue): number {
  return compareKeys(a.storeKey!, b.storeKey!);
}

/** Orders records by key. */
function byStoreKey(a: Dirty, b: Dirty): number {
  return compareKeys(a.storeKey, b.storeKey);
}

/** Latin1 strings compare char by char with chars 0-255, which is byte order. */
function compareKeys(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The record ahead for a key in records sorted by key, or undefined. */
export function findAhead(sorted: Dirty[], key: string): Dirty | undefined {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid].storeKey < key) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length && sorted[lo].storeKey === key ? sorted[lo] : undefined;
}
