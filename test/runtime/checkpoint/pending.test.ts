import t from 'tap';
import { PendingCheckpoint } from '../../../runtime/checkpoint/pending.js';
import type { CheckpointConfig } from '../../../runtime/checkpoint/config.js';
import type { SubtaskCheckpointStats, SubtaskState } from '../../../runtime/storage/metadata.js';

const config = { mode: 'incremental', backend: 'lmdb' } as CheckpointConfig;
const state = (chain: number, subtask: number, written: string[] = []): SubtaskState => ({
  chain, subtask, parallelism: 2,
  ...(written.length ? { keyed: { backend: 'lmdb', mode: 'incremental', keyGroups: { start: 0, end: 63 }, files: [], written, entries: 0 } } : {}),
});
const stats = (chain: number, subtask: number, bytes: number): SubtaskCheckpointStats => ({
  chain, subtask, actor: `c${chain}/${subtask}`, startDelayMs: 1, alignmentMs: 0, alignedRecords: 0, syncMs: 0.1, asyncMs: 2,
  checkpointedBytes: bytes, fullStateBytes: bytes * 10, writtenEntries: bytes / 10, writtenDeletions: bytes > 0 ? 1 : 0,
});

t.test('a checkpoint completes with the last acknowledgement and lists its subtasks in plan order', async (t) => {
  const p = new PendingCheckpoint(7, false, 123, 50, null);
  t.equal(p.acknowledge(2, state(1, 1, ['shared/b']), stats(1, 1, 20), 3), false);
  t.equal(p.acknowledge(0, state(0, 0), stats(0, 0, 0), 3), false);
  t.equal(p.acknowledge(1, state(1, 0, ['shared/a']), stats(1, 0, 10), 3), true, 'the third of three');
  t.same(p.written, ['shared/b', 'shared/a'], 'the files the subtasks wrote, to remove if it is aborted');
  const meta = p.metadata({ jobId: 'j', jobName: 'job', config, maxParallelism: 128, chains: ['a', 'b'] });
  t.same(meta.subtasks.map((s) => [s.chain, s.subtask]), [[0, 0], [1, 0], [1, 1]], 'by chain, then subtask');
  t.same([meta.checkpointId, meta.mode, meta.backend, meta.savepoint, meta.final, meta.triggeredAt], [7, 'incremental', 'lmdb', false, false, 123]);
  const row = p.summary('completed', undefined, meta.stats, 80);
  t.same([row.endToEndMs, row.checkpointedBytes, row.fullStateBytes, row.writtenEntries, row.writtenDeletions], [30, 30, 300, 3, 2], 'end-to-end from the trigger, bytes and entries summed');
});

t.test('a savepoint is always a full, self-contained checkpoint', async (t) => {
  const sp = new PendingCheckpoint(3, false, 0, 0, null, { dir: '/tmp/sp', stop: true, resolve() {}, reject() {} });
  sp.acknowledge(0, state(0, 0), stats(0, 0, 5), 1);
  const meta = sp.metadata({ jobId: 'j', jobName: 'job', config, maxParallelism: 128 });
  t.same([meta.savepoint, meta.mode], [true, 'full']);
});

t.test('an aborted checkpoint reports the acknowledgements it had', async (t) => {
  const p = new PendingCheckpoint(4, true, 0, 100, null);
  p.acknowledge(1, state(0, 1), stats(0, 1, 4), 2);
  const row = p.summary('aborted', 'expired', p.subtaskStats(), 150);
  t.same([row.status, row.reason, row.final, row.subtasks.length, row.endToEndMs], ['aborted', 'expired', true, 1, 50]);
});
