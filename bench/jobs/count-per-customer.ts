/** The keyed step the throughput and backpressure benchmarks share: a running count per customer in value state. */
import type { KeyedContext } from '../../operators/keyed/process.js';

/** What the count emits for each record. */
export interface CustomerCount {
  customer_id: string;
  count: number;
}

/** Counts the record in its customer's value state and emits the running count. */
export function countPerCustomer(r: { customer_id: string }, ctx: KeyedContext<string, CustomerCount>): void {
  const count = ctx.valueState<number>('count');
  const n = (count.value() ?? 0) + 1;
  count.update(n);
  ctx.emit({ customer_id: r.customer_id, count: n });
}
