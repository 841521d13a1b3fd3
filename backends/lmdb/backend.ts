/**
 * Keyed state in LMDB (lmdb-js), one environment per subtask, with full or incremental
 * snapshots. Values are stored msgpack-encoded and decoded afresh on every read, so a
 * value read is a copy: mutating it without update() changes nothing (as with Flink's
 * RocksDB backend; the heap backend returns stored objects by reference instead).
 *
 * The working copy is not durable (noSync): checkpoints are. Writes go through a cache of
 * decoded values (cache.ts) and an overlay store (store.ts); a snapshot's synchronous part
 * only hands over the cache's dirty values and freezes the overlay, and the copy into
 * checkpoint files (the cache's encoded values merged with an LMDB read transaction) runs
 * while records keep flowing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { open, type RootDatabase } from 'lmdb';
import type { AsyncSnapshot, KeyedStateHandle, SnapshotTarget, StateFileSource } from '../snapshot.js';
import { decodeStateHeader, stateHeader, type StateKind } from '../format/keys.js';
import { IncrementalChain } from './chain.js';
import { CurrentKey, LmdbHandles } from './accessors.js';
import { DEFAULT_STATE_CACHE_MB, StateCache } from './cache.js';
import { CachedHandles } from './cached-handles.js';
import { restoreHandle, type RestoreSink } from './restore.js';
import { copyLmdbSnapshot } from './snapshot.js';
import { DEFAULT_STORE_OPTIONS, OverlayStore, type OverlayStoreOptions } from './store.js';
import { SnapshotView } from './view.js';
import { LmdbTimers } from './timers.js';
import { makeAsyncSnapshot } from '../snapshot-run.js';
import { StateHandles } from '../state-handles.js';
import type { StateFileEntry } from '../format/state-file.js';
import type {
  KeyedBackendOptions, KeyedStateBackend, ListState, MapState, ReducingState, RestoreOptions, SnapshotOptions, StateKey, TimerState, ValueState,
} from '../state.js';

/** lmdb-js's files in an environment folder. */
const LMDB_FILES = ['data.mdb', 'lock.mdb'];

/** The LMDB state backend. */
export class LmdbKeyedStateBackend implements KeyedStateBackend {
  private readonly db: RootDatabase<Buffer, Buffer>;
  private readonly store: OverlayStore;
  private readonly chain: IncrementalChain | undefined;
  private readonly cur = new CurrentKey();
  /** The cache of decoded values; absent when its budget is 0 (every read then decodes a copy). */
  private readonly cache: StateCache | undefined;
  private readonly make: LmdbHandles | CachedHandles;
  private readonly kinds = new Map<string, StateKind>();
  private readonly handles = new StateHandles();
  private readonly running = new Set<AsyncSnapshot & { settled: Promise<unknown> }>();
  private readonly timers: LmdbTimers[] = [];
  private lastHeader: Buffer | undefined;
  /** Keys were noted as changed without their values (a savepoint's write-out) since the last checkpoint took the changes. */
  private noted = false;
  private disposed: Promise<void> | undefined;

  constructor(private readonly options: KeyedBackendOptions, tuning: Partial<OverlayStoreOptions> = {}) {
    fs.mkdirSync(options.workDir, { recursive: true });
    // Files left by a crashed run would come back as state: the working copy always starts empty.
    for (const f of LMDB_FILES) fs.rmSync(path.join(options.workDir, f), { force: true });
    // Without event-turn batching each batch of the overlay store is a whole transaction when it is
    // handed over: a thread that ends (a hard exit, out of memory) with a batch left open until the
    // end of its event turn never finished ending, and the pool waited for it forever.
    this.db = open<Buffer, Buffer>({ path: options.workDir, keyEncoding: 'binary', encoding: 'binary', noSync: true, eventTurnBatching: false });
    const incremental = options.mode === 'incremental';
    this.store = new OverlayStore(this.db, { ...DEFAULT_STORE_OPTIONS, ...tuning, trackChanges: incremental });
    this.chain = incremental ? new IncrementalChain(options) : undefined;
    const cacheBytes = (options.stateCacheMb ?? DEFAULT_STATE_CACHE_MB) * 1024 * 1024;
    this.cache = cacheBytes > 0 ? new StateCache(this.store, this.cur, cacheBytes) : undefined;
    this.make = this.cache ? new CachedHandles(this.cache) : new LmdbHandles(this.store, this.cur);
  }

