/**
 * Reads the files behind keyed-state handles for a restore, shared by both backends:
 * files in handle order (a base before its deltas), entries outside the restoring
 * subtask's key groups skipped, malformed files reported as CorruptCheckpointError.
 */
import { CorruptCheckpointError } from '../runtime/errors.js';
import type { KeyedStateHandle, StateFileSource } from './handles.js';
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
  const { start, end } = opts.keyGroups;
  for (const handle of opts.handles) {
    // A former subtask whose range misses ours holds nothing we keep: skip reading its files.
    if (handle.keyGroups.end < start || handle.keyGroups.start > end) continue;
    for (const [file, ref] of handle.files.entries()) {
      const onEntry = (e: StateFileEntry): void | Promise<void> => {
        const group = keyGroupOfKey(e.key);
        if (group < start || group > end) return;
        try {
          return opts.onEntry(e, file);
        } catch (err) {
          if (err instanceof KeyFormatError) throw new CorruptCheckpointError(ref.path, err.message);
          throw err;
        }
      };
      const entries = await forEachEntry(ref.path, opts.source.read(ref), onEntry);
      if (entries !== ref.entries) {
        throw new CorruptCheckpointError(ref.path, `holds ${entries} entries where the checkpoint recorded ${ref.entries}`);
      }
    }
  }
}

/** Whether two key-group ranges are the same. */
export function sameKeyGroups(a: KeyGroups, b: KeyGroups): boolean {
  return a.start === b.start && a.end === b.end;
}
