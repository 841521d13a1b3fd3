/**
 * The window benchmark's job: generated transactions with uniform keys and their generator
 * timestamps (1 s apart) as event time → keyBy customer → tumbling or sliding event-time
 * windows summing each key's amounts → discard. Windows span `windowRecordsPerKey` records
 * of an average key, so every key has a window open and a window's end purges them all:
 * state grows between window ends and shrinks at each, and incremental checkpoints carry
 * the deletions.
 */
import { defineJob } from '../../runtime/api/job.js';
import { sliding, tumbling } from '../../operators/windows/assigners.js';

/** Parameters of the window benchmark job. */
export interface WindowJobParams {
  assigner: 'tumbling' | 'sliding';
  records: number;
  keys: number;
  /** Records of an average key in one window. */
  windowRecordsPerKey: number;
  /** Sliding windows: windows each record belongs to (size / slide). */
  overlap: number;
  seed?: number;
  /** Records per second over all source subtasks; unlimited when absent. */
  rate?: number;
}

/** The window size in event time: the generator's records are 1 s apart. */
export function windowSizeMs(p: Pick<WindowJobParams, 'keys' | 'windowRecordsPerKey'>): number {
  return p.windowRecordsPerKey * p.keys * 1000;
}

/** The operator whose state the benchmark measures. */
export const WINDOW_OPERATOR = 'Windows: sum per key';

export default defineJob<WindowJobParams>((env, p) => {
  const size = windowSizeMs(p);
  env.fromGenerator({ records: p.records, keys: p.keys, seed: p.seed ?? 42, ratePerSec: p.rate })
    .assignTimestampsAndWatermarks({ timestamp: (r) => r.timestamp, maxOutOfOrdernessMs: 1000 })
    .keyBy((r) => r.customer_id)
    .window(p.assigner === 'tumbling' ? tumbling(size) : sliding(size, size / p.overlap))
    .aggregate({ createAccumulator: () => 0, add: (r, acc: number) => acc + r.amount, getResult: (acc) => acc }, WINDOW_OPERATOR)
    .discard();
});
