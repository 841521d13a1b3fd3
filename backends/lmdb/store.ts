/**
 * The write path of the LMDB backend. lmdb-js makes a put visible only once its batch
 * commits, so writes go to an in-memory overlay of encoded values first; a full overlay
 * is frozen and committed in one batch, and reads look through the overlays (newest
 * first) before asking LMDB.
 *
 * A snapshot's view is a read transaction opened once every batch written before the
 * barrier has committed and before any batch written after it is handed to LMDB: the
 * store holds later batches back until then (the actor's backpressure bounds them), so
 * LMDB's own writer thread does the merging and the copy reads LMDB alone.
 */
import type { RootDatabase, Transaction } from 'lmdb';
import { SnapflowError, errorMessage } from '../../base/errors.js';
import { countEntries, countEntriesPaced, type CountSource, type NewerKey } from './count.js';
import { exactView, Overlay, TOMBSTONE, type OverlayValue } from './overlay.js';
import { ChangeLog } from './change-log.js';
import type { KeyGroups } from '../format/restore-reader.js';

/** Tuning of the overlay store. */
export interface OverlayStoreOptions {
  /** Entries in the live overlay before it is frozen and committed. */
  flushEntries: number;
  /** Frozen overlays in flight beyond which blocked() asks the actor to wait. */
  maxInFlight: number;
  /** Track the keys changed since the last snapshot (incremental mode). */
  trackChanges: boolean;
}

/**
 * Default tuning: batches of up to 16,384 distinct keys, at most 4 in flight before
 * backpressure. A larger overlay absorbs repeated updates of hot keys: updating 10,000 hot
 * keys among 1,000,000 ran at about 2.5× the rate of 4,096-entry batches (bench checkpoint's
 * stream job); the price is up to about 12 MiB of overlays per stateful subtask.
 */
export const DEFAULT_STORE_OPTIONS: OverlayStoreOptions = { flushEntries: 16384, maxInFlight: 4, trackChanges: false };

type Waiter = { atMost: number; resolve: () => void; reject: (err: Error) => void };
/** A snapshot waiting for its read transaction: every overlay up to `seq` committed, none after it submitted. */
type SnapshotPoint = { seq: number; resolve: (p: PointView) => void; reject: (err: Error) => void };

/**
 * A snapshot's read transaction and the entries LMDB held then. LMDB keeps the count in the
 * database's root, so it is read as the transaction opens; counting through a transaction walks
 * every entry (45 ms a checkpoint for a subtask of q4 over ten million events).
 */
export interface PointView {
  txn: Transaction;
  entries: number;
}

/** Overlays in front of one LMDB database. */
export class OverlayStore {
  /** The overlay taking writes. */
  private dirty = new Overlay();
  /**
   * The last batch LMDB committed, kept as a read cache: after a snapshot freezes the overlay,
   * hot keys are read from here instead of being decoded out of LMDB again.
   */
  private lastCommitted: Overlay | null = null;
  private frozen = 0;
  /** Frozen overlays, oldest first, until their batch commits. */
  private flushing: Overlay[] = [];
  /** Frozen overlays whose batch is not yet submitted, oldest first; submitted in this order. */
  private unsubmitted: Overlay[] = [];
  /**
   * Keys written or deleted since the last snapshot, as latin1 strings, each with its last value
   * (undefined: not known here, see noteChanged): at a snapshot's point they are what LMDB holds,
   * so a delta need not read them back. Every overlay that takes writes after a snapshot's point
   * is of the same interval.
   */
  private log: ChangeLog | null;
  private failure: Error | undefined;
  private waiters: Waiter[] = [];
  /** Snapshots waiting for their read transaction, oldest first. */
  private points: SnapshotPoint[] = [];
  private readonly maxKeySize: number;

  constructor(private readonly db: RootDatabase<Buffer, Buffer>, private readonly opts: OverlayStoreOptions) {
    this.log = opts.trackChanges ? new ChangeLog() : null;
    this.maxKeySize = (db as unknown as { maxKeySize?: number }).maxKeySize ?? 1978;
  }

  /** Throws the error of a failed batch: the state is incomplete from then on. */
  check(): void {
    if (this.failure) throw this.failure;
  }

