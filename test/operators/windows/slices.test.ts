/**
 * Sliding windows kept as slices: the slice arithmetic on its own, and the window operator with a
 * merging aggregate (slices) against the same operator with one that does not merge (a state
 * entry per window), over seeded records in disorder with the watermark moved by hand: the same
 * windows with the same values, the same late records, and less state.
 */
import t from 'tap';
import { sliding, tumbling, session, type WindowAssigner } from '../../../operators/windows/assigners.js';
import type { WindowFunction } from '../../../operators/windows/functions.js';
import { firstOpenEnd, sliceLayout, sliceOf } from '../../../operators/windows/slices.js';
import { windowHarness, type Rec } from '../../support/window-harness.js';

const aggregate = (merges: boolean): WindowFunction<Rec, string> => ({
  kind: 'aggregate', session: false,
  fn: {
    createAccumulator: () => ({ n: 0, sum: 0 }),
    add: (r: Rec, acc: unknown) => ({ n: (acc as { n: number }).n + 1, sum: (acc as { sum: number }).sum + r.v }),
    getResult: (acc: unknown) => acc,
    ...(merges ? { merge: (a: unknown, b: unknown) => ({ n: (a as { n: number }).n + (b as { n: number }).n, sum: (a as { sum: number }).sum + (b as { sum: number }).sum }) } : {}),
  },
});

const harness = (assigner: WindowAssigner, merges: boolean) => windowHarness(assigner, aggregate(merges));

/** A seeded generator of 32-bit values. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

t.test('slices are gcd(size, slide) long and line up with the windows; a slice is late once every window over it has fired', async (t) => {
  const l = sliceLayout(sliding(30, 20, 5), 0, true)!;
  t.same(l, { sliceMs: 10, sizeMs: 30, slideMs: 20, offsetMs: 5 });
  t.equal(sliceOf(l, 5), 5);
  t.equal(sliceOf(l, 14), 5);
  t.equal(sliceOf(l, -1), -5, 'negative times too');
  // Windows start at 5 + 20k: [-15, 15), [5, 35), [25, 55). The slice [15, 25) is in [5, 35) alone.
  t.equal(firstOpenEnd(l, 15, -Infinity), 35);
  t.equal(firstOpenEnd(l, 15, 33), 35);
  t.equal(firstOpenEnd(l, 15, 34), undefined, 'its one window has fired');
  // The slice [25, 35) is in [5, 35) and [25, 55).
  t.equal(firstOpenEnd(l, 25, 34), 55);
  t.equal(sliceLayout(sliding(30, 10), 5, true), null, 'allowed lateness keeps windows one by one');
  t.equal(sliceLayout(sliding(30, 10), 0, false), null, 'so does an aggregate without merge');
  t.equal(sliceLayout(sliding(30, 30), 0, true), null, 'and a window of one slice');
  t.equal(sliceLayout(sliding(3.5, 1), 0, true), null, 'and sizes in fractions of a millisecond');
  t.equal(sliceLayout(tumbling(10), 0, true), null);
  t.equal(sliceLayout(session(10), 0, true), null);
});

for (const [size, slide, offset] of [[30, 10, 0], [30, 20, 5], [50, 15, -7], [12, 8, 3]]) {
  t.test(`sliding(${size}, ${slide}, ${offset}) as slices emits what windows one by one emit`, async (t) => {
    for (const seed of [1, 2, 3]) {
      const rnd = random(seed * 7919 + size);
      const sliced = harness(sliding(size, slide, offset), true);
      const plain = harness(sliding(size, slide, offset), false);
      let now = 0;
      let watermark = -Infinity;
      for (let i = 0; i < 600; i++) {
        now += Math.floor(rnd() * 4);
        // Up to 90 ms behind the newest time: some records come after the watermark passed some of their windows, a few after all.
        const ts = now - Math.floor(rnd() * rnd() * 90);
        const key = `k${Math.floor(rnd() * 5)}`;
        const v = Math.floor(rnd() * 100);
        sliced.add(key, v, ts);
        plain.add(key, v, ts);
        if (rnd() < 0.1) {
          // Watermarks only rise.
          watermark = Math.max(watermark, now - 20 - Math.floor(rnd() * 10));
          sliced.advance(watermark);
          plain.advance(watermark);
        }
      }
      sliced.advance(Infinity);
      plain.advance(Infinity);
      t.ok(plain.results().length > 100, `seed ${seed}: ${plain.results().length} windows`);
      t.same([...sliced.results()].sort(), [...plain.results()].sort(), `seed ${seed}: the same windows and values`);
      t.equal(sliced.ctx.metrics.lateRecordsDropped, plain.ctx.metrics.lateRecordsDropped, `seed ${seed}: the same records late (${String(plain.ctx.metrics.lateRecordsDropped)})`);
      t.ok((plain.ctx.metrics.lateRecordsDropped as number) > 0, `seed ${seed}: some were late`);
      t.equal(sliced.ctx.metrics.windowsFired, plain.ctx.metrics.windowsFired);
      t.equal(sliced.backend.entryCount(), 0, `seed ${seed}: every slice purged, no timer left`);
    }
  });
}

t.test('a key keeps one value and one timer however many slices it has', async (t) => {
  const sliced = harness(sliding(40, 10), true);
  const plain = harness(sliding(40, 10), false);
  for (const h of [sliced, plain]) for (const ts of [31, 12, 25, 3]) h.add('a', 1, ts);
  // Slices [0,10) … [30,40); the windows over them end at 10 … 70.
  t.equal(sliced.backend.entryCount(), 2, 'the slices and the one timer');
  t.equal(plain.backend.entryCount(), 8, 'a map of seven windows and their seven timers');
  sliced.advance(9);
  t.same(sliced.results(), [JSON.stringify({ key: 'a', start: -30, end: 10, value: { n: 1, sum: 1 } })], 'the slice that came last but is the oldest moved the timer to its window');
  sliced.advance(Infinity);
  plain.advance(Infinity);
  t.same(sliced.results(), plain.results(), 'the same windows in the same order');
});

t.test('a watermark that passes several windows of a key fires them from its one timer, oldest first', async (t) => {
  const h = harness(sliding(30, 10), true);
  h.add('a', 1, 5);
  h.add('b', 2, 6);
  h.add('a', 3, 25);
  h.advance(Infinity);
  const fired = h.results().map((e) => JSON.parse(e) as { key: string; end: number });
  const runs = fired.map((w) => w.key).filter((k, i, all) => i === 0 || all[i - 1] !== k);
  t.same([...runs].sort(), ['a', 'b'], 'each key\'s windows come together');
  t.same(fired.filter((w) => w.key === 'a').map((w) => w.end), [10, 20, 30, 40, 50]);
  t.same(fired.filter((w) => w.key === 'b').map((w) => w.end), [10, 20, 30]);
  t.equal(h.backend.entryCount(), 0);
});
