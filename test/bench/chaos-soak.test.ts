/** The chaos soak: its matrix, its refusals, and a short soak that stops once its failures fired. */
import t from 'tap';
import { runSoak, SOAK_MATRIX, soakRunCommand } from '../../bench/chaos-soak.js';
import type { ChaosOptions } from '../../bench/chaos.js';

const base: ChaosOptions = { records: 3000, keys: 12, failures: 1, seed: 3, parallelism: 1, checkpointIntervalMs: 20, mode: 'full', backend: 'lmdb', kind: 'throw' };

t.test('the matrix covers every mode and backend that go together, both barrier kinds, parallelism 1 to 4', async (t) => {
  t.equal(SOAK_MATRIX.length, 24);
  const keys = new Set(SOAK_MATRIX.map((c) => `${c.mode} ${c.backend} ${c.unaligned} ${c.parallelism}`));
  t.equal(keys.size, 24, 'no cell twice');
  t.notOk(SOAK_MATRIX.some((c) => c.backend === 'heap' && c.mode === 'incremental'), 'the heap takes full checkpoints only');
  t.equal(soakRunCommand(base, SOAK_MATRIX[1], 9),
    'snapflow chaos --records 3000 --keys 12 --failures 1 --seed 9 --checkpoint-mode full --state-backend lmdb -p 1 --checkpoint-interval 20ms --kind throw --unaligned --json');
});

t.test('a soak needs keys for every parallelism and a failure per run', async (t) => {
  await t.rejects(runSoak({ ...base, keys: 10 }, 5), { name: 'ConfigError', message: /--keys.*multiple of 12.*got 10/ });
  await t.rejects(runSoak({ ...base, failures: 0 }, 5), { name: 'ConfigError', message: /--failures/ });
  await t.rejects(runSoak(base, 0), { name: 'ConfigError', message: /--soak/ });
});

t.test('a short soak runs cell after cell, a new seed each, until its failures fired', async (t) => {
  const lines: string[] = [];
  const report = await runSoak(base, 2, (line) => lines.push(line));
  t.ok(report.passed, 'every run exactly once');
  t.same(report.runs.map((r) => [r.seed, r.cell.unaligned]), [[3, false], [4, true]], 'the first two cells, seeds 3 and 4');
  t.equal(report.failuresInjected, 2);
  t.same([report.lost, report.duplicated], [0, 0]);
  t.equal(lines.length, 2, 'a line per run');
});
