import { setImmediate as nextTurn } from 'node:timers/promises';
import t from 'tap';
import { createKeyedBackend, DEFAULT_REBASE } from '../../backends/factory.js';
import type { KeyedStateHandle } from '../../backends/snapshot.js';
import { STATE_FILE_MAGIC } from '../../backends/format/state-file.js';
import type { KeyedStateBackend } from '../../backends/state.js';
import { ConfigError, CorruptCheckpointError } from '../../base/errors.js';
import { keyGroupOf } from '../../base/keygroups.js';
import { MemoryStorage } from '../support/memory-storage.js';
import { differences, makeBackend, MAX_PARALLELISM, Model, randomOps, tempDir, userKeys } from '../support/backends.js';
import type { BackendKind, CheckpointMode } from '../../base/kinds.js';
import { mulberry32 } from '../../base/random.js';

type Combo = { kind: BackendKind; mode: CheckpointMode; stateCacheMb?: number };
const COMBOS: (Combo & { label: string })[] = [
  { kind: 'heap', mode: 'full', label: 'heap full' },
  { kind: 'lmdb', mode: 'full', label: 'lmdb full' },
  { kind: 'lmdb', mode: 'incremental', label: 'lmdb incremental' },
  // About 400 entries: the cache writes out and evicts many times between two snapshots.
  { kind: 'lmdb', mode: 'incremental', stateCacheMb: 0.05, label: 'lmdb incremental, small cache' },
  { kind: 'lmdb', mode: 'incremental', stateCacheMb: 0, label: 'lmdb incremental, no cache' },
];
/** Small LMDB batches, so that flushes commit while snapshots are taken and copied. */
const TUNING = { flushEntries: 200, maxInFlight: 1000 };
const KEYS = userKeys(3000);

/** Runs random operations until `until` settles, yielding between rounds so the copy progresses. */
async function writeWhile<T>(until: Promise<T>, write: () => void): Promise<T> {
  let done = false;
  until.then(() => (done = true), () => (done = true));
  while (!done) {
    write();
    await nextTurn();
  }
  return until;
}

/** Restores handles into a fresh backend and lists how it differs from the model. */
async function restoredDifferences(into: Combo, handles: KeyedStateHandle[], storage: MemoryStorage, model: Model): Promise<string[]> {
  const fresh = makeBackend(into);
  try {
    await fresh.restore(handles, storage);
    const diff = differences(fresh, model, KEYS);
    const want = model.entryCount();
    if (fresh.entryCount() !== want) diff.push(`entryCount ${fresh.entryCount()}, want ${want}`);
    return diff;
  } finally {
    await fresh.dispose();
  }
}

