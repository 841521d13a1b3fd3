/**
 * The job of `snapflow bench cost`, as a new user would write it: a transaction file read as
 * CSV, keyed by customer, a running count and sum per customer in value state, and every
 * update written to the JSON-lines file sink. bench/cost/baseline.ts computes the same by hand.
 */
import { defineJob } from '../../runtime/api/job.js';

/** Parameters of the cost job. */
export interface CostParams {
  /** A transaction file written by `snapflow gen`. */
  input: string;
  /** Folder of the file sink's output. */
  output: string;
}

/** A customer's running figures: what the job and the baseline both write for every row. */
export interface Totals {
  customer_id: string;
  count: number;
  sum: number;
}

export default defineJob<CostParams>((env, p) => {
  env
    .fromCsv({ path: p.input, types: { customer_id: 'string', amount: 'number' }, required: ['customer_id', 'amount'], onBadRow: 'fail' })
    .keyBy((r) => r.customer_id)
    .process((r, ctx): Totals => {
      const totals = ctx.valueState<{ count: number; sum: number }>('totals');
      const t = totals.value() ?? { count: 0, sum: 0 };
      t.count++;
      t.sum += r.amount;
      totals.update(t);
      return { customer_id: r.customer_id, count: t.count, sum: t.sum };
    }, 'Totals per customer')
    .sinkToFile(p.output, { format: 'jsonl' });
});
