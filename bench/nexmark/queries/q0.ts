/** Nexmark q0, pass-through: every bid's fields as they are; measures the runtime's own cost. */
import { defineJob } from '../../../runtime/index.js';
import type { Bid } from '../model.js';
import { bidStream, bidsOf, sink, type NexmarkParams, type NexmarkQuery, type ResultView } from '../query.js';

/** One result row. */
export interface Q0Row { auction: number; bidder: number; price: number; dateTime: number; extra: string }

const row = (b: Bid): Q0Row => ({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, extra: b.extra });
const view: ResultView = { kind: 'multiset' };

const job = defineJob<NexmarkParams>((env, p) => {
  sink(bidStream(env, p).map(row, 'Q0: pass-through'), p, view);
});
export default job;

/** The query for the benchmark. */
export const q0: NexmarkQuery = {
  name: 'q0', title: 'pass-through', job, view,
  *reference(events) {
    for (const b of bidsOf(events)) yield row(b);
  },
};
