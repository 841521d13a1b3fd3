import t from 'tap';
import { execute } from '../../../runtime/execute.js';
import { defineJob } from '../../../runtime/api/job.js';
import type { OperatorContext, Output, StreamOperator } from '../../../operators/api.js';
import { mulberry32 } from '../../../base/random.js';
import { ConfigError, UserFunctionError } from '../../../base/errors.js';
import { ManualClock } from '../../../base/clock.js';
import { TimestampsAndWatermarksOperator } from '../../../operators/time/watermarks.js';
import { operatorContext } from '../../support/context.js';

interface Event { id: number; t: number }
type Seen = { kind: 'record'; sub: number; id: number; t: number; ts: number; watermark: number } | { kind: 'watermark'; sub: number; time: number };

/** Events at 10 ms steps, each shifted by up to ±disorder/2 (seeded), so no event is later than `disorder` behind the highest time. */
function events(n: number, disorder: number, seed = 7): Event[] {
  const rnd = mulberry32(seed);
  return Array.from({ length: n }, (_, id) => ({ id, t: id * 10 + Math.round((rnd() - 0.5) * disorder) }));
}

/** Records, with the event time and watermark it saw, and every watermark, as rows for the collect sink. */
function probe(): StreamOperator<Event, Seen> {
  let ctx: OperatorContext;
  return {
    open: (c) => void (ctx = c),
    process: (e, out) => out.collect({ kind: 'record', sub: ctx.subtask, id: e.id, t: e.t, ts: ctx.element.timestamp, watermark: ctx.time.watermark() }),
    processWatermark(time: number, out: Output<Seen>) {
      out.collect({ kind: 'watermark', sub: ctx.subtask, time });
      out.emitWatermark(time);
    },
  };
}

for (const parallelism of [1, 2, 3]) {
  t.test(`event times travel with their records and watermarks follow them in order (p=${parallelism})`, async (t) => {
    const input = events(20_000, 40);
    const job = defineJob((env) => {
      env.setAutoWatermarkInterval(1);
      env.fromCollection(input)
        .assignTimestampsAndWatermarks({ timestamp: (e) => e.t, maxOutOfOrdernessMs: 40 })
        .rebalance()
        .transform(probe, 'Probe').setParallelism(parallelism)
        .collect('seen');
    });
    const { results } = await execute(job, { local: true });
    const seen = results.seen as Seen[];
    const records = seen.filter((s) => s.kind === 'record');
    t.equal(records.length, input.length, 'every record arrives once');
    t.ok(records.every((r) => r.ts === r.t), 'each carries its own event time across the channel');
    t.ok(records.every((r) => r.t > r.watermark), 'none is late: the watermark trails the disorder');
    for (let sub = 0; sub < parallelism; sub++) {
      const mine = seen.filter((s) => s.sub === sub);
      const marks = mine.flatMap((s) => (s.kind === 'watermark' ? [s.time] : []));
      t.ok(marks.every((m, i) => i === 0 || m > marks[i - 1]), `subtask ${sub}: watermarks only advance`);
      t.equal(marks.at(-1), Infinity, `subtask ${sub}: the input ended with the final watermark`);
      t.equal(mine.at(-1)?.kind, 'watermark', `subtask ${sub}: nothing follows it`);
    }
  });
}

t.test('a timestamp that is not a finite number fails the job naming the operator and the record', async (t) => {
  const job = defineJob((env) => {
    env.fromCollection([{ id: 1, t: 5 }, { id: 2, t: Number.NaN }])
      .assignTimestampsAndWatermarks({ timestamp: (e) => e.t, maxOutOfOrdernessMs: 0 }, 'Event time')
      .collect();
  });
  const err = await execute(job, { local: true }).then(() => null, (e: unknown) => e);
  t.type(err, UserFunctionError);
  t.match((err as Error).message, /operator "Event time" subtask 1\/1: user function failed on record \{"id":2,"t":null\}: the timestamp function returned NaN/);
  const strings = defineJob((env) => {
    env.fromCollection([{ at: '2024' }]).assignTimestampsAndWatermarks({ timestamp: (e) => e.at as unknown as number, maxOutOfOrdernessMs: 0 }).collect();
  });
  t.match(String(await execute(strings, { local: true }).catch((e: unknown) => e)), /returned string, not a finite number/);
});

t.test('a strategy that cannot work is refused when the job is built, naming the option', async (t) => {
  const build = (strategy: unknown) => execute(defineJob((env) => {
    env.fromCollection([1]).assignTimestampsAndWatermarks(strategy as never).collect();
  }), { local: true });
  await t.rejects(build({ timestamp: () => 1, maxOutOfOrdernessMs: -1 }), ConfigError);
  await t.rejects(build({ timestamp: () => 1, maxOutOfOrdernessMs: -1 }), /option maxOutOfOrdernessMs: must be a number ≥ 0, got -1/);
  await t.rejects(build({ maxOutOfOrdernessMs: 0 }), /option timestamp: must be a function/);
  await t.rejects(build({ timestamp: () => 1, maxOutOfOrdernessMs: 0, idleTimeoutMs: 0 }), /option idleTimeoutMs: must be a number > 0/);
  await t.rejects(execute(defineJob((env) => void env.setAutoWatermarkInterval(0)), { local: true }), /option autoWatermarkIntervalMs/);
});

t.test('watermarks trail the highest time by the disorder, on the interval; idle after the timeout, active with the next record', async (t) => {
  const clock = new ManualClock();
  const emitted: string[] = [];
  const output: Output = {
    collect: () => {},
    emitWatermark: (time) => emitted.push(`watermark ${time}`),
    emitStatus: (idle) => emitted.push(idle ? 'idle' : 'active'),
    emitSide: () => {},
  };
  const ctx = operatorContext('Event time', { clock, output });
  const op = new TimestampsAndWatermarksOperator<Event>({ timestamp: (e) => e.t, maxOutOfOrdernessMs: 50, idleTimeoutMs: 1000 }, 200);
  op.open(ctx);
  const records: number[] = [];
  const out = { collect: () => records.push(ctx.element.timestamp) };
  for (const t0 of [1000, 1300, 1200]) op.process({ id: 0, t: t0 }, out);
  t.same(records, [1000, 1300, 1200], 'each record goes on with its event time');
  t.same(emitted, [], 'nothing before the interval');
  clock.advance(200);
  t.same(emitted, ['watermark 1249'], 'the highest time less the disorder, less 1');
  clock.advance(200);
  t.same(emitted, ['watermark 1249'], 'no records since: no new watermark');
  clock.advance(1000);
  t.same(emitted, ['watermark 1249', 'idle'], 'idle after the timeout without records');
  op.process({ id: 1, t: 1100 }, out);
  t.same(emitted, ['watermark 1249', 'idle', 'active'], 'a record makes it active again');
  clock.advance(200);
  t.same(emitted.length, 3, 'a late record does not move the watermark back');
  op.processWatermark(500, output);
  t.same(emitted.length, 3, 'an upstream watermark is replaced, not passed on');
  op.finish(output);
  t.same(emitted.at(-1), 'watermark Infinity', 'the end of input is the final watermark');
  clock.advance(10_000);
  t.same(emitted.length, 4, 'nothing after finish');
});