  setCurrentKey(key: StateKey, keyGroup: number): void {
    this.cur.set(key, keyGroup);
  }

  currentKey(): StateKey | undefined {
    return this.cur.key;
  }

  valueState<T>(name: string): ValueState<T> {
    return this.handle(name, 'value', () => this.make.value<T>(name));
  }

  mapState<K extends StateKey, V>(name: string): MapState<K, V> {
    return this.handle(name, 'map', () => this.make.map<K, V>(name));
  }

  listState<T>(name: string): ListState<T> {
    return this.handle(name, 'list', () => this.make.list<T>(name));
  }

  reducingState<T>(name: string, reduce: (a: T, b: T) => T): ReducingState<T> {
    return this.handle(name, 'reducing', () => this.make.reducing<T>(name, reduce));
  }

  timerState(name: string): TimerState {
    return this.handle(name, 'timer', () => {
      const timers = new LmdbTimers(this.store, this.cur, stateHeader(name, 'timer'), this.options.keyGroups);
      this.timers.push(timers);
      return timers;
    });
  }

  /**
   * (state, key) pairs, as on the heap; O(map entries), since only map-state ranges are scanned,
   * plus a lookup per key the cache changed and the store does not hold yet (but for a record
   * ahead of the store that knows whether the store held its key). Counting writes
   * nothing: at a job's end the cache holds its last changes, often deletions of most of the state.
   */
  entryCount(): number {
    return this.store.entryCount(this.mapHeaders(), this.options.keyGroups, this.cache?.unstoredKeys());
  }

  /** The same count, a pause for the event loop after every few thousand keys it reads. */
  entryCountPaced(): Promise<number> {
    return this.store.entryCountPaced(this.mapHeaders(), this.options.keyGroups, this.cache?.unstoredKeys(), () => yieldToLoop());
  }

  private mapHeaders(): Buffer[] {
    return [...this.kinds].filter(([, kind]) => kind === 'map').map(([name]) => stateHeader(name, 'map'));
  }

  /** Writes every value the cache changed or holds ahead of the store into it, as an eviction would. */
  writeBack(): void {
    this.cache?.flush();
  }

  /** A savepoint is a full file that leaves the incremental chain and its tracked changes alone. */
  snapshot(checkpointId: number, target: SnapshotTarget, options: SnapshotOptions = {}): AsyncSnapshot {
    this.store.check();
    const savepoint = options.savepoint === true;
    const chain = savepoint ? undefined : this.chain;
    // A savepoint's write-out leaves its keys to the next checkpoint's changes.
    const leave = savepoint && this.chain !== undefined ? (keys: Iterable<string>) => this.noteChanged(keys) : undefined;
    const begun = this.cache?.beginSnapshot(leave, options.final === true);
    const cached = begun?.writeOut;
    const stored = chain === undefined ? undefined : this.store.takeChanged();
    const db = this.db;
    const view = (begun?.point ?? this.store.snapshotPoint().point).then((p) => new SnapshotView(db, p.txn, p.entries));
    // A failed store rejects it before any copy awaits it; the copy still sees the error.
    view.catch(() => {});
    const plan = chain === undefined ? ({ kind: 'full' } as const) : chain.plan(checkpointId, { stored: stored!, cached });
    const noted = this.noted;
    if (chain !== undefined) this.noted = false;
    // A delta of one interval whose changed keys all carry their values reads no record ahead but this barrier's.
    if (cached !== undefined && plan.kind === 'delta' && plan.changed.length === 1 && !noted) cached.freshOnly();
    let live: number | undefined;
    const snap = makeAsyncSnapshot({
      checkpointId,
      target,
      copy: async (run) => {
        const copied = await copyLmdbSnapshot({ run, view, cached, keyGroups: this.options.keyGroups, plan, final: options.final });
        live = copied.live;
        return copied.handle;
      },
      release: () => {
        // The transaction may open after a cancel: it is released as soon as it does.
        view.then((v) => v.release(), () => {});
        cached?.release();
        this.running.delete(snap);
      },
      done: (handle) => chain?.produce(checkpointId, handle, live),
    });
    this.running.add(snap);
    return snap;
  }