  /** The encoded value of a key, or undefined. A buffer from LMDB is valid only until the next read. */
  read(key: string, keyBytes: Buffer): Buffer | undefined {
    this.check();
    let v = this.dirty.entries.get(key);
    if (v !== undefined) return v === TOMBSTONE ? undefined : v;
    for (let i = this.flushing.length - 1; i >= 0; i--) {
      v = this.flushing[i].entries.get(key);
      if (v !== undefined) return v === TOMBSTONE ? undefined : v;
    }
    v = this.lastCommitted?.entries.get(key);
    if (v !== undefined) return v === TOMBSTONE ? undefined : v;
    return exactView(this.db.getBinaryFast(keyBytes));
  }

  /** Throws if LMDB cannot hold a key this long. */
  checkKeySize(keyBytes: Buffer): void {
    if (keyBytes.length > this.maxKeySize) {
      throw new Error(`state key of ${keyBytes.length} bytes is longer than LMDB's limit of ${this.maxKeySize} bytes: use a shorter key or state name`);
    }
  }

  /**
   * Writes an encoded value or a tombstone; `keyBytes` may be a scratch view, and is only given
   * when its size is still to be checked. `change` false writes a value a snapshot already holds
   * (the cache's values ahead of the store), which a delta need not carry again.
   */
  write(key: string, keyBytes: Buffer | undefined, value: OverlayValue, mapPrefix?: string, change = true): void {
    this.check();
    const live = this.dirty;
    const before = live.entries.get(key);
    // Written in the live overlay, so in this interval; as a change unless as a hand-over.
    const logged = before !== undefined && live.unchanged?.has(key) !== true;
    // The live overlay holds this very value already (a timer set again): nothing changes.
    if (value !== TOMBSTONE && before === value && (!change || this.log === null || logged)) return;
    if (keyBytes !== undefined) this.checkKeySize(keyBytes);
    live.set(key, value, mapPrefix);
    if (this.log !== null) {
      // A key changed earlier in the interval keeps its newest value, whatever writes it.
      this.log.add(key, value, change, logged);
      if (change) live.unchanged?.delete(key);
      else if (!logged) (live.unchanged ??= new Set()).add(key);
    }
    if (this.dirty.entries.size >= this.opts.flushEntries) {
      this.freeze();
      this.submitPending();
    }
  }

  /** Deletes a key if it exists; deleting an absent key changes nothing (not even a delta). */
  remove(key: string, keyBytes: Buffer, mapPrefix?: string): void {
    if (this.read(key, keyBytes) !== undefined) this.write(key, keyBytes, TOMBSTONE, mapPrefix);
  }

  /**
   * Freezes the live overlay for a snapshot and resolves with a read transaction (and LMDB's count) that sees
   * exactly what was written until now. O(1) here; the batch is submitted on a microtask.
   * With `reserve`, an open overlay between this point's writes and later ones takes writes
   * that belong to the snapshot (writeReserved) until it is sealed; the transaction waits for it.
   */
  snapshotPoint(reserve = false): { point: Promise<PointView>; reserved: Overlay | undefined } {
    this.check();
    this.freeze();
    let reserved: Overlay | undefined;
    if (reserve) {
      reserved = new Overlay();
      reserved.seq = ++this.frozen;
      // Read newest first, it stands after every earlier write and before every later one.
      this.flushing.push(reserved);
    }
    const point = new Promise<PointView>((resolve, reject) => this.points.push({ seq: this.frozen, resolve, reject }));
    queueMicrotask(() => this.openPoints());
    return { point, reserved };
  }

  /** Writes an encoded value or a tombstone into a snapshot's reserved overlay; its keys reach the snapshot's changes another way. */
  writeReserved(reserved: Overlay, key: string, value: OverlayValue, mapPrefix?: string): void {
    this.check();
    reserved.set(key, value, mapPrefix);
  }

  /** Closes a reserved overlay: it is committed in its place, after the writes before it. */
  seal(reserved: Overlay): void {
    if (this.failure || !this.flushing.includes(reserved)) return;
    let i = 0;
    while (i < this.unsubmitted.length && this.unsubmitted[i].seq < reserved.seq) i++;
    this.unsubmitted.splice(i, 0, reserved);
    this.openPoints();
  }

