/**
 * A streamed CSV source: reads a file chunk by chunk, never whole, and reports a byte
 * position after every record so that a checkpoint can resume exactly at the next one.
 */
import { open as openFile, type FileHandle } from 'node:fs/promises';
import type { Collector, OperatorContext, SourceReader, SourceSplitState } from '../api.js';
import { InputError, type ErrorOrigin, errorMessage } from '../../base/errors.js';
import { RecordBuilder, RecordScanner, contentEnd } from './csv-parse.js';
import { DEFAULT_CHUNK_BYTES, headerBuilder, validateCsvOptions, type CsvSourceOptions } from './csv-options.js';
import { freshSplit, lineAt, restoredCsvSplits, type CsvSplit } from './csv-splits.js';

export type { CsvColumnType } from './csv-parse.js';
export type { CsvSplit } from './csv-splits.js';
export { validateCsvOptions, type CsvPosition, type CsvSourceOptions } from './csv-options.js';

const MAX_SAMPLES = 10;
const LF = 0x0a;
const QUOTE = 0x22;

/**
 * Reads one CSV file with a header line into records keyed by column name. At parallelism
 * p the records after the header are cut into p byte ranges, one per subtask; a restored
 * subtask reads the splits it inherits, in file order.
 */
export class CsvReader implements SourceReader {
  private readonly path: string;
  private readonly delimiter: string;
  private readonly chunkBytes: number;
  private readonly skipBad: boolean;
  private readonly scanner: RecordScanner;
  private readonly restored: CsvSplit[] | undefined;
  private fh: FileHandle | undefined;
  private builder: RecordBuilder | undefined;
  private origin: ErrorOrigin = {};
  private ctx: OperatorContext | undefined;
  /** Holds bytes [start, end) not yet consumed; it grows only for a record longer than itself. */
  private buf: Buffer = Buffer.alloc(0);
  private start = 0;
  private end = 0;
  /** File offset of buf[0]. */
  private base = 0;
  private eof = false;
  /** Line number of the record at `start`, less `lineShift`. */
  private line = 1;
  /** What `line` lacks of the physical line: 0 when known, undefined until an error needs it. */
  private lineShift: number | undefined = 0;
  /** File offset of the record on `line` 1 while lineShift is unknown. */
  private lineFrom = 0;
  /** Records of the current split start before this file offset. */
  private splitEnd = Infinity;
  /** Splits after the current one, ascending; undefined until open() planned them. */
  private pending: CsvSplit[] | undefined;
  private done = false;
  /** File offset of the first record after the header. */
  private headerEnd = 0;
  private needData = false;
  private skipped = 0;
  private readonly samples: string[] = [];

  constructor(private readonly options: CsvSourceOptions, private readonly subtask = 0, private readonly parallelism = 1, restored?: SourceSplitState[]) {
    validateCsvOptions(options);
    this.path = options.path;
    this.delimiter = options.delimiter ?? ',';
    this.chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    this.skipBad = options.onBadRow === 'skip';
    this.scanner = new RecordScanner(this.delimiter.charCodeAt(0));
    this.restored = restored === undefined ? undefined : restoredCsvSplits(restored);
  }

