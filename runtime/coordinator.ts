/**
 * The job coordinator on the main thread: launches the actors through a host, gathers
 * collected records and statistics, and ends the job. On the first failure it cancels
 * every actor, waits briefly for them to stop, tears the host down (terminating stuck
 * threads) and reports the root cause rather than the knock-on channel errors.
 */
import { CheckpointCoordinator, type CheckpointCoordinatorOptions } from './checkpoint-coordinator.js';
import type { CheckpointStats } from './checkpoint-types.js';
import type { CoordinatorEndpoint } from './control.js';
import { CollectedResults } from './collected.js';
import { chainNames } from './restore-plan.js';
import { CancelledError, deserializeError, WorkerExitError, type SnapflowError } from './errors.js';
import { actorName, type PhysicalPlan } from './plan.js';
import type { ActorStats } from './protocol.js';

/** A started actor as the coordinator sees it. */
export interface LaunchedActor {
  chain: number;
  subtask: number;
  control: CoordinatorEndpoint;
  /** Settles when the actor's task ends; rejects if its thread died. */
  exited: Promise<void>;
}

/** Starts actors somewhere (this thread, a worker pool) and tears them down. */
export interface ActorHost {
  launch(): LaunchedActor[];
  shutdown(): Promise<void>;
}

/** Figures of a finished job. */
export interface JobStats {
  durationMs: number;
  /** Records emitted by all sources. */
  sourceRecords: number;
  recordsPerSec: number;
  actors: ActorStats[];
  /** Present when checkpointing was on. */
  checkpoints?: CheckpointStats;
  /** Every restart, with its cause (empty when the job never failed). */
  restarts: RestartRecord[];
  /** Every restore: from a savepoint or checkpoint at the start, and after each restart. */
  restores: RestoreRecord[];
  /** Injected failures that fired. */
  failuresInjected: number;
  /** Set when the job was stopped with a savepoint: its folder. */
  stoppedWithSavepoint?: string;
}

/** One restart of the job. */
export interface RestartRecord {
  /** 1 for the first restart. */
  attempt: number;
  cause: string;
  delayMs: number;
  /** Checkpoint the restart restored (0: none had completed; the job started over). */
  checkpointId: number;
}

/** One subtask's part of a restore. */
export interface SubtaskRestore {
  actor: string;
  chain: number;
  subtask: number;
  ms: number;
  bytes: number;
  handles: number;
}

/** One restore of the whole job. */
export interface RestoreRecord {
  /** 0 for a restore at the start (a resumed job), n after the n-th restart. */
  attempt: number;
  checkpointId: number;
  /** Slowest subtask, the time the job waited for its state. */
  maxMs: number;
  subtasks: SubtaskRestore[];
}

/** What execute() returns. */
export interface JobResult {
  /** Records of each collect sink, by sink name. */
  results: Record<string, unknown[]>;
  stats: JobStats;
}

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

/** Runs the plan's actors on the host until all finish or one fails, and returns the results. */
export async function coordinate(plan: PhysicalPlan, host: ActorHost, opts: CoordinateOptions = {}): Promise<JobResult> {
  const collected = opts.collected ?? new CollectedResults();
  const o = await runAttempt(plan, host, { ...opts, collected });
  if (o.interrupted) throw o.interrupted;
  if (o.failure) throw o.failure;
  return { results: collected.results(), stats: jobStats(plan, o) };
}

/** The statistics of a job whose last attempt succeeded. */
export function jobStats(plan: PhysicalPlan, o: AttemptOutcome, extra: Partial<JobStats> = {}): JobStats {
  const stats = [...o.actors].sort((a, b) => a.chain - b.chain || a.subtask - b.subtask);
  const sourceRecords = stats.filter((s) => plan.chains[s.chain].isSource).reduce((n, s) => n + s.recordsIn, 0);
  return {
    durationMs: o.durationMs, sourceRecords, recordsPerSec: Math.round((sourceRecords / o.durationMs) * 1000), actors: stats,
    checkpoints: o.checkpoints, restarts: [], restores: [], failuresInjected: 0, stoppedWithSavepoint: o.stoppedWithSavepoint, ...extra,
  };
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
        onStopped: (dir) => {
          // A failure that came first stays the outcome: the savepoint exists, but the job did not stop cleanly.
          if (cancelling) return;
          stoppedWith = dir;
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
      a.control.onMessage((msg) => {
        if (msg.kind === 'collect') collected.add(msg.sink, msg.epoch, msg.records);
        else if (msg.kind === 'restored') restored.push({ actor: origin.operator, chain: a.chain, subtask: a.subtask, ms: msg.ms, bytes: msg.bytes, handles: msg.handles });
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
    restored: restored.sort((a, b) => a.chain - b.chain || a.subtask - b.subtask), stoppedWithSavepoint: stoppedWith,
  };
}
