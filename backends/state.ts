/**
 * Keyed state: the one interface every state backend implements. Handles are scoped
 * to the backend's current key, which the keyed operator sets before each record.
 */

/** A key after keyBy; keys hash deterministically, so only strings and numbers are allowed. */
export type StateKey = string | number;

/** One value per key. */
export interface ValueState<T> {
  value(): T | undefined;
  update(value: T): void;
  clear(): void;
}

/** A map per key. */
export interface MapState<K extends StateKey, V> {
  get(key: K): V | undefined;
  put(key: K, value: V): void;
  remove(key: K): void;
  contains(key: K): boolean;
  entries(): IterableIterator<[K, V]>;
  keys(): IterableIterator<K>;
  values(): IterableIterator<V>;
  isEmpty(): boolean;
  clear(): void;
}

/** A list per key. */
export interface ListState<T> {
  get(): T[];
  add(value: T): void;
  addAll(values: T[]): void;
  update(values: T[]): void;
  clear(): void;
}

/** A value per key, folded with a reduce function on every add. */
export interface ReducingState<T> {
  get(): T | undefined;
  add(value: T): void;
  clear(): void;
}

/** The state of one keyed operator subtask. */
export interface KeyedStateBackend {
  /** Sets the key that state handles refer to until the next call. */
  setCurrentKey(key: StateKey, keyGroup: number): void;
  currentKey(): StateKey | undefined;
  valueState<T>(name: string): ValueState<T>;
  mapState<K extends StateKey, V>(name: string): MapState<K, V>;
  listState<T>(name: string): ListState<T>;
  reducingState<T>(name: string, reduce: (a: T, b: T) => T): ReducingState<T>;
  /** Number of (state, key) entries held; for statistics. */
  entryCount(): number;
  dispose(): void | Promise<void>;
}
