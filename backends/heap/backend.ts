/**
 * Keyed state on the JavaScript heap, one Map per state name. The keyed operator sets
 * the current key before each record; handles are created once per name and always
 * act on the current key.
 *
 * Snapshots are full only, and their synchronous part encodes the whole state, so it
 * grows with the state: stored objects are shared with the user's code, and there is no
 * consistent view to copy later (the LMDB backend has one).
 */
import type { AsyncSnapshot, KeyedStateHandle, SnapshotTarget, StateFileSource } from '../snapshot.js';
import { applyHeapEntry, encodeHeapState, writeHeapState } from './snapshot.js';
import { stateHeader, type StateKind } from '../format/keys.js';
import { readHandles, type KeyGroups } from '../format/restore-reader.js';
import { makeAsyncSnapshot } from '../snapshot-run.js';
import { StateHandles } from '../state-handles.js';
import { HeapTimers } from './timers.js';
import type {
  KeyedStateBackend, ListState, MapState, ReducingState, RestoreOptions, SnapshotOptions, StateKey, TimerState, ValueState,
} from '../state.js';

type Table = Map<StateKey, unknown>;

/** Options of the heap backend. */
export interface HeapBackendOptions {
  /** Key groups of the subtask: a restore keeps only these (default: all). */
  keyGroups?: KeyGroups;
}

/** The heap state backend. */
export class HeapKeyedStateBackend implements KeyedStateBackend {
  /** state name → user key → value (a Map for map state, an array for list state). */
  readonly tables = new Map<string, Table>();
  private readonly kinds = new Map<string, StateKind>();
  private readonly handles = new StateHandles();
  private readonly timers = new Map<string, HeapTimers>();
  /** Key group of every key ever stored (pruned at snapshots), since snapshot keys start with it. */
  private readonly groups = new Map<StateKey, number>();
  private readonly keyGroups: KeyGroups;
  private key: StateKey | undefined;
  private group = 0;

  constructor(options: HeapBackendOptions = {}) {
    this.keyGroups = { ...(options.keyGroups ?? { start: 0, end: 0x7fff }) };
  }

  setCurrentKey(key: StateKey, keyGroup: number): void {
    this.key = key;
    this.group = keyGroup;
  }

  currentKey(): StateKey | undefined {
    return this.key;
  }

  private table(name: string, kind: StateKind): Table {
    const known = this.kinds.get(name);
    if (known !== undefined && known !== kind) throw new Error(`state "${name}" is ${known} state, not ${kind} state`);
    let t = this.tables.get(name);
    if (!t) {
      // Fails now on a name no snapshot could encode, rather than at the first checkpoint.
      stateHeader(name, kind);
      t = new Map();
      this.tables.set(name, t);
      this.kinds.set(name, kind);
    }
    return t;
  }

  private currentOrThrow(): StateKey {
    if (this.key === undefined) throw new Error('keyed state accessed with no current key');
    return this.key;
  }

  /** Stores a value, remembering the key group of a key new to the table. */
  private put(t: Table, k: StateKey, v: unknown): void {
    const size = t.size;
    t.set(k, v);
    if (t.size !== size) this.groups.set(k, this.group);
  }

  private handle<H>(name: string, kind: StateKind, make: (t: Table) => H): H {
    return this.handles.find<H>(kind, name) ?? this.handles.add(kind, name, make(this.table(name, kind)));
  }

  valueState<T>(name: string): ValueState<T> {
    return this.handle(name, 'value', (t) => ({
      value: () => t.get(this.currentOrThrow()) as T | undefined,
      update: (v: T) => this.put(t, this.currentOrThrow(), v),
      clear: () => void t.delete(this.currentOrThrow()),
    }));
  }

  mapState<K extends StateKey, V>(name: string): MapState<K, V> {
    return this.handle(name, 'map', (t) => {
      const empty = new Map<K, V>();
      const read = () => (t.get(this.currentOrThrow()) as Map<K, V> | undefined) ?? empty;
      const write = () => {
        const k = this.currentOrThrow();
        let m = t.get(k) as Map<K, V> | undefined;
        if (!m) this.put(t, k, (m = new Map()));
        return m;
      };
      return {
        get: (k: K) => read().get(k),
        put: (k: K, v: V) => void write().set(k, v),
        remove: (k: K) => {
          const m = read();
          m.delete(k);
          if (m.size === 0) t.delete(this.currentOrThrow());
        },
        contains: (k: K) => read().has(k),
        entries: () => read().entries(),
        keys: () => read().keys(),
        values: () => read().values(),
        isEmpty: () => read().size === 0,
        clear: () => void t.delete(this.currentOrThrow()),
      };
    });
  }

