/**
 * A job's life across failures. Each attempt runs every actor; when one fails, all are
 * cancelled, the restart strategy decides whether and when to go on, and the next attempt
 * restores the latest completed checkpoint (sources seek to their positions, keyed state is
 * rebuilt, collect sinks drop what came after its barrier). A checkpoint whose files are
 * missing or damaged is passed over for the one before it, with a warning.
 */
import type { CheckpointCoordinator } from '../checkpoint/coordinator.js';
import { mergeCheckpointStats, type CheckpointStats } from '../checkpoint/stats.js';
import type { CheckpointStorage } from '../storage/checkpoint-storage.js';
import type { CheckpointMetadata } from '../storage/metadata.js';
import type { Clock } from '../../base/clock.js';
import { CollectedResults } from './collected.js';
import { runAttempt, type AttemptOutcome } from './attempt.js';
import type { JobResult, JobStats, RestartRecord, RestoreRecord, SubtaskRestore } from './stats.js';
import { CancelledError, CheckpointError, RestartsExhaustedError, type SnapflowError } from '../../base/errors.js';
import type { InjectionSchedule } from '../recovery/failure-injection.js';
import { byChainThenSubtask, type PhysicalPlan } from '../plan/plan.js';
import type { RestartStrategy } from '../recovery/restart.js';
import { planRestore } from '../recovery/restore-plan.js';
import { quickCheck, type RestorePoint } from '../recovery/restore-point.js';
import type { CheckpointRetention } from '../storage/retention.js';
import type { CheckpointConfig } from '../checkpoint/config.js';
import type { ActorRestore } from '../actor/restore.js';
import type { FailureInjection } from '../actor/faults.js';
import type { ActorHost } from '../hosts/host.js';
import { checkpointEvent, describeEvent, type JobEvent } from './events.js';
import type { JobMonitor } from './monitor.js';

/** Checkpointing of a job run, shared by its attempts. */
export interface RunnerCheckpoints {
  config: CheckpointConfig;
  jobId: string;
  jobName: string;
  storage: CheckpointStorage;
  retention: CheckpointRetention;
  clock?: Clock;
}

