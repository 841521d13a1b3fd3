import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = fileURLToPath(new URL('../../bin/snapflow.js', import.meta.url));
const COUNTS = fileURLToPath(new URL('../fixtures/jobs/counts.js', import.meta.url));
const EDGE = fileURLToPath(new URL('../fixtures/jobs/edge.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

t.test('--help lists the commands, and every command has its own help', async (t) => {
  const top = run('--help');
  t.equal(top.status, 0);
  t.match(top.stdout, /run <job>/);
  t.match(top.stdout, /bench/);
  const runHelp = run('run', '--help');
  t.match(runHelp.stdout, /--parallelism/);
  t.match(runHelp.stdout, /--threads/);
  const benchHelp = run('bench', 'throughput', '--help');
  t.match(benchHelp.stdout, /--pipeline/);
  t.match(benchHelp.stdout, /--records/);
});

t.test('run transactions prints one running total per transaction of the bundled file', async (t) => {
  const r = run('run', 'transactions');
  t.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.equal(lines.length, 50);
  const last = new Map<string, { transactions: number }>();
  for (const line of lines) {
    const row = JSON.parse(line) as { customer_id: string; transactions: number };
    last.set(row.customer_id, row);
  }
  t.equal([...last.values()].reduce((n, r) => n + r.transactions, 0), 50, 'per-customer counts add up to 50');
  t.match(r.stderr, /job finished: 50 source records/);
});

t.test('run passes --param values to the job and --json prints statistics', async (t) => {
  const r = run('run', COUNTS, '-p', '2', '--param', 'records=1000', '--param', 'keys=7', '--json');
  t.equal(r.status, 0, r.stderr);
  const stats = JSON.parse(r.stdout.trim().split('\n').pop()!) as { sourceRecords: number };
  t.equal(stats.sourceRecords, 1000);
});

t.test('bad options are rejected with exit code 2 and a message naming the option', async (t) => {
  const p0 = run('run', 'transactions', '--parallelism', '0');
  t.equal(p0.status, 2);
  t.match(p0.stderr, /parallelism/);
  const missing = run('run', 'no-such-job');
  t.equal(missing.status, 2);
  t.match(missing.stderr, /no-such-job/);
  const pipeline = run('bench', 'throughput', '--pipeline', 'windowed');
  t.equal(pipeline.status, 2);
  t.match(pipeline.stderr, /--pipeline.*windowed/);
  const unknown = run('run', 'transactions', '--paralelism', '2');
  t.equal(unknown.status, 2);
  t.match(unknown.stderr, /paralelism/);
});

t.test('a failing job exits 1 with the operator, subtask and record in the message', async (t) => {
  const r = run('run', COUNTS, '--param', 'records=500', '--param', 'keys=3', '--param', 'fault=throw', '--param', 'faultAt=42');
  t.equal(r.status, 1);
  t.match(r.stderr, /UserFunctionError: operator "Faulty map" subtask 1\/1: user function failed on record .*"transaction_id":42/);
});

t.test('Ctrl-C cancels a running job cleanly with exit code 130', async (t) => {
  const child = spawn(process.execPath, [CLI, 'run', COUNTS, '--param', 'records=100000000', '--param', 'keys=1000'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  await new Promise<void>((resolve) => {
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.includes('snapflow: running')) resolve();
    });
  });
  child.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.equal(code, 130);
  t.match(stderr, /CancelledError: cancelled: the job was interrupted/);
});

t.test('a job that can make no progress on one thread exits 1 saying it stalled', async (t) => {
  const r = run('run', EDGE, '--local', '--param', 'mode=stall');
  t.equal(r.status, 1);
  t.match(r.stderr, /the job stalled/);
});

t.test('a reader that closes the pipe early ends the run quietly', async (t) => {
  const child = spawn(process.execPath, [CLI, 'run', EDGE, '--param', 'mode=print'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (c: string) => (stderr += c));
  await new Promise((resolve) => child.stdout.once('data', resolve));
  child.stdout.destroy();
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.equal(code, 0);
  t.notMatch(stderr, /node:events|Unhandled/);
});

t.test('run with checkpoint flags prints the checkpoint table and lists them with snapflow checkpoints', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'snapflow-cli-ckpt-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const r = run('run', 'transactions', '--checkpoint-interval', '50', '--checkpoint-mode', 'incremental', '--checkpoint-dir', `file://${dir}`, '--retained', '2', '--json');
  t.equal(r.status, 0, r.stderr);
  t.match(r.stderr, /checkpoints of job transactions-/);
  t.match(r.stderr, /completed\*/, 'the final checkpoint is marked');
  const stats = JSON.parse(r.stdout.trim().split('\n').pop()!) as { checkpoints: { counts: { completed: number }; jobDir: string } };
  t.ok(stats.checkpoints.counts.completed >= 1, 'checkpoint statistics are in the JSON');
  t.ok(stats.checkpoints.jobDir.startsWith(dir), 'the job folder is inside the checkpoint dir');
  const listed = run('checkpoints', dir, '--verify');
  t.equal(listed.status, 0, listed.stderr);
  t.match(listed.stdout, /incremental\s+lmdb\s+final/);
});

t.test('checkpoint flags without an interval, and incremental heap state, are configuration errors', async (t) => {
  const stray = run('run', 'transactions', '--checkpoint-mode', 'incremental');
  t.equal(stray.status, 2);
  t.match(stray.stderr, /--checkpoint-mode needs --checkpoint-interval/);
  const heap = run('run', 'transactions', '--checkpoint-interval', '100', '--checkpoint-mode', 'incremental', '--state-backend', 'heap');
  t.equal(heap.status, 2);
  t.match(heap.stderr, /option checkpoint-mode: the heap state backend takes full checkpoints only/);
  const bad = run('run', 'transactions', '--checkpoint-interval', '0');
  t.equal(bad.status, 2);
  t.match(bad.stderr, /option checkpoint-interval: must be an integer ≥ 1, got 0/);
});
