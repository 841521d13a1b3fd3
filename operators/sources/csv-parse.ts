/**
 * Byte- and string-level CSV parsing used by the CSV source reader. Kept free of I/O so
 * that the record boundaries and field rules can be reasoned about (and tested) in isolation.
 */

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;

/** The value types a CSV column can be parsed into. */
export type CsvColumnType = 'string' | 'number' | 'integer' | 'boolean';

/** Column kinds as small integers: the per-field dispatch compares numbers, not strings. */
export type Kind = 0 | 1 | 2 | 3;
const STRING = 0;
const NUMBER = 1;
const INTEGER = 2;
const BOOLEAN = 3;

/** Maps a column type name to its Kind. */
export function kindOf(type: CsvColumnType | undefined): Kind {
  switch (type) {
    case 'number': return NUMBER;
    case 'integer': return INTEGER;
    case 'boolean': return BOOLEAN;
    default: return STRING;
  }
}

/**
 * Finds record boundaries in raw bytes. Quote state is tracked here (not only in the field
 * splitter) because a newline inside a quoted field must not end the record.
 */
export class RecordScanner {
  /** Newlines inside quoted fields of the last scanned record, for physical line numbers. */
  innerLines = 0;

  constructor(private readonly delim: number) {}

  /**
   * Returns the index of the LF ending the record that starts at `start`, `end` when the
   * file ends without a final newline, or -1 when more bytes are needed to decide.
   */
  scan(buf: Buffer, start: number, end: number, eof: boolean): number {
    const delim = this.delim;
    let inQuote = false;
    let lines = 0;
    for (let i = start; i < end; i++) {
      const b = buf[i];
      if (inQuote) {
        if (b === QUOTE) {
          // A quote as the last buffered byte may be the first half of a "" escape.
          if (i + 1 >= end && !eof) return -1;
          if (i + 1 < end && buf[i + 1] === QUOTE) i++;
          else inQuote = false;
        } else if (b === LF) {
          lines++;
        }
      } else if (b === LF) {
        this.innerLines = lines;
        return i;
      } else if (b === QUOTE && (i === start || buf[i - 1] === delim)) {
        // RFC 4180: only a quote opening a field starts quoting; elsewhere it is literal.
        inQuote = true;
      }
    }
    if (!eof) return -1;
    // An unterminated quote ends the record at end of file; the field splitter reports it.
    this.innerLines = lines;
    return end;
  }
}

/** Index just past the record content that ends at `lf`, without a trailing CR. */
export function contentEnd(buf: Buffer, start: number, lf: number): number {
  return lf > start && buf[lf - 1] === CR ? lf - 1 : lf;
}

/**
 * Splits one decoded record into `fields` (a reused array) and returns the field count, or
 * -1 with `error` set. Mirrors RecordScanner's quoting rules so both agree on boundaries.
 */
export class FieldSplitter {
  readonly fields: string[] = [];
  error = '';
  private readonly delimCode: number;

  constructor(private readonly delim: string) {
    this.delimCode = delim.charCodeAt(0);
  }

