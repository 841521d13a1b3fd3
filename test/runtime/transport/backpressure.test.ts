import t from 'tap';
import { execute } from '../../../runtime/execute.js';
import { defineJob } from '../../../runtime/api/job.js';
import type { StreamOperator } from '../../../operators/api.js';

const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

interface GateState {
  emitted: number;
  received: number;
  open: () => void;
}

/** A job whose sink takes one batch and then refuses input until the test opens its gate. */
function gatedJob(state: GateState) {
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  state.open = () => release();
  return defineJob((env) => {
    const sink: StreamOperator = {
      open() {},
      process() {
        state.received++;
      },
      blocked: () => (state.received > 0 ? gate : null),
    };
    env
      .fromGenerator({ records: 1_000_000, keys: 10 })
      .map((r) => (state.emitted++, r), 'Count emitted')
      .rebalance()
      .sinkTo(() => sink, 'Gated sink');
  });
}

for (const credits of [1, 4]) {
  t.test(`a stalled sink stops the source once its ${credits} credit(s) are used up`, async (t) => {
    const batchSize = 256;
    const state: GateState = { emitted: 0, received: 0, open: () => {} };
    const run = execute(gatedJob(state), { channels: { credits, batchSize, lingerMs: 1 } });
    await turns(2000);
    const stalledAt = state.emitted;
    // Processed by the sink: one batch; in flight: `credits` batches; held back: one batch and one poll.
    const bound = (credits + 3) * batchSize;
    t.ok(stalledAt > 0, 'the source started');
    t.ok(stalledAt <= bound, `emitted ${stalledAt} records while the sink was stalled (bound ${bound})`);
    await turns(2000);
    t.equal(state.emitted, stalledAt, 'no progress while the sink is stalled');
    state.open();
    const { stats } = await run;
    t.equal(state.received, 1_000_000, 'every record arrives once the sink resumes');
    const source = stats.actors.find((a) => a.operator.startsWith('Source'))!;
    t.ok(source.maxInFlight <= credits, `at most ${credits} batches in flight (saw ${source.maxInFlight})`);
    t.ok(source.backpressuredMs > 0, 'the source reports time spent backpressured');
  });
}

t.test('a rate-limited sink keeps in-flight batches within credits at parallelism 3', async (t) => {
  const job = defineJob((env) => {
    env.fromGenerator({ records: 30_000, keys: 100 }).keyBy((r) => r.customer_id).map((r) => r).discard({ ratePerSec: 40_000 });
  });
  const { stats } = await execute(job, { parallelism: 3, channels: { credits: 2, batchSize: 128 } });
  for (const a of stats.actors) t.ok(a.maxInFlight <= 2, `${a.operator} ${a.subtask}: in flight ${a.maxInFlight} <= 2`);
  const discarded = stats.actors.reduce((n, a) => n + ((a.metrics.discarded as number | undefined) ?? 0), 0);
  t.equal(discarded, 30_000);
});
