/** A job running under a REST server for as long as a test needs it, cancelled at the end through the server. */
import { join } from 'node:path';
import { execute } from '../../runtime/execute.js';
import { JobControl } from '../../runtime/job/job-control.js';
import { JobMonitor } from '../../runtime/job/monitor.js';
import type { JobResult } from '../../runtime/job/stats.js';
import { startRestServer, type RestServer } from '../../web/server.js';
import { KEYS } from './recovery.js';
import { tempDir } from './files.js';

const JOB = new URL('../fixtures/jobs/exactly-once.js', import.meta.url);

/** The job, its server and its folders. */
export interface ServedJob {
  server: RestServer;
  monitor: JobMonitor;
  /** Settles when the job ends; a cancelled job rejects. */
  result: Promise<JobResult>;
  dir: string;
  /** GETs a path of the server, with its status and parsed JSON body. */
  get(path: string): Promise<{ status: number; body: any }>;
  /** Waits until `ready` holds, polling every 50 ms; throws after `ms`. */
  until(ready: () => Promise<boolean>, ms?: number): Promise<void>;
}

/**
 * Starts the exactly-once job at parallelism 2 on worker threads, throttled so it runs for
 * about `seconds`, with checkpoints every 100 ms, and a REST server on a free port.
 */
export async function serveRunningJob(t: { teardown(fn: () => unknown): void }, seconds = 20): Promise<ServedJob> {
  const dir = await tempDir(t, 'rest');
  const monitor = new JobMonitor();
  const control = new JobControl();
  const abort = new AbortController();
  const server = await startRestServer({ monitor, control, cancel: () => abort.abort(), port: 0, savepointDir: join(dir, 'savepoints') });
  const rate = 2000;
  const result = execute(JOB, {
    parallelism: 2, params: { records: rate * seconds, keys: KEYS, rate }, stateBackend: 'heap', stateDir: join(dir, 'state'),
    checkpointing: { intervalMs: 100, dir: join(dir, 'ckpt') }, monitor, control, signal: abort.signal,
    metrics: { intervalMs: 100, latencyIntervalMs: 20 }, log: () => {},
  });
  result.catch(() => {});
  t.teardown(async () => {
    abort.abort();
    await result.catch(() => {});
    await server.close();
  });
  const get = async (path: string) => {
    const res = await fetch(server.url + path);
    const text = await res.text();
    return { status: res.status, body: res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text };
  };
  const until = async (ready: () => Promise<boolean>, ms = 60_000) => {
    const deadline = Date.now() + ms;
    while (!(await ready())) {
      if (Date.now() > deadline) throw new Error(`not ready after ${ms} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { server, monitor, result, dir, get, until };
}
