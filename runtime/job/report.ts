/** The lines printed after a run: each actor's records and time, latency, restarts with their causes, restore times, a savepoint stop. */
import { textTable } from '../../base/text-table.js';
import { formatBytes } from '../storage/listing.js';
import type { JobStats } from './stats.js';

/** Recovery figures of a run as text (empty when the job neither failed nor resumed). */
export function formatRecovery(s: JobStats): string {
  const lines: string[] = [];
  if (s.failuresInjected > 0) lines.push(`failures injected: ${s.failuresInjected}`);
  for (const r of s.restarts) {
    const from = r.checkpointId > 0 ? `checkpoint ${r.checkpointId}` : 'the beginning (no checkpoint had completed)';
    lines.push(`restart ${r.attempt} after ${r.delayMs} ms from ${from}; cause: ${r.cause}`);
  }
  for (const r of s.restores) {
    if (r.checkpointId === 0) continue;
    const bytes = r.subtasks.reduce((n, x) => n + x.bytes, 0);
    const slowest = r.subtasks.reduce((a, b) => (b.ms > (a?.ms ?? -1) ? b : a), r.subtasks[0]);
    const who = slowest ? `, slowest ${slowest.actor}` : '';
    lines.push(`restore ${r.attempt === 0 ? 'at start' : `after restart ${r.attempt}`}: checkpoint ${r.checkpointId}, ${formatBytes(bytes)} in ${r.maxMs.toFixed(1)} ms${who}`);
  }
  if (s.stoppedWithSavepoint) lines.push(`stopped with savepoint ${s.stoppedWithSavepoint}`);
  return lines.map((l) => `snapflow: ${l}\n`).join('');
}

/**
 * One line per actor: records in and out, and how its time went in milliseconds per second of
 * its run (Flink's busyTimeMsPerSecond, idleTimeMsPerSecond, backPressuredTimeMsPerSecond).
 */
export function formatActors(s: JobStats): string {
  const f = (v: number) => Math.round(v).toString();
  const rows = s.actors.map((a) => {
    const t = a.timeMsPerSecond;
    return [`${a.operator} #${a.subtask}`, String(a.recordsIn), String(a.recordsOut), f(t.busy), f(t.idle), f(t.backPressured)];
  });
  return textTable(['actor', 'records in', 'records out', 'busy', 'idle', 'backpressured (ms per s)'], rows, { indent: '  ' }).join('\n') + '\n';
}

/** End-to-end latency of the markers that reached a sink, over the run (empty when none did). */
export function formatLatency(s: JobStats): string {
  const l = s.latency;
  if (l === undefined) return '';
  return `snapflow: latency over ${l.count} markers: p50 ${l.p50} ms, p99 ${l.p99} ms, p99.9 ${l.p999} ms, max ${l.max} ms\n`;
}
