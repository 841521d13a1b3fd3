/**
 * A running job as Flink's REST API shows it: the job overview, the job with its vertices and
 * plan, the checkpoint statistics (counts, summary, latest, history), one checkpoint's details
 * per task and subtask, and the checkpoint configuration. Field names and units are Flink's
 * (milliseconds, bytes, snake_case where Flink uses it), so that scripts written against a
 * Flink cluster read these answers too. Pure functions of the monitor: no I/O here.
 */
import { join } from 'node:path';
import type { JobMonitor, MonitoredVertex, RecordedCheckpoint } from '../runtime/job/monitor.js';
import type { CheckpointSummary } from '../runtime/checkpoint/stats.js';
import type { SubtaskCheckpointStats } from '../runtime/storage/metadata.js';

type Json = Record<string, unknown>;

/** Flink's task states of a vertex: all running while the job runs, then all in the job's final state. */
function taskCounts(m: JobMonitor, tasks: number): Json {
  const counts: Json = { created: 0, scheduled: 0, deploying: 0, running: 0, finished: 0, canceling: 0, canceled: 0, failed: 0, reconciling: 0, initializing: 0 };
  const key = m.state === 'FINISHED' ? 'finished' : m.state === 'FAILED' ? 'failed' : m.state === 'CANCELED' ? 'canceled' : m.state === 'RUNNING' ? 'running' : 'initializing';
  counts[key] = tasks;
  return counts;
}

const totalTasks = (m: JobMonitor) => m.vertices.reduce((n, v) => n + v.parallelism, 0);

function times(m: JobMonitor): Json {
  return { 'start-time': m.startTime, 'end-time': m.endTime, duration: m.durationMs };
}

/** `GET /jobs/overview`. */
export function jobsOverview(m: JobMonitor): Json {
  return {
    jobs: [{
      jid: m.jobId, name: m.jobName, state: m.state, ...times(m), 'last-modification': m.endTime < 0 ? Date.now() : m.endTime,
      tasks: { total: totalTasks(m), ...taskCounts(m, totalTasks(m)) },
    }],
  };
}

function vertexMetrics(m: JobMonitor, v: MonitoredVertex): Json {
  const rows = m.tasks.rows().filter((r) => r.chain === v.id);
  const sum = (f: (r: (typeof rows)[number]) => number) => rows.reduce((n, r) => n + f(r), 0);
  return {
    'read-records': sum((r) => r.recordsIn), 'write-records': sum((r) => r.recordsOut),
    'read-records-complete': m.state !== 'RUNNING', 'write-records-complete': m.state !== 'RUNNING',
    accumulated_busy_time: sum((r) => r.busyTimeMsPerSecond), accumulated_backpressured_time: sum((r) => r.backPressuredTimeMsPerSecond),
    accumulated_idle_time: sum((r) => r.idleTimeMsPerSecond),
  };
}

/** `GET /jobs/:jid`: the job, its vertices (operator chains) with their figures, and its plan. */
export function jobDetails(m: JobMonitor): Json {
  return {
    jid: m.jobId, name: m.jobName, isStoppable: m.checkpointing !== undefined, state: m.state, ...times(m), now: Date.now(),
    vertices: m.vertices.map((v) => ({
      id: String(v.id), name: v.name, parallelism: v.parallelism, status: m.state === 'RESTARTING' ? 'INITIALIZING' : m.state, ...times(m),
      tasks: taskCounts(m, v.parallelism), metrics: vertexMetrics(m, v),
    })),
    'status-counts': taskCounts(m, totalTasks(m)),
    plan: {
      jid: m.jobId, name: m.jobName, type: 'STREAMING',
      nodes: m.vertices.map((v) => ({
        id: String(v.id), parallelism: v.parallelism, operator: '', operator_strategy: '', description: v.name,
        inputs: v.inputs.map((i, num) => ({ num, id: String(i.from), ship_strategy: i.partitioning.toUpperCase(), exchange: 'pipelined_bounded' })),
      })),
    },
  };
}

