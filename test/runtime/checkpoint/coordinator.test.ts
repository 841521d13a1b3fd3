import t from 'tap';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointCoordinator, type CheckpointActor } from '../../../runtime/checkpoint/coordinator.js';
import type { CheckpointStorage } from '../../../runtime/storage/checkpoint-storage.js';
import type { CheckpointMetadata, SubtaskCheckpointStats } from '../../../runtime/storage/metadata.js';
import { ManualClock } from '../../../base/clock.js';
import type { CheckpointError } from '../../../base/errors.js';
import type { ControlToActor } from '../../../runtime/transport/protocol.js';
import type { CheckpointRetention } from '../../../runtime/storage/retention.js';
import type { CheckpointConfig } from '../../../runtime/checkpoint/config.js';

const ACTORS: CheckpointActor[] = [
  { chain: 0, subtask: 0, parallelism: 2, isSource: true, name: 'Source (1/2)' },
  { chain: 0, subtask: 1, parallelism: 2, isSource: true, name: 'Source (2/2)' },
  { chain: 1, subtask: 0, parallelism: 1, isSource: false, name: 'Sum (1/1)' },
];

function config(over: Partial<CheckpointConfig> = {}): CheckpointConfig {
  return {
    intervalMs: 100, mode: 'full', backend: 'heap', guarantee: 'exactly-once', jobDir: '/nowhere', retained: 1,
    timeoutMs: 1000, minPauseMs: 0, maxConcurrent: 1, tolerableFailures: 0, maxDeltas: 20, maxDeltaRatio: 0.5, unaligned: false, alignedTimeoutMs: 0, ...over,
  };
}

/** A coordinator on a manual clock with recording fakes for storage and retention. */
function setup(over: Partial<CheckpointConfig> = {}) {
  const clock = new ManualClock();
  const sent: { to: number; msg: ControlToActor }[] = [];
  const written: CheckpointMetadata[] = [];
  const discarded: { id: number; written: string[] }[] = [];
  const fatal: CheckpointError[] = [];
  const stopped: string[] = [];
  let failWrites = false;
  const storage = {
    writeMetadata: async (m: CheckpointMetadata) => {
      if (failWrites) throw new Error('disk full');
      written.push(m);
    },
    discard: async (id: number, w: string[]) => void discarded.push({ id, written: w }),
    sweep: async () => [],
  } as unknown as CheckpointStorage;
  const added: { id: number; inFlight: number[] }[] = [];
  const settled: number[] = [];
  let failRetention = false;
  const retention = {
    add: async (m: CheckpointMetadata, inFlight: number[]) => {
      if (failRetention) throw new Error('permission denied');
      added.push({ id: m.checkpointId, inFlight });
      return [];
    },
    settle: async (id: number) => void settled.push(id),
    retainedIds: () => written.map((m) => m.checkpointId),
  } as unknown as CheckpointRetention;
  const c = new CheckpointCoordinator({
    config: config(over), jobId: 'job-1', jobName: 'job', maxParallelism: 128, actors: ACTORS, storage, retention, clock,
    send: (to, msg) => void sent.push({ to, msg }), onFatal: (e) => void fatal.push(e), onStopped: (dir) => void stopped.push(dir),
  });
  const stats = (i: number): SubtaskCheckpointStats => ({
    chain: ACTORS[i].chain, subtask: ACTORS[i].subtask, actor: ACTORS[i].name, startDelayMs: 1, alignmentMs: 2, alignedRecords: 3,
    syncMs: 0.5, asyncMs: 4, checkpointedBytes: 10, fullStateBytes: 30, writtenEntries: 5, writtenDeletions: 1,
  });
  const ack = (i: number, id: number, files: string[] = []) => c.handle(i, {
    kind: 'ack', id, stats: stats(i),
    state: {
      chain: ACTORS[i].chain, subtask: ACTORS[i].subtask, parallelism: ACTORS[i].parallelism,
      keyed: files.length ? { backend: 'heap', mode: 'full', keyGroups: { start: 0, end: 127 }, files: [], written: files, entries: 0 } : undefined,
    },
  });
  const ackAll = async (id: number) => {
    for (let i = 0; i < ACTORS.length; i++) ack(i, id);
    await flush();
  };
  const triggers = () => sent.filter((s) => s.msg.kind === 'trigger').map((s) => [s.to, (s.msg as { id: number }).id]);
  const of = (kind: string) => sent.filter((s) => s.msg.kind === kind);
  const start = () => {
    c.start();
    ACTORS.forEach((_, i) => c.handle(i, { kind: 'running' }));
  };
  return { c, start, clock, sent, added, stopped, settled, setFailRetention: (v: boolean) => (failRetention = v), written, discarded, fatal, ack, ackAll, triggers, of, setFailWrites: (v: boolean) => (failWrites = v) };
}

