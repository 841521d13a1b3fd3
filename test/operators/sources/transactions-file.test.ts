import t from 'tap';
import { tempDir } from '../../support/files.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { skewOptions, writeTransactionsFile } from '../../../operators/sources/transactions-file.js';
import { generateTransaction, resolveGeneratorOptions } from '../../../operators/sources/generator.js';
import { execute } from '../../../runtime/execute.js';
import { defineJob } from '../../../runtime/api/job.js';
import { ConfigError } from '../../../base/errors.js';

t.test('row i is the generator record i, read back through the CSV source, across day boundaries', async (t) => {
  const dir = await tempDir(t, 'gen');
  const out = join(dir, 'tx.csv');
  const rows = 90_000;
  const seen: number[] = [];
  await writeTransactionsFile({ rows, keys: 500, skew: 'zipf:1.1', seed: 9, out, progress: (n) => seen.push(n) });
  t.equal(seen[seen.length - 1], rows, 'progress ends at the row count');
  const job = defineJob((env) => void env.fromCsv({ path: out, types: { transaction_id: 'integer', amount: 'number' } }).collect());
  const got = (await execute(job, {})).results.collect as { transaction_id: number; customer_id: string; amount: number; timestamp: string }[];
  t.equal(got.length, rows);
  const gen = resolveGeneratorOptions({ records: rows, keys: 500, seed: 9, distribution: 'zipf', zipfExponent: 1.1 });
  let wrong = 0;
  for (let i = 0; i < rows; i++) {
    const want = generateTransaction(i, gen);
    const row = got[i];
    const iso = new Date(want.timestamp).toISOString().replace('.000Z', 'Z');
    if (row.transaction_id !== i || row.customer_id !== want.customer_id || row.amount !== want.amount || row.timestamp !== iso) wrong++;
  }
  t.equal(wrong, 0, 'every field matches the generated record (timestamps span two days)');
});

t.test('a seed gives the same bytes; another seed other bytes; zero rows give the header alone', async (t) => {
  const dir = await tempDir(t, 'gen');
  const write = (name: string, seed: number, rows = 2_000) => writeTransactionsFile({ rows, keys: 100, skew: 'uniform', seed, out: join(dir, name) }).then(() => readFile(join(dir, name), 'utf8'));
  const [a, b, c] = [await write('a', 1), await write('b', 1), await write('c', 2)];
  t.equal(a, b);
  t.not(a, c);
  t.equal(await write('empty', 1, 0), 'transaction_id,customer_id,amount,timestamp\n');
});

t.test('bad options are ConfigErrors naming the flag', async (t) => {
  t.same(skewOptions('uniform'), { distribution: 'uniform' });
  t.same(skewOptions('zipf:0.8'), { distribution: 'zipf', zipfExponent: 0.8 });
  t.same(skewOptions('zipf'), { distribution: 'zipf', zipfExponent: 1.1 });
  t.throws(() => skewOptions('normal'), { name: 'ConfigError', message: /--skew/ });
  const dir = await tempDir(t, 'gen');
  await t.rejects(writeTransactionsFile({ rows: 10, keys: 0, skew: 'uniform', seed: 1, out: join(dir, 'x') }), ConfigError);
  await t.rejects(writeTransactionsFile({ rows: 10, keys: 5, skew: 'uniform', seed: 1, out: join(dir, 'no', 'such', 'x.csv') }), { name: 'ConfigError', message: /--out: cannot write .*x\.csv/ });
});
