/**
 * The asynchronous copy of an LMDB snapshot: a whole view into one file (a full snapshot, a
 * savepoint or an incremental base), or the keys changed since the confirmed checkpoint into a
 * delta. Every file is in key order.
 */
import type { KeyedStateHandle } from '../snapshot.js';
import type { ChangedKeys, IncrementalPlan } from './chain.js';
import type { SnapshotView } from './view.js';
import type { KeyGroups } from '../format/restore-reader.js';
import type { SnapshotRun } from '../snapshot-run.js';

/** What one LMDB snapshot copies. */
export interface LmdbCopy {
  run: SnapshotRun;
  /** The view, once the snapshot's point is reached; the file is created meanwhile. */
  view: Promise<SnapshotView>;
  keyGroups: KeyGroups;
  /** Full mode, or what the incremental chain asked for. */
  plan: { kind: 'full' } | IncrementalPlan;
}

/** A snapshot's handle and the entries of the state it copied (for the re-base policy). */
export interface LmdbCopied {
  handle: KeyedStateHandle;
  live: number;
}

/** Writes the files of one LMDB snapshot and returns its handle. */
export async function copyLmdbSnapshot(c: LmdbCopy): Promise<LmdbCopied> {
  const keyGroups = { ...c.keyGroups };
  if (c.plan.kind === 'delta') return copyDelta(c, c.plan.on, c.plan.changed);
  const full = c.plan.kind === 'full';
  const out = await c.run.createFile(full ? 'exclusive' : 'shared', full ? 'full' : 'base');
  const view = await c.view;
  c.run.check();
  await view.scan(keyGroups, c.run, (key, value) => out.add(key, value));
  const ref = await out.close();
  return { handle: { backend: 'lmdb', mode: full ? 'full' : 'incremental', keyGroups, files: [ref], written: [ref.path], entries: ref.entries }, live: ref.entries };
}

async function copyDelta(c: LmdbCopy, on: KeyedStateHandle, changed: ChangedKeys[]): Promise<LmdbCopied> {
  const { run } = c;
  const out = await run.createFile('shared', 'delta');
  // The view opens once the snapshot's own values are written, and with them its last changed keys.
  const view = await c.view;
  run.check();
  let keys = changed.length === 1 ? changed[0] : undefined;
  if (keys === undefined) {
    keys = new Set();
    for (const set of changed) {
      for (const k of set) {
        keys.add(k);
        const pause = run.tick();
        if (pause) await pause;
      }
    }
  }
  // In key order, like every state file, so a restore merges the deltas with their base in one pass.
  // latin1 strings compare char by char with chars 0-255, which is byte order.
  const order = [...keys].sort();
  for (const k of order) {
    const bytes = Buffer.from(k, 'latin1');
    // A key changed since the confirmed checkpoint but absent now was deleted: a tombstone undoes it on restore.
    const written = out.add(bytes, view.get(bytes) ?? null);
    if (written) await run.settle(written);
    const pause = run.tick();
    if (pause) await pause;
  }
  const live = view.count();
  const ref = await out.close();
  const files = [...on.files, ref];
  const handle: KeyedStateHandle = {
    backend: 'lmdb',
    mode: 'incremental',
    keyGroups: { ...c.keyGroups },
    files,
    written: [ref.path],
    entries: files.reduce((n, f) => n + f.entries, 0),
  };
  return { handle, live };
}