for (const { kind, mode, stateCacheMb, label } of COMBOS) {
  t.test(`${label}: five checkpoints each restore to the state at their snapshot`, async (t) => {
    const storage = new MemoryStorage();
    // A generous ratio keeps one chain for all five checkpoints; re-basing has its own tests.
    const b = makeBackend({ kind, mode, stateCacheMb, tuning: TUNING, maxDeltaRatio: 100 });
    t.teardown(() => b.dispose());
    const model = new Model();
    const w = { backend: b, model, rnd: mulberry32(7), keys: KEYS };
    randomOps(w, 8000);
    const taken: { handle: KeyedStateHandle; model: Model }[] = [];
    for (let id = 1; id <= 5; id++) {
      const snap = b.snapshot(id, storage.target(id));
      const atSnapshot = model.clone();
      // Writes right after the synchronous part, before the copy starts: not part of this checkpoint.
      randomOps(w, 1500);
      const handle = await writeWhile(snap.run(), () => randomOps(w, 300));
      b.notifyCheckpointComplete(id);
      taken.push({ handle, model: atSnapshot });
      t.equal(handle.mode, mode);
      t.equal(handle.backend, kind);
      t.equal(handle.entries, handle.files.reduce((n, f) => n + f.entries, 0), `checkpoint ${id}: entries are the files' sum`);
    }
    if (mode === 'incremental') {
      t.strictSame(taken.map((x) => x.handle.files.length), [1, 2, 3, 4, 5], 'a base, then a delta per checkpoint');
      t.strictSame(taken[4].handle.written, [taken[4].handle.files[4].path], 'a delta checkpoint writes only its delta');
    }
    for (const [i, { handle, model: want }] of taken.entries()) {
      t.strictSame(await restoredDifferences({ kind, mode, stateCacheMb }, [handle], storage, want), [], `checkpoint ${i + 1} restores exactly`);
    }
    t.strictSame(differences(b, model, KEYS), [], 'the live backend still matches the model');
  });

  t.test(`${label}: restore at other parallelisms keeps only in-range key groups`, async (t) => {
    const storage = new MemoryStorage();
    const halves = [{ start: 0, end: 63 }, { start: 64, end: MAX_PARALLELISM - 1 }];
    const inRange = (r: { start: number; end: number }) => (k: string | number) => {
      const g = keyGroupOf(k, MAX_PARALLELISM);
      return g >= r.start && g <= r.end;
    };
    const whole = makeBackend({ kind, mode, stateCacheMb });
    const model = new Model();
    randomOps({ backend: whole, model, rnd: mulberry32(11), keys: KEYS }, 6000);
    const wholeHandle = await whole.snapshot(1, storage.target(1)).run();
    await whole.dispose();

    const split: KeyedStateBackend[] = [];
    for (const range of halves) {
      const part = makeBackend({ kind, mode, stateCacheMb, keyGroups: range });
      await part.restore([wholeHandle], storage);
      t.strictSame(differences(part, model, KEYS, inRange(range)), [], `split ${range.start}-${range.end} keeps its key groups only`);
      split.push(part);
    }
    const partHandles = await Promise.all(split.map((p, i) => p.snapshot(2, storage.target(2 + i)).run()));
    if (mode === 'incremental') t.strictSame(partHandles.map((h) => h.files.length), [1, 1], 'after a split each part writes a fresh base');
    for (const p of split) await p.dispose();

    const merged = makeBackend({ kind, mode, stateCacheMb });
    await merged.restore(partHandles, storage);
    t.strictSame(differences(merged, model, KEYS), [], 'merging the halves gives the whole state back');
    if (mode === 'incremental') {
      const next = await merged.snapshot(3, storage.target(3)).run();
      t.equal(next.files.length, 1, 'after a merge the next snapshot is a base');
    }
    await merged.dispose();
  });

  t.test(`${label}: cancel() during run() discards every file it created`, async (t) => {
    const storage = new MemoryStorage({ asyncWrites: true });
    const b = makeBackend({ kind, mode, stateCacheMb });
    t.teardown(() => b.dispose());
    const model = new Model();
    const w = { backend: b, model, rnd: mulberry32(3), keys: KEYS };
    randomOps(w, 20_000);
    if (mode === 'incremental') {
      await b.snapshot(1, storage.target(1)).run();
      b.notifyCheckpointComplete(1);
      randomOps(w, 5000);
    }
    const created = storage.created.length;
    const snap = b.snapshot(2, storage.target(2));
    const running = snap.run();
    await nextTurn();
    snap.cancel('test cancel');
    await t.rejects(running, /snapshot cancelled: test cancel/);
    const mine = storage.created.slice(created);
    t.ok(mine.length >= 1, 'the snapshot had created its file');
    t.strictSame(storage.discarded, mine, 'every created file was discarded');
    for (const p of mine) t.notOk(storage.files.has(p));

    const never = b.snapshot(3, storage.target(3));
    never.cancel('before run');
    await t.rejects(never.run(), /snapshot cancelled: before run/, 'cancelled before run: run rejects');
    t.equal(storage.created.length, created + mine.length, 'and creates nothing');
    const after = await b.snapshot(4, storage.target(4)).run();
    t.strictSame(await restoredDifferences({ kind, mode, stateCacheMb }, [after], storage, model), [], 'a later snapshot still works');
  });

  t.test(`${label}: damaged files fail the restore with CorruptCheckpointError`, async (t) => {
    const storage = new MemoryStorage();
    const b = makeBackend({ kind, mode, stateCacheMb });
    randomOps({ backend: b, model: new Model(), rnd: mulberry32(5), keys: KEYS }, 2000);
    const handle = await b.snapshot(1, storage.target(1)).run();
    await b.dispose();
    const [file] = handle.files;
    const original = Buffer.from(storage.files.get(file.path)!.bytes);
    const restoreFails = async (h: KeyedStateHandle, pattern: RegExp, what: string): Promise<void> => {
      const fresh = makeBackend({ kind, mode, stateCacheMb });
      const err = await fresh.restore([h], storage).then(() => undefined, (e: unknown) => e);
      t.ok(err instanceof CorruptCheckpointError, `${what}: CorruptCheckpointError`);
      t.match((err as Error).message, pattern, what);
      await fresh.dispose();
    };
    storage.corrupt(file.path);
    await restoreFails(handle, new RegExp(`${file.path}.*checksum`), 'flipped byte');
    const truncated = storage.replace(file.path, original.subarray(0, original.length - 3));
    await restoreFails({ ...handle, files: [truncated] }, new RegExp(`${file.path}.*truncated entry`), 'truncated file');
    const badMagic = Buffer.from(original);
    badMagic.write('NOTSTATE', 0, 'latin1');
    await restoreFails({ ...handle, files: [storage.replace(file.path, badMagic)] }, /bad magic/, 'bad magic');
    const shortFile = storage.replace(file.path, STATE_FILE_MAGIC.subarray(0, 4));
    await restoreFails({ ...handle, files: [{ ...shortFile, entries: 0 }] }, /shorter than/, 'short file');
    const fewer = storage.replace(file.path, original);
    await restoreFails({ ...handle, files: [{ ...fewer, entries: fewer.entries + 1 }] }, /recorded/, 'entry count differs');
  });
}

