/**
 * What every Nexmark query module shares: its parameters, the three streams of the events, the
 * sink (discarding, or checking), and the shape of a query for the benchmark and its checks. A
 * query module's default export is its job (runnable with `snapflow run`); beside it, the
 * query's plain single-threaded reference computation of the same result. A job reads the
 * events through one chain: a stream read by two operators is not chained to either, so
 * branches would encode every event once per branch.
 */
import type { DataStream, DataStreamSink, JobDefinition, StreamEnvironment } from '../../runtime/index.js';
import { DigestSink } from './digest.js';
import type { NexmarkConfig, NexmarkOptions } from './generator.js';
import type { Bid, NexmarkEvent } from './model.js';
import { nexmarkStream } from './source.js';

/** A query job's parameters: the stream's, and how its results end. */
export interface NexmarkParams extends NexmarkOptions {
  /** `discard` (default: throughput runs), or `check`: a digest or the rows, for comparing with the reference. */
  sink?: 'discard' | 'check';
}

/** The name of every query's sink, and of its results in a job result. */
export const RESULT_SINK = 'Sink: Nexmark result';

/**
 * How a query's result is compared. `multiset`: the rows as a multiset (the sink digests them).
 * Otherwise the sink collects the rows and `final` folds them into the final view the reference
 * computes (the last value per key of an updating result, say).
 */
export type ResultView = { kind: 'multiset' } | { kind: 'final'; final(rows: unknown[]): unknown[] };

/** A query: its job, its reference computation and how the two are compared. */
export interface NexmarkQuery {
  name: string;
  /** One line: what it computes. */
  title: string;
  job: JobDefinition<NexmarkParams>;
  /** The result computed plainly from the events in order (the final view, for a `final` query). */
  reference(events: Iterable<NexmarkEvent>, config: NexmarkConfig): Iterable<unknown>;
  view: ResultView;
}

/** Only the bids of the stream. */
export function bidStream(env: StreamEnvironment, p: NexmarkParams): DataStream<Bid> {
  return nexmarkStream(env, p)
    .filter((e): e is Extract<NexmarkEvent, { type: 'bid' }> => e.type === 'bid', 'Bids')
    .map((e) => e.bid, 'Bid');
}

/** Ends a query's result stream in its sink. */
export function sink<R>(results: DataStream<R>, p: NexmarkParams, view: ResultView): DataStreamSink {
  if (p.sink !== 'check') return results.discard(undefined, RESULT_SINK);
  return view.kind === 'multiset' ? results.sinkTo(() => new DigestSink(RESULT_SINK), RESULT_SINK) : results.collect(RESULT_SINK);
}

/** The bids of events, in order. */
export function* bidsOf(events: Iterable<NexmarkEvent>): Iterable<Bid> {
  for (const e of events) if (e.type === 'bid') yield e.bid;
}
