/**
 * Where a job resumes from and what each subtask gets back: the keyed state handles whose
 * key groups overlap its own, the source positions of the former subtasks it takes over,
 * and the context its operators see. A checkpoint taken at parallelism p restores at q:
 * key groups are redistributed by range, and the non-keyed work of former subtask k (source
 * splits, sink files) goes to new subtask k mod q, as Flink redistributes splits.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CheckpointStorage } from '../storage/checkpoint-storage.js';
import type { CheckpointMetadata } from '../storage/metadata.js';
import { ConfigError } from '../../base/errors.js';
import { keyGroupRange } from '../../base/keygroups.js';
import type { PhysicalPlan } from '../plan/plan.js';
import type { ActorRestore } from '../actor/restore.js';

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

/** The former subtasks (of `previous`) that new subtask `subtask` of `parallelism` takes over. */
export function inheritedSubtasks(subtask: number, parallelism: number, previous: number): number[] {
  const out: number[] = [];
  for (let k = subtask; k < previous; k += parallelism) out.push(k);
  return out;
}

/** Per actor (chain, then subtask order), what it restores from `point`; a null point is a restart with nothing to restore. */
export function planRestore(plan: PhysicalPlan, point: RestorePoint | null, sameJob: boolean): ActorRestore[] {
  const out: ActorRestore[] = [];
  for (const chain of plan.chains) {
    const states = point ? point.meta.subtasks.filter((s) => s.chain === chain.index) : [];
    const previous = states[0]?.parallelism ?? chain.parallelism;
    for (let subtask = 0; subtask < chain.parallelism; subtask++) {
      const inherited = point ? inheritedSubtasks(subtask, chain.parallelism, previous) : [subtask];
      // A subtask beyond the checkpoint's parallelism inherits nothing, but an attempt after the
      // checkpoint may have left output under its own index, which it alone may settle.
      if (!inherited.includes(subtask)) inherited.push(subtask);
      const range = keyGroupRange(subtask, chain.parallelism, plan.maxParallelism);
      const keyed = states.flatMap((s) => (s.keyed && s.keyed.keyGroups.start <= range.end && s.keyed.keyGroups.end >= range.start ? [s.keyed] : []));
      const restore: ActorRestore = {
        checkpointId: point?.meta.checkpointId ?? 0, storageDir: point?.storage.jobDir ?? '', flat: point?.flat ?? false,
        previousParallelism: previous, inheritedSubtasks: inherited, keyed, continueChain: sameJob,
      };
      if (point && chain.isSource) {
        restore.sources = states.filter((s) => inherited.includes(s.subtask) && s.subtask < previous).map((s) => ({ subtask: s.subtask, parallelism: s.parallelism, position: s.sourcePosition }));
      }
      out.push(restore);
    }
  }
  return out;
}
