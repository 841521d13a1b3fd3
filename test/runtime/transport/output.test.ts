import t from 'tap';
import { ManualClock } from '../../../base/clock.js';
import { OutputRouter } from '../../../runtime/transport/output.js';
import { BROADCAST, makePartitioner, type Partitioner } from '../../../runtime/transport/partitioners.js';
import { FakeChannel } from '../../support/fake-channel.js';

const forward: Partitioner = () => 0;
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

t.test('records are batched to batchSize', async (t) => {
  const ch = new FakeChannel(10);
  const clock = new ManualClock();
  const router = new OutputRouter([{ partitioner: forward, channels: [ch] }], 3, 5, clock);
  for (let i = 1; i <= 7; i++) router.collect(i);
  t.same(ch.summary(), [[1, 2, 3], [4, 5, 6]], 'two full batches sent at once, the seventh record waits');
  t.equal(router.stats.recordsOut, 7);
  t.equal(router.stats.batchesOut, 2);
  router.flush();
  t.same(ch.summary(), [[1, 2, 3], [4, 5, 6], [7]], 'flush sends the partial batch');
  router.flush();
  t.equal(ch.sent.length, 3, 'flushing nothing sends nothing');
});

t.test('a partial batch is flushed after lingerMs', async (t) => {
  const ch = new FakeChannel(10);
  const clock = new ManualClock();
  const router = new OutputRouter([{ partitioner: forward, channels: [ch] }], 100, 5, clock);
  router.collect('a');
  clock.advance(2);
  router.collect('b');
  clock.advance(2);
  t.equal(ch.sent.length, 0, 'nothing before lingerMs');
  clock.advance(1);
  t.same(ch.summary(), [['a', 'b']], 'flushed lingerMs after the first record');
  clock.advance(100);
  t.equal(ch.sent.length, 1, 'no empty batches from later timers');
  router.collect('c');
  clock.advance(4);
  t.equal(ch.sent.length, 1, 'a new linger period starts with the next record');
  clock.advance(1);
  t.same(ch.summary(), [['a', 'b'], ['c']]);
  router.collect('d');
  router.flush();
  clock.advance(10);
  t.same(ch.summary(), [['a', 'b'], ['c'], ['d']], 'an explicit flush cancels the linger timer');
});

t.test('without credit a full batch waits in the backlog and the router blocks', async (t) => {
  const ch = new FakeChannel(2, 0);
  const clock = new ManualClock();
  const router = new OutputRouter([{ partitioner: forward, channels: [ch] }], 2, 5, clock);
  t.notOk(router.isBlocked());
  router.collect(1);
  router.collect(2);
  t.equal(ch.sent.length, 0, 'no credit: nothing sent');
  t.ok(router.isBlocked(), 'blocked');
  let resolved = false;
  let sentWhenResolved = -1;
  const unblocked = router.whenUnblocked().then(() => {
    resolved = true;
    sentWhenResolved = ch.sent.length;
  });
  await settle();
  t.notOk(resolved, 'whenUnblocked waits');
  clock.advance(7);
  router.collect(3);
  router.collect(4);
  t.equal(ch.sent.length, 0, 'a second full batch queues behind the first');
  ch.grant(1);
  t.same(ch.summary(), [[1, 2]], 'one credit sends the oldest batch');
  t.ok(router.isBlocked(), 'still blocked with one batch held back');
  await settle();
  t.notOk(resolved, 'still waiting');
  ch.grant(1);
  t.same(ch.summary(), [[1, 2], [3, 4]]);
  t.notOk(router.isBlocked(), 'unblocked once the backlog is empty');
  await unblocked;
  t.ok(resolved, 'whenUnblocked resolved');
  t.equal(sentWhenResolved, 2, 'both held batches were sent before it resolved');
  t.equal(router.stats.backpressuredMs, 7, 'blocked time measured on the clock');
  let again = false;
  await router.whenUnblocked().then(() => (again = true));
  t.ok(again, 'whenUnblocked resolves at once when not blocked');
});

