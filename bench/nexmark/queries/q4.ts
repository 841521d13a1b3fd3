/**
 * Nexmark q4, average closing price per category: each auction's winning price, then per
 * category the average over its closed auctions (whole cents, rounded down), updated as each
 * auction closes. Its result is the last average of every category.
 */
import { defineJob } from '../../../runtime/index.js';
import type { Auction, Bid } from '../model.js';
import { nexmarkStream } from '../source.js';
import { sink, type NexmarkParams, type NexmarkQuery, type ResultView } from '../query.js';
import { auctionsAndBids, referenceWinners, winningBids, type AuctionSpan, type PricedBid } from '../winning-bids.js';

/** One result row: a category's average closing price so far. */
export interface Q4Row { category: number; avg: number }

/** The columns q4 reads of an auction. */
interface CategoryAuction extends AuctionSpan { category: number }

const auctionOf = (a: Auction): CategoryAuction => ({ id: a.id, dateTime: a.dateTime, expires: a.expires, category: a.category });
const bidOf = (b: Bid): PricedBid => ({ auction: b.auction, price: b.price, dateTime: b.dateTime });
// Only the price is read: which of two equal bids wins does not matter.
const tie = () => false;

const view: ResultView = {
  kind: 'final',
  final(rows) {
    const last = new Map<number, unknown>();
    for (const r of rows as Q4Row[]) last.set(r.category, r);
    return [...last.values()];
  },
};

const job = defineJob<NexmarkParams>((env, p) => {
  const averages = winningBids(auctionsAndBids(nexmarkStream(env, p), auctionOf, bidOf, 'Q4'), tie, 'Q4: winning bids')
    .keyBy((w) => w.auction.category)
    .process((w, ctx): Q4Row => {
      const total = ctx.valueState<{ sum: number; count: number }>('total');
      const t = total.value() ?? { sum: 0, count: 0 };
      const next = { sum: t.sum + w.bid.price, count: t.count + 1 };
      total.update(next);
      return { category: ctx.key, avg: Math.floor(next.sum / next.count) };
    }, 'Q4: average per category');
  sink(averages, p, view);
});
export default job;

/** The query for the benchmark. */
export const q4: NexmarkQuery = {
  name: 'q4', title: 'average closing price per category', job, view,
  reference(events) {
    const totals = new Map<number, { sum: number; count: number }>();
    for (const { auction, bid } of referenceWinners(events, auctionOf, bidOf, tie)) {
      const t = totals.get(auction.category) ?? { sum: 0, count: 0 };
      totals.set(auction.category, { sum: t.sum + bid.price, count: t.count + 1 });
    }
    return [...totals].map(([category, t]): Q4Row => ({ category, avg: Math.floor(t.sum / t.count) }));
  },
};
