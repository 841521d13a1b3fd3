/**
 * Keyed state in LMDB (lmdb-js), one environment per subtask, with full or incremental
 * snapshots. Values are stored msgpack-encoded and decoded afresh on every read, so a
 * value read is a copy: mutating it without update() changes nothing (as with Flink's
 * RocksDB backend; the heap backend returns stored objects by reference instead).
 *
 * The working copy is not durable (noSync): checkpoints are. Writes go through an overlay
 * store (lmdb-store.ts); a snapshot's synchronous part only freezes the overlay and pins
 * a read transaction, and the copy into checkpoint files runs while records keep flowing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import type { AsyncSnapshot, KeyedStateHandle, SnapshotTarget, StateFileSource } from './handles.js';
import { decodeStateHeader, stateHeader, type StateKind } from './keys.js';
import { IncrementalChain } from './lmdb-chain.js';
import { CurrentKey, LmdbHandles } from './lmdb-handles.js';
import { copyLmdbSnapshot } from './lmdb-snapshot.js';
import { DEFAULT_STORE_OPTIONS, OverlayStore, type OverlayStoreOptions } from './lmdb-store.js';
import { SnapshotView } from './lmdb-view.js';
import { readHandles } from './restore-reader.js';
import { makeAsyncSnapshot } from './snapshot-run.js';
import type { StateFileEntry } from './state-file.js';
import type { KeyedBackendOptions, KeyedStateBackend, ListState, MapState, ReducingState, StateKey, ValueState } from './state.js';

/** Entries per LMDB batch while restoring. */
const RESTORE_BATCH_ENTRIES = 65536;
/** lmdb-js's files in an environment folder. */
const LMDB_FILES = ['data.mdb', 'lock.mdb'];

/** The LMDB state backend. */
export class LmdbKeyedStateBackend implements KeyedStateBackend {
  private readonly db: RootDatabase<Buffer, Buffer>;
  private readonly store: OverlayStore;
  private readonly chain: IncrementalChain | undefined;
  private readonly cur = new CurrentKey();
  private readonly make: LmdbHandles;
  private readonly kinds = new Map<string, StateKind>();
  private readonly handles = new Map<string, unknown>();
  private readonly running = new Set<AsyncSnapshot & { settled: Promise<unknown> }>();
  private lastHeader: Buffer | undefined;
  private disposed: Promise<void> | undefined;

  constructor(private readonly options: KeyedBackendOptions, tuning: Partial<OverlayStoreOptions> = {}) {
    fs.mkdirSync(options.workDir, { recursive: true });
    // Files left by a crashed run would come back as state: the working copy always starts empty.
    for (const f of LMDB_FILES) fs.rmSync(path.join(options.workDir, f), { force: true });
    this.db = open<Buffer, Buffer>({ path: options.workDir, keyEncoding: 'binary', encoding: 'binary', noSync: true });
    const incremental = options.mode === 'incremental';
    this.store = new OverlayStore(this.db, { ...DEFAULT_STORE_OPTIONS, ...tuning, trackChanges: incremental });
    this.chain = incremental ? new IncrementalChain(options) : undefined;
    this.make = new LmdbHandles(this.store, this.cur);
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

  /** (state, key) pairs, as on the heap; O(map entries), since only map-state ranges are scanned. */
  entryCount(): number {
    const mapHeaders = [...this.kinds].filter(([, kind]) => kind === 'map').map(([name]) => stateHeader(name, 'map'));
    return this.store.entryCount(mapHeaders, this.options.keyGroups);
  }

  snapshot(checkpointId: number, target: SnapshotTarget): AsyncSnapshot {
    this.store.check();
    const overlays = this.store.freezeForSnapshot();
    const view = new SnapshotView(this.db, this.db.useReadTransaction(), overlays);
    const chain = this.chain;
    const plan = chain === undefined ? ({ kind: 'full' } as const) : chain.plan(checkpointId, this.store.takeChanged());
    const snap = makeAsyncSnapshot({
      checkpointId,
      target,
      copy: (run) => copyLmdbSnapshot({ run, view, keyGroups: this.options.keyGroups, plan }),
      release: () => {
        view.release();
        this.running.delete(snap);
      },
      done: (handle) => chain?.produce(checkpointId, handle),
    });
    this.running.add(snap);
    return snap;
  }

  notifyCheckpointComplete(checkpointId: number): void {
    this.chain?.complete(checkpointId);
  }

  notifyCheckpointAborted(checkpointId: number): void {
    this.chain?.abort(checkpointId);
  }

  /**
   * Per handle, the base streams in batches; its deltas are folded into one map (the last
   * entry of a key wins) and written once, in key order, in one transaction. Applying each
   * delta entry as it came, in many transactions, copied most B-tree pages again in each and
   * cost several times a base entry per delta entry (measured with 1,000,000 keys). The map
   * is bounded by the re-base policy.
   */
  async restore(handles: KeyedStateHandle[], source: StateFileSource): Promise<void> {
    await this.store.drain();
    for (const handle of handles) {
      const latest = new Map<string, StateFileEntry>();
      let batch: StateFileEntry[] = [];
      await readHandles({
        handles: [handle], source, keyGroups: this.options.keyGroups,
        onEntry: (e, file) => {
          this.noteHeader(e.key);
          if (file > 0) {
            // Copies, so a kept entry does not hold its whole read chunk in memory.
            const key = Buffer.from(e.key);
            latest.set(key.toString('latin1'), { key, value: e.value === null ? null : Buffer.from(e.value) });
            return;
          }
          batch.push(e);
          if (batch.length < RESTORE_BATCH_ENTRIES) return;
          const full = batch;
          batch = [];
          return this.writeEntries(full).then(() => {});
        },
      });
      await this.writeEntries(batch);
      // latin1 strings compare char by char with chars 0-255, which is byte order.
      await this.writeEntries([...latest.keys()].sort().map((k) => latest.get(k)!));
    }
    this.store.invalidateReadCache();
    this.store.clearChanged();
    this.chain?.restored(handles);
  }

  private writeEntries(entries: StateFileEntry[]): Promise<unknown> {
    const db = this.db;
    return db.batch(() => {
      for (const e of entries) void (e.value === null ? db.remove(e.key) : db.put(e.key, e.value));
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
    const id = kind + ':' + name;
    let h = this.handles.get(id) as H | undefined;
    if (!h) {
      this.registerKind(name, kind);
      h = make();
      this.handles.set(id, h);
    }
    return h;
  }
}

/** Whether a key starts with the given `keyGroup · nameLen · name · kind` bytes, ignoring the key group. */
function sameHeader(header: Buffer, key: Buffer): boolean {
  const n = header.length;
  if (key.length < n) return false;
  for (let i = 2; i < n; i++) if (header[i] !== key[i]) return false;
  return true;
}
