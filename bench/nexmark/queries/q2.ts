/** Nexmark q2, selection: the auction and price of the bids on every 123rd auction. */
import { defineJob } from '../../../runtime/index.js';
import type { Bid } from '../model.js';
import { bidStream, bidsOf, sink, type NexmarkParams, type NexmarkQuery, type ResultView } from '../query.js';

/** One result row. */
export interface Q2Row { auction: number; price: number }

const AUCTION_SKIP = 123;
const selected = (b: Bid) => b.auction % AUCTION_SKIP === 0;
const row = (b: Bid): Q2Row => ({ auction: b.auction, price: b.price });
const view: ResultView = { kind: 'multiset' };

const job = defineJob<NexmarkParams>((env, p) => {
  sink(bidStream(env, p).filter(selected, 'Q2: every 123rd auction').map(row, 'Q2: auction and price'), p, view);
});
export default job;

/** The query for the benchmark. */
export const q2: NexmarkQuery = {
  name: 'q2', title: 'selection', job, view,
  reference: (events) => Array.from(bidsOf(events)).filter(selected).map(row),
};
