import t from 'tap';
import { InputGate, type GateHost } from '../../../runtime/actor/inputs.js';
import type { InputChannel } from '../../../runtime/transport/channel.js';
import type { BarrierMessage, DataMessage } from '../../../runtime/transport/protocol.js';

/** An input channel the test delivers to by hand. */
class FakeInput implements InputChannel {
  released = 0;
  closed = false;
  private fn: (msg: DataMessage) => void = () => {};
  onMessage(fn: (msg: DataMessage) => void): void {
    this.fn = fn;
  }
  onClose(): void {}
  release(): void {
    this.released++;
  }
  close(): void {
    this.closed = true;
  }
  deliver(...msgs: DataMessage[]): void {
    for (const m of msgs) this.fn(m);
  }
}

const batch = (...records: unknown[]): DataMessage => ({ kind: 'batch', records });
const barrier = (id: number): BarrierMessage => ({ kind: 'barrier', id, timestamp: 0 });
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

function gate(channels: number, host: Partial<GateHost> = {}) {
  const inputs = Array.from({ length: channels }, () => new FakeInput());
  const seen: string[] = [];
  const errors: unknown[] = [];
  const g = new InputGate(inputs, {
    records: (c, records) => seen.push(`${c}:${records.join(',')}`),
    barrier: (c, b) => seen.push(`${c}:barrier ${b.id}`),
    watermark: (c, time) => seen.push(`${c}:watermark ${time}`),
    status: (c, idle) => seen.push(`${c}:${idle ? 'idle' : 'active'}`),
    end: (c) => seen.push(`${c}:end`),
    latency: (emittedAt) => seen.push(`latency ${emittedAt}`),
  }, { isBlocked: () => false, backpressure: () => null, failed: () => errors.length > 0, fail: (e) => errors.push(e), closed: () => {}, now: () => 0, ...host });
  return { g, inputs, seen, errors };
}

t.test('messages reach the actor in channel order, channels taken in turn, credit returned per batch', async (t) => {
  const { g, inputs, seen } = gate(2);
  let ended = false;
  const done = g.run().then(() => (ended = true));
  inputs[0].deliver(batch(1, 2), barrier(1), batch(3));
  inputs[1].deliver(batch(10), { kind: 'end' });
  await turn();
  t.same(seen, ['0:1,2', '1:10', '0:barrier 1', '1:end', '0:3'], 'one message per channel per turn, in order on each');
  t.same([inputs[0].released, inputs[1].released], [2, 1], 'each batch gave its credit back');
  t.same([g.recordsIn, g.batchesIn], [4, 3]);
  t.equal(ended, false, 'channel 0 has not ended');
  inputs[0].deliver({ kind: 'end' });
  await done;
  t.ok(inputs[0].closed && inputs[1].closed, 'an ended channel is closed');
});

t.test('a channel alignment blocks stays unread until drained again', async (t) => {
  const blocked = new Set([0]);
  const { g, inputs, seen } = gate(2, { isBlocked: (c) => blocked.has(c) });
  void g.run();
  inputs[0].deliver(batch('held'));
  inputs[1].deliver(batch('free'));
  await turn();
  t.same(seen, ['1:free'], 'the blocked channel waits');
  blocked.clear();
  g.drain();
  t.same(seen, ['1:free', '0:held'], 'released by the alignment decision');
});

t.test('backpressure after a batch holds input back until it clears; pauses nest', async (t) => {
  let release: () => void = () => {};
  let pressure: Promise<void> | null = new Promise<void>((r) => (release = r));
  const { g, inputs, seen } = gate(1, { backpressure: () => pressure });
  void g.run();
  inputs[0].deliver(batch(1), batch(2));
  await turn();
  t.same(seen, ['0:1'], 'the outputs are full after the first batch');
  let resume: () => void = () => {};
  g.pauseUntil(new Promise<void>((r) => (resume = r)));
  pressure = null;
  release();
  await turn();
  t.same(seen, ['0:1'], 'still paused by the second hold');
  resume();
  await turn();
  t.same(seen, ['0:1', '0:2'], 'input resumes once every hold is over');
});

t.test('a failing handler fails the actor and nothing more is read', async (t) => {
  const inputs = [new FakeInput()];
  const errors: unknown[] = [];
  const g = new InputGate(inputs, {
    records: () => {
      throw new Error('operator broke');
    },
    barrier: () => {},
    watermark: () => {},
    status: () => {},
    latency: () => {},
    end: () => {},
  }, { isBlocked: () => false, backpressure: () => null, failed: () => errors.length > 0, fail: (e) => errors.push(e), closed: () => {}, now: () => 0 });
  void g.run();
  inputs[0].deliver(batch(1), batch(2));
  await turn();
  t.equal(errors.length, 1, 'one failure reported');
  t.match(String(errors[0]), /operator broke/);
  t.equal(inputs[0].released, 0, 'the failed batch gave no credit back');
});

