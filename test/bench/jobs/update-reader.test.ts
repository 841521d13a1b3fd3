/**
 * The update source of the checkpoint bench and the experiment, polled by hand: where it
 * pauses for a checkpoint, which completions release it, and which keys it emits.
 */
import t from 'tap';
import type { OperatorContext } from '../../../operators/api.js';
import { systemClock } from '../../../base/clock.js';
import { UpdateReader, strideFor, type Update, type UpdateReaderParams } from '../../../bench/jobs/update-reader.js';
import { operatorContext } from '../../support/context.js';

/** A reader with a context that counts checkpoint requests, and a poll that collects what it emits. */
function harness(p: Partial<UpdateReaderParams>) {
  const params: UpdateReaderParams = { keys: 10, updateRatio: 0.3, mode: 'rounds', rounds: 2, checkpointLastRound: false, updates: 0, ...p };
  const reader = new UpdateReader(params);
  const state = { requests: 0, emitted: [] as Update[], metrics: {} as Record<string, unknown> };
  const ctx: OperatorContext = operatorContext('Source: Updates', {
    clock: systemClock, metrics: state.metrics,
    toCoordinator: (msg) => {
      if (msg.kind === 'request-checkpoint') state.requests++;
    },
  });
  reader.open(ctx);
  /** Polls once synchronously; a waiting reader's poll returns a promise and emits nothing. */
  const poll = (max = 1000): boolean | 'waiting' => {
    const r = reader.poll(max, { collect: (u: Update) => state.emitted.push(u) });
    return typeof r === 'boolean' ? r : 'waiting';
  };
  return { reader, state, poll };
}

t.test('rounds mode pauses after the load and after each round but the last, released only by a checkpoint taken in the pause', async (t) => {
  const { reader, state, poll } = harness({ keys: 10, updateRatio: 0.3, rounds: 2 });
  t.equal(poll(), true);
  t.equal(state.emitted.length, 10, 'the load is one phase');
  t.equal(state.requests, 1);
  t.equal(poll(), 'waiting');
  reader.notifyCheckpointComplete();
  t.equal(poll(), 'waiting', 'a completion with no barrier taken in the pause (an older checkpoint) does not release it');
  reader.position();
  reader.notifyCheckpointComplete();
  t.equal(poll(), true);
  t.equal(state.emitted.length, 13, 'one round is 30% of the keys');
  t.equal(state.requests, 2);
  reader.position();
  reader.notifyCheckpointComplete();
  t.equal(poll(), false, 'the last round ends the source without a requested checkpoint');
  t.equal(state.emitted.length, 16);
  t.equal(state.requests, 2, 'the final checkpoint covers the last round');
});

t.test('rounds mode with checkpointLastRound pauses once after the last round too', async (t) => {
  const { reader, state, poll } = harness({ keys: 10, updateRatio: 0.3, rounds: 2, checkpointLastRound: true });
  const release = () => {
    reader.position();
    reader.notifyCheckpointComplete();
  };
  poll();
  release();
  poll();
  release();
  t.equal(poll(), true);
  t.equal(state.requests, 3, 'after the load and after both rounds');
  t.equal(poll(), 'waiting');
  release();
  t.equal(poll(), false);
  t.equal(state.requests, 3, 'no second pause at the end');
  t.equal(state.emitted.length, 16);
});

t.test('each round updates distinct keys, spread by a stride coprime with the key count', async (t) => {
  const keys = 12;
  t.ok([1, 5, 7, 11].includes(strideFor(keys) % keys), 'stride is coprime with 12');
  const { reader, state, poll } = harness({ keys, updateRatio: 0.5, rounds: 2 });
  poll();
  reader.position();
  reader.notifyCheckpointComplete();
  poll();
  reader.position();
  reader.notifyCheckpointComplete();
  poll();
  const updates = state.emitted.slice(keys).map((u) => u.key);
  t.same(state.emitted.slice(0, keys).map((u) => u.key), Array.from({ length: keys }, (_, i) => 'k' + i));
  t.equal(new Set(updates).size, keys, 'two rounds of half the keys touch every key once');
  t.same(state.emitted.map((u) => u.seq), Array.from({ length: 2 * keys }, (_, i) => i));
});

t.test('stream mode cycles over the hot keys and reports when its updates began and ended', async (t) => {
  const { state, poll } = harness({ mode: 'stream', keys: 10, updateRatio: 0.2, updates: 20 });
  t.equal(poll(7), true);
  t.equal(poll(7), true, 'a batch stops at the end of the load');
  t.equal(state.emitted.length, 10);
  while (poll(7) === true);
  t.equal(state.emitted.length, 30);
  t.equal(new Set(state.emitted.slice(10).map((u) => u.key)).size, 2, '20% of 10 keys are hot');
  t.equal(state.requests, 0);
  t.type(state.metrics.updatesFrom, 'number');
  t.type(state.metrics.updatesUntil, 'number');
});

t.test('stream mode with checkpointAfterLoad waits for a checkpoint of the loaded state', async (t) => {
  const { reader, state, poll } = harness({ mode: 'stream', keys: 10, updateRatio: 0.2, updates: 20, checkpointAfterLoad: true });
  t.equal(poll(), true);
  t.equal(state.requests, 1);
  reader.notifyCheckpointComplete();
  t.equal(poll(), 'waiting', 'a checkpoint begun during the load does not release it');
  reader.position();
  reader.notifyCheckpointComplete();
  t.equal(poll(), false);
  t.equal(state.emitted.length, 30);
  t.equal(state.requests, 1);
});

t.test('an aborted checkpoint taken in the pause is asked for again', async (t) => {
  const { reader, state, poll } = harness({ keys: 10, updateRatio: 0.3, rounds: 2 });
  poll();
  t.equal(state.requests, 1);
  reader.notifyCheckpointAborted();
  t.equal(state.requests, 1, 'an abort of a checkpoint begun before the pause changes nothing');
  reader.position();
  reader.notifyCheckpointAborted();
  t.equal(state.requests, 2, 'asked again');
  reader.notifyCheckpointComplete();
  t.equal(poll(), 'waiting', 'the aborted barrier does not count: the new one must be taken');
  reader.position();
  reader.notifyCheckpointComplete();
  t.equal(poll(), true);
  t.equal(state.emitted.length, 13);
});