t.test('events are sent after the batches before them and never overtake a backlog', async (t) => {
  const ch = new FakeChannel(1, 1);
  const clock = new ManualClock();
  const router = new OutputRouter([{ partitioner: forward, channels: [ch] }], 2, 5, clock);
  router.collect('a');
  router.collect('b'); // full batch, uses the only credit
  router.collect('c');
  router.collect('d'); // full batch, no credit: backlog
  router.collect('e'); // partial
  router.broadcastEvent({ kind: 'barrier', id: 1, timestamp: 0 });
  router.collect('f');
  router.broadcastEvent({ kind: 'end' });
  t.same(ch.summary(), [['a', 'b']], 'the barrier waits behind the backlog although events need no credit');
  t.ok(router.isBlocked());
  ch.grant(1);
  t.same(ch.summary(), [['a', 'b'], ['c', 'd']], 'one credit: one batch, the next batch still needs credit');
  ch.grant(1);
  t.same(ch.summary(), [['a', 'b'], ['c', 'd'], ['e'], 'barrier 1'], 'the partial batch flushed by the barrier goes first');
  t.ok(router.isBlocked(), 'batch f and end still held');
  ch.grant(5);
  t.same(ch.summary(), [['a', 'b'], ['c', 'd'], ['e'], 'barrier 1', ['f'], 'end']);
  t.notOk(router.isBlocked());

  const free = new FakeChannel(0, 0);
  const r2 = new OutputRouter([{ partitioner: forward, channels: [free] }], 10, 5, clock);
  r2.broadcastEvent({ kind: 'barrier', id: 2, timestamp: 1 });
  t.same(free.summary(), ['barrier 2'], 'an event with nothing ahead of it is sent without credit');
  t.notOk(r2.isBlocked());
});

t.test('events go to every channel of every edge, after each channel\'s own batches', async (t) => {
  const a = new FakeChannel(4);
  const b = new FakeChannel(4, 0);
  const c = new FakeChannel(4);
  const clock = new ManualClock();
  const router = new OutputRouter([
    { partitioner: (r) => (r as number) % 2, channels: [a, b] },
    { partitioner: forward, channels: [c] },
  ], 10, 5, clock);
  for (let i = 0; i < 4; i++) router.collect(i);
  router.broadcastEvent({ kind: 'end' });
  t.same(a.summary(), [[0, 2], 'end']);
  t.same(b.summary(), [], 'b has no credit: its batch and end wait');
  t.same(c.summary(), [[0, 1, 2, 3], 'end']);
  t.ok(router.isBlocked());
  b.grant(1);
  t.same(b.summary(), [[1, 3], 'end']);
  t.notOk(router.isBlocked());
  router.close();
  t.ok(a.closed && b.closed && c.closed, 'close closes every channel');
});

t.test('stats.maxInFlight never exceeds the window', async (t) => {
  const window = 3;
  const chans = [new FakeChannel(window), new FakeChannel(window)];
  const clock = new ManualClock();
  const router = new OutputRouter([{ partitioner: makePartitioner({ partitioning: 'rebalance', channels: 2, subtask: 0, maxParallelism: 128, origin: {} }), channels: chans }], 4, 5, clock);
  const violations: string[] = [];
  let held = 0;
  let next = 0;
  for (let step = 0; next < 500; step++) {
    // A well-behaved producer: takes input only while the router is not blocked.
    if (router.isBlocked()) {
      held++;
      const c = chans[step % 2]!;
      if (c.inFlight() > 0) c.grant(Math.min(c.inFlight(), (step % 3) + 1));
    } else {
      router.collect(next++);
      if (next % 13 === 0) clock.advance(5);
      // Now and then a receiver returns credit unprompted.
      if (step % 17 === 0) for (const c of chans) if (c.inFlight() > 1) c.grant(1);
    }
    for (const c of chans) if (c.inFlight() > window || c.inFlight() < 0) violations.push(`step ${step}: ${c.inFlight()} in flight`);
    if (router.stats.maxInFlight > window) violations.push(`step ${step}: maxInFlight ${router.stats.maxInFlight}`);
  }
  t.same(violations, []);
  t.equal(router.stats.maxInFlight, window, 'the window was reached');
  t.ok(held > 0, 'the test did exercise backpressure');
  for (const c of chans) c.grant(c.inFlight());
  router.broadcastEvent({ kind: 'end' });
  for (let i = 0; i < 200 && router.isBlocked(); i++) for (const c of chans) c.grant(c.inFlight());
  t.notOk(router.isBlocked());
  for (const [i, c] of chans.entries()) {
    const recs = c.sent.flatMap((m) => (m.kind === 'batch' ? m.records : [])) as number[];
    t.ok(recs.every((r, j) => j === 0 || r > recs[j - 1]!), `channel ${i} keeps record order`);
  }
  const delivered = chans.flatMap((c) => c.sent.flatMap((m) => (m.kind === 'batch' ? m.records : []))) as number[];
  t.same(delivered.sort((x, y) => x - y), Array.from({ length: 500 }, (_, i) => i), 'every record delivered exactly once');
  t.same(chans.map((c) => c.sent.at(-1)), [{ kind: 'end' }, { kind: 'end' }], 'end is last on each channel');
});

