import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { checkOptions, runExperiment, type ExperimentOptions } from '../../bench/experiment.js';
import { duHuman, formatExperiment, spreadVerdict } from '../../bench/experiment-table.js';
import { BUNDLED_DATA } from '../../bin/jobs/transactions.js';
import { ConfigError } from '../../base/errors.js';

const CLI = fileURLToPath(new URL('../../bin/snapflow.js', import.meta.url));

const tiny: ExperimentOptions = {
  cases: ['stateless', 'keyed', 'synthetic'], runs: 1, parallelism: 1, intervalMs: 20, recordDelayMs: 1,
  keys: 5000, updateRatio: 0.02, rounds: 3, valueBytes: 50, restartAttempts: 3, restartDelayMs: 100,
  print: false, input: BUNDLED_DATA,
};

t.test('the experiment measures every case in both modes', async (t) => {
  const report = await runExperiment(tiny);
  t.equal(report.cases.length, 6);
  const get = (c: string, mode: string) => report.cases.find((r) => r.case === c && r.mode === mode)!;
  for (const c of report.cases) {
    t.match(c, {
      name: String, mode: /^(full|incremental)$/, runs: 1, processingMs: { median: Number, min: Number, max: Number },
      storageBytes: Number, checkpoints: Number, checkpointedBytes: { median: Number }, fullStateBytes: Number, restoreMs: Number,
    }, `${c.name} ${c.mode} has the documented fields`);
    t.ok(c.checkpoints >= 1, `${c.name} ${c.mode} completed checkpoints`);
    t.ok(c.storageBytes > 0, `${c.name} ${c.mode} left something on disk (metadata at least)`);
  }
  for (const mode of ['full', 'incremental']) {
    t.equal(get('stateless', mode).fullStateBytes, 0, `stateless ${mode}: no keyed state`);
    t.equal(get('stateless', mode).checkpointedBytes.median, 0, `stateless ${mode}: checkpoints write no state`);
    t.ok(get('keyed', mode).fullStateBytes > 0, `keyed ${mode}: state stored`);
    t.ok(get('synthetic', mode).fullStateBytes > 0, `synthetic ${mode}: state stored`);
  }
  t.ok(get('synthetic', 'incremental').checkpointedBytes.median < get('synthetic', 'full').checkpointedBytes.median,
    'incremental checkpoints of the synthetic case write fewer bytes than full ones');
  const text = formatExperiment(report);
  t.match(text, /what the lab printed/);
  t.match(text, /no keyed state/);
});

t.test('spreadVerdict says when a difference is noise', async (t) => {
  const s = (median: number, min: number, max: number) => ({ median, min, max });
  t.match(spreadVerdict(s(29740, 29740, 29740), s(27820, 27820, 27820), 1), /one run per mode: no spread/, 'the lab: one run each');
  t.match(spreadVerdict(s(100, 90, 120), s(95, 85, 105), 3), /within the spread \(ranges overlap\)/);
  t.match(spreadVerdict(s(100, 90, 110), s(50, 45, 55), 3), /incremental lower by 50% \(ranges do not overlap\)/);
  t.match(spreadVerdict(s(50, 45, 55), s(100, 90, 110), 3), /full lower by 100%/);
  t.match(spreadVerdict(s(100, 90, 110), s(100, 90, 110), 3), /the same/);
  t.match(spreadVerdict(s(0, 0, 0), s(10, 10, 10), 3), /full lower/, 'zero does not divide');
  t.equal(duHuman(16384), '16K');
  t.equal(duHuman(4096), '4.0K');
  t.equal(duHuman(512), '512');
});

t.test('bad settings are ConfigErrors naming the flag', async (t) => {
  t.throws(() => checkOptions({ ...tiny, runs: 0 }), ConfigError);
  t.throws(() => checkOptions({ ...tiny, runs: 0 }), /runs/);
  t.throws(() => checkOptions({ ...tiny, cases: ['nope' as 'keyed'] }), /cases/);
  t.throws(() => checkOptions({ ...tiny, recordDelayMs: -1 }), /record-delay/);
});

t.test('--json prints one JSON object and nothing else on stdout', async (t) => {
  const r = spawnSync(process.execPath, [CLI, 'experiment', '--json', '--cases', 'stateless', '--runs', '1', '--record-delay', '0', '--checkpoint-interval', '20'], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { cases: { name: string; mode: string }[] };
  t.strictSame(out.cases.map((c) => `${c.name}/${c.mode}`), ['lab: stateless/full', 'lab: stateless/incremental']);
  t.match(r.stderr, /experiment: lab: stateless, full, run 1\/1/, 'progress goes to stderr');
  const bad = spawnSync(process.execPath, [CLI, 'experiment', '--runs', 'x'], { encoding: 'utf8' });
  t.equal(bad.status, 2);
  t.match(bad.stderr, /runs/);
});
