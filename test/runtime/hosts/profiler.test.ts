/** CPU profiles of a run: one of the main thread and one per worker thread, each a profile DevTools can open. */
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execute } from '../../../runtime/execute.js';
import { tempDir } from '../../support/files.js';

const JOB = new URL('../../fixtures/jobs/counts.js', import.meta.url);

t.test('profileDir holds a profile of the main thread and of every worker thread', async (t) => {
  const dir = join(await tempDir(t, 'profile'), 'profiles');
  await execute(JOB, { parallelism: 2, threads: 2, params: { records: 20_000, keys: 7 }, profileDir: dir });
  const files = readdirSync(dir).sort();
  const main = files.filter((f) => f.startsWith('main-'));
  const workers = files.filter((f) => f.startsWith('CPU.'));
  t.equal(main.length, 1, `the main thread's profile: ${files.join(', ')}`);
  // Under the test runner each worker also has a module-loader thread, which writes a profile too.
  t.ok(workers.length >= 2, `one per worker thread: ${workers.length}`);
  for (const f of files) {
    const profile = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { nodes: unknown[]; samples: number[]; startTime: number; endTime: number };
    t.ok(profile.nodes.length > 0 && profile.samples.length > 0 && profile.endTime > profile.startTime, `${f} is a CPU profile with samples`);
  }
});
