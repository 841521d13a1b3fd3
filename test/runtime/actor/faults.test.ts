/** The actor's side of failure injection: each armed injection fires once, at its point. */
import t from 'tap';
import { FaultInjector, type FailureInjection } from '../../../runtime/actor/faults.js';
import { InjectedFailure } from '../../../base/errors.js';
import type { ControlFromActor } from '../../../runtime/transport/protocol.js';

const origin = { operator: 'Window', subtask: 1 };
const atCheckpoint = (checkpointId: number, operator = 'Window'): FailureInjection =>
  ({ id: 1, point: { at: 'checkpoint', checkpointId, operator, subtask: 1 }, kind: 'throw', spec: `checkpoint=${checkpointId}@${operator}#1` });

t.test('a checkpoint injection fires at its checkpoint, or at the first later one when its own never came', async (t) => {
  const sent: ControlFromActor[] = [];
  const f = new FaultInjector([atCheckpoint(3)], 1, origin, (m) => void sent.push(m));
  t.equal(f.duringCheckpoint(2, ['Window']), undefined, 'not before checkpoint 3');
  t.equal(f.duringCheckpoint(3, ['Pass']), undefined, 'not at another chain');
  const late = f.duringCheckpoint(5, ['Pass', 'Window']);
  t.equal(late?.id, 1, 'checkpoint 3 was aborted elsewhere: fires at checkpoint 5');
  t.throws(() => f.fire(late!), InjectedFailure);
  t.same(sent, [{ kind: 'injected', id: 1 }], 'the coordinator is told first');
  t.equal(f.duringCheckpoint(6, ['Window']), undefined, 'and only once');
});

t.test('an injection for another subtask is not armed here', async (t) => {
  const f = new FaultInjector([atCheckpoint(1)], 0, origin, () => {});
  t.ok(f.idle);
  t.equal(f.duringCheckpoint(1, ['Window']), undefined);
});

t.test('a record count fires after exactly N records, once', async (t) => {
  const inj: FailureInjection = { id: 2, point: { at: 'records', count: 3, operator: 'Pass', subtask: 1 }, kind: 'throw', spec: 'records=3@Pass#1' };
  const f = new FaultInjector([inj], 1, origin, () => {});
  const seen: unknown[] = [];
  const next = f.countRecords('Pass', (r) => void seen.push(r));
  next('a');
  next('b');
  t.throws(() => next('c'), InjectedFailure, 'the third record fails');
  t.same(seen, ['a', 'b', 'c'], 'after it was processed');
  next('d');
  t.same(seen, ['a', 'b', 'c', 'd'], 'later records pass');
});
