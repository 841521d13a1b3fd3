import t from 'tap';
import type { KeyedStateHandle, StateFileRef } from '../../../backends/snapshot.js';
import { decodeKey } from '../../../backends/format/keys.js';
import { forEachEntry } from '../../../backends/format/state-file.js';
import type { KeyedStateBackend } from '../../../backends/state.js';
import { MemoryStorage } from '../../support/memory-storage.js';
import { enter, makeBackend } from '../../support/backends.js';
import type { LmdbKeyedStateBackend } from '../../../backends/lmdb/backend.js';

/** Upserts and tombstones of one file, keyed "name/userKey[/mapKey]". */
async function fileEntries(storage: MemoryStorage, ref: StateFileRef): Promise<{ upserts: string[]; tombstones: string[] }> {
  const out = { upserts: [] as string[], tombstones: [] as string[] };
  await forEachEntry(ref.path, storage.read(ref), (e) => {
    const k = decodeKey(e.key);
    const name = [k.name, k.userKey, ...(k.mapKey === undefined ? [] : [k.mapKey])].join('/');
    (e.value === null ? out.tombstones : out.upserts).push(name);
  });
  out.upserts.sort();
  out.tombstones.sort();
  return out;
}

/** Writes value state `v` = n for each key. */
function setValues(b: KeyedStateBackend, keys: (string | number)[], n: number): void {
  const v = b.valueState<number>('v');
  for (const k of keys) {
    enter(b, k);
    v.update(n);
  }
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);
const names = (keys: number[], state = 'v'): string[] => keys.map((k) => `${state}/${k}`);

for (const stateCacheMb of [undefined, 0]) t.test(`a delta holds exactly the keys changed since the confirmed checkpoint${stateCacheMb === 0 ? ', without the cache' : ''}`, async (t) => {
  const storage = new MemoryStorage();
  const b = makeBackend({ kind: 'lmdb', mode: 'incremental', maxDeltaRatio: 10, stateCacheMb });
  t.teardown(() => b.dispose());
  setValues(b, range(0, 1000), 1);
  const base = await b.snapshot(1, storage.target(1)).run();
  b.notifyCheckpointComplete(1);
  t.equal(base.files.length, 1);
  t.match(base.files[0].path, /^shared\/base-/, 'the first incremental snapshot is a shared base');
  t.equal(base.entries, 1000);

  setValues(b, range(0, 100), 2);
  setValues(b, range(50, 120), 3);
  const v = b.valueState<number>('v');
  const m = b.mapState<string, number>('m');
  for (const k of range(900, 910)) {
    enter(b, k);
    v.clear();
  }
  for (const k of range(2000, 2005)) {
    enter(b, k);
    v.clear();
    m.remove('absent');
    m.put('a', k);
    m.put('b', k);
  }
  enter(b, 2000);
  m.remove('b');
  const delta = await b.snapshot(2, storage.target(2)).run();
  t.equal(delta.files.length, 2, 'base plus one delta');
  t.equal(delta.files[0].path, base.files[0].path, 'the delta stands on the confirmed base');
  t.strictSame(delta.written, [delta.files[1].path], 'only the delta was written');
  t.match(delta.files[1].path, /^shared\/delta-/);
  const got = await fileEntries(storage, delta.files[1]);
  const wantUpserts = [...names(range(0, 120)), ...range(2000, 2005).map((k) => `m/${k}/a`), ...range(2001, 2005).map((k) => `m/${k}/b`)].sort();
  t.strictSame(got.upserts, wantUpserts, '120 values and 9 map entries changed; deleting absent keys adds nothing');
  // The cache absorbs a put and a remove of the same new key; without it the store sees both.
  const putAndRemoved = stateCacheMb === 0 ? ['m/2000/b'] : [];
  t.strictSame(got.tombstones, [...names(range(900, 910)), ...putAndRemoved].sort(), 'deleted keys are tombstones');
  t.equal(delta.files[1].entries, 120 + 9 + 10 + putAndRemoved.length, 'entries counted');
  t.equal(delta.entries, 1000 + 139 + putAndRemoved.length, 'handle entries: base plus delta');
});

