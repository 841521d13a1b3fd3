import t from 'tap';
import { execute } from '../../../runtime/execute.js';
import { defineJob } from '../../../runtime/api/job.js';
import type { StreamEnvironment } from '../../../runtime/api/environment.js';
import type { SnapflowError } from '../../../base/errors.js';
import { defaultMaxParallelism, keyGroupOf, subtaskForKeyGroup } from '../../../base/keygroups.js';
import type { JobResult } from '../../../runtime/job/stats.js';
import type { OperatorContext, StreamOperator } from '../../../operators/api.js';
import type { DataStream } from '../../../runtime/api/types.js';

interface Tx {
  user: string;
  amount: number;
  seq: number;
}

/** Deterministic input: 600 records over 13 users with varied amounts. */
const TXS: Tx[] = Array.from({ length: 600 }, (_, seq) => ({ user: `u${(seq * 7) % 13}`, amount: (seq * 37) % 101, seq }));

async function runJob<T, R>(items: T[], pipe: (s: DataStream<T>) => DataStream<R>, parallelism = 1): Promise<{ out: R[]; result: JobResult }> {
  const job = defineJob((env: StreamEnvironment) => {
    pipe(env.fromCollection(items)).collect('out');
  });
  const result = await execute(job, { local: true, parallelism });
  return { out: (result.results.out ?? []) as R[], result };
}

const canon = (xs: unknown[]) => xs.map((x) => JSON.stringify(x)).sort();

/** Per-key expectations computed directly from the input. */
function perUser<A>(init: () => A, step: (acc: A, tx: Tx) => A): Map<string, A[]> {
  const acc = new Map<string, A>();
  const hist = new Map<string, A[]>();
  for (const tx of TXS) {
    const next = step(acc.get(tx.user) ?? init(), tx);
    acc.set(tx.user, next);
    hist.set(tx.user, [...(hist.get(tx.user) ?? []), next]);
  }
  return hist;
}

/** Groups emitted records by user, preserving emit order. */
function byUser<R extends { user: string }>(out: R[]): Map<string, R[]> {
  const m = new Map<string, R[]>();
  for (const r of out) m.set(r.user, [...(m.get(r.user) ?? []), r]);
  return m;
}

t.test('process with value state counts per key', async (t) => {
  for (const p of [1, 3]) {
    const { out } = await runJob(TXS, (s) => s.keyBy((r) => r.user).process<{ user: string; n: number; key: string | number }>((r, ctx) => {
      const c = ctx.valueState<number>('count');
      const n = (c.value() ?? 0) + 1;
      c.update(n);
      ctx.emit({ user: r.user, n, key: ctx.key });
    }), p);
    t.equal(out.length, TXS.length, `p=${p}: one output per input`);
    t.equal(out.filter((o) => o.key !== o.user).length, 0, `p=${p}: ctx.key is the record's key`);
    const got = byUser(out);
    const want = perUser(() => 0, (n) => n + 1);
    t.strictSame([...got.keys()].sort(), [...want.keys()].sort());
    for (const [user, counts] of want) t.strictSame(got.get(user)!.map((o) => o.n), counts, `p=${p}: counts of ${user} in order`);
  }
});