  private noteChanged(keys: Iterable<string>): void {
    this.noted = true;
    this.store.noteChanged(keys);
  }

  notifyCheckpointComplete(checkpointId: number): void {
    this.chain?.complete(checkpointId);
  }

  notifyCheckpointAborted(checkpointId: number): void {
    this.chain?.abort(checkpointId);
  }

  /** Per handle: a full file streams in, an incremental chain is merged into one pass in key order (restore.ts). */
  async restore(handles: KeyedStateHandle[], source: StateFileSource, options: RestoreOptions = {}): Promise<void> {
    this.cache?.flush();
    await this.store.drain();
    const sink: RestoreSink = { write: (entries) => this.writeEntries(entries), noteKey: (key) => this.noteHeader(key) };
    for (const handle of handles) await restoreHandle({ handle, source, keyGroups: this.options.keyGroups, sink });
    this.store.invalidateReadCache();
    this.cache?.clear();
    this.store.clearChanged();
    for (const t of this.timers) t.forget();
    this.chain?.restored(handles, options.continueChain === true);
  }

  /**
   * One synchronous transaction: LMDB copies each value as it is put, so the entries (views into
   * read chunks) die young. An asynchronous batch kept every entry and a promise per put alive
   * until the commit, and the garbage collector copying them cost more than the writes
   * (restoring 1,000,000 keys: 1.1 s in batches of 65,536, 0.7 s this way in batches of 8,192).
   */
  private writeEntries(entries: StateFileEntry[]): void {
    const db = this.db;
    db.transactionSync(() => {
      for (const e of entries) void (e.value === null ? db.removeSync(e.key) : db.putSync(e.key, e.value));
    });
  }

  private noteHeader(key: Uint8Array): void {
    if (this.lastHeader !== undefined && sameHeader(this.lastHeader, key as Buffer)) return;
    const { name, kind } = decodeStateHeader(key);
    this.registerKind(name, kind);
    this.lastHeader = Buffer.from(key.subarray(0, 4 + key[2]));
  }

  blocked(): Promise<void> | null {
    return this.store.blocked();
  }

  /** Cancels running snapshots, closes the environment and removes its folder. */
  dispose(): Promise<void> {
    this.disposed ??= this.close();
    return this.disposed;
  }

  private async close(): Promise<void> {
    const running = [...this.running];
    for (const s of running) s.cancel('state backend disposed');
    await Promise.allSettled(running.map((s) => s.settled));
    this.cache?.close();
    this.store.close('disposed');
    this.handles.clear();
    await this.db.close();
    fs.rmSync(this.options.workDir, { recursive: true, force: true });
  }

  private registerKind(name: string, kind: StateKind): void {
    const known = this.kinds.get(name);
    if (known !== undefined && known !== kind) throw new Error(`state "${name}" is ${known} state, not ${kind} state`);
    this.kinds.set(name, kind);
  }

  private handle<H>(name: string, kind: StateKind, make: () => H): H {
    const known = this.handles.find<H>(kind, name);
    if (known !== undefined) return known;
    this.registerKind(name, kind);
    return this.handles.add(kind, name, make());
  }
}

/** Whether a key starts with the given `keyGroup · nameLen · name · kind` bytes, ignoring the key group. */
function sameHeader(header: Buffer, key: Buffer): boolean {
  const n = header.length;
  if (key.length < n) return false;
  for (let i = 2; i < n; i++) if (header[i] !== key[i]) return false;
  return true;
}