t.test('unconfirmed and aborted checkpoints carry their changes into the next delta', async (t) => {
  const storage = new MemoryStorage();
  const b = makeBackend({ kind: 'lmdb', mode: 'incremental', maxDeltaRatio: 10 });
  t.teardown(() => b.dispose());
  setValues(b, range(0, 1000), 1);
  await b.snapshot(1, storage.target(1)).run();
  b.notifyCheckpointComplete(1);

  setValues(b, range(0, 10), 2);
  const h2 = await b.snapshot(2, storage.target(2)).run();
  setValues(b, range(10, 15), 2);
  const h3 = await b.snapshot(3, storage.target(3)).run();
  t.strictSame((await fileEntries(storage, h3.files[1])).upserts, names(range(0, 15)).sort(), 'checkpoint 2 is not confirmed yet: 3 repeats its keys');
  t.equal(h3.files.length, 2, 'and stands on the confirmed base, not on 2');
  b.notifyCheckpointAborted(2);
  b.notifyCheckpointAborted(3);

  setValues(b, range(15, 22), 2);
  const h4 = await b.snapshot(4, storage.target(4)).run();
  t.strictSame((await fileEntries(storage, h4.files[1])).upserts, names(range(0, 22)).sort(), 'aborted checkpoints\u2019 changes are in the next delta');
  b.notifyCheckpointComplete(4);
  b.notifyCheckpointComplete(2);

  setValues(b, range(500, 503), 3);
  const h5 = await b.snapshot(5, storage.target(5)).run();
  t.strictSame(h5.files.map((f) => f.path), [...h4.files.map((f) => f.path), h5.files[2].path], '5 builds on the confirmed 4');
  t.strictSame((await fileEntries(storage, h5.files[2])).upserts, names(range(500, 503)).sort(), 'only the changes since 4');
  t.equal(h2.files.length, 2);
});

t.test('a fresh base is written after maxDeltas deltas', async (t) => {
  const storage = new MemoryStorage();
  const b = makeBackend({ kind: 'lmdb', mode: 'incremental', maxDeltas: 2, maxDeltaRatio: 10 });
  t.teardown(() => b.dispose());
  setValues(b, range(0, 500), 0);
  const lengths: number[] = [];
  const labels: string[] = [];
  for (let id = 1; id <= 6; id++) {
    setValues(b, [id], id);
    const h = await b.snapshot(id, storage.target(id)).run();
    b.notifyCheckpointComplete(id);
    lengths.push(h.files.length);
    labels.push(h.written[0].replace(/^shared\/(\w+)-.*/, '$1'));
  }
  t.strictSame(lengths, [1, 2, 3, 1, 2, 3]);
  t.strictSame(labels, ['base', 'delta', 'delta', 'base', 'delta', 'delta']);
});

t.test('a fresh base is written once the deltas would outgrow maxDeltaRatio of the base', async (t) => {
  const storage = new MemoryStorage();
  const b = makeBackend({ kind: 'lmdb', mode: 'incremental', maxDeltaRatio: 0.1 });
  t.teardown(() => b.dispose());
  setValues(b, range(0, 1000), 0);
  const step = async (id: number, changed: number[]): Promise<KeyedStateHandle> => {
    setValues(b, changed, id);
    const h = await b.snapshot(id, storage.target(id)).run();
    b.notifyCheckpointComplete(id);
    return h;
  };
  t.equal((await step(1, [])).files.length, 1, 'base');
  t.equal((await step(2, range(0, 50))).files.length, 2, '5% of the base: a delta');
  t.equal((await step(3, range(100, 140))).files.length, 3, '9% in two deltas: another delta');
  const rebased = await step(4, range(200, 230));
  t.equal(rebased.files.length, 1, '12% would exceed 10%: a base');
  t.equal(rebased.entries, 1000);
  t.equal((await step(5, range(0, 120))).files.length, 1, 'a single delta above the ratio is written as a base at once');
});

