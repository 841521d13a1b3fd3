import { setImmediate as nextTurn } from 'node:timers/promises';
import t from 'tap';
import type { LmdbKeyedStateBackend } from '../../../backends/lmdb/backend.js';
import type { RootDatabase } from 'lmdb';
import { cachedValue, CacheTable, type Dirty } from '../../../backends/lmdb/cache-entries.js';
import { findAhead, mergeAhead, WriteOut } from '../../../backends/lmdb/write-out.js';
import type { KeyedStateHandle } from '../../../backends/snapshot.js';
import type { KeyedStateBackend } from '../../../backends/state.js';
import { mulberry32 } from '../../../base/random.js';
import { forEachEntry } from '../../../backends/format/state-file.js';
import { MemoryStorage } from '../../support/memory-storage.js';
import { differences, enter, makeBackend, Model, randomOps, userKeys } from '../../support/backends.js';

const table = new CacheTable(Buffer.from('v'));

/** A record of `key` written out in `epoch`, standing ahead for its entry. */
function record(key: string, epoch: number, entry = cachedValue(1, false, 0, key)): Dirty {
  const d: Dirty = { table, key, group: 0, mapKey: undefined, entry, epoch, storeKey: key, mapPrefix: undefined, chunk: { buf: Buffer.from([1]), ahead: 1 }, at: 0, len: 1, held: false };
  entry.ahead = d;
  return d;
}

t.test('the entries ahead stay in key order: a key written out again keeps its place, even after its record went to the store; new keys are merged in', async (t) => {
  const before = ['b', 'd', 'f', 'h', 'j'].map((k) => record(k, 1));
  const first = mergeAhead([], before);
  t.strictSame(first.records.map((d) => d.storeKey), ['b', 'd', 'f', 'h', 'j'], 'the first write-out is sorted');
  t.ok(first.entries.every((e) => e.listed), 'and listed');
  const again = record('f', 2, before[2].entry);
  // d went to the store; j went to the store and was written out again.
  before[1].entry.ahead = null;
  const jAgain = record('j', 2, before[4].entry);
  const fresh = [record('g', 2), again, record('a', 2), jAgain];
  const merged = mergeAhead(first.entries, fresh);
  t.strictSame(merged.records.map((d) => `${d.storeKey}${d.epoch}`), ['a2', 'b1', 'f2', 'g2', 'h1', 'j2'], 'f and j in place, d gone, a and g merged in');
  t.strictSame(merged.entries, merged.records.map((d) => d.entry), 'entries and records side by side');
  t.notOk(before[1].entry.listed, 'an entry that left the list is no longer listed');
  t.equal(findAhead(merged.records, 'g'), fresh[0]);
  t.equal(findAhead(merged.records, 'f'), again);
  t.equal(findAhead(merged.records, 'd'), undefined);
  t.equal(findAhead(merged.records, 'z'), undefined);
  t.equal(findAhead([], 'a'), undefined);
});

t.test('a delta write-out sorts its own records and appends the keys new to the entries ahead as one sorted run; the next whole write-out puts the list in order', async (t) => {
  const tally = { live: 0, unknown: [] };
  const first = mergeAhead([], ['b', 'd', 'f'].map((k) => record(k, 1)));
  const again = record('d', 2, first.entries[1]);
  const written = [record('e', 2), again, record('a', 2)];
  const delta = new WriteOut(written, 2, tally, undefined);
  delta.freshOnly();
  for (const d of written) delta.add(d);
  const now = delta.finish(first.entries, true);
  t.strictSame(delta.fresh().map((d) => d.storeKey), ['a', 'd', 'e'], 'its own records, in key order');
  t.strictSame(now.entries.map((e) => e.ahead!.storeKey), ['b', 'd', 'f', 'a', 'e'], 'd keeps its place; a and e follow as a run');
  t.equal(now.inOrder, false, 'the list is no longer in key order');
  t.throws(() => delta.ahead(), /every record ahead/, 'a delta of its own records keeps no others');
  const later = [record('c', 3)];
  const whole = new WriteOut(later, 3, tally, undefined);
  for (const d of later) whole.add(d);
  const merged = whole.finish(now.entries, now.inOrder);
  t.strictSame(whole.ahead().map((d) => `${d.storeKey}${d.epoch}`), ['a2', 'b1', 'c3', 'd2', 'e2', 'f1'], 'a whole write-out merges the runs into key order');
  t.equal(merged.inOrder, true);
  t.strictSame(whole.fresh().map((d) => d.storeKey), ['c']);
});

