/**
 * A streamed CSV source: reads a file chunk by chunk, never whole, and reports a byte
 * position after every record so that a checkpoint can resume exactly at the next one.
 */
import { open as openFile, type FileHandle } from 'node:fs/promises';
import type { Collector, OperatorContext, SourceReader } from '../api.js';
import { ConfigError, InputError, type ErrorOrigin, errorMessage } from '../../base/errors.js';
import { FieldSplitter, RecordBuilder, RecordScanner, contentEnd, kindOf, type CsvColumnType } from './csv-parse.js';

export type { CsvColumnType } from './csv-parse.js';

/** Where a CSV reader resumes: the byte offset of the next record and its 1-based line. */
export interface CsvPosition {
  offset: number;
  line: number;
}

/** Options of the CSV source. */
export interface CsvSourceOptions {
  path: string;
  /** Columns parsed into a type; the others stay strings. */
  types?: Record<string, CsvColumnType>;
  /** Columns that must not be empty. */
  required?: readonly string[];
  /** 'fail' (default) throws an InputError on the first bad row; 'skip' counts and drops it. */
  onBadRow?: 'fail' | 'skip';
  /** A single ASCII character; ',' by default. */
  delimiter?: string;
  /** A position() of an earlier reader of the same file. */
  startAt?: CsvPosition;
  /** Bytes per file read; 64 KiB by default. */
  chunkBytes?: number;
}

const COLUMN_TYPES: ReadonlySet<unknown> = new Set(['string', 'number', 'integer', 'boolean']);
const DEFAULT_CHUNK_BYTES = 64 * 1024;
const MAX_CHUNK_BYTES = 1 << 30;
const MAX_SAMPLES = 10;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown, min: number): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
}

/** Throws a ConfigError naming the first option whose value the CSV source cannot use. */
export function validateCsvOptions(options: CsvSourceOptions): void {
  const o: unknown = options;
  if (!isObject(o)) throw new ConfigError('options', 'must be an object');
  if (typeof o.path !== 'string' || o.path === '') throw new ConfigError('path', 'must be a non-empty string');
  if (o.types !== undefined) {
    if (!isObject(o.types)) throw new ConfigError('types', 'must be an object mapping column names to types');
    for (const [column, type] of Object.entries(o.types)) {
      if (!COLUMN_TYPES.has(type)) {
        throw new ConfigError(`types.${column}`, `must be one of string, number, integer, boolean (got ${JSON.stringify(type) ?? String(type)})`);
      }
    }
  }
  if (o.required !== undefined && !(Array.isArray(o.required) && o.required.every((c) => typeof c === 'string'))) {
    throw new ConfigError('required', 'must be an array of column names');
  }
  if (o.onBadRow !== undefined && o.onBadRow !== 'fail' && o.onBadRow !== 'skip') {
    throw new ConfigError('onBadRow', `must be "fail" or "skip" (got ${JSON.stringify(o.onBadRow) ?? String(o.onBadRow)})`);
  }
  if (o.delimiter !== undefined) {
    const d = o.delimiter;
    // The byte scanner compares single bytes, so the delimiter must be one ASCII character.
    if (typeof d !== 'string' || d.length !== 1 || d.charCodeAt(0) > 0x7f || d === '"' || d === '\n' || d === '\r') {
      throw new ConfigError('delimiter', 'must be a single ASCII character other than a double quote, CR or LF');
    }
  }
  if (o.startAt !== undefined) {
    if (!isObject(o.startAt)) throw new ConfigError('startAt', 'must be a position { offset, line } from position()');
    if (!isCount(o.startAt.offset, 0)) throw new ConfigError('startAt.offset', 'must be a non-negative integer');
    if (!isCount(o.startAt.line, 1)) throw new ConfigError('startAt.line', 'must be a positive integer');
  }
  if (o.chunkBytes !== undefined && !(isCount(o.chunkBytes, 1) && o.chunkBytes <= MAX_CHUNK_BYTES)) {
    throw new ConfigError('chunkBytes', `must be an integer between 1 and ${MAX_CHUNK_BYTES}`);
  }
}