  /** Takes the keys changed since the last call, with their values. */
  takeChanged(): ChangeLog {
    const out = this.log ?? new ChangeLog();
    if (this.log !== null) this.log = new ChangeLog();
    return out;
  }

  /**
   * Counts keys as changed since the last snapshot (written out for a savepoint, which leaves them
   * to the next checkpoint); their values stay to be read: a value the store took for one earlier in
   * the interval is older than the savepoint's.
   */
  noteChanged(keys: Iterable<string>): void {
    if (this.log === null) return;
    for (const k of keys) this.log.add(k, undefined, true);
  }

  /** Fails the store with an error met while writing to it from outside a call (a snapshot's write-out). */
  abort(err: unknown): void {
    this.failure ??= new SnapflowError(`the LMDB state backend could not write a snapshot's values: ${errorMessage(err)}`, { cause: err });
    this.wake();
  }

  /** Forgets the changed keys (after a restore, the restored state is the reference). */
  clearChanged(): void {
    if (this.log !== null) this.log = new ChangeLog();
  }

  /** A promise while more than maxInFlight batches are uncommitted, else null. */
  blocked(): Promise<void> | null {
    if (this.failure) return Promise.reject(this.failure);
    return this.flushing.length <= this.opts.maxInFlight ? null : this.whenAtMost(this.opts.maxInFlight);
  }

  /** Commits everything written so far. */
  async drain(): Promise<void> {
    this.check();
    this.freeze();
    this.submitPending();
    await this.whenAtMost(0);
  }

  /** Forgets cached committed values; LMDB was written around the overlays (a restore). */
  invalidateReadCache(): void {
    this.lastCommitted = null;
  }

  /** Every entry of one map (LMDB range merged with the overlays): latin1 key → encoded value. */
  mapEntries(prefix: string, start: Buffer, end: Buffer): Map<string, Buffer> {
    this.check();
    const merged = new Map<string, Buffer>();
    for (const { key, value } of this.db.getRange({ start, end })) merged.set((key as Buffer).toString('latin1'), value as Buffer);
    for (const overlay of [...this.flushing, this.dirty]) {
      const keys = overlay.maps.get(prefix);
      if (!keys) continue;
      for (const k of keys) {
        const v = overlay.entries.get(k)!;
        if (v === TOMBSTONE) merged.delete(k);
        else merged.set(k, v);
      }
    }
    return merged;
  }

  /**
   * The first `limit` live keys in [start, end) of the keys written under `prefix`, in key order:
   * LMDB's range with the overlays' writes folded in (a range scan over one key group's timers).
   */
  rangeKeys(prefix: string, start: Buffer, end: Buffer, limit: number): string[] {
    this.check();
    const [from, to] = [start.toString('latin1'), end.toString('latin1')];
    const overlaid = new Map<string, boolean>();
    for (const overlay of [...this.flushing, this.dirty]) {
      const keys = overlay.maps.get(prefix);
      if (!keys) continue;
      for (const k of keys) if (k >= from && k < to) overlaid.set(k, overlay.entries.get(k) !== TOMBSTONE);
    }
    const stored: string[] = [];
    for (const key of this.db.getKeys({ start, end })) {
      const k = (key as Buffer).toString('latin1');
      if (overlaid.has(k)) continue;
      stored.push(k);
      if (stored.length >= limit) break;
    }
    const fresh = [...overlaid].filter(([, live]) => live).map(([k]) => k).sort();
    // Both lists are in key order: the first `limit` of their union.
    const out: string[] = [];
    let i = 0;
    let j = 0;
    while (out.length < limit && (i < stored.length || j < fresh.length)) {
      if (j >= fresh.length || (i < stored.length && stored[i] < fresh[j])) out.push(stored[i++]);
      else out.push(fresh[j++]);
    }
    return out;
  }

  /** (state, key) pairs held, with a map state counted once per user key (see count.ts); `newer` overrides the overlays. */
  entryCount(mapHeaders: Buffer[], keyGroups: KeyGroups, newer?: Iterable<NewerKey>): number {
    const src = this.countSource(mapHeaders, keyGroups, newer);
    try {
      return countEntries(src);
    } finally {
      src.txn.done();
    }
  }

