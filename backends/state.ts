/**
 * Keyed state: the one interface every state backend implements. Handles are scoped
 * to the backend's current key, which the keyed operator sets before each record.
 */
import type { StateKey } from '../base/keygroups.js';
import type { AsyncSnapshot, KeyedStateHandle, SnapshotTarget, StateFileSource } from './snapshot.js';
import type { BackendKind, CheckpointMode } from '../base/kinds.js';

/** Keys of keyed state, defined with the key groups they hash to. */
export type { StateKey };

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

/** A timer that is due: when it was set for, and the key it belongs to. */
export interface DueTimer {
  time: number;
  key: StateKey;
  keyGroup: number;
}

/**
 * The timers of one name: at most one per key and time, kept as keyed state (so they are in
 * every snapshot, restored with their key groups, and move with them on rescaling).
 */
export interface TimerState {
  /** Sets a timer at `time` for the current key; setting the same one again changes nothing. */
  register(time: number): void;
  /** Removes the current key's timer at `time`, if there is one. */
  delete(time: number): void;
  /**
   * Removes and returns timers due at or before `time`, earliest first within each key group,
   * at most `limit` of them: call again until it returns none (firing a timer may set more).
   */
  takeDue(time: number, limit: number): DueTimer[];
  /** The earliest time of any timer held, or +∞ when there is none. */
  earliest(): number;
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
  /** Timers of one name (one per key and time), found by time. */
  timerState(name: string): TimerState;
  /** Number of (state, key) entries held, timers included; for statistics. */
  entryCount(): number;
  /** entryCount() in slices with pauses between them: counting a large state at a job's end does not hold up the thread's other actors. */
  entryCountPaced(): Promise<number>;
  /**
   * The synchronous part of a snapshot: fixes a consistent view of the state as it is now
   * and returns the asynchronous part, which copies that view while records keep flowing.
   */
  snapshot(checkpointId: number, target: SnapshotTarget, options?: SnapshotOptions): AsyncSnapshot;
  /** The checkpoint completed: later incremental snapshots build on its handle. */
  notifyCheckpointComplete(checkpointId: number): void;
  /** The checkpoint was aborted: its changes stay pending for the next snapshot. */
  notifyCheckpointAborted(checkpointId: number): void;
  /** Loads state from handles of one or more former subtasks, keeping the entries in this backend's key groups. */
  restore(handles: KeyedStateHandle[], source: StateFileSource, options?: RestoreOptions): Promise<void>;
  /** A promise while buffered writes must drain before more records are processed, else null. */
  blocked(): Promise<void> | null;
  dispose(): void | Promise<void>;
}

/** How a snapshot is taken. */
export interface SnapshotOptions {
  /**
   * A savepoint: one self-contained full file in the format every backend reads, whatever
   * the mode; it neither consumes the changes an incremental chain tracks nor becomes a base.
   */
  savepoint?: boolean;
  /**
   * The final checkpoint of a bounded job: nothing changes the state after it, so a backend
   * need not keep what it writes in a form later work reads fast.
   */
  final?: boolean;
}

/** How a restore treats the handles. */
export interface RestoreOptions {
  /**
   * The handles are this job's own latest checkpoint, in storage later checkpoints share, so
   * incremental snapshots may stand on them. Otherwise (another job's checkpoint, a savepoint)
   * the next incremental snapshot writes a fresh base.
   */
  continueChain?: boolean;
}

/** Which backend and snapshot strategy a keyed subtask uses. */
export interface KeyedBackendOptions {
  kind: BackendKind;
  mode: CheckpointMode;
  /** Key groups of the subtask (inclusive). */
  keyGroups: { start: number; end: number };
  /** Folder for the LMDB environment (created; removed on dispose). */
  workDir: string;
  /** Incremental mode: write a fresh base once this many deltas stand on the current one. */
  maxDeltas: number;
  /** Incremental mode: write a fresh base once the deltas' bytes exceed this share of the base's bytes. */
  maxDeltaRatio: number;
  /**
   * LMDB: memory budget of the cache of decoded values in front of the store, in MiB (default
   * 64; 0 turns it off, and every read then decodes a copy of the stored value).
   */
  stateCacheMb?: number;
}
