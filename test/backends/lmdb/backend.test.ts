import fs from 'node:fs';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import type { KeyedStateBackend } from '../../../backends/state.js';
import { MemoryStorage } from '../../support/memory-storage.js';
import { enter, makeBackend } from '../../support/backends.js';

t.test('lmdb backend specifics', async (t) => {
  const opened: KeyedStateBackend[] = [];
  const backend = (key?: string, stateCacheMb?: number): KeyedStateBackend => {
    // Small batches, so these tests flush often with few writes.
    const b = makeBackend({ kind: 'lmdb', stateCacheMb, tuning: { flushEntries: 4096 } });
    opened.push(b);
    if (key !== undefined) enter(b, key);
    return b;
  };
  t.teardown(async () => {
    for (const b of opened) await b.dispose();
  });

  t.test('without the cache, values are copies; mutating one without update() stores nothing', async (t) => {
    const b = backend('a', 0);
    const v = b.valueState<{ n: number }>('v');
    v.update({ n: 1 });
    const read = v.value()!;
    read.n = 99;
    t.equal(v.value()!.n, 1, 'a mutated read value is not stored');
    t.not(v.value(), v.value(), 'every read decodes afresh');
    const given = { n: 2 };
    v.update(given);
    given.n = 3;
    t.equal(v.value()!.n, 2, 'mutating the object given to update() changes nothing either');
    const m = b.mapState<string, number[]>('m');
    m.put('x', [1]);
    m.get('x')!.push(2);
    t.strictSame(m.get('x'), [1]);
  });

  t.test('with the cache, a value read is the stored object, as on the heap; lists are handed out as copies', async (t) => {
    const b = backend('a');
    const v = b.valueState<{ n: number }>('v');
    const given = { n: 1 };
    v.update(given);
    t.equal(v.value(), given, 'the object given to update() is what a read returns');
    const read = v.value()!;
    read.n = 2;
    v.update(read);
    t.equal(v.value()!.n, 2, 'mutate, then update');
    const l = b.listState<number>('l');
    l.addAll([1, 2]);
    const copy = l.get();
    copy.push(3);
    t.strictSame(l.get(), [1, 2], 'a list read is a copy, so add() may grow the cached list');
    const storage = new MemoryStorage();
    const handle = await b.snapshot(1, storage.target(1)).run();
    const fresh = backend('a', 0);
    await fresh.restore([handle], storage);
    enter(fresh, 'a');
    t.strictSame(fresh.valueState<{ n: number }>('v').value(), { n: 2 }, 'the snapshot holds the cached value');
    t.strictSame(fresh.listState<number>('l').get(), [1, 2]);
  });

  t.test('a snapshot holds the values at its barrier, even those mutated in place before its write-out reached them', async (t) => {
    const storage = new MemoryStorage();
    const b = backend(undefined);
    const v = b.valueState<{ n: number }>('v');
    const l = b.listState<number>('l');
    const n = 5000;
    for (let i = 0; i < n; i++) {
      enter(b, i);
      v.update({ n: 1 });
      l.add(1);
    }
    const first = b.snapshot(1, storage.target(1));
    // Right after the synchronous part, before any slice of the write-out ran.
    for (let i = 0; i < n; i++) {
      enter(b, i);
      const x = v.value()!;
      x.n = 2;
      v.update(x);
      l.add(2);
    }
    const handle = await first.run();
    const second = await b.snapshot(2, storage.target(2)).run();
    const read = async (h: typeof handle): Promise<string[]> => {
      const fresh = backend(undefined, 0);
      await fresh.restore([h], storage);
      const out = new Set<string>();
      for (let i = 0; i < n; i++) {
        enter(fresh, i);
        out.add(`${fresh.valueState<{ n: number }>('v').value()!.n}:${fresh.listState<number>('l').get().join(',')}`);
      }
      return [...out];
    };
    t.strictSame(await read(handle), ['1:1'], 'the first snapshot: every key as at its barrier');
    t.strictSame(await read(second), ['2:1,2'], 'the second: the in-place changes');
  });

  t.test('a small cache writes its dirty values out and evicts, reading every value back exactly', async (t) => {
    const b = backend(undefined, 0.05);
    const v = b.valueState<number>('v');
    const m = b.mapState<number, string>('m');
    const n = 5000;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < n; i++) {
        enter(b, i);
        v.update((v.value() ?? 0) + i);
        if (i % 3 === 0) m.put(round, `${i}/${round}`);
        if (i % 5 === 0 && round === 2) m.remove(0);
      }
    }
    const cache = (b as unknown as { cache: { reckonedBytes(): number } }).cache;
    t.ok(cache.reckonedBytes() <= 0.05 * 1024 * 1024 + 200, `the cache stays within its budget (${cache.reckonedBytes()} bytes reckoned)`);
    let bad = 0;
    for (let i = 0; i < n; i++) {
      enter(b, i);
      if (v.value() !== 3 * i) bad++;
      const want = i % 3 !== 0 ? [] : [...(i % 5 === 0 ? [] : [[0, `${i}/0`]]), [1, `${i}/1`], [2, `${i}/2`]];
      const got = [...m.entries()].sort((x, y) => x[0] - y[0]);
      if (JSON.stringify(got) !== JSON.stringify(want)) bad++;
    }
    t.equal(bad, 0, 'every value and map reads back');
    t.equal(b.entryCount(), n + Math.ceil(n / 3), 'entries counted through the store');
  });

  t.test('values written without a read count against the budget by their size, before they are ever encoded', async (t) => {
    const b = backend(undefined, 1);
    const v = b.valueState<{ name: string; tags: string[] }>('v');
    for (let i = 0; i < 200; i++) {
      enter(b, i);
      v.update({ name: 'x'.repeat(1000), tags: ['a'.repeat(100), 'b'.repeat(100)] });
    }
    const cache = (b as unknown as { cache: { reckonedBytes(): number } }).cache;
    t.ok(cache.reckonedBytes() >= 200 * 1200, `200 values of over 1,200 encoded bytes reckoned at ${cache.reckonedBytes()} bytes`);
    for (let i = 0; i < 2000; i++) {
      enter(b, i);
      v.update({ name: 'y'.repeat(1000), tags: [] });
    }
    t.ok(cache.reckonedBytes() <= 1024 * 1024 + 4000, `and they stay within the budget (${cache.reckonedBytes()} bytes reckoned)`);
    enter(b, 1999);
    t.equal(v.value()?.name.length, 1000, 'what was written reads back');
  });

  t.test('records ahead of the store are reckoned by the chunks their encodings share, and nothing is left reckoned once they went to the store', async (t) => {
    const b = backend(undefined, 64);
    const v = b.valueState<string>('v');
    const l = b.listState<string>('l');
    type Internals = { cache: { bytes: { ahead: number }; flush(): void; finishWriteOut(): void } };
    const cache = (b as unknown as Internals).cache;
    const storage = new MemoryStorage();
    for (let round = 1; round <= 4; round++) {
      for (let i = 0; i < 3000; i++) {
        enter(b, i);
        // Some keys change at every barrier, so their records supersede older ones; some are deleted.
        if (i % 2 === 0 || round === 1) v.update(`${round}:${i}`.padEnd(48, '.'));
        if (round === 3 && i % 7 === 0) v.clear();
        if (i % 3 === 0) l.add(`${round}`);
      }
      await b.snapshot(round, storage.target(round)).run();
      cache.finishWriteOut();
      const ahead = cache.bytes.ahead;
      const records = 3000 + 1000;
      const chunks = (ahead - records * 128) / (64 * 1024);
      t.ok(Number.isInteger(chunks) && chunks >= 3, `barrier ${round}: ${records} records ahead and ${chunks} whole chunks reckoned (${ahead} bytes)`);
    }
    cache.flush();
    t.equal(cache.bytes.ahead, 0, 'every record went to the store, and with it every chunk');
  });

  t.test('a final snapshot keeps its write-out ahead of the store, even when a barrier would put it there', async (t) => {
    const b = backend(undefined, 0.05);
    const v = b.valueState<string>('v');
    type Point = (reserve?: boolean) => unknown;
    type Internals = { cache: { writeOut: { reserved: unknown } | undefined }; store: { snapshotPoint: Point } };
    const { cache, store } = b as unknown as Internals;
    const reserved: boolean[] = [];
    const point = store.snapshotPoint.bind(store);
    store.snapshotPoint = (reserve = false) => (reserved.push(reserve), point(reserve));
    const storage = new MemoryStorage();
    for (let i = 0; i < 2000; i++) {
      enter(b, i);
      v.update('x'.repeat(40));
    }
    const first = b.snapshot(1, storage.target(1));
    t.not(cache.writeOut?.reserved, undefined, 'over its budget, a barrier writes its values into the store');
    await first.run();
    for (let i = 0; i < 2000; i++) {
      enter(b, i);
      v.clear();
    }
    const last = b.snapshot(2, storage.target(2), { final: true });
    t.strictSame(reserved, [true, false], 'the final one keeps them ahead');
    const handle = await last.run();
    t.equal(cache.writeOut, undefined, 'LMDB held the values: the copy had its write-out encoded at once to count the state');
    const fresh = backend(undefined, 0);
    await fresh.restore([handle], storage);
    t.equal(fresh.entryCount(), 0, 'and its snapshot holds the state at the barrier: every key deleted');
    t.equal(handle.entries, 0, 'an empty file');
  });

  t.test('the paced count equals the count, and lets the event loop run while it reads a large state', async (t) => {
    const b = backend(undefined, 64);
    const v = b.valueState<number>('v');
    const m = b.mapState<number, number>('m');
    const storage = new MemoryStorage();
    for (let i = 0; i < 12000; i++) {
      enter(b, i);
      // Read first, half of them: their records ahead know the store lacked them.
      if (i % 2 === 1) v.value();
      v.update(i);
      if (i % 3 === 0) m.put(i % 7, i);
    }
    await b.snapshot(1, storage.target(1)).run();
    for (let i = 0; i < 12000; i += 4) {
      enter(b, i);
      v.clear();
    }
    t.equal(b.entryCount(), 12000 - 3000 + 4000, 'values left and one map per user key');
    let turns = 0;
    let counting = true;
    const tick = (): void => {
      if (!counting) return;
      turns++;
      setImmediate(tick);
    };
    setImmediate(tick);
    const paced = await b.entryCountPaced();
    counting = false;
    t.equal(paced, b.entryCount(), 'the same count');
    t.ok(turns >= 2, `the event loop ran ${turns} times while it counted`);
  });

  for (const mode of ['full', 'incremental'] as const) for (const cacheMb of [0.05, 64]) t.test(`a final ${mode} snapshot of a state all but emptied keeps what is left, in LMDB or ahead of it (cache ${cacheMb} MiB)`, async (t) => {
    const b = makeBackend({ kind: 'lmdb', mode, stateCacheMb: cacheMb, tuning: { flushEntries: 4096 } });
    opened.push(b);
    const v = b.valueState<string>('v');
    const storage = new MemoryStorage();
    for (let i = 0; i < 2000; i++) {
      enter(b, i);
      v.update(`a${i}`);
    }
    await b.snapshot(1, storage.target(1)).run();
    b.notifyCheckpointComplete(1);
    const kept = new Map<number, string>();
    for (let i = 0; i < 2000; i++) {
      enter(b, i);
      if (i % 400 === 7) kept.set(i, `a${i}`);
      else if (i % 400 === 9) {
        v.update(`b${i}`);
        kept.set(i, `b${i}`);
      } else v.clear();
    }
    const last = b.snapshot(2, storage.target(2), { final: true });
    t.equal(b.entryCount(), kept.size, 'counted before the copy encodes the final write-out');
    const handle = await last.run();
    t.equal(b.entryCount(), kept.size, 'and after');
    const fresh = backend(undefined, 0);
    await fresh.restore([handle], storage);
    const fv = fresh.valueState<string>('v');
    t.equal(fresh.entryCount(), kept.size, 'the keys left');
    for (const [k, want] of kept) {
      enter(fresh, k);
      t.equal(fv.value(), want, `key ${k}`);
    }
  });

  for (const left of ['nothing', 'a value ahead of the store', 'a value changed at the barrier', 'a map entry'] as const) t.test(`a final snapshot, LMDB holding no entry, with ${left} left in the cache: ${left === 'nothing' ? 'empty, no record encoded' : 'kept'}`, async (t) => {
    const b = backend(undefined, 64);
    type Internals = { cache: { writeOut: { next: number; records: unknown[] } | undefined } };
    const { cache } = b as unknown as Internals;
    const v = b.valueState<string>('v');
    const m = b.mapState<number, string>('m');
    const storage = new MemoryStorage();
    for (let i = 0; i < 3000; i++) {
      enter(b, i);
      // Half are read first, so their entries know the store lacks them.
      if (i % 2 === 0) v.value();
      v.update(`a${i}`);
      if (i % 10 === 0) m.put(i, `m${i}`);
    }
    await b.snapshot(1, storage.target(1)).run();
    const keep = 1234;
    for (let i = 0; i < 3000; i++) {
      enter(b, i);
      if (i === keep && left === 'a value ahead of the store') continue;
      v.clear();
      if (i === 1230 && left === 'a map entry') continue;
      if (i % 10 === 0) m.remove(i);
      if (i === keep && left === 'a value changed at the barrier') v.update('b');
    }
    const copy = b.snapshot(2, storage.target(2), { final: true });
    const records = cache.writeOut!.records.length;
    const want = left === 'nothing' ? 0 : 1;
    t.equal(b.entryCount(), want, 'the state counts the keys left, before the copy');
    t.equal(cache.writeOut?.next, 0, `counted without encoding one of the write-out's ${records} records`);
    const handle = await copy.run();
    const fresh = backend(undefined, 0);
    await fresh.restore([handle], storage);
    const fv = fresh.valueState<string>('v');
    if (left === 'nothing') {
      t.equal(handle.entries, 0, 'an empty file');
      t.equal(cache.writeOut?.next, 0, 'and the copy encoded none of them either');
    } else {
      t.equal(handle.entries, 1, 'one entry');
      t.equal(cache.writeOut, undefined, 'the write-out was encoded for the copy');
    }
    t.equal(b.entryCount(), want, 'and after it');
    t.equal(fresh.entryCount(), left === 'nothing' ? 0 : 1, 'restored: the keys left');
    enter(fresh, keep);
    t.equal(fv.value(), { 'a value ahead of the store': `a${keep}`, 'a value changed at the barrier': 'b' }[left as string], 'with their values');
    if (left === 'a map entry') {
      enter(fresh, 1230);
      t.equal(fresh.mapState<number, string>('m').get(1230), 'm1230', 'the map entry left');
    }
  });

  t.test('keys written without a read are known absent until a value of the cache reaches the store, and looked up after', async (t) => {
    const b = makeBackend({ kind: 'lmdb', mode: 'incremental', stateCacheMb: 64, tuning: { flushEntries: 4096 } });
    opened.push(b);
    type Internals = { store: { read: (...a: unknown[]) => unknown }; db: { getBinaryFast: (...a: unknown[]) => unknown } };
    const { store, db } = b as unknown as Internals;
    let lookups = 0;
    const read = store.read.bind(store);
    store.read = (...a: unknown[]) => (lookups++, read(...a));
    const get = db.getBinaryFast.bind(db);
    db.getBinaryFast = (...a: unknown[]) => (lookups++, get(...a));
    const v = b.valueState<string>('v');
    const storage = new MemoryStorage();
    const want = new Map<number, string>();
    for (let i = 0; i < 3000; i++) {
      enter(b, i);
      v.update(`a${i}`);
      want.set(i, `a${i}`);
    }
    await b.snapshot(1, storage.target(1)).run();
    b.notifyCheckpointComplete(1);
    for (let i = 0; i < 3000; i += 3) {
      enter(b, i);
      v.clear();
      want.delete(i);
    }
    const second = await b.snapshot(2, storage.target(2)).run();
    b.notifyCheckpointComplete(2);
    t.equal(lookups, 0, 'no key was looked up: none can be in the store');
    t.equal(b.entryCount(), want.size, 'and the count is right without them');
    // Every value goes to the store; keys written blind from now on may be there.
    (b as unknown as { writeBack(): void }).writeBack();
    for (let i = 1; i < 6000; i += 3) {
      enter(b, i);
      v.clear();
      want.delete(i);
      enter(b, i + 1);
      v.update(`b${i + 1}`);
      want.set(i + 1, `b${i + 1}`);
    }
    const third = await b.snapshot(3, storage.target(3)).run();
    t.ok(lookups > 0, `keys were looked up once values had reached the store (${lookups})`);
    t.equal(b.entryCount(), want.size, 'the count');
    for (const [label, handle, n] of [['second', second, 2000], ['third', third, want.size]] as const) {
      const fresh = backend(undefined, 0);
      await fresh.restore([handle], storage);
      t.equal(fresh.entryCount(), n, `the ${label} checkpoint restores its keys`);
      if (label === 'third') {
        const fv = fresh.valueState<string>('v');
        let same = 0;
        for (const [k, val] of want) {
          enter(fresh, k);
          if (fv.value() === val) same++;
        }
        t.equal(same, want.size, 'with their values, the deleted ones gone');
      }
    }
  });

  t.test('blocked() holds the actor back while too many batches are in flight', async (t) => {
    const b = backend(undefined, 0);
    const v = b.valueState<number>('v');
    t.equal(b.blocked(), null, 'nothing in flight');
    for (let i = 0; i < 30_000; i++) {
      enter(b, i);
      v.update(i);
    }
    const wait = b.blocked();
    t.ok(wait instanceof Promise, 'seven batches in flight block');
    await wait;
    t.equal(b.blocked(), null, 'released once batches committed');
  });

  t.test('a failed batch fails the backend', async (t) => {
    const b = backend(undefined, 0);
    (b as unknown as { db: { batch: () => Promise<boolean> } }).db.batch = () => Promise.reject(new Error('disk full'));
    const v = b.valueState<number>('v');
    for (let i = 0; i < 5000; i++) {
      enter(b, i);
      v.update(i);
    }
    await sleep(10);
    t.throws(() => v.value(), /failed to commit a batch of writes.*disk full/);
    t.throws(() => v.update(1), /failed to commit/);
    await t.rejects(b.blocked()!, /failed to commit/);
  });

  t.test('a restore into a backend that has written state reads the restored values', async (t) => {
    const storage = new MemoryStorage();
    const source = backend('a');
    source.valueState<number>('v').update(100);
    const handle = await source.snapshot(1, storage.target(1)).run();
    const b = backend('a');
    const v = b.valueState<number>('v');
    v.update(1);
    while (b.blocked()) await b.blocked();
    await sleep(20);
    await b.restore([handle], storage);
    enter(b, 'a');
    t.equal(v.value(), 100, 'no cached value from before the restore is served');
  });

  t.test('an over-long key is refused when written', async (t) => {
    const b = backend('x'.repeat(3000));
    t.throws(() => b.valueState<number>('v').update(1), /longer than LMDB's limit/);
  });

  t.test('dispose cancels a running snapshot and removes its files', async (t) => {
    const storage = new MemoryStorage();
    const b = makeBackend({ kind: 'lmdb' });
    const v = b.valueState<string>('v');
    for (let i = 0; i < 50_000; i++) {
      enter(b, i);
      v.update('x'.repeat(40));
    }
    const running = b.snapshot(1, storage.target(1)).run();
    const outcome = running.then(() => new Error('resolved'), (e: Error) => e);
    await nextTurn();
    await b.dispose();
    t.match((await outcome).message, /snapshot cancelled: state backend disposed/);
    t.strictSame(storage.discarded, storage.created, 'its file was discarded');
  });

  t.test('dispose removes the working folder', async (t) => {
    const b = makeBackend({ kind: 'lmdb' });
    const dir = (b as unknown as { options: { workDir: string } }).options.workDir;
    enter(b, 'a');
    b.valueState<number>('v').update(1);
    t.ok(fs.existsSync(dir));
    await b.dispose();
    t.notOk(fs.existsSync(dir), 'folder removed');
  });
});
