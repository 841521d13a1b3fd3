/**
 * Where a job resumes from and what each subtask gets back: the keyed state handles whose
 * key groups overlap its own, the source positions of the former subtasks it takes over,
 * and the context its operators see. A checkpoint taken at parallelism p restores at q:
 * key groups are redistributed by range, and the non-keyed work of former subtask k (source
 * splits, sink files) goes to new subtask k mod q, as Flink redistributes splits.
 */
import { keyGroupRange } from '../../base/keygroups.js';
import type { PhysicalPlan } from '../plan/plan.js';
import { ConfigError } from '../../base/errors.js';
import type { ActorRestore } from '../actor/restore.js';
import type { RestorePoint } from './restore-point.js';

/** The former subtasks (of `previous`) that new subtask `subtask` of `parallelism` takes over. */
export function inheritedSubtasks(subtask: number, parallelism: number, previous: number): number[] {
  const out: number[] = [];
  for (let k = subtask; k < previous; k += parallelism) out.push(k);
  return out;
}

/** Per actor (chain, then subtask order), what it restores from `point`; a null point is a restart with nothing to restore. */
export function planRestore(plan: PhysicalPlan, point: RestorePoint | null, sameJob: boolean): ActorRestore[] {
  if (point) checkInFlightRescale(plan, point);
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
      const own = states.find((s) => s.subtask === subtask)?.channelState;
      if (own) restore.channelState = own;
      if (point && chain.isSource) {
        restore.sources = states.filter((s) => inherited.includes(s.subtask) && s.subtask < previous).map((s) => ({ subtask: s.subtask, parallelism: s.parallelism, position: s.sourcePosition }));
      }
      out.push(restore);
    }
  }
  return out;
}

/**
 * In-flight batches belong to one channel between two subtasks, so a checkpoint that kept
 * some restores only at the parallelism it was taken with (a savepoint, always aligned, can
 * be rescaled).
 */
function checkInFlightRescale(plan: PhysicalPlan, point: RestorePoint): void {
  const holder = point.meta.subtasks.find((s) => s.channelState !== undefined);
  if (!holder) return;
  for (const chain of plan.chains) {
    const previous = point.meta.subtasks.find((s) => s.chain === chain.index)?.parallelism;
    if (previous === undefined || previous === chain.parallelism) continue;
    throw new ConfigError(
      'parallelism',
      `checkpoint ${point.meta.checkpointId} was taken unaligned and holds in-flight data (chain ${holder.chain} subtask ${holder.subtask} among others), ` +
        `which can only be restored at the parallelism it was taken with: ${chain.name} ran at ${previous}, not ${chain.parallelism}. ` +
        'Resume at that parallelism, or take a savepoint (always aligned) and rescale from it.',
    );
  }
}
