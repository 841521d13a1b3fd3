import t from 'tap';
import type { Guarantee } from '../../../base/kinds.js';
import { BarrierAligner, type AlignmentEvent, type BarrierInfo } from '../../../runtime/actor/barrier-aligner.js';
import { mulberry32 } from '../../../base/random.js';

type Tap = Parameters<Parameters<typeof t.test>[0]>[0];

/** What the actor hands the aligner: a barrier (with optional flags), an end of input, a coordinator abort. */
type Action =
  | ['barrier', channel: number, id: number, flags?: Pick<BarrierInfo, 'final' | 'savepoint'>]
  | ['end', channel: number]
  | ['abort', id: number, reason?: string];
/** An action, the events it must return, the channels blocked after it, and optional extra state. */
type Step = [Action, AlignmentEvent[], number[], { pending?: number[]; allEnded?: boolean }?];

// Distinct per channel, so an `aligned` event shows which channel's barrier it kept.
const stamp = (id: number, channel: number) => 1000 * id + channel;
const barrier = (channel: number, id: number, flags = {}): BarrierInfo => ({ id, timestamp: stamp(id, channel), ...flags });
const started = (id: number): AlignmentEvent => ({ kind: 'started', id });
const aligned = (id: number, firstChannel: number, flags = {}): AlignmentEvent => ({ kind: 'aligned', barrier: barrier(firstChannel, id, flags) });
const aborted = (id: number, reason: string): AlignmentEvent => ({ kind: 'aborted', id, reason });
const subsumed = (id: number, by: number) => aborted(id, `subsumed by checkpoint ${by}`);

function apply(aligner: BarrierAligner, action: Action): AlignmentEvent[] {
  switch (action[0]) {
    case 'barrier': return aligner.onBarrier(action[1], barrier(action[1], action[2], action[3]));
    case 'end': return aligner.onEndOfInput(action[1]);
    case 'abort': return aligner.abort(action[1], action[2] ?? 'timeout');
  }
}

const blockedChannels = (aligner: BarrierAligner) =>
  Array.from({ length: aligner.channels }, (_, ch) => ch).filter((ch) => aligner.isBlocked(ch));

function script(name: string, channels: number, guarantee: Guarantee, steps: Step[]): void {
  t.test(`${guarantee}: ${name}`, async (t) => {
    const aligner = new BarrierAligner(channels, guarantee);
    steps.forEach(([action, events, blocked, extra], i) => {
      const label = `step ${i + 1} ${JSON.stringify(action)}`;
      t.same(apply(aligner, action), events, `${label}: events`);
      t.same(blockedChannels(aligner), blocked, `${label}: blocked channels`);
      if (extra?.pending !== undefined) t.same(aligner.pending, extra.pending, `${label}: pending`);
      if (extra?.allEnded !== undefined) t.equal(aligner.allEnded, extra.allEnded, `${label}: allEnded`);
    });
  });
}

const EO: Guarantee = 'exactly-once';
const ALO: Guarantee = 'at-least-once';

script('one channel aligns on every barrier', 1, EO, [
  [['barrier', 0, 1], [started(1), aligned(1, 0)], [], { pending: [] }],
  [['barrier', 0, 2], [started(2), aligned(2, 0)], []],
  [['end', 0], [], [], { allEnded: true, pending: [] }],
]);

for (const n of [1, 2, 3]) {
  const steps: Step[] = [];
  for (const id of [1, 2]) {
    // Checkpoint 2 arrives in reverse channel order, so the first barrier is not always channel 0's.
    const order = Array.from({ length: n }, (_, ch) => (id === 1 ? ch : n - 1 - ch));
    order.forEach((ch, k) => {
      const last = k === n - 1;
      const events = [...(k === 0 ? [started(id)] : []), ...(last ? [aligned(id, order[0]!)] : [])];
      steps.push([['barrier', ch, id], events, last ? [] : order.slice(0, k + 1).sort(), { pending: last ? [] : [id] }]);
    });
  }
  for (let ch = 0; ch < n; ch++) steps.push([['end', ch], [], [], { allEnded: ch === n - 1 }]);
  script(`${n} channel(s), barriers in order`, n, EO, steps);
}

script('interleaved barriers', 3, EO, [
  [['barrier', 1, 1], [started(1)], [1]],
  [['barrier', 2, 1], [], [1, 2]],
  [['barrier', 0, 1], [aligned(1, 1)], []],
  [['barrier', 2, 2], [started(2)], [2]],
  [['barrier', 0, 2], [], [0, 2]],
  [['barrier', 1, 2], [aligned(2, 2)], []],
  [['barrier', 0, 3], [started(3)], [0]],
  [['barrier', 1, 3], [], [0, 1]],
  [['end', 2], [aligned(3, 0)], []],
]);