t.test('deltas of a few keys among many ahead of the store restore exactly, count the state, and the bases after them merge the appended keys', async (t) => {
  const storage = new MemoryStorage();
  const keys = userKeys(3000);
  // Every fourth checkpoint a base: the list of entries ahead is put in order again after three deltas of appended runs.
  const b = makeBackend({ kind: 'lmdb', mode: 'incremental', maxDeltas: 3, maxDeltaRatio: 100 });
  t.teardown(() => b.dispose());
  const rnd = mulberry32(11);
  const model = new Model();
  randomOps({ backend: b, model, rnd, keys }, 6000);
  const few = { backend: b, model, rnd, keys: keys.slice(0, 600) };
  const completed: { id: number; handle: KeyedStateHandle; model: Model }[] = [];
  for (let id = 1; id <= 9; id++) {
    const snap = b.snapshot(id, storage.target(id));
    const atBarrier = model.clone();
    randomOps(few, 40);
    const handle = await snap.run();
    b.notifyCheckpointComplete(id);
    completed.push({ id, handle, model: atBarrier });
    t.equal(measuredLive(b), lmdbKeys(atBarrier), `checkpoint ${id} (${handle.files.length} files) counted the entries of its state`);
    randomOps(few, 60 + Math.floor(rnd() * 60));
  }
  t.ok(completed.some((c) => c.handle.files.length === 4) && completed.some((c, i) => i > 0 && c.handle.files.length === 1), 'deltas, and bases after them');
  for (const c of completed) {
    const fresh = makeBackend({ kind: 'lmdb', mode: 'incremental' });
    await fresh.restore([c.handle], storage);
    t.strictSame(differences(fresh, c.model, keys), [], `checkpoint ${c.id} restores exactly`);
    await fresh.dispose();
  }
});

/** Entries LMDB itself holds (not the cache, not the overlays). */
function lmdbEntries(b: KeyedStateBackend): number {
  return (b as unknown as { db: RootDatabase }).db.getCount();
}

t.test('a value rewritten between every two barriers never goes through LMDB; it reaches LMDB when the cache lets it go', async (t) => {
  const storage = new MemoryStorage();
  // A base at every checkpoint (all keys change), under a policy that re-bases once a delta would rewrite 15% of the state.
  const b = makeBackend({ kind: 'lmdb', mode: 'incremental', maxDeltaRatio: 0.15 });
  t.teardown(() => b.dispose());
  const v = b.valueState<number>('v');
  const keys = userKeys(2000);
  let last: KeyedStateHandle | undefined;
  for (let id = 1; id <= 4; id++) {
    for (const k of keys) {
      enter(b, k);
      v.update((v.value() ?? 0) + 1);
    }
    last = await b.snapshot(id, storage.target(id)).run();
    b.notifyCheckpointComplete(id);
  }
  // Half the keys change once more: the other half stays ahead of the store, unchanged.
  for (const k of keys.slice(0, 1000)) {
    enter(b, k);
    v.update(v.value()! + 1);
  }
  const fifth = await b.snapshot(5, storage.target(5)).run();
  b.notifyCheckpointComplete(5);
  await nextTurn();
  t.equal(lmdbEntries(b), 0, 'LMDB holds nothing: every checkpoint took the values from the cache');
  t.equal(last!.files.length, 1, 'all keys changed: each checkpoint was a base');
  const restored = makeBackend({ kind: 'lmdb', mode: 'incremental' });
  t.teardown(() => restored.dispose());
  await restored.restore([fifth], storage);
  const rv = restored.valueState<number>('v');
  const wrong = keys.filter((k, i) => {
    enter(restored, k);
    return rv.value() !== (i < 1000 ? 5 : 4);
  });
  t.strictSame(wrong, [], 'the fifth checkpoint restores every value');
  t.equal(b.entryCount(), keys.length, 'counted');
  const store = (b as unknown as { store: { drain(): Promise<void> } }).store;
  await store.drain();
  t.equal(lmdbEntries(b), 0, 'counting writes nothing to LMDB');
  (b as LmdbKeyedStateBackend).writeBack();
  await store.drain();
  t.equal(lmdbEntries(b), keys.length, 'written back, the values ahead reach LMDB');
});

