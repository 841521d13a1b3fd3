/**
 * Timers of keyed process functions, checked against a plain computation over the same records
 * with seeded disorder: at parallelism 1, 2 and 3, on both backends, with full and incremental
 * checkpoints and failures injected (the exactly-once file sink then holds each bucket once),
 * and across a savepoint taken at one parallelism and resumed at another.
 */
import t from 'tap';
import { committedJsonLines, tempDir } from '../../support/files.js';
import { join } from 'node:path';
import { execute, type ExecuteOptions } from '../../../runtime/execute.js';
import { defineJob } from '../../../runtime/api/job.js';
import { JobControl } from '../../../runtime/job/job-control.js';
import type { BackendKind, CheckpointMode } from '../../../base/kinds.js';
import job, { bucketLines, expectedBuckets, OPERATORS, type BucketRow, type EventTimeParams } from '../../fixtures/jobs/event-time.js';

const PARAMS: EventTimeParams = { records: 3000, keys: 30, bucketMs: 20_000, disorderMs: 6000 };
const EXPECTED = expectedBuckets(PARAMS);


/** Every row the file sink committed in `dir`. */
const committed = (dir: string) => committedJsonLines<BucketRow>(dir);

t.test('a timer set per bucket emits exactly the buckets of a plain computation', async (t) => {
  t.ok(EXPECTED.length > 100, `${EXPECTED.length} buckets expected`);
  for (const parallelism of [1, 2, 3]) {
    const { results } = await execute(job, { local: true, parallelism, params: { ...PARAMS } });
    t.same(bucketLines(results[OPERATORS.sink] as BucketRow[]), EXPECTED, `p=${parallelism}`);
  }
});

const combos: { backend: BackendKind; mode: CheckpointMode }[] = [
  { backend: 'heap', mode: 'full' }, { backend: 'lmdb', mode: 'full' }, { backend: 'lmdb', mode: 'incremental' },
];

for (const parallelism of [1, 2, 3]) {
  for (const { backend, mode } of combos) {
    t.test(`timers survive failures, exactly once (p=${parallelism}, ${backend} ${mode})`, async (t) => {
      const dir = await tempDir(t, 'timers');
      const out = join(dir, 'out');
      const result = await execute(job, {
        local: true, parallelism, stateBackend: backend, stateDir: join(dir, 'state'),
        params: { ...PARAMS, rate: 6000, fileOut: out },
        checkpointing: { intervalMs: 20, mode, dir: join(dir, 'ckpt') },
        restart: { strategy: 'fixed-delay', attempts: 10, delayMs: 0 },
        injectFailures: [`records=${Math.floor(1200 / parallelism)}@${OPERATORS.pass}#${parallelism - 1}`, `checkpoint=3@${OPERATORS.buckets}`, 'restore=1'],
        log: () => {},
      });
      t.equal(result.stats.failuresInjected, 3, 'every failure fired');
      t.ok(result.stats.restarts.some((r) => r.checkpointId > 0), 'a restart restored timers from a checkpoint');
      t.same(bucketLines(await committed(out)), EXPECTED, 'the file sink committed each bucket once');
      t.same(bucketLines(result.results[OPERATORS.sink] as BucketRow[]), EXPECTED, 'and so did the collect sink');
    });
  }
}

for (const [from, to] of [[2, 3], [3, 1]]) {
  t.test(`timers move with their keys when a savepoint resumes at another parallelism (${from} → ${to})`, async (t) => {
    const dir = await tempDir(t, 'timers');
    const out = join(dir, 'out');
    const base = (parallelism: number): ExecuteOptions => ({
      local: true, parallelism, stateBackend: 'lmdb', stateDir: join(dir, 'state'), params: { ...PARAMS, rate: 6000, fileOut: out },
      checkpointing: { intervalMs: 50, mode: 'incremental', dir: join(dir, 'ckpt') }, log: () => {},
    });
    const control = new JobControl();
    const first = execute(job, { ...base(from), control });
    // Stopped part way: some buckets are done, others wait in state for their timers.
    await new Promise((r) => setTimeout(r, 250));
    const savepoint = await control.stopWithSavepoint(join(dir, 'sp'));
    const before = await first;
    t.ok(before.stats.stoppedWithSavepoint, 'stopped with a savepoint');
    const after = await execute(job, { ...base(to), fromCheckpoint: savepoint });
    t.same(bucketLines(await committed(out)), EXPECTED, 'both runs together committed each bucket once');
    t.same(bucketLines([...(before.results[OPERATORS.sink] ?? []), ...(after.results[OPERATORS.sink] ?? [])] as BucketRow[]), EXPECTED, 'and collected it once');
  });
}

t.test('processing-time timers fire on the clock, with their key current', async (t) => {
  const seen: string[] = [];
  const { results } = await execute(defineJob((env) => {
    env.fromGenerator({ records: 200, keys: 2, ratePerSec: 2000 })
      .keyBy((r) => r.customer_id)
      .process<string>({
        processElement(r, ctx) {
          const n = ctx.valueState<number>('n');
          n.update((n.value() ?? 0) + 1);
          if (n.value() === 1) ctx.timers.registerProcessingTime(ctx.timers.currentProcessingTime() + 20);
        },
        onTimer(_time, ctx) {
          seen.push(ctx.timeDomain);
          return `${ctx.key} fired with ${ctx.valueState<number>('n').value()! > 0 ? 'its own' : 'no'} state`;
        },
      }, 'Later')
      .collect('late');
  }), { local: true });
  t.same([...(results.late as string[])].sort(), ['C0 fired with its own state', 'C1 fired with its own state']);
  t.same(seen, ['processing', 'processing']);
});

t.test('setting a timer without an onTimer, or processing with neither function nor object, is refused', async (t) => {
  const noTimer = defineJob((env) => {
    env.fromCollection([1]).keyBy((x) => x).process((x, ctx) => ctx.timers.registerEventTime(5), 'Timers').collect();
  });
  await t.rejects(execute(noTimer, { local: true }), /operator "Timers" subtask 1\/1: .*timers need an onTimer to fire/);
  const neither = defineJob((env) => {
    env.fromCollection([1]).keyBy((x) => x).process({} as never, 'Nothing').collect();
  });
  await t.rejects(execute(neither, { local: true }), /option operator "Nothing": expects a function \(record, ctx\) or an object/);
});
