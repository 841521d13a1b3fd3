import t from 'tap';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StateFileRef } from '../../../backends/snapshot.js';
import { SharedFileRegistry } from '../../../runtime/storage/registry.js';
import { CheckpointStorage } from '../../../runtime/storage/checkpoint-storage.js';
import { type CheckpointMetadata, type SubtaskState, referencedFiles, writtenFiles } from '../../../runtime/storage/metadata.js';
import { ConfigError } from '../../../base/errors.js';
import { CheckpointRetention } from '../../../runtime/storage/retention.js';

type Tap = Parameters<Parameters<typeof t.test>[0]>[0];

const ref = (path: string, bytes = 10): StateFileRef => ({ path, bytes, sha256: '0'.repeat(64), entries: 1 });

function metadata(id: number, subtasks: { files: StateFileRef[]; written: string[] }[], savepoint = false): CheckpointMetadata {
  return {
    format: 'snapflow-checkpoint', version: 1, jobId: 'job', jobName: 'job', checkpointId: id, savepoint, final: false,
    mode: 'incremental', backend: 'lmdb', maxParallelism: 128, triggeredAt: id * 1000, completedAt: id * 1000 + 10,
    subtasks: subtasks.map((s, i): SubtaskState => ({
      chain: 1, subtask: i, parallelism: subtasks.length,
      keyed: { backend: 'lmdb', mode: 'incremental', keyGroups: { start: i * 64, end: i * 64 + 63 }, files: s.files, written: s.written, entries: s.files.length },
    })),
    stats: [],
  };
}

