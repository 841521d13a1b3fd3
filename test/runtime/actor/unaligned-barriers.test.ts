import t from 'tap';
import { UnalignedBarriers, type UnalignedEvent } from '../../../runtime/actor/unaligned-barriers.js';
import type { BarrierInfo } from '../../../runtime/actor/barrier-aligner.js';

/** What the actor hands the tracker: a barrier as it arrives, an end of input, a coordinator abort, or an aligned checkpoint that timed out. */
type Action =
  | ['barrier', channel: number, id: number]
  | ['end', channel: number]
  | ['abort', id: number]
  | ['switch', id: number, delivered: number[]];
/** An action, the events it must return, and per channel the checkpoints it records for afterwards. */
type Step = [Action, UnalignedEvent[], number[][]];

const barrier = (id: number): BarrierInfo => ({ id, timestamp: 1000 * id });
const snapshot = (id: number, recording: number[]): UnalignedEvent => ({ kind: 'snapshot', barrier: barrier(id), recording });
const recorded = (id: number): UnalignedEvent => ({ kind: 'recorded', id });
const aborted = (id: number): UnalignedEvent => ({ kind: 'aborted', id, reason: 'expired' });

function apply(u: UnalignedBarriers, a: Action): UnalignedEvent[] {
  switch (a[0]) {
    case 'barrier': return u.onBarrier(a[1], barrier(a[2]));
    case 'end': return u.onEndOfInput(a[1]);
    case 'abort': return u.abort(a[1], 'expired');
    case 'switch': return u.start(barrier(a[1]), new Set(a[2]));
  }
}

function script(name: string, channels: number, steps: Step[]): void {
  t.test(name, async (t) => {
    const u = new UnalignedBarriers(channels);
    steps.forEach(([action, events, recording], i) => {
      const label = `step ${i + 1} ${JSON.stringify(action)}`;
      t.same(apply(u, action), events, `${label}: events`);
      t.same(Array.from({ length: channels }, (_, c) => u.recordingFor(c)), recording, `${label}: recording per channel`);
    });
  });
}

script('one channel: every barrier snapshots and is whole at once', 1, [
  [['barrier', 0, 1], [snapshot(1, []), recorded(1)], [[]]],
  [['barrier', 0, 2], [snapshot(2, []), recorded(2)], [[]]],
]);

for (const channels of [2, 3]) {
  const others = Array.from({ length: channels - 1 }, (_, i) => i + 1);
  script(`${channels} channels: the first barrier snapshots, the others record until theirs arrive`, channels, [
    [['barrier', 0, 1], [snapshot(1, others)], [[], ...others.map(() => [1])]],
    ...others.slice(0, -1).map((c): Step => [['barrier', c, 1], [], [[], ...others.map((o) => (o <= c ? [] : [1]))]]),
    [['barrier', channels - 1, 1], [recorded(1)], Array.from({ length: channels }, () => [])],
  ]);
}

script('a barrier on a later channel may come first', 3, [
  [['barrier', 2, 4], [snapshot(4, [0, 1])], [[4], [4], []]],
  [['barrier', 0, 4], [], [[], [4], []]],
  [['barrier', 1, 4], [recorded(4)], [[], [], []]],
]);

script('two checkpoints record at once; each channel delivers them in order', 2, [
  [['barrier', 0, 1], [snapshot(1, [1])], [[], [1]]],
  [['barrier', 0, 2], [snapshot(2, [1])], [[], [1, 2]]],
  [['barrier', 1, 1], [recorded(1)], [[], [2]]],
  [['barrier', 1, 2], [recorded(2)], [[], []]],
]);

script('an ended channel records for nothing and holds nothing back', 3, [
  [['end', 2], [], [[], [], []]],
  [['barrier', 0, 1], [snapshot(1, [1])], [[], [1], []]],
  [['end', 1], [recorded(1)], [[], [], []]],
]);

script('an aborted checkpoint stops recording, and its late barriers are obsolete', 2, [
  [['barrier', 0, 1], [snapshot(1, [1])], [[], [1]]],
  [['abort', 1], [aborted(1)], [[], []]],
  [['barrier', 1, 1], [], [[], []]],
  [['abort', 3], [], [[], []]],
  [['barrier', 0, 3], [], [[], []]],
  [['barrier', 0, 4], [snapshot(4, [1])], [[], [4]]],
]);

script('an aligned checkpoint that timed out records only on the channels that had not delivered', 3, [
  [['switch', 5, [0, 2]], [snapshot(5, [1])], [[], [5], []]],
  [['switch', 5, [0]], [], [[], [5], []]],
  [['barrier', 1, 5], [recorded(5)], [[], [], []]],
]);

script('a switch with every channel delivered is whole at once', 2, [
  [['switch', 2, [0, 1]], [snapshot(2, []), recorded(2)], [[], []]],
]);

t.test('misuse is refused with the channel named', async (t) => {
  t.throws(() => new UnalignedBarriers(0), /at least one input channel/);
  const u = new UnalignedBarriers(2);
  t.throws(() => u.onBarrier(2, barrier(1)), /channel 2: no such input channel/);
  u.onEndOfInput(1);
  t.throws(() => u.onBarrier(1, barrier(1)), /channel 1: the channel has already ended/);
  t.throws(() => u.onEndOfInput(1), /already ended/);
  t.notOk(u.active);
  u.onBarrier(0, barrier(1));
  t.notOk(u.active, 'one open channel: whole at once');
});