const flush = () => new Promise((r) => setImmediate(r));

t.test('triggers every interval at the sources only, completes when every subtask acknowledged', async (t) => {
  const s = setup();
  s.start();
  s.clock.advance(99);
  t.same(s.triggers(), [], 'nothing before the first interval');
  s.clock.advance(1);
  t.same(s.triggers(), [[0, 1], [1, 1]], 'both source subtasks get barrier 1');
  s.ack(0, 1);
  s.ack(1, 1);
  await flush();
  t.equal(s.written.length, 0, 'not complete while a subtask is missing');
  s.ack(2, 1);
  await flush();
  t.equal(s.written.length, 1, 'metadata written');
  t.equal(s.written[0].checkpointId, 1);
  t.same(s.written[0].subtasks.map((x) => `${x.chain}/${x.subtask}`), ['0/0', '0/1', '1/0'], 'subtasks in plan order');
  t.same(s.of('checkpoint-complete').map((x) => x.to), [0, 1, 2], 'every actor is told');
  s.clock.advance(100);
  t.same(s.triggers().map((x) => x[1]), [1, 1, 2, 2], 'checkpoint 2 one interval after 1');
  const st = s.c.stats();
  t.equal(st.counts.completed, 1);
  t.equal(st.checkpoints[0].checkpointedBytes, 30, 'bytes summed over subtasks');
  t.equal(st.summary!.syncMs.max, 0.5);
});

t.test('no checkpoint is triggered before every actor is running', async (t) => {
  const s = setup();
  s.c.start();
  s.c.handle(0, { kind: 'running' });
  s.c.handle(2, { kind: 'running' });
  s.clock.advance(500);
  t.same(s.triggers(), [], 'one actor is still opening');
  s.c.handle(1, { kind: 'running' });
  s.clock.advance(99);
  t.same(s.triggers(), [], 'the interval counts from the moment all are running');
  s.clock.advance(1);
  t.same(s.triggers().map((x) => x[1]), [1, 1]);
});

t.test('at most maxConcurrent in flight, then minimum pause after the end of the last one', async (t) => {
  const s = setup({ minPauseMs: 250 });
  s.start();
  s.clock.advance(100);
  s.clock.advance(300);
  t.same(s.triggers().map((x) => x[1]), [1, 1], 'no second trigger while one is in flight');
  await s.ackAll(1);
  s.clock.advance(249);
  t.equal(s.triggers().length, 2, 'held back by the minimum pause');
  s.clock.advance(1);
  t.same(s.triggers().map((x) => x[1]), [1, 1, 2, 2], 'triggered once the pause is over');
});

t.test('two concurrent checkpoints: completing the newer subsumes the older', async (t) => {
  const s = setup({ maxConcurrent: 2 });
  s.start();
  s.clock.advance(200);
  t.same([...new Set(s.triggers().map((x) => x[1]))], [1, 2]);
  await s.ackAll(2);
  const aborts = s.of('checkpoint-abort').map((x) => (x.msg as { id: number; reason: string }));
  t.ok(aborts.length === 3 && aborts.every((a) => a.id === 1 && /subsumed by checkpoint 2/.test(a.reason)), 'checkpoint 1 aborted at every actor');
  t.same(s.c.stats().checkpoints.map((c) => [c.id, c.status]), [[1, 'aborted'], [2, 'completed']]);
  t.equal(s.fatal.length, 0, 'subsumption is not a failure');
});

t.test('a checkpoint past its timeout is failed, its files discarded, and a late ack discards its files too', async (t) => {
  const s = setup({ timeoutMs: 500, tolerableFailures: 1 });
  s.start();
  s.clock.advance(100);
  s.ack(0, 1, ['shared/a.sfs']);
  s.clock.advance(500);
  await flush();
  t.same(s.of('checkpoint-abort').map((x) => x.to), [0, 1, 2], 'abort sent to every actor');
  t.same(s.discarded, [{ id: 1, written: ['shared/a.sfs'] }], 'files of acknowledged subtasks are discarded');
  t.match(s.c.stats().checkpoints[0], { id: 1, status: 'failed', reason: /expired after 500 ms/ });
  s.ack(2, 1, ['shared/late.sfs']);
  await flush();
  t.same(s.discarded[1], { id: 1, written: ['shared/late.sfs'] }, 'a late acknowledgement does not leave files behind');
  t.equal(s.fatal.length, 0, 'one failure is tolerated');
});

