import t from 'tap';
import { fileURLToPath } from 'node:url';
import { execute } from '../../../runtime/execute.js';
import { WorkerPool } from '../../../runtime/hosts/worker-pool.js';
import { CancelledError, ConfigError, WorkerExitError } from '../../../base/errors.js';
import type { CountRow } from '../../fixtures/jobs/counts.js';
import { expectedCounts, finalCounts } from '../../support/expected.js';

const JOB = fileURLToPath(new URL('../../fixtures/jobs/counts.js', import.meta.url));

const threadsOf = (r: Awaited<ReturnType<typeof execute>>): number[] => [...new Set(r.stats.actors.map((a) => a.threadId))].sort((a, b) => a - b);

t.test('jobs run one after another on kept threads give the results of jobs on threads of their own', async (t) => {
  const workers = new WorkerPool();
  t.teardown(() => workers.close());
  const runs = [];
  for (const [parallelism, records, keys] of [[2, 8000, 17], [2, 5000, 13], [2, 3000, 7]]) {
    const r = await execute(JOB, { parallelism, threads: 2, workers, params: { records, keys } });
    t.same(finalCounts(r.results.counts as CountRow[]), expectedCounts(records, keys), `${records} records over ${keys} keys`);
    runs.push(threadsOf(r));
  }
  t.equal(runs[0].length, 2, 'two threads');
  t.same(runs[1], runs[0], 'the second job ran on the first one\'s threads');
  t.same(runs[2], runs[0], 'and so did the third');
  t.same([...workers.threadIds()].sort((a, b) => a - b), runs[0], 'the pool keeps them');
  await workers.close();
  t.same(workers.threadIds(), [], 'closed, it keeps none');
  await t.rejects(execute(JOB, { parallelism: 2, threads: 2, workers, params: { records: 100, keys: 3 } }), /worker pool is closed/);
});

t.test('a pool runs one job at a time: a second job started beside the first is refused, naming the option', async (t) => {
  const workers = new WorkerPool();
  t.teardown(() => workers.close());
  const first = execute(JOB, { parallelism: 2, threads: 2, workers, params: { records: 50_000, keys: 17 } });
  const err = await execute(JOB, { parallelism: 2, threads: 2, workers, params: { records: 100, keys: 3 } }).then(() => null, (e: unknown) => e);
  t.type(err, ConfigError);
  t.match((err as Error).message, /workers.*one job at a time/);
  t.same(finalCounts((await first).results.counts as CountRow[]), expectedCounts(50_000, 17), 'the first job is not disturbed');
  const next = await execute(JOB, { parallelism: 2, threads: 2, workers, params: { records: 100, keys: 3 } });
  t.same(finalCounts(next.results.counts as CountRow[]), expectedCounts(100, 3), 'once it ended, the next runs');
});

t.test('a job that needs another number of threads gets threads of its own, which the pool keeps instead', async (t) => {
  const workers = new WorkerPool();
  t.teardown(() => workers.close());
  const two = await execute(JOB, { parallelism: 2, threads: 2, workers, params: { records: 2000, keys: 5 } });
  const three = await execute(JOB, { parallelism: 3, threads: 3, workers, params: { records: 2000, keys: 5 } });
  t.equal(threadsOf(three).length, 3);
  t.same(threadsOf(three).filter((id) => threadsOf(two).includes(id)), [], 'no thread of the first job');
  t.same(finalCounts(three.results.counts as CountRow[]), expectedCounts(2000, 5));
  t.same([...workers.threadIds()].sort((a, b) => a - b), threadsOf(three));
});

t.test('a thread that exits fails its job, and the next job on the pool gives its full result', async (t) => {
  const workers = new WorkerPool();
  t.teardown(() => workers.close());
  const err = await execute(JOB, { parallelism: 2, threads: 2, workers, params: { records: 5000, keys: 13, fault: 'exit', faultAt: 99 } }).then(() => null, (e: unknown) => e);
  t.type(err, WorkerExitError);
  const next = await execute(JOB, { parallelism: 2, threads: 2, workers, params: { records: 5000, keys: 13 } });
  t.same(finalCounts(next.results.counts as CountRow[]), expectedCounts(5000, 13));
});

t.test('a cancelled job whose user code never returns ends the kept threads: the next job runs on fresh ones', async (t) => {
  const workers = new WorkerPool();
  t.teardown(() => workers.close());
  const first = await execute(JOB, { parallelism: 2, threads: 2, workers, params: { records: 1000, keys: 5 } });
  const abort = new AbortController();
  const spinning = execute(JOB, { parallelism: 2, threads: 2, workers, params: { records: 1_000_000, keys: 13, fault: 'spin', faultAt: 10 }, signal: abort.signal });
  setTimeout(() => abort.abort(), 300);
  t.type(await spinning.then(() => null, (e: unknown) => e), CancelledError);
  t.same(workers.threadIds(), [], 'the stuck threads are not kept');
  const next = await execute(JOB, { parallelism: 2, threads: 2, workers, params: { records: 1000, keys: 5 } });
  t.same(threadsOf(next).filter((id) => threadsOf(first).includes(id)), [], 'fresh threads');
  t.same(finalCounts(next.results.counts as CountRow[]), expectedCounts(1000, 5));
});
