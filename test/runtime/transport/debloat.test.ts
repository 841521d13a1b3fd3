/** Buffer debloating: the receiver's arithmetic, its sampling on a manual clock, and senders' batches following it. */
import t from 'tap';
import { ManualClock } from '../../../base/clock.js';
import { BufferDebloater } from '../../../runtime/transport/debloat.js';
import { Debloating } from '../../../runtime/actor/debloating.js';
import { OutputRouter } from '../../../runtime/transport/output.js';
import type { InputChannel } from '../../../runtime/transport/channel.js';
import { FakeChannel } from '../../support/fake-channel.js';
import { execute } from '../../../runtime/execute.js';

t.test('the batch size keeps the target\'s worth of processing in the channels\' credit windows', async (t) => {
  const d = new BufferDebloater({ targetMs: 1000, channels: 2, credits: 4, maxBatch: 1024, minBatch: 16 });
  t.equal(d.batchSize, 1024, 'full batches until measured');
  // 2000 records/s for a second's target over 2 channels × 4 credits: 250 records a batch.
  t.equal(d.sample(400, 200), 250);
  t.equal(d.recordsPerSec, 2000);
  t.equal(d.sample(420, 200), null, 'a move of a tenth or less is not announced');
  // Smoothed: a fast sample moves the estimate by 30% of the way, (2030 + 0.3 × (20000 − 2030)) / 8 records a batch.
  t.equal(d.batchSize, 250);
  const next = d.sample(4000, 200);
  t.equal(next, Math.round((2030 + 0.3 * (20000 - 2030)) / 8));
  t.ok(next !== null && next > 250 && next < 1024);
  t.equal(d.sample(1e7, 200), 1024, 'never above the configured batch size');
  t.equal(d.sample(0, 200), null, 'one idle sample moves the estimate, not yet past a tenth at once');
  const slow = new BufferDebloater({ targetMs: 100, channels: 4, credits: 4, maxBatch: 1024, minBatch: 16 });
  t.equal(slow.sample(10, 1000), 16, 'never below the smallest batch worth sending');
  t.equal(slow.sample(10, 0), null, 'a period without time tells nothing');
});

t.test('an actor samples every 200 ms of its clock and asks every sender for the new size', async (t) => {
  const clock = new ManualClock();
  const asked: number[][] = [[], []];
  const inputs = asked.map((list) => ({ announceBatchSize: (n: number) => list.push(n) }) as unknown as InputChannel);
  let recordsIn = 0;
  const d = new Debloating({ clock, inputs, targetMs: 1000, credits: 4, batchSize: 1024, recordsIn: () => recordsIn });
  d.start();
  recordsIn = 400;
  clock.advance(199);
  t.same(asked, [[], []], 'nothing before the first period ends');
  clock.advance(1);
  t.same(asked, [[250], [250]], '2000 records/s over 2 channels × 4 credits');
  recordsIn += 410;
  clock.advance(200);
  t.same(asked, [[250], [250]], 'a small change is not announced');
  d.stop();
  recordsIn += 100_000;
  clock.advance(1000);
  t.same(asked, [[250], [250]], 'stopped: no more samples');
});

t.test('a sender cuts its batches at the size the receiver asks for, at once for a batch already past it', async (t) => {
  const ch = new FakeChannel(10);
  const router = new OutputRouter([{ partitioner: () => 0, channels: [ch] }], 8, 5, new ManualClock());
  for (let i = 0; i < 5; i++) router.collect(i);
  t.same(ch.summary(), [], 'below the configured size: held');
  ch.askBatchSize(3);
  t.same(ch.summary(), [[0, 1, 2, 3, 4]], 'the partial batch is past the new size: it goes');
  for (let i = 5; i < 12; i++) router.collect(i);
  t.same(ch.summary().slice(1), [[5, 6, 7], [8, 9, 10]], 'then batches of 3');
  ch.askBatchSize(100);
  for (let i = 12; i < 30; i++) router.collect(i);
  t.same(ch.summary().slice(3).map((b) => (b as number[]).length), [8, 8], 'never above the configured batch size');
});

for (const parallelism of [1, 2, 3]) {
  t.test(`p=${parallelism}: a job with debloated batches gives what it gives without`, async (t) => {
    const JOB = new URL('../../fixtures/jobs/counts.js', import.meta.url);
    const params = { records: 30_000, keys: 50 };
    // Per customer: how many running counts came, whether they were 1..n each once, and the final sum (the order of a key's
    // records across source subtasks may differ between runs, so the intermediate sums may too).
    const summary = (rows: { customer_id: string; count: number; cents: number }[]) => {
      const by = new Map<string, { counts: number[]; cents: number }>();
      for (const r of rows) {
        const e = by.get(r.customer_id) ?? { counts: [], cents: 0 };
        e.counts.push(r.count);
        if (r.count >= e.counts.length) e.cents = r.cents;
        by.set(r.customer_id, e);
      }
      return [...by].sort(([a], [b]) => a.localeCompare(b)).map(([k, e]) => {
        const sorted = e.counts.sort((a, b) => a - b);
        return [k, sorted.length, sorted.every((c, i) => c === i + 1), e.cents];
      });
    };
    const plain = await execute(JOB, { parallelism, params, chaining: false, threads: 2 });
    // A target this small asks for the smallest batches as soon as the first sample is in.
    const debloated = await execute(JOB, { parallelism, params, chaining: false, threads: 2, channels: { debloatTargetMs: 1 } });
    t.equal(debloated.results.counts.length, params.records, 'a running count per record');
    t.same(summary(debloated.results.counts as never), summary(plain.results.counts as never), 'per customer: every count once, the same final sum');
  });
}
