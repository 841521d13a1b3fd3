/** The recovery flags of `snapflow run` and the savepoint command, through the real CLI. */
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = fileURLToPath(new URL('../../bin/snapflow.js', import.meta.url));
const JOB = fileURLToPath(new URL('../fixtures/jobs/exactly-once.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'snapflow-recovery-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('an injected failure is restarted and logged with its cause; --json reports restarts and restores', async (t) => {
  const dir = tempDir(t);
  const r = run('run', JOB, '--param', 'records=6000', '--param', 'keys=60', '--param', 'rate=20000', '--checkpoint-interval', '25', '--checkpoint-dir', dir,
    // Failing in checkpoint 2's snapshot means checkpoint 1 completed first, however loaded the machine.
    '--inject-failure', 'checkpoint=2', '--restart-strategy', 'fixed-delay', '--restart-delay', '0', '--json');
  t.equal(r.status, 0, r.stderr);
  t.match(r.stderr, /restart 1 \(restart 1 of 3 after 0 ms\), cause: .*injected failure checkpoint=2/);
  t.match(r.stderr, /restore after restart 1: checkpoint \d+/);
  const stats = JSON.parse(r.stdout) as { restarts: { checkpointId: number }[]; failuresInjected: number };
  t.equal(stats.failuresInjected, 1);
  t.equal(stats.restarts.length, 1);
});

t.test('recovery flags are checked and errors name the flag', async (t) => {
  const cases: [string[], RegExp][] = [
    [['--savepoint-dir', '/tmp/x'], /savepoint-dir: savepoints need checkpointing on/],
    [['--from-savepoint', '/a', '--from-checkpoint', '/b'], /from-savepoint: give --from-savepoint or --from-checkpoint, not both/],
    [['--restart-delay', '5'], /restart-delay: --restart-delay needs --restart-strategy/],
    [['--inject-failure', 'records=5@Nope'], /inject-failure: "records=5@Nope": unknown operator "Nope"/],
    [['--inject-failure', 'records=5@Pass!exit', '--local'], /inject-failure: .*hard exit needs worker threads/],
    [['--checkpoint-interval', '100', '--from-checkpoint', '/does/not/exist'], /from-checkpoint: \/does\/not\/exist is neither a savepoint/],
  ];
  for (const [flags, message] of cases) {
    const r = run('run', JOB, '--param', 'records=10', '--param', 'keys=6', ...flags);
    t.equal(r.status, 2, `${flags.join(' ')} exits 2`);
    t.match(r.stderr, message);
  }
  const bad = run('savepoint', '999999999');
  t.equal(bad.status, 2);
  t.match(bad.stderr, /pid: cannot signal process 999999999/);
});

t.test('snapflow savepoint --stop ends a running job with a savepoint; --from-savepoint resumes it at another parallelism', async (t) => {
  const dir = tempDir(t);
  const common = ['--param', 'records=400000', '--param', 'keys=600', '--param', 'rate=100000', '--checkpoint-interval', '100', '--checkpoint-dir', join(dir, 'ckpt'), '--json'];
  const child = spawn(process.execPath, [CLI, 'run', JOB, '-p', '2', '--savepoint-dir', join(dir, 'sp'), ...common], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (/running /.test(stderr) && !child.killed) setTimeout(() => run('savepoint', String(child.pid), '--stop'), 500);
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.equal(code, 0, stderr);
  t.match(stderr, /stopped with savepoint .*savepoint-/);
  const [savepoint] = readdirSync(join(dir, 'sp'));
  const resumed = run('run', JOB, '-p', '3', '--from-savepoint', join(dir, 'sp', savepoint), ...common);
  t.equal(resumed.status, 0, resumed.stderr);
  t.match(resumed.stderr, /restore at start: checkpoint \d+/);
});
