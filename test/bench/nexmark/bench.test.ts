/** `snapflow bench nexmark` on a small run with real workers: figures in the documented shape, verified, failures fired. */
import t from 'tap';
import { benchNexmark } from '../../../bench/nexmark/bench.js';
import { nexmarkTable } from '../../../bench/nexmark/table.js';

t.test('two queries at parallelism 2 with incremental checkpoints and thread exits: verified, with every figure', async (t) => {
  const report = await benchNexmark({
    // Throttled to about a second per query, so that checkpoints complete whatever the machine's speed.
    queries: ['q2', 'q9'], events: 20_000, rate: 2000, throttle: 20_000, parallelism: 2, checkpointIntervalMs: 20, checkpointMode: 'incremental',
    stateBackend: 'lmdb', verify: true, runs: 1, failures: 3,
  });
  t.same(report.results.map((r) => r.query), ['q2', 'q9']);
  for (const r of report.results) {
    t.same(Object.keys(r).slice(0, 9), ['query', 'events', 'parallelism', 'cores', 'eventsPerSec', 'eventsPerSecPerCore', 'peakRssMiB', 'verified', 'checkpoints'], `${r.query}: the documented fields first`);
    t.equal(r.verified, true, `${r.query}: equal to the reference after the failures`);
    t.equal(r.failuresInjected, 3, `${r.query}: three failures fired`);
    t.ok(r.cores >= 1 && r.cores <= 2, `${r.query}: cores are at most the threads`);
    t.equal(r.eventsPerSecPerCore, Math.round(r.eventsPerSec / r.cores), `${r.query}: per core is per core`);
    t.ok(r.checkpoints.completed > 0, `${r.query}: checkpoints completed`);
  }
  const q9 = report.results[1]!;
  t.ok(q9.checkpoints.stateBytes > 0, 'q9 keeps auctions in state');
  const table = nexmarkTable(report);
  t.match(table[0], /per core.*Flink\/core/, 'the table sets each figure beside Flink\'s');
  t.match(table.join('\n'), /6 injected failures fired/, 'and counts the failures');
});

t.test('without --verify nothing is claimed', async (t) => {
  const report = await benchNexmark({ queries: ['q1'], events: 2000, parallelism: 1, stateBackend: 'heap', verify: false, runs: 2 });
  t.equal(report.results[0]!.verified, null);
  t.equal(report.results[0]!.runs.length, 2, 'one figure per run');
  t.same(report.results[0]!.checkpoints, { completed: 0, stateBytes: 0, checkpointedBytesMedian: 0, e2eMsMedian: 0 });
});

t.test('runs paired with runs without checkpoints: a ratio per pair, their median, and the table shows it', async (t) => {
  const report = await benchNexmark({
    queries: ['q2'], events: 4000, parallelism: 1, checkpointIntervalMs: 50, checkpointMode: 'incremental', stateBackend: 'lmdb', verify: true, runs: 3, compareWithout: true,
  });
  const r = report.results[0]!;
  const w = r.withoutCheckpoints!;
  t.equal(r.verified, true, 'the runs without checkpoints are verified too');
  t.equal(w.runs.length, 3, 'one run without checkpoints per run with them');
  t.same(w.ratios, r.runs.map((x, i) => Math.round((x / w.runs[i]!) * 1000) / 1000), 'each ratio is of one pair');
  t.equal(w.ratio, [...w.ratios].sort((a, b) => a - b)[1], 'the ratio is the pairs\' median');
  t.equal(w.eventsPerSecPerCore, Math.round(w.eventsPerSec / r.cores));
  const table = nexmarkTable(report);
  t.match(table[0], /with\/without/, 'the table has the ratio');
  const row = table[1]!.trim().split(/\s+/);
  t.equal(row[0], 'q2', 'the query\'s row');
  t.equal(row.at(-4), w.ratio.toFixed(2), 'shows the median ratio');
  t.same(row.slice(-3), w.ratios.map((x) => x.toFixed(2)), 'and every pair\'s');
});

t.test('warm workers: two uncounted runs of each query first, only the counted ones in the figures, and the table says so', async (t) => {
  const report = await benchNexmark({
    queries: ['q1', 'q2'], events: 4000, parallelism: 2, checkpointIntervalMs: 50, checkpointMode: 'incremental', stateBackend: 'lmdb', verify: true, runs: 2,
    compareWithout: true, warmWorkers: true,
  });
  for (const r of report.results) {
    t.equal(r.warmWorkers, true, `${r.query}: marked`);
    t.equal(r.verified, true, `${r.query}: verified on kept threads`);
    t.equal(r.runs.length, 2, `${r.query}: the warming runs are not counted`);
    t.equal(r.withoutCheckpoints!.runs.length, 2, `${r.query}: nor beside the runs without checkpoints`);
  }
  t.match(nexmarkTable(report).join('\n'), /Warm workers: every run on the same threads/);
  const cold = await benchNexmark({ queries: ['q1'], events: 2000, parallelism: 1, stateBackend: 'heap', verify: false, runs: 1 });
  t.equal(cold.results[0]!.warmWorkers, undefined, 'without the option, no mark');
  t.notMatch(nexmarkTable(cold).join('\n'), /Warm workers/);
});

t.test('pairing needs checkpoints', async (t) => {
  await t.rejects(benchNexmark({ queries: ['q1'], events: 100, parallelism: 1, stateBackend: 'heap', verify: false, runs: 1, compareWithout: true }), /compare-without.*checkpoint-interval/);
});
