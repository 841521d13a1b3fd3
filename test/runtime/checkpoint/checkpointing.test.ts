/**
 * End-to-end checkpointing on worker threads: every completed checkpoint of a job that ran
 * while records flowed must hold exactly the state after the records its source positions
 * say were emitted before the barrier — none missing, none twice — at parallelism 1 to 3,
 * with full and incremental checkpoints.
 */
import t from 'tap';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKeyedBackend } from '../../../backends/factory.js';
import { execute } from '../../../runtime/execute.js';
import { CheckpointStorage } from '../../../runtime/storage/checkpoint-storage.js';
import { keyGroupOf } from '../../../base/keygroups.js';
import { generateTransaction, resolveGeneratorOptions, type GeneratorSplit } from '../../../operators/sources/generator.js';
import { applyRecord, type CustomerState } from '../../fixtures/jobs/keyed-state.js';
import type { CheckpointMetadata } from '../../../runtime/storage/metadata.js';

const JOB = new URL('../../fixtures/jobs/keyed-state.js', import.meta.url);
const RECORDS = 30_000;
const KEYS = 5_000;

/** The state after the records each source subtask emitted before its position. */
function expectedAt(positions: number[]): Map<string, CustomerState> {
  const opts = resolveGeneratorOptions({ records: RECORDS, keys: KEYS, seed: 11 });
  const seqs: number[] = [];
  positions.forEach((pos, i) => {
    for (let seq = i; seq < Math.min(pos, RECORDS); seq += positions.length) seqs.push(seq);
  });
  seqs.sort((a, b) => a - b);
  const out = new Map<string, CustomerState>();
  for (const seq of seqs) {
    const r = generateTransaction(seq, opts);
    out.set(r.customer_id, applyRecord(out.get(r.customer_id), r));
  }
  return out;
}

/** The customers' state held by a checkpoint, read back through a fresh heap backend. */
async function restoredState(storage: CheckpointStorage, meta: CheckpointMetadata, workDir: string): Promise<Map<string, CustomerState>> {
  const backend = createKeyedBackend({
    kind: 'heap', mode: 'full', keyGroups: { start: 0, end: meta.maxParallelism - 1 }, workDir, maxDeltas: 20, maxDeltaRatio: 0.5,
  });
  await backend.restore(meta.subtasks.flatMap((s) => (s.keyed ? [s.keyed] : [])), storage.source());
  const acc = backend.valueState<{ count: number; cents: number }>('acc');
  const buckets = backend.mapState<number, number>('buckets');
  const out = new Map<string, CustomerState>();
  for (let k = 0; k < KEYS; k++) {
    const key = `C${k}`;
    backend.setCurrentKey(key, keyGroupOf(key, meta.maxParallelism));
    const a = acc.value();
    if (a) out.set(key, { acc: a, buckets: new Map(buckets.entries()) });
  }
  await backend.dispose();
  return out;
}

for (const mode of ['full', 'incremental'] as const) {
  for (const parallelism of [1, 2, 3]) {
    t.test(`${mode} checkpoints at parallelism ${parallelism} hold exactly the state before the barrier`, async (t) => {
      const dir = await mkdtemp(join(tmpdir(), 'snapflow-ckpt-test-'));
      t.teardown(() => rm(dir, { recursive: true, force: true }));
      const result = await execute(JOB, {
        parallelism, threads: 2, params: { records: RECORDS, keys: KEYS, rate: 30_000 },
        checkpointing: { intervalMs: 40, mode, dir, retained: 1000, maxDeltas: 4, maxDeltaRatio: 10 },
      });
      const stats = result.stats.checkpoints!;
      t.ok(stats, 'checkpoint statistics are reported');
      const storage = new CheckpointStorage(stats.jobDir);
      const ids = await storage.completedIds();
      t.same(ids, stats.checkpoints.filter((c) => c.status === 'completed').map((c) => c.id), 'every completed checkpoint has its metadata');
      let midStream = 0;
      for (const id of ids) {
        const meta = await storage.readMetadata(id);
        const positions = meta.subtasks.filter((s) => s.chain === 0).sort((a, b) => a.subtask - b.subtask).map((s) => (s.sourcePosition as GeneratorSplit[])[0]?.next ?? RECORDS);
        t.equal(positions.length, parallelism, `checkpoint ${id} has a position per source subtask`);
        if (positions.some((p) => p < RECORDS)) midStream++;
        const want = expectedAt(positions);
        const got = await restoredState(storage, meta, join(dir, `restore-${id}`));
        t.same([...got.entries()].sort(), [...want.entries()].sort(), `checkpoint ${id} (${meta.final ? 'final' : 'positions ' + positions.join(',')}) restores the exact state`);
      }
      t.ok(midStream >= 1, `at least one checkpoint was taken mid-stream (${midStream} of ${ids.length})`);
      const last = await storage.readMetadata(ids[ids.length - 1]);
      t.ok(last.final, 'the bounded job ends with a final checkpoint');
      if (mode === 'incremental') {
        const deltas = stats.checkpoints.flatMap((c) => c.subtasks).filter((s) => s.checkpointedBytes < s.fullStateBytes);
        t.ok(deltas.length > 0, 'some incremental checkpoints wrote less than the full state');
      }
      const files = await readdir(stats.jobDir);
      t.ok(files.every((f) => f === 'shared' || /^chk-\d+$/.test(f)), 'the job folder holds only checkpoints and shared files');
    });
  }
}

