/** The REST server of a running job: Flink's routes and shapes, savepoints and cancellation on request, Prometheus metrics. */
import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CancelledError } from '../../base/errors.js';
import { serveRunningJob } from '../support/running-job.js';

const STAT_KEYS = ['min', 'max', 'avg', 'p50', 'p90', 'p95', 'p99', 'p999'];

t.test('a running job answers in Flink\'s shapes, takes a savepoint on request and is cancelled by a PATCH', async (t) => {
  const job = await serveRunningJob(t);
  let jid = '';
  await job.until(async () => (jid = (await job.get('/jobs/overview')).body.jobs[0].jid) !== '');
  await job.until(async () => (await job.get(`/jobs/${jid}/checkpoints`)).body.counts.completed >= 2);

  const overview = (await job.get('/jobs/overview')).body.jobs[0];
  t.match(overview, { jid, name: 'exactly-once', state: 'RUNNING', 'end-time': -1, tasks: { total: 4, running: 4 } }, 'the overview');

  const details = (await job.get(`/jobs/${jid}`)).body;
  t.same(details.vertices.map((v: any) => [v.id, v.name, v.parallelism]), [['0', 'Source: Generator -> Pass', 2], ['1', 'Checker -> out', 2]], 'the vertices');
  t.match(details.plan.nodes[1].inputs, [{ id: '0', ship_strategy: 'HASH' }], 'the plan: the checker is fed through a keyBy');
  t.ok(details.vertices[0].metrics['write-records'] > 0, 'vertex figures from the task metrics');

  const stats = (await job.get(`/jobs/${jid}/checkpoints`)).body;
  t.match(stats.counts, { restored: 0, failed: 0 });
  t.equal(stats.counts.total, stats.counts.completed + stats.counts.failed + stats.counts.in_progress);
  for (const k of ['checkpointed_size', 'state_size', 'end_to_end_duration']) t.same(Object.keys(stats.summary[k]).sort(), [...STAT_KEYS].sort(), `summary of ${k}`);
  const latest = stats.latest.completed;
  t.match(latest, { status: 'COMPLETED', is_savepoint: false, checkpoint_type: 'CHECKPOINT', num_subtasks: 4, num_acknowledged_subtasks: 4 });
  t.ok(existsSync(join(latest.external_path, '_metadata')), 'the latest completed checkpoint is where it says');
  t.ok(stats.history.length >= 2 && stats.history[0].id >= stats.history[1].id, 'the history, newest first');
  for (const k of ['end_to_end_duration', 'state_size', 'checkpointed_size', 'trigger_timestamp']) t.type(latest[k], 'number', `latest.completed.${k}`);

  const one = (await job.get(`/jobs/${jid}/checkpoints/details/${latest.id}`)).body;
  t.same(Object.keys(one.tasks), ['0', '1'], 'details per task');
  for (const task of Object.values(one.tasks) as any[]) {
    t.equal(task.subtasks.length, 2, `${task.name}: every subtask`);
    for (const s of task.subtasks) {
      t.type(s.checkpoint.sync, 'number');
      t.type(s.checkpoint.async, 'number');
      t.type(s.alignment.duration, 'number');
      t.type(s.start_delay, 'number');
      t.type(s.state_size, 'number');
    }
  }
  t.same((await job.get(`/jobs/${jid}/checkpoints/details/${latest.id}/subtasks/1`)).body.subtasks.map((s: any) => s.index), [0, 1], 'one task\'s subtasks');
  const missing = await job.get(`/jobs/${jid}/checkpoints/details/999999`);
  t.same([missing.status, missing.body.errors.length], [404, 1], 'an unknown checkpoint: 404 with the reason');
  t.equal((await job.get('/jobs/nope/checkpoints')).status, 404, 'an unknown job: 404');
  t.match((await job.get(`/jobs/${jid}/checkpoints/config`)).body, { mode: 'exactly_once', interval: 100, state_backend: 'HashMapStateBackend', incremental: false });

  const trigger = await fetch(`${job.server.url}/jobs/${jid}/savepoints`, { method: 'POST', body: '{}' });
  t.equal(trigger.status, 202);
  const requestId = (await trigger.json())['request-id'];
  let status: any;
  await job.until(async () => (status = (await job.get(`/jobs/${jid}/savepoints/${requestId}`)).body).status.id === 'COMPLETED');
  t.ok(existsSync(join(status.operation.location, '_metadata')), `the savepoint is in ${status.operation.location}`);
  t.ok(status.operation.location.startsWith(join(job.dir, 'savepoints')), 'in the job\'s savepoint folder');
  const bad = await fetch(`${job.server.url}/jobs/${jid}/savepoints`, { method: 'POST', body: '[1' });
  t.equal(bad.status, 400, 'a body that is not JSON: 400');

  const cancel = await fetch(`${job.server.url}/jobs/${jid}?mode=cancel`, { method: 'PATCH' });
  t.equal(cancel.status, 202);
  await t.rejects(job.result, CancelledError, 'the job ends cancelled');
  t.equal((await job.get('/jobs/overview')).body.jobs[0].state, 'CANCELED');
});

t.test('GET /metrics gives the job\'s and every subtask\'s figures under Flink\'s names', async (t) => {
  const job = await serveRunningJob(t);
  await job.until(async () => job.monitor.checkpoints.length >= 1 && job.monitor.tasks.rows().length === 4 && job.monitor.latency.count > 0);
  const res = await fetch(`${job.server.url}/metrics`);
  t.match(res.headers.get('content-type'), /^text\/plain/);
  const text = await res.text();
  const value = (line: RegExp) => Number(text.split('\n').find((l) => line.test(l))?.split(' ').at(-1));
  for (const name of ['lastCheckpointDuration', 'lastCheckpointSize', 'lastCheckpointFullSize', 'numberOfCompletedCheckpoints', 'numberOfFailedCheckpoints', 'numberOfInProgressCheckpoints', 'numRestarts']) {
    t.match(text, new RegExp(`^# TYPE snapflow_job_${name} gauge$`, 'm'), `job metric ${name}`);
  }
  t.ok(value(/^snapflow_job_numberOfCompletedCheckpoints\{/) >= 1, 'completed checkpoints counted');
  for (const name of ['numRecordsInPerSecond', 'numRecordsOutPerSecond', 'busyTimeMsPerSecond', 'idleTimeMsPerSecond', 'backPressuredTimeMsPerSecond', 'checkpointAlignmentTime']) {
    const lines = text.split('\n').filter((l) => l.startsWith(`snapflow_task_${name}{`));
    t.equal(lines.length, 4, `task metric ${name} for each of the 4 subtasks`);
  }
  t.match(text, /snapflow_task_busyTimeMsPerSecond\{job_id="[^"]+",job_name="exactly-once",task_name="Checker -> out",subtask_index="1"\} [\d.]+/, 'labelled by job, operator chain and subtask');
  t.match(text, /^snapflow_job_latency\{[^}]*quantile="0.99"\} [\d.]+$/m, 'the latency quantiles');
});