t.test('failures beyond the tolerated number fail the job; a success resets the count', async (t) => {
  const s = setup({ tolerableFailures: 1 });
  s.start();
  s.clock.advance(100);
  s.c.handle(2, { kind: 'decline', id: 1, reason: 'disk full' });
  s.clock.advance(100);
  await s.ackAll(2);
  s.clock.advance(100);
  s.c.handle(2, { kind: 'decline', id: 3, reason: 'disk full' });
  t.equal(s.fatal.length, 0, 'failures are counted in a row');
  s.clock.advance(100);
  s.c.handle(1, { kind: 'decline', id: 4, reason: 'disk full' });
  t.equal(s.fatal.length, 1, 'the second failure in a row fails the job');
  t.match(s.fatal[0].message, /checkpoint 4: 2 checkpoint\(s\) failed in a row, more than the 1 tolerated; the last: declined by Source \(2\/2\): disk full/);
  s.clock.advance(1000);
  t.equal(s.triggers().filter((x) => x[1] > 4).length, 0, 'no trigger after the job failed');
});

t.test('a metadata write that fails makes the checkpoint fail', async (t) => {
  const s = setup({ tolerableFailures: 5 });
  s.start();
  s.setFailWrites(true);
  s.clock.advance(100);
  await s.ackAll(1);
  t.match(s.c.stats().checkpoints[0], { status: 'failed', reason: /metadata could not be written: disk full/ });
  t.equal(s.of('checkpoint-complete').length, 0, 'nobody is told it completed');
});

t.test('final checkpoint once every source is exhausted, retried when it fails', async (t) => {
  const s = setup({ intervalMs: 60_000, tolerableFailures: 3 });
  s.start();
  s.c.handle(0, { kind: 'source-exhausted' });
  t.same(s.triggers(), [], 'waits for every source');
  s.c.handle(1, { kind: 'source-exhausted' });
  t.same(s.sent.filter((x) => x.msg.kind === 'trigger').map((x) => x.msg), [
    { kind: 'trigger', id: 1, timestamp: (s.sent[0].msg as { timestamp: number }).timestamp, final: true },
    { kind: 'trigger', id: 1, timestamp: (s.sent[0].msg as { timestamp: number }).timestamp, final: true },
  ], 'final barrier triggered at once, long before the interval');
  s.c.handle(2, { kind: 'decline', id: 1, reason: 'boom' });
  t.same(s.triggers().map((x) => x[1]), [1, 1, 2, 2], 'a failed final checkpoint is retried');
  await s.ackAll(2);
  t.ok(s.c.finalCompleted, 'final checkpoint completed');
  t.equal(s.written[0].final, true, 'metadata marks it final');
  s.clock.advance(120_000);
  t.equal(s.triggers().length, 4, 'nothing is triggered after the final checkpoint');
});

t.test('stop() abandons a pending checkpoint as aborted', async (t) => {
  const s = setup();
  s.start();
  s.clock.advance(100);
  const stats = await s.c.stop();
  t.match(stats.checkpoints, [{ id: 1, status: 'aborted', reason: /job ended/ }]);
  t.same(s.discarded.map((d) => d.id), [1]);
  t.equal(stats.summary, null, 'no completed checkpoint, no summary');
});

t.test('retention is told which checkpoints are in flight, and every ended checkpoint is settled', async (t) => {
  const s = setup({ maxConcurrent: 2, timeoutMs: 10_000 });
  s.start();
  s.clock.advance(200);
  await s.ackAll(1);
  t.same(s.added, [{ id: 1, inFlight: [2] }], 'checkpoint 2 was in flight when 1 completed');
  t.same(s.settled, [1]);
  s.c.handle(0, { kind: 'decline', id: 2, reason: 'x' });
  await flush();
  t.same(s.settled, [1, 2], 'an aborted checkpoint is settled too');
});

t.test('a retention failure is a warning and checkpoints go on', async (t) => {
  const s = setup();
  s.start();
  s.setFailRetention(true);
  s.clock.advance(100);
  await s.ackAll(1);
  s.clock.advance(100);
  t.same(s.triggers().map((x) => x[1]), [1, 1, 2, 2], 'the next checkpoint is still triggered');
  t.match(s.c.stats().warnings, [/retention after checkpoint 1 failed: permission denied/]);
});

t.test('a completion older than one already notified is not sent again', async (t) => {
  const s = setup({ maxConcurrent: 2, timeoutMs: 10_000 });
  s.start();
  s.clock.advance(200);
  for (let i = 0; i < ACTORS.length; i++) s.ack(i, 2);
  for (let i = 0; i < ACTORS.length; i++) s.ack(i, 1);
  await flush();
  await flush();
  const notified = s.of('checkpoint-complete').map((x) => (x.msg as { id: number }).id);
  t.notOk(notified.some((id, k) => k > 0 && id < notified[k - 1]), `notices never go backwards: ${notified.join(',')}`);
});

