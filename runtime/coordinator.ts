/**
 * The job coordinator on the main thread: launches the actors through a host, gathers
 * collected records and statistics, and ends the job. On the first failure it cancels
 * every actor, waits briefly for them to stop, tears the host down (terminating stuck
 * threads) and reports the root cause rather than the knock-on channel errors.
 */
import { CheckpointCoordinator, type CheckpointCoordinatorOptions } from './checkpoint-coordinator.js';
import type { CheckpointStats } from './checkpoint-types.js';
import type { CoordinatorEndpoint } from './control.js';
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
  checkpoints?: Omit<CheckpointCoordinatorOptions, 'actors' | 'send' | 'onFatal' | 'maxParallelism'>;
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

/** Runs the plan's actors on the host until all finish or one fails. */
export async function coordinate(plan: PhysicalPlan, host: ActorHost, opts: CoordinateOptions = {}): Promise<JobResult> {
  const started = performance.now();
  const results: Record<string, unknown[]> = {};
  const stats: ActorStats[] = [];
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
        ...opts.checkpoints, maxParallelism: plan.maxParallelism,
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
      });
    }
    onAbort = () => {
      interrupted = new CancelledError('the job was interrupted');
      cancelAll('the job was interrupted');
    };
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    actors.forEach((a, i) => {
      const origin = { operator: actorName(plan, a.chain, a.subtask) };
      a.control.onMessage((msg) => {
        if (msg.kind === 'collect') {
          const list = (results[msg.sink] ??= []);
          for (const r of msg.records) list.push(r);
        } else if (msg.kind === 'finished') {
          stats.push(msg.stats);
          settle(i);
        } else if (msg.kind === 'failed') fail(i, deserializeError(msg.error));
        else ckpt?.handle(i, msg);
      });
      a.control.onClose(() => fail(i, new WorkerExitError(origin, 'its control link closed')));
      a.exited.catch((err: unknown) => fail(i, new WorkerExitError(origin, err)));
    });
    ckpt?.start();
  });
  clearTimeout(graceTimer);
  opts.signal?.removeEventListener('abort', onAbort);
  for (const a of actors) a.control.close();
  await host.shutdown();
  // After the shutdown no actor can still be writing, so the sweep sees the final state of the folder.
  const checkpoints = ckpt ? await (ckpt as CheckpointCoordinator).stop() : undefined;
  if (interrupted) throw interrupted;
  if (failures.length > 0) throw primaryFailure(failures);
  const durationMs = finishedAt - started;
  const sourceRecords = stats.filter((s) => plan.chains[s.chain].isSource).reduce((n, s) => n + s.recordsIn, 0);
  stats.sort((a, b) => a.chain - b.chain || a.subtask - b.subtask);
  return { results, stats: { durationMs, sourceRecords, recordsPerSec: Math.round((sourceRecords / durationMs) * 1000), actors: stats, checkpoints } };
}
