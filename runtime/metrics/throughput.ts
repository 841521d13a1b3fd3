/**
 * Throughput over time, from the actors' reports: the records the sources emitted and the
 * sinks received in each metrics interval of the run, so a checkpoint's or a restart's effect
 * on the rate shows beside its effect on latency.
 */
import type { ActorMetricsReport } from '../transport/protocol.js';

/** Records per second in one interval; `at` is its start, in ms since the job started. */
export interface ThroughputPoint {
  at: number;
  sourceRecordsPerSec: number;
  sinkRecordsPerSec: number;
}

interface Last {
  elapsedMs: number;
  count: number;
}

/** Sums the sources' and sinks' counts per interval. */
export class ThroughputSeries {
  private readonly last = new Map<string, Last>();
  private readonly source = new Map<number, number>();
  private readonly sink = new Map<number, number>();

  /** `startedAt` is the wall-clock ms interval 0 starts at. */
  constructor(readonly intervalMs: number, private readonly startedAt: number) {}

  /** A report of actor `key`: a source's records in are those its reader emitted, a sink's those it received (an actor can be both). */
  add(key: string, role: { source: boolean; sink: boolean }, report: ActorMetricsReport): void {
    if (!role.source && !role.sink) return;
    const count = report.recordsIn;
    const before = this.last.get(key);
    // Counters start over with each attempt: a report that went back in time is the first of a new actor.
    const delta = before !== undefined && before.elapsedMs <= report.elapsedMs ? count - before.count : count;
    this.last.set(key, { elapsedMs: report.elapsedMs, count });
    const k = Math.max(0, Math.floor((report.at - this.startedAt) / this.intervalMs));
    if (role.source) this.source.set(k, (this.source.get(k) ?? 0) + delta);
    if (role.sink) this.sink.set(k, (this.sink.get(k) ?? 0) + delta);
  }

  /** The intervals so far, in time order. */
  points(): ThroughputPoint[] {
    const keys = [...new Set([...this.source.keys(), ...this.sink.keys()])].sort((a, b) => a - b);
    const perSec = (n: number) => Math.round((n / this.intervalMs) * 1000);
    return keys.map((k) => ({ at: k * this.intervalMs, sourceRecordsPerSec: perSec(this.source.get(k) ?? 0), sinkRecordsPerSec: perSec(this.sink.get(k) ?? 0) }));
  }
}
