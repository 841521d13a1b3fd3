/**
 * End-to-end latency in HDR histograms: a sink subtask records each latency marker it
 * receives and ships what it recorded in each metrics report as an encoded histogram; the
 * main thread merges them across subtasks, over the whole run and per interval, so that a
 * checkpoint's effect on p99 and p99.9 shows over time. Values are kept in microseconds with
 * three significant digits, up to an hour.
 */
import hdr from 'hdr-histogram-js';

type Histogram = ReturnType<typeof hdr.build>;

const HIGHEST_US = 3_600_000_000;

function newHistogram(): Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3, autoResize: true });
}

/** Latency figures in milliseconds over `count` markers. */
export interface LatencyFigures {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** The figures of one interval; `at` is its start, in ms since the job started. */
export interface IntervalLatency extends LatencyFigures {
  at: number;
}

/** Latency over the whole run, and interval by interval. */
export interface LatencySummary extends LatencyFigures {
  intervalMs: number;
  intervals: IntervalLatency[];
}

const ms = (us: number) => Math.round(us) / 1000;

/** The figures of a histogram (all zero when it is empty). */
function figuresOf(h: Histogram): LatencyFigures {
  const at = (p: number) => (h.totalCount === 0 ? 0 : ms(h.getValueAtPercentile(p)));
  return { count: h.totalCount, p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), max: h.totalCount === 0 ? 0 : ms(h.maxValue) };
}

/** Records latencies on a sink subtask, handing over what it recorded since the last handover. */
export class LatencyRecorder {
  private h: Histogram | null = null;

  /** A marker took `latencyMs` (clamped to the histogram's range: clocks of two threads may disagree by a hair). */
  record(latencyMs: number): void {
    const us = Math.min(HIGHEST_US, Math.max(1, Math.round(latencyMs * 1000)));
    (this.h ??= newHistogram()).recordValue(us);
  }

  /** What was recorded since the last call, encoded; undefined when nothing was. */
  take(): string | undefined {
    if (this.h === null || this.h.totalCount === 0) return undefined;
    const encoded = hdr.encodeIntoCompressedBase64(this.h);
    this.h.reset();
    return encoded;
  }
}

/** Merges the recorders' handovers of every sink subtask, over the whole run and per interval. */
export class LatencyTracker {
  private readonly total = newHistogram();
  /** Intervals that may still receive reports: the newest two. */
  private readonly open = new Map<number, Histogram>();
  private readonly closed: IntervalLatency[] = [];

  /** `startedAt` is the wall-clock ms interval 0 starts at. */
  constructor(readonly intervalMs: number, private readonly startedAt: number) {}

  /** A subtask's histogram, reported at wall-clock `at`. */
  add(at: number, encoded: string): void {
    const h = hdr.decodeFromCompressedBase64(encoded);
    this.total.add(h);
    const k = Math.max(0, Math.floor((at - this.startedAt) / this.intervalMs));
    let bucket = this.open.get(k);
    if (bucket === undefined) this.open.set(k, (bucket = newHistogram()));
    bucket.add(h);
    h.destroy();
    // Subtasks report once per interval: an interval two behind the newest gets nothing more, and only its figures are kept.
    for (const [j, b] of this.open) {
      if (j >= k - 1) continue;
      this.closed.push({ at: j * this.intervalMs, ...figuresOf(b) });
      b.destroy();
      this.open.delete(j);
    }
  }

  /** Markers measured so far. */
  get count(): number {
    return this.total.totalCount;
  }

  /** The figures so far: the whole run and each interval that had markers, in time order. */
  summary(): LatencySummary {
    const open = [...this.open].map(([j, b]) => ({ at: j * this.intervalMs, ...figuresOf(b) }));
    const intervals = [...this.closed, ...open].sort((a, b) => a.at - b.at);
    return { ...figuresOf(this.total), intervalMs: this.intervalMs, intervals };
  }
}