for (const inLmdb of [false, true]) t.test(`deltas of new keys waste nothing: a growing state builds on its base up to maxDeltas, rewrites and deletions re-base${inLmdb ? ' (the rewritten keys in LMDB, not ahead of it)' : ''}`, async (t) => {
  const storage = new MemoryStorage();
  const b = makeBackend({ kind: 'lmdb', mode: 'incremental', maxDeltaRatio: 0.1, maxDeltas: 4 });
  t.teardown(() => b.dispose());
  const kind = (h: KeyedStateHandle) => (h.written[0].includes('delta') ? 'delta' : 'base');
  const step = async (id: number, change: () => void): Promise<string> => {
    change();
    const h = await b.snapshot(id, storage.target(id)).run();
    b.notifyCheckpointComplete(id);
    return kind(h);
  };
  const grow = (from: number, to: number) => () => setValues(b, range(from, to), 0);
  t.equal(await step(1, grow(0, 100)), 'base');
  t.equal(await step(2, grow(100, 130)), 'delta', 'the state started empty: its first base grew it by every key, so 30% new keys are taken for new keys');
  const growing = [];
  for (let id = 3; id <= 7; id++) growing.push(await step(id, grow(100 + 30 * (id - 2), 130 + 30 * (id - 2))));
  t.strictSame(growing, ['delta', 'delta', 'delta', 'base', 'delta'], 'new keys far past the ratio: deltas until the chain is maxDeltas long');
  t.equal(await step(8, grow(280, 310)), 'delta');
  // Every value written back to LMDB: a rewrite then finds its key there, not in a record ahead.
  if (inLmdb) (b as LmdbKeyedStateBackend).writeBack();
  t.equal(await step(9, () => setValues(b, range(0, 25), 1)), 'delta', 'rewrites of 8% of the keys, taken for new keys as the last ones were');
  t.equal(await step(10, grow(310, 320)), 'base', 'the chain holds 25 rewritten entries, and the next 10 keys may be rewrites as well: past 10%');
  t.equal(await step(11, grow(320, 325)), 'delta', 'new keys again');
  const v = b.valueState<number>('v');
  const remove = () => {
    for (const k of range(0, 20)) {
      enter(b, k);
      v.clear();
    }
  };
  t.equal(await step(12, remove), 'delta', '20 deletions, each counted for its tombstone: below 10% of the 325 keys');
  t.equal(await step(13, grow(325, 326)), 'base', '20 deletions count twice (the tombstone and the entry it undoes): past 10% of the 305 keys left');
});

for (const stateCacheMb of [undefined, 0]) t.test(`a snapshot that deletes most of a state that only grew is a base, not a delta of tombstones${stateCacheMb === 0 ? ', without the cache' : ''}`, async (t) => {
  const storage = new MemoryStorage();
  const b = makeBackend({ kind: 'lmdb', mode: 'incremental', maxDeltaRatio: 0.15, stateCacheMb });
  t.teardown(() => b.dispose());
  const v = b.valueState<number>('v');
  const step = async (id: number, change: () => void): Promise<KeyedStateHandle> => {
    change();
    const h = await b.snapshot(id, storage.target(id)).run();
    b.notifyCheckpointComplete(id);
    return h;
  };
  await step(1, () => setValues(b, range(0, 100), 0));
  for (let id = 2; id <= 4; id++) t.equal((await step(id, () => setValues(b, range(100 * (id - 1), 100 * id), 0))).files.length, id, 'new keys: a delta');
  const end = await step(5, () => {
    for (const k of range(0, 380)) {
      enter(b, k);
      v.clear();
    }
  });
  t.equal(end.files.length, 1, 'deleting 380 of 400 keys: a base, though the intervals before only grew the state');
  t.equal(end.entries, 20);
  t.strictSame((await fileEntries(storage, end.files[0])).upserts, names(range(380, 400)).sort(), 'the keys left, no tombstones');
});

