/**
 * Sends every record back to the caller of execute(), in batches over the control port. Each
 * batch carries the id of the last checkpoint barrier the sink had passed, so a job that
 * restores checkpoint c drops exactly the records collected after barrier c and the result
 * stays exactly-once across restarts.
 */
import type { Collector, OperatorContext, StreamOperator } from '../api.js';

const CHUNK = 1024;

/** The collect sink: results arrive in the job result under the sink's name. */
export class CollectSink implements StreamOperator {
  private ctx!: OperatorContext;
  private buffer: unknown[] = [];
  private scheduled = false;
  private epoch = 0;

  constructor(private readonly sinkName: string) {}

  open(ctx: OperatorContext): void {
    this.ctx = ctx;
    this.epoch = ctx.restored?.checkpointId ?? 0;
  }

  process(record: unknown, _out: Collector): void {
    this.buffer.push(record);
    if (this.buffer.length >= CHUNK) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    if (this.buffer.length === 0) return;
    this.ctx.toCoordinator({ kind: 'collect', sink: this.sinkName, records: this.buffer, epoch: this.epoch });
    this.buffer = [];
  }

  /** Records before the barrier go out under the previous epoch. */
  snapshotState(id: number): void {
    this.flush();
    this.epoch = id;
  }

  finish(): void {
    this.flush();
  }
}
