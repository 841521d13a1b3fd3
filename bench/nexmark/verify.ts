/**
 * Checks a query's result against its reference: the reference computation runs over the same
 * events, in order, on this thread, and both sides are compared as multisets through their
 * digests (for a `final` query, the job's rows folded into the final view first).
 */
import type { JobResult } from '../../runtime/index.js';
import { combine, digestOf, type Digest } from './digest.js';
import { NexmarkGenerator, nexmarkConfig, type NexmarkConfig, type NexmarkOptions } from './generator.js';
import type { NexmarkEvent } from './model.js';
import { RESULT_SINK, type NexmarkQuery } from './query.js';

/** The events of the stream in order. */
export function* eventsOf(config: NexmarkConfig): Iterable<NexmarkEvent> {
  const g = new NexmarkGenerator(config);
  for (let n = 0; n < config.events; n++) yield g.event(n);
}

/** The digest of the reference result. */
export function referenceDigest(query: NexmarkQuery, options: NexmarkOptions): Digest {
  const config = nexmarkConfig(options);
  return digestOf(query.reference(eventsOf(config), config));
}

/** The digest of what a job run with the `check` sink produced. */
export function resultDigest(query: NexmarkQuery, result: JobResult): Digest {
  const out = (result.results[RESULT_SINK] ?? []) as unknown[];
  return query.view.kind === 'multiset' ? combine(out as Digest[]) : digestOf(query.view.final(out));
}

/** Whether two digests are of the same multiset. */
export function sameDigest(a: Digest, b: Digest): boolean {
  return a.rows === b.rows && a.a === b.a && a.b === b.b;
}
