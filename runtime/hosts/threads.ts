/**
 * Runs actors on worker threads from a piscina pool: one long-lived task per actor, and a
 * slot per actor (threads × tasks per thread ≥ actors). By default there are as many threads
 * as cores and actors share them, placed round-robin in chain then subtask order, so subtask
 * i of every chain lands on thread i mod threads (like Flink's slot sharing). Measured on a
 * 2-core machine, one thread per actor lost about half the throughput at 8 actors per core
 * to scheduling and cache churn; shared threads lost about a tenth (docs/architecture.md).
 * Actors talk over one MessageChannel per producer→consumer pair, plus a control channel.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { ChannelSettings } from '../transport/channel.js';
import { portEndpoint, type CoordinatorEndpoint } from '../transport/control-link.js';
import { planFingerprint, type BuiltJob, type JobOverrides } from '../api/job.js';
import type { ControlFromActor, ControlToActor } from '../transport/protocol.js';
import { wirePlan } from '../plan/wiring.js';
import type { ActorTask } from './actor-task.js';
import type { ActorStateSettings } from '../actor/state-settings.js';
import type { ActorRestore } from '../actor/restore.js';
import type { FailureInjection } from '../actor/faults.js';
import type { MetricsSettings } from '../metrics/settings.js';
import type { ActorHost, LaunchedActor } from './host.js';
import { workerProfileArgs } from './profiler.js';
import type { WorkerPool } from './worker-pool.js';

/** Options of the thread host. */
export interface ThreadHostOptions {
  jobModule: string;
  params: unknown;
  overrides: JobOverrides;
  settings: ChannelSettings;
  /** Heap limit per worker thread, in MiB; a worker over it fails the job. */
  workerMemoryMb?: number;
  /** Worker threads in the pool; actors share threads when there are more actors. Default: the machine's cores. */
  threads?: number;
  state?: ActorStateSettings;
  /** Per actor in plan order (chain, then subtask): what it restores. */
  restores?: ActorRestore[];
  injections?: FailureInjection[];
  metrics?: MetricsSettings;
  /** Each worker thread writes a CPU profile into this folder as it ends (the job then has threads of its own). */
  profileDir?: string;
  /** Threads kept for later jobs, which this job runs on if they suit it; without, the job's threads end with it. */
  workers?: WorkerPool;
}

const WORKER_FILE = fileURLToPath(new URL('./worker.js', import.meta.url));

/** An ActorHost backed by a piscina pool. */
export class ThreadHost implements ActorHost {
  private pool: Piscina | null = null;
  private shared: WorkerPool | undefined;
  private onPoolError: ((err: unknown) => void) | undefined;
  /** Actors whose task has not ended yet. */
  private running = 0;

  constructor(private readonly job: BuiltJob, private readonly opts: ThreadHostOptions) {}

  launch(): LaunchedActor[] {
    const { plan } = this.job;
    const { channels, actors } = wirePlan(plan);
    const pairs = channels.map(() => new MessageChannel());
    const threads = Math.min(actors.length, this.opts.threads ?? availableParallelism());
    const tasksPerThread = Math.ceil(actors.length / threads);
    const make = () => new Piscina({
      filename: WORKER_FILE, minThreads: threads, maxThreads: threads, concurrentTasksPerWorker: tasksPerThread,
      idleTimeout: 60_000, atomics: 'disabled',
      resourceLimits: this.opts.workerMemoryMb ? { maxOldGenerationSizeMb: this.opts.workerMemoryMb } : undefined,
      execArgv: this.opts.profileDir === undefined ? undefined : [...process.execArgv, ...workerProfileArgs(this.opts.profileDir)],
    });
    // A profile is written as its thread ends, so a profiled job ends its threads itself.
    this.shared = this.opts.profileDir === undefined ? this.opts.workers : undefined;
    const pool = this.shared?.acquire(`${threads} threads, ${tasksPerThread} tasks each, ${this.opts.workerMemoryMb ?? 0} MiB`, make) ?? make();
    this.pool = pool;
    // A worker that dies after its tasks were already failed (an out-of-memory error arrives after its exit) is reported on the pool, not on a task.
    const poolFailed = new Promise<never>((_, reject) => (this.onPoolError = reject));
    pool.on('error', this.onPoolError!);
    poolFailed.catch(() => {});
    const fingerprint = planFingerprint(plan);
    return actors.map((w, i) => {
      const control = new MessageChannel();
      const inputs = w.inputs.map((i) => pairs[i].port2);
      const outputs = w.outputs.map((list) => list.map((i) => pairs[i].port1));
      const task: ActorTask = {
        jobModule: this.opts.jobModule, params: this.opts.params, overrides: this.opts.overrides, fingerprint,
        chain: w.chain, subtask: w.subtask, settings: this.opts.settings, state: this.opts.state, inputs, inputIndex: w.inputIndex, outputs, control: control.port2,
        restore: this.opts.restores?.[i], injections: this.opts.injections, metrics: this.opts.metrics,
      };
      const transferList: MessagePort[] = [...inputs, ...outputs.flat(), control.port2];
      this.running++;
      const ran = pool.run(task, { transferList: transferList as never }).finally(() => this.running--);
      const exited = Promise.race([ran.then(() => undefined), poolFailed]);
      const endpoint = portEndpoint<ControlFromActor, ControlToActor>(control.port1) as CoordinatorEndpoint;
      return { chain: w.chain, subtask: w.subtask, control: endpoint, exited };
    });
  }

  /** Ends the job's threads, or leaves kept ones for the next job once every actor's task has ended. */
  async shutdown(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    if (pool === null) return;
    if (this.onPoolError !== undefined) pool.off('error', this.onPoolError);
    if (this.shared === undefined) await pool.destroy();
    else await this.shared.release(pool, this.running === 0);
  }
}
