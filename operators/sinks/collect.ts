/** Sends every record back to the caller of execute(), in batches over the control port. */
import type { Collector, OperatorContext, StreamOperator } from '../api.js';

const CHUNK = 1024;

/** The collect sink: results arrive in the job result under the sink's name. */
export class CollectSink implements StreamOperator {
  private ctx!: OperatorContext;
  private buffer: unknown[] = [];
  private scheduled = false;

  constructor(private readonly sinkName: string) {}

  open(ctx: OperatorContext): void {
    this.ctx = ctx;
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
    this.ctx.toCoordinator({ kind: 'collect', sink: this.sinkName, records: this.buffer });
    this.buffer = [];
  }

  finish(): void {
    this.flush();
  }
}