t.test('process with map, list and reducing state', async (t) => {
  const { out, result } = await runJob(TXS, (s) => s.keyBy((r) => r.user).process<{ user: string; buckets: [number, number][]; last3: number[]; total: number }>((r, ctx) => {
    const buckets = ctx.mapState<number, number>('buckets');
    const b = r.amount % 3;
    buckets.put(b, (buckets.get(b) ?? 0) + 1);
    const recent = ctx.listState<number>('recent');
    recent.add(r.amount);
    const list = recent.get();
    if (list.length > 3) recent.update(list.slice(-3));
    const total = ctx.reducingState<number>('total', (a, c) => a + c);
    total.add(r.amount);
    if (r.seq >= TXS.length - 13) {
      ctx.emit({ user: r.user, buckets: [...buckets.entries()].sort((x, y) => x[0] - y[0]), last3: recent.get(), total: total.get()! });
    }
  }), 2);
  const want = new Map<string, { buckets: Map<number, number>; all: number[] }>();
  for (const tx of TXS) {
    const w = want.get(tx.user) ?? { buckets: new Map<number, number>(), all: [] as number[] };
    w.buckets.set(tx.amount % 3, (w.buckets.get(tx.amount % 3) ?? 0) + 1);
    w.all.push(tx.amount);
    want.set(tx.user, w);
  }
  t.equal(out.length, 13, 'the last 13 records cover every user once');
  for (const o of out) {
    const w = want.get(o.user)!;
    t.strictSame(o.buckets, [...w.buckets.entries()].sort((x, y) => x[0] - y[0]), `map state of ${o.user}`);
    t.strictSame(o.last3, w.all.slice(-3), `list state of ${o.user}`);
    t.equal(o.total, w.all.reduce((a, b) => a + b, 0), `reducing state of ${o.user}`);
  }
  const keyedStats = result.stats.actors.filter((a) => a.operator.startsWith('KeyedProcess'));
  t.equal(keyedStats.length, 2, 'two keyed subtasks');
  const entries = keyedStats.reduce((n, a) => n + (a.metrics.stateEntries as number), 0);
  t.equal(entries, 13 * 3, 'state entries: three states for each of 13 keys');
});

t.test('reduce emits the running reduction per key', async (t) => {
  const { out } = await runJob(TXS, (s) => s.keyBy((r) => r.user).reduce((a, b) => ({ user: a.user, amount: a.amount + b.amount, seq: b.seq })), 2);
  t.equal(out.length, TXS.length);
  const want = perUser(() => 0, (sum, tx) => sum + tx.amount);
  const got = byUser(out);
  for (const [user, sums] of want) t.strictSame(got.get(user)!.map((o) => o.amount), sums, `running sums of ${user}`);
  // the first record of a key is emitted unchanged
  const first = TXS[0];
  t.ok(out.some((o) => JSON.stringify(o) === JSON.stringify(first)), 'first record passes through as is');
});

t.test('aggregate emits the running result per key', async (t) => {
  const avg = {
    createAccumulator: () => ({ sum: 0, n: 0 }),
    add: (tx: Tx, acc: { sum: number; n: number }) => ({ sum: acc.sum + tx.amount, n: acc.n + 1 }),
    getResult: (acc: { sum: number; n: number }) => acc.sum / acc.n,
  };
  const { out } = await runJob(TXS.slice(0, 40), (s) => s.keyBy((r) => r.user).aggregate(avg).map((x) => x), 1);
  t.equal(out.length, 40);
  const want: number[] = [];
  const acc = new Map<string, { sum: number; n: number }>();
  for (const tx of TXS.slice(0, 40)) {
    const a = avg.add(tx, acc.get(tx.user) ?? avg.createAccumulator());
    acc.set(tx.user, a);
    want.push(avg.getResult(a));
  }
  t.strictSame(out, want, 'running averages in input order at parallelism 1');
});

t.test('results are identical at parallelism 1, 2 and 3', async (t) => {
  const pipeline = (s: DataStream<Tx>) =>
    // records reach a keyed subtask from a single (parallelism 1) source, so per-key order is kept
    s
      .keyBy((r) => r.user)
      .process<{ user: string; count: number; max: number }>((r, ctx) => {
        const st = ctx.valueState<{ count: number; max: number }>('st');
        const prev = st.value() ?? { count: 0, max: -Infinity };
        const next = { count: prev.count + 1, max: Math.max(prev.max, r.amount) };
        st.update(next);
        ctx.emit({ user: r.user, ...next });
      })
      .filter((r) => r.count % 2 === 0)
      .map((r) => ({ ...r, max: r.max * 2, label: `${r.user}#${r.count}` }));
  const outs: string[][] = [];
  for (const p of [1, 2, 3]) outs.push(canon((await runJob(TXS, pipeline, p)).out));
  t.equal(outs[0].length, [...perUser(() => 0, (n) => n + 1).values()].flat().filter((n) => n % 2 === 0).length);
  t.strictSame(outs[1], outs[0], 'parallelism 2 equals parallelism 1');
  t.strictSame(outs[2], outs[0], 'parallelism 3 equals parallelism 1');
  const counts = await Promise.all([1, 2, 3].map(async (p) => canon((await runJob(TXS, (s) => s.keyBy((r) => r.amount % 10).reduce((a, b) => ({ ...a, amount: a.amount + b.amount })), p)).out)));
  t.strictSame(counts[1], counts[0], 'numeric keys: p=2 equals p=1');
  t.strictSame(counts[2], counts[0], 'numeric keys: p=3 equals p=1');
});

