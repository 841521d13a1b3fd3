/**
 * The asynchronous copy of an LMDB snapshot: a whole view into one file (a full snapshot, a
 * savepoint or an incremental base), or the keys changed since the confirmed checkpoint into a
 * delta. The values of keys the cache holds ahead of the store at the barrier come from their
 * write-out records (LMDB at the snapshot's point holds older ones or none); all others from
 * LMDB. Every file is in key order.
 */
import type { KeyedStateHandle } from '../snapshot.js';
import type { ChangedKeys, IncrementalPlan } from './chain.js';
import type { SnapshotView } from './view.js';
import type { KeyGroups } from '../format/restore-reader.js';
import type { FileOut, SnapshotRun } from '../snapshot-run.js';
import type { Dirty } from './cache-entries.js';
import { TOMBSTONE } from './overlay.js';
import { findAhead, type WriteOut } from './write-out.js';
import { encodedValue, type EncodedChunk } from './encodings.js';

/** What one LMDB snapshot copies. */
export interface LmdbCopy {
  run: SnapshotRun;
  /** The view, once the snapshot's point is reached; the file is created meanwhile. */
  view: Promise<SnapshotView>;
  /** The cache's write-out at the barrier, if the backend has a cache. */
  cached: WriteOut | undefined;
  keyGroups: KeyGroups;
  /** Full mode, or what the incremental chain asked for. */
  plan: { kind: 'full' } | IncrementalPlan;
  /** The final snapshot of a bounded job. */
  final?: boolean;
}

/** A snapshot's handle and the entries of the state it copied (for the re-base policy). */
export interface LmdbCopied {
  handle: KeyedStateHandle;
  live: number;
}

/** Writes the files of one LMDB snapshot and returns its handle. */
export async function copyLmdbSnapshot(c: LmdbCopy): Promise<LmdbCopied> {
  if (c.plan.kind === 'delta') return copyDelta(c, c.plan.on, c.plan.changed);
  const full = c.plan.kind === 'full';
  const { run } = c;
  const out = await run.createFile(full ? 'exclusive' : 'shared', full ? 'full' : 'base');
  const view = await c.view;
  // A bounded job's end often empties its state (every window fired, every auction closed): told
  // by LMDB's count and the cache's tally at the barrier, it is written without encoding a record.
  if (c.final === true && (c.cached?.emptyAt(view.count()) ?? view.count() === 0)) return closeWhole(c, out, full);
  await writtenOut(c);
  // Counted otherwise, an empty state is written without a pass over the entries LMDB still holds for it.
  if (c.final === true && view.count() + countAhead(c, view) === 0) return closeWhole(c, out, full);
  const ahead = c.cached?.ahead() ?? [];
  let j = 0;
  // LMDB's entries and the records ahead, merged in key order; a record replaces LMDB's value of its key.
  // Synchronous but for the rare chunk write, so that a merge costs no promise per entry.
  const upTo = (key: Buffer, value: Buffer): void | Promise<void> => {
    while (j < ahead.length) {
      const d = ahead[j];
      const order = compareLatin1(d.storeKey, key);
      if (order > 0) break;
      j++;
      const written = d.chunk === TOMBSTONE ? undefined : addRecord(out, d);
      if (order === 0) return written;
      if (written) return written.then(() => upTo(key, value));
    }
    return out.add(key, value);
  };
  await view.scan(c.keyGroups, run, upTo);
  for (; j < ahead.length; j++) {
    const d = ahead[j];
    const p = d.chunk === TOMBSTONE ? undefined : putRecord(run, out, d);
    if (p) await p;
  }
  return closeWhole(c, out, full);
}

/** Closes the one file of a whole-state snapshot and makes its handle. */
async function closeWhole(c: LmdbCopy, out: FileOut, full: boolean): Promise<LmdbCopied> {
  const ref = await out.close();
  const handle: KeyedStateHandle = { backend: 'lmdb', mode: full ? 'full' : 'incremental', keyGroups: { ...c.keyGroups }, files: [ref], written: [ref.path], entries: ref.entries };
  return { handle, live: ref.entries };
}

