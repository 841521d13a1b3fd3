/** Nexmark q9, winning bids: every auction with its winning bid, once it has closed. */
import { defineJob } from '../../../runtime/index.js';
import type { Auction, Bid } from '../model.js';
import { nexmarkStream } from '../source.js';
import { sink, type NexmarkParams, type NexmarkQuery, type ResultView } from '../query.js';
import { auctionsAndBids, referenceWinners, winningBids, type Winner } from '../winning-bids.js';

/** One result row: the auction's fields and its winning bid's. */
export interface Q9Row {
  id: number; itemName: string; description: string; initialBid: number; reserve: number; dateTime: number; expires: number;
  seller: number; category: number; extra: string; auction: number; bidder: number; price: number; bid_dateTime: number; bid_extra: string;
}

/** The columns q9 reads of a bid. */
interface WinningBid { auction: number; bidder: number; price: number; dateTime: number; extra: string }

const bidOf = (b: Bid): WinningBid => ({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, extra: b.extra });
const tie = (a: WinningBid, b: WinningBid) => a.bidder < b.bidder || (a.bidder === b.bidder && a.extra < b.extra);
const auctionOf = (a: Auction) => a;

const row = ({ auction: a, bid: b }: Winner<Auction, WinningBid>): Q9Row => ({
  id: a.id, itemName: a.itemName, description: a.description, initialBid: a.initialBid, reserve: a.reserve, dateTime: a.dateTime, expires: a.expires,
  seller: a.seller, category: a.category, extra: a.extra, auction: b.auction, bidder: b.bidder, price: b.price, bid_dateTime: b.dateTime, bid_extra: b.extra,
});
const view: ResultView = { kind: 'multiset' };

const job = defineJob<NexmarkParams>((env, p) => {
  sink(winningBids(auctionsAndBids(nexmarkStream(env, p), auctionOf, bidOf, 'Q9'), tie, 'Q9: winning bids').map(row, 'Q9: rows'), p, view);
});
export default job;

/** The query for the benchmark. */
export const q9: NexmarkQuery = {
  name: 'q9', title: 'winning bids', job, view,
  reference: (events) => referenceWinners(events, auctionOf, bidOf, tie).map(row),
};