t.test('broadcast partitioning copies every record to every channel', async (t) => {
  const chans = [new FakeChannel(8), new FakeChannel(8), new FakeChannel(8)];
  const clock = new ManualClock();
  const router = new OutputRouter([{ partitioner: () => BROADCAST, channels: chans }], 2, 5, clock);
  for (const r of ['x', 'y', 'z']) router.collect(r);
  router.flush();
  for (const [i, c] of chans.entries()) t.same(c.summary(), [['x', 'y'], ['z']], `channel ${i}`);
  t.equal(router.stats.recordsOut, 3, 'recordsOut counts records, not copies');
  t.equal(router.stats.batchesOut, 6);
});

t.test('event times travel with their records, side outputs reach only their edges, watermarks queue behind records', async (t) => {
  const clock = new ManualClock();
  const element = { timestamp: NaN };
  const main = new FakeChannel(10);
  const late = new FakeChannel(10);
  const router = new OutputRouter([{ partitioner: forward, channels: [main] }, { partitioner: forward, channels: [late], tag: 'late' }], 4, 5, clock, element);
  router.collect('untimed');
  element.timestamp = 100;
  router.collect('timed');
  router.emitSide('late', 'too late');
  router.emitSide('unknown tag', 'dropped');
  router.emitWatermark(90);
  t.same(main.sent.map((m) => m.kind), ['batch', 'watermark'], 'the partial batch goes out before the watermark');
  const batch = main.sent[0] as { records: unknown[]; timestamps?: Float64Array };
  t.same(batch.records, ['untimed', 'timed']);
  t.same([...batch.timestamps!], [NaN, 100], 'a record before the first timed one has NaN');
  t.same(late.summary(), [['too late'], 'watermark'], 'the side output took its record, and every channel the watermark');
  t.same((late.sent[0] as { timestamps?: Float64Array }).timestamps?.[0], 100, 'a side record carries the current event time');
  element.timestamp = NaN;
  router.collect('plain');
  router.flush();
  t.notOk('timestamps' in (main.sent[2] as object), 'a batch with no event time carries none');
  router.emitStatus(true);
  t.same(main.sent[3], { kind: 'status', idle: true });
});

t.test('a latency marker goes out behind the records of one channel, the channels taking turns; without channels there is none', async (t) => {
  const a = new FakeChannel(10);
  const b = new FakeChannel(10);
  const clock = new ManualClock();
  const byValue: Partitioner = (r) => (r as number) % 2;
  const router = new OutputRouter([{ partitioner: byValue, channels: [a, b] }], 100, 5, clock);
  router.collect(2);
  router.collect(3);
  t.ok(router.emitLatencyMarker(10));
  t.same(a.summary(), [[2], 'latency'], 'the first channel flushed its records, then took the marker');
  t.same(b.summary(), [], 'the other channel keeps its partial batch');
  t.ok(router.emitLatencyMarker(11));
  t.same(b.summary(), [[3], 'latency'], 'the next marker goes to the next channel');
  t.same(b.sent[1], { kind: 'latency', emittedAt: 11 });
  router.emitLatencyMarker(12);
  t.equal(a.sent.length, 3, 'and round again');
  const sink = new OutputRouter([], 100, 5, clock);
  t.notOk(sink.emitLatencyMarker(13), 'an actor without outputs is where markers end');
});

t.test('a latency marker waits in the backlog behind batches without credit, and backpressured time counts the wait still going on', async (t) => {
  const ch = new FakeChannel(1, 0);
  const clock = new ManualClock();
  const router = new OutputRouter([{ partitioner: forward, channels: [ch] }], 1, 5, clock);
  router.collect('x');
  router.emitLatencyMarker(1);
  t.same(ch.summary(), [], 'nothing goes out without credit, not even the marker');
  clock.advance(30);
  t.equal(router.backpressuredMsAt(clock.now()), 30, 'blocked for 30 ms so far');
  ch.grant(1);
  t.same(ch.summary(), [['x'], 'latency'], 'in order once credit comes');
  clock.advance(10);
  t.equal(router.backpressuredMsAt(clock.now()), 30, 'no longer blocked');
});

