/**
 * The bundled job of `snapflow run transactions`: reads the transaction file, drops rows
 * with a missing id or amount (as the lab's job did), keeps a running total and count per
 * customer in keyed state, and prints each update.
 */
import { defineJob } from '../../runtime/api/job.js';
import { fileURLToPath } from 'node:url';

/** A row of data/data.csv. */
export interface TransactionRow {
  transaction_id: number;
  customer_id: string;
  amount: number;
  timestamp: string;
}

/** What the job prints per transaction. */
export interface CustomerTotal {
  customer_id: string;
  transactions: number;
  total: number;
  last_transaction_id: number;
}

/** Path of the bundled transaction file. */
export const BUNDLED_DATA = fileURLToPath(new URL('../../../data/data.csv', import.meta.url));

export default defineJob<{ input?: string; onBadRow?: 'fail' | 'skip' }>((env, params) => {
  env
    .fromCsv<TransactionRow>({
      path: params.input ?? BUNDLED_DATA,
      types: { transaction_id: 'integer', amount: 'number' },
      required: ['transaction_id', 'amount'],
      onBadRow: params.onBadRow ?? 'skip',
    })
    .keyBy((r) => r.customer_id)
    .process<CustomerTotal>((r, ctx) => {
      const state = ctx.valueState<{ n: number; cents: number }>('total');
      const prev = state.value() ?? { n: 0, cents: 0 };
      const next = { n: prev.n + 1, cents: prev.cents + Math.round(r.amount * 100) };
      state.update(next);
      ctx.emit({ customer_id: r.customer_id, transactions: next.n, total: next.cents / 100, last_transaction_id: r.transaction_id });
    }, 'Running total per customer')
    .print();
});
