/**
 * Byte-range splits of one CSV file over the source's subtasks: which share of the file a
 * fresh subtask reads, checking the splits a restored subtask inherits, and finding the
 * physical line number of a byte offset when an error needs it.
 */
import { readSync } from 'node:fs';
import type { SourceSplitState } from '../api.js';
import { ConfigError } from '../../base/errors.js';
import { isCount } from './csv-options.js';

/**
 * A share of the file: the records that start at a byte offset in [offset, end). A reader's
 * position() is an array of these, ascending; it is plain data, safe to serialize.
 */
export interface CsvSplit {
  offset: number;
  /** Exclusive; absent means to the end of the file. */
  end?: number;
  /** 1-based physical line of the record at offset, when known. */
  line?: number;
  /**
   * True while offset is a nominal byte offset rather than a record's start: the split then
   * begins at the first record starting at or after it.
   */
  align?: boolean;
}

/**
 * The share of subtask i of p in the records from `from` (a record start on line `line`) to
 * the end of a file of `size` bytes: cut at byte offsets, each owning the records that start
 * in its range, so every record belongs to exactly one subtask whatever its length.
 */
export function freshSplit(from: number, line: number, size: number, subtask: number, parallelism: number): CsvSplit {
  const rest = Math.max(0, size - from);
  const cut = (k: number) => from + Math.floor((rest * k) / parallelism);
  const split: CsvSplit = subtask === 0 ? { offset: from, line } : { offset: cut(subtask), align: true };
  if (subtask < parallelism - 1) split.end = cut(subtask + 1);
  return split;
}

/** Why `split` is not a usable CSV split, or undefined if it is. */
function splitProblem(split: unknown): string | undefined {
  if (typeof split !== 'object' || split === null) return `has a split that is not an object: ${JSON.stringify(split)}`;
  const { offset, end, line, align } = split as Record<string, unknown>;
  if (!isCount(offset, 0)) return `has a split whose offset is not a non-negative integer: ${JSON.stringify(split)}`;
  if (end !== undefined && !(isCount(end, 0) && end >= offset)) return `has a split whose end is not an integer ≥ its offset: ${JSON.stringify(split)}`;
  if (line !== undefined && !isCount(line, 1)) return `has a split whose line is not a positive integer: ${JSON.stringify(split)}`;
  if (align !== undefined && typeof align !== 'boolean') return `has a split whose align is not a boolean: ${JSON.stringify(split)}`;
  return undefined;
}

/**
 * Copies of the splits in the positions of the former subtasks `restored`, ascending by
 * offset. Throws ConfigError('restored') naming the former subtask whose position is
 * malformed, or the splits that overlap.
 */
export function restoredCsvSplits(restored: readonly SourceSplitState[]): CsvSplit[] {
  if (!Array.isArray(restored)) throw new ConfigError('restored', `must be an array of split states, got ${String(restored)}`);
  const splits: CsvSplit[] = [];
  for (const state of restored) {
    const position: unknown = state?.position;
    const problem = Array.isArray(position)
      ? position.map(splitProblem).find((p) => p !== undefined)
      : `must be an array of { offset, end, line } splits, got ${JSON.stringify(position)}`;
    if (problem !== undefined) throw new ConfigError('restored', `position of former subtask ${String(state?.subtask)} ${problem}`);
    // Copies, so that advancing the reader never mutates the caller's checkpoint data.
    for (const s of position as CsvSplit[]) splits.push({ ...s });
  }
  splits.sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < splits.length; i++) {
    const prev = splits[i - 1]!;
    if (prev.end === undefined || prev.end > splits[i]!.offset) {
      throw new ConfigError('restored', `splits overlap: ${JSON.stringify(prev)} and ${JSON.stringify(splits[i])}`);
    }
  }
  return splits;
}

const LF = 0x0a;

/**
 * The 1-based physical line at byte `offset` of the open file `fd`: one more than the line
 * feeds before it. Read synchronously, only when an error or a skipped row names a line.
 */
export function lineAt(fd: number, offset: number): number {
  const buf = Buffer.allocUnsafe(1 << 20);
  let line = 1;
  for (let at = 0; at < offset;) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, offset - at), at);
    if (n === 0) break;
    for (let i = buf.indexOf(LF, 0); i >= 0 && i < n; i = buf.indexOf(LF, i + 1)) line++;
    at += n;
  }
  return line;
}
