/** Benchmark scratch folders: gone after remove(), after an early exit, and after a signal, which the process still dies of. */
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { scratchDir } from '../../bench/scratch.js';

const SCRATCH = fileURLToPath(new URL('../../bench/scratch.js', import.meta.url));

/** Starts a process that makes two scratch folders, prints them, then runs `then`. */
function child(then: string): { paths: Promise<string[]>; ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>; kill(s: NodeJS.Signals): void } {
  const code = `import { scratchDir } from ${JSON.stringify(SCRATCH)};
const a = await scratchDir('snapflow-scratch-test-');
const b = await scratchDir('snapflow-scratch-test-');
console.log(JSON.stringify([a.path, b.path]));
${then}`;
  const p = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const paths = new Promise<string[]>((resolve) => p.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]) as string[]);
  }));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => p.on('exit', (code, signal) => resolve({ code, signal })));
  return { paths, ended, kill: (s) => p.kill(s) };
}

t.test('remove() deletes the folder', async (t) => {
  const s = await scratchDir('snapflow-scratch-test-');
  t.ok(existsSync(s.path));
  await s.remove();
  t.notOk(existsSync(s.path));
  await s.remove();
  t.pass('removing twice is harmless');
});

t.test('an early process.exit (a closed pipe, an error) leaves no folder', async (t) => {
  const c = child('process.exit(3);');
  const paths = await c.paths;
  t.same(await c.ended, { code: 3, signal: null });
  for (const p of paths) t.notOk(existsSync(p), p);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  t.test(`${signal} removes the folders and the process still dies of it`, async (t) => {
    const c = child('setInterval(() => {}, 1000);');
    const paths = await c.paths;
    for (const p of paths) t.ok(existsSync(p));
    c.kill(signal);
    t.same(await c.ended, { code: null, signal });
    for (const p of paths) t.notOk(existsSync(p), p);
  });
}
