/**
 * The backpressure benchmark's job: generated transactions → keyBy customer → a running count
 * per customer in value state → a sink that accepts only so many records per second. With the
 * sink at a tenth of what the rest of the job can do, every channel before it is full, which is
 * where aligned checkpoints wait: a barrier queues behind every batch sent before it. In the
 * `one-slow` variant only the first subtask's sink is slow, so one keyed subtask holds back the
 * barriers of all.
 */
import { countPerCustomer, type CustomerCount } from './count-per-customer.js';
import { defineJob } from '../../runtime/api/job.js';
import { DiscardSink } from '../../operators/sinks/discard.js';
import type { Collector, OperatorContext, StreamOperator } from '../../operators/api.js';

/** Parameters of the backpressure job. */
export interface BackpressureJobParams {
  records: number;
  keys: number;
  /** Records per second each slow sink subtask accepts. */
  sinkRate: number;
  /** Records per second the sources offer over all their subtasks (unlimited when absent). */
  sourceRate?: number;
  /** `all`: every sink subtask is slow; `one-slow`: only subtask 0's. */
  variant: 'all' | 'one-slow';
  seed?: number;
}

/** The operator whose alignment the benchmark reports. */
export const COUNT_OPERATOR = 'Count per customer';

/** A discard sink that is slow on the subtasks the variant names and as fast as it can be on the others. */
class SlowSink implements StreamOperator<unknown, never> {
  private sink!: DiscardSink;
  constructor(private readonly p: BackpressureJobParams) {}

  open(ctx: OperatorContext): void {
    const slow = this.p.variant === 'all' || ctx.subtask === 0;
    this.sink = new DiscardSink(slow ? { ratePerSec: this.p.sinkRate } : {});
    this.sink.open(ctx);
  }

  process(record: unknown, out: Collector<never>): void {
    this.sink.process(record, out);
  }

  blocked(): Promise<void> | null {
    return this.sink.blocked();
  }

  close(): void {
    this.sink.close();
  }

  finish(): void {
    this.sink.finish();
  }
}

export default defineJob<BackpressureJobParams>((env, p) => {
  env.fromGenerator({ records: p.records, keys: p.keys, seed: p.seed ?? 42, ratePerSec: p.sourceRate })
    .keyBy((r) => r.customer_id)
    .process<CustomerCount>(countPerCustomer, COUNT_OPERATOR)
    .sinkTo(() => new SlowSink(p), 'Sink: slow');
});
