/**
 * `GET /metrics`: a running job's figures in Prometheus' text format, under Flink's metric
 * names with a `snapflow_` prefix. Job metrics are labelled with the job's id and name; task
 * metrics also with the operator chain and the subtask index, as Flink labels them. Every value
 * is read from the monitor when the endpoint is scraped.
 */
import { Gauge, Registry } from 'prom-client';
import type { JobMonitor } from '../runtime/job/monitor.js';
import type { TaskMetricsRow } from '../runtime/metrics/task-metrics.js';

const JOB_LABELS = ['job_id', 'job_name'] as const;
const TASK_LABELS = ['job_id', 'job_name', 'task_name', 'subtask_index'] as const;

/** A registry whose gauges read `monitor` at every scrape. */
export function metricsRegistry(monitor: JobMonitor): Registry {
  const registry = new Registry();
  const job = () => ({ job_id: monitor.jobId, job_name: monitor.jobName });
  const jobGauge = (name: string, help: string, value: () => number) => new Gauge({
    name: `snapflow_job_${name}`, help, labelNames: JOB_LABELS, registers: [registry],
    collect() {
      this.reset();
      this.set(job(), value());
    },
  });
  const completed = () => monitor.checkpoints.filter((c) => c.summary.status === 'completed' && c.savepointDir === undefined);
  const last = () => completed().at(-1)?.summary;
  jobGauge('lastCheckpointDuration', 'End-to-end duration of the last completed checkpoint, in ms', () => Math.round(last()?.endToEndMs ?? -1));
  jobGauge('lastCheckpointSize', 'Bytes the last completed checkpoint wrote', () => last()?.checkpointedBytes ?? -1);
  jobGauge('lastCheckpointFullSize', 'Bytes of the full state the last completed checkpoint represents', () => last()?.fullStateBytes ?? -1);
  jobGauge('numberOfCompletedCheckpoints', 'Checkpoints completed', () => completed().length);
  jobGauge('numberOfFailedCheckpoints', 'Checkpoints failed or aborted', () => monitor.checkpoints.filter((c) => c.summary.status !== 'completed').length);
  jobGauge('numberOfInProgressCheckpoints', 'Checkpoints triggered and not yet ended', () => monitor.inProgressCheckpoints);
  jobGauge('numRestarts', 'Restarts of the job since it started', () => monitor.numRestarts);
  jobGauge('uptime', 'Milliseconds the job has run', () => monitor.durationMs);
  new Gauge({
    name: 'snapflow_job_latency', help: 'End-to-end latency of latency markers from sources to sinks over the run, in ms', labelNames: [...JOB_LABELS, 'quantile'], registers: [registry],
    collect() {
      this.reset();
      const l = monitor.latency.summary();
      if (l.count === 0) return;
      for (const [q, v] of [['0.5', l.p50], ['0.9', l.p90], ['0.99', l.p99], ['0.999', l.p999], ['1', l.max]] as const) this.set({ ...job(), quantile: q }, v);
    },
  });
  const taskGauge = (name: string, help: string, value: (r: TaskMetricsRow) => number | undefined) => new Gauge({
    name: `snapflow_task_${name}`, help, labelNames: TASK_LABELS, registers: [registry],
    collect() {
      this.reset();
      for (const r of monitor.tasks.rows()) {
        const v = value(r);
        if (v !== undefined) this.set({ ...job(), task_name: r.operator, subtask_index: r.subtask }, v);
      }
    },
  });
  taskGauge('numRecordsIn', 'Records the subtask received (a source: emitted)', (r) => r.recordsIn);
  taskGauge('numRecordsOut', 'Records the subtask sent on', (r) => r.recordsOut);
  taskGauge('numRecordsInPerSecond', 'Records in per second over the last metrics interval', (r) => r.numRecordsInPerSecond);
  taskGauge('numRecordsOutPerSecond', 'Records out per second over the last metrics interval', (r) => r.numRecordsOutPerSecond);
  taskGauge('busyTimeMsPerSecond', 'Milliseconds per second spent handling input or polling a source', (r) => r.busyTimeMsPerSecond);
  taskGauge('idleTimeMsPerSecond', 'Milliseconds per second spent waiting for input', (r) => r.idleTimeMsPerSecond);
  taskGauge('backPressuredTimeMsPerSecond', 'Milliseconds per second spent waiting for downstream credit', (r) => r.backPressuredTimeMsPerSecond);
  taskGauge('checkpointAlignmentTime', 'Alignment time of the subtask\'s last checkpoint, in ms', (r) => r.checkpointAlignmentTime);
  taskGauge('currentInputWatermark', 'The subtask\'s input watermark, in event-time ms', (r) => r.watermark);
  return registry;
}
