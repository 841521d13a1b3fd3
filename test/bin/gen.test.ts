import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../bin/snapflow.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

t.test('snapflow gen writes the file to stdout and says what it wrote on stderr', async (t) => {
  const r = run('gen', '--rows', '3', '--keys', '10', '--seed', '3');
  t.equal(r.status, 0, r.stderr);
  t.same(r.stdout.trim().split('\n'), [
    'transaction_id,customer_id,amount,timestamp',
    '0,C3,7591.99,2024-03-01T00:00:00Z', '1,C0,3814.51,2024-03-01T00:00:01Z', '2,C3,2944.78,2024-03-01T00:00:02Z',
  ]);
  t.match(r.stderr, /wrote 3 rows .* to - in/);
  const bad = run('gen', '--rows', '0');
  t.equal(bad.status, 2);
  t.match(bad.stderr, /--rows: expected a positive integer/);
});
