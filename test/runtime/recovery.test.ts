/**
 * Exactly-once recovery, in the manner of Flink's exactly-once integration tests: failures
 * injected in a map, during a snapshot's asynchronous part and during a restore, at
 * parallelism 1 to 3, with both checkpoint modes and both backends. Every case asserts that
 * no record is lost or duplicated in the collect sink, that the checker saw each key's
 * records in order exactly once, and that the final checkpoint holds the state of a run
 * without failures.
 */
import t from 'tap';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execute, type ExecuteOptions } from '../../runtime/execute.js';
import type { JobResult } from '../../runtime/coordinator.js';
import { CheckpointStorage } from '../../runtime/checkpoint-storage.js';
import { createKeyedBackend } from '../../backends/factory.js';
import { keyGroupOf } from '../../runtime/keygroups.js';
import type { CheckRow } from '../fixtures/jobs/exactly-once.js';

const JOB = new URL('../fixtures/jobs/exactly-once.js', import.meta.url);
const RECORDS = 6_000;
const KEYS = 60;

/** Lost, duplicated and out-of-order records in a run's collect output. */
export function audit(rows: CheckRow[], records = RECORDS): { lost: number; duplicated: number; violations: number } {
  const seen = new Uint8Array(records);
  let duplicated = 0;
  let violations = 0;
  for (const r of rows) {
    if ('violation' in r) violations++;
    else if (seen[r.id]++ > 0) duplicated++;
  }
  return { lost: seen.reduce((n, v) => n + (v === 0 ? 1 : 0), 0), duplicated, violations };
}

/** The last sequence number per key in the newest checkpoint of the job folder, read through a heap backend. */
async function finalState(jobDir: string, workDir: string): Promise<Map<string, number>> {
  const storage = new CheckpointStorage(jobDir);
  const ids = await storage.completedIds();
  const meta = await storage.readMetadata(ids[ids.length - 1]);
  const backend = createKeyedBackend({ kind: 'heap', mode: 'full', keyGroups: { start: 0, end: meta.maxParallelism - 1 }, workDir, maxDeltas: 20, maxDeltaRatio: 0.5 });
  await backend.restore(meta.subtasks.flatMap((s) => (s.keyed ? [s.keyed] : [])), storage.source());
  const last = backend.valueState<number>('last');
  const out = new Map<string, number>();
  for (let k = 0; k < KEYS; k++) {
    const key = `C${k}`;
    backend.setCurrentKey(key, keyGroupOf(key, meta.maxParallelism));
    const v = last.value();
    if (v !== undefined) out.set(key, v);
  }
  await backend.dispose();
  return out;
}

interface Case {
  parallelism: number;
  mode?: 'full' | 'incremental';
  backend?: 'lmdb' | 'heap';
  inject: string[];
  local?: boolean;
  retained?: number;
  log?(line: string, dir: string): void;
}

async function runCase(t: Tap, c: Case): Promise<{ result: JobResult; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'snapflow-recovery-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const opts: ExecuteOptions = {
    local: c.local ?? true, parallelism: c.parallelism, params: { records: RECORDS, keys: KEYS, rate: 15_000 },
    stateBackend: c.backend ?? 'lmdb', stateDir: join(dir, 'state'), injectFailures: c.inject,
    checkpointing: { intervalMs: 25, mode: c.mode ?? 'full', dir: join(dir, 'ckpt'), retained: c.retained ?? 1 },
    restart: { strategy: 'fixed-delay', attempts: 10, delayMs: 0 }, log: (line) => c.log?.(line, join(dir, 'ckpt')),
  };
  return { result: await execute(JOB, opts), dir };
}
type Tap = { teardown(fn: () => unknown): void };

/** Asserts exactly-once output and the final state of a run without failures. */
async function assertExactlyOnce(t: Tap & { equal: Function; ok: Function; same: Function }, result: JobResult, dir: string, injected: number): Promise<void> {
  const a = audit(result.results.out as CheckRow[]);
  t.same(a, { lost: 0, duplicated: 0, violations: 0 }, 'no record lost, duplicated or out of order');
  t.equal(result.stats.failuresInjected, injected, 'every injected failure fired');
  t.ok(result.stats.restarts.length >= injected, `restarted at least ${injected} time(s)`);
  const state = await finalState(join(result.stats.checkpoints!.jobDir), join(dir, 'read'));
  t.equal(state.size, KEYS, 'every key has state');
  t.ok([...state.values()].every((v) => v === RECORDS / KEYS - 1), 'each key\'s last sequence number is that of a run without failures');
}

for (const parallelism of [1, 2, 3]) {
  for (const [mode, backend] of [['full', 'lmdb'], ['incremental', 'lmdb'], ['full', 'heap']] as const) {
    t.test(`p=${parallelism} ${mode} ${backend}: failures in a map, during a snapshot and during a restore`, async (t) => {
      const inject = [`records=${1200 + 100 * parallelism}@Pass#${parallelism - 1}`, 'checkpoint=3', 'restore=2'];
      const { result, dir } = await runCase(t, { parallelism, mode, backend, inject });
      await assertExactlyOnce(t, result, dir, 3);
      t.ok(result.stats.restores.length >= 3, 'each restart restored');
      t.ok(result.stats.restores.some((r) => r.checkpointId > 0 && r.subtasks.some((s) => s.handles > 0)), 'a restore read keyed state');
    });
  }
}

t.test('a failure before any checkpoint completed starts the job over, still exactly once', async (t) => {
  const { result, dir } = await runCase(t, { parallelism: 2, inject: ['records=5@Pass#0'] });
  await assertExactlyOnce(t, result, dir, 1);
  t.equal(result.stats.restarts[0].checkpointId, 0);
});

t.test('worker threads: hard exits in a map and during a snapshot', async (t) => {
  const { result, dir } = await runCase(t, { parallelism: 2, local: false, mode: 'incremental', inject: ['records=1500@Pass#1!exit', 'checkpoint=4@Checker#1!exit'] });
  await assertExactlyOnce(t, result, dir, 2);
  t.match(result.stats.restarts.map((r) => r.cause).join('\n'), /worker thread ended unexpectedly/);
});

/** Newest completed chk-<n> folder of the job folder inside `ckptDir`. */
async function newestCheckpoint(ckptDir: string): Promise<string> {
  const [job] = await readdir(ckptDir);
  const storage = new CheckpointStorage(join(ckptDir, job));
  const ids = await storage.completedIds();
  return join(ckptDir, job, `chk-${ids[ids.length - 1]}`);
}

export { newestCheckpoint };
