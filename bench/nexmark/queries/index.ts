/** The Nexmark queries the benchmark runs, by name, in the benchmark's order. */
import type { NexmarkQuery } from '../query.js';
import { q0 } from './q0.js';
import { q1 } from './q1.js';
import { q2 } from './q2.js';
import { q3 } from './q3.js';
import { q4 } from './q4.js';
import { q5 } from './q5.js';
import { q7 } from './q7.js';
import { q8 } from './q8.js';
import { q9 } from './q9.js';
import { q11 } from './q11.js';
import { q12 } from './q12.js';

/** Every query. */
export const QUERIES: readonly NexmarkQuery[] = [q0, q1, q2, q3, q4, q5, q7, q8, q9, q11, q12];

/** The names of the queries. */
export const QUERY_NAMES = QUERIES.map((q) => q.name);

/** Flink's published events per second per core (Flink 1.13, 8 workers, RocksDB with incremental checkpoints). */
export const FLINK_PER_CORE: Readonly<Record<string, number>> = {
  q0: 155_000, q1: 158_000, q2: 175_000, q3: 152_000, q4: 34_300, q5: 22_100, q7: 12_300, q8: 146_000, q9: 14_200, q11: 39_700, q12: 75_700,
};

/** The module file of a query's job (for worker threads and `snapflow run`). */
export function queryModule(name: string): URL {
  return new URL(`./${name}.js`, import.meta.url);
}