t.test('a key selector returning an object fails with a clear error', async (t) => {
  let err: SnapflowError | undefined;
  try {
    await runJob([{ id: { nested: 1 } }], (s) => s.map((r) => r, 'Prep').keyBy((r) => r.id as unknown as string).process(() => {}, 'Counter'));
  } catch (e) {
    err = e as SnapflowError;
  }
  t.ok(err, 'the job fails');
  t.equal(err?.name, 'UserFunctionError');
  t.match(err?.message, /operator "(Prep|Counter)"/, 'names an operator');
  t.match(err?.message, /key must be a string or a number, got object/);
  t.ok(err?.message.includes('{"id":{"nested":1}}'), 'names the record');

  let nullErr: SnapflowError | undefined;
  try {
    await runJob([{ id: null }], (s) => s.map((r) => r, 'Prep').keyBy((r) => r.id as unknown as string).reduce((a) => a, 'Sum'));
  } catch (e) {
    nullErr = e as SnapflowError;
  }
  t.match(nullErr?.message, /operator "(Prep|Sum)".*got null/);

  let nanErr: SnapflowError | undefined;
  try {
    await runJob([1], (s) => s.keyBy(() => NaN).reduce((a) => a, 'Sum'));
  } catch (e) {
    nanErr = e as SnapflowError;
  }
  t.match(nanErr?.message, /key is NaN/);
});

t.test('a throwing key selector or process function names the record', async (t) => {
  let err: SnapflowError | undefined;
  try {
    await runJob([{ v: 1 }, { v: 2 }], (s) => s.keyBy((r) => r.v).process((r) => {
      if (r.v === 2) throw new Error('process failed');
    }, 'Proc'), 2);
  } catch (e) {
    err = e as SnapflowError;
  }
  t.equal(err?.name, 'UserFunctionError');
  t.match(err?.message, /operator "Proc" subtask [12]\/2: user function failed on record \{"v":2\}: process failed/);
  t.equal(err?.retriable, true);
});

t.test('an error of a chained operator after a keyed one keeps its own name and class', async (t) => {
  const err = await runJob([{ v: 1 }, { v: 2 }], (s) => s.keyBy((r) => r.v).process<{ v: number }>((r, ctx) => ctx.emit(r), 'Proc')
    .map((r) => {
      if (r.v === 2) throw new Error('map failed');
      return r;
    }, 'After')).then(() => undefined, (e: SnapflowError) => e);
  t.equal(err?.name, 'UserFunctionError');
  t.match(err?.message, /operator "After" subtask 1\/1: user function failed on record \{"v":2\}: map failed/, 'blames the map, not the process function');
  t.notMatch(err?.message, /Proc/);
});