/** Everything runJob needs. */
export interface RunJobOptions {
  plan: PhysicalPlan;
  /** Creates the actors' host for one attempt. */
  host(restores: ActorRestore[] | undefined, injections: FailureInjection[]): ActorHost;
  checkpoints?: RunnerCheckpoints;
  restart: RestartStrategy;
  injections: InjectionSchedule;
  /** Where the job resumes from at its start (a savepoint or another job's checkpoint). */
  initial: RestorePoint | null;
  signal?: AbortSignal;
  /** Restarts and fallbacks, as lines for the user. */
  log(line: string): void;
  /** Checkpoints, savepoints, restarts and restores as they happen; restarts go to `log` without it. */
  onEvent?(event: JobEvent): void;
  /** The running attempt's checkpoint coordinator (for savepoints); null between attempts. */
  onCheckpointCoordinator?(c: CheckpointCoordinator | null): void;
  /** The live picture of the job, fed as it runs. */
  monitor?: JobMonitor;
  /** Waits between attempts; tests inject one that does not sleep. */
  sleep?(ms: number, signal?: AbortSignal): Promise<void>;
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

const slowest = (subtasks: SubtaskRestore[]): number => Math.max(0, ...subtasks.map((r) => r.ms));

/** The statistics of a job whose last attempt succeeded. */
export function jobStats(plan: PhysicalPlan, o: AttemptOutcome, extra: Partial<JobStats> = {}): JobStats {
  const stats = [...o.actors].sort(byChainThenSubtask);
  const sourceRecords = stats.filter((s) => plan.chains[s.chain].isSource).reduce((n, s) => n + s.recordsIn, 0);
  return {
    durationMs: o.durationMs, sourceRecords, recordsPerSec: Math.round((sourceRecords / o.durationMs) * 1000), actors: stats,
    checkpoints: o.checkpoints, restarts: [], restores: [], failuresInjected: 0, stoppedWithSavepoint: o.stoppedWithSavepoint, ...extra,
  };
}

/** Runs a job to its end, restarting it after failures as its strategy allows. */
export async function runJob(o: RunJobOptions): Promise<JobResult> {
  const started = performance.now();
  const sleep = o.sleep ?? defaultSleep;
  const collected = new CollectedResults();
  const restarts: RestartRecord[] = [];
  const restores: RestoreRecord[] = [];
  const ckptStats: CheckpointStats[] = [];
  const warnings: string[] = [];
  /** Checkpoints found unusable: never tried again. */
  const bad = new Set<number>();
  let nextId = o.initial ? o.initial.meta.checkpointId + 1 : 1;
  let point: RestorePoint | null = o.initial;
  const { monitor } = o;
  const watched = o.onEvent !== undefined || monitor !== undefined;
  const emit = (e: JobEvent) => {
    monitor?.event(e);
    o.onEvent?.(e);
  };

  const warn = (line: string) => {
    warnings.push(line);
    o.log(`warning: ${line}`);
  };
  /** The newest usable checkpoint to restart from: this job's own, else the one it resumed from. */
  const restartPoint = async (): Promise<RestorePoint | null> => {
    const own: RestorePoint[] = (o.checkpoints?.retention.checkpoints() ?? []).reverse()
      .map((meta: CheckpointMetadata) => ({ meta, storage: o.checkpoints!.storage, flat: false }));
    const candidates = o.initial ? [...own, o.initial] : own;
    if (candidates.length === 0) return null;
    for (const c of candidates) {
      if (bad.has(c.meta.checkpointId)) continue;
      const problem = await quickCheck(c);
      if (problem === null) return c;
      bad.add(c.meta.checkpointId);
      warn(`checkpoint ${c.meta.checkpointId} cannot be restored (${problem}); falling back to an older one`);
    }
    throw new CheckpointError(candidates[0].meta.checkpointId, `no retained checkpoint can be restored (${[...bad].join(', ')} unusable); keep more with --retained`);
  };

  for (let attempt = 0; ; attempt++) {
    const sameJob = point !== null && point !== o.initial;
    const restoring = attempt > 0 || point !== null;
    const restorePlan = restoring ? planRestore(o.plan, point, sameJob) : undefined;
    if (point) {
      const problem = await quickCheck(point);
      if (problem !== null) throw new CheckpointError(point.meta.checkpointId, `cannot be restored: ${problem}`);
    }
    // The schedule counts restores: a job resumed from a savepoint restores in its first attempt already.
    const outcome = await runAttempt(o.plan, o.host(restorePlan, o.injections.armed(attempt + (o.initial ? 1 : 0))), {
      signal: o.signal, collected, onInjected: (id) => o.injections.fired(id),
      onCheckpointCoordinator: (c) => {
        monitor?.attach(c);
        o.onCheckpointCoordinator?.(c);
      },
      onMetrics: monitor && ((actor, report) => monitor.recordMetrics(actor, report)),
      onRestored: watched ? (subtasks) => emit({ kind: 'restore', at: Date.now(), attempt, checkpointId: point?.meta.checkpointId ?? 0, maxMs: slowest(subtasks) }) : undefined,
      checkpoints: o.checkpoints && {
        ...o.checkpoints, firstId: nextId,
        onRecorded: watched ? (s, dir) => {
          monitor?.recordCheckpoint(s, dir);
          emit(checkpointEvent(s, dir));
        } : undefined,
      },
    });
    nextId = Math.max(nextId, outcome.lastCheckpointId + 1);
    if (outcome.checkpoints) ckptStats.push(outcome.checkpoints);
    if (restoring) {
      restores.push({ attempt, checkpointId: point?.meta.checkpointId ?? 0, maxMs: slowest(outcome.restored), subtasks: outcome.restored });
    }
    if (outcome.interrupted) throw outcome.interrupted;
    const failure = outcome.failure;
    if (!failure) {
      // Output after a stop's savepoint barrier (timers fire until the actors are cancelled) is what the
      // resumed job emits again: as with a restore, only what came before the barrier is the job's.
      if (outcome.stoppedWithSavepoint !== undefined) collected.rollback(outcome.stoppedAt);
      const stats = jobStats(o.plan, outcome, {
        durationMs: performance.now() - started, checkpoints: mergeCheckpointStats(ckptStats, warnings),
        restarts, restores, failuresInjected: o.injections.firedIds.length,
      });
      return { results: collected.results(), stats };
    }
    let record: RestartRecord | null = null;
    if (failure.name === 'CorruptCheckpointError' && point !== null && point !== o.initial) {
      // Not the job's fault: the next attempt falls back without using up a restart.
      bad.add(point.meta.checkpointId);
      warn(`restoring checkpoint ${point.meta.checkpointId} failed: ${failure.message}; falling back to an older one`);
    } else {
      if (!failure.retriable) throw failure;
      const decision = o.restart.onFailure(performance.now());
      // Without restarts at all the failure itself is the answer; after some, say why they stopped.
      if (!decision.restart) throw restarts.length === 0 && o.restart.name === 'none' ? failure : new RestartsExhaustedError(decision.reason, failure as SnapflowError);
      const restart: JobEvent = { kind: 'restart', at: Date.now(), attempt: attempt + 1, strategy: decision.reason, cause: failure.message, delayMs: decision.delayMs };
      monitor?.event(restart);
      if (o.onEvent) o.onEvent(restart);
      else o.log(describeEvent(restart));
      if (decision.delayMs > 0) await sleep(decision.delayMs, o.signal);
      if (o.signal?.aborted) throw new CancelledError('the job was interrupted while waiting to restart');
      record = { attempt: attempt + 1, cause: failure.message, delayMs: decision.delayMs, checkpointId: 0 };
      restarts.push(record);
    }
    point = await restartPoint();
    if (record) record.checkpointId = point?.meta.checkpointId ?? 0;
    collected.rollback(point?.meta.checkpointId ?? 0);
  }
}