t.test('unaligned checkpoints need exactly-once, and the aligned timeout a whole number of ms', async (t) => {
  for (const [opts, message] of [
    [{ unaligned: true, guarantee: 'at-least-once' }, /option unaligned: unaligned checkpoints keep in-flight data for exactly-once; they do not go with checkpointing-mode at-least-once/],
    [{ alignedTimeoutMs: 100, guarantee: 'at-least-once' }, /option aligned-checkpoint-timeout: unaligned checkpoints keep in-flight data/],
    [{ alignedTimeoutMs: -1 }, /option aligned-checkpoint-timeout/],
  ] as const) {
    await t.rejects(execute(JOB, { params: { records: 10, keys: 2 }, stateBackend: 'heap', checkpointing: { intervalMs: 10, ...opts } }), { name: 'ConfigError', message });
  }
});

t.test('heap backend with incremental checkpoints is refused before the job starts', async (t) => {
  await t.rejects(execute(JOB, { params: { records: 10, keys: 2 }, stateBackend: 'heap', checkpointing: { intervalMs: 10, mode: 'incremental' } }), {
    name: 'ConfigError', message: /option checkpoint-mode: the heap state backend takes full checkpoints only/,
  });
});

t.test('at-least-once checkpoints complete and the job still ends with the right state', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'snapflow-ckpt-test-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const result = await execute(JOB, {
    parallelism: 2, threads: 2, params: { records: RECORDS, keys: KEYS, rate: 50_000 },
    checkpointing: { intervalMs: 15, guarantee: 'at-least-once', dir, retained: 1 },
  });
  const stats = result.stats.checkpoints!;
  t.ok(stats.counts.completed >= 2, 'checkpoints complete without alignment');
  const storage = new CheckpointStorage(stats.jobDir);
  const ids = await storage.completedIds();
  t.equal(ids.length, 1, 'retained 1 keeps one checkpoint');
  const meta = await storage.readMetadata(ids[0]);
  t.ok(meta.final, 'the kept one is the final checkpoint');
  t.same([...(await restoredState(storage, meta, join(dir, 'r'))).entries()].sort(), [...expectedAt([RECORDS, RECORDS]).entries()].sort(), 'final state is exact');
});

t.test('checkpoints that time out leave nothing behind, and too many failures fail the job', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'snapflow-ckpt-test-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const run = execute(JOB, {
    parallelism: 2, threads: 2, params: { records: RECORDS, keys: KEYS, rate: 50_000 },
    checkpointing: { intervalMs: 5, mode: 'incremental', dir, timeoutMs: 1, tolerableFailures: 3 },
    // As in Flink, too many failed checkpoints fail the attempt; without restarts that ends the job.
    restart: { strategy: 'none' },
  });
  await t.rejects(run, { name: 'CheckpointError', message: /4 checkpoint\(s\) failed in a row, more than the 3 tolerated; the last: expired after 1 ms/ });
  const left = await readdir(dir, { recursive: true, withFileTypes: true });
  t.same(left.filter((e) => e.isFile()).map((e) => e.name), [], 'no file of an expired checkpoint is left in the checkpoint folder');
});

t.test('with two checkpoints in flight, retention never deletes a file a later checkpoint stands on', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'snapflow-ckpt-test-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const result = await execute(JOB, {
    parallelism: 2, threads: 2, params: { records: RECORDS, keys: KEYS, rate: 50_000 },
    checkpointing: { intervalMs: 5, mode: 'incremental', dir, retained: 1, maxConcurrent: 2, maxDeltas: 1000, maxDeltaRatio: 1000 },
  });
  const stats = result.stats.checkpoints!;
  t.ok(stats.counts.completed >= 3, `several checkpoints completed (${stats.counts.completed})`);
  const storage = new CheckpointStorage(stats.jobDir);
  const [id] = await storage.completedIds();
  t.same(await storage.verify(id), [], `the retained checkpoint ${id} has every file it stands on`);
  t.same(stats.warnings, []);
});

t.test('a source paused for a checkpoint learns that it was aborted and asks again', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'snapflow-ckpt-test-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const keys = 200;
  const rounds = 3;
  for (const local of [true, false]) {
    const res = await execute(new URL('../../fixtures/jobs/declined-checkpoint.js', import.meta.url), {
      local, parallelism: 2, threads: 2, params: { keys, rounds, failAt: 2 },
      // Only the source's requests trigger checkpoints.
      checkpointing: { intervalMs: 1e9, mode: 'incremental', dir: join(dir, String(local)), tolerableFailures: 1 },
      restart: { strategy: 'none' },
    });
    const ck = res.stats.checkpoints!.checkpoints;
    t.same(ck.filter((c) => c.status !== 'completed').map((c) => [c.id, c.status]), [[2, 'failed']], `${local ? 'one thread' : 'workers'}: checkpoint 2 failed`);
    t.equal(ck.filter((c) => c.status === 'completed' && !c.final).length, rounds + 1, 'after the abort the paused phase got a checkpoint of its own');
    const last = new Map<string, number>();
    for (const r of res.results.counts as { key: string; n: number }[]) last.set(r.key, Math.max(last.get(r.key) ?? 0, r.n));
    t.equal([...last.values()].reduce((a, b) => a + b, 0), keys + rounds * keys / 2, 'every update counted once');
  }
});
