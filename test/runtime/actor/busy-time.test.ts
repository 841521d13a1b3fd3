/** Each actor's busy, idle and backpressured time, as Flink's task metrics give them. */
import t from 'tap';
import { execute } from '../../../runtime/execute.js';

const JOB = new URL('../../fixtures/jobs/spin.js', import.meta.url);

t.test('an actor is busy at least as long as its operator works, and the three times make up its second', async (t) => {
  const records = 20;
  const spinMs = 2;
  const result = await execute(JOB, { local: true, parallelism: 1, chaining: false, params: { records, spinMs } });
  t.equal((result.results.out ?? []).length, records);
  const spin = result.stats.actors.find((a) => a.operator.startsWith('Spin'))!;
  t.ok(spin.busyMs >= records * spinMs, `the map's actor was busy ${spin.busyMs.toFixed(1)} ms, at least the ${records * spinMs} ms its operator spun`);
  for (const a of result.stats.actors) {
    const { busy, idle, backPressured } = a.timeMsPerSecond;
    t.ok(Math.abs(busy + idle + backPressured - 1000) < 0.5, `${a.operator}: busy ${busy} + idle ${idle} + backpressured ${backPressured} ms per second make 1000`);
    t.ok(a.busyMs >= 0 && a.idleMs >= 0, `${a.operator}: no negative time`);
  }
});