/** Min, max, average and percentiles of a figure over completed checkpoints, as Flink's summary gives them. */
function stat(values: number[]): Json {
  if (values.length === 0) return { min: 0, max: 0, avg: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
  const avg = sorted.reduce((n, v) => n + v, 0) / sorted.length;
  return { min: sorted[0], max: sorted[sorted.length - 1], avg: Math.round(avg), p50: at(0.5), p90: at(0.9), p95: at(0.95), p99: at(0.99), p999: at(0.999) };
}

const ms = (v: number) => Math.round(v);
const flinkStatus = (s: CheckpointSummary['status']) => (s === 'completed' ? 'COMPLETED' : 'FAILED');

function externalPath(m: JobMonitor, c: RecordedCheckpoint): string | null {
  if (c.summary.status !== 'completed') return null;
  return c.savepointDir ?? (m.checkpointing ? join(m.checkpointing.jobDir, `chk-${c.summary.id}`) : null);
}

/** One row of the history, as Flink's checkpoint statistics give it. */
function checkpointEntry(m: JobMonitor, c: RecordedCheckpoint, tasks: Json = {}): Json {
  const s = c.summary;
  const savepoint = c.savepointDir !== undefined;
  const latestAck = s.subtasks.length === 0 ? s.triggeredAt : s.triggeredAt + s.endToEndMs;
  const entry: Json = {
    className: s.status === 'completed' ? '.CompletedCheckpointStatistics' : '.FailedCheckpointStatistics',
    id: s.id, status: flinkStatus(s.status), is_savepoint: savepoint, savepointFormat: savepoint ? 'CANONICAL' : null,
    trigger_timestamp: ms(s.triggeredAt), latest_ack_timestamp: ms(latestAck), checkpointed_size: s.checkpointedBytes, state_size: s.fullStateBytes,
    end_to_end_duration: ms(s.endToEndMs), alignment_buffered: 0, processed_data: s.processedBytes ?? 0, persisted_data: s.persistedBytes ?? 0,
    num_subtasks: totalTasks(m), num_acknowledged_subtasks: s.subtasks.length,
    checkpoint_type: savepoint ? 'SAVEPOINT' : s.unaligned ? 'UNALIGNED_CHECKPOINT' : 'CHECKPOINT', tasks, final: s.final,
  };
  if (s.status === 'completed') Object.assign(entry, { external_path: externalPath(m, c), discarded: false });
  else Object.assign(entry, { failure_timestamp: ms(s.triggeredAt + s.endToEndMs), failure_message: s.reason ?? null });
  return entry;
}

/** The newest completed checkpoint or savepoint, or failed one. */
function latest(list: RecordedCheckpoint[], test: (c: RecordedCheckpoint) => boolean): RecordedCheckpoint | undefined {
  for (let i = list.length - 1; i >= 0; i--) if (test(list[i])) return list[i];
  return undefined;
}

/** How many rows the history keeps (Flink's web.checkpoints.history). */
export const HISTORY_SIZE = 10;

/** `GET /jobs/:jid/checkpoints`. */
export function checkpointStats(m: JobMonitor): Json {
  const all = m.checkpoints;
  const done = all.filter((c) => c.summary.status === 'completed');
  const entry = (c: RecordedCheckpoint | undefined) => (c === undefined ? null : checkpointEntry(m, c));
  const r = m.restored;
  return {
    counts: { restored: r === null ? 0 : 1, total: all.length + m.inProgressCheckpoints, in_progress: m.inProgressCheckpoints, completed: done.length, failed: all.length - done.length },
    summary: {
      checkpointed_size: stat(done.map((c) => c.summary.checkpointedBytes)), state_size: stat(done.map((c) => c.summary.fullStateBytes)),
      end_to_end_duration: stat(done.map((c) => ms(c.summary.endToEndMs))),
      alignment_buffered: stat([]), processed_data: stat(done.map((c) => c.summary.processedBytes ?? 0)), persisted_data: stat(done.map((c) => c.summary.persistedBytes ?? 0)),
    },
    latest: {
      completed: entry(latest(all, (c) => c.summary.status === 'completed' && c.savepointDir === undefined)),
      savepoint: entry(latest(all, (c) => c.summary.status === 'completed' && c.savepointDir !== undefined)),
      failed: entry(latest(all, (c) => c.summary.status !== 'completed')),
      restored: r === null ? null : { id: r.checkpointId, restore_timestamp: r.at, is_savepoint: r.savepoint, external_path: null },
    },
    history: all.slice(-HISTORY_SIZE).reverse().map((c) => checkpointEntry(m, c)),
  };
}

/** One subtask's part, as Flink's per-subtask checkpoint statistics give it. */
function subtaskEntry(c: CheckpointSummary, s: SubtaskCheckpointStats): Json {
  return {
    index: s.subtask, status: 'completed', ack_timestamp: ms(c.triggeredAt + s.startDelayMs + s.alignmentMs + s.syncMs + s.asyncMs),
    end_to_end_duration: ms(s.startDelayMs + s.alignmentMs + s.syncMs + s.asyncMs), state_size: s.fullStateBytes, checkpointed_size: s.checkpointedBytes,
    checkpoint: { sync: ms(s.syncMs), async: ms(s.asyncMs) },
    alignment: { buffered: 0, processed: s.processedBytes ?? 0, persisted: s.persistedBytes ?? 0, duration: ms(s.alignmentMs), records: s.alignedRecords },
    start_delay: ms(s.startDelayMs), unaligned_checkpoint: s.unaligned === true, aborted: false,
  };
}

/** One vertex's part in checkpoint `c`, with each subtask that acknowledged it. */
function taskEntry(c: CheckpointSummary, v: MonitoredVertex): Json {
  const subs = c.subtasks.filter((s) => s.chain === v.id).sort((a, b) => a.subtask - b.subtask);
  const sum = (f: (s: SubtaskCheckpointStats) => number) => subs.reduce((n, s) => n + f(s), 0);
  const latestAck = Math.max(c.triggeredAt, ...subs.map((s) => c.triggeredAt + s.startDelayMs + s.alignmentMs + s.syncMs + s.asyncMs));
  return {
    id: String(v.id), name: v.name, status: subs.length === v.parallelism ? flinkStatus(c.status) : 'FAILED',
    latest_ack_timestamp: ms(latestAck), checkpointed_size: sum((s) => s.checkpointedBytes), state_size: sum((s) => s.fullStateBytes),
    end_to_end_duration: ms(latestAck - c.triggeredAt), alignment_buffered: 0, processed_data: sum((s) => s.processedBytes ?? 0), persisted_data: sum((s) => s.persistedBytes ?? 0),
    num_subtasks: v.parallelism, num_acknowledged_subtasks: subs.length,
    summary: {
      state_size: stat(subs.map((s) => s.fullStateBytes)), checkpointed_size: stat(subs.map((s) => s.checkpointedBytes)),
      checkpoint_duration: { sync: stat(subs.map((s) => ms(s.syncMs))), async: stat(subs.map((s) => ms(s.asyncMs))) },
      alignment: { duration: stat(subs.map((s) => ms(s.alignmentMs))) }, start_delay: stat(subs.map((s) => ms(s.startDelayMs))),
    },
    subtasks: subs.map((s) => subtaskEntry(c, s)),
  };
}

/** `GET /jobs/:jid/checkpoints/details/:cid`, with every task and its subtasks; null for an unknown id. */
export function checkpointDetails(m: JobMonitor, id: number): Json | null {
  const c = m.checkpoints.find((x) => x.summary.id === id);
  if (c === undefined) return null;
  const tasks = Object.fromEntries(m.vertices.map((v) => [String(v.id), taskEntry(c.summary, v)]));
  return checkpointEntry(m, c, tasks);
}

/** `GET /jobs/:jid/checkpoints/details/:cid/subtasks/:vid`; null for an unknown checkpoint or vertex. */
export function checkpointSubtasks(m: JobMonitor, id: number, vertex: string): Json | null {
  const c = m.checkpoints.find((x) => x.summary.id === id);
  const v = m.vertices.find((x) => String(x.id) === vertex);
  return c === undefined || v === undefined ? null : taskEntry(c.summary, v);
}

/** `GET /jobs/:jid/checkpoints/config`; null when checkpointing is off (Flink answers 404 then too). */
export function checkpointConfig(m: JobMonitor): Json | null {
  const c = m.checkpointing;
  if (c === undefined) return null;
  return {
    mode: c.guarantee === 'exactly-once' ? 'exactly_once' : 'at_least_once', interval: c.intervalMs, timeout: c.timeoutMs, min_pause: c.minPauseMs,
    max_concurrent: c.maxConcurrent, externalization: { enabled: true, delete_on_cancellation: false },
    state_backend: c.backend === 'lmdb' ? 'LmdbStateBackend' : 'HashMapStateBackend', checkpoint_storage: 'FileSystemCheckpointStorage',
    unaligned_checkpoints: false, tolerable_failed_checkpoints: c.tolerableFailures, aligned_checkpoint_timeout: 0,
    checkpoints_after_tasks_finish: true, state_changelog_enabled: false,
    incremental: c.mode === 'incremental', retained: c.retained, directory: c.jobDir,
  };
}