  listState<T>(name: string): ListState<T> {
    return this.handle(name, 'list', (t) => ({
      get: () => ((t.get(this.currentOrThrow()) as T[] | undefined) ?? []).slice(),
      add: (v: T) => {
        const k = this.currentOrThrow();
        const list = t.get(k) as T[] | undefined;
        if (list) list.push(v);
        else this.put(t, k, [v]);
      },
      addAll: (vs: T[]) => {
        if (vs.length === 0) return;
        const k = this.currentOrThrow();
        this.put(t, k, ((t.get(k) as T[] | undefined) ?? []).concat(vs));
      },
      update: (vs: T[]) => {
        const k = this.currentOrThrow();
        if (vs.length === 0) t.delete(k);
        else this.put(t, k, vs.slice());
      },
      clear: () => void t.delete(this.currentOrThrow()),
    }));
  }

  timerState(name: string): TimerState {
    return this.timersOf(name);
  }

  private timersOf(name: string): HeapTimers {
    let timers = this.timers.get(name);
    if (!timers) {
      const known = this.kinds.get(name);
      if (known !== undefined && known !== 'timer') throw new Error(`state "${name}" is ${known} state, not timer state`);
      stateHeader(name, 'timer');
      timers = new HeapTimers(() => ({ key: this.currentOrThrow(), group: this.group }));
      this.timers.set(name, timers);
      this.kinds.set(name, 'timer');
    }
    return timers;
  }

  reducingState<T>(name: string, reduce: (a: T, b: T) => T): ReducingState<T> {
    return this.handle(name, 'reducing', (t) => ({
      get: () => t.get(this.currentOrThrow()) as T | undefined,
      add: (v: T) => {
        const k = this.currentOrThrow();
        const prev = t.get(k) as T | undefined;
        this.put(t, k, prev === undefined ? v : reduce(prev, v));
      },
      clear: () => void t.delete(this.currentOrThrow()),
    }));
  }

  entryCount(): number {
    let n = 0;
    for (const t of this.tables.values()) n += t.size;
    for (const t of this.timers.values()) n += t.size;
    return n;
  }

  /** A sum of table sizes: nothing to pace. */
  entryCountPaced(): Promise<number> {
    return Promise.resolve(this.entryCount());
  }

  /** Every heap snapshot is a full file, so a savepoint is taken like any other. */
  snapshot(checkpointId: number, target: SnapshotTarget, _options?: SnapshotOptions): AsyncSnapshot {
    this.pruneGroups();
    let state: ReturnType<typeof encodeHeapState> | undefined = encodeHeapState({ tables: this.tables, kinds: this.kinds, groups: this.groups, timers: this.timers });
    return makeAsyncSnapshot({
      checkpointId,
      target,
      copy: (run) => writeHeapState(run, state!, this.keyGroups),
      release: () => (state = undefined),
    });
  }

  /** Full snapshots build on nothing: nothing to do. */
  notifyCheckpointComplete(_checkpointId: number): void {}

  /** Full snapshots build on nothing: nothing to do. */
  notifyCheckpointAborted(_checkpointId: number): void {}

  /** Applies the files' entries in order; with no chain to continue, the options change nothing. */
  async restore(handles: KeyedStateHandle[], source: StateFileSource, _options?: RestoreOptions): Promise<void> {
    const target = { table: (name: string, kind: StateKind) => this.table(name, kind), groups: this.groups, timers: (name: string) => this.timersOf(name) };
    await readHandles({ handles, source, keyGroups: this.keyGroups, onEntry: (e) => applyHeapEntry(target, e) });
  }

  /** Heap writes never wait. */
  blocked(): Promise<void> | null {
    return null;
  }

  dispose(): void {
    this.tables.clear();
    this.timers.clear();
    this.handles.clear();
    this.groups.clear();
  }

  /** Drops the groups of deleted keys once they could outnumber the live ones, keeping the map O(state). */
  private pruneGroups(): void {
    let live = 0;
    for (const t of this.tables.values()) live += t.size;
    if (this.groups.size <= live) return;
    const keep = new Map<StateKey, number>();
    for (const t of this.tables.values()) for (const k of t.keys()) keep.set(k, this.groups.get(k)!);
    this.groups.clear();
    for (const [k, g] of keep) this.groups.set(k, g);
  }
}