for (const cacheMb of [0.05, 64]) t.test(`a key written to the store, then changed and written out for a savepoint, reaches the next delta with its newest value (cache ${cacheMb} MiB)`, async (t) => {
  const storage = new MemoryStorage();
  const b = makeBackend({ kind: 'lmdb', mode: 'incremental', stateCacheMb: cacheMb, maxDeltaRatio: 10 });
  t.teardown(() => b.dispose());
  setValues(b, range(0, 400), 0);
  await b.snapshot(1, storage.target(1)).run();
  b.notifyCheckpointComplete(1);
  // Every dirty value written back to the store, as a change of the interval.
  setValues(b, range(0, 400), 1);
  (b as LmdbKeyedStateBackend).writeBack();
  setValues(b, range(0, 400), 2);
  await b.snapshot(2, storage.target(2), { savepoint: true }).run();
  setValues(b, range(1000, 1400), 3);
  const h3 = await b.snapshot(3, storage.target(3)).run();
  t.equal(h3.files.length, 2, 'a delta');
  const fresh = makeBackend({ kind: 'lmdb', stateCacheMb: 0 });
  t.teardown(() => fresh.dispose());
  await fresh.restore([h3], storage);
  const v = fresh.valueState<number>('v');
  let stale = 0;
  for (const k of range(0, 400)) {
    enter(fresh, k);
    if (v.value() !== 2) stale++;
  }
  t.equal(stale, 0, 'every key restores the value the savepoint wrote out, not the one written to the store before it');
});

/** 300 keys in a confirmed base, then 5 of them changed in a delta: the handle of the delta and its storage. */
async function baseAndDelta(): Promise<{ storage: MemoryStorage; h2: KeyedStateHandle }> {
  const storage = new MemoryStorage();
  const a = makeBackend({ kind: 'lmdb', mode: 'incremental', maxDeltaRatio: 10 });
  setValues(a, range(0, 300), 1);
  await a.snapshot(1, storage.target(1)).run();
  a.notifyCheckpointComplete(1);
  setValues(a, range(0, 5), 2);
  const h2 = await a.snapshot(2, storage.target(2)).run();
  await a.dispose();
  return { storage, h2 };
}

t.test('a restored incremental handle continuing the chain is the base of the next delta', async (t) => {
  const { storage, h2 } = await baseAndDelta();

  const b = makeBackend({ kind: 'lmdb', mode: 'incremental', maxDeltaRatio: 10 });
  t.teardown(() => b.dispose());
  await b.restore([h2], storage, { continueChain: true });
  setValues(b, [7], 3);
  const h3 = await b.snapshot(3, storage.target(3)).run();
  t.strictSame(h3.files.map((f) => f.path), [...h2.files.map((f) => f.path), h3.files[2].path], 'restored files plus a new delta');
  t.strictSame((await fileEntries(storage, h3.files[2])).upserts, ['v/7'], 'restored entries are not changes');
  const v = b.valueState<number>('v');
  let wrong = 0;
  for (const k of range(0, 300)) {
    enter(b, k);
    if (v.value() !== (k === 7 ? 3 : k < 5 ? 2 : 1)) wrong++;
  }
  t.equal(wrong, 0, 'restored values');
});

t.test('a restore that does not continue the chain makes the next snapshot a fresh base', async (t) => {
  const { storage, h2 } = await baseAndDelta();

  for (const options of [undefined, {}, { continueChain: false }]) {
    const b = makeBackend({ kind: 'lmdb', mode: 'incremental', maxDeltaRatio: 10 });
    await b.restore([h2], storage, options);
    setValues(b, [7], 3);
    const h3 = await b.snapshot(3, storage.target(3)).run();
    b.notifyCheckpointComplete(3);
    t.equal(h3.files.length, 1, `options ${JSON.stringify(options)}: one file`);
    t.match(h3.written[0], /^shared\/base-/, 'a fresh base in shared storage');
    t.equal(h3.entries, 300, 'holding the whole state');
    setValues(b, [8], 4);
    const h4 = await b.snapshot(4, storage.target(4)).run();
    t.strictSame(h4.files.map((f) => f.path), [h3.files[0].path, h4.files[1].path], 'later deltas stand on the fresh base');
    await b.dispose();
  }
});

