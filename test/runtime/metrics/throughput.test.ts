/** Throughput over time: the sources' and sinks' counts per interval, across a restart. */
import t from 'tap';
import { ThroughputSeries } from '../../../runtime/metrics/throughput.js';
import type { ActorMetricsReport } from '../../../runtime/transport/protocol.js';

const report = (at: number, elapsedMs: number, recordsIn: number): ActorMetricsReport => ({
  at, elapsedMs, recordsIn, recordsOut: 0, busyMs: 0, backPressuredMs: 0, checkpointAlignmentMs: 0,
});

t.test('each interval holds what the sources emitted and the sinks received in it, as a rate', async (t) => {
  const s = new ThroughputSeries(1000, 10_000);
  const source = { source: true, sink: false };
  const sink = { source: false, sink: true };
  s.add('0/0', source, report(10_500, 500, 1000));
  s.add('0/1', source, report(10_600, 600, 3000));
  s.add('1/0', sink, report(10_700, 700, 2500));
  s.add('0/0', source, report(11_500, 1500, 1500));
  s.add('1/0', { source: false, sink: false }, report(11_600, 1600, 9999));
  // A restart: the new actor's counters start over.
  s.add('0/0', source, report(12_400, 200, 400));
  s.add('1/0', sink, report(12_500, 300, 100));
  t.same(s.points(), [
    { at: 0, sourceRecordsPerSec: 4000, sinkRecordsPerSec: 2500 },
    { at: 1000, sourceRecordsPerSec: 500, sinkRecordsPerSec: 0 },
    { at: 2000, sourceRecordsPerSec: 400, sinkRecordsPerSec: 100 },
  ]);
});

t.test('an actor that is source and sink counts for both', async (t) => {
  const s = new ThroughputSeries(500, 0);
  s.add('0/0', { source: true, sink: true }, report(100, 100, 50));
  t.same(s.points(), [{ at: 0, sourceRecordsPerSec: 100, sinkRecordsPerSec: 100 }]);
});