async function jobFolder(t: Tap): Promise<CheckpointStorage> {
  const dir = await mkdtemp(join(tmpdir(), 'snapflow-registry-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return new CheckpointStorage(join(dir, 'job'));
}

const onDisk = async (s: CheckpointStorage) => (await s.files()).map((f) => f.path);

/**
 * An incremental backend of two subtasks, as the test sees it: a fresh base at REBASE ids,
 * a delta otherwise, subtask 1 writing nothing when its state did not change, and one
 * exclusive file per subtask and checkpoint. Returns the metadata and, kept apart from
 * it, the test's own record of the files each checkpoint stands on.
 */
class FakeIncrementalJob {
  private chains: StateFileRef[][] = [[], []];
  readonly standsOn = new Map<number, string[]>();

  constructor(private readonly storage: CheckpointStorage, private readonly rebaseAt: Set<number>, private readonly savepoints: Set<number>) {}

  private async file(id: number, owner: string, scope: 'shared' | 'exclusive', label: string): Promise<StateFileRef> {
    const w = await this.storage.target(id, owner).createFile(scope, label);
    await w.write(randomBytes(64 + id));
    return w.close(1);
  }

  async checkpoint(id: number): Promise<CheckpointMetadata> {
    const subtasks: { files: StateFileRef[]; written: string[] }[] = [];
    for (const i of [0, 1]) {
      const owner = `Keyed Reduce (${i + 1}/2)`;
      const written: StateFileRef[] = [];
      const unchanged = i === 1 && id % 3 === 0 && !this.rebaseAt.has(id);
      if (this.rebaseAt.has(id) || this.chains[i]!.length === 0) this.chains[i] = [];
      if (!unchanged) {
        const f = await this.file(id, owner, 'shared', this.chains[i]!.length === 0 ? 'base' : 'delta');
        this.chains[i]!.push(f);
        written.push(f);
      }
      const own = await this.file(id, owner, 'exclusive', 'timers');
      written.push(own);
      subtasks.push({ files: [...this.chains[i]!, own], written: written.map((f) => f.path) });
    }
    const meta = metadata(id, subtasks, this.savepoints.has(id));
    await this.storage.writeMetadata(meta);
    this.standsOn.set(id, [`chk-${id}/_metadata`, ...subtasks.flatMap((s) => s.files.map((f) => f.path))]);
    return meta;
  }

  /** What must be on disk after checkpoints 1..upTo, computed without the registry. */
  expected(upTo: number, retained: number): { ids: number[]; files: string[] } {
    const ids = [...this.standsOn.keys()].filter((id) => id <= upTo);
    const regular = ids.filter((id) => !this.savepoints.has(id)).slice(-retained);
    const kept = ids.filter((id) => this.savepoints.has(id) || regular.includes(id));
    return { ids: kept, files: [...new Set(kept.flatMap((id) => this.standsOn.get(id)!))].sort() };
  }
}

t.test('the registry counts each file once per checkpoint and reports the paths that reach zero', async (t) => {
  const r = new SharedFileRegistry();
  const base = ref('shared/base');
  const m1 = metadata(1, [{ files: [base, ref('chk-1/a')], written: ['shared/base', 'chk-1/a'] }, { files: [base], written: [] }]);
  const m2 = metadata(2, [{ files: [base, ref('shared/d2')], written: ['shared/d2'] }]);
  t.same(referencedFiles(m1).map((f) => f.path), ['shared/base', 'chk-1/a'], 'a file two subtasks list is referenced once');
  t.same(writtenFiles(m2).map((f) => f.path), ['shared/d2']);
  r.register(m1);
  r.register(m2);
  t.equal(r.refs('shared/base'), 2);
  t.equal(r.refs('chk-1/a'), 1);
  t.equal(r.refs('shared/none'), 0);
  t.equal(r.size, 3);
  t.same(r.release(m1), ['chk-1/a']);
  t.same(r.entries(), [['shared/base', 1], ['shared/d2', 1]]);
  t.throws(() => r.release(m1), /checkpoint 1 releases chk-1\/a, which no registered checkpoint references/);
  t.same(r.entries(), [['shared/base', 1], ['shared/d2', 1]], 'a refused release changes nothing');
  t.same(r.release(m2).sort(), ['shared/base', 'shared/d2']);
  t.equal(r.size, 0);
});

t.test('retention must keep at least one checkpoint', async (t) => {
  const storage = new CheckpointStorage('/nonexistent');
  for (const retained of [0, -1, 1.5, Number.NaN]) {
    t.throws(() => new CheckpointRetention({ storage, retained }), ConfigError, `retained ${retained}`);
  }
  t.throws(() => new CheckpointRetention({ storage, retained: 0 }), /option retained/);
});

for (const retained of [1, 2, 3]) {
  for (const savepoint of [false, true]) {
    t.test(`retained ${retained}${savepoint ? ' with a savepoint' : ''}: the disk holds exactly what the retained checkpoints stand on`, async (t) => {
      const storage = await jobFolder(t);
      const job = new FakeIncrementalJob(storage, new Set([1, 5, 8]), new Set(savepoint ? [4] : []));
      let retention = new CheckpointRetention({ storage, retained });
      const everRemoved: string[] = [];
      for (let id = 1; id <= 10; id++) {
        const before = new Set(await onDisk(storage));
        const removed = await retention.add(await job.checkpoint(id));
        const after = await onDisk(storage);
        const want = job.expected(id, retained);
        t.same(after, want.files, `after checkpoint ${id}: files on disk`);
        t.same(retention.retainedIds(), want.ids, `after checkpoint ${id}: retained ids`);
        t.equal(retention.latest()?.checkpointId, id);
        t.same(removed, [...before].filter((p) => !after.includes(p)).sort(), `after checkpoint ${id}: removed paths`);
        everRemoved.push(...removed);
        if (id === 6) {
          const loaded = await CheckpointRetention.load(storage, retained);
          t.same(loaded.registry.entries(), retention.registry.entries(), 'load() rebuilds the same counts');
          t.same(loaded.retainedIds(), retention.retainedIds());
          t.same(loaded.unreadable, []);
          retention = loaded;
        }
      }
      t.equal(new Set(everRemoved).size, everRemoved.length, 'no file is deleted twice');
      if (savepoint) t.ok(retention.retainedIds().includes(4), 'the savepoint survives');
      const counts = new Map<string, number>();
      for (const id of retention.retainedIds()) for (const p of job.standsOn.get(id)!.filter((p) => !p.endsWith('_metadata'))) counts.set(p, (counts.get(p) ?? 0) + 1);
      t.same(retention.registry.entries(), [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1)), 'the counts are the retained references');
    });
  }
}

t.test('a restarted job that now retains fewer checkpoints trims to the new number on its next checkpoint', async (t) => {
  const storage = await jobFolder(t);
  const job = new FakeIncrementalJob(storage, new Set([1, 4]), new Set());
  const first = new CheckpointRetention({ storage, retained: 3 });
  for (let id = 1; id <= 5; id++) await first.add(await job.checkpoint(id));
  t.same(first.retainedIds(), [3, 4, 5]);
  const restarted = await CheckpointRetention.load(storage, 1);
  t.same(restarted.retainedIds(), [3, 4, 5], 'load() deletes nothing');
  await restarted.add(await job.checkpoint(6));
  t.same(restarted.retainedIds(), [6]);
  t.same(await onDisk(storage), job.expected(6, 1).files);
});

t.test('load() skips a checkpoint whose _metadata is damaged and leaves its files alone', async (t) => {
  const storage = await jobFolder(t);
  const job = new FakeIncrementalJob(storage, new Set([1]), new Set());
  const retention = new CheckpointRetention({ storage, retained: 3 });
  for (let id = 1; id <= 3; id++) await retention.add(await job.checkpoint(id));
  await writeFile(join(storage.jobDir, 'chk-2', '_metadata'), '{"sha256": "00", "metadata": {}}');
  const loaded = await CheckpointRetention.load(storage, 3);
  t.same(loaded.retainedIds(), [1, 3]);
  t.same(loaded.unreadable.map((u) => u.id), [2]);
  t.match(loaded.unreadable[0]!.reason, /chk-2\/_metadata/);
  t.equal(loaded.latest()?.checkpointId, 3);
});

t.test('adds issued together are applied one after the other', async (t) => {
  const storage = await jobFolder(t);
  const job = new FakeIncrementalJob(storage, new Set([1, 3]), new Set());
  const metas: CheckpointMetadata[] = [];
  for (let id = 1; id <= 5; id++) metas.push(await job.checkpoint(id));
  const retention = new CheckpointRetention({ storage, retained: 2 });
  const removed = (await Promise.all(metas.map((m) => retention.add(m)))).flat();
  t.same(retention.retainedIds(), [4, 5]);
  t.same(await onDisk(storage), job.expected(5, 2).files);
  t.equal(new Set(removed).size, removed.length);
  await t.rejects(retention.add(metas[4]!), /checkpoint 5 was already added/);
});

t.test('a file in a released checkpoint folder that a retained checkpoint still lists keeps that file', async (t) => {
  const storage = await jobFolder(t);
  const write = async (id: number, scope: 'shared' | 'exclusive') => {
    const w = await storage.target(id, 'op').createFile(scope, 'x');
    await w.write(randomBytes(8));
    return w.close(1);
  };
  const own1 = await write(1, 'exclusive');
  const other1 = await write(1, 'exclusive');
  const m1 = metadata(1, [{ files: [own1, other1], written: [own1.path, other1.path] }]);
  const m2 = metadata(2, [{ files: [own1], written: [] }]);
  await storage.writeMetadata(m1);
  await storage.writeMetadata(m2);
  const retention = new CheckpointRetention({ storage, retained: 1 });
  await retention.add(m1);
  t.same(await retention.add(m2), ['chk-1/_metadata', other1.path].sort());
  t.same(await onDisk(storage), [own1.path, 'chk-2/_metadata'].sort());
});

t.test('files released while checkpoints are in flight wait for them to end', async (t) => {
  const storage = await jobFolder(t);
  const put = async (id: number, label: string) => {
    const w = await storage.target(id, 'Sum (1/1)').createFile('shared', label);
    await w.write(randomBytes(32));
    return w.close(1);
  };
  const retention = new CheckpointRetention({ storage, retained: 1 });
  const base1 = await put(1, 'base');
  await retention.add(metadata(1, [{ files: [base1], written: [base1.path] }]));
  const base2 = await put(2, 'base');
  // Checkpoint 3 was planned on checkpoint 1's base before 2 completed and released it.
  const delta3 = await put(3, 'delta');
  const removed = await retention.add(metadata(2, [{ files: [base2], written: [base2.path] }]), [3]);
  t.notOk(removed.includes(base1.path), 'the base 3 may stand on is not deleted yet');
  t.ok((await onDisk(storage)).includes(base1.path));
  await retention.add(metadata(3, [{ files: [base1, delta3], written: [delta3.path] }]), []);
  await retention.settle(3);
  t.ok((await onDisk(storage)).includes(base1.path), 'checkpoint 3 completed on it, so it stays');
  const base4 = await put(4, 'base');
  const delta5 = await put(5, 'delta');
  await retention.add(metadata(4, [{ files: [base4], written: [base4.path] }]), [5]);
  t.ok((await onDisk(storage)).includes(base1.path), 'released by 3, parked while 5 is in flight');
  const gone = await retention.settle(5);
  t.same(gone, [base1.path, delta3.path].sort(), 'once 5 ended without them, they are deleted');
  t.ok((await onDisk(storage)).includes(delta5.path), 'an in-flight checkpoint\'s own file is not retention\'s to delete');
});
