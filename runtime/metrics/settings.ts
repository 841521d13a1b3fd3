/** How often actors report their figures and sources send latency markers. */
import { checkNumber } from '../../base/validate.js';

/** Metrics settings shared by every actor of a job. */
export interface MetricsSettings {
  /** Milliseconds between two metrics reports of an actor (0: only the last one, as it finishes). */
  intervalMs: number;
  /** Milliseconds between two latency markers of a source subtask (0: none). */
  latencyIntervalMs: number;
}

/** Reports every second; a marker every 200 ms costs a few small messages and shows latency in every job. */
export const DEFAULT_METRICS_SETTINGS: MetricsSettings = { intervalMs: 1000, latencyIntervalMs: 200 };

/** Validates metrics settings, naming the offending option. */
export function resolveMetricsSettings(partial: Partial<MetricsSettings> = {}): MetricsSettings {
  const s: MetricsSettings = { ...DEFAULT_METRICS_SETTINGS };
  if (partial.intervalMs !== undefined) s.intervalMs = checkNumber('metricsIntervalMs', partial.intervalMs, { min: 0 });
  if (partial.latencyIntervalMs !== undefined) s.latencyIntervalMs = checkNumber('latencyIntervalMs', partial.latencyIntervalMs, { min: 0 });
  return s;
}
