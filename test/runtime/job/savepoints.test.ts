/**
 * Savepoints and rescaling: a job stopped with a savepoint and resumed from it (at another
 * parallelism, on the other state backend) gives, over both runs, every record exactly once
 * and the final state of a run that never stopped; a job resumed from a retained checkpoint
 * at another parallelism continues where it left off. Savepoints survive retention.
 */
import t from 'tap';
import { tempDir } from '../../support/files.js';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execute, type ExecuteOptions } from '../../../runtime/execute.js';
import { JobControl } from '../../../runtime/job/job-control.js';
import { ConfigError } from '../../../base/errors.js';
import { listCheckpoints } from '../../../runtime/storage/listing.js';
import type { CheckRow } from '../../fixtures/jobs/exactly-once.js';
import { audit, finalState, KEYS, RECORDS } from '../../support/recovery.js';
import type { BackendKind, CheckpointMode } from '../../../base/kinds.js';

const JOB = new URL('../../fixtures/jobs/exactly-once.js', import.meta.url);

function options(dir: string, name: string, parallelism: number, backend: BackendKind, mode: CheckpointMode = 'full'): ExecuteOptions {
  return {
    local: true, parallelism, params: { records: RECORDS, keys: KEYS, rate: 15_000 }, stateBackend: backend, stateDir: join(dir, 'state'),
    checkpointing: { intervalMs: 25, mode, dir: join(dir, name) },
  };
}

const rescales: [number, number, BackendKind, BackendKind, CheckpointMode][] = [
  [2, 3, 'lmdb', 'heap', 'incremental'],
  [3, 1, 'heap', 'lmdb', 'full'],
  [1, 2, 'lmdb', 'lmdb', 'incremental'],
];
for (const [from, to, b1, b2, mode] of rescales) {
  t.test(`stop with savepoint at p=${from} (${b1}, ${mode}), resume at p=${to} (${b2}): exactly once over both runs`, async (t) => {
    const dir = await tempDir(t, 'savepoints');
    const control = new JobControl();
    const stopping = new Promise((r) => setTimeout(r, 120)).then(() => control.stopWithSavepoint(join(dir, 'savepoints')));
    const first = await execute(JOB, { ...options(dir, 'a', from, b1, mode), control });
    const savepoint = await stopping;
    t.equal(first.stats.stoppedWithSavepoint, savepoint, 'the job reports the savepoint that stopped it');
    t.ok(existsSync(join(savepoint, '_metadata')), 'the savepoint is complete');
    const firstRows = (first.results.out ?? []) as CheckRow[];
    t.ok(firstRows.length > 0 && firstRows.length < RECORDS, `the first run stopped part way (${firstRows.length} records)`);
    const second = await execute(JOB, { ...options(dir, 'b', to, b2, b2 === 'heap' ? 'full' : mode), fromCheckpoint: savepoint });
    t.same(audit([...firstRows, ...(second.results.out as CheckRow[])]), { lost: 0, duplicated: 0, violations: 0 });
    t.equal(second.stats.restores[0].checkpointId, Number(savepoint.slice(savepoint.lastIndexOf('-') + 1)));
    const state = await finalState(second.stats.checkpoints!.jobDir, join(dir, 'read'));
    t.ok(state.size === KEYS && [...state.values()].every((v) => v === RECORDS / KEYS - 1), 'final state of a run that never stopped');
    t.ok(existsSync(join(savepoint, '_metadata')), 'resuming does not consume the savepoint');
    const listing = await listCheckpoints(savepoint, { verify: true });
    t.same(listing.jobs.map((j) => j.checkpoints.map((c) => [c.savepoint, c.mode, c.problems, c.missing])), [[[true, 'full', [], []]]], 'the savepoint lists and verifies on its own');
    t.same(listing.jobs[0].orphans, [], 'and holds nothing else');
  });
}

