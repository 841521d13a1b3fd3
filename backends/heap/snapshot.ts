/**
 * Snapshots and restores of the heap backend, in the same file format and key codec as
 * the LMDB backend so that either restores the other's files: map state as one entry per
 * map entry, list state as the whole array.
 */
import type { KeyedStateHandle, StateFileRef } from '../snapshot.js';
import { decodeKey, encodeTimerKey, KeyWriter, stateHeader, type StateKind } from '../format/keys.js';
import type { HeapTimers } from './timers.js';
import type { SnapshotRun } from '../snapshot-run.js';
import { packValue, StateFileEncoder, unpackValue, type StateFileEntry } from '../format/state-file.js';
import type { StateKey } from '../state.js';

/** state name → user key → value (a Map for map state, an array for list state). */
export type HeapTables = Map<string, Map<StateKey, unknown>>;

/** What the heap backend's synchronous snapshot part produces. */
export interface EncodedHeapState {
  chunks: Buffer[];
  entries: number;
}

/** Options of encodeHeapState. */
export interface EncodeHeapOptions {
  tables: HeapTables;
  kinds: Map<string, StateKind>;
  /** Key group of every user key in the tables. */
  groups: Map<StateKey, number>;
  /** Timer states by name. */
  timers: Map<string, HeapTimers>;
  chunkBytes?: number;
}

/** The stored value of a timer entry: only its key matters (msgpack `true`). */
const TIMER_VALUE = Buffer.from([0xc3]);

/** Encodes the whole state into file chunks in memory: O(state), as the heap has no view to copy later. */
export function encodeHeapState(opts: EncodeHeapOptions): EncodedHeapState {
  const chunks: Buffer[] = [];
  const encoder = new StateFileEncoder((c) => void chunks.push(c), opts.chunkBytes);
  const writer = new KeyWriter();
  for (const [name, table] of opts.tables) {
    const kind = opts.kinds.get(name)!;
    const header = stateHeader(name, kind);
    for (const [userKey, value] of table) {
      const group = opts.groups.get(userKey);
      if (group === undefined) throw new Error(`heap state: no key group recorded for key ${JSON.stringify(userKey)}`);
      if (kind === 'map') {
        for (const [mapKey, v] of value as Map<StateKey, unknown>) encoder.add(writer.encode(group, header, userKey, mapKey), packValue(v));
      } else {
        encoder.add(writer.encode(group, header, userKey), packValue(value));
      }
    }
  }
  for (const [name, timers] of opts.timers) {
    const header = stateHeader(name, 'timer');
    for (const t of timers.entries()) encoder.add(encodeTimerKey(t.keyGroup, header, t.time, t.key), TIMER_VALUE);
  }
  void encoder.finish();
  return { chunks, entries: encoder.entries };
}

/** The asynchronous part: writes the encoded chunks into one exclusive file. */
export async function writeHeapState(run: SnapshotRun, state: EncodedHeapState, keyGroups: { start: number; end: number }): Promise<KeyedStateHandle> {
  const file = await run.createWriter('exclusive', 'full');
  for (const chunk of state.chunks) {
    await file.write(chunk);
    run.check();
  }
  const ref: StateFileRef = await file.close(state.entries, 0);
  return { backend: 'heap', mode: 'full', keyGroups: { ...keyGroups }, files: [ref], written: [ref.path], entries: ref.entries };
}

/** Where restored entries go: the heap backend's tables and bookkeeping. */
export interface HeapRestoreTarget {
  /** The table of a state, created if new; throws if the name is another kind's. */
  table(name: string, kind: StateKind): Map<StateKey, unknown>;
  groups: Map<StateKey, number>;
  /** The timer state of a name, created if new. */
  timers(name: string): HeapTimers;
}

/** Applies one file entry (upsert or tombstone) to the heap tables. */
export function applyHeapEntry(target: HeapRestoreTarget, entry: StateFileEntry): void {
  const k = decodeKey(entry.key);
  if (k.kind === 'timer') {
    const timers = target.timers(k.name);
    if (entry.value === null) timers.remove(k.keyGroup, k.time!, k.userKey);
    else timers.add(k.keyGroup, k.time!, k.userKey);
    return;
  }
  const t = target.table(k.name, k.kind);
  if (k.kind === 'map') {
    let m = t.get(k.userKey) as Map<StateKey, unknown> | undefined;
    if (entry.value === null) {
      m?.delete(k.mapKey!);
      if (m !== undefined && m.size === 0) t.delete(k.userKey);
      return;
    }
    if (m === undefined) t.set(k.userKey, (m = new Map()));
    m.set(k.mapKey!, unpackValue(entry.value));
  } else if (entry.value === null) {
    t.delete(k.userKey);
    return;
  } else {
    t.set(k.userKey, unpackValue(entry.value));
  }
  target.groups.set(k.userKey, k.keyGroup);
}
