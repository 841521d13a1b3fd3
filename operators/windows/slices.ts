/**
 * Sliding windows kept as slices, as Flink's SQL runtime keeps hopping windows: time is cut into
 * slices of gcd(size, slide), a record is added to the accumulator of its one slice, and a window
 * that fires merges the accumulators of the slices it spans. A record then costs one state update
 * instead of one per window it falls into (size/slide of them), and a checkpoint copies one value
 * per key instead of one per window. A key's slices are one value, in start order, with the end
 * of the next window to fire: each key has one timer pending, moved earlier when a record opens
 * an older slice, and set again from the oldest slice left after each window fires.
 *
 * This holds for aggregates with `merge` and without allowed lateness: a late record within the
 * lateness would fire again a window whose older slices are already purged.
 */
import type { WindowAssigner } from './assigners.js';

/** How a sliding window's time is cut. */
export interface SliceLayout {
  sliceMs: number;
  sizeMs: number;
  slideMs: number;
  offsetMs: number;
}

/** A key's slices: starts ascending, each with its accumulator, and the end of the window its one timer fires. */
export interface KeySlices {
  starts: number[];
  accs: unknown[];
  next: number;
}

/** The slices of a sliding window operator, or null when its windows must be kept one by one. */
export function sliceLayout(a: WindowAssigner, allowedLatenessMs: number, merges: boolean): SliceLayout | null {
  if (a.kind !== 'sliding' || allowedLatenessMs !== 0 || !merges) return null;
  const { sizeMs, slideMs, offsetMs } = a;
  // Slices of a common divisor need whole milliseconds; a window of one slice gains nothing.
  if (![sizeMs, slideMs, offsetMs].every(Number.isInteger) || slideMs === sizeMs) return null;
  return { sliceMs: gcd(sizeMs, slideMs), sizeMs, slideMs, offsetMs };
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** The smallest x' ≥ x with x' ≡ phase (mod period). */
function alignUp(x: number, period: number, phase: number): number {
  return x + ((((phase - x) % period) + period) % period);
}

/** The start of the slice that holds event time `time`. */
export function sliceOf(l: SliceLayout, time: number): number {
  return time - ((((time - l.offsetMs) % l.sliceMs) + l.sliceMs) % l.sliceMs);
}

/**
 * The end of the first window that spans the slice at `start` and that the watermark has not
 * passed yet, or undefined when it passed every one (a record of that slice is late).
 */
export function firstOpenEnd(l: SliceLayout, start: number, watermark: number): number | undefined {
  let end = alignUp(start + l.sliceMs, l.slideMs, l.offsetMs + l.sizeMs);
  while (end - 1 <= watermark) end += l.slideMs;
  return end - l.sizeMs <= start ? end : undefined;
}

/** Adds to the accumulator of the slice at `start` (made if the key lacks it); true when it was made. */
export function addToSlice(s: KeySlices, start: number, add: (acc: unknown) => unknown): boolean {
  let i = s.starts.length;
  // Records come mostly in time order: the slice is usually the last one.
  while (i > 0 && s.starts[i - 1] > start) i--;
  if (i > 0 && s.starts[i - 1] === start) {
    s.accs[i - 1] = add(s.accs[i - 1]);
    return false;
  }
  s.starts.splice(i, 0, start);
  s.accs.splice(i, 0, add(undefined));
  return true;
}

/**
 * The accumulators of the slices of the window ending at `end`, in start order; the slices no
 * later window spans leave `s`, and `s.next` becomes the end of the next window to fire (the
 * first after `end` that spans the oldest slice left), if any is left.
 */
export function takeWindow(l: SliceLayout, s: KeySlices, end: number): unknown[] {
  const start = end - l.sizeMs;
  const nextStart = start + l.slideMs;
  const accs: unknown[] = [];
  let keep = 0;
  for (let i = 0; i < s.starts.length; i++) {
    const at = s.starts[i];
    if (at >= start && at < end) accs.push(s.accs[i]);
    if (at < nextStart) continue;
    s.starts[keep] = at;
    s.accs[keep++] = s.accs[i];
  }
  s.starts.length = keep;
  s.accs.length = keep;
  if (keep > 0) s.next = Math.max(end + l.slideMs, alignUp(s.starts[0] + l.sliceMs, l.slideMs, l.offsetMs + l.sizeMs));
  return accs;
}
