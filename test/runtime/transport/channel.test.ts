import t from 'tap';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { type InputChannel, type OutputChannel } from '../../../runtime/transport/channel.js';
import { memoryChannel } from '../../../runtime/transport/memory-channel.js';
import { PortInputChannel, PortOutputChannel } from '../../../runtime/transport/port-channel.js';
import { ChannelError } from '../../../base/errors.js';
import { invalidKeyReason } from '../../../base/keygroups.js';
import type { BatchMessage, DataMessage } from '../../../runtime/transport/protocol.js';
import { CreditReturner } from '../../../runtime/transport/credit.js';
import { decode, decodeBatch, decodeChannelState, encode, encodeBatch, encodeChannelState, transferables } from '../../../runtime/transport/codec.js';

type Tap = Parameters<Parameters<typeof t.test>[0]>[0];

const origin = { operator: 'Map', subtask: 0, parallelism: 1 };
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Turns the event loop until cond() holds (at most `max` turns); returns whether it did. */
async function until(cond: () => boolean, max = 200): Promise<boolean> {
  for (let i = 0; i < max; i++) {
    if (cond()) return true;
    await tick();
  }
  return cond();
}

function throwsChannelError(t: Tap, fn: () => void, pattern: RegExp, msg: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  t.ok(caught instanceof ChannelError, `${msg}: throws ChannelError`);
  t.match((caught as Error | undefined)?.message ?? '', pattern, `${msg}: message`);
}

/** A decoded message without the wire size the receiving side notes on a batch. */
function decoded(wire: Parameters<typeof decode>[0]): DataMessage {
  const msg = decode(wire);
  if (msg.kind === 'batch') delete msg.bytes;
  return msg;
}

const richRecords: unknown[] = [
  { id: 1, name: 'alice', tags: ['a', 'b'], nested: { deep: [1, [2, [3, 'ß']]] } },
  { id: 2, name: 'bob', tags: [], nested: { deep: [] } },
  'héllo wörld — 日本語 😀 \u{1F600}\u0000end',
  '', 0, -7, 1.5, -0.125, 2 ** 40, Number.MAX_SAFE_INTEGER, 1e300, true, false, null,
  [[[]], [1, 'two', { three: 3 }]],
  { emptyObj: {}, bool: false, nil: null, unicodeKey_ключ: 'значение' },
];

t.test('encode/decode round-trips batches and events', async (t) => {
  const batch: DataMessage = { kind: 'batch', records: richRecords };
  const wire = encode(batch);
  t.ok(wire instanceof ArrayBuffer, 'a batch is encoded as an ArrayBuffer');
  t.same(decoded(wire), batch);
  t.strictSame(decoded(encode(batch)), { kind: 'batch', records: richRecords }, 'strictly equal, types preserved');
  t.same(decoded(encode({ kind: 'batch', records: [] })), { kind: 'batch', records: [] });

  // Encoded buffers are independent: encoding another batch must not alter a previous one.
  const w1 = encode({ kind: 'batch', records: [{ a: 1, b: 'x' }] });
  const w2 = encode({ kind: 'batch', records: [{ a: 2, b: 'y' }, { c: [3] }] });
  t.not(w1, w2);
  t.same(decoded(w1), { kind: 'batch', records: [{ a: 1, b: 'x' }] });
  t.same(decoded(w2), { kind: 'batch', records: [{ a: 2, b: 'y' }, { c: [3] }] });

  // Many distinct object shapes in one batch.
  const shapes = Array.from({ length: 300 }, (_, i) => ({ [`k${i}`]: i, common: `v${i}` }));
  t.same(decoded(encode({ kind: 'batch', records: shapes })), { kind: 'batch', records: shapes }, '300 object shapes');

  for (const ev of [
    { kind: 'barrier', id: 7, timestamp: 123.5 },
    { kind: 'barrier', id: 8, timestamp: 0, savepoint: true },
    { kind: 'end' },
  ] as DataMessage[]) {
    t.same(decoded(encode(ev)), ev, `${ev.kind} round-trips`);
    t.notOk(encode(ev) instanceof ArrayBuffer, `${ev.kind} is not encoded as bytes`);
  }
});