script('obsolete barriers are ignored and do not block', 2, EO, [
  // Channel 0's producer skipped checkpoint 1, so channel 1's barrier 1 can never align.
  [['barrier', 0, 2], [started(2)], [0]],
  [['barrier', 1, 1], [], [0], { pending: [2] }],
  [['barrier', 1, 2], [aligned(2, 0)], []],
  [['barrier', 0, 1], [], [], { pending: [] }],
  [['barrier', 1, 3], [started(3)], [1]],
  [['barrier', 0, 3], [aligned(3, 1)], []],
]);

script('a newer barrier subsumes the pending checkpoint', 3, EO, [
  [['barrier', 0, 1], [started(1)], [0]],
  [['barrier', 1, 1], [], [0, 1]],
  [['barrier', 2, 2], [subsumed(1, 2), started(2)], [2], { pending: [2] }],
  [['barrier', 0, 2], [], [0, 2]],
  [['barrier', 1, 2], [aligned(2, 2)], []],
  [['barrier', 0, 1], [], []],
]);

script('end of input on a channel that has not delivered completes alignment', 3, EO, [
  [['barrier', 0, 1], [started(1)], [0]],
  [['end', 1], [], [0]],
  [['barrier', 2, 1], [aligned(1, 0)], []],
  [['barrier', 2, 2], [started(2)], [2]],
  [['end', 0], [aligned(2, 2)], [], { allEnded: false }],
  [['barrier', 2, 3], [started(3), aligned(3, 2)], []],
]);

script('end of input before any barrier', 2, EO, [
  [['end', 1], [], [], { pending: [] }],
  [['barrier', 0, 1], [started(1), aligned(1, 0)], []],
]);

script('all channels ended', 3, EO, [
  [['end', 0], [], [], { allEnded: false }],
  [['barrier', 1, 1], [started(1)], [1]],
  [['end', 2], [aligned(1, 1)], [], { allEnded: false }],
  [['end', 1], [], [], { allEnded: true, pending: [] }],
  [['abort', 2], [], []],
]);

script('abort during alignment unblocks; the late barrier is ignored', 2, EO, [
  [['barrier', 0, 1], [started(1)], [0]],
  [['abort', 1, 'checkpoint 1 expired after 1000 ms'], [aborted(1, 'checkpoint 1 expired after 1000 ms')], [], { pending: [] }],
  [['barrier', 1, 1], [], []],
  [['barrier', 1, 2], [started(2)], [1]],
  [['barrier', 0, 2], [aligned(2, 1)], []],
]);

script('abort of a future id makes only that id obsolete', 2, EO, [
  [['abort', 3], [], []],
  // An older checkpoint may still complete at the coordinator, so it still aligns here.
  [['barrier', 0, 2], [started(2)], [0]],
  [['barrier', 1, 2], [aligned(2, 0)], []],
  [['barrier', 1, 3], [], []],
  [['barrier', 0, 3], [], []],
  [['barrier', 0, 4], [started(4)], [0]],
  // Aborting another id leaves the pending checkpoint alone.
  [['abort', 5], [], [0], { pending: [4] }],
  [['barrier', 1, 4], [aligned(4, 0)], []],
  [['barrier', 1, 5], [], []],
]);

script('final and savepoint flags pass through', 2, EO, [
  [['barrier', 1, 1, { savepoint: '/sp' }], [started(1)], [1]],
  [['barrier', 0, 1, { savepoint: '/sp' }], [aligned(1, 1, { savepoint: '/sp' })], []],
  [['barrier', 0, 2, { final: true }], [started(2)], [0]],
  [['barrier', 1, 2, { final: true }], [aligned(2, 0, { final: true })], []],
  [['end', 0], [], []],
  [['end', 1], [], [], { allEnded: true }],
]);

script('never blocks', 2, ALO, [
  [['barrier', 0, 1], [started(1)], [], { pending: [1] }],
  [['barrier', 0, 2], [started(2)], [], { pending: [1, 2] }],
  [['barrier', 1, 1], [aligned(1, 0)], [], { pending: [2] }],
  [['barrier', 1, 2], [aligned(2, 0)], [], { pending: [] }],
]);

script('completes on the last channel', 3, ALO, [
  [['barrier', 2, 1], [started(1)], []],
  [['barrier', 0, 1], [], []],
  [['barrier', 1, 1], [aligned(1, 2)], [], { pending: [] }],
]);

script('a newer completion aborts the older pending one', 2, ALO, [
  [['barrier', 0, 1], [started(1)], []],
  [['barrier', 0, 2], [started(2)], [], { pending: [1, 2] }],
  [['barrier', 1, 2], [subsumed(1, 2), aligned(2, 0)], [], { pending: [] }],
  [['barrier', 1, 3], [started(3)], []],
  // Channel 0 skipped 3; its barrier 4 is newer, so 3 stays pending until 4 completes.
  [['barrier', 0, 4], [started(4)], [], { pending: [3, 4] }],
  [['barrier', 1, 4], [subsumed(3, 4), aligned(4, 0)], [], { pending: [] }],
]);

