/** The results folder and HTML report on made-up results, and the crossover logic; no benchmark runs. */
import t from 'tap';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readResults, regenerateReport, writeResults, RESULT_FILES, type BenchRun, type SuiteResults } from '../../bench/report.js';
import { checkpointTable, describeCrossover, findCrossovers } from '../../bench/report-data.js';
import { chartSpecs, renderReport } from '../../bench/report-html.js';
import { commandOf, planSuite, planSuiteOrFail } from '../../bench/suite.js';
import { startProgress } from '../../bench/progress.js';
import type { CheckpointBenchReport, CheckpointBenchResult } from '../../bench/checkpoint.js';
import type { CheckpointMode } from '../../base/kinds.js';
import type { WindowBenchReport, WindowBenchResult } from '../../bench/windows.js';
import type { NexmarkReport, NexmarkResult } from '../../bench/nexmark/bench.js';
import type { CostReport } from '../../bench/cost/bench.js';
import type { BackpressureReport } from '../../bench/backpressure.js';
import { QUERY_NAMES } from '../../bench/nexmark/queries/index.js';

function win(assigner: WindowBenchResult['assigner'], mode: CheckpointMode, policy: string, bytes: number): WindowBenchResult {
  const c = (id: number) => ({ id, fullStateBytes: 4000, checkpointedBytes: bytes, writtenEntries: bytes / 40, writtenDeletions: mode === 'full' ? 0 : bytes / 80, e2eMs: 10, syncMs: 0.5, asyncMs: 9 });
  return {
    assigner, mode, policy, keys: 1000, records: 10_000, windowMs: 2e6, slideMs: assigner === 'sliding' ? 5e5 : 2e6, checkpoints: [c(1), c(2)],
    stateBytesMean: 4000, stateBytesMax: 4000, bytesPerCheckpointMean: bytes, deletionsPerCheckpointMean: mode === 'full' ? 0 : bytes / 80,
    deletionShare: mode === 'full' ? 0 : 0.5, deltas: bytes < 4000 ? 2 : 0, e2eMsMedian: 10, e2eMsMax: 10, syncMsP99: 0.5, recordsPerSec: 5000, windowsFired: 2000,
  };
}

const WINDOWS: BenchRun<WindowBenchReport> = {
  command: 'snapflow bench windows --keys 1000 --json', options: { keys: 1000 },
  report: { results: [win('tumbling', 'full', 'default', 4000), win('tumbling', 'incremental', 'max-delta-ratio 1', 800), win('sliding', 'full', 'default', 4000)] },
};

const nexmarkResult = (query: string, perCore: number, completed: number): NexmarkResult => ({
  query, events: 1000, parallelism: 2, cores: 2, eventsPerSec: perCore * 2, eventsPerSecPerCore: perCore, peakRssMiB: 100, verified: null,
  checkpoints: { completed, stateBytes: completed * 1000, checkpointedBytesMedian: completed * 100, e2eMsMedian: completed * 10 }, failuresInjected: 0, restarts: 0, runs: [perCore * 2], flinkPerCore: 155_000,
});

const BACKPRESSURE: BenchRun<BackpressureReport> = {
  command: 'snapflow bench backpressure --json', options: { sinkRate: 2000 },
  report: {
    results: [
      { mode: 'aligned', variant: 'all', parallelism: 2, checkpoints: 9, e2eMsMedian: 850, e2eMsP99: 1400, alignmentMsMedian: 600, startDelayMsMedian: 240, persistedBytesMedian: 0, recordsPerSec: 4000 },
      { mode: 'aligned', variant: 'one-slow', parallelism: 2, checkpoints: 9, e2eMsMedian: 1700, e2eMsP99: 2500, alignmentMsMedian: 1500, startDelayMsMedian: 100, persistedBytesMedian: 0, recordsPerSec: 3900 },
    ],
  },
};

const COST: BenchRun<CostReport> = {
  command: 'snapflow bench cost --rows 1000 --json', options: { rows: 1000 },
  report: {
    input: '/tmp/in.csv', rows: 1000, baseline: { recordsPerSec: 400_000, runs: [400_000] },
    results: [
      { backend: 'heap', parallelism: 2, checkpointing: 'none', recordsPerSec: 600_000, vsBaseline: 1.5, peakRssMiB: 200, checkpoints: 0, runs: [600_000] },
      { backend: 'lmdb', parallelism: 2, checkpointing: 'incremental', recordsPerSec: 320_000, vsBaseline: 0.8, peakRssMiB: 300, checkpoints: 4, runs: [320_000] },
    ],
  },
};

