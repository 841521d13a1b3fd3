/**
 * State handles of the LMDB backend. Every read decodes the stored bytes afresh, so a
 * value read is a copy: mutating it changes nothing until it is written back with
 * update()/put()/add() (as with Flink's RocksDB backend).
 */
import { decodeMapKey, KeyWriter, mapRangeEnd, stateHeader, type StateKind } from '../format/keys.js';
import { TOMBSTONE } from './overlay.js';
import type { OverlayStore } from './store.js';
import { packValue, unpackValue } from '../format/state-file.js';
import type { ListState, MapState, ReducingState, StateKey, ValueState } from '../state.js';

/** The key state handles act on, set by the keyed operator before each record. */
export class CurrentKey {
  key: StateKey | undefined = undefined;
  group = 0;
  /** Changes with every setCurrentKey, so handles know when to re-encode. */
  epoch = 0;

  /** Sets the key and its key group. */
  set(key: StateKey, group: number): void {
    this.key = key;
    this.group = group;
    this.epoch++;
  }
}

/** One state's encoded key for the current key, re-encoded only when the key changes. */
class Slot {
  private readonly writer = new KeyWriter();
  private readonly mapWriter = new KeyWriter();
  private epoch = -1;
  /** Latin1 form of the key (for map state: the prefix all the map's entries share). */
  str = '';
  bytes: Buffer = Buffer.alloc(0);

  constructor(private readonly cur: CurrentKey, readonly header: Buffer) {}

  /** Brings the slot to the current key. */
  at(): this {
    const cur = this.cur;
    if (cur.epoch !== this.epoch) {
      if (cur.key === undefined) throw new Error('keyed state accessed with no current key');
      this.bytes = this.writer.encode(cur.group, this.header, cur.key);
      this.str = this.writer.latin1();
      this.epoch = cur.epoch;
    }
    return this;
  }

  /** Encodes the key of one map entry of the current key (valid until the next call). */
  entry(mapKey: StateKey): { str: string; bytes: Buffer } {
    this.at();
    const bytes = this.mapWriter.encode(this.cur.group, this.header, this.cur.key!, mapKey);
    return { str: this.mapWriter.latin1(), bytes };
  }
}

function decoded<T>(bytes: Buffer | undefined): T | undefined {
  return bytes === undefined ? undefined : (unpackValue(bytes) as T);
}

/** Makes the handles of the four state kinds over one overlay store. */
export class LmdbHandles {
  constructor(private readonly store: OverlayStore, private readonly cur: CurrentKey) {}

  /** A slot for a state name and kind. */
  slot(name: string, kind: StateKind): Slot {
    return new Slot(this.cur, stateHeader(name, kind));
  }

  /** Value state. */
  value<T>(name: string): ValueState<T> {
    const s = this.slot(name, 'value');
    const store = this.store;
    return {
      value: () => (s.at(), decoded<T>(store.read(s.str, s.bytes))),
      update: (v: T) => (s.at(), store.write(s.str, s.bytes, packValue(v))),
      clear: () => (s.at(), store.remove(s.str, s.bytes)),
    };
  }

  /** List state: the whole list is one stored value. */
  list<T>(name: string): ListState<T> {
    const s = this.slot(name, 'list');
    const store = this.store;
    const read = (): T[] => (s.at(), decoded<T[]>(store.read(s.str, s.bytes)) ?? []);
    const write = (list: T[]): void => {
      s.at();
      if (list.length === 0) store.remove(s.str, s.bytes);
      else store.write(s.str, s.bytes, packValue(list));
    };
    return {
      get: read,
      add: (v: T) => {
        const list = read();
        list.push(v);
        write(list);
      },
      addAll: (vs: T[]) => {
        s.at();
        if (vs.length > 0) write(read().concat(vs));
      },
      update: (vs: T[]) => write(vs),
      clear: () => (s.at(), store.remove(s.str, s.bytes)),
    };
  }

  /** Reducing state. */
  reducing<T>(name: string, reduce: (a: T, b: T) => T): ReducingState<T> {
    const s = this.slot(name, 'reducing');
    const store = this.store;
    return {
      get: () => (s.at(), decoded<T>(store.read(s.str, s.bytes))),
      add: (v: T) => {
        s.at();
        const prev = decoded<T>(store.read(s.str, s.bytes));
        store.write(s.str, s.bytes, packValue(prev === undefined ? v : reduce(prev, v)));
      },
      clear: () => (s.at(), store.remove(s.str, s.bytes)),
    };
  }

  /** Map state: one stored entry per map entry, so an update touches one entry. */
  map<K extends StateKey, V>(name: string): MapState<K, V> {
    const s = this.slot(name, 'map');
    const store = this.store;
    const all = (): Map<string, Buffer> => {
      s.at();
      return store.mapEntries(s.str, s.bytes, mapRangeEnd(s.bytes));
    };
    const mapKey = (n: number) => (k: string): K => decodeMapKey(Buffer.from(k, 'latin1'), n) as K;
    // Read eagerly, as the heap backend does: a key change before iterating must not switch maps.
    function* entries(merged: Map<string, Buffer>, n: number): IterableIterator<[K, V]> {
      for (const [k, v] of merged) yield [mapKey(n)(k), unpackValue(v) as V];
    }
    return {
      get: (k: K) => {
        const e = s.entry(k);
        return decoded<V>(store.read(e.str, e.bytes));
      },
      put: (k: K, v: V) => {
        const e = s.entry(k);
        store.write(e.str, e.bytes, packValue(v), s.str);
      },
      remove: (k: K) => {
        const e = s.entry(k);
        store.remove(e.str, e.bytes, s.str);
      },
      contains: (k: K) => {
        const e = s.entry(k);
        return store.read(e.str, e.bytes) !== undefined;
      },
      entries: () => entries(all(), s.bytes.length),
      keys: () => [...all().keys()].map(mapKey(s.bytes.length)).values(),
      values: () => [...all().values()].map((v) => unpackValue(v) as V).values(),
      isEmpty: () => all().size === 0,
      clear: () => {
        for (const k of all().keys()) store.write(k, Buffer.from(k, 'latin1'), TOMBSTONE, s.str);
      },
    };
  }
}