t.test('watermarks and idleness reach the actor in order with the records around them', async (t) => {
  const { g, inputs, seen } = gate(1);
  void g.run();
  inputs[0].deliver(batch(1), { kind: 'watermark', time: 5 }, { kind: 'status', idle: true }, { kind: 'status', idle: false }, batch(2));
  await turn();
  t.same(seen, ['0:1', '0:watermark 5', '0:idle', '0:active', '0:2']);
});

t.test('a latency marker reaches the actor behind the records before it, and waits with them while alignment blocks its channel', async (t) => {
  const blocked = new Set([0]);
  const { g, inputs, seen } = gate(2, { isBlocked: (c) => blocked.has(c) });
  void g.run();
  inputs[0].deliver(batch(1), { kind: 'latency', emittedAt: 7 }, batch(2));
  inputs[1].deliver({ kind: 'latency', emittedAt: 9 });
  await turn();
  t.same(seen, ['latency 9'], 'the open channel\'s marker passes; the blocked one holds its marker with its records');
  blocked.clear();
  g.drain();
  t.same(seen, ['latency 9', '0:1', 'latency 7', '0:2']);
});

t.test('busy time is the time spent handling input, not the time between messages', async (t) => {
  let now = 1000;
  const inputs = [new FakeInput()];
  const g = new InputGate(inputs, {
    // Handling a batch takes 5 ms of the clock, one record 1 ms more.
    records: (_c, records) => void (now += 5 + records.length),
    barrier: () => void (now += 2),
    watermark: () => {},
    status: () => {},
    latency: () => {},
    end: () => {},
  }, { isBlocked: () => false, backpressure: () => null, failed: () => false, fail: () => {}, closed: () => {}, now: () => now });
  void g.run();
  inputs[0].deliver(batch(1, 2), barrier(1));
  await turn();
  t.equal(g.busyMs, 7, 'a drain past its time slice gives the event loop a turn before the barrier');
  await turn();
  t.equal(g.busyMs, 9, 'a batch of two and a barrier');
  now += 500;
  await turn();
  t.equal(g.busyMs, 9, 'waiting for input is not busy');
  inputs[0].deliver(batch(3));
  await turn();
  t.equal(g.busyMs, 15);
});

t.test('an arrival the actor takes (an unaligned barrier) skips the queue; the batches before it stay to be read', async (t) => {
  const inputs = [new FakeInput(), new FakeInput()];
  const seen: string[] = [];
  const g: InputGate = new InputGate(inputs, {
    records: (c, records) => seen.push(`${c}:${records.join(',')}`),
    barrier: (c, b) => seen.push(`${c}:barrier ${b.id}`),
    watermark: () => {}, status: () => {}, end: () => {}, latency: () => {},
    arrived: (c, m) => {
      if (m.kind !== 'barrier' || m.id !== 2) return false;
      seen.push(`${c}:took barrier 2 with ${JSON.stringify(g.queuedBefore(c, 2))} queued`);
      return true;
    },
  }, { isBlocked: () => false, backpressure: () => null, failed: () => false, fail: (e) => { throw e; }, closed: () => {}, now: () => 0 });
  void g.run();
  inputs[0].deliver({ kind: 'batch', records: [1], bytes: 10 }, barrier(1), { kind: 'batch', records: [2], bytes: 20 }, barrier(2));
  inputs[1].deliver(batch(3), barrier(2));
  t.equal(g.queuedBarrier(1), 0, 'barrier 1 waits in channel 0\'s queue');
  t.equal(g.queuedBarrier(2), -1, 'barrier 2 never queued');
  t.same(g.queuedBefore(0, 1), { batches: [{ kind: 'batch', records: [1], bytes: 10 }], barrier: true }, 'the batches ahead of barrier 1, which leaves the queue');
  t.equal(g.queuedBarrier(1), -1);
  await turn();
  t.same(seen, [
    '0:took barrier 2 with {"batches":[{"kind":"batch","records":[1],"bytes":10},{"kind":"batch","records":[2],"bytes":20}],"barrier":false} queued',
    '1:took barrier 2 with {"batches":[{"kind":"batch","records":[3]}],"barrier":false} queued',
    '0:1', '1:3', '0:2',
  ], 'taken on arrival, the queues read afterwards');
  t.equal(g.bytesIn, 30, 'bytes read as the batches crossed their channel');
});