script('end of input completes pending checkpoints in order', 3, ALO, [
  [['barrier', 0, 1], [started(1)], []],
  [['barrier', 0, 2], [started(2)], []],
  [['barrier', 1, 1], [], []],
  [['barrier', 1, 2], [], [], { pending: [1, 2] }],
  [['end', 2], [aligned(1, 0), aligned(2, 0)], [], { pending: [] }],
  [['barrier', 0, 3], [started(3)], []],
  [['end', 1], [aligned(3, 0)], [], { pending: [] }],
  [['end', 0], [], [], { allEnded: true }],
]);

script('end of input completes the newest and subsumes older ones', 3, ALO, [
  [['barrier', 0, 1], [started(1)], []],
  [['barrier', 0, 2], [started(2)], []],
  // Channel 1 skipped checkpoint 1.
  [['barrier', 1, 2], [], [], { pending: [1, 2] }],
  [['end', 2], [subsumed(1, 2), aligned(2, 0)], [], { pending: [] }],
]);

script('end of every channel completes what is pending', 2, ALO, [
  [['barrier', 0, 1], [started(1)], []],
  [['end', 0], [], []],
  [['end', 1], [aligned(1, 0)], [], { allEnded: true, pending: [] }],
]);

script('obsolete barriers and aborts', 2, ALO, [
  [['barrier', 0, 2], [started(2)], []],
  [['barrier', 1, 1], [], [], { pending: [2] }],
  [['abort', 2], [aborted(2, 'timeout')], [], { pending: [] }],
  [['barrier', 1, 2], [], [], { pending: [] }],
  [['barrier', 1, 3], [started(3)], []],
  [['barrier', 0, 3], [aligned(3, 1)], []],
]);

function throwsNaming(t: Tap, fn: () => unknown, parts: string[], label: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  t.ok(caught instanceof Error, `${label}: throws an Error`);
  const message = caught instanceof Error ? caught.message : '';
  for (const part of parts) t.ok(message.includes(part), `${label}: message "${message}" names "${part}"`);
}

t.test('protocol violations throw', async (t) => {
  throwsNaming(t, () => new BarrierAligner(0, EO), ['at least one input channel'], 'no channels');
  for (const guarantee of [EO, ALO]) {
    const a = new BarrierAligner(2, guarantee);
    for (const ch of [-1, 2, 1.5]) {
      throwsNaming(t, () => a.onBarrier(ch, barrier(0, 1)), [`channel ${ch}`, 'barrier 1', 'no such input channel'], `${guarantee}: barrier on channel ${ch}`);
      throwsNaming(t, () => a.onEndOfInput(ch), [`channel ${ch}`, 'no such input channel'], `${guarantee}: end on channel ${ch}`);
      throwsNaming(t, () => a.isBlocked(ch), [`channel ${ch}`, 'no such input channel'], `${guarantee}: isBlocked(${ch})`);
    }
    throwsNaming(t, () => a.onBarrier(0, barrier(0, 1.5)), ['barrier 1.5', 'channel 0', 'integer'], `${guarantee}: fractional id`);
    a.onEndOfInput(1);
    throwsNaming(t, () => a.onBarrier(1, barrier(1, 1)), ['channel 1', 'barrier 1', 'already ended'], `${guarantee}: barrier after end`);
    throwsNaming(t, () => a.onEndOfInput(1), ['channel 1', 'already ended'], `${guarantee}: second end`);
    t.same(a.pending, [], `${guarantee}: a rejected barrier changes nothing`);
  }

  const eo = new BarrierAligner(2, EO);
  eo.onBarrier(0, barrier(0, 1));
  throwsNaming(t, () => eo.onBarrier(0, barrier(0, 1)), ['channel 0', 'barrier 1', 'blocked by checkpoint 1'], 'exactly-once: same barrier on a blocked channel');
  throwsNaming(t, () => eo.onBarrier(0, barrier(0, 2)), ['channel 0', 'barrier 2', 'blocked by checkpoint 1'], 'exactly-once: newer barrier on a blocked channel');
  throwsNaming(t, () => eo.onEndOfInput(0), ['channel 0', 'blocked by checkpoint 1'], 'exactly-once: end on a blocked channel');
  eo.onBarrier(1, barrier(1, 1));
  throwsNaming(t, () => eo.onBarrier(1, barrier(1, 1)), ['channel 1', 'barrier 1', 'already delivered'], 'exactly-once: repeated barrier after alignment');

  const alo = new BarrierAligner(2, ALO);
  alo.onBarrier(0, barrier(0, 1));
  throwsNaming(t, () => alo.onBarrier(0, barrier(0, 1)), ['channel 0', 'barrier 1', 'already delivered'], 'at-least-once: repeated barrier while pending');
  t.same(alo.pending, [1], 'at-least-once: the repeat did not count');
  t.same(alo.onBarrier(1, barrier(1, 1)), [aligned(1, 0)], 'at-least-once: the other channel still completes it');
});

