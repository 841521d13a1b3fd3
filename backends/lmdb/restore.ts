/**
 * How the LMDB backend restores one handle. A full handle streams into LMDB in batches. An
 * incremental one is merged: the base is in key order (a snapshot scans LMDB) and so is each
 * delta (written sorted), so the deltas merge into one sorted sequence in which the newest
 * entry of a key wins (format/delta-merge.ts), and the base streams past it. Each key is then written
 * once, in key order, as in a full restore. Writing the deltas after the base instead updated
 * keys all over a full B-tree, which cost several times a base entry per delta entry.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { BaseMerge, mergeRuns, readDeltaRun } from '../format/delta-merge.js';
import type { KeyedStateHandle, StateFileSource } from '../snapshot.js';
import { overlaps, readStateFile, type KeyGroups } from '../format/restore-reader.js';
import type { StateFileEntry } from '../format/state-file.js';

/** Entries per LMDB transaction while restoring; small enough that entries do not outlive a young-generation GC. */
const RESTORE_BATCH_ENTRIES = 8192;

/** Where restored entries go. */
export interface RestoreSink {
  /** Writes upserts and removes tombstones, in one transaction, before returning. */
  write(entries: StateFileEntry[]): void;
  /** Sees every in-range key read, before it is written. */
  noteKey(key: Buffer): void;
}

/** Options of restoreHandle. */
export interface RestoreHandleOptions {
  handle: KeyedStateHandle;
  source: StateFileSource;
  keyGroups: KeyGroups;
  sink: RestoreSink;
}

/** Writes the state of one handle, restricted to `keyGroups`, into the sink. */
export async function restoreHandle(o: RestoreHandleOptions): Promise<void> {
  // A former subtask whose range misses ours holds nothing we keep: skip reading its files.
  if (!overlaps(o.handle.keyGroups, o.keyGroups)) return;
  const { sink } = o;
  const [base, ...deltaFiles] = o.handle.files;
  // Read side by side, so that one file's reads wait while another's entries are indexed.
  const deltas = mergeRuns(await Promise.all(deltaFiles.map((ref) => readDeltaRun(ref, o.source, o.keyGroups, (key) => sink.noteKey(key)))));
  const merge = deltas.length > 0 ? new BaseMerge(deltas, base.path) : undefined;
  let batch: StateFileEntry[] = [];
  await readStateFile(base, o.source, o.keyGroups, (e) => {
    sink.noteKey(e.key);
    // Only a base in key order can be merged; a full file (heap snapshots are not sorted) has no deltas.
    if (merge !== undefined) merge.push(e, batch);
    else batch.push(e);
    if (batch.length < RESTORE_BATCH_ENTRIES) return;
    sink.write(batch);
    batch = [];
    // Lets the actor's event loop run between transactions, as an asynchronous write would.
    return yieldToLoop();
  });
  merge?.finish(batch);
  if (batch.length > 0) sink.write(batch);
}