  async open(ctx: OperatorContext): Promise<void> {
    this.ctx = ctx;
    this.origin = { operator: ctx.operatorName, subtask: ctx.subtask, parallelism: ctx.parallelism };
    ctx.metrics.skippedRows = 0;
    ctx.metrics.skippedSamples = this.samples;
    try {
      this.fh = await openFile(this.path, 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const reason = code === 'ENOENT' ? 'file not found' : `cannot open file: ${errorMessage(err)}`;
      throw new InputError(this.path, undefined, reason, this.origin);
    }
    this.buf = Buffer.allocUnsafe(this.chunkBytes);
    try {
      await this.readHeader();
      const at = this.options.startAt;
      if (at !== undefined && at.offset > this.base + this.start) await this.seek(at);
      this.pending = this.restored ?? [await this.freshSplit()];
      await this.nextSplit();
    } catch (err) {
      // The runtime may not call close() after a failed open; do not leak the descriptor.
      await this.close();
      throw err;
    }
  }

  poll(max: number, out: Collector): boolean | Promise<boolean> {
    if (this.fh === undefined) throw new Error('CsvReader.poll() called before open() or after close()');
    if (max <= 0 || this.done) return !this.done;
    const n = this.drain(max, out);
    if (n > 0 || !this.needData) return this.more();
    return this.pollAfterRead(max, out);
  }

  /** The unread splits: the current one from its next record, then those still to come. */
  position(): CsvSplit[] {
    if (this.pending === undefined) throw new Error('CsvReader.position() called before open()');
    if (this.done) return [];
    const rest = this.pending.map((s) => ({ ...s }));
    if (this.splitOver()) return rest;
    const current: CsvSplit = { offset: this.base + this.start };
    if (this.splitEnd !== Infinity) current.end = this.splitEnd;
    if (this.lineShift !== undefined) current.line = this.line + this.lineShift;
    return [current, ...rest];
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    if (fh !== undefined) await fh.close();
  }

  /** Whether records may remain; moves on when the current split ran out. */
  private more(): boolean | Promise<boolean> {
    if (!this.splitOver()) return true;
    return this.nextSplit().then(() => !this.done);
  }

  private splitOver(): boolean {
    return (this.eof && this.start === this.end) || this.base + this.start >= this.splitEnd;
  }

  private async pollAfterRead(max: number, out: Collector): Promise<boolean> {
    for (;;) {
      await this.fill();
      const n = this.drain(max, out);
      if (n > 0 || !this.needData) return this.more();
    }
  }

  /** Emits up to `max` complete records of the current split already in the buffer; sets needData when it ran dry. */
  private drain(max: number, out: Collector): number {
    const buf = this.buf;
    const end = this.end;
    const eof = this.eof;
    const scanner = this.scanner;
    const builder = this.builder!;
    const stop = this.splitEnd - this.base;
    let emitted = 0;
    this.needData = false;
    while (emitted < max) {
      const start = this.start;
      if (start >= stop) break;
      if (start === end) {
        this.needData = !eof;
        break;
      }
      const lf = scanner.scan(buf, start, end, eof);
      if (lf < 0) {
        this.needData = true;
        break;
      }
      const ce = contentEnd(buf, start, lf);
      const line = this.line;
      // Advance before emitting so that position() covers the record even if collect throws.
      this.start = lf < end ? lf + 1 : end;
      this.line = line + 1 + scanner.innerLines;
      if (ce === start) continue;
      const rec = builder.build(buf.toString('utf8', start, ce));
      if (rec === undefined) {
        this.badRow(line, builder.error);
      } else {
        out.collect(rec);
        emitted++;
      }
    }
    return emitted;
  }

  private badRow(line: number, reason: string): void {
    if (!this.skipBad) throw new InputError(this.path, this.physicalLine(line), reason, this.origin);
    this.skipped++;
    this.ctx!.metrics.skippedRows = this.skipped;
    if (this.samples.length < MAX_SAMPLES) this.samples.push(`${this.path}:${this.physicalLine(line)}: ${reason}`);
  }

  /** The file's line number of a `line` counted in this reader. */
  private physicalLine(line: number): number {
    this.lineShift ??= lineAt(this.fh!.fd, this.lineFrom) - 1;
    return line + this.lineShift;
  }

  /** This subtask's share of the file, from the record after the header (or startAt). */
  private async freshSplit(): Promise<CsvSplit> {
    const { size } = await this.fh!.stat();
    return freshSplit(this.base + this.start, this.line, size, this.subtask, this.parallelism);
  }

  /** Makes the first pending split current, or marks the reader done when none is left. */
  private async nextSplit(): Promise<void> {
    for (;;) {
      const split = this.pending!.shift();
      if (split === undefined) {
        this.done = true;
        this.splitEnd = Infinity;
        return;
      }
      this.splitEnd = split.end ?? Infinity;
      if (split.align) {
        await this.alignTo(split.offset);
      } else {
        if (split.offset !== this.base + this.start) await this.seek({ offset: split.offset, line: split.line });
        this.line = split.line ?? 1;
        this.lineShift = split.line === undefined ? undefined : 0;
        this.lineFrom = split.offset;
      }
      if (!this.splitOver()) return;
    }
  }

  /**
   * Skips whole records from the current record start until one starts at or after `target`.
   * Runs of bytes without a quote are skipped at memchr speed, since every line feed in them
   * ends a record; the record scanner decides only where quoting may begin.
   */
  private async alignTo(target: number): Promise<void> {
    for (;;) {
      const t = target - this.base;
      if (this.start >= t) break;
      if (this.start === this.end) {
        if (this.eof) break;
        await this.fill();
        continue;
      }
      const region = this.buf.subarray(this.start, this.end);
      const q = region.indexOf(QUOTE);
      const quote = q < 0 ? region.length : q;
      const lf = region.indexOf(LF, Math.max(0, t - 1 - this.start));
      if (lf >= 0 && lf < quote) {
        this.start += lf + 1;
        break;
      }
      // Every line feed before the first quote ends a record that starts before target.
      const last = quote > 0 ? region.lastIndexOf(LF, quote - 1) : -1;
      if (last >= 0) this.start += last + 1;
      if (q < 0) {
        if (this.eof) this.start = this.end;
        else await this.fill();
        continue;
      }
      const rec = this.scanner.scan(this.buf, this.start, this.end, this.eof);
      if (rec < 0) await this.fill();
      else this.start = rec < this.end ? rec + 1 : this.end;
    }
    this.line = 1;
    this.lineShift = undefined;
    this.lineFrom = this.base + this.start;
  }

  /** Makes room (compacting, or growing for an oversized record) and reads the next chunk. */
  private async fill(): Promise<void> {
    if (this.start > 0) {
      this.buf.copyWithin(0, this.start, this.end);
      this.base += this.start;
      this.end -= this.start;
      this.start = 0;
    }
    if (this.end === this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(2 * this.buf.length, 1));
      this.buf.copy(bigger, 0, 0, this.end);
      this.buf = bigger;
    }
    const want = Math.min(this.chunkBytes, this.buf.length - this.end);
    const { bytesRead } = await this.fh!.read(this.buf, this.end, want, this.base + this.end);
    if (bytesRead === 0) this.eof = true;
    else this.end += bytesRead;
  }

