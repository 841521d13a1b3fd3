/** Turning records into text lines for the print and file sinks. */

/** JSON with bigint as a string, so any record can be printed. */
export function toJson(record: unknown): string {
  try {
    // A replacer runs for every value and made this the file sink's costliest step; only a bigint needs one.
    return JSON.stringify(record) ?? 'undefined';
  } catch {
    return JSON.stringify(record, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? 'undefined';
  }
}

/** A record as one printed line: strings as they are, everything else as JSON. */
export function toPrintLine(record: unknown): string {
  return typeof record === 'string' ? record : toJson(record);
}

/** One CSV field, quoted when it holds a comma, quote or line break. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'object' ? toJson(value) : String(value);
  return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
}

/** Column names of a record written as CSV: its own keys, or `value` for a scalar. */
export function csvColumns(record: unknown): string[] {
  return record !== null && typeof record === 'object' && !Array.isArray(record) ? Object.keys(record) : ['value'];
}

/** One CSV line (without newline) of a record under the given columns. */
export function toCsvLine(record: unknown, columns: string[]): string {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return csvField(record);
  const obj = record as Record<string, unknown>;
  let line = '';
  for (let i = 0; i < columns.length; i++) line += (i ? ',' : '') + csvField(obj[columns[i]]);
  return line;
}