/** Reads one CSV file with a header line into records keyed by column name. */
export class CsvReader implements SourceReader {
  private readonly path: string;
  private readonly delimiter: string;
  private readonly chunkBytes: number;
  private readonly skipBad: boolean;
  private readonly scanner: RecordScanner;
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
  /** Line number of the record at `start`. */
  private line = 1;
  private needData = false;
  private skipped = 0;
  private readonly samples: string[] = [];

  constructor(private readonly options: CsvSourceOptions) {
    validateCsvOptions(options);
    this.path = options.path;
    this.delimiter = options.delimiter ?? ',';
    this.chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    this.skipBad = options.onBadRow === 'skip';
    this.scanner = new RecordScanner(this.delimiter.charCodeAt(0));
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
    } catch (err) {
      // The runtime may not call close() after a failed open; do not leak the descriptor.
      await this.close();
      throw err;
    }
  }

  poll(max: number, out: Collector): boolean | Promise<boolean> {
    if (this.fh === undefined) throw new Error('CsvReader.poll() called before open() or after close()');
    if (max <= 0) return !this.atEnd();
    const n = this.drain(max, out);
    if (n > 0 || !this.needData) return !this.atEnd();
    return this.pollAfterRead(max, out);
  }

  position(): CsvPosition {
    if (this.builder === undefined) {
      return this.options.startAt ? { ...this.options.startAt } : { offset: 0, line: 1 };
    }
    return { offset: this.base + this.start, line: this.line };
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    if (fh !== undefined) await fh.close();
  }

  private atEnd(): boolean {
    return this.eof && this.start === this.end;
  }

  private async pollAfterRead(max: number, out: Collector): Promise<boolean> {
    for (;;) {
      await this.fill();
      const n = this.drain(max, out);
      if (n > 0 || !this.needData) return !this.atEnd();
    }
  }

  /** Emits up to `max` complete records already in the buffer; sets needData when it ran dry. */
  private drain(max: number, out: Collector): number {
    const buf = this.buf;
    const end = this.end;
    const eof = this.eof;
    const scanner = this.scanner;
    const builder = this.builder!;
    let emitted = 0;
    this.needData = false;
    while (emitted < max) {
      const start = this.start;
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
    if (!this.skipBad) throw new InputError(this.path, line, reason, this.origin);
    this.skipped++;
    this.ctx!.metrics.skippedRows = this.skipped;
    if (this.samples.length < MAX_SAMPLES) this.samples.push(`${this.path}:${line}: ${reason}`);
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
    const splitter = new FieldSplitter(this.delimiter);
    const text = this.buf.toString('utf8', this.start, contentEnd(this.buf, this.start, lf));
    const n = splitter.split(text);
    if (n < 0) throw this.headerError(`bad header: ${splitter.error}`);
    const columns = splitter.fields.slice(0, n);
    const seen = new Set<string>();
    columns.forEach((name, i) => {
      if (name === '') throw this.headerError(`column ${i + 1} of the header has an empty name`);
      if (seen.has(name)) throw this.headerError(`column "${name}" appears twice in the header`);
      seen.add(name);
    });
    const types = this.options.types ?? {};
    const required = this.options.required ?? [];
    for (const name of Object.keys(types)) {
      if (!seen.has(name)) throw this.headerError(`column "${name}" named in types is not in the header`);
    }
    for (const name of required) {
      if (!seen.has(name)) throw this.headerError(`column "${name}" named in required is not in the header`);
    }
    this.builder = new RecordBuilder(
      columns,
      columns.map((c) => kindOf(Object.hasOwn(types, c) ? types[c] : undefined)),
      columns.map((c) => required.includes(c)),
      this.delimiter,
    );
    this.start = lf < this.end ? lf + 1 : this.end;
    this.line = 2 + this.scanner.innerLines;
  }

  /** Moves to a stored position after checking that it starts a line within the file. */
  private async seek(at: CsvPosition): Promise<void> {
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
    this.line = at.line;
  }
}
