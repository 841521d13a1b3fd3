/** Prints every record on stdout, one line each, prefixed by "<subtask>> " when parallel. */
import type { Writable } from 'node:stream';
import type { Collector, OperatorContext, StreamOperator } from '../api.js';
import { BufferedWriter } from './writer.js';
import { toPrintLine } from './format.js';

/** The print sink (at-least-once: lines already printed are printed again after a restart). */
export class PrintSink implements StreamOperator {
  private writer!: BufferedWriter;
  private prefix = '';

  constructor(private readonly target?: Writable) {}

  open(ctx: OperatorContext): void {
    this.writer = new BufferedWriter(this.target ?? process.stdout);
    this.prefix = ctx.parallelism > 1 ? `${ctx.subtask + 1}> ` : '';
  }

  process(record: unknown, _out: Collector): void {
    this.writer.write(this.prefix + toPrintLine(record) + '\n');
  }

  blocked(): Promise<void> | null {
    return this.writer.blocked();
  }

  finish(): Promise<void> {
    return this.writer.finish(false);
  }

  close(): void {
    this.writer?.detach();
  }
}