const NEXMARK: BenchRun<NexmarkReport>[] = [
  { command: 'snapflow bench nexmark --queries q0,q5 --json', options: { events: 1000 }, report: { results: [nexmarkResult('q0', 300_000, 0), nexmarkResult('q5', 20_000, 0)] } },
  { command: 'snapflow bench nexmark --queries q0 --checkpoint-interval 1000 --json', options: { events: 1000, checkpointIntervalMs: 1000, checkpointMode: 'incremental' }, report: { results: [nexmarkResult('q0', 250_000, 3)] } },
  {
    command: 'snapflow bench nexmark --queries q5 --checkpoint-interval 1000 --compare-without --json', options: { events: 1000, checkpointIntervalMs: 1000, checkpointMode: 'incremental', compareWithout: true },
    report: { results: [{ ...nexmarkResult('q5', 20_000, 2), withoutCheckpoints: { eventsPerSec: 50_000, eventsPerSecPerCore: 25_000, peakRssMiB: 90, runs: [50_000], ratios: [0.8], ratio: 0.8 } }] },
  },
];

function ck(mode: CheckpointMode, keys: number, updateRatio: number, bytes: number, e2eMs: number): CheckpointBenchResult {
  const k = (id: number, b: number) => ({ id, checkpointedBytes: b, fullStateBytes: keys * 80, e2eMs, syncMs: 1, asyncMs: e2eMs - 1, alignmentMs: 0 });
  return {
    mode, keys, updateRatio, checkpoints: [k(2, bytes), k(3, bytes)], loadCheckpoint: k(1, keys * 80), avgEntryBytes: 80,
    changedKeysPerCheckpoint: keys * updateRatio, syncMsP99: 1, e2eMsMedian: e2eMs, recordsPerSec: 900, recordsPerSecNoCheckpoints: 1000,
    runs: { withCheckpoints: [900], noCheckpoints: [1000] },
  };
}

function ckRun(keys: number, rate: number, full: [number, number], inc: [number, number], stateBackend = 'lmdb'): BenchRun<CheckpointBenchReport> {
  return {
    command: `snapflow bench checkpoint --keys ${keys} --update-ratio ${rate} --state-backend ${stateBackend} --json`,
    options: { keys, updateRatio: rate, stateBackend, intervalMs: 1000 },
    report: { results: [ck('full', keys, rate, ...full), ck('incremental', keys, rate, ...inc)] },
  };
}

const EVIL = '</script><script>alert(1)</script>';

const RESULTS: SuiteResults = {
  meta: { startedAt: '2026-01-01T00:00:00Z', sweep: 'quick', notes: [`note with ${EVIL}`] },
  throughput: [{
    command: 'snapflow bench throughput --parallelism 1,2 --json',
    options: { parallelism: [1, 2] },
    report: {
      baseline: { records: 100, batchSize: 10, elapsedMs: 1, recordsPerSec: 5000 } as never,
      results: [1, 2].map((p) => ({ pipeline: p === 1 ? EVIL : 'stateless', parallelism: p, records: 100, recordsPerSec: 1000 * p, peakRssMiB: 50, latencyMs: { p50: 1, p99: 2 }, runs: [1000 * p], chaining: true, separateSink: false, backpressuredMs: 0 })),
    },
  }],
  checkpoint: [ckRun(10_000, 0.01, [800_000, 20], [10_000, 5]), ckRun(10_000, 0.1, [800_000, 20], [90_000, 8])],
  recovery: [{
    command: 'snapflow bench recovery --keys 100000 --chain-lengths 0,4 --json',
    options: { keys: 100_000, updateRatio: 0.01 },
    report: { results: [0, 4].map((n) => ({ chainLength: n, keys: 100_000, restoreMs: 100 + n * 10, restoredBytes: 8e6, deltaRatio: n * 0.01, vsFull: 1 + n / 10, fullMs: 100, fullKeysPerSec: 1e6, runsMs: [100 + n * 10] })) },
  }],
  windows: [WINDOWS],
  nexmark: NEXMARK,
  cost: [COST],
  backpressure: [BACKPRESSURE],
};