t.test('strings cross channels as UTF-8: a lone surrogate becomes U+FFFD, so keys must not contain one', async (t) => {
  const key = 'order-\uD83D';
  const out = decoded(encode({ kind: 'batch', records: [key, 'x\uD800', 'x\uDC00', 'ok \uD83D\uDE00'] })) as { records: string[] };
  t.same(out.records, ['order-\uFFFD', 'x\uFFFD', 'x\uFFFD', 'ok \uD83D\uDE00'], 'documented replacement; pairs survive');
  t.match(invalidKeyReason(key) ?? '', /lone UTF-16 surrogate/, 'such a key is refused before it is routed');
  t.equal(invalidKeyReason('ok \uD83D\uDE00'), undefined, 'a well-formed key is accepted');
});

t.test('CreditReturner returns credit in groups of floor(window / 2), at least 1', async (t) => {
  for (const window of [0, 1, 2, 3, 4, 5, 8, 9, 100]) {
    const given: number[] = [];
    const r = new CreditReturner(window, (n) => given.push(n));
    const group = Math.max(1, Math.floor(window / 2));
    for (let i = 1; i < group; i++) r.release();
    t.same(given, [], `window ${window}: nothing before ${group} releases`);
    r.release();
    t.same(given, [group], `window ${window}: ${group} after ${group} releases`);
    for (let i = 0; i < 4 * group - 1; i++) r.release();
    t.same(given, [group, group, group, group], `window ${window}: stays in groups of ${group}`);
  }
});

/** Shared checks for both channel implementations. */
async function checkChannel(t: Tap, output: OutputChannel, input: InputChannel, window: number): Promise<void> {
  const got: DataMessage[] = [];
  input.onMessage((m) => {
    if (m.kind === 'batch') delete m.bytes;
    got.push(m);
  });
  let creditCalls = 0;
  output.onCredit(() => creditCalls++);
  t.equal(output.credits(), window, 'full window at start');
  t.equal(output.inFlight(), 0);

  const sent: DataMessage[] = [
    { kind: 'batch', records: [{ i: 1, s: 'é' }, [1, [2]]] },
    { kind: 'barrier', id: 1, timestamp: 42 },
    { kind: 'batch', records: ['x', null, true] },
    { kind: 'batch', records: [3.25] },
    { kind: 'barrier', id: 2, timestamp: 43, savepoint: '/savepoints/sp-2' },
    { kind: 'batch', records: [] },
  ];
  for (const m of sent) output.send(m);
  t.equal(output.credits(), 0, 'four batches used the window of four');
  t.equal(output.inFlight(), 4);
  throwsChannelError(t, () => output.send({ kind: 'batch', records: [9] }), /without credit/, 'batch without credit');
  t.equal(output.credits(), 0, 'a refused batch takes no credit');
  output.send({ kind: 'barrier', id: 3, timestamp: 44 });
  output.send({ kind: 'end' });
  t.ok(await until(() => got.length === 8), 'all eight messages arrive');
  t.same(got, [...sent, { kind: 'barrier', id: 3, timestamp: 44 }, { kind: 'end' }], 'in order, events between batches included');

  input.release();
  for (let i = 0; i < 10; i++) await tick();
  t.equal(output.credits(), 0, 'one release of a window of four returns nothing yet');
  t.equal(creditCalls, 0);
  input.release();
  t.ok(await until(() => output.credits() === 2), 'two releases return two credits');
  t.equal(creditCalls, 1, 'onCredit called once');
  t.equal(output.inFlight(), 2);
  input.release();
  input.release();
  t.ok(await until(() => output.credits() === 4), 'the whole window is back');
  t.equal(creditCalls, 2);
  t.equal(output.inFlight(), 0);
}

