/** Files in tests: temporary folders removed at teardown, and what a file sink committed. */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh folder under the system's temporary folder, removed when the test ends. */
export async function tempDir(t: { teardown(fn: () => unknown): void }, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `snapflow-${prefix}-`));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Every JSON line of the part files a file sink committed in `dir` (hidden, uncommitted files left out). */
export async function committedJsonLines<T>(dir: string): Promise<T[]> {
  const rows: T[] = [];
  for (const f of (await readdir(dir)).filter((n) => !n.startsWith('.'))) {
    for (const line of (await readFile(join(dir, f), 'utf8')).split('\n')) if (line) rows.push(JSON.parse(line) as T);
  }
  return rows;
}
