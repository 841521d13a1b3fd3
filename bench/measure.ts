import type { JobStats } from '../runtime/job/stats.js';
/** Small measuring helpers shared by the benchmarks. */

/** Samples the process's resident set size (all threads) until stopped; returns the peak in MiB. */
export function sampleRss(intervalMs = 20): () => number {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    const rss = process.memoryUsage.rss();
    if (rss > peak) peak = rss;
  }, intervalMs);
  return () => {
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage.rss());
    return Math.round((peak / (1024 * 1024)) * 10) / 10;
  };
}

/** The value at quantile q (0..1) of sorted numbers. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

/** Mean of numbers; 0 for none. */
export function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Median of numbers (any order). */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Milliseconds from the first actor starting to process to the last actor finishing. */
export function processingMs(stats: JobStats): number {
  const start = Math.min(...stats.actors.map((a) => a.startedAt));
  const end = Math.max(...stats.actors.map((a) => a.endedAt));
  return end - start;
}

/** p50 and p99 in ms of the latency markers the job's sinks measured (NaN when none reached a sink). */
export function latencyOf(stats: JobStats): { p50: number; p99: number } {
  const l = stats.latency;
  return l === undefined ? { p50: NaN, p99: NaN } : { p50: round(l.p50), p99: round(l.p99) };
}

/** Rounds to a number of decimals. */
export function round(v: number, decimals = 2): number {
  const f = 10 ** decimals;
  return Math.round(v * f) / f;
}