  split(s: string): number {
    const fields = this.fields;
    const len = s.length;
    let n = 0;
    let i = 0;
    for (;;) {
      if (s.charCodeAt(i) !== QUOTE) {
        const d = s.indexOf(this.delim, i);
        if (d < 0) {
          fields[n++] = i === 0 ? s : s.slice(i);
          return n;
        }
        fields[n++] = s.slice(i, d);
        i = d + 1;
        continue;
      }
      let value = '';
      let p = i + 1;
      for (;;) {
        const q = s.indexOf('"', p);
        if (q < 0) {
          this.error = `unterminated quoted field ${n + 1}`;
          return -1;
        }
        if (s.charCodeAt(q + 1) === QUOTE) {
          value += s.slice(p, q + 1);
          p = q + 2;
          continue;
        }
        value += s.slice(p, q);
        i = q + 1;
        break;
      }
      fields[n++] = value;
      if (i === len) return n;
      if (s.charCodeAt(i) !== this.delimCode) {
        this.error = `unexpected character after the closing quote of field ${n}`;
        return -1;
      }
      i++;
    }
  }
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Strict decimal syntax check; Number() alone would also accept hex, binary, whitespace
 * and the empty string, which in a data file are almost always mistakes.
 */
function isDecimal(s: string, allowFraction: boolean): boolean {
  const n = s.length;
  let i = 0;
  let c = s.charCodeAt(0);
  if (c === 43 || c === 45) i++;
  let digits = 0;
  while (i < n && isDigit(s.charCodeAt(i))) { i++; digits++; }
  if (!allowFraction) return digits > 0 && i === n;
  if (i < n && s.charCodeAt(i) === 46) {
    i++;
    while (i < n && isDigit(s.charCodeAt(i))) { i++; digits++; }
  }
  if (digits === 0) return false;
  if (i < n && (s.charCodeAt(i) | 0x20) === 101) {
    i++;
    c = s.charCodeAt(i);
    if (c === 43 || c === 45) i++;
    let exp = 0;
    while (i < n && isDigit(s.charCodeAt(i))) { i++; exp++; }
    if (exp === 0) return false;
  }
  return i === n;
}

function show(raw: string): string {
  return JSON.stringify(raw.length > 40 ? raw.slice(0, 40) + '…' : raw);
}

/** Turns a decoded record line into a record object, or reports why it is a bad row. */
export class RecordBuilder {
  /** Why the last build() returned undefined. */
  error = '';
  private readonly splitter: FieldSplitter;
  private readonly protoIndex: number;

  constructor(
    private readonly columns: readonly string[],
    private readonly kinds: readonly Kind[],
    private readonly required: readonly boolean[],
    delim: string,
  ) {
    this.splitter = new FieldSplitter(delim);
    // A plain assignment to "__proto__" would change the prototype instead of adding a field.
    this.protoIndex = columns.indexOf('__proto__');
  }

  build(line: string): Record<string, unknown> | undefined {
    const n = this.splitter.split(line);
    if (n < 0) {
      this.error = this.splitter.error;
      return undefined;
    }
    const columns = this.columns;
    const ncols = columns.length;
    if (n !== ncols) {
      this.error = `expected ${ncols} field${ncols === 1 ? '' : 's'} but found ${n}`;
      return undefined;
    }
    const fields = this.splitter.fields;
    const rec: Record<string, unknown> = {};
    for (let c = 0; c < ncols; c++) {
      const raw = fields[c];
      const kind = this.kinds[c];
      let v: unknown = raw;
      if (raw.length === 0) {
        if (kind !== STRING || this.required[c]) {
          this.error = `missing value in column "${columns[c]}"`;
          return undefined;
        }
      } else if (kind !== STRING) {
        v = this.convert(raw, kind, columns[c]);
        if (v === undefined) return undefined;
      }
      if (c === this.protoIndex) Object.defineProperty(rec, '__proto__', { value: v, enumerable: true, writable: true, configurable: true });
      else rec[columns[c]] = v;
    }
    return rec;
  }

  private convert(raw: string, kind: Kind, column: string): unknown {
    if (kind === NUMBER) {
      const v = isDecimal(raw, true) ? +raw : NaN;
      if (Number.isFinite(v)) return v;
      this.error = `column "${column}": ${show(raw)} is not a finite number`;
    } else if (kind === INTEGER) {
      const v = isDecimal(raw, false) ? +raw : NaN;
      if (Number.isSafeInteger(v)) return v;
      this.error = `column "${column}": ${show(raw)} is not a safe integer`;
    } else {
      if (raw.length === 4 && raw.toLowerCase() === 'true') return true;
      if (raw.length === 5 && raw.toLowerCase() === 'false') return false;
      this.error = `column "${column}": ${show(raw)} is not true or false`;
    }
    return undefined;
  }
}
