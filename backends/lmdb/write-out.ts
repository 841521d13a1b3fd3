/**
 * One barrier's write-out: the cache's values dirty at the barrier, encoded after it in slices
 * (one used before its slice comes is encoded first, so each holds its value at the barrier).
 * Encoded, a record stands for its key ahead of the store until the key changes again or the
 * cache lets it go, and the snapshots' files take its bytes from it, in key order. The entries
 * ahead stay in a key-ordered list from one barrier to the next, until the cache hands them all
 * to the store to make room: a key written out again keeps its place, so only keys new to the
 * list are sorted, and a state whose keys all change between every two barriers is sorted once.
 */
import type { CachedValue, Dirty } from './cache-entries.js';
import type { Overlay } from './overlay.js';

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
  private finished = false;
  private released = false;
  private settle!: { resolve: () => void; reject: (err: Error) => void };
  /** Resolves once every record is encoded; rejects if one could not be. */
  readonly done: Promise<void>;

  /**
   * `reserved` when the write-out goes to the store (into that overlay, before the snapshot's
   * point) rather than staying ahead of it; `final` for a bounded job's last one.
   */
  constructor(
    public records: Dirty[], readonly epoch: number, readonly reserved: Overlay | undefined,
    private readonly onDone?: (keys: Iterable<string>) => void, private readonly final = false,
  ) {
    this.size = records.length;
    this.done = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    // A snapshot cancelled before its copy ran never awaits it.
    this.done.catch(() => {});
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
    const { entries, records } = this.final ? gatherAhead(before, this.written) : mergeAhead(inOrder ? before : inKeyOrder(before), this.written);
    this.all = records;
    this.allInOrder = !this.final;
    if (this.reserved !== undefined) this.reservedInOrder = [...this.written].sort(byStoreKey);
    this.finished = true;
    this.onDone?.(this.keys());
    this.settle.resolve();
    if (this.released) this.keepKeysOnly();
    return { entries, inOrder: !this.final };
  }

  /** The write-out failed: the snapshot fails with it. */
  fail(err: unknown): void {
    this.settle.reject(err instanceof Error ? err : new Error(String(err)));
  }

  /** Every record ahead of the store at this barrier, in key order; once done. */
  ahead(): Dirty[] {
    if (!this.allInOrder) {
      this.all.sort(byStoreKey);
      this.allInOrder = true;
    }
    return this.all;
  }

  /** Every record ahead of the store at this barrier, in no particular order; once done. */
  unordered(): Dirty[] {
    return this.all;
  }

  /** This barrier's records, in key order; once done. */
  fresh(): Dirty[] {
    return this.reserved !== undefined ? this.reservedInOrder : this.ahead().filter((d) => d.epoch === this.epoch);
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
    // A record no longer ahead (into the store, the encodings were kept for the copy alone) lets
    // its chunk go: the written records stay only for their keys, and would keep whole chunks alive.
    for (const d of this.written) if (d.entry.ahead !== d) d.chunk = undefined;
  }
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
  return kept.sort((a, b) => byStoreKey(a.ahead!, b.ahead!));
}

/** Orders records by key: latin1 strings compare char by char with chars 0-255, which is byte order. */
function byStoreKey(a: Dirty, b: Dirty): number {
  return a.storeKey < b.storeKey ? -1 : a.storeKey > b.storeKey ? 1 : 0;
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