t.test('after a restore that does not continue the chain, how keys change is not known until a snapshot measured it', async (t) => {
  const { storage, h2 } = await baseAndDelta();
  const b = makeBackend({ kind: 'lmdb', mode: 'incremental', maxDeltaRatio: 0.1 });
  t.teardown(() => b.dispose());
  await b.restore([h2], storage);
  const kinds: string[] = [];
  for (let id = 3; id <= 5; id++) {
    setValues(b, range(300 + (id - 3) * 60, 360 + (id - 3) * 60), id);
    const h = await b.snapshot(id, storage.target(id)).run();
    b.notifyCheckpointComplete(id);
    kinds.push(h.files.length === 1 ? 'base' : 'delta');
  }
  t.strictSame(kinds, ['base', 'base', 'delta'], 'the restored state did not start empty: 20% new keys could all be rewrites until the second base measured them');
});

t.test('delta files are written in key order', async (t) => {
  const storage = new MemoryStorage();
  const b = makeBackend({ kind: 'lmdb', mode: 'incremental', maxDeltaRatio: 10 });
  t.teardown(() => b.dispose());
  setValues(b, range(0, 500), 1);
  await b.snapshot(1, storage.target(1)).run();
  b.notifyCheckpointComplete(1);
  // Written in an order unlike key order, over two unconfirmed sets and with deletes.
  setValues(b, range(0, 200).map((i) => (i * 7919) % 500), 2);
  await b.snapshot(2, storage.target(2)).run();
  setValues(b, [499, 3, 250, 600, 'x', 'a'], 3);
  const v = b.valueState<number>('v');
  for (const k of [10, 400]) {
    enter(b, k);
    v.clear();
  }
  const h = await b.snapshot(3, storage.target(3)).run();
  const keys: Buffer[] = [];
  await forEachEntry(h.files[1].path, storage.read(h.files[1]), (e) => void keys.push(Buffer.from(e.key)));
  t.ok(keys.length > 200, 'both sets are in the delta');
  const unordered = keys.findIndex((k, i) => i > 0 && Buffer.compare(keys[i - 1], k) >= 0);
  t.equal(unordered, -1, 'each key follows the one before it in byte order');
});

for (const stateCacheMb of [undefined, 0]) t.test(`a timer set again in an interval reaches the delta once, and one set before the base only when set again${stateCacheMb === 0 ? ', without the cache' : ''}`, async (t) => {
  const storage = new MemoryStorage();
  const b = makeBackend({ kind: 'lmdb', mode: 'incremental', maxDeltaRatio: 10, stateCacheMb });
  t.teardown(() => b.dispose());
  const timers = b.timerState('timers:event');
  const setTimers = (keys: number[], time: number) => keys.forEach((k) => (enter(b, k), timers.register(time)));
  setTimers(range(0, 50), 100);
  await b.snapshot(1, storage.target(1)).run();
  b.notifyCheckpointComplete(1);
  // New timers three times over, and old ones once again: each key once in the delta.
  for (let i = 0; i < 3; i++) setTimers(range(100, 110), 200);
  setTimers(range(0, 5), 100);
  const delta = await b.snapshot(2, storage.target(2)).run();
  const got = await fileEntries(storage, delta.files[1]);
  t.equal(got.upserts.length, 15, 'ten new timers and five set again');
  t.equal(new Set(got.upserts).size, 15, 'each once');
  t.strictSame(got.tombstones, []);
  t.equal(timers.takeDue(200, 1000).length, 60, 'every timer is there once');
});
