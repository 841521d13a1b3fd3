/** Plain computations of what the fixture jobs must produce, for comparison in tests. */
import { generateTransaction, resolveGeneratorOptions } from '../../operators/sources/generator.js';
import type { CountRow } from '../fixtures/jobs/counts.js';

/** Final count and cents per customer of the counts job, computed without the runtime. */
export function expectedCounts(records: number, keys: number): Map<string, { count: number; cents: number }> {
  const opts = resolveGeneratorOptions({ records, keys, seed: 7 });
  const out = new Map<string, { count: number; cents: number }>();
  for (let seq = 0; seq < records; seq++) {
    const r = generateTransaction(seq, opts);
    const prev = out.get(r.customer_id) ?? { count: 0, cents: 0 };
    out.set(r.customer_id, { count: prev.count + 1, cents: prev.cents + Math.round(r.amount * 100) });
  }
  return out;
}

/** The final row per customer of a counts job run (the one with the highest count). */
export function finalCounts(rows: CountRow[]): Map<string, { count: number; cents: number }> {
  const out = new Map<string, { count: number; cents: number }>();
  for (const r of rows) {
    const prev = out.get(r.customer_id);
    if (!prev || r.count > prev.count) out.set(r.customer_id, { count: r.count, cents: r.cents });
  }
  return out;
}

/** Sorted "customer:count" strings: the multiset of running counts, independent of interleaving. */
export function countMultiset(rows: CountRow[]): string[] {
  return rows.map((r) => `${r.customer_id}:${r.count}`).sort();
}
