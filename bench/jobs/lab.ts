/**
 * The jobs of `snapflow experiment`, one module so every worker rebuilds the same graph from
 * the params: the lab's stateless job (CSV → map that sleeps per record → sink), the same
 * with a running total and count per customer in keyed state, and a synthetic job that loads
 * every key once and then updates a small share of them per round, one checkpoint per round.
 */
import { defineJob } from '../../runtime/api/job.js';
import { UpdateReader, type Update } from './update-reader.js';
import type { DataStream } from '../../runtime/api/types.js';

/** Parameters of the experiment's job. */
export interface LabJobParams {
  case: 'stateless' | 'keyed' | 'synthetic';
  /** The transaction file of the lab cases. */
  input: string;
  /** Milliseconds each record holds the map's thread, as the lab's time.sleep(0.5). */
  recordDelayMs: number;
  /** Print records instead of dropping them. */
  print: boolean;
  /** Synthetic case: distinct keys, each written once before the updates. */
  keys: number;
  /** Synthetic case: share of the keys updated per round. */
  updateRatio: number;
  /** Synthetic case: rounds of updates after the load. */
  rounds: number;
  /** Synthetic case: length of the padding stored in every value. */
  valueBytes: number;
}

/** A row of the lab's file, with the columns the lab used and the customer for the keyed case. */
interface Row {
  transaction_id: number;
  customer_id: string;
  amount: number;
}

const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread, as time.sleep does: an await would let the actor process other messages meanwhile. */
export function blockFor(ms: number): void {
  if (ms > 0) Atomics.wait(SLEEPER, 0, 0, ms);
}

function sink<T>(stream: DataStream<T>, print: boolean): void {
  if (print) stream.print();
  else stream.discard();
}

export default defineJob<LabJobParams>((env, p) => {
  if (p.case === 'synthetic') {
    const pad = 'x'.repeat(p.valueBytes);
    const updated = env.addSource<Update>('Source: Synthetic updates', {
      createReader: () => new UpdateReader({ keys: p.keys, updateRatio: p.updateRatio, mode: 'rounds', rounds: p.rounds, checkpointLastRound: false, updates: 0 }),
      maxParallelism: 1,
    })
      .keyBy((r) => r.key)
      .process<{ key: string; n: number }>((r, ctx) => {
        const v = ctx.valueState<{ n: number; last: number; pad: string }>('v');
        const n = (v.value()?.n ?? 0) + 1;
        v.update({ n, last: r.seq, pad });
        ctx.emit({ key: r.key, n });
      }, 'Synthetic: update value');
    sink(updated, p.print);
    return;
  }
  const slow = env
    .fromCsv<Row>({ path: p.input, types: { transaction_id: 'integer', amount: 'number' }, required: p.case === 'keyed' ? ['transaction_id', 'customer_id', 'amount'] : ['transaction_id', 'amount'], onBadRow: 'skip' })
    .map((r) => {
      blockFor(p.recordDelayMs);
      return r;
    }, 'Map: sleep per record');
  if (p.case === 'stateless') {
    sink(slow, p.print);
    return;
  }
  const totals = slow
    .keyBy((r) => r.customer_id)
    .process<{ customer_id: string; transactions: number; total: number }>((r, ctx) => {
      const state = ctx.valueState<{ n: number; cents: number }>('total');
      const prev = state.value() ?? { n: 0, cents: 0 };
      const next = { n: prev.n + 1, cents: prev.cents + Math.round(r.amount * 100) };
      state.update(next);
      ctx.emit({ customer_id: r.customer_id, transactions: next.n, total: next.cents / 100 });
    }, 'Running total per customer');
  sink(totals, p.print);
});
