/** The backpressure benchmark on a small run: a figure per mode and variant, checkpoints taken while the sinks hold the job back. */
import t from 'tap';
import { benchBackpressure } from '../../bench/backpressure.js';

t.test('each variant and mode gives its checkpoints\' figures and the records per second', async (t) => {
  const report = await benchBackpressure({
    modes: ['aligned', 'unaligned'], variants: ['all', 'one-slow'], sinkRate: 400, seconds: 2, parallelism: 2, intervalMs: 200, debloatTargetMs: 1000, alignedTimeoutMs: 100,
    keys: 60, stateBackend: 'heap', threads: 2,
  });
  t.same(report.results.map((r) => [r.variant, r.mode, r.parallelism]), [['all', 'aligned', 2], ['all', 'unaligned', 2], ['one-slow', 'aligned', 2], ['one-slow', 'unaligned', 2]]);
  for (const r of report.results) {
    t.ok(r.checkpoints >= 1, `${r.variant}: ${r.checkpoints} checkpoints completed before the final one`);
    for (const k of ['e2eMsMedian', 'e2eMsP99', 'alignmentMsMedian', 'startDelayMsMedian'] as const) t.ok(r[k] >= 0, `${r.variant}: ${k} ${r[k]}`);
    t.ok(r.e2eMsP99 >= r.e2eMsMedian, 'the p99 is not below the median');
    if (r.mode === 'aligned') t.equal(r.persistedBytesMedian, 0, 'aligned checkpoints persist no in-flight data');
    else t.ok(r.persistedBytesMedian > 0, `unaligned checkpoints under backpressure persist in-flight data: ${r.persistedBytesMedian} B`);
    t.ok(r.recordsPerSec > 0);
  }
});
