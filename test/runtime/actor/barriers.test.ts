import t from 'tap';
import { ManualClock } from '../../../base/clock.js';
import { BarrierHandler } from '../../../runtime/actor/barriers.js';
import type { AlignmentTiming } from '../../../runtime/actor/participant.js';
import type { BarrierMessage, BatchMessage, DataMessage } from '../../../runtime/transport/protocol.js';
import { ChannelStateRecorder, type ChannelStateWork } from '../../../runtime/actor/channel-state.js';
import { decodeBatch, decodeChannelState } from '../../../runtime/transport/codec.js';
import type { SnapshotTarget } from '../../../backends/snapshot.js';

/** A handler over `channels` inputs whose host records what it is asked to do. */
function handler(channels: number, final?: Promise<void>) {
  const clock = new ManualClock();
  let records = 0;
  const taken: { id: number; final?: boolean; timing: AlignmentTiming }[] = [];
  const declined: string[] = [];
  const paused: Promise<unknown>[] = [];
  const h = new BarrierHandler(channels, 'exactly-once', {
    clock, recordsIn: () => records, bytesIn: () => 0, decline: (id, reason) => declined.push(`${id}: ${reason}`),
    queuedBefore: () => ({ batches: [], barrier: false }), queuedBarrier: () => -1, resume: () => {},
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

/** A handler with unaligned checkpoints over `channels` inputs whose queues the test fills, as the gate holds them. */
function unalignedHandler(channels: number, alignedTimeoutMs = 0) {
  const clock = new ManualClock();
  const queues: DataMessage[][] = Array.from({ length: channels }, () => []);
  const recorder = new ChannelStateRecorder({ operator: 'Test', subtask: 0 });
  const taken: { id: number; unaligned?: boolean; timing: AlignmentTiming; work: ChannelStateWork | null }[] = [];
  let bytes = 0;
  let resumed = 0;
  const h = new BarrierHandler(channels, 'exactly-once', {
    clock, recordsIn: () => 0, bytesIn: () => bytes, decline: () => {}, pauseUntil: () => {}, resume: () => resumed++,
    checkpointAndForward: (b, timing) => {
      // As the actor does: an unaligned barrier's channel state is written by the snapshot's asynchronous part.
      if (b.unaligned) recorder.begin(b.id);
      taken.push({ id: b.id, unaligned: b.unaligned, timing, work: b.unaligned ? recorder.work(b.id) : null });
      return null;
    },
    queuedBefore: (c, id) => {
      const q = queues[c];
      const at = q.findIndex((m) => m.kind === 'barrier' && m.id === id);
      const before = (at < 0 ? q : q.slice(0, at)).filter((m): m is BatchMessage => m.kind === 'batch');
      if (at >= 0) q.splice(at, 1);
      return { batches: before, barrier: at >= 0 };
    },
    queuedBarrier: (id) => queues.findIndex((q) => q.some((m) => m.kind === 'barrier' && m.id === id)),
  }, { alignedTimeoutMs, recorder });
  /** A message arrives on `c`: what the gate does with it. */
  const arrive = (c: number, m: DataMessage) => {
    if (m.kind === 'batch') {
      bytes += m.records.length;
      h.onArrival(c, m);
    } else if (m.kind === 'barrier' && h.isPriority(m)) return h.onPriorityBarrier(c, m);
    else if (m.kind === 'barrier') h.onQueued(m);
    queues[c].push(m);
  };
  return { h, clock, queues, taken, arrive, resumed: () => resumed };
}

const batchOf = (...records: number[]): BatchMessage => ({ kind: 'batch', records });

/** What a checkpoint's channel state holds once written: input batches' records per channel. */
async function writtenInputs(work: ChannelStateWork | null): Promise<unknown[][][]> {
  const chunks: Uint8Array[] = [];
  const target: SnapshotTarget = {
    checkpointId: 0,
    createFile: async () => ({
      path: 'x', write: async (c: Uint8Array) => void chunks.push(c), discard: async () => {},
      close: async (entries: number) => ({ path: 'x', bytes: chunks.reduce((n, c) => n + c.length, 0), sha256: '', entries }),
    }),
  };
  await work!.write(target);
  if (chunks.length === 0) return [];
  const doc = decodeChannelState(Buffer.concat(chunks));
  const out: unknown[][][] = [];
  for (const [c, batches] of doc.inputs) out[c] = batches.map((b) => decodeBatch(b).records);
  return out;
}

t.test('unaligned: the first barrier snapshots at once, ahead of the queue, and what is in flight becomes channel state', async (t) => {
  const { h, queues, taken, arrive } = unalignedHandler(2);
  arrive(0, batchOf(1, 2));
  arrive(1, batchOf(3));
  arrive(0, { kind: 'barrier', id: 1, timestamp: 0, unaligned: true });
  t.same(taken.map((x) => [x.id, x.unaligned, x.timing.unaligned]), [[1, true, true]], 'taken on arrival, not in its place');
  t.same(queues.map((q) => q.length), [1, 1], 'the overtaken batches stay queued, to be processed');
  t.notOk(h.isBlocked(0) || h.isBlocked(1), 'no channel is blocked');
  arrive(1, batchOf(4, 5));
  arrive(0, batchOf(6));
  arrive(1, { kind: 'barrier', id: 1, timestamp: 0, unaligned: true });
  arrive(1, batchOf(7));
  const result = await writtenInputs(taken[0].work);
  t.same(result, [[[1, 2]], [[3], [4, 5]]], 'channel 0 keeps what was queued before its barrier, channel 1 all it delivered until its own');
});

t.test('unaligned: an abort drops the recording and the write fails', async (t) => {
  const { h, taken, arrive } = unalignedHandler(2);
  arrive(0, { kind: 'barrier', id: 3, timestamp: 0, unaligned: true });
  h.abort(3, 'expired');
  await t.rejects(taken[0].work!.write({ checkpointId: 3, createFile: async () => { throw new Error('no file expected'); } }), /expired/);
});

t.test('savepoints and final barriers always align', async (t) => {
  const { h } = unalignedHandler(1);
  t.notOk(h.isPriority({ kind: 'barrier', id: 1, timestamp: 0, unaligned: true, final: true }));
  t.notOk(h.isPriority({ kind: 'barrier', id: 1, timestamp: 0, unaligned: true, savepoint: '/sp' }));
  t.ok(h.isPriority({ kind: 'barrier', id: 1, timestamp: 0, unaligned: true }));
});

t.test('aligned timeout: an alignment still going on at the timeout turns unaligned', async (t) => {
  const { h, clock, queues, taken, arrive, resumed } = unalignedHandler(2, 100);
  const b: BarrierMessage = { kind: 'barrier', id: 1, timestamp: 0 };
  t.notOk(h.isPriority(b), 'before the timeout a barrier aligns');
  h.onBarrier(0, b);
  t.ok(h.isBlocked(0), 'aligning: channel 0 is blocked');
  arrive(0, batchOf(9));
  arrive(1, batchOf(1));
  clock.advance(99);
  t.same(taken, [], 'still aligned');
  clock.advance(1);
  t.same(taken.map((x) => [x.id, x.unaligned]), [[1, true]], 'at the timeout it is taken unaligned');
  t.equal(taken[0].timing.alignmentMs, 100, 'after 100 ms of alignment');
  t.notOk(h.isBlocked(0), 'channel 0 is released');
  t.equal(resumed(), 1, 'and input goes on');
  t.ok(h.isPriority(b), 'its late barriers are taken on arrival');
  arrive(1, batchOf(2));
  arrive(1, b);
  t.same(queues[1].length, 2, 'the late barrier did not queue');
  t.same(await writtenInputs(taken[0].work), [undefined, [[1], [2]]], 'only the channel that had not delivered keeps its in-flight batches');
});

t.test('aligned timeout: a barrier still queued at the timeout is taken from the queue', async (t) => {
  const { clock, queues, taken, arrive } = unalignedHandler(2, 50);
  arrive(0, batchOf(1));
  arrive(0, { kind: 'barrier', id: 2, timestamp: 0 });
  arrive(0, batchOf(2));
  arrive(1, batchOf(3));
  clock.advance(50);
  t.same(taken.map((x) => [x.id, x.unaligned]), [[2, true]]);
  t.same(queues[0].map((m) => m.kind), ['batch', 'batch'], 'the barrier left the queue');
  arrive(1, { kind: 'barrier', id: 2, timestamp: 0 });
  t.same(await writtenInputs(taken[0].work), [[[1]], [[3]]], 'the batches before the barrier on each channel');
});
