import t from 'tap';
import { HeapKeyedStateBackend } from '../../backends/heap.js';

function backend(key?: string | number): HeapKeyedStateBackend {
  const b = new HeapKeyedStateBackend();
  if (key !== undefined) b.setCurrentKey(key, 0);
  return b;
}

t.test('currentKey reflects setCurrentKey', async (t) => {
  const b = backend();
  t.equal(b.currentKey(), undefined);
  b.setCurrentKey('a', 3);
  t.equal(b.currentKey(), 'a');
  b.setCurrentKey(7, 1);
  t.equal(b.currentKey(), 7);
});

t.test('value state is per key and clearable', async (t) => {
  const b = backend('a');
  const v = b.valueState<number>('count');
  t.equal(v.value(), undefined, 'unset value is undefined');
  v.update(1);
  b.setCurrentKey('b', 0);
  t.equal(v.value(), undefined, 'another key does not see the value');
  v.update(20);
  b.setCurrentKey('a', 0);
  t.equal(v.value(), 1, 'first key keeps its value');
  v.update(2);
  b.setCurrentKey('b', 0);
  t.equal(v.value(), 20, 'second key keeps its value');
  v.clear();
  t.equal(v.value(), undefined, 'cleared');
  b.setCurrentKey('a', 0);
  t.equal(v.value(), 2, 'clearing one key leaves the other');
  // the same name gives the same state, through a fresh handle too
  t.equal(b.valueState<number>('count').value(), 2);
  // numeric and string keys that print alike are distinct keys
  b.setCurrentKey(1, 0);
  v.update(100);
  b.setCurrentKey('1', 0);
  t.equal(v.value(), undefined, 'key 1 and key "1" are distinct');
  // two value states with different names are independent
  const other = b.valueState<string>('other');
  other.update('x');
  t.equal(v.value(), undefined);
  t.equal(other.value(), 'x');
});

t.test('map state operations', async (t) => {
  const b = backend('k1');
  const m = b.mapState<string, number>('m');
  t.equal(m.isEmpty(), true);
  t.equal(m.get('x'), undefined);
  t.equal(m.contains('x'), false);
  t.strictSame([...m.entries()], []);
  m.put('x', 1);
  m.put('y', 2);
  m.put('x', 3);
  t.equal(m.get('x'), 3, 'put overwrites');
  t.equal(m.contains('x'), true);
  t.equal(m.isEmpty(), false);
  t.strictSame([...m.entries()].sort(), [['x', 3], ['y', 2]]);
  t.strictSame([...m.keys()].sort(), ['x', 'y']);
  t.strictSame([...m.values()].sort(), [2, 3]);

  b.setCurrentKey('k2', 0);
  t.equal(m.isEmpty(), true, 'other key has an empty map');
  t.equal(m.contains('x'), false);
  m.put('z', 9);
  t.strictSame([...m.keys()], ['z']);

  b.setCurrentKey('k1', 0);
  m.remove('x');
  t.equal(m.contains('x'), false, 'removed');
  t.equal(m.get('x'), undefined);
  t.strictSame([...m.keys()], ['y']);
  m.remove('nope');
  t.strictSame([...m.keys()], ['y'], 'removing an absent key changes nothing');
  m.remove('y');
  t.equal(m.isEmpty(), true, 'empty after removing every entry');
  t.equal(b.entryCount(), 1, 'an emptied map no longer counts as an entry');
  m.put('a', 1);
  t.equal(m.get('a'), 1, 'map usable again after being emptied');

  b.setCurrentKey('k2', 0);
  t.equal(m.get('z'), 9, 'other key untouched');
  m.clear();
  t.equal(m.isEmpty(), true, 'clear empties');
  t.equal(m.get('z'), undefined);
  b.setCurrentKey('k1', 0);
  t.equal(m.get('a'), 1, 'clear affects only the current key');

  // removing from a key that has no map must not create one
  b.setCurrentKey('k3', 0);
  const before = b.entryCount();
  m.remove('q');
  t.equal(b.entryCount(), before);
});

t.test('list state operations', async (t) => {
  const b = backend('a');
  const l = b.listState<number>('l');
  t.strictSame(l.get(), [], 'empty list initially');
  l.add(1);
  l.add(2);
  l.addAll([3, 4]);
  t.strictSame(l.get(), [1, 2, 3, 4]);
  l.addAll([]);
  t.strictSame(l.get(), [1, 2, 3, 4], 'addAll([]) changes nothing');

  const copy = l.get();
  copy.push(99);
  copy[0] = -1;
  t.strictSame(l.get(), [1, 2, 3, 4], 'get returns a copy');

  b.setCurrentKey('b', 0);
  t.strictSame(l.get(), [], 'other key has its own list');
  l.addAll([7]);
  l.add(8);
  t.strictSame(l.get(), [7, 8]);

  b.setCurrentKey('a', 0);
  const replacement = [10, 11];
  l.update(replacement);
  replacement.push(12);
  t.strictSame(l.get(), [10, 11], 'update replaces the list and copies its argument');
  l.add(13);
  t.strictSame(replacement, [10, 11, 12], 'adding does not mutate the array given to update');
  l.update([]);
  t.strictSame(l.get(), []);
  l.add(5);
  l.clear();
  t.strictSame(l.get(), [], 'clear');

  b.setCurrentKey('b', 0);
  t.strictSame(l.get(), [7, 8], 'other key unaffected');
  const given = [1, 2];
  b.setCurrentKey('c', 0);
  l.addAll(given);
  l.add(3);
  t.strictSame(given, [1, 2], 'addAll does not keep the caller array');
});

