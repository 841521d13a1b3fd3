/** Running a job from TypeScript: execute(jobModuleOrDefinition, options). */
import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CheckpointStorage } from './storage/checkpoint-storage.js';
import { resolveState, type CheckpointOptions } from './checkpoint/config.js';
import { DEFAULT_CHANNEL_SETTINGS, type ChannelSettings } from './transport/channel.js';
import type { Clock } from '../base/clock.js';
import { CancelledError, ConfigError, errorMessage } from '../base/errors.js';
import { checkNumber, positiveInteger } from '../base/validate.js';
import { InjectionSchedule, parseInjections, resolveInjections } from './recovery/failure-injection.js';
import type { JobControl } from './job/job-control.js';
import { runJob, type RunnerCheckpoints } from './job/runner.js';
import { createRestartStrategy, type RestartOptions } from './recovery/restart.js';
import { LocalHost } from './hosts/local.js';
import { profileMainThread } from './hosts/profiler.js';
import { ThreadHost } from './hosts/threads.js';
import type { WorkerPool } from './hosts/worker-pool.js';
import { buildJob, loadJob, moduleUrl, type JobDefinition, type JobOverrides } from './api/job.js';
import { isKeyed } from './plan/graph.js';
import type { BackendKind } from '../base/kinds.js';
import { CheckpointRetention } from './storage/retention.js';
import type { ActorRestore } from './actor/restore.js';
import type { FailureInjection } from './actor/faults.js';
import type { JobResult } from './job/stats.js';
import type { JobEvent } from './job/events.js';
import { JobMonitor } from './job/monitor.js';
import { resolveMetricsSettings, type MetricsSettings } from './metrics/settings.js';
import { checkCompatible, openRestorePoint, type RestorePoint } from './recovery/restore-point.js';

/** Options of execute(). */
export interface ExecuteOptions {
  /** Default parallelism (a job's own setParallelism calls take precedence, as in Flink). */
  parallelism?: number;
  maxParallelism?: number;
  /** Fuse forward-connected operators into one actor (default true). */
  chaining?: boolean;
  /** Passed to the job's build function. */
  params?: Record<string, unknown>;
  /** Run every actor on the calling thread with in-memory channels (default: only for job objects). */
  local?: boolean;
  /** Batching and credit settings of the channels. */
  channels?: Partial<ChannelSettings>;
  /** Heap limit per worker thread, in MiB. */
  workerMemoryMb?: number;
  /** Worker threads; actors share them when there are fewer threads than actors (default: the machine's cores). */
  threads?: number;
  /**
   * Threads kept for jobs run one after another (the caller closes them): a job runs on them if
   * they suit its thread count, and leaves them for the next. Default: each job's threads end with it.
   */
  workers?: WorkerPool;
  /** Cancels the job when aborted. */
  signal?: AbortSignal;
  /** Clock for single-thread runs (tests inject a manual one). */
  clock?: Clock;
  /** Where keyed state lives: `lmdb` (default) or `heap`. */
  stateBackend?: BackendKind;
  /** Parent folder of the working LMDB environments (default: the system's temporary folder). */
  stateDir?: string;
  /**
   * Memory budget, in MiB, of each LMDB subtask's cache of decoded values (default 128). While a
   * key is cached a value read is the stored object, as on the heap; 0 turns the cache off.
   */
  stateCacheMb?: number;
  /** Turns checkpointing on. */
  checkpointing?: CheckpointOptions;
  /** Name of the job in checkpoint folders (default: the module's file name). */
  jobName?: string;
  /** What happens after a failure (default: exponential delay with checkpointing, no restart without). */
  restart?: RestartOptions;
  /** Resume from a savepoint folder, a `chk-<n>` folder, or a job folder's newest checkpoint. */
  fromCheckpoint?: string;
  /** Failures to inject (`--inject-failure` specs), for stress tests. */
  injectFailures?: string[];
  /** Seed and horizon (records per subtask) of `random=K` injections. */
  injectSeed?: number;
  injectHorizon?: number;
  /** Takes savepoints of the running job, or stops it with one. */
  control?: JobControl;
  /** Receives restart and fallback messages (default: stderr). */
  log?(line: string): void;
  /** Receives each checkpoint, savepoint, restart and restore as it happens (restarts then no longer go to `log`). */
  onEvent?(event: JobEvent): void;
  /** How often actors report their figures and sources send latency markers. */
  metrics?: Partial<MetricsSettings>;
  /** Writes a CPU profile of the main thread and of each worker thread into this folder (`.cpuprofile` files). */
  profileDir?: string;
  /** Fed with the job's live picture as it runs (checkpoints, task metrics, latency), for a server or a dashboard to read. */
  monitor?: JobMonitor;
}

/** Validates channel settings, naming the offending option. */
export function resolveChannelSettings(partial: Partial<ChannelSettings> = {}): ChannelSettings {
  const given = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
  const s: ChannelSettings = { ...DEFAULT_CHANNEL_SETTINGS, ...given };
  positiveInteger('credits', s.credits);
  positiveInteger('batchSize', s.batchSize);
  checkNumber('lingerMs', s.lingerMs, { min: 0 });
  if (s.debloatTargetMs !== undefined) checkNumber('debloatTargetMs', s.debloatTargetMs, { min: 0, exclusive: true });
  return s;
}

function overridesOf(opts: ExecuteOptions): JobOverrides {
  const o: JobOverrides = {};
  if (opts.parallelism !== undefined) o.parallelism = positiveInteger('parallelism', opts.parallelism);
  if (opts.maxParallelism !== undefined) o.maxParallelism = positiveInteger('maxParallelism', opts.maxParallelism);
  if (opts.chaining !== undefined) o.chaining = opts.chaining;
  return o;
}

