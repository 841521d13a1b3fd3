/** Options of the CSV source and their checks: the options themselves, then against the file's header. */
import { ConfigError } from '../../base/errors.js';
import { FieldSplitter, RecordBuilder, kindOf, type CsvColumnType } from './csv-parse.js';

/** Where reading starts: the byte offset of a record and its 1-based line. */
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
  /** A record to start at instead of the first after the header; the rest of the file is split over the subtasks. */
  startAt?: CsvPosition;
  /** Bytes per file read; 64 KiB by default. */
  chunkBytes?: number;
}

const COLUMN_TYPES: ReadonlySet<unknown> = new Set(['string', 'number', 'integer', 'boolean']);
/** Bytes per file read unless chunkBytes says otherwise. */
export const DEFAULT_CHUNK_BYTES = 64 * 1024;
const MAX_CHUNK_BYTES = 1 << 30;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A safe integer of at least `min`: offsets, lines and sizes of the CSV source. */
export function isCount(v: unknown, min: number): v is number {
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
    if (!isObject(o.startAt)) throw new ConfigError('startAt', 'must be { offset, line }: the byte offset of a record and its line (a split of position() has them)');
    if (!isCount(o.startAt.offset, 0)) throw new ConfigError('startAt.offset', 'must be a non-negative integer');
    if (!isCount(o.startAt.line, 1)) throw new ConfigError('startAt.line', 'must be a positive integer');
  }
  if (o.chunkBytes !== undefined && !(isCount(o.chunkBytes, 1) && o.chunkBytes <= MAX_CHUNK_BYTES)) {
    throw new ConfigError('chunkBytes', `must be an integer between 1 and ${MAX_CHUNK_BYTES}`);
  }
}

/**
 * The record builder for a file whose header line is `text`, or why the header does not
 * fit the options (to be reported on line 1 of the file).
 */
export function headerBuilder(text: string, delimiter: string, types: Record<string, CsvColumnType>, required: readonly string[]): RecordBuilder | string {
  const splitter = new FieldSplitter(delimiter);
  const n = splitter.split(text);
  if (n < 0) return `bad header: ${splitter.error}`;
  const columns = splitter.fields.slice(0, n);
  const seen = new Set<string>();
  for (const [i, name] of columns.entries()) {
    if (name === '') return `column ${i + 1} of the header has an empty name`;
    if (seen.has(name)) return `column "${name}" appears twice in the header`;
    seen.add(name);
  }
  for (const name of Object.keys(types)) {
    if (!seen.has(name)) return `column "${name}" named in types is not in the header`;
  }
  for (const name of required) {
    if (!seen.has(name)) return `column "${name}" named in required is not in the header`;
  }
  return new RecordBuilder(
    columns,
    columns.map((c) => kindOf(Object.hasOwn(types, c) ? types[c] : undefined)),
    columns.map((c) => required.includes(c)),
    delimiter,
  );
}