t.test('a requested checkpoint waits until every actor is running', async (t) => {
  const s = setup({ intervalMs: 60_000 });
  s.c.start();
  s.c.handle(0, { kind: 'request-checkpoint' });
  t.same(s.triggers(), [], 'not while actors are opening');
  ACTORS.forEach((_, i) => s.c.handle(i, { kind: 'running' }));
  t.same(s.triggers().map((x) => x[1]), [1, 1], 'triggered once all are running');
});

t.test('savepoints: written to their own folder, never retained, and only a stop commits side effects', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'snapflow-sp-coord-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const s = setup();
  s.start();
  const taken = s.c.triggerSavepoint(dir);
  const trig = s.of('trigger').map((m) => m.msg as { id: number; savepoint?: string; stop?: boolean });
  t.same(trig.map((m) => m.id), [1, 1], 'triggered at once, before the interval');
  t.match(trig[0].savepoint, /savepoint-job-1-1$/);
  await s.ackAll(1);
  const folder = await taken;
  t.equal(folder, trig[0].savepoint);
  const meta = JSON.parse(await readFile(join(folder, '_metadata'), 'utf8')).metadata as CheckpointMetadata;
  t.same([meta.savepoint, meta.mode, meta.checkpointId], [true, 'full', 1]);
  t.same(s.added, [], 'retention never sees a savepoint');
  t.same(s.of('checkpoint-complete'), [], 'an intermediate savepoint commits nothing');
  t.same(s.stopped, []);

  const declined = s.c.triggerSavepoint(dir);
  s.c.handle(2, { kind: 'decline', id: 2, reason: 'disk full' });
  await t.rejects(declined, /savepoint failed: declined by Sum \(1\/1\): disk full/);
  t.same(s.fatal, [], 'a failed savepoint does not count against the job');

  const stop = s.c.triggerSavepoint(dir, true);
  s.clock.advance(500);
  t.same(s.triggers().filter(([, id]) => id > 3), [], 'nothing is triggered while a stop-with-savepoint is pending');
  await s.ackAll(3);
  t.equal(await stop, s.stopped[0], 'the stop is reported with its folder');
  t.same(s.of('checkpoint-complete').map((m) => (m.msg as { id: number }).id), [3, 3, 3], 'a stop commits side effects');
  s.clock.advance(500);
  t.same(s.triggers().filter(([, id]) => id > 3), [], 'and ends triggering');
});

t.test('a newer checkpoint does not subsume a pending savepoint', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'snapflow-sp-coord-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const s = setup({ maxConcurrent: 2 });
  s.start();
  const taken = s.c.triggerSavepoint(dir);
  s.clock.advance(100);
  t.same(s.triggers().map(([, id]) => id), [1, 1, 2, 2]);
  await s.ackAll(2);
  t.same(s.of('checkpoint-abort'), [], 'the savepoint is still pending');
  await s.ackAll(1);
  t.match(await taken, /savepoint-job-1-1$/);
});

t.test('after a failed savepoint, periodic checkpoints go on', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'snapflow-sp-coord-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const s = setup();
  s.start();
  const taken = s.c.triggerSavepoint(dir).then(() => null, (e: Error) => e);
  s.clock.advance(250);
  t.same(s.triggers().map(([, id]) => id), [1, 1], 'the interval passed while the savepoint was pending');
  s.c.handle(2, { kind: 'decline', id: 1, reason: 'no space' });
  t.match((await taken)?.message, /savepoint failed/);
  t.same(s.triggers().map(([, id]) => id), [1, 1, 2, 2], 'the overdue checkpoint is triggered at once');
  await s.ackAll(2);
  s.clock.advance(100);
  t.same(s.triggers().map(([, id]) => id), [1, 1, 2, 2, 3, 3], 'and the interval goes on');
  t.same(s.fatal, []);
});

t.test('a stop-with-savepoint completing after the job failed commits nothing and is not reported as a stop', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'snapflow-sp-coord-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const s = setup();
  s.start();
  const stop = s.c.triggerSavepoint(dir, true).then(() => null, (e: Error) => e);
  for (let i = 0; i < ACTORS.length; i++) s.ack(i, 1);
  s.c.halt();
  await flush();
  t.match((await stop)?.message, /complete, but the job failed before it could stop/);
  t.same(s.of('checkpoint-complete'), [], 'no sink commits output of a stop that did not happen');
  t.same(s.stopped, []);
});
