import t from 'tap';
import { fileURLToPath } from 'node:url';
import { execute } from '../../../runtime/execute.js';
import { defineJob } from '../../../runtime/api/job.js';
import { RecordEncodingError } from '../../../base/errors.js';
import type { StreamOperator } from '../../../operators/api.js';

const EDGE = fileURLToPath(new URL('../../fixtures/jobs/edge.js', import.meta.url));

t.test('an operator with an asynchronous open still receives everything sent before it was ready', async (t) => {
  const job = defineJob((env) => {
    env.fromCollection(Array.from({ length: 10 }, (_, i) => i)).rebalance()
      .transform<number>((): StreamOperator<number, number> => ({
        open: () => new Promise((r) => setTimeout(r, 20)),
        process: (x, out) => out.collect(x),
      }), 'Slow open')
      .collect('out');
  });
  const { results } = await execute(job, { local: true });
  t.same(results.out, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

for (const local of [true, false]) {
  t.test(`a record that cannot be encoded fails the job with a clear, non-retriable error (${local ? 'one thread' : 'workers'})`, async (t) => {
    const err = await execute(EDGE, { local, params: { mode: 'symbol' } }).then(() => null, (e: unknown) => e);
    t.type(err, RecordEncodingError);
    t.match((err as Error).message, /Tag.*cannot be sent to the next operator/);
    t.equal((err as RecordEncodingError).retriable, false);
  });
}

t.test('an error in close() fails the job, and close runs once', async (t) => {
  let closes = 0;
  const job = defineJob((env) => {
    env.fromCollection([1, 2]).sinkTo((): StreamOperator<number, never> => ({
      open() {},
      process() {},
      close() {
        closes++;
        throw new Error('cannot release');
      },
    }), 'Bad close');
  });
  const err = await execute(job, {}).then(() => null, (e: unknown) => e);
  t.match((err as Error).message, /cannot release/);
  t.equal(closes, 1);
});

t.test('print sinks leave no listener behind on stdout', async (t) => {
  const before = process.stdout.listenerCount('error');
  const { Writable } = await import('node:stream');
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  const job = defineJob((env) => {
    env.fromCollection([1, 2, 3]).print('p', sink);
  });
  for (let i = 0; i < 3; i++) await execute(job, {});
  t.equal(sink.listenerCount('error'), 0, 'custom target released');
  t.equal(process.stdout.listenerCount('error'), before);
});
