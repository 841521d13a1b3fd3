/**
 * CPU profiles of a run, to see where a checkpoint's time goes: the main thread through the
 * inspector, and each worker thread through Node's own `--cpu-prof`, which writes its profile
 * as the thread ends. All go into one folder as `.cpuprofile` files.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';

/** The worker threads' arguments that make each write its profile into `dir` as it ends. */
export function workerProfileArgs(dir: string): string[] {
  return ['--cpu-prof', '--cpu-prof-dir', dir];
}

/** Starts profiling the calling thread; the returned function stops and writes `main-<pid>.cpuprofile` into `dir`, returning its path. */
export async function profileMainThread(dir: string): Promise<() => Promise<string>> {
  mkdirSync(dir, { recursive: true });
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    try {
      const { profile } = await session.post('Profiler.stop');
      const path = join(dir, `main-${process.pid}.cpuprofile`);
      writeFileSync(path, JSON.stringify(profile));
      return path;
    } finally {
      session.disconnect();
    }
  };
}
