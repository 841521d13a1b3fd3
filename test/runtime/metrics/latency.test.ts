/** HDR latency histograms: recorded on sink subtasks, merged across them, over the run and per interval. */
import t from 'tap';
import { LatencyRecorder, LatencyTracker } from '../../../runtime/metrics/latency.js';

/** A plain percentile of sorted values (nearest rank), for comparison. */
function nearestRank(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

t.test('histograms of several subtasks merge into the figures of all their values', async (t) => {
  const recorders = [new LatencyRecorder(), new LatencyRecorder(), new LatencyRecorder()];
  const values: number[] = [];
  for (let i = 0; i < 30_000; i++) {
    // Three subtasks with different latencies: 1–10 ms, 10–100 ms and a slow tail.
    const r = i % 3;
    const v = r === 0 ? 1 + (i % 9) : r === 1 ? 10 + (i % 90) : 100 + (i % 4000);
    recorders[r].record(v);
    values.push(v);
  }
  const tracker = new LatencyTracker(1000, 0);
  for (const r of recorders) tracker.add(500, r.take()!);
  const s = tracker.summary();
  values.sort((a, b) => a - b);
  t.equal(s.count, values.length, 'every value counted once');
  for (const [p, key] of [[50, 'p50'], [90, 'p90'], [99, 'p99'], [99.9, 'p999']] as const) {
    const exact = nearestRank(values, p);
    t.ok(Math.abs(s[key] - exact) <= exact * 0.001 + 0.001, `${key}: ${s[key]} within 0.1% of ${exact}`);
  }
  t.ok(Math.abs(s.max - 4099) <= 4099 * 0.001, `max ${s.max}`);
  t.equal(recorders[0].take(), undefined, 'a recorder hands over nothing twice');
});

t.test('reports fall into the interval of their time; an interval two behind the newest is closed with its figures', async (t) => {
  const tracker = new LatencyTracker(1000, 10_000);
  const send = (at: number, ...ms: number[]) => {
    const r = new LatencyRecorder();
    for (const v of ms) r.record(v);
    tracker.add(at, r.take()!);
  };
  send(10_100, 5, 5);
  send(10_900, 7);
  send(11_500, 50);
  send(13_200, 2);
  send(10_950, 9);
  const s = tracker.summary();
  t.equal(s.intervalMs, 1000);
  t.same(s.intervals.map((i) => [i.at, i.count]), [[0, 3], [0, 1], [1000, 1], [3000, 1]], 'a report for a closed interval starts it anew; intervals are in time order');
  const near = (v: number, exact: number) => Math.abs(v - exact) <= exact * 0.001;
  t.ok(near(s.intervals[2].max, 50), `the interval's max ${s.intervals[2].max} is 50 within the histogram's 0.1%`);
  t.equal(s.count, 6, 'the whole run counts every report');
  t.ok(near(s.max, 50), `the run's max ${s.max}`);
});

t.test('values out of range are clamped, never rejected', async (t) => {
  const r = new LatencyRecorder();
  r.record(-3);
  r.record(0);
  r.record(10 * 3600 * 1000);
  const tracker = new LatencyTracker(1000, 0);
  tracker.add(0, r.take()!);
  const s = tracker.summary();
  t.equal(s.count, 3);
  t.ok(s.p50 <= 0.001, 'a negative or zero latency counts as the smallest value');
  t.ok(s.max >= 3_590_000, 'the top of the range holds what is above it');
});
