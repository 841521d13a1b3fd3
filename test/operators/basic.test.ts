import t from 'tap';
import { execute } from '../../runtime/execute.js';
import { defineJob } from '../../runtime/api/job.js';
import type { StreamEnvironment } from '../../runtime/api/environment.js';
import { SnapflowError } from '../../base/errors.js';
import type { DataStream } from '../../runtime/api/types.js';

/** Runs `items` through `pipe` in a local job and returns what the collect sink got. */
async function run<T, R>(items: T[], pipe: (s: DataStream<T>) => DataStream<R>, parallelism = 1): Promise<R[]> {
  const job = defineJob((env: StreamEnvironment) => {
    pipe(env.fromCollection(items)).collect('out');
  });
  const { results } = await execute(job, { local: true, parallelism });
  return (results.out ?? []) as R[];
}

const sorted = <T>(xs: T[]) => [...xs].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

t.test('map transforms every record in order', async (t) => {
  const out = await run(range(10), (s) => s.map((x) => ({ x, sq: x * x })));
  t.strictSame(out, range(10).map((x) => ({ x, sq: x * x })));
  const strings = await run(['a', 'b'], (s) => s.map((x) => x.toUpperCase()).map((x) => x + '!'));
  t.strictSame(strings, ['A!', 'B!'], 'chained maps compose');
});

t.test('map over many records, several batches, parallelism 3', async (t) => {
  const n = 5000;
  const out = await run(range(n), (s) => s.map((x) => x * 2), 3);
  t.equal(out.length, n);
  t.strictSame([...out].sort((a, b) => a - b), range(n).map((x) => x * 2));
});

t.test('map emitting falsy values keeps them', async (t) => {
  const out = await run([1, 2, 3, 4], (s) => s.map((x) => [0, '', false, null][x - 1]));
  t.strictSame(out, [0, '', false, null]);
});

t.test('filter keeps matching records', async (t) => {
  const out = await run(range(20), (s) => s.filter((x) => x % 3 === 0));
  t.strictSame(out, [0, 3, 6, 9, 12, 15, 18]);
  const none = await run(range(5), (s) => s.filter(() => false));
  t.strictSame(none, [], 'nothing passes');
  const par = await run(range(1000), (s) => s.filter((x) => x % 7 === 1), 2);
  t.strictSame([...par].sort((a, b) => a - b), range(1000).filter((x) => x % 7 === 1), 'parallel filter');
});

t.test('flatMap with arrays', async (t) => {
  const out = await run([1, 2, 3], (s) => s.flatMap((x) => Array.from({ length: x }, (_, i) => `${x}.${i}`)));
  t.strictSame(out, ['1.0', '2.0', '2.1', '3.0', '3.1', '3.2']);
  const empty = await run([1, 2], (s) => s.flatMap(() => []));
  t.strictSame(empty, [], 'empty arrays emit nothing');
});

t.test('flatMap with generators and other iterables', async (t) => {
  const out = await run(['ab', 'c'], (s) =>
    s.flatMap(function* (w) {
      for (const ch of w) yield ch;
    }),
  );
  t.strictSame(out, ['a', 'b', 'c']);
  const sets = await run([[1, 1, 2]], (s) => s.flatMap((xs) => new Set(xs)));
  t.strictSame(sets, [1, 2], 'a Set is iterated');
});

t.test('flatMap returning undefined emits nothing', async (t) => {
  const out = await run(range(6), (s) =>
    s.flatMap((x) => {
      if (x % 2 === 0) return [x];
      return undefined;
    }),
  );
  t.strictSame(out, [0, 2, 4]);
  const voidFn = await run(range(3), (s) =>
    s.flatMap<number>(() => {
      /* returns nothing */
    }),
  );
  t.strictSame(voidFn, []);
});

t.test('flatMap then filter then map at parallelism 2', async (t) => {
  const out = await run(['a b', 'c d e', ''], (s) =>
    s.flatMap((line) => line.split(' ')).filter((w) => w.length > 0).map((w) => w + w), 2);
  t.strictSame(sorted(out), ['aa', 'bb', 'cc', 'dd', 'ee']);
});

/** Runs a job expected to fail and returns the error. */
async function failure(items: unknown[], pipe: (s: DataStream<any>) => DataStream<any>, parallelism = 1): Promise<SnapflowError> {
  try {
    await run(items, pipe, parallelism);
  } catch (err) {
    return err as SnapflowError;
  }
  throw new Error('the job did not fail');
}

t.test('a throwing map fails the job with a UserFunctionError', async (t) => {
  const err = await failure([{ id: 1 }, { id: 2, name: 'bad' }, { id: 3 }], (s) =>
    s.map((r: { id: number }) => {
      if (r.id === 2) throw new Error('boom');
      return r;
    }, 'Explode'));
  t.ok(err instanceof SnapflowError, 'a snapflow error');
  t.equal(err.name, 'UserFunctionError');
  t.match(err.message, /operator "Explode"/, 'names the operator');
  t.match(err.message, /subtask 1\/1/, 'names the subtask');
  t.ok(err.message.includes('{"id":2,"name":"bad"}'), 'names the record as JSON');
  t.match(err.message, /boom/, 'includes the cause');
  t.equal(err.retriable, true);
  t.equal(err.origin.operator, 'Explode');
  t.equal(err.origin.subtask, 0);
});

t.test('a throwing filter and flatMap name their operators', async (t) => {
  const f = await failure([5], (s) => s.filter(() => {
    throw new TypeError('nope');
  }, 'Picky'));
  t.equal(f.name, 'UserFunctionError');
  t.match(f.message, /operator "Picky" subtask 1\/1: .*record 5: nope/);
  t.equal(f.retriable, true);

  const g = await failure(['x'], (s) => s.flatMap(function* () {
    yield 1;
    throw new Error('generator broke');
  }, 'Gen'));
  t.equal(g.name, 'UserFunctionError');
  t.match(g.message, /operator "Gen" subtask 1\/1/);
  t.ok(g.message.includes('"x"'), 'record as JSON');
  t.match(g.message, /generator broke/);

  const thrownString = await failure([1], (s) => s.map(() => {
    throw 'plain string'; // eslint-disable-line no-throw-literal
  }, 'Str'));
  t.match(thrownString.message, /operator "Str".*plain string/);
});

t.test('a failure in a parallel subtask names that subtask', async (t) => {
  // source (parallelism 1) rebalances round-robin over 3 map subtasks: item i → subtask i % 3
  const err = await failure(range(3), (s) => s.map((x) => {
    if (x === 1) throw new Error('second');
    return x;
  }, 'Par'), 3);
  t.equal(err.name, 'UserFunctionError');
  t.match(err.message, /operator "Par" subtask 2\/3/);
  t.equal(err.origin.subtask, 1);
  t.equal(err.origin.parallelism, 3);
  t.match(err.message, /record 1: second/);
});

t.test('a long record is truncated in the message', async (t) => {
  const err = await failure(['y'.repeat(1000)], (s) => s.map(() => {
    throw new Error('long');
  }, 'Long'));
  t.ok(err.message.length < 400, 'message stays short');
  t.ok(err.message.includes('y'.repeat(100)));
});
