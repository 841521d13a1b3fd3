/**
 * `snapflow chaos` on small inputs: injected failures at several parallelisms, both backends
 * and both checkpoint modes, each run checked for exactly-once output and final state; the
 * flag checks; and the output audit on a folder with known faults.
 */
import t from 'tap';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chaosPassed, runChaos, validateChaosOptions, type ChaosOptions } from '../../bench/chaos.js';
import { auditOutput } from '../../bench/chaos-audit.js';
import { auditWindowOutput } from '../../bench/chaos-windows.js';
import { chaosWindowLine } from '../../bench/jobs/chaos-windows.js';

// Rate-limited so that checkpoints every 20 ms complete between failures and restores read real state,
// slowly enough that this holds on a machine busy with the other test files too.
const BASE: ChaosOptions = {
  records: 20_000, keys: 600, failures: 3, seed: 7, mode: 'full', backend: 'lmdb', parallelism: 1,
  checkpointIntervalMs: 20, kind: 'throw', rate: 10_000, stallTimeoutSec: 60,
};

const cases: { name: string; opts: Partial<ChaosOptions> }[] = [
  { name: 'p=1 lmdb full, thrown failures, one thread', opts: { parallelism: 1, local: true } },
  { name: 'p=2 lmdb incremental, thrown failures, one thread', opts: { parallelism: 2, mode: 'incremental', local: true } },
  { name: 'p=3 heap full, thrown errors and thread exits, worker threads, csv', opts: { parallelism: 3, backend: 'heap', kind: 'any', format: 'csv' } },
  { name: 'p=2 lmdb incremental, thrown errors and thread exits, worker threads', opts: { parallelism: 2, mode: 'incremental', kind: 'any', seed: 11 } },
  { name: 'windowed job, p=1 heap full, thrown failures, one thread', opts: { job: 'windowed', parallelism: 1, backend: 'heap', local: true } },
  { name: 'windowed job, p=2 lmdb incremental, thrown failures, one thread, csv', opts: { job: 'windowed', parallelism: 2, mode: 'incremental', local: true, format: 'csv' } },
  { name: 'windowed job, p=3 lmdb full, thrown errors and thread exits, worker threads', opts: { job: 'windowed', parallelism: 3, kind: 'any', seed: 5 } },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const r = await runChaos({ ...BASE, ...c.opts });
    const json = JSON.parse(JSON.stringify(r)) as Record<string, unknown>;
    for (const field of ['failuresInjected', 'restarts', 'lost', 'duplicated', 'violations', 'mismatchedKeys']) t.type(json[field], 'number', field);
    t.type(json.stateMatches, 'boolean');
    t.same(Object.keys(json.restoreMs as object).sort(), ['count', 'max', 'median', 'total']);
    t.equal(r.failuresInjected, 3, 'every failure fired');
    t.ok(r.restarts >= 3, 'restarted after each failure');
    t.equal(r.restoreMs.count, r.restarts, 'one restore per restart');
    t.ok(r.restoredFromCheckpoint >= 1, 'a restore read a checkpoint');
    t.same({ lost: r.lost, duplicated: r.duplicated, violations: r.violations, badLines: r.badLines }, { lost: 0, duplicated: 0, violations: 0, badLines: 0 });
    t.equal(r.stateMatches, true, 'final state is that of a run without failures');
    t.equal(r.mismatchedKeys, 0);
    t.ok(r.finalCheckpointId > 0, 'the state came from the final checkpoint');
    t.equal(r.lateRecordsDropped, 0, 'no record was late, restores included');
    t.ok(chaosPassed(r));
    t.equal(r.out, undefined, 'the temporary folder was removed');
  });
}

t.test('flags that cannot work are refused with a ConfigError naming the flag', async (t) => {
  const bad = (opts: Partial<ChaosOptions>, flag: RegExp) => t.throws(() => validateChaosOptions({ ...BASE, ...opts }), { name: 'ConfigError', message: flag });
  bad({ keys: 601, parallelism: 2 }, /--keys.*multiple of --parallelism 2/);
  bad({ records: 0 }, /--records/);
  bad({ failures: -1 }, /--failures/);
  bad({ parallelism: 1.5 }, /--parallelism/);
  bad({ records: Number.NaN }, /--records/);
  bad({ backend: 'heap', mode: 'incremental' }, /checkpoint-mode/);
  bad({ mode: 'delta' as never }, /checkpoint-mode/);
  bad({ kind: 'any', local: true }, /--kind/);
  bad({ checkpointIntervalMs: 0 }, /--checkpoint-interval/);
  bad({ job: 'sessions' as never }, /--job/);
  await t.rejects(runChaos({ ...BASE, records: 10, keys: 2, failures: 20 }), { name: 'ConfigError', message: /--failures/ });
});

t.test('the output audit finds lost, duplicated, violation and foreign lines', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'snapflow-chaos-audit-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'part-0-1.jsonl'), '0\n1\n1\n"violation gap key=C0 seq=2 last=0"\n');
  await writeFile(join(dir, 'part-1-1.csv'), 'value\n2\n99');
  await writeFile(join(dir, '.part-0-2.jsonl.pending'), '3\n');
  const a = await auditOutput(dir, 5);
  t.same(
    { lost: a.lost, duplicated: a.duplicated, violations: a.violations, badLines: a.badLines, lines: a.lines, files: a.files, uncommitted: a.uncommittedFiles },
    { lost: 2, duplicated: 1, violations: 1, badLines: 1, lines: 4, files: 2, uncommitted: 1 },
  );
  t.same(a.samples, ['"violation gap key=C0 seq=2 last=0"', '99']);
});

t.test('the window audit finds lost, repeated and wrong windows and foreign lines', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'snapflow-chaos-window-audit-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const data = { records: 400, keys: 4, seed: 3 };
  const run = await runChaos({ ...BASE, ...data, job: 'windowed', failures: 0, local: true, out: join(dir, 'run') });
  t.ok(chaosPassed(run), 'a run without failures has every window once');
  const output = join(dir, 'run', 'output');
  const files = (await readdir(output)).filter((n) => n.startsWith('part-'));
  const lines = (await Promise.all(files.map((f) => readFile(join(output, f), 'utf8')))).join('').split('\n').filter(Boolean);
  t.ok(lines.length > 20, `${lines.length} windows`);
  const [wrong, repeated, ...rest] = lines.slice(1);
  const m = /^"window (\d+) (\d+) (\d+)"$/.exec(wrong)!;
  const faulty = [chaosWindowLine([Number(m[1]), Number(m[2]) + 1, Number(m[3])]), repeated, repeated, ...rest].join('\n');
  await writeFile(join(dir, 'part-0-1.jsonl'), `${faulty}\n"window 99999 1 1"\nhello\n`);
  const a = await auditWindowOutput(dir, data);
  t.same({ lost: a.lost, duplicated: a.duplicated, violations: a.violations, badLines: a.badLines, lines: a.lines },
    { lost: 1, duplicated: 1, violations: 1, badLines: 2, lines: lines.length }, 'the first window missing, one twice, one miscounted, two foreign lines');
  t.match(a.samples[0], /the plain computation: count/, 'a wrong window is shown with what it should hold');
});
