/** Task metrics on the main thread: rates and time shares over each actor's last reporting interval. */
import t from 'tap';
import { TaskMetrics } from '../../../runtime/metrics/task-metrics.js';
import type { ActorMetricsReport } from '../../../runtime/transport/protocol.js';

const report = (r: Partial<ActorMetricsReport>): ActorMetricsReport => ({
  at: 0, elapsedMs: 0, recordsIn: 0, recordsOut: 0, busyMs: 0, backPressuredMs: 0, checkpointAlignmentMs: 0, ...r,
});
const map0 = { chain: 1, subtask: 0, operator: 'Map' };

t.test('rates and time shares are taken over the last interval', async (t) => {
  const m = new TaskMetrics();
  m.add(map0, report({ at: 1000, elapsedMs: 1000, recordsIn: 5000, recordsOut: 4000, busyMs: 900 }));
  let [row] = m.rows();
  t.match(row, { numRecordsInPerSecond: 5000, numRecordsOutPerSecond: 4000, busyTimeMsPerSecond: 900, idleTimeMsPerSecond: 100 }, 'the first report: since the actor started');
  m.add(map0, report({ at: 3000, elapsedMs: 3000, recordsIn: 6000, recordsOut: 4500, busyMs: 1100, backPressuredMs: 1000, checkpointAlignmentMs: 12, watermark: 42 }));
  [row] = m.rows();
  t.match(row, {
    recordsIn: 6000, numRecordsInPerSecond: 500, numRecordsOutPerSecond: 250,
    busyTimeMsPerSecond: 100, backPressuredTimeMsPerSecond: 500, idleTimeMsPerSecond: 400, checkpointAlignmentTime: 12, watermark: 42,
  }, 'later ones: the difference to the one before');
});

t.test('an actor of a new attempt starts over; rows come by chain, then subtask', async (t) => {
  const m = new TaskMetrics();
  m.add({ chain: 2, subtask: 0, operator: 'Sink' }, report({ elapsedMs: 1000, recordsIn: 10 }));
  m.add({ chain: 1, subtask: 1, operator: 'Map' }, report({ elapsedMs: 1000, recordsIn: 10 }));
  m.add(map0, report({ elapsedMs: 5000, recordsIn: 50_000 }));
  m.add(map0, report({ elapsedMs: 1000, recordsIn: 300 }));
  const rows = m.rows();
  t.same(rows.map((r) => `${r.operator}#${r.subtask}`), ['Map#0', 'Map#1', 'Sink#0']);
  t.equal(rows[0].numRecordsInPerSecond, 300, 'counters that went back mean a new actor: no negative rate');
  m.clear();
  t.same(m.rows(), []);
});
