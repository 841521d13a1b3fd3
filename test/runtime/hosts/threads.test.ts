import t from 'tap';
import { fileURLToPath } from 'node:url';
import { execute } from '../../../runtime/execute.js';
import { CancelledError, ConfigError, UserFunctionError, WorkerExitError } from '../../../base/errors.js';
import type { CountRow } from '../../fixtures/jobs/counts.js';
import { countMultiset, expectedCounts, finalCounts } from '../../support/expected.js';

const JOB = fileURLToPath(new URL('../../fixtures/jobs/counts.js', import.meta.url));
const RECORDS = 20_000;
const KEYS = 101;

t.test('on worker threads, parallelism 1, 2 and 3 give the result of a plain computation', async (t) => {
  const expected = expectedCounts(RECORDS, KEYS);
  let reference: string[] | undefined;
  for (const parallelism of [1, 2, 3]) {
    const { results, stats } = await execute(JOB, { parallelism, params: { records: RECORDS, keys: KEYS } });
    const rows = results.counts as CountRow[];
    t.same(finalCounts(rows), expected, `p=${parallelism}: final counts and sums`);
    reference ??= countMultiset(rows);
    t.same(countMultiset(rows), reference, `p=${parallelism}: same multiset of running counts`);
    t.ok(stats.actors.every((a) => a.threadId > 0), `p=${parallelism}: every actor ran on a worker thread`);
  }
});

t.test('one thread per actor and shared threads give the same result', async (t) => {
  const own = await execute(JOB, { parallelism: 3, threads: 6, params: { records: 5000, keys: 13 } });
  const shared = await execute(JOB, { parallelism: 3, threads: 1, params: { records: 5000, keys: 13 } });
  t.equal(new Set(own.stats.actors.map((a) => a.threadId)).size, 6, 'six actors on six threads');
  t.equal(new Set(shared.stats.actors.map((a) => a.threadId)).size, 1, 'six actors on one thread');
  t.same(finalCounts(own.results.counts as CountRow[]), finalCounts(shared.results.counts as CountRow[]));
});

t.test('a user function error on a worker names operator, subtask and record', async (t) => {
  const err = await execute(JOB, { parallelism: 3, params: { records: 5000, keys: 13, fault: 'throw', faultAt: 4000 } }).then(
    () => null, (e: unknown) => e);
  t.type(err, UserFunctionError);
  t.match((err as Error).message, /operator "Faulty map" subtask 2\/3/, '4000 % 3 = 1: the second subtask');
  t.match((err as Error).message, /"transaction_id":4000/);
});

t.test('a worker thread that exits ends the job with an error naming the actor', async (t) => {
  const err = await execute(JOB, { parallelism: 2, threads: 4, params: { records: 5000, keys: 13, fault: 'exit', faultAt: 99 } }).then(
    () => null, (e: unknown) => e);
  t.type(err, WorkerExitError);
  t.match((err as Error).message, /Faulty map \(2\/2\)/, '99 is odd: the second subtask');
  t.equal((err as WorkerExitError).retriable, true);
});

t.test('cancelling a job whose user code never returns terminates its threads', async (t) => {
  const abort = new AbortController();
  const run = execute(JOB, { parallelism: 2, params: { records: 1_000_000, keys: 13, fault: 'spin', faultAt: 10 }, signal: abort.signal });
  setTimeout(() => abort.abort(), 300);
  const err = await run.then(() => null, (e: unknown) => e);
  t.type(err, CancelledError);
  t.match((err as Error).message, /interrupted/);
});

t.test('a job module that does not exist is a clear configuration error', async (t) => {
  const err = await execute('/nonexistent/job.js').then(() => null, (e: unknown) => e);
  t.type(err, ConfigError);
  t.match((err as Error).message, /nonexistent\/job\.js/);
});
