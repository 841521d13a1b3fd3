/** Nexmark q1, currency conversion: every bid with its price in euros (× 0.908). */
import { defineJob } from '../../../runtime/index.js';
import type { Bid } from '../model.js';
import { bidStream, bidsOf, sink, type NexmarkParams, type NexmarkQuery, type ResultView } from '../query.js';

/** One result row. */
export interface Q1Row { auction: number; bidder: number; price: number; dateTime: number; extra: string }

const row = (b: Bid): Q1Row => ({ auction: b.auction, bidder: b.bidder, price: 0.908 * b.price, dateTime: b.dateTime, extra: b.extra });
const view: ResultView = { kind: 'multiset' };

const job = defineJob<NexmarkParams>((env, p) => {
  sink(bidStream(env, p).map(row, 'Q1: to euros'), p, view);
});
export default job;

/** The query for the benchmark. */
export const q1: NexmarkQuery = {
  name: 'q1', title: 'currency conversion', job, view,
  *reference(events) {
    for (const b of bidsOf(events)) yield row(b);
  },
};
