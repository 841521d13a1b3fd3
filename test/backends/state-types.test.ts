import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import type { KeyedStateBackend } from '../../backends/state.js';
import { enter, isHeap, makeBackend } from '../support/backends.js';

const VARIANTS = [
  { kind: 'heap', label: 'heap' },
  { kind: 'lmdb', label: 'lmdb' },
  // About 400 entries: most writes leave the cache long before a snapshot would flush them.
  { kind: 'lmdb', stateCacheMb: 0.05, label: 'lmdb with a small cache' },
  { kind: 'lmdb', stateCacheMb: 0, label: 'lmdb without a cache' },
] as const;

for (const { kind, label, ...variant } of VARIANTS) {
  const stateCacheMb = 'stateCacheMb' in variant ? variant.stateCacheMb : undefined;
  t.test(`${label} backend`, async (t) => {
    const opened: KeyedStateBackend[] = [];
    const backend = (key?: string | number): KeyedStateBackend => {
      // Small batches, so these tests flush often with few writes.
      const b = makeBackend({ kind, stateCacheMb, tuning: { flushEntries: 4096 } });
      opened.push(b);
      if (key !== undefined) enter(b, key);
      return b;
    };
    t.teardown(async () => {
      for (const b of opened) await b.dispose();
    });

    t.test('currentKey reflects setCurrentKey', async (t) => {
      const b = backend();
      t.equal(b.currentKey(), undefined, 'no key before the first record');
      enter(b, 'a');
      t.equal(b.currentKey(), 'a');
      enter(b, 7);
      t.equal(b.currentKey(), 7, 'numbers stay numbers');
    });

    t.test('value state is per key and clearable', async (t) => {
      const b = backend('a');
      t.equal(b.currentKey(), 'a');
      const v = b.valueState<number>('count');
      t.equal(v.value(), undefined, 'unset value is undefined');
      v.update(1);
      enter(b, 'b');
      t.equal(v.value(), undefined, 'another key does not see the value');
      v.update(20);
      enter(b, 'a');
      t.equal(v.value(), 1, 'first key keeps its value');
      v.update(2);
      enter(b, 'b');
      t.equal(v.value(), 20);
      v.clear();
      t.equal(v.value(), undefined, 'cleared');
      enter(b, 'a');
      t.equal(v.value(), 2, 'clearing one key leaves the other');
      t.equal(b.valueState<number>('count').value(), 2, 'a fresh handle sees the same state');
      enter(b, 1);
      v.update(100);
      enter(b, '1');
      t.equal(v.value(), undefined, 'key 1 and key "1" are distinct');
      v.update(5);
      enter(b, 1);
      t.equal(v.value(), 100);
      const other = b.valueState<{ s: string }>('other');
      other.update({ s: 'x' });
      t.equal(v.value(), 100, 'two names are independent');
      t.strictSame(other.value(), { s: 'x' });
    });

    t.test('map state operations', async (t) => {
      const b = backend('k1');
      const m = b.mapState<string | number, number>('m');
      t.equal(m.isEmpty(), true);
      t.equal(m.get('x'), undefined);
      t.equal(m.contains('x'), false);
      t.strictSame([...m.entries()], []);
      m.put('x', 1);
      m.put('y', 2);
      m.put('x', 3);
      m.put(1, 10);
      m.put('1', 11);
      t.equal(m.get('x'), 3, 'put overwrites');
      t.equal(m.get(1), 10, 'map keys 1 and "1" are distinct');
      t.equal(m.get('1'), 11);
      t.equal(m.contains('x'), true);
      t.equal(m.isEmpty(), false);
      const byKey = (a: [unknown, unknown], c: [unknown, unknown]) => (String(a[0]) + typeof a[0] < String(c[0]) + typeof c[0] ? -1 : 1);
      t.strictSame([...m.entries()].sort(byKey), [[1, 10], ['1', 11], ['x', 3], ['y', 2]]);
      t.strictSame([...m.keys()].map(String).sort(), ['1', '1', 'x', 'y']);
      t.strictSame([...m.values()].sort((a, c) => a - c), [2, 3, 10, 11]);
      m.remove(1);
      m.remove('1');

      enter(b, 'k2');
      t.equal(m.isEmpty(), true, 'other key has an empty map');
      m.put('z', 9);
      t.strictSame([...m.keys()], ['z']);

      enter(b, 'k1');
      const it = m.entries();
      enter(b, 'k2');
      t.strictSame([...it].map(([k]) => k).sort(), ['x', 'y'], 'entries() reads the map of the key current when called');
      enter(b, 'k1');
      m.remove('x');
      t.equal(m.contains('x'), false, 'removed');
      t.strictSame([...m.keys()], ['y']);
      m.remove('nope');
      t.strictSame([...m.keys()], ['y'], 'removing an absent key changes nothing');
      m.remove('y');
      t.equal(m.isEmpty(), true, 'empty after removing every entry');
      t.equal(b.entryCount(), 1, 'an emptied map no longer counts');
      m.put('a', 1);
      t.equal(m.get('a'), 1, 'usable again after being emptied');

      enter(b, 'k2');
      m.clear();
      t.equal(m.isEmpty(), true, 'clear empties');
      t.equal(m.get('z'), undefined);
      enter(b, 'k1');
      t.equal(m.get('a'), 1, 'clear affects only the current key');
      enter(b, 'k3');
      const before = b.entryCount();
      m.remove('q');
      m.clear();
      t.equal(b.entryCount(), before, 'removing from an absent map creates nothing');
    });

    t.test('list state operations', async (t) => {
      const b = backend('a');
      const l = b.listState<number>('l');
      t.strictSame(l.get(), []);
      l.add(1);
      l.add(2);
      l.addAll([3, 4]);
      l.addAll([]);
      t.strictSame(l.get(), [1, 2, 3, 4]);
      const copy = l.get();
      copy.push(99);
      t.strictSame(l.get(), [1, 2, 3, 4], 'get returns a copy');
      enter(b, 'b');
      t.strictSame(l.get(), [], 'other key has its own list');
      l.addAll([7]);
      l.add(8);
      enter(b, 'a');
      const replacement = [10, 11];
      l.update(replacement);
      replacement.push(12);
      t.strictSame(l.get(), [10, 11], 'update copies its argument');
      l.update([]);
      t.strictSame(l.get(), []);
      l.add(5);
      l.clear();
      t.strictSame(l.get(), [], 'clear');
      enter(b, 'b');
      t.strictSame(l.get(), [7, 8], 'other key unaffected');
    });

    t.test('reducing state folds values per key', async (t) => {
      const b = backend('a');
      const order: [string, string][] = [];
      const cat = b.reducingState<string>('cat', (x, y) => (order.push([x, y]), x + y));
      t.equal(cat.get(), undefined);
      cat.add('a');
      cat.add('b');
      cat.add('c');
      t.equal(cat.get(), 'abc');
      t.strictSame(order, [['a', 'b'], ['ab', 'c']], 'reduce(accumulated, new)');
      enter(b, 'b');
      t.equal(cat.get(), undefined);
      cat.add('z');
      enter(b, 'a');
      cat.clear();
      t.equal(cat.get(), undefined);
      cat.add('q');
      t.equal(cat.get(), 'q', 'after clear the next add starts over');
      enter(b, 'b');
      t.equal(cat.get(), 'z');
    });

    t.test('one name used as two kinds of state throws', async (t) => {
      const b = backend('a');
      b.valueState('s').update(1);
      t.throws(() => b.mapState('s'), /state "s" is value state, not map state/);
      t.throws(() => b.listState('s'), /not list state/);
      t.throws(() => b.reducingState('s', (x: number, y: number) => x + y), /not reducing state/);
      t.equal(b.valueState<number>('s').value(), 1, 'the original state still works');
      t.throws(() => b.valueState('n'.repeat(256)), /at most 255 are allowed/, 'a state name longer than 255 bytes');
    });

    t.test('state access without a current key throws', async (t) => {
      const b = backend();
      t.throws(() => b.valueState<number>('v').update(1), /no current key/);
      t.throws(() => b.mapState<string, number>('m').put('a', 1), /no current key/);
      t.throws(() => b.mapState<string, number>('m').entries(), /no current key/);
      t.throws(() => b.listState<number>('l').add(1), /no current key/);
      t.throws(() => b.reducingState<number>('r', (x, y) => x + y).add(1), /no current key/);
      t.equal(b.entryCount(), 0, 'failed writes stored nothing');
    });

    t.test('values survive many flushes, read while batches are in flight and after', async (t) => {
      const b = backend();
      const v = b.valueState<{ i: number; s: string }>('v');
      const m = b.mapState<number, number>('m');
      const n = 20_000;
      for (let i = 0; i < n; i++) {
        enter(b, `k${i}`);
        v.update({ i, s: 'x'.repeat(i % 7) });
        if (i % 10 === 0) m.put(i, -i);
      }
      const readAll = (): number => {
        let bad = 0;
        for (let i = 0; i < n; i++) {
          enter(b, `k${i}`);
          const got = v.value();
          if (got?.i !== i || got.s.length !== i % 7) bad++;
          if (i % 10 === 0 && m.get(i) !== -i) bad++;
        }
        return bad;
      };
      // A default cache holds all of it; a small one or none hands it to the store in batches.
      if (!isHeap(b) && stateCacheMb !== undefined) {
        const inFlight = (b as unknown as { store: { flushing: unknown[] } }).store.flushing.length;
        t.ok(inFlight >= 4, `${inFlight} batches in flight while reading`);
      }
      t.equal(readAll(), 0, 'every value reads back before any batch committed');
      t.equal(b.entryCount(), n + n / 10, 'entryCount counts the uncommitted entries (a one-entry map per tenth key)');
      for (let i = 0; i < n; i += 2) {
        enter(b, `k${i}`);
        v.clear();
      }
      await b.blocked();
      await sleep(50);
      t.equal(b.entryCount(), n / 2 + n / 10, 'entryCount after deletes and commits');
      for (let i = 0; i < n; i += 2) {
        enter(b, `k${i}`);
        v.update({ i, s: 'x'.repeat(i % 7) });
      }
      await sleep(50);
      t.equal(readAll(), 0, 'every value reads back after the batches committed');
    });

    t.test('entryCount counts (state, key) pairs, committed or not', async (t) => {
      const b = backend();
      const v = b.valueState<number>('v');
      const l = b.listState<number>('l');
      const m = b.mapState<string, number>('m');
      for (const k of ['a', 'b', 'c']) {
        enter(b, k);
        v.update(1);
      }
      t.equal(b.entryCount(), 3);
      enter(b, 'a');
      l.add(1);
      l.add(2);
      m.put('x', 1);
      m.put('y', 1);
      t.equal(b.entryCount(), 5, 'a list or a map of one key is one entry');
      v.clear();
      l.update([]);
      t.equal(b.entryCount(), 3, 'cleared entries are not counted');
      enter(b, 'b');
      v.update(5);
      m.put('z', 1);
      t.equal(b.entryCount(), 4, 'overwriting does not add an entry; a new map does');
      await b.blocked();
      await sleep(20);
      t.equal(b.entryCount(), 4, 'the same once everything is committed');
      enter(b, 'a');
      m.remove('x');
      t.equal(b.entryCount(), 4, 'a map losing one of two entries still counts');
      m.remove('y');
      enter(b, 'b');
      m.clear();
      t.equal(b.entryCount(), 2, 'emptied maps (committed entries deleted in the overlay) no longer count');
    });
  });
}
