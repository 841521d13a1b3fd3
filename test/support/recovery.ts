/** What the recovery and savepoint tests share: the run size, the audit of collect output, the final state. */
import { CheckpointStorage } from '../../runtime/storage/checkpoint-storage.js';
import { createKeyedBackend } from '../../backends/factory.js';
import { keyGroupOf } from '../../base/keygroups.js';
import type { CheckRow } from '../fixtures/jobs/exactly-once.js';

/** Records and keys of the exactly-once job in these tests (keys divisible by 1, 2 and 3). */
export const RECORDS = 6_000;
/** Keys of the exactly-once job. */
export const KEYS = 60;

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

/** Per key, value state `name` (the last sequence number) in the newest checkpoint of the job folder, read through a heap backend. */
export async function finalState(jobDir: string, workDir: string, name = 'last'): Promise<Map<string, number>> {
  const storage = new CheckpointStorage(jobDir);
  const ids = await storage.completedIds();
  const meta = await storage.readMetadata(ids[ids.length - 1]);
  const backend = createKeyedBackend({ kind: 'heap', mode: 'full', keyGroups: { start: 0, end: meta.maxParallelism - 1 }, workDir, maxDeltas: 20, maxDeltaRatio: 0.5 });
  await backend.restore(meta.subtasks.flatMap((s) => (s.keyed ? [s.keyed] : [])), storage.source());
  const last = backend.valueState<number>(name);
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

