/**
 * Writes records to a folder, one part file per subtask (`part-<subtask>.csv` or
 * `.jsonl`), as Flink's file sink does, so parallel subtasks never share a file.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../runtime/errors.js';
import type { Collector, OperatorContext, StreamOperator } from '../api.js';
import { BufferedWriter } from './writer.js';
import { csvColumns, csvField, toCsvLine, toJson } from './format.js';

/** Output format of the file sink. */
export type FileFormat = 'csv' | 'jsonl';

/** Options of the file sink. */
export interface FileSinkOptions {
  format?: FileFormat;
}

/** The file sink. */
export class FileSink implements StreamOperator {
  private writer: BufferedWriter | null = null;
  private finished = false;
  private columns: string[] | null = null;
  private readonly format: FileFormat;

  constructor(private readonly dir: string, options: FileSinkOptions = {}) {
    this.format = options.format ?? 'csv';
    if (this.format !== 'csv' && this.format !== 'jsonl') throw new ConfigError('format', `must be csv or jsonl, got ${String(this.format)}`);
  }

  open(ctx: OperatorContext): void {
    mkdirSync(this.dir, { recursive: true });
    const path = join(this.dir, `part-${ctx.subtask}.${this.format}`);
    this.writer = new BufferedWriter(createWriteStream(path));
  }

  process(record: unknown, _out: Collector): void {
    if (this.format === 'jsonl') {
      this.writer!.write(toJson(record) + '\n');
      return;
    }
    if (!this.columns) {
      this.columns = csvColumns(record);
      this.writer!.write(this.columns.map(csvField).join(',') + '\n');
    }
    this.writer!.write(toCsvLine(record, this.columns) + '\n');
  }

  blocked(): Promise<void> | null {
    return this.writer!.blocked();
  }

  async finish(): Promise<void> {
    await this.writer!.finish(true);
    this.finished = true;
  }

  close(): void {
    if (this.finished) this.writer?.detach();
    else this.writer?.destroy();
  }
}
