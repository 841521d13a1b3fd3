/** A running job's events: each checkpoint, restart and restore as it happens, in order, and as lines for a person. */
import t from 'tap';
import { join } from 'node:path';
import { execute } from '../../../runtime/execute.js';
import { describeEvent, type CheckpointEvent, type JobEvent } from '../../../runtime/job/events.js';
import { jobEventSink } from '../../../bin/job-events.js';
import { JobControl } from '../../../runtime/job/job-control.js';
import { RECORDS, KEYS } from '../../support/recovery.js';
import { tempDir } from '../../support/files.js';

const JOB = new URL('../../fixtures/jobs/exactly-once.js', import.meta.url);

t.test('checkpoints, a restart and the restore after it arrive as events while the job runs', async (t) => {
  const dir = await tempDir(t, 'events');
  const events: JobEvent[] = [];
  const logged: string[] = [];
  const result = await execute(JOB, {
    local: true, parallelism: 2, params: { records: RECORDS, keys: KEYS, rate: 15_000 }, stateBackend: 'lmdb', stateDir: join(dir, 'state'),
    checkpointing: { intervalMs: 25, mode: 'incremental', dir: join(dir, 'ckpt') }, injectFailures: ['records=2600@Pass#1'],
    restart: { strategy: 'fixed-delay', attempts: 3, delayMs: 0 }, onEvent: (e) => events.push(e), log: (line) => logged.push(line),
  });
  const checkpoints = events.filter((e): e is CheckpointEvent => e.kind === 'checkpoint');
  const completed = result.stats.checkpoints!.checkpoints.filter((c) => c.status === 'completed').map((c) => c.id);
  t.strictSame(checkpoints.filter((e) => e.status === 'completed').map((e) => e.id), completed, 'an event for every completed checkpoint, in order');
  t.equal(checkpoints.length, result.stats.checkpoints!.checkpoints.length, 'and for every one that failed or was aborted');
  t.ok(checkpoints.at(-1)!.final && checkpoints.at(-1)!.status === 'completed', 'the last is the final checkpoint');
  const kinds = events.map((e) => e.kind).filter((k) => k !== 'checkpoint');
  t.strictSame(kinds, ['restart', 'restore'], 'one restart, then its restore');
  const restart = events.findIndex((e) => e.kind === 'restart');
  const restore = events[events.findIndex((e) => e.kind === 'restore')] as Extract<JobEvent, { kind: 'restore' }>;
  t.equal(restore.checkpointId, result.stats.restores[0]!.checkpointId, 'the restore names the checkpoint restored');
  const before = events.slice(0, restart).filter((e): e is CheckpointEvent => e.kind === 'checkpoint' && e.status === 'completed').map((e) => e.id);
  t.equal(restore.checkpointId, Math.max(0, ...before), 'the newest checkpoint completed before the restart');
  t.ok(events.slice(restart + 2).some((e) => e.kind === 'checkpoint'), 'checkpoints go on after the restore');
  t.ok(events.every((e, i) => i === 0 || e.at >= events[i - 1]!.at), 'in the order they happened');
  t.notOk(logged.some((l) => l.startsWith('restart')), 'with events taken, the restart is not logged a second time');
});

t.test('a savepoint taken while the job runs is an event of its own, naming its folder', async (t) => {
  const dir = await tempDir(t, 'events-savepoint');
  const events: JobEvent[] = [];
  const control = new JobControl();
  const taking = new Promise((r) => setTimeout(r, 80)).then(() => control.savepoint(join(dir, 'savepoints')));
  await execute(JOB, {
    local: true, parallelism: 1, params: { records: RECORDS, keys: KEYS, rate: 15_000 }, stateBackend: 'heap', stateDir: join(dir, 'state'),
    checkpointing: { intervalMs: 25, mode: 'full', dir: join(dir, 'ckpt') }, control, onEvent: (e) => events.push(e),
  });
  const taken = await taking;
  const savepoints = events.filter((e) => e.kind === 'savepoint');
  t.equal(savepoints.length, 1);
  t.match(savepoints[0], { status: 'completed', dir: taken }, 'completed, in the folder the request returned');
});

t.test('events as lines for a person, as JSON lines, or not at all', async (t) => {
  const ck: JobEvent = { kind: 'checkpoint', at: 1, id: 3, status: 'completed', final: false, endToEndMs: 41.6, checkpointedBytes: 3 << 20, fullStateBytes: 5 << 20 };
  t.equal(describeEvent(ck), 'checkpoint 3 completed: 42 ms end to end, 3.0 MiB written, state 5.0 MiB');
  t.equal(describeEvent({ ...ck, status: 'failed', reason: 'disk full' }), 'checkpoint 3 failed: disk full');
  t.equal(describeEvent({ ...ck, kind: 'savepoint', final: false, dir: '/sp/savepoint-3', checkpointedBytes: 2048 }), 'savepoint 3 completed in /sp/savepoint-3: 42 ms end to end, 2.0 KiB written, state 5.0 MiB');
  t.equal(describeEvent({ ...ck, final: true }).startsWith('checkpoint 3 (final) completed'), true);
  t.equal(describeEvent({ kind: 'restart', at: 1, attempt: 2, strategy: 'restart 2 of 3', cause: 'boom', delayMs: 0 }), 'restart 2 (restart 2 of 3), cause: boom');
  t.equal(describeEvent({ kind: 'restore', at: 1, attempt: 2, checkpointId: 7, maxMs: 12.4 }), 'attempt 3 restored checkpoint 7 (slowest subtask 12 ms)');
  t.equal(describeEvent({ kind: 'restore', at: 1, attempt: 1, checkpointId: 0, maxMs: 0 }), 'attempt 2 starts over: no checkpoint completed');
  const out: string[] = [];
  jobEventSink({ quiet: false, json: false }, (s) => out.push(s))(ck);
  jobEventSink({ quiet: false, json: true }, (s) => out.push(s))(ck);
  jobEventSink({ quiet: true, json: false }, (s) => out.push(s))(ck);
  t.strictSame(out, [`snapflow: ${describeEvent(ck)}\n`, JSON.stringify(ck) + '\n'], 'a line, a JSON line, nothing');
});
