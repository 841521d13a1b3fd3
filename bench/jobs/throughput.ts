/**
 * The throughput benchmark's job: generated transactions → map → discard (stateless),
 * or generated transactions → keyBy customer → running count per key → discard (keyed).
 * Records carry their emit time so the sink can sample end-to-end latency.
 */
import { defineJob } from '../../runtime/job.js';

/** Parameters of the throughput job. */
export interface ThroughputParams {
  pipeline: 'stateless' | 'keyed';
  records: number;
  keys: number;
  seed?: number;
  /** Records per second each sink subtask accepts; unlimited when absent. */
  sinkRate?: number;
  /** Puts the sink in an actor of its own, so records cross exactly one channel (as in the bare pipe). */
  separateSink?: boolean;
}

export default defineJob<ThroughputParams>((env, p) => {
  const source = env.fromGenerator({ records: p.records, keys: p.keys, seed: p.seed ?? 42, stampWallTime: true });
  const sink = { latencyField: 'emittedAt', ratePerSec: p.sinkRate };
  if (p.pipeline === 'stateless') {
    const discard = source
      .map((r) => {
        r.amount = Math.round(r.amount * 110) / 100;
        return r;
      }, 'Map: add 10%')
      .discard(sink);
    if (p.separateSink) discard.startNewChain();
    return;
  }
  source
    .keyBy((r) => r.customer_id)
    .process<{ customer_id: string; count: number; emittedAt?: number }>((r, ctx) => {
      const count = ctx.valueState<number>('count');
      const n = (count.value() ?? 0) + 1;
      count.update(n);
      ctx.emit({ customer_id: r.customer_id, count: n, emittedAt: r.emittedAt });
    }, 'Count per customer')
    .discard(sink);
});
