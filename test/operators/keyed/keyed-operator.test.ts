import t from 'tap';
import { detached } from '../../../operators/keyed/keyed-operator.js';

t.test('detached copies what it is given, by hand for flat records and by structuredClone otherwise', async (t) => {
  for (const v of [1, 'a', null, undefined, true, 10n]) t.equal(detached(v), v, `a primitive is itself: ${String(v)}`);
  const flat = { customer_id: 'C1', count: 2, sum: 3.5, none: null, gone: undefined, big: 1n };
  const copy = detached(flat);
  t.not(copy, flat, 'a flat record is copied');
  t.strictSame(copy, flat);
  flat.count = 9;
  t.equal(copy.count, 2, 'an update of the original leaves the copy alone');
  const list = [1, 'b', null];
  t.not(detached(list), list);
  t.strictSame(detached(list), list);
  const nested = { top: [{ price: 1 }], at: new Date(5), m: new Map([[1, 2]]) };
  const deep = detached(nested);
  t.not(deep.top[0], nested.top[0], 'nested objects are copied too');
  t.strictSame(deep, nested);
  t.ok(deep.at instanceof Date && deep.m instanceof Map, 'dates and maps stay what they are');
  const proto = JSON.parse('{"__proto__": 1, "a": 2}') as Record<string, unknown>;
  const p = detached(proto);
  t.equal(Object.getPrototypeOf(p), Object.prototype, 'an own __proto__ property does not become the prototype');
  t.strictSame(Object.entries(p), [['__proto__', 1], ['a', 2]]);
  const tagged = Object.assign([1, 2], { note: 'x' });
  t.equal(detached(tagged).note, 'x', 'an array with properties beside its indexes keeps them');
  class Point { constructor(readonly x: number) {} }
  t.strictSame(Object.getPrototypeOf(detached(new Point(1))), Object.prototype, 'a class instance becomes a plain object, as structuredClone makes it');
  t.throws(() => detached({ f: () => 1 }), { name: 'DataCloneError' }, 'a function cannot be copied');
});
