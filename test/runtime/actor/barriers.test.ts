import t from 'tap';
import { ManualClock } from '../../../base/clock.js';
import { BarrierHandler } from '../../../runtime/actor/barriers.js';
import type { AlignmentTiming } from '../../../runtime/actor/participant.js';
import type { BarrierMessage } from '../../../runtime/transport/protocol.js';

/** A handler over `channels` inputs whose host records what it is asked to do. */
function handler(channels: number, final?: Promise<void>) {
  const clock = new ManualClock();
  let records = 0;
  const taken: { id: number; final?: boolean; timing: AlignmentTiming }[] = [];
  const declined: string[] = [];
  const paused: Promise<unknown>[] = [];
  const h = new BarrierHandler(channels, 'exactly-once', {
    clock, recordsIn: () => records, decline: (id, reason) => declined.push(`${id}: ${reason}`),
    checkpointAndForward: (b, timing) => (taken.push({ id: b.id, final: b.final, timing }), b.final ? (final ?? null) : null),
    pauseUntil: (w) => paused.push(w),
  });
  return { h, clock, taken, declined, paused, read: (n: number) => (records += n) };
}
const barrier = (id: number, final = false): BarrierMessage => ({ kind: 'barrier', id, timestamp: 0, final });

t.test('a checkpoint is taken once every channel delivered its barrier, with the alignment timed', async (t) => {
  const { h, clock, taken, read } = handler(2);
  h.onBarrier(0, barrier(1));
  t.ok(h.isBlocked(0), 'the first channel waits for the second');
  t.notOk(h.isBlocked(1));
  clock.advance(30);
  read(500);
  t.same(taken, [], 'not aligned yet');
  h.onBarrier(1, barrier(1));
  t.equal(taken.length, 1, 'aligned: taken and forwarded once');
  t.same([taken[0].id, taken[0].timing.alignmentMs, taken[0].timing.alignedRecords], [1, 30, 500]);
  t.notOk(h.isBlocked(0), 'the channel is released');
});

t.test('an ended channel holds no checkpoint back', async (t) => {
  const { h, taken } = handler(2);
  h.onBarrier(0, barrier(2));
  h.onEnd(1);
  t.same(taken.map((x) => x.id), [2]);
});

t.test('a subsumed or aborted checkpoint is declined, and its timing forgotten', async (t) => {
  const { h, taken, declined } = handler(2);
  h.onBarrier(0, barrier(1));
  h.abort(1, 'expired');
  t.same(declined, ['1: expired'], 'the coordinator aborted it');
  t.notOk(h.isBlocked(0), 'nothing blocks after an abort');
  h.onBarrier(1, barrier(2));
  h.onBarrier(0, barrier(3));
  t.same(declined, ['1: expired', '2: subsumed by checkpoint 3'], 'a newer barrier on an open channel subsumes the older');
  h.onBarrier(1, barrier(3));
  t.same(taken.map((x) => x.id), [3]);
});

t.test("a final barrier's checkpoint holds input back until the operators have flushed", async (t) => {
  let flushed: () => void = () => {};
  const flush = new Promise<void>((r) => (flushed = r));
  const { h, taken, paused } = handler(1, flush);
  h.onBarrier(0, barrier(9, true));
  t.same(taken.map((x) => [x.id, x.final]), [[9, true]]);
  t.equal(paused.length, 1, 'input waits for the flush');
  flushed();
  await paused[0];
});