t.test('state is isolated between keys on the same subtask', async (t) => {
  const maxP = defaultMaxParallelism(2);
  const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);
  const sub = (k: string) => subtaskForKeyGroup(keyGroupOf(k, maxP), maxP, 2);
  const colliding = keys.filter((k) => sub(k) === sub(keys[0])).slice(0, 3);
  t.equal(colliding.length, 3, 'found three keys owned by one subtask');
  const input = Array.from({ length: 30 }, (_, i) => ({ k: colliding[i % 3], v: i }));
  const { out, result } = await runJob(input, (s) => s.keyBy((r) => r.k).process<{ k: string; seen: number[]; sum: number }>((r, ctx) => {
    const seen = ctx.listState<number>('seen');
    seen.add(r.v);
    const sum = ctx.valueState<number>('sum');
    sum.update((sum.value() ?? 0) + r.v);
    ctx.emit({ k: r.k, seen: seen.get(), sum: sum.value()! });
  }), 2);
  const keyed = result.stats.actors.filter((a) => a.operator.startsWith('KeyedProcess'));
  t.strictSame(keyed.map((a) => a.recordsIn).sort((a, b) => a - b), [0, 30], 'all records went to one subtask');
  for (const k of colliding) {
    const mine = out.filter((o) => o.k === k);
    const vs = input.filter((r) => r.k === k).map((r) => r.v);
    t.strictSame(mine.at(-1)!.seen, vs, `${k} sees only its own list entries`);
    t.equal(mine.at(-1)!.sum, vs.reduce((a, b) => a + b, 0), `${k} has its own sum`);
  }
});

t.test('reduce and aggregate emit copies, so in-place updates of state never rewrite earlier output', async (t) => {
  // Records are serialized only when their batch is flushed, and mutating the accumulator is the usual idiom.
  const input = [{ k: 'a', v: 1 }, { k: 'a', v: 2 }, { k: 'a', v: 3 }];
  const { out: reduced } = await runJob(input, (s) => s.keyBy((r) => r.k).reduce((a, b) => {
    a.v += b.v;
    return a;
  }));
  t.strictSame(reduced.map((r) => r.v), [1, 3, 6], 'reduce emits running sums 1, 3, 6');
  const { out: aggregated } = await runJob(input, (s) => s.keyBy((r) => r.k).aggregate({
    createAccumulator: () => ({ n: 0 }),
    add: (r: { v: number }, acc: { n: number }) => {
      acc.n += r.v;
      return acc;
    },
    getResult: (acc: { n: number }) => acc,
  }));
  t.strictSame(aggregated, [{ n: 1 }, { n: 3 }, { n: 6 }], 'aggregate emits running results');
});

t.test('process emits what its function returns, and refuses a promise', async (t) => {
  const { out } = await runJob(TXS, (s) => s.keyBy((r) => r.user).process((r, ctx) => {
    const n = ctx.valueState<number>('n');
    n.update((n.value() ?? 0) + 1);
    return r.seq % 2 === 0 ? { user: ctx.key, n: n.value() ?? 0 } : undefined;
  }));
  const expected = [...perUser(() => 0, (n) => n + 1)].flatMap(([user, ns]) => ns.map((n) => ({ user, n })));
  const even = TXS.filter((x) => x.seq % 2 === 0).length;
  t.equal(out.length, even, 'one record per returned value, none for undefined');
  t.ok(canon(out).every((r) => canon(expected).includes(r)), 'each carries the running count of its key');
  const err = await runJob([{ v: 1 }], (s) => s.keyBy((r) => r.v).process(async () => ({ late: true }), 'Async')).then(() => null, (e: SnapflowError) => e);
  t.equal(err?.name, 'UserFunctionError');
  t.match(err?.message, /operator "Async".*returned a promise/);
});

for (const parallelism of [1, 2, 3]) {
  t.test(`an operator of one's own after keyBy has keyed state scoped to each record's key (p=${parallelism})`, async (t) => {
    const { out } = await runJob(TXS, (s) => s.keyBy((r) => r.user).transform((): StreamOperator<Tx, { user: string; total: number }> => {
      let ctx: OperatorContext;
      return {
        open: (c) => void (ctx = c),
        process(r, collector) {
          const total = ctx.keyedState!.valueState<number>('total');
          total.update((total.value() ?? 0) + r.amount);
          collector.collect({ user: r.user, total: total.value()! });
        },
      };
    }, 'Own total'), parallelism);
    const totals = perUser(() => 0, (sum, tx) => sum + tx.amount);
    for (const [user, rows] of byUser(out)) t.same(rows.map((r) => r.total).sort((a, b) => a - b), totals.get(user), `${user}: running totals`);
    t.equal(out.length, TXS.length);
  });
}
