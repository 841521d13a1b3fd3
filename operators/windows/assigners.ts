/**
 * Window assigners, as Flink's event-time ones: which windows a record of event time `t` falls
 * into. Tumbling windows tile time into equal, disjoint spans; sliding windows of `size` start
 * every `slide`, so a record is in size/slide of them; a session window starts at a record and
 * lasts a gap, and the sessions of one key that touch are merged into one.
 */
import { ConfigError } from '../../base/errors.js';

/** A span of event time: from `start` (inclusive) to `end` (exclusive). */
export interface TimeWindow {
  start: number;
  end: number;
}

/** How records are put into windows. */
export type WindowAssigner =
  | { kind: 'tumbling'; sizeMs: number; offsetMs: number }
  | { kind: 'sliding'; sizeMs: number; slideMs: number; offsetMs: number }
  | { kind: 'session'; gapMs: number };

function positive(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(option, `a window needs a positive number of milliseconds, got ${String(value)}`);
  }
  return value;
}

/** Windows of `sizeMs` that tile event time, starting at multiples of the size (plus `offsetMs`). */
export function tumbling(sizeMs: number, offsetMs = 0): WindowAssigner {
  return { kind: 'tumbling', sizeMs: positive('sizeMs', sizeMs), offsetMs: checkOffset(offsetMs, sizeMs) };
}

/** Windows of `sizeMs` that start every `slideMs`: each record is in sizeMs / slideMs of them. */
export function sliding(sizeMs: number, slideMs: number, offsetMs = 0): WindowAssigner {
  positive('sizeMs', sizeMs);
  positive('slideMs', slideMs);
  if (slideMs > sizeMs) throw new ConfigError('slideMs', `must not exceed the window size ${sizeMs}, got ${slideMs} (records between windows would be lost)`);
  return { kind: 'sliding', sizeMs, slideMs, offsetMs: checkOffset(offsetMs, slideMs) };
}

/** A window per burst of a key's records: it closes once `gapMs` pass without one. */
export function session(gapMs: number): WindowAssigner {
  return { kind: 'session', gapMs: positive('gapMs', gapMs) };
}

function checkOffset(offsetMs: unknown, period: number): number {
  if (typeof offsetMs !== 'number' || !Number.isFinite(offsetMs) || Math.abs(offsetMs) >= period) {
    throw new ConfigError('offsetMs', `must be a number of milliseconds smaller than ${period} in size, got ${String(offsetMs)}`);
  }
  return offsetMs;
}

/** The start of the period of length `period` (shifted by `offset`) that holds `time`. */
function periodStart(time: number, period: number, offset: number): number {
  return time - ((((time - offset) % period) + period) % period);
}

/** The windows a record of event time `time` belongs to, earliest start first. */
export function assignWindows(a: WindowAssigner, time: number): TimeWindow[] {
  switch (a.kind) {
    case 'tumbling': {
      const start = periodStart(time, a.sizeMs, a.offsetMs);
      return [{ start, end: start + a.sizeMs }];
    }
    case 'sliding': {
      const out: TimeWindow[] = [];
      for (let start = periodStart(time, a.slideMs, a.offsetMs); start > time - a.sizeMs; start -= a.slideMs) out.push({ start, end: start + a.sizeMs });
      return out.reverse();
    }
    case 'session':
      return [{ start: time, end: time + a.gapMs }];
  }
}

/** The last event time inside a window: its results carry it, and its timer fires when the watermark reaches it. */
export function maxTimestamp(w: TimeWindow): number {
  return w.end - 1;
}

/** Whether two windows overlap or touch, so that sessions merge (Flink's rule). */
export function touches(a: TimeWindow, b: TimeWindow): boolean {
  return a.start <= b.end && a.end >= b.start;
}