t.test('memory channel: credit, order, release', async (t) => {
  const { output, input } = memoryChannel(4, origin);
  let syncDelivered = false;
  const probe = memoryChannel(1, origin);
  probe.input.onMessage(() => (syncDelivered = true));
  probe.output.send({ kind: 'batch', records: [1] });
  t.notOk(syncDelivered, 'delivery is asynchronous');
  t.ok(await until(() => syncDelivered), 'but it happens');
  await checkChannel(t, output, input, 4);
});

t.test('memory channel: sending after either end closed throws ChannelError', async (t) => {
  const a = memoryChannel(2, origin);
  a.input.onMessage(() => {});
  a.input.close();
  throwsChannelError(t, () => a.output.send({ kind: 'batch', records: [1] }), /receiving end is closed/, 'batch after input close');
  throwsChannelError(t, () => a.output.send({ kind: 'end' }), /receiving end is closed/, 'end after input close');
  t.match(String(errOf(() => a.output.send({ kind: 'end' }))?.message), /operator "Map"/, 'names the origin');

  const b = memoryChannel(2, origin);
  b.output.close();
  throwsChannelError(t, () => b.output.send({ kind: 'barrier', id: 1, timestamp: 0 }), /closed/, 'barrier after output close');
});

function errOf(fn: () => void): Error | undefined {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  return undefined;
}

function portPair(t: Tap, window: number): { output: PortOutputChannel; input: PortInputChannel; port1: MessagePort; port2: MessagePort } {
  const { port1, port2 } = new MessageChannel();
  t.teardown(() => {
    port1.close();
    port2.close();
  });
  return { output: new PortOutputChannel(port1, window, origin), input: new PortInputChannel(port2, window), port1, port2 };
}

function closed(port: MessagePort): () => boolean {
  let c = false;
  port.once('close', () => (c = true));
  return () => c;
}

t.test('port channel: credit, order, release over a real MessageChannel', async (t) => {
  const { output, input } = portPair(t, 4);
  await checkChannel(t, output, input, 4);
});

t.test('port channel: sending after the receiver closed throws ChannelError', async (t) => {
  const { output, input, port1 } = portPair(t, 2);
  input.onMessage(() => {});
  const senderSawClose = closed(port1);
  output.send({ kind: 'batch', records: [1] });
  input.close();
  t.ok(await until(senderSawClose), 'close reaches the sending port');
  throwsChannelError(t, () => output.send({ kind: 'batch', records: [2] }), /receiving end is closed/, 'batch after receiver close');
  throwsChannelError(t, () => output.send({ kind: 'end' }), /receiving end is closed/, 'end after receiver close');
});

t.test('port channel: sending after the sender closed throws ChannelError', async (t) => {
  const { output, input } = portPair(t, 2);
  input.onMessage(() => {});
  output.close();
  throwsChannelError(t, () => output.send({ kind: 'end' }), /closed/, 'end after own close');
});

t.test('port channel: onClose fires when the sender goes away without end of input', async (t) => {
  const { output, input } = portPair(t, 2);
  const got: string[] = [];
  let closes = 0;
  input.onMessage((m) => got.push(m.kind));
  input.onClose(() => closes++);
  output.send({ kind: 'batch', records: [1] });
  output.close();
  t.ok(await until(() => closes > 0), 'onClose fired');
  for (let i = 0; i < 10; i++) await tick();
  t.equal(closes, 1, 'exactly once');
  t.same(got, ['batch'], 'the batch sent before the close still arrives');
});

t.test('port channel: onClose does not fire after end of input', async (t) => {
  const { output, input, port2 } = portPair(t, 2);
  const got: string[] = [];
  let closes = 0;
  input.onMessage((m) => got.push(m.kind));
  input.onClose(() => closes++);
  const receiverSawClose = closed(port2);
  output.send({ kind: 'batch', records: [1] });
  output.send({ kind: 'end' });
  output.close();
  t.ok(await until(receiverSawClose), 'the close reaches the receiving port');
  for (let i = 0; i < 10; i++) await tick();
  t.same(got, ['batch', 'end'], 'batch and end arrive');
  t.equal(closes, 0, 'no onClose after end of input');
});