t.test('a savepoint taken while the job runs is kept by retention; a later job resumes from it at p=1', async (t) => {
  const dir = await tempDir(t, 'savepoints');
  const control = new JobControl();
  const taken = new Promise((r) => setTimeout(r, 80)).then(() => control.savepoint(join(dir, 'savepoints')));
  const first = await execute(JOB, { ...options(dir, 'a', 2, 'lmdb', 'incremental'), control });
  const savepoint = await taken;
  t.same(audit(first.results.out as CheckRow[]), { lost: 0, duplicated: 0, violations: 0 }, 'the job ran to its end');
  t.ok(first.stats.checkpoints!.counts.completed > 2, 'checkpoints went on after the savepoint');
  t.ok(existsSync(join(savepoint, '_metadata')), 'retention (1 checkpoint) left the savepoint alone');
  const second = await execute(JOB, { ...options(dir, 'b', 1, 'heap'), fromCheckpoint: savepoint });
  t.same(audit(second.results.out as CheckRow[]).violations, 0, 'the resumed run continues each key in order');
  const state = await finalState(second.stats.checkpoints!.jobDir, join(dir, 'read'));
  t.ok([...state.values()].every((v) => v === RECORDS / KEYS - 1), 'final state of a run that never stopped');
});

t.test('a job resumes from a retained checkpoint of a failed job at another parallelism', async (t) => {
  const dir = await tempDir(t, 'savepoints');
  const err = await execute(JOB, { ...options(dir, 'a', 3, 'lmdb', 'incremental'), injectFailures: ['records=1000@Pass#2'], restart: { strategy: 'none' } }).then(() => null, (e: Error) => e);
  t.match(err?.message, /injected failure/);
  const [jobFolder] = readdirSync(join(dir, 'a'));
  const second = await execute(JOB, { ...options(dir, 'b', 1, 'lmdb', 'incremental'), fromCheckpoint: join(dir, 'a', jobFolder) });
  t.ok(second.stats.restores[0].checkpointId > 0, 'restored a checkpoint of the failed job');
  t.same(audit(second.results.out as CheckRow[]).violations, 0);
  const rows = second.results.out as CheckRow[];
  t.ok(rows.length < RECORDS, 'records before the checkpoint were not read again');
  const state = await finalState(second.stats.checkpoints!.jobDir, join(dir, 'read'));
  t.ok([...state.values()].every((v) => v === RECORDS / KEYS - 1), 'final state of a run without failures');
});

t.test('resume errors name the option', async (t) => {
  const dir = await tempDir(t, 'savepoints');
  const missing = await execute(JOB, { ...options(dir, 'a', 1, 'lmdb'), fromCheckpoint: join(dir, 'nothing') }).then(() => null, (e: Error) => e);
  t.type(missing, ConfigError);
  t.match(missing?.message, /from-checkpoint/);
  const control = new JobControl();
  const done = await execute(JOB, { ...options(dir, 'b', 1, 'lmdb'), params: { records: 600, keys: KEYS }, control });
  t.ok(done.stats.durationMs > 0);
  await t.rejects(control.savepoint(join(dir, 'late')), /not running/, 'a savepoint after the end is refused');
});

t.test('savepoint requests settle: refused at once without checkpointing, and when the job cannot start', async (t) => {
  const dir = await tempDir(t, 'savepoints');
  const plain = new JobControl();
  const early = plain.savepoint(join(dir, 'sp'));
  const run = execute(JOB, { local: true, params: { records: 30_000, keys: KEYS, rate: 15_000 }, control: plain });
  await t.rejects(early, /savepoints need checkpointing on/, 'refused as soon as the job starts, not at its end');
  await run;
  const broken = new JobControl();
  const waiting = broken.savepoint(join(dir, 'sp'));
  await t.rejects(execute(JOB, { ...options(dir, 'a', 1, 'lmdb'), fromCheckpoint: join(dir, 'missing'), control: broken }), ConfigError);
  await t.rejects(waiting, /not running/, 'a job that fails to start releases waiting requests');
});

t.test('a savepoint that cannot be written fails alone; the job goes on and completes', async (t) => {
  const dir = await tempDir(t, 'savepoints');
  writeFileSync(join(dir, 'not-a-folder'), 'x');
  const control = new JobControl();
  const attempt = new Promise((r) => setTimeout(r, 60)).then(() => control.savepoint(join(dir, 'not-a-folder'))).then(() => null, (e: Error) => e);
  const result = await execute(JOB, { ...options(dir, 'a', 2, 'lmdb'), control, restart: { strategy: 'none' } });
  t.match((await attempt)?.message, /savepoint failed: .*ENOTDIR/);
  t.same(audit(result.results.out as CheckRow[]), { lost: 0, duplicated: 0, violations: 0 });
});
