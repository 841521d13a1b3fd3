/** A test helper: reads a CSV source subtask to its end, noting its position after each poll. */
import { CsvReader, type CsvSourceOptions, type CsvSplit } from '../../operators/sources/csv.js';
import type { OperatorContext, SourceSplitState } from '../../operators/api.js';
import { systemClock } from '../../base/clock.js';
import { operatorContext } from './context.js';

function context(): OperatorContext {
  return operatorContext('csv', { clock: systemClock });
}

type Rec = Record<string, unknown>;
export interface ReadResult { records: Rec[]; positions: CsvSplit[][]; metrics: Record<string, unknown> }

/** Where subtask i of p reads, fresh or from the positions it inherits. */
export interface Share { subtask?: number; parallelism?: number; restored?: SourceSplitState[] }

/** Reads to the end polling `max` at a time; positions[i] is the position after i records. */
export async function readAll(options: CsvSourceOptions, max = 1000, share: Share = {}): Promise<ReadResult> {
  const reader = new CsvReader(options, share.subtask, share.parallelism, share.restored);
  const ctx = context();
  const records: Rec[] = [];
  await reader.open(ctx);
  const positions = [reader.position()];
  try {
    for (;;) {
      const before = records.length;
      const more = await reader.poll(max, { collect: (r) => records.push(r as Rec) });
      if (records.length - before > max) throw new Error(`poll emitted ${records.length - before} > ${max} records`);
      if (max === 1 && records.length > before) positions.push(reader.position());
      if (!more) break;
    }
  } finally {
    await reader.close();
  }
  return { records, positions, metrics: ctx.metrics };
}