t.test('a key deleted while ahead of the store is a tombstone in the next delta, so a restore does not bring it back', async (t) => {
  const storage = new MemoryStorage();
  const b = makeBackend({ kind: 'lmdb', mode: 'incremental', maxDeltaRatio: 100 });
  t.teardown(() => b.dispose());
  const v = b.valueState<number>('v');
  const m = b.mapState<string, number>('m');
  for (const k of ['a', 'b', 'c']) {
    enter(b, k);
    v.update(1);
    m.put('x', 1);
  }
  await b.snapshot(1, storage.target(1)).run();
  b.notifyCheckpointComplete(1);
  enter(b, 'b');
  v.clear();
  m.remove('x');
  const delta = await b.snapshot(2, storage.target(2)).run();
  t.equal(delta.files.length, 2, 'a delta on the base');
  let tombstones = 0;
  await forEachEntry(delta.files[1].path, storage.read(delta.files[1]), (e) => void (tombstones += e.value === null ? 1 : 0));
  t.equal(tombstones, 2, 'the value and the map entry are tombstones');
  const restored = makeBackend({ kind: 'lmdb', mode: 'incremental' });
  t.teardown(() => restored.dispose());
  await restored.restore([delta], storage);
  const got = ['a', 'b', 'c'].map((k) => {
    enter(restored, k);
    return `${k}:${restored.valueState<number>('v').value()}:${[...restored.mapState<string, number>('m').keys()].join()}`;
  });
  t.strictSame(got, ['a:1:x', 'b:undefined:', 'c:1:x']);
});

/** The entries of the state the confirmed checkpoint copied, as the backend's incremental chain measured them. */
function measuredLive(b: KeyedStateBackend): number | undefined {
  return (b as unknown as { chain: { measure?: { live: number } } }).chain.measure?.live;
}

/** The keys LMDB would hold for a model's state: one per value, list and sum, one per map entry. */
function lmdbKeys(m: Model): number {
  let n = m.values.size + m.lists.size + m.sums.size;
  for (const entries of m.maps.values()) n += entries.size;
  return n;
}

// Checkpoints completed, aborted or left unconfirmed at random, savepoints between them, with the cache evicting often, now and then, or never.
for (const stateCacheMb of [0.05, 0.3, 1, undefined]) {
  t.test(`every completed checkpoint restores to its barrier's state, whatever became of the ones before (cache ${stateCacheMb ?? 'default'} MiB)`, async (t) => {
    const storage = new MemoryStorage();
    const keys = userKeys(1500);
    const b = makeBackend({ kind: 'lmdb', mode: 'incremental', stateCacheMb, maxDeltas: 4, maxDeltaRatio: 100 });
    t.teardown(() => b.dispose());
    const rnd = mulberry32(stateCacheMb === undefined ? 5 : Math.round(stateCacheMb * 100));
    const model = new Model();
    const w = { backend: b, model, rnd, keys };
    randomOps(w, 5000);
    const completed: { id: number; handle: KeyedStateHandle; model: Model }[] = [];
    const pending: number[] = [];
    for (let id = 1; id <= 14; id++) {
      if (rnd() < 0.3) {
        // A savepoint leaves the chain alone: the keys it wrote out are the next checkpoint's changes.
        const sp = b.snapshot(100 + id, storage.target(100 + id), { savepoint: true });
        const atSavepoint = model.clone();
        randomOps(w, 200);
        completed.push({ id: 100 + id, handle: await sp.run(), model: atSavepoint });
        randomOps(w, 1 + Math.floor(rnd() * 800));
      }
      const snap = b.snapshot(id, storage.target(id));
      const atBarrier = model.clone();
      randomOps(w, 400);
      const handle = await snap.run();
      const fate = rnd();
      if (fate < 0.25) b.notifyCheckpointAborted(id);
      else if (fate < 0.45) pending.push(id);
      else {
        b.notifyCheckpointComplete(id);
        completed.push({ id, handle, model: atBarrier });
        t.equal(measuredLive(b), lmdbKeys(atBarrier), `checkpoint ${id} counted the entries of its state (the re-base policy weighs them)`);
      }
      randomOps(w, 1 + Math.floor(rnd() * 1500));
      // Counted over LMDB, the overlays and the cache's changes and records ahead, none written by counting.
      t.equal(b.entryCount(), model.entryCount(), `entries counted after checkpoint ${id}`);
    }
    t.ok(completed.filter((c) => c.id < 100).length >= 5, `${completed.length} checkpoints and savepoints completed`);
    for (const c of completed) {
      const fresh = makeBackend({ kind: 'lmdb', mode: 'incremental' });
      await fresh.restore([c.handle], storage);
      t.strictSame(differences(fresh, c.model, keys), [], `checkpoint ${c.id} (${c.handle.files.length} files) restores exactly`);
      await fresh.dispose();
    }
    t.strictSame(differences(b, model, keys), [], 'the live backend still matches the model');
  });
}
