/**
 * Where a job resumes from: a savepoint folder, a `chk-<n>` folder or a job folder's newest
 * completed checkpoint, opened and checked against the job (same chains, same key groups),
 * and a quick look at its files before a restore is attempted on them.
 */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ConfigError, errorMessage } from '../../base/errors.js';
import { CheckpointStorage } from '../storage/checkpoint-storage.js';
import { referencedFiles, type CheckpointMetadata } from '../storage/metadata.js';
import type { PhysicalPlan } from '../plan/plan.js';

/** A completed checkpoint or savepoint to resume from. */
export interface RestorePoint {
  meta: CheckpointMetadata;
  storage: CheckpointStorage;
  flat: boolean;
}

/** The chain names a plan has; stored in checkpoints to check that a resumed job matches. */
export function chainNames(plan: PhysicalPlan): string[] {
  return plan.chains.map((c) => c.name);
}

/**
 * Opens a checkpoint to resume from: `dir` is a savepoint folder, a `chk-<n>` folder, or a
 * job folder (its newest completed checkpoint). Errors name `option`.
 */
export async function openRestorePoint(dir: string, option: string): Promise<RestorePoint> {
  const flat = existsSync(join(dir, '_metadata')) && !/^chk-\d+$/.test(basename(dir));
  if (flat) {
    const storage = new CheckpointStorage(dir, { flat: true });
    const [id] = await storage.completedIds();
    if (id === undefined) throw new ConfigError(option, `${dir} has no readable _metadata`);
    return { meta: await storage.readMetadata(id), storage, flat };
  }
  const chk = /^chk-(\d+)$/.exec(basename(dir));
  if (chk) {
    const storage = new CheckpointStorage(dirname(dir));
    return { meta: await storage.readMetadata(Number(chk[1])), storage, flat };
  }
  const storage = new CheckpointStorage(dir);
  const ids = await storage.completedIds();
  if (ids.length === 0) throw new ConfigError(option, `${dir} is neither a savepoint, a chk-<n> folder, nor a job folder with a completed checkpoint`);
  return { meta: await storage.readMetadata(ids[ids.length - 1]), storage, flat };
}

/** Checks that a checkpoint fits the job: same chains, same number of key groups. */
export function checkCompatible(meta: CheckpointMetadata, plan: PhysicalPlan, option: string): void {
  if (meta.maxParallelism !== plan.maxParallelism) {
    throw new ConfigError(option, `the checkpoint has ${meta.maxParallelism} key groups, the job ${plan.maxParallelism}; run with --max-parallelism ${meta.maxParallelism}`);
  }
  const names = chainNames(plan);
  const stored = meta.chains ?? [];
  if (stored.length !== names.length || stored.some((n, i) => n !== names[i])) {
    throw new ConfigError(option, `the checkpoint was taken by a job with operator chains [${stored.join('; ')}], this job has [${names.join('; ')}]`);
  }
}

/** The first problem with a checkpoint's files found without reading them (missing, wrong size), or null. */
export async function quickCheck(point: RestorePoint): Promise<string | null> {
  for (const ref of referencedFiles(point.meta)) {
    let abs: string;
    try {
      abs = point.storage.resolvePath(ref.path);
    } catch (err) {
      return errorMessage(err);
    }
    const st = await stat(abs).catch(() => null);
    if (!st) return `${abs} is missing`;
    if (st.size !== ref.bytes) return `${abs} has ${st.size} bytes, ${ref.bytes} expected`;
  }
  return null;
}