/**
 * Runs a job to completion and returns collected records and statistics. A module path
 * runs on worker threads; a JobDefinition object can only run on the calling thread.
 */
export async function execute(job: string | URL | JobDefinition<any>, opts: ExecuteOptions = {}): Promise<JobResult> {
  try {
    return await run(job, opts);
  } finally {
    opts.control?.end();
  }
}

async function run(job: string | URL | JobDefinition<any>, opts: ExecuteOptions): Promise<JobResult> {
  const isModule = typeof job === 'string' || job instanceof URL;
  const def = isModule ? await loadJob(job) : job;
  const local = opts.local ?? !isModule;
  if (!local && !isModule) throw new ConfigError('local', 'a job given as an object runs on one thread only; pass its module path to use worker threads');
  const overrides = overridesOf(opts);
  const params = opts.params ?? {};
  const channels = resolveChannelSettings(opts.channels);
  const metrics = resolveMetricsSettings(opts.metrics);
  const initial: RestorePoint | null = opts.fromCheckpoint === undefined ? null : await openRestorePoint(opts.fromCheckpoint, 'from-checkpoint');
  // Key groups cannot be re-cut: a resumed job keeps the checkpoint's number unless told otherwise (then checkCompatible names the flag).
  if (initial && overrides.maxParallelism === undefined) overrides.maxParallelism = initial.meta.maxParallelism;
  const built = buildJob(def, params, overrides);
  if (initial) checkCompatible(initial.meta, built.plan, 'from-checkpoint');
  const jobName = opts.jobName ?? (isModule ? basename(fileURLToPath(moduleUrl(job as string | URL)), extname(String(job))) : 'job');
  const state = resolveState(jobName, opts.stateBackend, opts.checkpointing, opts.stateDir, opts.stateCacheMb);
  const threads = opts.threads === undefined ? undefined : positiveInteger('threads', opts.threads);
  const injections = injectionsOf(built.graph.nodes.map((n) => ({ name: n.name, parallelism: built.plan.chains.find((c) => c.nodeIds.includes(n.id))!.parallelism, stateful: isKeyed(n) })), opts, local);
  const restart = createRestartStrategy(opts.restart, state.checkpoints !== undefined);
  let attempts = 0;
  const makeHost = (restores: ActorRestore[] | undefined, armed: FailureInjection[]) => {
    // Each attempt works in folders of its own, so a thread of a failed attempt that is slow to die cannot touch
    // them; the previous attempt's host is down by now, and what a crash left there is of no use any more.
    if (attempts > 0) rmSync(join(state.actors.workDir, `attempt-${attempts - 1}`), { recursive: true, force: true });
    const actorState = { ...state.actors, workDir: join(state.actors.workDir, `attempt-${attempts++}`) };
    return local
      ? new LocalHost(built, { settings: channels, clock: opts.clock, state: actorState, restores, injections: armed, metrics })
      : new ThreadHost(built, { jobModule: moduleUrl(job as string | URL), params, overrides, settings: channels, workerMemoryMb: opts.workerMemoryMb, threads, state: actorState, restores, injections: armed, metrics, profileDir: opts.profileDir, workers: opts.workers });
  };
  const config = state.checkpoints;
  opts.control?.begin(config !== undefined);
  let checkpoints: RunnerCheckpoints | undefined;
  if (config) {
    const storage = new CheckpointStorage(config.jobDir);
    checkpoints = { config, jobId: state.jobId, jobName, storage, retention: new CheckpointRetention({ storage, retained: config.retained }), clock: local ? opts.clock : undefined };
  }
  const monitor = opts.monitor ?? new JobMonitor();
  const stopProfile = opts.profileDir === undefined ? null : await profileMainThread(opts.profileDir);
  monitor.begin({ jobId: state.jobId, jobName, plan: built.plan, checkpointing: config, metricsIntervalMs: metrics.intervalMs });
  try {
    const result = await runJob({
      plan: built.plan, host: makeHost, checkpoints, restart, injections: new InjectionSchedule(injections), initial, signal: opts.signal,
      log: opts.log ?? ((line) => process.stderr.write(`snapflow: ${line}\n`)),
      onCheckpointCoordinator: (c) => opts.control?.attach(c), onEvent: opts.onEvent, monitor,
    });
    monitor.end('FINISHED');
    if (monitor.latency.count > 0) result.stats.latency = monitor.latency.summary();
    return result;
  } catch (err) {
    monitor.end(err instanceof CancelledError ? 'CANCELED' : 'FAILED', errorMessage(err));
    throw err;
  } finally {
    await stopProfile?.();
    await rm(state.actors.workDir, { recursive: true, force: true });
  }
}

/** Parses and resolves the failure injections; a hard exit needs worker threads (it would end the calling process). */
function injectionsOf(operators: { name: string; parallelism: number; stateful: boolean }[], opts: ExecuteOptions, local: boolean): FailureInjection[] {
  if (!opts.injectFailures || opts.injectFailures.length === 0) return [];
  const list = resolveInjections(parseInjections(opts.injectFailures), operators, { seed: opts.injectSeed ?? 1, horizon: opts.injectHorizon ?? 100_000 });
  const exit = list.find((i) => i.kind === 'exit');
  if (exit && local) throw new ConfigError('inject-failure', `"${exit.spec}": a hard exit needs worker threads; run without --local or use !throw`);
  return list;
}