async function copyDelta(c: LmdbCopy, on: KeyedStateHandle, changed: ChangedKeys[]): Promise<LmdbCopied> {
  const { run } = c;
  const out = await run.createFile('shared', 'delta');
  const view = await c.view;
  await writtenOut(c);
  // Kept only when a key may need it: carried from an unconfirmed interval, or noted without its value.
  const ahead = c.cached?.keptAll === false ? undefined : c.cached?.ahead() ?? [];
  const fresh = c.cached?.fresh() ?? [];
  const order = await otherKeys(c, changed);
  // The newest interval's values are LMDB's at this point; this barrier's own records, which may have gone to LMDB after them, supersede them in the merge.
  const exact = changed[changed.length - 1].stored.sorted();
  let i = 0;
  let j = 0;
  // The newest interval's keys, in step with the changed keys: both are in key order.
  let e = 0;
  // Both in key order: merged into one file, so a restore merges the deltas with their base in one pass.
  while (i < order.length || j < fresh.length) {
    if (j >= fresh.length || (i < order.length && order[i] < fresh[j].storeKey)) {
      const key = order[i++];
      // A key written to the store in the interval has no older record ahead of it (the write let it go).
      while (e < exact.keys.length && exact.keys[e] < key) e++;
      let value = e < exact.keys.length && exact.keys[e] === key ? exact.values[e] : undefined;
      if (value === undefined) {
        if (ahead === undefined) throw new Error(`internal error: the delta of checkpoint ${run.checkpointId} met a changed key without its value, and kept no records ahead to find it`);
        const rec = findAhead(ahead, key);
        value = (rec && encodedValue(rec)) ?? view.get(Buffer.from(key, 'latin1')) ?? TOMBSTONE;
      }
      // A key changed since the confirmed checkpoint but absent now was deleted: a tombstone undoes it on restore.
      const p = put(run, out, key, value === TOMBSTONE ? null : value);
      if (p) await p;
    } else {
      const d = fresh[j++];
      // This barrier's record supersedes whatever else changed the key.
      if (i < order.length && order[i] === d.storeKey) i++;
      const p = putRecord(run, out, d);
      if (p) await p;
    }
  }
  const live = view.count() + countAhead(c, view);
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

/** Waits for the write-out, if any, to be done. */
async function writtenOut(c: LmdbCopy): Promise<void> {
  if (c.cached === undefined) return;
  c.cached.encodeNow();
  await c.cached.done;
  c.run.check();
}

/**
 * Keys changed since the confirmed checkpoint, sorted; this barrier's own records are merged in
 * by the caller. One interval's keys need no set to merge them.
 */
async function otherKeys(c: LmdbCopy, changed: ChangedKeys[]): Promise<string[]> {
  // This barrier's own records are merged in by the caller; an earlier write-out's keys are carried.
  const extra = (ch: ChangedKeys) => ch.cached !== undefined && ch.cached !== c.cached;
  // One interval's changed keys come sorted, each once.
  if (changed.length === 1 && !extra(changed[0])) return changed[0].stored.sorted().keys;
  const union = new Set<string>();
  for (const ch of changed) {
    for (const k of ch.stored.sorted().keys) await add(c.run, union, k);
    if (extra(ch)) for (const k of ch.cached!.keys()) await add(c.run, union, k);
  }
  // latin1 strings compare char by char with chars 0-255, which is byte order.
  return [...union].sort();
}

/** Adds an entry to a file; a promise (its chunk being written, or a pause for the event loop) must be awaited before the next. */
function put(run: SnapshotRun, out: FileOut, key: Uint8Array | string, value: Uint8Array | null): Promise<void> | undefined {
  return paced(run, out.add(key, value));
}

/** Adds a record's value (or its tombstone) to a file, as put() does. */
function putRecord(run: SnapshotRun, out: FileOut, d: Dirty): Promise<void> | undefined {
  return paced(run, d.chunk === TOMBSTONE ? out.add(d.storeKey, null) : addRecord(out, d));
}

/** What to await after an entry was added: its chunk being written, a pause for the event loop, or nothing. */
function paced(run: SnapshotRun, written: void | Promise<void>): Promise<void> | undefined {
  const pause = run.tick();
  if (written) return pause ? run.settle(written).then(() => pause) : run.settle(written);
  return pause;
}

/** Adds a record's value to a file straight from its chunk. */
function addRecord(out: FileOut, d: Dirty): void | Promise<void> {
  const c = d.chunk as EncodedChunk;
  return out.addFrom(d.storeKey, c.buf, d.at, d.len);
}

async function add(run: SnapshotRun, keys: Set<string>, key: string): Promise<void> {
  keys.add(key);
  const pause = run.tick();
  if (pause) await pause;
}

/**
 * How the records ahead at the barrier change the count of LMDB's entries: keys they add, less
 * keys they delete. Whether LMDB holds a record's key is looked up at the snapshot's point when
 * its write-out left it unknown (a write that needed no read); while a record is ahead nothing
 * writes its key, so the answer holds as long as it stays ahead.
 */
function countAhead(c: LmdbCopy, view: SnapshotView): number {
  return c.cached?.countAhead((key) => view.get(Buffer.from(key, 'latin1')) !== undefined) ?? 0;
}

/** Byte order of a key held as a latin1 string and one held as bytes. */
function compareLatin1(a: string, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a.charCodeAt(i) - b[i];
    if (d !== 0) return d;
  }
  return a.length - b.length;
}
