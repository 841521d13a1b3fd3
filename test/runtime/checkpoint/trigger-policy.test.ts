import t from 'tap';
import { nextTrigger, type TriggerState } from '../../../runtime/checkpoint/trigger-policy.js';

/** A coordinator that could trigger a periodic checkpoint at t = 1000, one interval after the last trigger. */
const base: TriggerState = {
  now: 1000, ended: false, ready: true, inFlight: 0, stopping: false, maxConcurrent: 1, savepointWaiting: false,
  finalRequested: false, requested: false, lastTrigger: 0, lastEnd: -Infinity, intervalMs: 1000, minPauseMs: 0,
};
const at = (over: Partial<TriggerState>) => nextTrigger({ ...base, ...over });

t.test('a periodic checkpoint is due one interval after the last trigger', async (t) => {
  t.same(at({}), { action: 'checkpoint', final: false }, 'due exactly at the interval');
  t.same(at({ now: 400 }), { action: 'wait', ms: 600 }, 'early: wait for the rest of the interval');
  t.same(at({ now: 5000 }), { action: 'checkpoint', final: false }, 'late (a checkpoint ran long): at once');
});

t.test('nothing is triggered before every actor runs, after the job ended, or beyond the concurrency limit', async (t) => {
  t.same(at({ ready: false }), { action: 'none' }, 'not every actor running');
  t.same(at({ ended: true }), { action: 'none' }, 'halted or final checkpoint done');
  t.same(at({ inFlight: 1 }), { action: 'none' }, 'one in flight, one allowed');
  t.same(at({ inFlight: 1, maxConcurrent: 2 }), { action: 'checkpoint', final: false }, 'two allowed');
});

t.test('the minimum pause counts from the end of the last checkpoint', async (t) => {
  t.same(at({ lastEnd: 900, minPauseMs: 500 }), { action: 'wait', ms: 400 }, 'the pause outlasts the interval');
  t.same(at({ lastEnd: 200, minPauseMs: 500 }), { action: 'checkpoint', final: false }, 'the pause is over');
  t.same(at({ now: 1000, lastEnd: 900, minPauseMs: 500, requested: true }), { action: 'wait', ms: 400 }, 'a request waits for the pause too');
});

t.test('a requested checkpoint does not wait for the interval', async (t) => {
  t.same(at({ now: 10, requested: true }), { action: 'checkpoint', final: false });
  t.same(at({ now: 10, requested: true, inFlight: 1 }), { action: 'none' }, 'but for the concurrency limit');
});

t.test('savepoints go first, and nothing follows a stop-with-savepoint', async (t) => {
  t.same(at({ now: 10, savepointWaiting: true }), { action: 'savepoint' }, 'a savepoint does not wait for the interval');
  t.same(at({ now: 10, savepointWaiting: true, inFlight: 1 }), { action: 'none' }, 'it respects the concurrency limit');
  t.same(at({ stopping: true, inFlight: 1, maxConcurrent: 3 }), { action: 'none' }, 'a stop in flight: nothing more');
});

t.test('the final checkpoint goes alone, at once, and no savepoint is taken once it is due', async (t) => {
  t.same(at({ now: 10, finalRequested: true }), { action: 'checkpoint', final: true }, 'the sources are exhausted: now');
  t.same(at({ now: 10, finalRequested: true, inFlight: 1, maxConcurrent: 4 }), { action: 'none' }, 'after what is in flight');
  t.same(at({ now: 10, finalRequested: true, savepointWaiting: true }), { action: 'checkpoint', final: true }, 'before a waiting savepoint');
  t.same(at({ now: 10, finalRequested: true, lastEnd: 5, minPauseMs: 100 }), { action: 'wait', ms: 95 }, 'after the minimum pause');
});
