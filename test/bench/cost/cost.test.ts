/** `snapflow bench cost`: the hand-written baseline computes what the job computes, and the benchmark reports every configuration. */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { runBaseline } from '../../../bench/cost/baseline.js';
import { benchCost, costTable, type CostOptions } from '../../../bench/cost/bench.js';
import { writeTransactionsFile } from '../../../operators/sources/transactions-file.js';
import { execute } from '../../../runtime/execute.js';

const JOB = fileURLToPath(new URL('../../../bench/jobs/cost.js', import.meta.url));

const sortedLines = (text: string): string[] => text.split('\n').filter(Boolean).sort();

interface Line { customer_id: string; count: number; sum: number }

/**
 * What any order of reading the file agrees on: each customer's counts 1..n, one line each,
 * and the sum on its last line (to the cent: additions in another order round differently).
 */
function perCustomer(lines: string[]): { counts: string[]; totals: string[] } {
  const parsed = lines.map((l) => JSON.parse(l) as Line);
  const totals = new Map<string, string>();
  const last = new Map<string, number>();
  for (const l of parsed) {
    if ((last.get(l.customer_id) ?? 0) < l.count) {
      last.set(l.customer_id, l.count);
      totals.set(l.customer_id, l.sum.toFixed(2));
    }
  }
  return { counts: parsed.map((l) => `${l.customer_id} ${l.count}`).sort(), totals: [...totals].map(([c, s]) => `${c} ${s}`).sort() };
}

t.test('the baseline computes what the job computes, at parallelism 1, 2 and 3 on both backends', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'snapflow-cost-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const input = join(dir, 'in.csv');
  await writeTransactionsFile({ rows: 3000, keys: 40, skew: 'zipf:1.1', seed: 7, out: input });
  const base = await runBaseline(input, join(dir, 'baseline.jsonl'));
  t.equal(base.rows, 3000, 'every row counted');
  const want = sortedLines(readFileSync(join(dir, 'baseline.jsonl'), 'utf8'));
  t.equal(want.length, 3000, 'a line per row');
  for (const parallelism of [1, 2, 3]) {
    for (const stateBackend of ['heap', 'lmdb'] as const) {
      const output = join(dir, `out-${parallelism}-${stateBackend}`);
      await execute(JOB, { local: true, parallelism, stateBackend, stateDir: join(dir, 'state'), params: { input, output } });
      const got = sortedLines(readdirSync(output).map((f) => readFileSync(join(output, f), 'utf8')).join('\n'));
      // At parallelism 1 the file is read in order, so every running figure is the baseline's.
      if (parallelism === 1) t.strictSame(got, want, `p=1 ${stateBackend}: the same lines as the baseline`);
      t.strictSame(perCustomer(got), perCustomer(want), `p=${parallelism} ${stateBackend}: the same counts and final sums as the baseline`);
    }
  }
});

t.test('the benchmark reports every configuration beside the baseline, reusing its generated file', async (t) => {
  const options: CostOptions = { rows: 2000, keys: 30, seed: 11, backends: ['heap', 'lmdb'], parallelism: [1, 2], runs: 1 };
  const report = await benchCost(options);
  t.equal(report.rows, 2000);
  t.ok(report.baseline.recordsPerSec > 0);
  t.strictSame(report.results.map((r) => `${r.backend} ${r.parallelism} ${r.checkpointing}`), [
    'heap 1 none', 'heap 1 full', 'heap 2 none', 'heap 2 full', 'lmdb 1 none', 'lmdb 1 incremental', 'lmdb 2 none', 'lmdb 2 incremental',
  ], 'both backends, both parallelisms, without and with checkpoints (the heap takes full ones only)');
  for (const r of report.results) t.equal(r.vsBaseline, Math.round((r.recordsPerSec / report.baseline.recordsPerSec) * 1000) / 1000, `${r.backend} p=${r.parallelism}: vsBaseline is the ratio`);
  const again = await benchCost({ ...options, backends: ['heap'], parallelism: [1] });
  t.equal(again.input, report.input, 'the generated file is reused');
  t.match(costTable(report).join('\n'), /hand-written single thread.*records\/s/);
  await t.rejects(benchCost({ ...options, input: join(tmpdir(), 'snapflow-no-such-file.csv') }), /snapflow-no-such-file\.csv: no such transaction file/);
});
