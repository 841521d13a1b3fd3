/**
 * The window operator on its own, with the watermark moved by hand: late records within the
 * allowed lateness fire a window again, later ones are dropped and counted or go to the late
 * side output, sessions merge, and a purged window leaves no state or timer behind.
 */
import t from 'tap';
import { session, sliding, tumbling, type WindowAssigner } from '../../../operators/windows/assigners.js';
import type { WindowFunction } from '../../../operators/windows/functions.js';
import { windowHarness, type Rec } from '../../support/window-harness.js';
import { ConfigError } from '../../../base/errors.js';

const sum: WindowFunction<Rec, string> = {
  kind: 'aggregate', session: true,
  fn: { createAccumulator: () => 0, add: (r: Rec, acc: unknown) => (acc as number) + r.v, getResult: (acc: unknown) => acc, merge: (a: unknown, b: unknown) => (a as number) + (b as number) },
};

const harness = (assigner: WindowAssigner, allowedLatenessMs = 0, lateToSideOutput = false) => windowHarness(assigner, sum, allowedLatenessMs, lateToSideOutput);

const result = (key: string, start: number, end: number, value: number) => JSON.stringify({ key, start, end, value });

t.test('a window fires when the watermark passes its end, and again for each late record within the lateness', async (t) => {
  const h = harness(tumbling(10), 5);
  h.add('a', 1, 1);
  h.add('a', 2, 3);
  h.add('b', 10, 12);
  h.advance(8);
  t.same(h.emitted, ['watermark 8'], 'not yet: the window ends at 10');
  h.advance(9);
  t.same(h.emitted.slice(1), [result('a', 0, 10, 3), 'watermark 9'], 'the watermark reached the window\'s last millisecond');
  t.equal(h.ctx.element.timestamp, 9, 'results carry the window\'s last millisecond as their event time');
  h.emitted.length = 0;
  h.add('a', 4, 5);
  t.same(h.emitted, [result('a', 0, 10, 7)], 'a late record within the lateness fires the window again at once');
  h.advance(14);
  h.emitted.length = 0;
  h.add('a', 8, 2);
  t.same(h.emitted, [], 'past the lateness: dropped');
  t.equal(h.ctx.metrics.lateRecordsDropped, 1, 'and counted');
  h.advance(Infinity);
  t.same(h.emitted, [result('b', 10, 20, 10), 'watermark Infinity']);
  t.equal(h.backend.entryCount(), 0, 'every window purged: no window, content or timer left');
});

t.test('records too late go to the side output when it is asked for', async (t) => {
  const h = harness(tumbling(10), 0, true);
  h.add('a', 1, 5);
  h.advance(20);
  h.add('a', 2, 7);
  t.same(h.emitted, [result('a', 0, 10, 1), 'watermark 20', `late ${JSON.stringify({ key: 'a', v: 2 })}`]);
  t.equal(h.ctx.metrics.lateRecordsDropped, 0, 'nothing dropped');
});

t.test('a record is late only when every window it belongs to is', async (t) => {
  const h = harness(sliding(20, 10));
  h.advance(19);
  h.add('a', 1, 15);
  t.same(h.emitted, ['watermark 19'], 'its window [0, 20) is done, but [10, 30) is not');
  h.advance(Infinity);
  t.same(h.emitted.slice(1), [result('a', 10, 30, 1), 'watermark Infinity']);
  t.equal(h.ctx.metrics.lateRecordsDropped, 0);
});

t.test('sessions merge when a record bridges them, with their accumulators', async (t) => {
  const h = harness(session(3));
  h.add('a', 1, 1);
  h.add('a', 10, 10);
  h.add('a', 100, 5);
  h.add('a', 1000, 3);
  h.advance(Infinity);
  t.same(h.emitted, [result('a', 1, 8, 1101), result('a', 10, 13, 10), 'watermark Infinity'], '[1,4), [3,6) and [5,8) merged; [10,13) stays apart');
  t.equal(h.backend.entryCount(), 0, 'nothing left');
});

t.test('windows refuse records without event time, and bad sizes name the option', async (t) => {
  const h = harness(tumbling(10));
  t.throws(() => h.add('a', 1, Number.NaN), /event-time windows need event times: call assignTimestampsAndWatermarks/);
  t.throws(() => tumbling(0), ConfigError);
  t.throws(() => tumbling(-5), /option sizeMs: a window needs a positive number of milliseconds, got -5/);
  t.throws(() => sliding(10, 0), /option slideMs/);
  t.throws(() => sliding(10, 20), /option slideMs: must not exceed the window size 10/);
  t.throws(() => session(Number.NaN), /option gapMs/);
});
