/**
 * What is known of a running job at any moment, for whoever watches it (the REST server, the
 * metrics endpoint, the dashboard, the end-of-run report): its state, its graph, every
 * checkpoint as it ended, restarts and restores, the actors' latest figures and the latency
 * its sinks measured. The runtime feeds it; it does no I/O of its own.
 */
import type { CheckpointCoordinator } from '../checkpoint/coordinator.js';
import type { CheckpointConfig } from '../checkpoint/config.js';
import type { CheckpointSummary } from '../checkpoint/stats.js';
import { LatencyTracker } from '../metrics/latency.js';
import { ThroughputSeries } from '../metrics/throughput.js';
import { TaskMetrics, type ReportingActor } from '../metrics/task-metrics.js';
import type { PhysicalPlan } from '../plan/plan.js';
import type { ActorMetricsReport } from '../transport/protocol.js';
import type { JobEvent } from './events.js';

/** A job's state, in Flink's words. */
export type JobState = 'INITIALIZING' | 'RUNNING' | 'RESTARTING' | 'FINISHED' | 'FAILED' | 'CANCELED';

/** One operator chain of the job, as the graph view shows it. */
export interface MonitoredVertex {
  id: number;
  name: string;
  parallelism: number;
  isSource: boolean;
  /** No chain reads from this one: its records end here. */
  isSink: boolean;
  /** Chains feeding this one, with how records are partitioned on the way. */
  inputs: { from: number; partitioning: string }[];
}

/** A checkpoint or savepoint as it ended. */
export interface RecordedCheckpoint {
  summary: CheckpointSummary;
  /** The savepoint's folder (savepoints only). */
  savepointDir?: string;
}

/** The latest restore. */
export interface MonitoredRestore {
  checkpointId: number;
  /** Wall-clock ms. */
  at: number;
  attempt: number;
  savepoint: boolean;
}

/** What the job is, fixed when it starts. */
export interface MonitoredJob {
  jobId: string;
  jobName: string;
  plan: PhysicalPlan;
  /** Present when checkpointing is on. */
  checkpointing?: CheckpointConfig;
  /** Milliseconds between two metrics reports of an actor (the latency intervals' width). */
  metricsIntervalMs: number;
}

/** The live picture of one job; the runtime feeds it, watchers read it. */
export class JobMonitor {
  jobId = '';
  jobName = '';
  state: JobState = 'INITIALIZING';
  /** Wall-clock ms; endTime stays -1 while the job runs. */
  startTime = Date.now();
  endTime = -1;
  /** Why the job failed. */
  failure?: string;
  vertices: MonitoredVertex[] = [];
  checkpointing?: CheckpointConfig;
  readonly checkpoints: RecordedCheckpoint[] = [];
  restored: MonitoredRestore | null = null;
  numRestarts = 0;
  readonly tasks = new TaskMetrics();
  latency = new LatencyTracker(1000, this.startTime);
  throughput = new ThroughputSeries(1000, this.startTime);
  private coordinator: CheckpointCoordinator | null = null;
  private readonly listeners = new Set<(e: JobEvent) => void>();

  /** The job starts (called by the runtime). */
  begin(job: MonitoredJob): void {
    this.jobId = job.jobId;
    this.jobName = job.jobName;
    this.startTime = Date.now();
    this.checkpointing = job.checkpointing;
    const intervalMs = Math.max(1, job.metricsIntervalMs || 1000);
    this.latency = new LatencyTracker(intervalMs, this.startTime);
    this.throughput = new ThroughputSeries(intervalMs, this.startTime);
    const { plan } = job;
    this.vertices = plan.chains.map((c, id) => ({
      id, name: c.name, parallelism: c.parallelism, isSource: c.isSource, isSink: !plan.edges.some((e) => e.from === id),
      inputs: plan.edges.filter((e) => e.to === id).map((e) => ({ from: e.from, partitioning: e.partitioning })),
    }));
    this.state = 'RUNNING';
  }

  /** An attempt's checkpoint coordinator, or null between attempts (called by the runtime). */
  attach(coordinator: CheckpointCoordinator | null): void {
    if (coordinator !== null && this.coordinator === null) this.tasks.clear();
    this.coordinator = coordinator;
  }

  /** A checkpoint or savepoint ended (called by the runtime). */
  recordCheckpoint(summary: CheckpointSummary, savepointDir?: string): void {
    this.checkpoints.push(savepointDir === undefined ? { summary } : { summary, savepointDir });
  }

  /** An actor reported its figures (called by the runtime). */
  recordMetrics(actor: ReportingActor, report: ActorMetricsReport): void {
    this.tasks.add(actor, report);
    const v = this.vertices[actor.chain];
    if (v !== undefined) this.throughput.add(`${actor.chain}/${actor.subtask}`, { source: v.isSource, sink: v.isSink }, report);
    if (report.latency !== undefined) this.latency.add(report.at, report.latency);
  }

  /** Something happened (called by the runtime); listeners hear of it. */
  event(e: JobEvent): void {
    if (e.kind === 'restart') {
      this.numRestarts++;
      this.state = 'RESTARTING';
    } else if (e.kind === 'restore') {
      this.state = 'RUNNING';
      if (e.checkpointId > 0) {
        const known = this.checkpoints.find((c) => c.summary.id === e.checkpointId);
        this.restored = { checkpointId: e.checkpointId, at: e.at, attempt: e.attempt, savepoint: known?.savepointDir !== undefined };
      }
    }
    for (const fn of this.listeners) fn(e);
  }

  /** The job ended (called by the runtime). */
  end(state: Extract<JobState, 'FINISHED' | 'FAILED' | 'CANCELED'>, failure?: string): void {
    this.state = state;
    this.endTime = Date.now();
    this.coordinator = null;
    if (failure !== undefined) this.failure = failure;
  }

  /** Hears every event from now on; returns the function that stops it. */
  listen(fn: (e: JobEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Checkpoints triggered and not yet ended. */
  get inProgressCheckpoints(): number {
    return this.coordinator?.inProgress ?? 0;
  }

  /** Milliseconds the job has run (until it ended). */
  get durationMs(): number {
    return (this.endTime < 0 ? Date.now() : this.endTime) - this.startTime;
  }
}