t.test('an unaligned barrier overtakes the backlog, which it returns as channel state and which still goes out after it', async (t) => {
  const [a, b] = [new FakeChannel(1), new FakeChannel(1)];
  const router = new OutputRouter([{ partitioner: (r) => (r as number) % 2, channels: [a, b] }], 1, 5, new ManualClock());
  for (const r of [0, 2, 4, 1]) router.collect(r);
  router.emitWatermark(7);
  t.same([a.summary(), b.summary()], [[[0]], [[1], 'watermark']], 'one batch each went out on credit, the rest waits');
  const overtaken = router.overtake({ kind: 'barrier', id: 3, timestamp: 0, unaligned: true });
  t.same(overtaken.map((bs) => bs.map((m) => m.records)), [[[2], [4]], []], 'the held-back batches, per channel');
  t.same([a.summary(), b.summary()], [[[0], 'barrier 3'], [[1], 'watermark', 'barrier 3']], 'the barrier went out at once');
  a.grant(2);
  b.grant(1);
  t.same([a.summary(), b.summary()], [[[0], 'barrier 3', [2], [4], 'watermark'], [[1], 'watermark', 'barrier 3']], 'what it overtook follows it, in order');
});

t.test('an unaligned barrier does not overtake an older barrier still held back', async (t) => {
  const ch = new FakeChannel(1);
  const router = new OutputRouter([{ partitioner: forward, channels: [ch] }], 1, 5, new ManualClock());
  router.collect('a');
  router.collect('b');
  router.broadcastEvent({ kind: 'barrier', id: 1, timestamp: 0 });
  router.collect('c');
  const overtaken = router.overtake({ kind: 'barrier', id: 2, timestamp: 0, unaligned: true });
  t.same(overtaken.map((bs) => bs.map((m) => m.records)), [[['c']]], 'only what follows the older barrier');
  ch.grant(1);
  t.same(ch.summary(), [['a'], ['b'], 'barrier 1', 'barrier 2']);
  ch.grant(1);
  t.same(ch.summary(), [['a'], ['b'], 'barrier 1', 'barrier 2', ['c']]);
});

t.test('channel state replays before anything new, per channel', async (t) => {
  const [a, b] = [new FakeChannel(4), new FakeChannel(4)];
  const router = new OutputRouter([{ partitioner: () => 1, channels: [a, b] }], 10, 5, new ManualClock());
  router.replay([[{ kind: 'batch', records: ['x'] }], [{ kind: 'batch', records: ['y'] }, { kind: 'batch', records: ['z'] }]]);
  router.collect('new');
  router.flush();
  t.same([a.summary(), b.summary()], [[['x']], [['y'], ['z'], ['new']]]);
  t.throws(() => router.replay([[], [], [{ kind: 'batch', records: [] }]]), /output channel 2, but the actor has 2/);
});

t.test('an aligned barrier held back past its timeout is expedited: it jumps the batches before it, now unaligned', async (t) => {
  const ch = new FakeChannel(1);
  const sent: number[] = [];
  const router = new OutputRouter([{ partitioner: forward, channels: [ch] }], 1, 5, new ManualClock());
  router.onBarrierSent = (id) => sent.push(id);
  for (const r of ['a', 'b', 'c']) router.collect(r);
  router.broadcastEvent({ kind: 'barrier', id: 4, timestamp: 0 });
  router.collect('d');
  t.ok(router.holdsBarrier(4), 'the barrier waits behind b and c');
  t.same(router.expediteBarrier(4).map((bs) => bs.map((m) => m.records)), [[['b'], ['c']]], 'it overtakes the batches before it');
  t.notOk(router.holdsBarrier(4));
  t.same(ch.sent.map((m) => (m.kind === 'barrier' ? `barrier ${m.id} ${m.unaligned ? 'unaligned' : 'aligned'}` : m.kind)), ['batch', 'barrier 4 unaligned']);
  t.same(router.expediteBarrier(4), [[]], 'nothing to do once it left');
  ch.grant(3);
  t.same(ch.summary(), [['a'], 'barrier 4', ['b'], ['c'], ['d']]);
  router.broadcastEvent({ kind: 'barrier', id: 5, timestamp: 0 });
  t.same(sent, [], 'an expedited barrier was not sent from the backlog');
  router.collect('e');
  router.collect('f');
  router.broadcastEvent({ kind: 'barrier', id: 6, timestamp: 0 });
  ch.grant(2);
  t.same(sent, [6], 'a barrier leaving the backlog on credit is heard');
});
