import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
