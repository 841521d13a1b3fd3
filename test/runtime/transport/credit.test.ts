import t from 'tap';
import { ChannelError } from '../../../base/errors.js';
import { CreditReturner, CreditWindow } from '../../../runtime/transport/credit.js';

t.test('the sender spends one credit per batch and may send none without', async (t) => {
  const w = new CreditWindow(2, { operator: 'Map', subtask: 0, parallelism: 1 });
  t.same([w.credits, w.inFlight], [2, 0], 'the whole window at the start');
  w.spend();
  w.spend();
  t.same([w.credits, w.inFlight], [0, 2], 'the window used up');
  t.throws(() => w.spend(), ChannelError, 'a batch without credit is a channel failure');
  t.throws(() => w.spend(), /operator "Map" subtask 1\/1: channel failure: batch sent without credit/, 'naming the sender');
  w.grant(1);
  t.same([w.credits, w.inFlight], [1, 1], 'credit came back for one batch');
});

t.test('the receiver returns credit in groups of half the window, never fewer than one', async (t) => {
  const given: number[] = [];
  const r = new CreditReturner(4, (n) => given.push(n));
  for (let i = 0; i < 5; i++) r.release();
  t.same(given, [2, 2], 'two groups of two; the fifth waits for its pair');
  const one: number[] = [];
  const small = new CreditReturner(1, (n) => one.push(n));
  small.release();
  t.same(one, [1], 'a window of one returns each batch at once');
});
