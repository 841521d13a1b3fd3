/** The live picture of a job: latency markers from every source subtask, task metrics, checkpoints, restarts, its end. */
import t from 'tap';
import { join } from 'node:path';
import { ManualClock } from '../../../base/clock.js';
import { execute } from '../../../runtime/execute.js';
import { defineJob } from '../../../runtime/api/job.js';
import { JobMonitor } from '../../../runtime/job/monitor.js';
import { RECORDS, KEYS } from '../../support/recovery.js';
import { tempDir } from '../../support/files.js';

const JOB = new URL('../../fixtures/jobs/exactly-once.js', import.meta.url);

const counting = defineJob((env) => {
  env.fromGenerator({ records: 3000, keys: 60, distribution: 'cyclic', seed: 1 })
    .map((r) => r.customer_id, 'Key')
    .keyBy((k) => k)
    .reduce((a) => a, 'Reduce')
    .collect('out');
});

for (const parallelism of [1, 2, 3]) {
  t.test(`p=${parallelism}: a source subtask's marker crosses the job to a sink and is measured there once`, async (t) => {
    // Time stands still: each source subtask sends its first marker with its first poll, and no other.
    const result = await execute(counting, { local: true, parallelism, chaining: false, clock: new ManualClock(), metrics: { latencyIntervalMs: 50 } });
    const sources = result.stats.actors.filter((a) => a.operator.startsWith('Source')).length;
    t.equal(sources, parallelism);
    t.equal(result.stats.latency?.count, sources, 'one marker per source subtask, none lost or doubled on the way');
    t.equal(result.results.out.length, 3000, 'the records are all there');
  });
}

t.test('without a latency interval no marker is sent', async (t) => {
  const result = await execute(counting, { local: true, parallelism: 2, chaining: false, clock: new ManualClock(), metrics: { latencyIntervalMs: 0 } });
  t.equal(result.stats.latency, undefined);
});

t.test('a monitor follows a job with checkpoints, a restart and its restore to its end', async (t) => {
  const dir = await tempDir(t, 'monitor');
  const monitor = new JobMonitor();
  const seen: string[] = [];
  monitor.listen((e) => seen.push(e.kind));
  t.equal(monitor.state, 'INITIALIZING');
  const result = await execute(JOB, {
    local: true, parallelism: 2, params: { records: RECORDS, keys: KEYS, rate: 15_000 }, stateBackend: 'lmdb', stateDir: join(dir, 'state'),
    checkpointing: { intervalMs: 25, mode: 'incremental', dir: join(dir, 'ckpt') }, injectFailures: ['records=2600@Pass#1'],
    restart: { strategy: 'fixed-delay', attempts: 3, delayMs: 0 }, metrics: { intervalMs: 20, latencyIntervalMs: 5 }, monitor, log: () => {},
  });
  t.equal(monitor.state, 'FINISHED');
  t.ok(monitor.endTime >= monitor.startTime);
  t.ok(monitor.jobId.length > 0 && monitor.jobName === 'exactly-once', `job ${monitor.jobName} ${monitor.jobId}`);
  t.same(monitor.vertices.map((v) => [v.name, v.parallelism, v.isSource]), [['Source: Generator -> Pass', 2, true], ['Checker -> out', 2, false]], 'the chains of the plan');
  t.same(monitor.vertices[1].inputs, [{ from: 0, partitioning: 'hash' }], 'fed by the source through a keyBy');
  t.same(monitor.checkpoints.map((c) => c.summary.id), result.stats.checkpoints!.checkpoints.map((c) => c.id), 'every checkpoint of every attempt, as it ended');
  t.equal(monitor.numRestarts, 1);
  t.equal(monitor.restored?.checkpointId, result.stats.restores[0].checkpointId, 'the restore names the checkpoint restored');
  t.ok(seen.includes('restart') && seen.includes('restore') && seen.includes('checkpoint'), 'listeners hear the events');
  const rows = monitor.tasks.rows();
  t.equal(rows.length, result.stats.actors.length, 'a row per actor of the last attempt');
  for (const a of result.stats.actors) {
    const row = rows.find((r) => r.chain === a.chain && r.subtask === a.subtask)!;
    t.same([row.recordsIn, row.recordsOut], [a.recordsIn, a.recordsOut], `${a.operator}: the last report holds the final counts`);
  }
  const latency = result.stats.latency!;
  t.ok(latency.count > 0, `${latency.count} markers measured`);
  t.ok(latency.intervals.length > 0 && latency.intervals.every((i, k) => k === 0 || i.at > latency.intervals[k - 1].at), 'per interval, in time order');
  t.equal(latency.intervals.reduce((n, i) => n + i.count, 0), latency.count, 'the intervals hold every marker once');
  t.ok(latency.p50 <= latency.p99 && latency.p99 <= latency.p999 && latency.p999 <= latency.max);
  t.equal(monitor.inProgressCheckpoints, 0);
  const points = monitor.throughput.points();
  t.ok(points.length > 0 && points.some((p) => p.sourceRecordsPerSec > 0) && points.some((p) => p.sinkRecordsPerSec > 0), 'throughput per interval at sources and sinks');
});

t.test('a failing job leaves its monitor FAILED with the cause', async (t) => {
  const monitor = new JobMonitor();
  const broken = defineJob((env) => {
    env.fromCollection([1, 2, 3]).map((n) => {
      if (n === 2) throw new Error('two is bad');
      return n;
    }, 'Picky').collect('out');
  });
  await t.rejects(execute(broken, { local: true, monitor }), /two is bad/);
  t.equal(monitor.state, 'FAILED');
  t.match(monitor.failure, /two is bad/);
});