  private headerError(reason: string): InputError {
    return new InputError(this.path, 1, reason, this.origin);
  }

  private async readHeader(): Promise<void> {
    while (this.end < 3 && !this.eof) await this.fill();
    const buf = this.buf;
    if (this.end >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) this.start = 3;
    let lf: number;
    while ((lf = this.scanner.scan(this.buf, this.start, this.end, this.eof)) < 0) await this.fill();
    if (this.start === this.end) throw this.headerError('the file is empty; its first line must be a header');
    const text = this.buf.toString('utf8', this.start, contentEnd(this.buf, this.start, lf));
    const header = headerBuilder(text, this.delimiter, this.options.types ?? {}, this.options.required ?? []);
    if (typeof header === 'string') throw this.headerError(header);
    this.builder = header;
    this.start = lf < this.end ? lf + 1 : this.end;
    this.headerEnd = this.base + this.start;
    this.line = 2 + this.scanner.innerLines;
  }

  /** Moves to a stored position after checking that it starts a line within the file. */
  private async seek(at: { offset: number; line?: number }): Promise<void> {
    if (at.offset < this.headerEnd) throw new InputError(this.path, at.line, `startAt offset ${at.offset} is inside the header`, this.origin);
    const probe = Buffer.alloc(2);
    const { bytesRead } = await this.fh!.read(probe, 0, 2, at.offset - 1);
    // One byte read means the offset is the end of the file: valid even without a final newline.
    if (bytesRead === 0 || (bytesRead === 2 && probe[0] !== 0x0a)) {
      const why = bytesRead === 0 ? 'is beyond the end of the file' : 'is not at the start of a line';
      throw new InputError(this.path, at.line, `startAt offset ${at.offset} ${why}`, this.origin);
    }
    this.base = at.offset;
    this.start = 0;
    this.end = 0;
    this.eof = false;
    this.line = at.line ?? 1;
  }
}
