import t from 'tap';
import { ChangeLog } from '../../../backends/lmdb/change-log.js';
import { TOMBSTONE } from '../../../backends/lmdb/overlay.js';

const v = (s: string) => Buffer.from(s);
const shown = (log: ChangeLog) => {
  const { keys, values } = log.sorted();
  return keys.map((k, i) => `${k}=${values[i] === undefined ? '?' : values[i] === TOMBSTONE ? 'x' : (values[i] as Buffer).toString()}`);
};

t.test('each changed key once, in key order, with its last value whatever wrote it', async (t) => {
  const log = new ChangeLog();
  log.add('c', v('1'), true);
  log.add('a', v('1'), true);
  log.add('b', v('1'), false);
  log.add('c', v('2'), true, true);
  log.add('a', v('3'), false);
  log.add('d', undefined, true);
  log.add('e', v('1'), true);
  log.add('e', TOMBSTONE, true, true);
  t.strictSame(shown(log), ['a=3', 'c=2', 'd=?', 'e=x'], 'a: changed, then handed over newer; b: handed over only; c: its last value; d: noted without a value; e: deleted');
  t.equal(log.size, 4, 'a, c, d and e');
  t.equal(log.deletions(), 1);
});

t.test('a key handed over, then changed, is a change with the change\'s value; one changed in two overlays counts twice', async (t) => {
  const log = new ChangeLog();
  log.add('k', v('1'), false);
  log.add('k', v('2'), true);
  log.add('m', v('1'), true);
  log.add('m', v('2'), true);
  t.strictSame(shown(log), ['k=2', 'm=2']);
  t.equal(log.size, 3, 'k once, m twice: nothing told the log m was logged already');
});

t.test('the sorted changes follow later writes, and many keys sort as strings do', async (t) => {
  const log = new ChangeLog();
  const keys = Array.from({ length: 5000 }, (_, i) => String.fromCharCode(i % 251, (i * 7) % 256, 0, 255 - (i % 13)));
  for (const k of keys) log.add(k, v(k.length.toString()), true);
  const first = log.sorted();
  t.strictSame(first.keys, [...new Set(keys)].sort(), 'byte order, each once');
  t.equal(log.sorted(), first, 'worked out once');
  log.add('\u0000', v('z'), true);
  t.equal(log.sorted().keys[0], '\u0000', 'a later write is in the next sort');
});

t.test('an empty log', async (t) => {
  const log = new ChangeLog();
  t.strictSame(log.sorted(), { keys: [], values: [] });
  t.equal(log.size, 0);
  t.equal(log.deletions(), 0);
});
