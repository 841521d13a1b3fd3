/** Busy, idle and backpressured time as shares of a second, the way Flink's task metrics give them. */
import type { ActorStats } from '../transport/protocol.js';

/**
 * Flink's busyTimeMsPerSecond, idleTimeMsPerSecond and backPressuredTimeMsPerSecond over
 * `elapsedMs`: the three add up to 1000, and the rest of a second that is neither busy nor
 * backpressured is idle.
 */
export function perSecond(elapsedMs: number, busyMs: number, backPressuredMs: number): ActorStats['timeMsPerSecond'] {
  if (elapsedMs <= 0) return { busy: 0, idle: 0, backPressured: 0 };
  const busy = Math.min(1000, Math.max(0, (busyMs / elapsedMs) * 1000));
  const backPressured = Math.min(1000 - busy, Math.max(0, (backPressuredMs / elapsedMs) * 1000));
  const round = (v: number) => Math.round(v * 10) / 10;
  return { busy: round(busy), idle: round(1000 - busy - backPressured), backPressured: round(backPressured) };
}
