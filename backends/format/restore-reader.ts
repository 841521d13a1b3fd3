/**
 * Reads the files behind keyed-state handles for a restore, shared by both backends:
 * files in handle order (a base before its deltas), entries outside the restoring
 * subtask's key groups skipped, malformed files reported as CorruptCheckpointError.
 */
import { CorruptCheckpointError } from '../../base/errors.js';
import type { KeyedStateHandle, StateFileRef, StateFileSource } from '../snapshot.js';
import { KeyFormatError, keyGroupOfKey } from './keys.js';
import { forEachEntry, type StateFileEntry } from './state-file.js';

/** Inclusive key-group range. */
export interface KeyGroups {
  start: number;
  end: number;
}

/** Options of readHandles. */
export interface ReadHandlesOptions {
  handles: KeyedStateHandle[];
  source: StateFileSource;
  /** Only entries in these key groups reach `onEntry`. */
  keyGroups: KeyGroups;
  /**
   * Called in file order with the file's index in its handle (0: the base); a returned promise
   * is awaited before the next entry. A KeyFormatError it throws marks the file corrupt.
   */
  onEntry: (entry: StateFileEntry, file: number) => void | Promise<void>;
}

/** Streams every in-range entry of the handles' files to `onEntry`. */
export async function readHandles(opts: ReadHandlesOptions): Promise<void> {
  for (const handle of opts.handles) {
    // A former subtask whose range misses ours holds nothing we keep: skip reading its files.
    if (!overlaps(handle.keyGroups, opts.keyGroups)) continue;
    for (const [file, ref] of handle.files.entries()) {
      await readStateFile(ref, opts.source, opts.keyGroups, (e) => opts.onEntry(e, file));
    }
  }
}

/**
 * Streams one file's in-range entries to `onEntry`, awaiting any promise it returns; checks
 * the entry count the checkpoint recorded. A KeyFormatError `onEntry` throws marks the file corrupt.
 */
export async function readStateFile(
  ref: StateFileRef,
  source: StateFileSource,
  keyGroups: KeyGroups,
  onEntry: (entry: StateFileEntry) => void | Promise<void>,
): Promise<void> {
  const { start, end } = keyGroups;
  const filtered = (e: StateFileEntry): void | Promise<void> => {
    const group = keyGroupOfKey(e.key);
    if (group < start || group > end) return;
    try {
      return onEntry(e);
    } catch (err) {
      if (err instanceof KeyFormatError) throw new CorruptCheckpointError(ref.path, err.message);
      throw err;
    }
  };
  const entries = await forEachEntry(ref.path, source.read(ref), filtered);
  if (entries !== ref.entries) {
    throw new CorruptCheckpointError(ref.path, `holds ${entries} entries where the checkpoint recorded ${ref.entries}`);
  }
}

/** Whether two key-group ranges share a key group. */
export function overlaps(a: KeyGroups, b: KeyGroups): boolean {
  return a.end >= b.start && a.start <= b.end;
}

/** Whether two key-group ranges are the same. */
export function sameKeyGroups(a: KeyGroups, b: KeyGroups): boolean {
  return a.start === b.start && a.end === b.end;
}