t.test('reducing state folds values per key', async (t) => {
  const b = backend('a');
  const r = b.reducingState<number>('sum', (x, y) => x + y);
  t.equal(r.get(), undefined);
  r.add(5);
  t.equal(r.get(), 5, 'first value stored as is');
  r.add(7);
  t.equal(r.get(), 12);
  b.setCurrentKey('b', 0);
  t.equal(r.get(), undefined);
  r.add(100);
  b.setCurrentKey('a', 0);
  r.add(1);
  t.equal(r.get(), 13);
  r.clear();
  t.equal(r.get(), undefined);
  r.add(2);
  t.equal(r.get(), 2, 'after clear the next add starts over');
  b.setCurrentKey('b', 0);
  t.equal(r.get(), 100);

  const m = b.reducingState<number>('max', (x, y) => Math.max(x, y));
  for (const v of [3, 9, 4]) m.add(v);
  t.equal(m.get(), 9, 'the given reduce function is used');
  const order: [string, string][] = [];
  const cat = b.reducingState<string>('cat', (x, y) => (order.push([x, y]), x + y));
  cat.add('a');
  cat.add('b');
  cat.add('c');
  t.equal(cat.get(), 'abc');
  t.strictSame(order, [['a', 'b'], ['ab', 'c']], 'reduce(accumulated, new)');
});

t.test('one name used as two kinds of state throws', async (t) => {
  const b = backend('a');
  b.valueState('s').update(1);
  t.throws(() => b.mapState('s'), /state "s" is value state, not map state/);
  t.throws(() => b.listState('s'), /not list state/);
  t.throws(() => b.reducingState('s', (x: number, y: number) => x + y), /not reducing state/);
  const b2 = backend('a');
  b2.listState('l');
  t.throws(() => b2.valueState('l'), /state "l" is list state, not value state/);
  t.throws(() => b2.mapState('l'), /not map state/);
  // the failed attempts left the original state usable
  b.valueState<number>('s').update(2);
  t.equal(b.valueState<number>('s').value(), 2);
});

t.test('state access without a current key throws', async (t) => {
  const b = backend();
  const v = b.valueState<number>('v');
  const m = b.mapState<string, number>('m');
  const l = b.listState<number>('l');
  const r = b.reducingState<number>('r', (x, y) => x + y);
  const noKey = /no current key/;
  t.throws(() => v.value(), noKey);
  t.throws(() => v.update(1), noKey);
  t.throws(() => v.clear(), noKey);
  t.throws(() => m.get('a'), noKey);
  t.throws(() => m.put('a', 1), noKey);
  t.throws(() => m.contains('a'), noKey);
  t.throws(() => m.isEmpty(), noKey);
  t.throws(() => m.entries(), noKey);
  t.throws(() => m.clear(), noKey);
  t.throws(() => l.get(), noKey);
  t.throws(() => l.add(1), noKey);
  t.throws(() => l.addAll([1]), noKey);
  t.throws(() => l.update([1]), noKey);
  t.throws(() => r.get(), noKey);
  t.throws(() => r.add(1), noKey);
  t.equal(b.entryCount(), 0, 'failed writes stored nothing');
});

t.test('entryCount counts (state, key) pairs', async (t) => {
  const b = backend();
  t.equal(b.entryCount(), 0);
  const v = b.valueState<number>('v');
  const l = b.listState<number>('l');
  const m = b.mapState<string, number>('m');
  for (const k of ['a', 'b', 'c']) {
    b.setCurrentKey(k, 0);
    v.update(1);
  }
  t.equal(b.entryCount(), 3);
  b.setCurrentKey('a', 0);
  l.add(1);
  l.add(2);
  m.put('x', 1);
  m.put('y', 1);
  t.equal(b.entryCount(), 5, 'a list or a map of one key is one entry');
  v.clear();
  t.equal(b.entryCount(), 4);
  l.update([]);
  t.equal(b.entryCount(), 3, 'an emptied list is not counted');
  b.setCurrentKey('b', 0);
  v.update(5);
  t.equal(b.entryCount(), 3, 'overwriting does not add an entry');
  b.dispose();
  t.equal(b.entryCount(), 0, 'dispose drops everything');
});
