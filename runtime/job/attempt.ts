/**
 * One attempt of a job, on the main thread: launches the actors through a host, gathers
 * collected records and statistics, runs the attempt's checkpoint coordinator, and ends the
 * attempt. On the first failure it cancels every actor, waits briefly for them to stop, tears
 * the host down (terminating stuck threads) and reports the root cause rather than the
 * knock-on channel errors.
 */
import { CheckpointCoordinator, type CheckpointCoordinatorOptions } from '../checkpoint/coordinator.js';
import { CollectedResults } from './collected.js';
import { CancelledError, deserializeError, WorkerExitError, type SnapflowError } from '../../base/errors.js';
import { actorName, byChainThenSubtask, type PhysicalPlan } from '../plan/plan.js';
import type { ActorMetricsReport, ActorStats } from '../transport/protocol.js';
import type { ReportingActor } from '../metrics/task-metrics.js';
import type { CheckpointStats } from '../checkpoint/stats.js';
import type { ActorHost } from '../hosts/host.js';
import type { SubtaskRestore } from './stats.js';
import { chainNames } from '../recovery/restore-point.js';

/** Options of a coordinated run. */
export interface CoordinateOptions {
  signal?: AbortSignal;
  /** How long cancelled actors get to stop before their threads are terminated. */
  cancelGraceMs?: number;
  /** Turns checkpointing on; the actors must have been given matching state settings. */
  checkpoints?: Omit<CheckpointCoordinatorOptions, 'actors' | 'send' | 'onFatal' | 'maxParallelism' | 'chains'>;
  /** Records of collect sinks, kept across the attempts of a restarting job. */
  collected?: CollectedResults;
  /** An armed failure injection fired. */
  onInjected?(id: number): void;
  /** Every actor restored its state, these reports the figures. */
  onRestored?(subtasks: SubtaskRestore[]): void;
  /** An actor reported its running figures. */
  onMetrics?(actor: ReportingActor, report: ActorMetricsReport): void;
  /** The checkpoint coordinator of this attempt exists (savepoints are triggered through it). */
  onCheckpointCoordinator?(c: CheckpointCoordinator | null): void;
}

/** How one attempt of a job ended. */
export interface AttemptOutcome {
  /** The root cause, when the attempt failed. */
  failure: SnapflowError | null;
  interrupted: CancelledError | null;
  durationMs: number;
  actors: ActorStats[];
  checkpoints?: CheckpointStats;
  /** Highest checkpoint id this attempt triggered (0 for none). */
  lastCheckpointId: number;
  restored: SubtaskRestore[];
  /** Folder of the savepoint that stopped the job, if it was stopped. */
  stoppedWithSavepoint?: string;
  /** Id of that savepoint (0 when the attempt did not stop with one). */
  stoppedAt: number;
}

/**
 * The root cause among the failures: not a cancellation, not a channel closed by a dying
 * peer. Actors sharing a dead thread all fail, so a lost thread names every actor it hosted.
 */
function primaryFailure(failures: SnapflowError[]): SnapflowError {
  const rank = (e: SnapflowError) => (e.name === 'CancelledError' ? 2 : e.name === 'ChannelError' ? 1 : 0);
  const best = failures.reduce((b, e) => (rank(e) < rank(b) ? e : b));
  if (!(best instanceof WorkerExitError)) return best;
  const lost = failures.filter((e) => e instanceof WorkerExitError).map((e) => e.origin.operator);
  if (lost.length > 1) best.message += `; actors lost with it: ${lost.join(', ')}`;
  return best;
}

/** Waits until every promise settled, or `ms` passed. */
async function settledWithin(promises: Promise<unknown>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([Promise.allSettled(promises), timeout]);
  clearTimeout(timer);
}

