/**
 * Event-time windows checked against a plain computation over the same records with seeded
 * disorder: every kind of window with every kind of function, at parallelism 1, 2 and 3, on both
 * backends, with full and incremental checkpoints and failures injected (the exactly-once file
 * sink then holds each window once).
 */
import t from 'tap';
import { committedJsonLines, tempDir } from '../../support/files.js';
import { join } from 'node:path';
import { execute } from '../../../runtime/execute.js';
import { defineJob } from '../../../runtime/api/job.js';
import { tumbling } from '../../../operators/windows/assigners.js';
import type { BackendKind, CheckpointMode } from '../../../base/kinds.js';
import job, { expectedWindows, OPERATORS, windowLines, type WindowLine, type WindowParams } from '../../fixtures/jobs/windows.js';

const BASE = { records: 2400, keys: 24, disorderMs: 5000 };
const KINDS: WindowParams['kind'][] = ['tumbling', 'sliding', 'session'];

const committed = (dir: string) => committedJsonLines<WindowLine>(dir);

for (const kind of KINDS) {
  t.test(`${kind} windows emit exactly the windows of a plain computation, whatever the function and parallelism`, async (t) => {
    const expected = expectedWindows({ ...BASE, kind });
    t.ok(expected.length > 50, `${expected.length} windows expected`);
    for (const fn of ['aggregate', 'reduce', 'process'] as const) {
      for (const parallelism of [1, 2, 3]) {
        const { results } = await execute(job, { local: true, parallelism, params: { ...BASE, kind, fn } });
        t.same(windowLines(results[OPERATORS.sink] as WindowLine[]), expected, `${fn}, p=${parallelism}`);
      }
    }
  });
}

const combos: { backend: BackendKind; mode: CheckpointMode }[] = [
  { backend: 'heap', mode: 'full' }, { backend: 'lmdb', mode: 'full' }, { backend: 'lmdb', mode: 'incremental' },
];

for (const kind of KINDS) {
  for (const parallelism of [1, 2, 3]) {
    t.test(`${kind} windows survive failures, each window once in the file sink (p=${parallelism})`, async (t) => {
      const expected = expectedWindows({ ...BASE, kind });
      for (const [i, { backend, mode }] of combos.entries()) {
        const dir = await tempDir(t, 'windows');
        const out = join(dir, 'out');
        const fn = (['aggregate', 'reduce', 'process'] as const)[(i + parallelism) % 3];
        const result = await execute(job, {
          local: true, parallelism, stateBackend: backend, stateDir: join(dir, 'state'),
          params: { ...BASE, kind, fn, rate: 6000, fileOut: out },
          checkpointing: { intervalMs: 20, mode, dir: join(dir, 'ckpt') },
          restart: { strategy: 'fixed-delay', attempts: 10, delayMs: 0 },
          injectFailures: [`records=${Math.floor(900 / parallelism)}@${OPERATORS.pass}#${parallelism - 1}`, `checkpoint=3@${OPERATORS.window}`, 'restore=1'],
          log: () => {},
        });
        const what = `${backend} ${mode}, ${fn}`;
        t.equal(result.stats.failuresInjected, 3, `${what}: every failure fired`);
        t.same(windowLines(await committed(out)), expected, `${what}: the file sink committed each window once`);
        t.same(windowLines(result.results[OPERATORS.sink] as WindowLine[]), expected, `${what}: and so did the collect sink`);
      }
    });
  }
}

for (const side of [true, false]) {
  t.test(`every record is in a window or late: ${side ? 'to the late side output' : 'dropped and counted'}`, async (t) => {
    const records = 3000;
    const late = defineJob((env) => {
      env.setAutoWatermarkInterval(2);
      const windowed = env.fromGenerator({ records, keys: 10, seed: 4, ratePerSec: 20_000 })
        // Every 50th record is an hour old: once a watermark has passed, it is too late for any window.
        .assignTimestampsAndWatermarks({ timestamp: (r) => r.timestamp - (r.transaction_id % 50 === 0 ? 3_600_000 : 0), maxOutOfOrdernessMs: 1000 })
        .keyBy((r) => r.customer_id)
        .window(tumbling(60_000))
        .allowedLateness(1000);
      if (side) windowed.sideOutputLateData().map((r) => r.transaction_id, 'Late ids').collect('late');
      windowed.aggregate({ createAccumulator: () => 0, add: (_r, n) => n + 1, getResult: (n) => n }, 'Counts').setParallelism(2).collect('counts');
    });
    const { results, stats } = await execute(late, { local: true, parallelism: 2 });
    const counted = (results.counts as { value: number }[]).reduce((n, w) => n + w.value, 0);
    const lateIds = (results.late ?? []) as number[];
    const dropped = stats.actors.reduce((n, a) => n + ((a.metrics.lateRecordsDropped as number | undefined) ?? 0), 0);
    t.equal(counted + lateIds.length + dropped, records, `${counted} in windows, ${side ? lateIds.length : dropped} late: none lost, none twice`);
    t.ok((side ? lateIds.length : dropped) > 0, 'some records were late');
    if (side) {
      t.ok(lateIds.every((id) => id % 50 === 0), 'only the old records were late');
      t.equal(dropped, 0, 'with a side output nothing is dropped');
    }
  });
}
