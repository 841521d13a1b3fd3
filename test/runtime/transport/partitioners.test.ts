import t from 'tap';
import { BROADCAST, makePartitioner, type PartitionerOptions } from '../../../runtime/transport/partitioners.js';
import { keyGroupOf, subtaskForKeyGroup } from '../../../base/keygroups.js';
import { UserFunctionError } from '../../../base/errors.js';

const origin = { operator: 'Source: Orders', subtask: 1, parallelism: 2 };

function opts(over: Partial<PartitionerOptions>): PartitionerOptions {
  return { partitioning: 'forward', channels: 1, subtask: 0, maxParallelism: 128, origin, ...over };
}

t.test('forward always picks channel 0', async (t) => {
  for (const subtask of [0, 1, 5]) {
    const p = makePartitioner(opts({ partitioning: 'forward', subtask }));
    const picks = [1, 'x', { a: 1 }, null, 2].map((r) => p(r));
    t.same(picks, [0, 0, 0, 0, 0], `subtask ${subtask}`);
  }
});

t.test('broadcast returns BROADCAST', async (t) => {
  t.equal(BROADCAST, -1);
  const p = makePartitioner(opts({ partitioning: 'broadcast', channels: 3 }));
  t.same([1, 2, 3].map((r) => p(r)), [BROADCAST, BROADCAST, BROADCAST]);
});

t.test('rebalance is round-robin starting at subtask % channels', async (t) => {
  const seq = (channels: number, subtask: number, n: number) => {
    const p = makePartitioner(opts({ partitioning: 'rebalance', channels, subtask }));
    return Array.from({ length: n }, (_, i) => p(i));
  };
  t.same(seq(3, 0, 7), [0, 1, 2, 0, 1, 2, 0]);
  t.same(seq(3, 1, 7), [1, 2, 0, 1, 2, 0, 1]);
  t.same(seq(3, 2, 4), [2, 0, 1, 2]);
  t.same(seq(3, 4, 4), [1, 2, 0, 1], 'subtask 4 of 3 channels starts at 1');
  t.same(seq(1, 3, 3), [0, 0, 0]);
  t.same(seq(4, 7, 6), [3, 0, 1, 2, 3, 0]);
  // Two partitioners keep independent counters.
  const a = makePartitioner(opts({ partitioning: 'rebalance', channels: 2 }));
  const b = makePartitioner(opts({ partitioning: 'rebalance', channels: 2 }));
  t.same([a(0), a(0), b(0), a(0)], [0, 1, 0, 0]);
});

t.test('hash sends equal keys to the same channel and agrees with the key-group arithmetic', async (t) => {
  for (const [channels, maxP] of [[1, 128], [3, 128], [4, 128], [7, 1000], [128, 128]] as const) {
    const p = makePartitioner(opts({ partitioning: 'hash', channels, maxParallelism: maxP, keySelector: (r: { k: string | number }) => r.k }));
    const bad: string[] = [];
    const used = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const key = i % 2 === 0 ? `user-${i}` : i * 31 - 5000;
      const c = p({ k: key, payload: i });
      const expected = subtaskForKeyGroup(keyGroupOf(key, maxP), maxP, channels);
      if (c !== expected) bad.push(`${key}: ${c} != ${expected}`);
      if (p({ k: key, other: 'different record' }) !== c) bad.push(`${key}: not stable`);
      if (c < 0 || c >= channels) bad.push(`${key}: channel ${c} out of range`);
      used.add(c);
    }
    t.same(bad, [], `channels=${channels} maxP=${maxP}`);
    t.equal(used.size, channels, `channels=${channels}: every channel receives some key`);
  }
});

t.test('hash without a key selector is rejected', async (t) => {
  t.throws(() => makePartitioner(opts({ partitioning: 'hash', channels: 2 })), /key selector/);
});

t.test('a failing key selector yields a UserFunctionError naming the operator and the record', async (t) => {
  const throwing = makePartitioner(opts({
    partitioning: 'hash', channels: 2, keySelector: () => {
      throw new Error('no customer id');
    },
  }));
  const record = { order: 17, customer: 'c-9' };
  let err: unknown;
  try {
    throwing(record);
  } catch (e) {
    err = e;
  }
  t.ok(err instanceof UserFunctionError, 'throws UserFunctionError');
  const e = err as UserFunctionError;
  t.match(e.message, /Source: Orders/, 'names the operator');
  t.match(e.message, /subtask 2\/2/, 'names the subtask');
  t.match(e.message, /"order":17/, 'names the record');
  t.match(e.message, /no customer id/, 'includes the cause');
  t.equal(e.retriable, true);
  t.same(e.origin, origin);
  t.match((e.cause as Error).message, 'no customer id');

  const cases: [string, (r: unknown) => unknown, RegExp][] = [
    ['object', () => ({ id: 1 }), /string or a number, got object/],
    ['null', () => null, /got null/],
    ['undefined', () => undefined, /got undefined/],
    ['NaN', () => NaN, /NaN/],
  ];
  for (const [what, select, reason] of cases) {
    const p = makePartitioner(opts({ partitioning: 'hash', channels: 2, keySelector: select as (r: unknown) => string }));
    let caught: unknown;
    try {
      p({ order: 18 });
    } catch (e2) {
      caught = e2;
    }
    t.ok(caught instanceof UserFunctionError, `${what} key: UserFunctionError`);
    t.match((caught as Error).message, /operator "Source: Orders"/, `${what} key: names the operator`);
    t.match((caught as Error).message, /\{"order":18\}/, `${what} key: names the record`);
    t.match((caught as Error).message, reason, `${what} key: gives the reason`);
  }
});
