/**
 * The chaos test's job (`snapflow chaos`): generated transactions with cyclic keys, so each
 * key's records carry per-key sequence numbers 0, 1, 2, … in one source split → keyBy
 * customer → a checker keeping per key the last sequence number, the record count and the
 * sum of amounts in cents → every transaction_id, one per line, into the exactly-once file
 * sink. A record that is not its key's next one goes to the same sink as a text line, so
 * violations are committed with the checkpoints like the ids and never counted twice.
 */
import { defineJob } from '../../runtime/api/job.js';

/** Parameters of the chaos job. */
export interface ChaosJobParams {
  records: number;
  /** A multiple of the parallelism, so each key stays in one source split. */
  keys: number;
  seed: number;
  /** Folder of the file sink's part files. */
  out: string;
  format: 'jsonl' | 'csv';
  /** Records per second over all source subtasks; unlimited when absent. */
  rate?: number;
}

/** Per-key state: last sequence number, records seen, sum of amounts in cents. */
export type ChaosAccumulator = [last: number, count: number, sumCents: number];

/** Names of the job's operators and of its one value state. */
export const CHAOS_NAMES = { source: 'Source: Generator', checker: 'Checker', sink: 'Sink: Chaos output', state: 'acc' } as const;

/** Amount of a generated transaction in whole cents (amounts are cents / 100, so this is exact). */
export function cents(amount: number): number {
  return Math.round(amount * 100);
}

export default defineJob<ChaosJobParams>((env, p) => {
  env.fromGenerator({ records: p.records, keys: p.keys, distribution: 'cyclic', seed: p.seed, ratePerSec: p.rate }, CHAOS_NAMES.source)
    .keyBy((r) => r.customer_id)
    .process<number | string>((r, ctx) => {
      const state = ctx.valueState<ChaosAccumulator>(CHAOS_NAMES.state);
      const [last, count, sum] = state.value() ?? [-1, 0, 0];
      const seq = Math.floor(r.transaction_id / p.keys);
      if (seq !== last + 1) ctx.emit(`violation ${seq <= last ? 'duplicate' : 'gap'} key=${r.customer_id} seq=${seq} last=${last}`);
      state.update([Math.max(last, seq), count + 1, sum + cents(r.amount)]);
      ctx.emit(r.transaction_id);
    }, CHAOS_NAMES.checker)
    .sinkToFile(p.out, { format: p.format }, CHAOS_NAMES.sink);
});