/** Runs one attempt of the plan's actors on the host: until all finish, one fails, or the job is stopped. */
export async function runAttempt(plan: PhysicalPlan, host: ActorHost, opts: CoordinateOptions & { collected: CollectedResults }): Promise<AttemptOutcome> {
  const started = performance.now();
  const { collected } = opts;
  const stats: ActorStats[] = [];
  const restored: SubtaskRestore[] = [];
  const failures: SnapflowError[] = [];
  const actors = host.launch();
  const open = new Set(actors.map((_, i) => i));
  let cancelling = false;
  let decided = false;
  let interrupted: CancelledError | null = null;
  let graceTimer: NodeJS.Timeout | undefined;
  let onAbort = () => {};
  let finishedAt = 0;
  let ckpt: CheckpointCoordinator | null = null;
  let stoppedWith: string | undefined;
  let stoppedAt = 0;

  await new Promise<void>((resolve) => {
    const decide = () => {
      decided = true;
      finishedAt = performance.now();
      resolve();
    };
    const settle = (i: number) => {
      if (open.delete(i) && open.size === 0) decide();
    };
    const cancelAll = (reason: string) => {
      if (cancelling) return;
      cancelling = true;
      ckpt?.halt();
      // Savepoint requests from now on must not reach a coordinator that will trigger nothing.
      opts.onCheckpointCoordinator?.(null);
      for (const i of open) actors[i].control.send({ kind: 'cancel', reason });
      graceTimer = setTimeout(decide, opts.cancelGraceMs ?? 2000);
    };
    const fail = (i: number, err: SnapflowError) => {
      // Threads terminated after the decision fail too; those are consequences, not causes.
      if (decided || !open.has(i)) return;
      failures.push(err);
      cancelAll(err.message);
      settle(i);
    };
    if (opts.checkpoints) {
      ckpt = new CheckpointCoordinator({
        ...opts.checkpoints, maxParallelism: plan.maxParallelism, chains: chainNames(plan),
        actors: actors.map((a) => ({
          chain: a.chain, subtask: a.subtask, parallelism: plan.chains[a.chain].parallelism,
          isSource: plan.chains[a.chain].isSource, name: actorName(plan, a.chain, a.subtask),
        })),
        send: (i, msg) => !decided && open.has(i) && actors[i].control.send(msg),
        onFatal: (err) => {
          if (decided) return;
          failures.push(err);
          cancelAll(err.message);
        },
        onStopped: (dir, id) => {
          // A failure that came first stays the outcome: the savepoint exists, but the job did not stop cleanly.
          if (cancelling) return;
          stoppedWith = dir;
          stoppedAt = id;
          cancelAll(`stopped with savepoint ${dir}`);
        },
      });
    }
    opts.onCheckpointCoordinator?.(ckpt);
    onAbort = () => {
      interrupted = new CancelledError('the job was interrupted');
      cancelAll('the job was interrupted');
    };
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    actors.forEach((a, i) => {
      const origin = { operator: actorName(plan, a.chain, a.subtask) };
      const reporting: ReportingActor = { chain: a.chain, subtask: a.subtask, operator: plan.chains[a.chain].name };
      a.control.onMessage((msg) => {
        if (msg.kind === 'collect') collected.add(msg.sink, msg.epoch, msg.records);
        else if (msg.kind === 'metrics') opts.onMetrics?.(reporting, msg.report);
        else if (msg.kind === 'restored') {
          restored.push({ actor: origin.operator, chain: a.chain, subtask: a.subtask, ms: msg.ms, bytes: msg.bytes, handles: msg.handles });
          if (restored.length === actors.length) opts.onRestored?.([...restored]);
        }
        else if (msg.kind === 'injected') opts.onInjected?.(msg.id);
        else if (msg.kind === 'finished') {
          stats.push(msg.stats);
          settle(i);
        } else if (msg.kind === 'failed') {
          if (msg.stats) stats.push(msg.stats);
          fail(i, deserializeError(msg.error));
        }
        else ckpt?.handle(i, msg);
      });
      a.control.onClose(() => fail(i, new WorkerExitError(origin, 'its control link closed')));
      a.exited.catch((err: unknown) => fail(i, new WorkerExitError(origin, err)));
    });
    ckpt?.start();
  });
  clearTimeout(graceTimer);
  opts.signal?.removeEventListener('abort', onAbort);
  // Actors release their state after reporting; a thread terminated with an LMDB write in flight never
  // finishes terminating, so the host goes down only once they are done, or stuck past the grace period.
  await settledWithin(actors.map((a) => a.exited), opts.cancelGraceMs ?? 2000);
  for (const a of actors) a.control.close();
  await host.shutdown();
  opts.onCheckpointCoordinator?.(null);
  // After the shutdown no actor can still be writing, so the sweep sees the final state of the folder.
  const c = ckpt as CheckpointCoordinator | null;
  const checkpoints = c ? await c.stop() : undefined;
  // After a stop, cancelled actors and the channels they closed report failures; only other ones count.
  const real = stoppedWith === undefined ? failures : failures.filter((e) => e.name !== 'CancelledError' && e.name !== 'ChannelError');
  const failure = real.length === 0 ? null : primaryFailure(real);
  return {
    failure, interrupted, durationMs: finishedAt - started, actors: stats, checkpoints, lastCheckpointId: c?.lastTriggeredId ?? 0,
    restored: restored.sort(byChainThenSubtask), stoppedWithSavepoint: stoppedWith, stoppedAt,
  };
}