t.test('cross-backend restore: heap files into lmdb and back give the same contents', async (t) => {
  const storage = new MemoryStorage();
  const model = new Model();
  const heap = makeBackend({ kind: 'heap' });
  randomOps({ backend: heap, model, rnd: mulberry32(21), keys: KEYS }, 8000);
  const heapHandle = await heap.snapshot(1, storage.target(1)).run();
  await heap.dispose();
  t.strictSame(await restoredDifferences({ kind: 'lmdb', mode: 'full' }, [heapHandle], storage, model), [], 'heap → lmdb full');
  t.strictSame(await restoredDifferences({ kind: 'lmdb', mode: 'incremental' }, [heapHandle], storage, model), [], 'heap → lmdb incremental');

  const lmdb = makeBackend({ kind: 'lmdb', mode: 'incremental', tuning: TUNING, maxDeltaRatio: 100 });
  await lmdb.restore([heapHandle], storage);
  const w = { backend: lmdb, model, rnd: mulberry32(22), keys: KEYS };
  let handle: KeyedStateHandle | undefined;
  for (let id = 2; id <= 4; id++) {
    randomOps(w, 2000);
    handle = await lmdb.snapshot(id, storage.target(id)).run();
    lmdb.notifyCheckpointComplete(id);
  }
  await lmdb.dispose();
  t.equal(handle!.files.length, 3, 'a chain of base and two deltas, with tombstones');
  t.strictSame(await restoredDifferences({ kind: 'heap', mode: 'full' }, [handle!], storage, model), [], 'lmdb chain → heap');
});

t.test('factory refuses unusable options with a ConfigError naming the option', async (t) => {
  const base = { kind: 'lmdb', mode: 'incremental', keyGroups: { start: 0, end: 127 }, workDir: tempDir('factory'), ...DEFAULT_REBASE } as const;
  const configError = (opts: Parameters<typeof createKeyedBackend>[0]): string => {
    try {
      createKeyedBackend(opts);
    } catch (err) {
      return err instanceof ConfigError ? err.message : `not a ConfigError: ${String(err)}`;
    }
    return 'no error';
  };
  t.equal(configError({ ...base, kind: 'heap' }),
    'option checkpoint-mode: the heap state backend takes full checkpoints only; use --state-backend lmdb for incremental checkpoints');
  t.match(configError({ ...base, maxDeltas: 0 }), /^option max-deltas: /);
  t.match(configError({ ...base, maxDeltas: 1.5 }), /^option max-deltas: /);
  t.match(configError({ ...base, maxDeltaRatio: 0 }), /^option max-delta-ratio: /);
  t.match(configError({ ...base, maxDeltaRatio: NaN }), /^option max-delta-ratio: /);
  t.strictSame(DEFAULT_REBASE, { maxDeltas: 20, maxDeltaRatio: 1 });
});
