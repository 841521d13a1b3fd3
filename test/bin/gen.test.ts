import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeResults } from '../../bench/report.js';

const CLI = fileURLToPath(new URL('../../bin/snapflow.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

t.test('snapflow gen writes the file to stdout and says what it wrote on stderr', async (t) => {
  const r = run('gen', '--rows', '3', '--keys', '10', '--seed', '3');
  t.equal(r.status, 0, r.stderr);
  t.same(r.stdout.trim().split('\n'), [
    'transaction_id,customer_id,amount,timestamp',
    '0,C3,7591.99,2024-03-01T00:00:00Z', '1,C0,3814.51,2024-03-01T00:00:01Z', '2,C3,2944.78,2024-03-01T00:00:02Z',
  ]);
  t.match(r.stderr, /wrote 3 rows .* to - in/);
  const bad = run('gen', '--rows', '0');
  t.equal(bad.status, 2);
  t.match(bad.stderr, /--rows: must be an integer ≥ 1/);
});

t.test('bench throughput --input reads a generated file: every row counted, both pipelines', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'snapflow-gen-bench-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'tx.csv');
  t.equal(run('gen', '--rows', '5000', '--keys', '50', '--skew', 'zipf:1.1', '--seed', '2', '--out', file).status, 0);
  const r = run('bench', 'throughput', '--input', file, '--parallelism', '1,2', '--runs', '1', '--no-baseline', '--threads', '2', '--json');
  t.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { results: { pipeline: string; parallelism: number; records: number; recordsPerSec: number }[] };
  t.same(report.results.map((x) => [x.pipeline, x.parallelism, x.records]), [['stateless', 1, 5000], ['stateless', 2, 5000], ['keyed', 1, 5000], ['keyed', 2, 5000]]);
  t.ok(report.results.every((x) => x.recordsPerSec > 0));

  const empty = join(dir, 'empty.csv');
  writeFileSync(empty, 'transaction_id,customer_id,amount,timestamp\n');
  const none = run('bench', 'throughput', '--input', empty, '--runs', '1', '--no-baseline');
  t.equal(none.status, 1);
  t.match(none.stderr, `${empty}: no data rows after the header`);
  const bad = join(dir, 'bad.csv');
  writeFileSync(bad, 'transaction_id,customer_id,amount,timestamp\n1,C1,12.5,x\n2,C2,oops,x\n');
  const failed = run('bench', 'throughput', '--input', bad, '--parallelism', '1', '--runs', '1', '--no-baseline', '--pipeline', 'stateless');
  t.not(failed.status, 0, 'a bad row fails the benchmark rather than being skipped');
  t.match(failed.stderr, `${bad}:3`, 'the error names the file and line');
});

t.test('gen, savepoint and bench report print JSON with --json', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'snapflow-json-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'tx.csv');
  const gen = run('gen', '--rows', '500', '--keys', '7', '--out', out, '--json');
  t.equal(gen.status, 0, gen.stderr);
  t.match(JSON.parse(gen.stdout), { out, rows: 500, keys: 7, seed: 42, skew: 'uniform' });
  t.ok(JSON.parse(gen.stdout).bytes > 500 * 10, 'with the bytes written');
  const toStdout = run('gen', '--rows', '5', '--json');
  t.equal(toStdout.status, 2, 'rows and JSON cannot share stdout');
  t.match(toStdout.stderr, /--json/);

  // A process standing in for a running job: it exits once it hears the savepoint request.
  const job = spawn(process.execPath, ['-e', "process.on('SIGUSR2', () => process.exit(7)); setInterval(() => {}, 1000); console.log('ready')"], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise((resolve) => job.stdout.once('data', resolve));
  const exited = new Promise<number | null>((resolve) => job.on('exit', resolve));
  const sp = run('savepoint', String(job.pid), '--json');
  t.equal(sp.status, 0, sp.stderr);
  t.same(JSON.parse(sp.stdout), { pid: job.pid, signal: 'SIGUSR2', stop: false });
  t.equal(await exited, 7, 'the job got the signal');

  const empty = join(dir, 'results');
  await writeResults(empty, { meta: { startedAt: '2026-01-01T00:00:00Z', sweep: 'custom' }, throughput: [], checkpoint: [], recovery: [], windows: [] });
  const report = run('bench', 'report', empty, '--json');
  t.equal(report.status, 0, report.stderr);
  const parsed = JSON.parse(report.stdout);
  t.equal(parsed.dir, empty);
  t.ok(parsed.files.some((f: string) => f.endsWith('report.html')), 'the report was written');
});
