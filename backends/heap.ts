/**
 * Keyed state on the JavaScript heap, one Map per state name. The keyed operator sets
 * the current key before each record; handles are created once per name and always
 * act on the current key.
 */
import type { KeyedStateBackend, ListState, MapState, ReducingState, StateKey, ValueState } from './state.js';

type Table = Map<StateKey, unknown>;

/** The heap state backend. */
export class HeapKeyedStateBackend implements KeyedStateBackend {
  /** state name → user key → value (a Map for map state, an array for list state). */
  readonly tables = new Map<string, Table>();
  private readonly kinds = new Map<string, string>();
  private readonly handles = new Map<string, unknown>();
  private key: StateKey | undefined;

  setCurrentKey(key: StateKey, _keyGroup: number): void {
    this.key = key;
  }

  currentKey(): StateKey | undefined {
    return this.key;
  }

  private table(name: string, kind: string): Table {
    const known = this.kinds.get(name);
    if (known !== undefined && known !== kind) throw new Error(`state "${name}" is ${known} state, not ${kind} state`);
    let t = this.tables.get(name);
    if (!t) {
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

  private handle<H>(name: string, kind: string, make: (t: Table) => H): H {
    const id = kind + ':' + name;
    let h = this.handles.get(id) as H | undefined;
    if (!h) {
      h = make(this.table(name, kind));
      this.handles.set(id, h);
    }
    return h;
  }

  valueState<T>(name: string): ValueState<T> {
    return this.handle(name, 'value', (t) => ({
      value: () => t.get(this.currentOrThrow()) as T | undefined,
      update: (v: T) => void t.set(this.currentOrThrow(), v),
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
        if (!m) t.set(k, (m = new Map()));
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
        else t.set(k, [v]);
      },
      addAll: (vs: T[]) => {
        if (vs.length === 0) return;
        const k = this.currentOrThrow();
        t.set(k, ((t.get(k) as T[] | undefined) ?? []).concat(vs));
      },
      update: (vs: T[]) => {
        const k = this.currentOrThrow();
        if (vs.length === 0) t.delete(k);
        else t.set(k, vs.slice());
      },
      clear: () => void t.delete(this.currentOrThrow()),
    }));
  }

  reducingState<T>(name: string, reduce: (a: T, b: T) => T): ReducingState<T> {
    return this.handle(name, 'reducing', (t) => ({
      get: () => t.get(this.currentOrThrow()) as T | undefined,
      add: (v: T) => {
        const k = this.currentOrThrow();
        const prev = t.get(k) as T | undefined;
        t.set(k, prev === undefined ? v : reduce(prev, v));
      },
      clear: () => void t.delete(this.currentOrThrow()),
    }));
  }

  entryCount(): number {
    let n = 0;
    for (const t of this.tables.values()) n += t.size;
    return n;
  }

  dispose(): void {
    this.tables.clear();
    this.handles.clear();
  }
}