t.test('port channel: onClose does not fire when the receiver closes itself', async (t) => {
  const { input, port2 } = portPair(t, 2);
  let closes = 0;
  input.onMessage(() => {});
  input.onClose(() => closes++);
  const sawClose = closed(port2);
  input.close();
  t.ok(await until(sawClose), 'close event seen');
  for (let i = 0; i < 10; i++) await tick();
  t.equal(closes, 0, 'no onClose for a local close');
});

t.test('event times travel beside their records, and watermarks and idleness in order with them', async (t) => {
  const timed: DataMessage = { kind: 'batch', records: [{ a: 1 }, 'b', 3], timestamps: new Float64Array([10, NaN, -5.5]) };
  const wire = encode(timed);
  t.notOk(wire instanceof ArrayBuffer, 'a batch with event times is two buffers');
  t.equal(transferables(wire).length, 2, 'both move to the receiving thread');
  const back = decoded(wire) as { records: unknown[]; timestamps: Float64Array };
  t.same(back.records, [{ a: 1 }, 'b', 3]);
  t.same([...back.timestamps], [10, NaN, -5.5], 'NaN marks a record without event time');
  t.notOk('timestamps' in (decoded(encode({ kind: 'batch', records: [1] })) as object), 'a batch without event times carries none');
  const view = new Float64Array(new ArrayBuffer(32), 8, 2);
  view.set([1, 2]);
  t.same([...(decoded(encode({ kind: 'batch', records: [1, 2], timestamps: view })) as { timestamps: Float64Array }).timestamps], [1, 2], 'a view into a larger buffer is copied');
  for (const make of [() => memoryChannel(4, origin), () => portPair(t, 4)]) {
    const { output, input } = make();
    const got: DataMessage[] = [];
    input.onMessage((m) => got.push(m));
    const sent: DataMessage[] = [timed, { kind: 'watermark', time: 9 }, { kind: 'status', idle: true }, { kind: 'batch', records: [4] }, { kind: 'end' }];
    for (const m of sent) output.send(m);
    t.ok(await until(() => got.length === sent.length), 'every message arrives');
    t.same(got.map((m) => m.kind), ['batch', 'watermark', 'status', 'batch', 'end'], 'in order');
    t.same([...(got[0] as { timestamps: Float64Array }).timestamps], [10, NaN, -5.5]);
    t.same(got[1], { kind: 'watermark', time: 9 });
  }
});

t.test('a decoded batch carries the bytes it took on the wire', async (t) => {
  const wire = encode({ kind: 'batch', records: [1, 2, 3] });
  t.equal((decode(wire) as { bytes?: number }).bytes, (wire as ArrayBuffer).byteLength);
  const timed = encode({ kind: 'batch', records: ['a'], timestamps: Float64Array.of(5) });
  t.equal((decode(timed) as { bytes?: number }).bytes, 8 + (timed as { records: ArrayBuffer }).records.byteLength);
});

t.test('channel state: batches with and without event times round-trip through the file document', async (t) => {
  const plain: DataMessage = { kind: 'batch', records: richRecords };
  const timed: DataMessage = { kind: 'batch', records: ['a', 'b'], timestamps: Float64Array.of(1, NaN) };
  const bytes = encodeChannelState({ inputs: [[1, [encodeBatch(plain as BatchMessage)]]], outputs: [[0, [encodeBatch(timed as BatchMessage)]]] });
  const doc = decodeChannelState(bytes);
  t.same(doc.inputs.map(([c, bs]) => [c, bs.map((b) => decodeBatch(b))]), [[1, [plain]]]);
  const back = decodeBatch(doc.outputs[0][1][0]);
  t.same([doc.outputs[0][0], back.records, [...back.timestamps!]], [0, ['a', 'b'], [1, NaN]]);
  t.throws(() => decodeChannelState(new Uint8Array(encode({ kind: 'batch', records: [1] }) as ArrayBuffer)), /not a channel state document/);
});
