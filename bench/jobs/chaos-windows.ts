/**
 * The windowed job of `snapflow chaos --job windowed`: generated transactions with cyclic keys
 * and their generator timestamps as event time → keyBy customer → tumbling event-time windows
 * of `WINDOW_RECORDS_PER_KEY` records per key → per key and window its first transaction_id,
 * record count and sum of amounts in cents, one line per window, into the exactly-once file
 * sink. Window contents, accumulators and timers are the state that failures must not lose.
 */
import { defineJob } from '../../runtime/api/job.js';
import { tumbling } from '../../operators/windows/assigners.js';
import { GENERATOR_EPOCH_MS } from '../../operators/sources/generator.js';
import { cents, type ChaosJobParams } from './chaos.js';

/** Records of one key in a full window: windows span this many rounds of the key cycle. */
export const WINDOW_RECORDS_PER_KEY = 4;

/** Names of the windowed job's operators. */
export const CHAOS_WINDOW_NAMES = { source: 'Source: Generator', window: 'Windows', sink: 'Sink: Chaos output' } as const;

/** One window's result: its key's first transaction_id in it, how many records it holds and their sum in cents. */
export type ChaosWindowAccumulator = [first: number, count: number, sumCents: number];

/** The tumbling window size for `keys` keys: the generator's records are 1 s apart in event time. */
export function chaosWindowMs(keys: number): number {
  return WINDOW_RECORDS_PER_KEY * keys * 1000;
}

/** The start of the window holding sequence number `seq`, as the tumbling assigner computes it. */
export function chaosWindowOf(seq: number, keys: number): number {
  const t = GENERATOR_EPOCH_MS + seq * 1000;
  const size = chaosWindowMs(keys);
  return t - (t % size);
}

/** Whether record `seq` is the first of its key's window (its key's previous record is in another window, or there is none). */
export function opensWindow(seq: number, keys: number): boolean {
  return seq < keys || chaosWindowOf(seq - keys, keys) !== chaosWindowOf(seq, keys);
}

/** The line a window's result is written as. */
export function chaosWindowLine(acc: ChaosWindowAccumulator): string {
  return `window ${acc[0]} ${acc[1]} ${acc[2]}`;
}

export default defineJob<ChaosJobParams>((env, p) => {
  env.fromGenerator({ records: p.records, keys: p.keys, distribution: 'cyclic', seed: p.seed, ratePerSec: p.rate }, CHAOS_WINDOW_NAMES.source)
    // Each subtask's records are in order; the bound covers nothing but is there to be honoured.
    .assignTimestampsAndWatermarks({ timestamp: (r) => r.timestamp, maxOutOfOrdernessMs: 1000 })
    .keyBy((r) => r.customer_id)
    .window(tumbling(chaosWindowMs(p.keys)))
    .aggregate<ChaosWindowAccumulator, string>({
      createAccumulator: () => [Infinity, 0, 0],
      add: (r, [first, count, sum]) => [Math.min(first, r.transaction_id), count + 1, sum + cents(r.amount)],
      getResult: chaosWindowLine,
    }, CHAOS_WINDOW_NAMES.window)
    .map((w) => w.value, 'Lines')
    .sinkToFile(p.out, { format: p.format }, CHAOS_WINDOW_NAMES.sink);
});
