/**
 * The window benchmark on a small run with real workers: every window of the data fires,
 * full checkpoints write the whole state, and incremental deltas carry the purged windows
 * and timers as deletions.
 */
import t from 'tap';
import { benchWindows, compareModes, policyOf } from '../../bench/windows.js';
import { windowSizeMs } from '../../bench/jobs/windows.js';
import { generateTransaction, resolveGeneratorOptions } from '../../operators/sources/generator.js';

/** Distinct (key, window) pairs of the data: the windows the job must fire. */
function plainWindows(records: number, keys: number, sizeMs: number, slideMs: number): number {
  const gen = resolveGeneratorOptions({ records, keys, seed: 42 });
  const pairs = new Set<string>();
  for (let seq = 0; seq < records; seq++) {
    const r = generateTransaction(seq, gen);
    const last = r.timestamp - (r.timestamp % slideMs);
    for (let start = last; start > r.timestamp - sizeMs; start -= slideMs) pairs.add(`${r.customer_id}@${start}`);
  }
  return pairs.size;
}

t.test('window benchmark: windows fired, whole state in full checkpoints, deletions in incremental deltas', async (t) => {
  const o = { keys: 300, records: 12_000, windowRecordsPerKey: 4, overlap: 2, intervalMs: 20, parallelism: 1, stateBackend: 'lmdb' as const, rate: 12_000, maxDeltaRatio: 10 };
  const report = await benchWindows({ ...o, assigners: ['tumbling', 'sliding'], modes: ['full', 'incremental'] });
  t.equal(report.results.length, 4, 'each assigner in each mode');
  const size = windowSizeMs(o);
  for (const r of report.results) {
    const what = `${r.assigner} ${r.mode}`;
    t.equal(r.windowsFired, plainWindows(o.records, o.keys, size, r.assigner === 'sliding' ? size / o.overlap : size), `${what}: every window of the data fired once`);
    t.ok(r.checkpoints.length >= 5, `${what}: ${r.checkpoints.length} checkpoints while records flowed`);
    t.ok(r.stateBytesMax > 0, `${what}: window state was checkpointed`);
    t.equal(r.policy, 'max-delta-ratio 10');
    if (r.mode === 'full') {
      t.ok(r.checkpoints.every((c) => c.checkpointedBytes === c.fullStateBytes && c.writtenDeletions === 0), `${what}: every checkpoint wrote the whole state, no deletion`);
      t.equal(r.deltas, 0);
    } else {
      t.ok(r.deltas > 0, `${what}: ${r.deltas} checkpoints wrote deltas`);
      t.ok(r.checkpoints.some((c) => c.writtenDeletions > 0), `${what}: deltas carried the purged windows as deletions (${r.deletionsPerCheckpointMean} per checkpoint)`);
      t.ok(r.checkpoints.every((c) => c.writtenDeletions <= c.writtenEntries), `${what}: deletions are among the entries written`);
    }
  }
  t.equal(compareModes(report).length, 2, 'a comparison line per assigner');
  t.equal(policyOf({}), 'default');
});
