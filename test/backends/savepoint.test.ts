import t from 'tap';
import type { KeyedStateHandle } from '../../backends/snapshot.js';
import type { KeyedStateBackend } from '../../backends/state.js';
import { MemoryStorage } from '../support/memory-storage.js';
import { differences, makeBackend, Model, randomOps, userKeys } from '../support/backends.js';
import type { BackendKind, CheckpointMode } from '../../base/kinds.js';
import { mulberry32 } from '../../base/random.js';

const KEYS = userKeys(2000);
type Combo = { kind: BackendKind; mode: CheckpointMode };
const ALL: Combo[] = [{ kind: 'heap', mode: 'full' }, { kind: 'lmdb', mode: 'full' }, { kind: 'lmdb', mode: 'incremental' }];

/** Restores handles into a fresh backend of each combination and lists how each differs from the model. */
async function restoresEverywhere(handles: KeyedStateHandle[], storage: MemoryStorage, model: Model): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const combo of ALL) {
    const fresh = makeBackend(combo);
    await fresh.restore(handles, storage);
    const diff = differences(fresh, model, KEYS);
    if (fresh.entryCount() !== model.entryCount()) diff.push(`entryCount ${fresh.entryCount()}, want ${model.entryCount()}`);
    out[`${combo.kind} ${combo.mode}`] = diff;
    await fresh.dispose();
  }
  return out;
}

const noDifferences = { 'heap full': [], 'lmdb full': [], 'lmdb incremental': [] };

async function checkpoint(b: KeyedStateBackend, storage: MemoryStorage, id: number): Promise<KeyedStateHandle> {
  const h = await b.snapshot(id, storage.target(id)).run();
  b.notifyCheckpointComplete(id);
  return h;
}

t.test('lmdb incremental: a savepoint is one full file and the next delta still holds every change', async (t) => {
  const storage = new MemoryStorage();
  const b = makeBackend({ kind: 'lmdb', mode: 'incremental', maxDeltaRatio: 100, tuning: { flushEntries: 200, maxInFlight: 1000 } });
  t.teardown(() => b.dispose());
  const model = new Model();
  const w = { backend: b, model, rnd: mulberry32(31), keys: KEYS };
  randomOps(w, 4000);
  await checkpoint(b, storage, 1);
  randomOps(w, 1500);
  const h2 = await checkpoint(b, storage, 2);

  randomOps(w, 1500);
  const atSavepoint = model.clone();
  const sp = await b.snapshot(3, storage.target(3), { savepoint: true }).run();
  t.equal(sp.mode, 'full', 'a full handle');
  t.equal(sp.backend, 'lmdb');
  t.equal(sp.files.length, 1, 'one file');
  t.match(sp.files[0].path, /^chk-3\//, 'exclusive to the savepoint');
  t.strictSame(sp.written, [sp.files[0].path]);
  t.equal(sp.entries, sp.files[0].entries);
  b.notifyCheckpointComplete(3);

  randomOps(w, 1500);
  const aborted = await b.snapshot(4, storage.target(4), { savepoint: true }).run();
  b.notifyCheckpointAborted(4);
  randomOps(w, 1500);
  const h5 = await b.snapshot(5, storage.target(5)).run();
  b.notifyCheckpointComplete(5);
  t.strictSame(h5.files.slice(0, 2).map((f) => f.path), h2.files.map((f) => f.path), 'the delta stands on checkpoint 2, not on a savepoint');
  t.equal(h5.files.length, 3, 'one delta more');
  t.strictSame(await restoresEverywhere([h5], storage, model), noDifferences, 'base and deltas restore the state: the delta after the savepoints missed nothing');
  t.strictSame(await restoresEverywhere([sp], storage, atSavepoint), noDifferences, 'the savepoint restores its state on every backend');
  t.equal(aborted.files.length, 1);
});

t.test('lmdb incremental: a savepoint before the first checkpoint leaves the first checkpoint a base', async (t) => {
  const storage = new MemoryStorage();
  const b = makeBackend({ kind: 'lmdb', mode: 'incremental', maxDeltaRatio: 100 });
  t.teardown(() => b.dispose());
  const model = new Model();
  randomOps({ backend: b, model, rnd: mulberry32(32), keys: KEYS }, 3000);
  const sp = await b.snapshot(1, storage.target(1), { savepoint: true }).run();
  b.notifyCheckpointComplete(1);
  t.equal(sp.mode, 'full');
  const h2 = await checkpoint(b, storage, 2);
  t.equal(h2.files.length, 1, 'a base');
  t.match(h2.files[0].path, /^shared\/base-/);
});

t.test('savepoints cross backends: lmdb to heap and heap to lmdb', async (t) => {
  const storage = new MemoryStorage();
  const model = new Model();
  const lmdb = makeBackend({ kind: 'lmdb', mode: 'incremental', maxDeltaRatio: 100 });
  const w = { backend: lmdb, model, rnd: mulberry32(33), keys: KEYS };
  randomOps(w, 4000);
  await checkpoint(lmdb, storage, 1);
  randomOps(w, 2000);
  await checkpoint(lmdb, storage, 2);
  randomOps(w, 2000);
  const fromLmdb = await lmdb.snapshot(3, storage.target(3), { savepoint: true }).run();
  await lmdb.dispose();

  const heap = makeBackend({ kind: 'heap' });
  await heap.restore([fromLmdb], storage);
  t.strictSame(differences(heap, model, KEYS), [], 'lmdb savepoint → heap');
  randomOps({ backend: heap, model, rnd: mulberry32(34), keys: KEYS }, 2000);
  const fromHeap = await heap.snapshot(4, storage.target(4), { savepoint: true }).run();
  await heap.dispose();
  t.equal(fromHeap.mode, 'full');
  t.equal(fromHeap.files.length, 1);
  t.match(fromHeap.files[0].path, /^chk-4\//);
  t.strictSame(await restoresEverywhere([fromHeap], storage, model), noDifferences, 'heap savepoint → every backend');

  const back = makeBackend({ kind: 'lmdb', mode: 'incremental' });
  t.teardown(() => back.dispose());
  await back.restore([fromHeap], storage, { continueChain: true });
  const next = await back.snapshot(5, storage.target(5)).run();
  t.equal(next.files.length, 1, 'a full handle is never the base of a chain, even when asked to continue');
});
