/** Temporary folders of the benchmarks, removed when the work ends and also when the process ends early. */
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorMessage } from '../base/errors.js';

const live = new Set<string>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function removeAll(): void {
  for (const path of live) {
    try {
      // Worker threads may still be writing into the folder while the process goes down.
      rmSync(path, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
    } catch (err) {
      process.stderr.write(`snapflow: could not remove ${path}: ${errorMessage(err)}\n`);
    }
  }
  live.clear();
}

function uninstall(): void {
  process.off('exit', removeAll);
  for (const signal of SIGNALS) process.off(signal, onSignal);
}

/** Removes the folders, then dies of the signal as it would have, so a calling shell script stops too. */
function onSignal(signal: NodeJS.Signals): void {
  removeAll();
  uninstall();
  process.kill(process.pid, signal);
}

/** A folder under the system's temporary folder; a closed pipe, an error exit, Ctrl-C or SIGTERM does not leave it behind. */
export async function scratchDir(prefix: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  if (live.size === 0) {
    process.on('exit', removeAll);
    for (const signal of SIGNALS) process.on(signal, onSignal);
  }
  live.add(path);
  return {
    path,
    async remove() {
      await rm(path, { recursive: true, force: true, maxRetries: 3 });
      if (live.delete(path) && live.size === 0) uninstall();
    },
  };
}
