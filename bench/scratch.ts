/** Temporary folders of the benchmarks, removed when the work ends and also when the process ends early. */
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const live = new Set<string>();

function removeAll(): void {
  for (const path of live) rmSync(path, { recursive: true, force: true });
  live.clear();
}

/** Ctrl-C ends the process without its exit handlers; exiting through process.exit runs them. */
function onSigint(): void {
  process.exit(130);
}

/** A folder under the system's temporary folder; a closed pipe, an error exit or Ctrl-C does not leave it behind. */
export async function scratchDir(prefix: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  if (live.size === 0) {
    process.on('exit', removeAll);
    process.on('SIGINT', onSigint);
  }
  live.add(path);
  return {
    path,
    async remove() {
      await rm(path, { recursive: true, force: true });
      if (!live.delete(path) || live.size > 0) return;
      process.off('exit', removeAll);
      process.off('SIGINT', onSigint);
    },
  };
}