type Message = { kind: 'record' } | { kind: 'barrier'; id: number } | { kind: 'end' };

/** Runs one random schedule and returns every broken property (empty when all hold). */
function randomRun(seed: number, guarantee: Guarantee): string[] {
  const rand = mulberry32(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const channels = 1 + int(4);
  const checkpoints = 1 + int(6);
  const delivers = Array.from({ length: channels }, () => Array.from({ length: checkpoints + 1 }, () => rand() < 0.75));
  const queues: Message[][] = delivers.map((has) => {
    const q: Message[] = [];
    for (let id = 1; id <= checkpoints; id++) {
      for (let r = int(4); r > 0; r--) q.push({ kind: 'record' });
      if (has[id]) q.push({ kind: 'barrier', id });
    }
    for (let r = int(4); r > 0; r--) q.push({ kind: 'record' });
    q.push({ kind: 'end' });
    return q;
  });
  const aligner = new BarrierAligner(channels, guarantee);
  const problems: string[] = [];
  const startedIds = new Set<number>();
  const alignedIds: number[] = [];
  const abortedIds = new Set<number>();
  const excused = new Set<number>();
  const lastBarrier: (number | undefined)[] = new Array(channels).fill(undefined);
  const record = (events: AlignmentEvent[]) => {
    for (const e of events) {
      if (e.kind === 'started') startedIds.add(e.id);
      else if (e.kind === 'aborted') abortedIds.add(e.id);
      else {
        const prev = alignedIds.at(-1);
        if (prev !== undefined && e.barrier.id <= prev) problems.push(`aligned ${e.barrier.id} after ${prev}`);
        if (!startedIds.has(e.barrier.id)) problems.push(`aligned ${e.barrier.id} without starting it`);
        alignedIds.push(e.barrier.id);
      }
    }
  };
  for (let step = 0; ; step++) {
    const readable = queues.map((_, ch) => ch).filter((ch) => queues[ch]!.length > 0 && !aligner.isBlocked(ch));
    if (readable.length === 0) {
      const stuck = queues.flatMap((q, ch) => (q.length > 0 ? [`${ch} (${q.length} left)`] : []));
      if (stuck.length > 0) problems.push(`deadlock with messages left on channels ${stuck.join(', ')}`);
      break;
    }
    if (rand() < 0.03) {
      // The coordinator gives up on a checkpoint, pending here or not; only that one may then
      // fail to align, since an older checkpoint can still be completed by the coordinator.
      const pending = aligner.pending;
      const id = pending.length > 0 && rand() < 0.5 ? pending[int(pending.length)]! : 1 + int(checkpoints);
      if (!alignedIds.includes(id)) excused.add(id);
      record(aligner.abort(id, 'timeout'));
    }
    const ch = readable[int(readable.length)]!;
    const pendingBefore = aligner.pending;
    if (guarantee === 'exactly-once' && lastBarrier[ch] !== undefined && pendingBefore.includes(lastBarrier[ch])) {
      problems.push(`step ${step}: channel ${ch} read after its barrier ${lastBarrier[ch]} while it is pending`);
    }
    if (guarantee === 'at-least-once' && aligner.isBlocked(ch)) problems.push(`step ${step}: at-least-once blocked channel ${ch}`);
    const msg = queues[ch]!.shift()!;
    if (msg.kind === 'barrier') {
      lastBarrier[ch] = msg.id;
      record(aligner.onBarrier(ch, { id: msg.id, timestamp: step }));
    } else if (msg.kind === 'end') {
      record(aligner.onEndOfInput(ch));
    }
  }
  for (const id of alignedIds) if (abortedIds.has(id)) problems.push(`checkpoint ${id} both aligned and aborted`);
  for (let id = 1; id <= checkpoints; id++) {
    if (delivers.every((has) => has[id]) && !excused.has(id) && !alignedIds.includes(id)) {
      problems.push(`checkpoint ${id} was delivered on every channel but never aligned`);
    }
  }
  if (!aligner.allEnded) problems.push('not every channel ended');
  if (aligner.pending.length > 0) problems.push(`still pending after every channel ended: ${aligner.pending.join(', ')}`);
  return problems;
}

t.test('random schedules keep the alignment properties', async (t) => {
  for (const guarantee of [EO, ALO]) {
    for (let seed = 1; seed <= 200; seed++) t.same(randomRun(seed, guarantee), [], `${guarantee} seed ${seed}`);
  }
});
