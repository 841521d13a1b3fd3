import t from 'tap';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execute } from '../../runtime/execute.js';
import { defineJob } from '../../runtime/api/job.js';
import { InputError, UserFunctionError } from '../../base/errors.js';
import counts, { type CountRow } from '../fixtures/jobs/counts.js';
import transactions from '../../bin/jobs/transactions.js';
import { countMultiset, expectedCounts, finalCounts } from '../support/expected.js';

const RECORDS = 5000;
const KEYS = 37;

t.test('a keyed job gives the same result at parallelism 1, 2 and 3', async (t) => {
  const expected = expectedCounts(RECORDS, KEYS);
  let reference: string[] | undefined;
  for (const parallelism of [1, 2, 3]) {
    const { results, stats } = await execute(counts, { parallelism, params: { records: RECORDS, keys: KEYS } });
    const rows = results.counts as CountRow[];
    t.equal(rows.length, RECORDS, `p=${parallelism}: one output per input`);
    t.same(finalCounts(rows), expected, `p=${parallelism}: final counts and sums match a plain computation`);
    reference ??= countMultiset(rows);
    t.same(countMultiset(rows), reference, `p=${parallelism}: same multiset of running counts`);
    t.equal(stats.sourceRecords, RECORDS);
  }
});

t.test('tiny batches, one credit and no linger still deliver everything exactly once', async (t) => {
  const { results } = await execute(counts, {
    parallelism: 3, params: { records: 2000, keys: 11 }, channels: { batchSize: 7, credits: 1, lingerMs: 0 },
  });
  t.same(finalCounts(results.counts as CountRow[]), expectedCounts(2000, 11));
});

t.test('operator chaining off gives the same result with one actor per operator', async (t) => {
  const { results, stats } = await execute(counts, { parallelism: 2, chaining: false, params: { records: 1000, keys: 5 } });
  t.same(finalCounts(results.counts as CountRow[]), expectedCounts(1000, 5));
  t.ok(stats.actors.some((a) => a.operator === 'counts'), 'the sink runs in its own actor');
});

t.test('a failing user function ends the job with an error naming operator, subtask and record', async (t) => {
  const err = await execute(counts, { parallelism: 2, params: { records: 1000, keys: 5, fault: 'throw', faultAt: 321 } }).then(
    () => null, (e: unknown) => e);
  t.type(err, UserFunctionError);
  const e = err as UserFunctionError;
  t.match(e.message, /operator "Faulty map" subtask 2\/2/);
  t.match(e.message, /"transaction_id":321/);
  t.match(e.message, /injected failure at 321/);
  t.equal(e.retriable, true);
});

t.test('an empty source ends the job cleanly', async (t) => {
  const { results, stats } = await execute(counts, { parallelism: 3, params: { records: 0, keys: 5 } });
  t.same(results.counts ?? [], []);
  t.equal(stats.sourceRecords, 0);
});

t.test('rebalance spreads records, broadcast copies them to every subtask', async (t) => {
  const items = Array.from({ length: 30 }, (_, i) => i);
  const job = defineJob((env) => {
    env.fromCollection(items).rebalance().map((x) => x * 2, 'Double').setParallelism(3).collect('rebalanced');
    env.fromCollection(items).broadcast().map((x) => x, 'Copy').setParallelism(3).collect('broadcast');
  });
  const { results, stats } = await execute(job, {});
  t.same((results.rebalanced as number[]).sort((a, b) => a - b), items.map((x) => x * 2));
  t.same((results.broadcast as number[]).sort((a, b) => a - b), items.flatMap((x) => [x, x, x]));
  const doubles = stats.actors.filter((a) => a.operator.startsWith('Double'));
  t.same(doubles.map((a) => a.recordsIn), [10, 10, 10], 'round-robin gives each subtask a third');
});

t.test('bad CSV rows fail the job naming file and line, or are skipped and counted', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'snapflow-csv-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'tx.csv');
  writeFileSync(path, 'transaction_id,customer_id,amount,timestamp\n1,C1,10.5,t\n2,C2,,t\n3,C1,abc,t\n4,C2,1.25,t\n');
  const failed = await execute(transactions, { params: { input: path, onBadRow: 'fail' } }).then(() => null, (e: unknown) => e);
  t.type(failed, InputError);
  t.match((failed as Error).message, `${path}:3`);
  t.match((failed as Error).message, /amount/);
  const job = defineJob<{ path: string }>((env, p) => {
    env.fromCsv({ path: p.path, types: { amount: 'number' }, onBadRow: 'skip' }).collect('rows');
  });
  const { results, stats } = await execute(job, { params: { path } });
  t.same((results.rows as { transaction_id: string }[]).map((r) => r.transaction_id), ['1', '4']);
  const source = stats.actors.find((a) => a.operator.startsWith('Source'));
  t.equal(source?.metrics.skippedRows, 2);
});