  /** The same count in slices, awaiting `pause` between them. */
  entryCountPaced(mapHeaders: Buffer[], keyGroups: KeyGroups, newer: Iterable<NewerKey> | undefined, pause: () => Promise<void>): Promise<number> {
    const src = this.countSource(mapHeaders, keyGroups, newer);
    return countEntriesPaced(src, pause).finally(() => src.txn.done());
  }

  /** A read transaction and the overlays as of now: what a count reads. */
  private countSource(mapHeaders: Buffer[], keyGroups: KeyGroups, newer: Iterable<NewerKey> | undefined): CountSource {
    this.check();
    return { db: this.db, txn: this.db.useReadTransaction(), overlays: [...this.flushing, this.dirty], newer, mapHeaders, keyGroups };
  }

  /** Lets pending waiters go with an error (the backend is closing). */
  close(reason: string): void {
    this.failure ??= new SnapflowError(`the LMDB state backend is closed: ${reason}`);
    this.wake();
  }

  private freeze(): void {
    if (this.dirty.entries.size === 0) return;
    this.dirty.seq = ++this.frozen;
    this.flushing.push(this.dirty);
    this.unsubmitted.push(this.dirty);
    this.dirty = new Overlay();
  }

  /** Submits the frozen overlays a waiting snapshot point allows (all of them without one), oldest first. */
  private submitPending(): void {
    const limit = this.points.length > 0 ? this.points[0].seq : Infinity;
    let n = 0;
    while (n < this.unsubmitted.length && this.unsubmitted[n].seq <= limit) n++;
    const now = this.unsubmitted.slice(0, n);
    this.unsubmitted = this.unsubmitted.slice(n);
    for (const overlay of now) this.submit(overlay);
  }

  /** Opens the read transaction of every snapshot point whose overlays have all committed, then submits what they held back. */
  private openPoints(): void {
    while (this.points.length > 0 && !this.failure) {
      const point = this.points[0];
      // Flushing is oldest first: an overlay of this point is still to commit.
      if (this.flushing.length > 0 && this.flushing[0].seq <= point.seq) break;
      this.points.shift();
      // No batch after the point is submitted before it opens: LMDB's newest state is the point's.
      const txn = this.db.useReadTransaction();
      point.resolve({ txn, entries: (this.db.getStats() as { entryCount: number }).entryCount });
    }
    this.submitPending();
  }

  private submit(overlay: Overlay): void {
    if (this.failure) return;
    const db = this.db;
    let committed: Promise<boolean>;
    try {
      committed = db.batch(() => {
        for (const [k, v] of overlay.entries) {
          if (v === TOMBSTONE) void db.remove(Buffer.from(k, 'latin1'));
          else void db.put(Buffer.from(k, 'latin1'), v);
        }
      });
    } catch (err) {
      this.fail(err);
      return;
    }
    committed.then(
      () => {
        // LMDB commits batches in the order they were submitted, so every older batch is committed too.
        const i = this.flushing.indexOf(overlay);
        if (i >= 0) this.flushing.splice(0, i + 1);
        // Only the newest committed batch holds the newest committed value of each of its keys.
        if (this.lastCommitted === null || overlay.seq > this.lastCommitted.seq) this.lastCommitted = overlay;
        this.openPoints();
        this.wake();
      },
      (err: unknown) => this.fail(err),
    );
  }

  private fail(err: unknown): void {
    const reason = errorMessage(err);
    this.failure ??= new SnapflowError(`the LMDB state backend failed to commit a batch of writes, so its state is incomplete: ${reason}`, {
      retriable: true,
      cause: err,
    });
    this.wake();
  }

  private whenAtMost(atMost: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.flushing.length <= atMost) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ atMost, resolve, reject }));
  }

  private wake(): void {
    if (this.failure) for (const point of this.points.splice(0)) point.reject(this.failure);
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) {
      if (this.failure) w.reject(this.failure);
      else if (this.flushing.length <= w.atMost) w.resolve();
      else this.waiters.push(w);
    }
  }
}
