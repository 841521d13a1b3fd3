/** Records as text lines: JSON for the file and print sinks, bigint included. */
import t from 'tap';
import { toJson, toPrintLine } from '../../../operators/sinks/format.js';

t.test('toJson writes plain JSON, and a bigint anywhere in the record as a string', async (t) => {
  const plain = { customer_id: 'C1', count: 3, sum: 1.5, tags: ['a', null], nested: { ok: true } };
  t.equal(toJson(plain), JSON.stringify(plain));
  t.equal(toJson({ id: 12345678901234567890n, list: [1n, 2] }), '{"id":"12345678901234567890","list":["1",2]}');
  t.equal(toJson(7n), '"7"');
  t.equal(toJson(undefined), 'undefined');
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  t.throws(() => toJson(cyclic), TypeError, 'a cycle is still an error');
  t.equal(toPrintLine('as is'), 'as is');
});