t.test('writeResults writes JSON, CSV and a self-contained report', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'snapflow-report-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const files = await writeResults(join(dir, 'out'), RESULTS);
  t.equal(files.length, Object.keys(RESULT_FILES).length);
  const read = (name: string) => readFile(join(dir, 'out', name), 'utf8');

  const index = JSON.parse(await read('index.json'));
  t.equal(index.chartLibrary.name, 'chart.js');
  t.equal(index.chartLibrary.license, 'MIT');
  t.equal(index.crossover.length, 1);
  t.same(JSON.parse(await read('checkpoint.json')), RESULTS.checkpoint);

  const tp = (await read('throughput.csv')).trimEnd().split('\n');
  t.equal(tp[0], 'pipeline,stateBackend,parallelism,records,recordsPerSec,baselineRecordsPerSec,peakRssMiB,latencyP50Ms,latencyP99Ms,chaining,separateSink,backpressuredMs,runsRecordsPerSec');
  t.equal(tp.length, 3);
  t.equal(tp[2], 'stateless,,2,100,2000,5000,50,1,2,true,false,0,2000');
  const ckCsv = (await read('checkpoint.csv')).trimEnd().split('\n');
  t.match(ckCsv[0], /^stateBackend,mode,keys,updateRatio,intervalMs,/);
  t.equal(ckCsv.length, 5);
  t.equal(ckCsv[2], 'lmdb,incremental,10000,0.01,1000,80,100,2,10000,5,5,1,900,1000,10');
  t.equal((await read('checkpoint-timeline.csv')).trimEnd().split('\n').length, 1 + 4 * 3);
  const rec = (await read('recovery.csv')).trimEnd().split('\n');
  t.equal(rec[0], 'keys,updateRatio,chainLength,restoreMs,restoredBytes,deltaRatio,vsFull,fullMs,fullKeysPerSec,policy,runsMs');
  t.equal(rec[2], '100000,0.01,4,140,8000000,0.04,1.4,100,1000000,,140');
  const winCsv = (await read('windows.csv')).trimEnd().split('\n');
  t.match(winCsv[0], /^assigner,mode,policy,keys,records,windowMs,slideMs,checkpoints,deltas,stateBytesMean,/);
  t.equal(winCsv[2], 'tumbling,incremental,max-delta-ratio 1,1000,10000,2000000,2000000,2,2,4000,4000,800,10,0.5,10,10,0.5,5000,2000');
  t.same(JSON.parse(await read('windows.json')), RESULTS.windows);
  const nxCsv = (await read('nexmark.csv')).trimEnd().split('\n');
  t.match(nxCsv[0], /^query,setting,events,parallelism,cores,eventsPerSec,eventsPerSecPerCore,flinkPerCore,/);
  t.equal(nxCsv[3], 'q0,incremental checkpoints every 1000 ms,1000,2,2,500000,250000,155000,100,,3,3000,300,30,500000,,', 'a row per query and setting');
  t.same(nxCsv.slice(4), [
    'q5,no checkpoints (paired),1000,2,2,50000,25000,155000,90,,0,0,0,0,50000,,',
    'q5,incremental checkpoints every 1000 ms,1000,2,2,40000,20000,155000,100,,2,2000,200,20,40000,0.8,0.8',
  ], 'a run paired with runs without checkpoints: a row for those, and the pairs\' ratio beside the run with them');
  const costCsv = (await read('cost.csv')).trimEnd().split('\n');
  t.equal(costCsv[0], 'rows,backend,parallelism,checkpointing,recordsPerSec,baselineRecordsPerSec,vsBaseline,peakRssMiB,checkpoints,runsRecordsPerSec');
  t.equal(costCsv[2], '1000,lmdb,2,incremental,320000,400000,0.8,300,4,320000', 'a row per configuration beside the baseline');
  const bpCsv = (await read('backpressure.csv')).trim().split('\n');
  t.equal(bpCsv[0], 'variant,mode,parallelism,checkpoints,e2eMsMedian,e2eMsP99,alignmentMsMedian,startDelayMsMedian,persistedBytesMedian,recordsPerSec');
  t.equal(bpCsv[2], 'one-slow,aligned,2,9,1700,2500,1500,100,0,3900', 'a row per variant and mode');

  const html = await read('report.html');
  t.match(html, 'Released under the MIT License', 'Chart.js is inlined');
  t.notMatch(html, 'is written as a new base', 'no crossover reached: no note on where it lies');
  t.notMatch(html, /<script[^>]*\ssrc=/i, 'no external script');
  t.notMatch(html, /<link[^>]*href=["']?https?:/i, 'no external stylesheet');
  t.notMatch(html, /<script>alert/, 'the data string cannot close the script element');
  t.match(html, '&lt;/script&gt;', 'escaped in HTML text');
  const m = /<script type="application\/json" id="snapflow-data">([\s\S]*?)<\/script>/.exec(html);
  t.ok(m, 'embedded data found');
  const data = JSON.parse((m as RegExpExecArray)[1]) as { charts: { id: string; config: { data: { datasets: { label: string }[] } } }[] };
  t.same(data.charts.map((c) => c.id), ['throughput', 'checkpoint-bytes', 'checkpoint-duration', 'timeline', 'restore', 'window-checkpoints', 'window-timeline', 'nexmark', 'cost', 'backpressure']);
  t.equal(data.charts[0].config.data.datasets[0].label, EVIL, 'the data parses back intact');
  t.equal((html.match(/<\/script>/g) ?? []).length, 3, 'only the three real script elements close');
  for (const id of ['throughput', 'checkpoint-bytes', 'timeline', 'restore', 'window-checkpoints', 'window-timeline']) t.match(html, `<canvas id="chart-${id}">`);
  const windowBars = data.charts.find((c) => c.id === 'window-checkpoints')!.config.data as unknown as { labels: string[]; datasets: { label: string; data: (number | null)[] }[] };
  t.same(windowBars.labels, ['tumbling, 1,000 keys', 'sliding, 1,000 keys'], 'one group per window kind and key count');
  t.same(windowBars.datasets.filter((d) => d.label.endsWith('bytes per checkpoint')).map((d) => [d.label, d.data]),
    [['full: bytes per checkpoint', [4000, 4000]], ['incremental (max-delta-ratio 1): bytes per checkpoint', [800, null]]], 'a bar per mode and policy; none where it was not measured');
  t.match(html, 'Checkpoints of sliding windows over 1,000 keys, one by one', 'the timeline shows the largest sliding run');
  const nexmarkBars = data.charts.find((c) => c.id === 'nexmark')!.config.data as unknown as { labels: string[]; datasets: { label: string; data: (number | null)[] }[] };
  t.same(nexmarkBars.labels, ['q0', 'q5']);
  t.same(nexmarkBars.datasets.map((d) => [d.label, d.data]), [
    ['snapflow, no checkpoints', [300_000, 20_000]], ['snapflow, incremental checkpoints every 1000 ms', [250_000, null]],
    ['snapflow, no checkpoints (paired)', [null, 25_000]], ['snapflow, incremental checkpoints every 1000 ms', [null, 20_000]], ['Flink 1.13 (published, other hardware)', [155_000, 155_000]],
  ], 'a bar per setting beside Flink\'s, the paired runs too; none where a query was not run');
  const costBars = data.charts.find((c) => c.id === 'cost')!.config.data as unknown as { labels: string[]; datasets: { data: (number | null)[] }[] };
  t.same(costBars.labels, ['heap p=2, no checkpoints', 'lmdb p=2, incremental every 1 s']);
  t.same(costBars.datasets.map((d) => d.data), [[1.5, 0.8]], 'a bar per configuration: its speed over the single thread');
  const timeline = data.charts.find((c) => c.id === 'window-timeline')!.config.data.datasets.map((d) => d.label);
  t.same(timeline, ['full: state size', 'full: bytes written', 'full: deletions written'], 'its state size, bytes and deletions');

  const again = await readResults(join(dir, 'out'));
  t.same(again, JSON.parse(JSON.stringify(RESULTS)), 'results read back from the JSON files');
  await regenerateReport(join(dir, 'out'));
  t.equal(await read('report.html'), html, 'regenerating from the folder gives the same report');

  const crossed = renderReport({ ...RESULTS, checkpoint: [...RESULTS.checkpoint, ckRun(10_000, 1, [800_000, 20], [800_000, 22])] }, '');
  t.match(crossed, /new base .* beyond the state .* past 100% of the state, or after 20 deltas\. .* at 10% of the keys changed per checkpoint a base follows 10 deltas, at 50% 2/, 'with a crossover the report says why it lies where it does');
});

t.test('cost-only checkpoint runs have no throughput: blank overhead, left out of the overhead chart', async (t) => {
  const costOnly = (interval: number): BenchRun<CheckpointBenchReport> => {
    const run = ckRun(1000, 0.01, [80_000, 20], [1000, 5]);
    run.options = { ...run.options, intervalMs: interval, runs: 0 };
    for (const r of run.report.results) Object.assign(r, { recordsPerSec: null, recordsPerSecNoCheckpoints: null, runs: { withCheckpoints: [], noCheckpoints: [] } });
    return run;
  };
  const measured = (interval: number): BenchRun<CheckpointBenchReport> => ({ ...ckRun(1000, 0.01, [80_000, 20], [1000, 5]), options: { keys: 1000, updateRatio: 0.01, intervalMs: interval } });
  const table = checkpointTable([costOnly(1000)]);
  t.same(table.rows.map((r) => r[table.header.indexOf('overheadPct')]), [null, null]);
  t.same(table.rows.map((r) => r[table.header.indexOf('intervalMs')]), [null, null], 'no interval was used');
  const res: SuiteResults = { ...RESULTS, checkpoint: [costOnly(200), measured(500), measured(1000)] };
  const overhead = chartSpecs(res).find((c) => c.id === 'overhead');
  const points = (overhead?.config as { data: { datasets: { data: { x: number }[] }[] } }).data.datasets.flatMap((d) => d.data.map((p) => p.x));
  t.same([...new Set(points)].sort((a, b) => a - b), [500, 1000], 'only runs that measured throughput are drawn');
});

t.test('crossover: the lowest change rate where incremental costs at least full', async (t) => {
  const runs = [
    ckRun(1000, 0.5, [100, 10], [120, 9]),
    ckRun(1000, 0.01, [100, 10], [5, 3]),
    ckRun(1000, 0.1, [100, 10], [40, 11]),
    ckRun(1000, 1, [100, 10], [200, 20]),
  ];
  const [c] = findCrossovers(runs);
  t.equal(c.stopsAt, 0.1, 'duration crossed first');
  t.same(c.by, ['duration']);
  t.equal(c.paysUpTo, 0.01);
  t.same(c.rates, [0.01, 0.1, 0.5, 1]);
  t.match(describeCrossover(c), 'between 1% and 10%');

  const never = findCrossovers([ckRun(1000, 0.01, [100, 10], [5, 3]), ckRun(1000, 0.1, [100, 10], [50, 6])]);
  t.equal(never[0].stopsAt, null);
  t.match(describeCrossover(never[0]), 'not reached');

  const always = findCrossovers([ckRun(1000, 0.01, [100, 10], [100, 3])]);
  t.equal(always[0].stopsAt, 0.01);
  t.equal(always[0].paysUpTo, null);
  t.same(always[0].by, ['bytes']);

  const split = findCrossovers([ckRun(1000, 0.01, [100, 10], [5, 3]), ckRun(10, 0.01, [100, 10], [500, 30], 'heap')]);
  t.same(split.map((c) => [c.backend, c.keys, c.stopsAt]), [['heap', 10, 0.01], ['lmdb', 1000, null]], 'one crossover per backend and state size');

  const oneMode: BenchRun<CheckpointBenchReport> = { command: 'x', options: {}, report: { results: [ck('full', 5, 0.1, 1, 1)] } };
  t.same(findCrossovers([oneMode]), [], 'rates without both modes are not compared');
});

t.test('suite plan, commands and progress output', async (t) => {
  const quick = planSuite({ full: false });
  t.same(quick.map((s) => s.kind), ['throughput', 'checkpoint', 'checkpoint', 'checkpoint', 'checkpoint', 'recovery', 'windows', 'windows', 'nexmark', 'cost', 'backpressure']);
  t.equal(commandOf(quick[9]), 'snapflow bench cost --rows 1000000 --keys 100000 --seed 42 --state-backend lmdb,heap --parallelism 1,2 --runs 1 --json');
  t.equal(commandOf(quick[8]), `snapflow bench nexmark --queries ${QUERY_NAMES.join(',')} --events 500000 --parallelism 2 --checkpoint-interval 1000 --checkpoint-mode incremental --compare-without --state-backend lmdb --runs 1 --json`,
    'runs with checkpoints paired with runs without');
  t.equal(commandOf(quick[7]), 'snapflow bench windows --keys 100000 --records 300000 --assigner tumbling,sliding --checkpoint-mode incremental --window-records 2 --overlap 4 --checkpoint-interval 500 --parallelism 1 --rate 10000 --max-delta-ratio 0.15 --json');
  t.equal(commandOf(quick[5]), 'snapflow bench recovery --keys 100000 --chain-lengths 0,4,16 --update-ratio 0.01 --runs 1 --value-bytes 64 --json');
  const full = planSuite({ full: true });
  const ck = full.filter((s) => s.kind === 'checkpoint');
  t.ok(ck.some((s) => s.options.stateBackend === 'heap' && !s.options.modes.includes('incremental')), 'heap: full checkpoints only');
  t.same([...new Set(ck.map((s) => s.options.keys))], [1e4, 1e5, 1e6, 1e7]);
  t.same([...new Set(ck.map((s) => s.options.updateRatio))].sort((a, b) => a - b), [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1], 'change rates 0.1% to 100%');
  t.same(full[0].kind === 'throughput' && full[0].options.parallelism, [1, 2, 4, 8, 16]);
  const overhead = full.filter((s) => s.part === 'overhead');
  t.same(overhead.map((s) => s.kind === 'checkpoint' && s.options.intervalMs), [200, 500, 1000, 2000, 5000]);
  t.ok(overhead.every((s) => s.kind === 'checkpoint' && s.options.runs > 0), 'the overhead part measures throughput');
  t.same(overhead.map((s) => s.kind === 'checkpoint' && s.options.streamUpdates), [2e6, 2e6, 2e6, 4e6, 1e7], 'runs long enough to span a few intervals');
  const grid = full.find((s) => s.part === 'checkpoint' && s.kind === 'checkpoint' && s.options.runs === 0);
  t.ok(grid, 'the grid measures cost alone');
  t.notMatch(commandOf(grid!), '--stream-updates', 'a cost-only command has no throughput flags');
  t.match(commandOf(grid!), '--runs 0');
  t.same([...new Set(full.filter((s) => s.kind === 'recovery').map((s) => s.options.keys))], [1e4, 1e5, 1e6, 1e7]);

  const only = planSuite({ full: true, only: ['recovery', 'overhead'] });
  t.same([...new Set(only.map((s) => s.part))], ['overhead', 'recovery'], '--only keeps the parts named, in sweep order');
  const capped = planSuite({ full: true, maxKeys: 100_000 });
  t.ok(capped.every((s) => s.kind === 'throughput' || s.kind === 'nexmark' || s.options.keys <= 100_000), '--max-keys leaves larger state sizes out');
  t.notOk(capped.some((s) => s.part === 'windows'), 'the windows part runs at 500,000 keys in the full sweep, so it goes too');
  t.notOk(capped.some((s) => s.part === 'overhead'), 'the overhead part runs at 10^6 keys, so it goes too');
  t.throws(() => planSuiteOrFail({ full: false, only: ['overhead'] }), { name: 'ConfigError', message: /--only overhead with the quick sweep leaves no step to run/ });
  t.throws(() => planSuiteOrFail({ full: true, only: ['recovery'], maxKeys: 1000 }), { name: 'ConfigError', message: /--only recovery with --max-keys 1000 with --full leaves no step/ });

  const lines = (tty: boolean) => {
    let text = '';
    const stream = { isTTY: tty, columns: 80, write: (s: string) => { text += s; return true; } } as unknown as NodeJS.WriteStream;
    const bar = startProgress({ label: 'bench', total: 2, unit: 'steps', stream });
    bar.update(0, 'first');
    bar.log('a line of its own');
    bar.update(1, 'second');
    bar.stop();
    return text;
  };
  t.match(lines(false), /^bench: 0\/2 steps \(0%\), 0s elapsed, ETA \?: first\na line of its own\nbench: 1\/2 steps \(50%\), 0s elapsed, ETA 0s: second\nbench: done, 2 steps in 0s\n$/, 'plain lines without a terminal');
});
