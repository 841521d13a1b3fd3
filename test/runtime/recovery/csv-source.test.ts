/**
 * The CSV source read in byte ranges, under failures and rescaling: failures in a map,
 * during a snapshot and during a restore at parallelism 1 to 3, and a savepoint resumed at
 * another parallelism, each with every record exactly once and the per-key counts of a
 * plain read of the file.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execute, type ExecuteOptions } from '../../../runtime/execute.js';
import { JobControl } from '../../../runtime/job/job-control.js';
import { writeTransactionsFile } from '../../../operators/sources/transactions-file.js';
import type { JobResult } from '../../../runtime/job/stats.js';
import type { CheckRow } from '../../fixtures/jobs/exactly-once.js';
import { audit, finalState, KEYS, RECORDS } from '../../support/recovery.js';
import { tempDir } from '../../support/files.js';

const JOB = new URL('../../fixtures/jobs/csv-exactly-once.js', import.meta.url);

/** Customer → rows in the file, counted the plain way. */
function plainCounts(input: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of readFileSync(input, 'utf8').split('\n').slice(1)) {
    if (line === '') continue;
    const customer = line.split(',')[1]!;
    counts.set(customer, (counts.get(customer) ?? 0) + 1);
  }
  return counts;
}

async function transactions(dir: string): Promise<string> {
  const input = join(dir, 'transactions.csv');
  await writeTransactionsFile({ rows: RECORDS, keys: KEYS, skew: 'uniform', seed: 3, out: input });
  return input;
}

function options(dir: string, input: string, parallelism: number, name: string): ExecuteOptions {
  return {
    local: true, parallelism, params: { input, slowEvery: 10 }, stateBackend: 'lmdb', stateDir: join(dir, 'state'),
    checkpointing: { intervalMs: 25, mode: 'incremental', dir: join(dir, name) },
  };
}

async function assertCounts(t: { strictSame: (a: unknown, b: unknown, m: string) => unknown }, result: JobResult, dir: string, input: string): Promise<void> {
  const state = await finalState(result.stats.checkpoints!.jobDir, join(dir, 'read'), 'count');
  t.strictSame([...state].sort(), [...plainCounts(input)].sort(), 'per-key counts of a plain read of the file');
}

for (const parallelism of [1, 2, 3]) {
  t.test(`p=${parallelism}: failures in a map, during a snapshot and during a restore`, async (t) => {
    const dir = await tempDir(t, 'csv-recovery');
    const input = await transactions(dir);
    const inject = ['checkpoint=2', `records=${Math.floor(2600 / parallelism)}@Pass#${parallelism - 1}`, 'restore=1'];
    const result = await execute(JOB, {
      ...options(dir, input, parallelism, 'ckpt'), injectFailures: inject, restart: { strategy: 'fixed-delay', attempts: 10, delayMs: 0 },
    });
    t.same(audit(result.results.out as CheckRow[]), { lost: 0, duplicated: 0, violations: 0 }, 'no record lost or duplicated');
    t.equal(result.stats.failuresInjected, 3, 'every injected failure fired');
    await assertCounts(t, result, dir, input);
  });
}

for (const [from, to] of [[2, 3], [3, 1], [1, 2]] as const) {
  t.test(`stop with savepoint at p=${from}, resume at p=${to}: exactly once over both runs`, async (t) => {
    const dir = await tempDir(t, 'csv-rescale');
    const input = await transactions(dir);
    const control = new JobControl();
    const stopping = new Promise((r) => setTimeout(r, 120)).then(() => control.stopWithSavepoint(join(dir, 'savepoints')));
    const first = await execute(JOB, { ...options(dir, input, from, 'a'), control });
    const savepoint = await stopping;
    const firstRows = (first.results.out ?? []) as CheckRow[];
    t.ok(firstRows.length > 0 && firstRows.length < RECORDS, `the first run stopped part way (${firstRows.length} records)`);
    const second = await execute(JOB, { ...options(dir, input, to, 'b'), fromCheckpoint: savepoint });
    t.same(audit([...firstRows, ...(second.results.out as CheckRow[])]), { lost: 0, duplicated: 0, violations: 0 }, 'no record lost or duplicated');
    await assertCounts(t, second, dir, input);
  });
}
