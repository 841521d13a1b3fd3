/**
 * The throughput benchmark's job: transactions → map → discard (stateless), or
 * transactions → keyBy customer → running count per key → discard (keyed). The
 * transactions are generated, or read from a file written by `snapflow gen`. Latency comes
 * from the runtime's latency markers.
 */
import { countPerCustomer, type CustomerCount } from './count-per-customer.js';
import { defineJob } from '../../runtime/api/job.js';
import type { StreamEnvironment } from '../../runtime/api/environment.js';
import type { Transaction } from '../../operators/sources/generator.js';
import type { DataStream } from '../../runtime/api/types.js';

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
  /** A transaction file (`snapflow gen`) read instead of generating the records. */
  input?: string;
}

/** The fields both pipelines read; a file's timestamp stays the ISO text it holds. */
type Row = Pick<Transaction, 'transaction_id' | 'customer_id' | 'amount'>;

/** The file's rows, its byte ranges split over the source's subtasks. */
function fromFile(env: StreamEnvironment, path: string): DataStream<Row> {
  return env.fromCsv<Row>({ path, types: { transaction_id: 'integer', amount: 'number' }, required: ['transaction_id', 'customer_id', 'amount'], onBadRow: 'fail' });
}

export default defineJob<ThroughputParams>((env, p) => {
  const source: DataStream<Row> = p.input !== undefined ? fromFile(env, p.input) : env.fromGenerator({ records: p.records, keys: p.keys, seed: p.seed ?? 42 });
  const sink = { ratePerSec: p.sinkRate };
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
    .process<CustomerCount>(countPerCustomer, 'Count per customer')
    .discard(sink);
});
