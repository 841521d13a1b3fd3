/**
 * The winning bid of each auction (q4 and q9): of the bids on it made between its opening and
 * its expiry, the highest price, the earliest at equal prices. Auctions and their bids meet in
 * one keyed two-input function, keyed by auction id; the winner goes out when the watermark
 * passes the expiry, after which no bid in range can come. A bid whose auction has not arrived
 * waits in state until the watermark passes its time: an auction opened before the bid would
 * have arrived by then, so a bid still waiting then matches nothing and is dropped. Each query
 * passes the columns it reads, as a query planner would project them before the shuffle. Both
 * sides travel in one stream, routed out of the events by one filter and map: a stream read by
 * two operators is not chained to either, so two branches would encode every event twice.
 */
import type { DataStream, KeyedContext, KeyedProcessFunction } from '../../runtime/index.js';
import type { Auction, Bid, NexmarkEvent } from './model.js';

/** What the join reads of an auction. */
export interface AuctionSpan { id: number; dateTime: number; expires: number }
/** What the join reads of a bid. */
export interface PricedBid { auction: number; price: number; dateTime: number }

/** An auction or a bid, as the join's one input carries them. */
export type AuctionOrBid<A, B> = { kind: 'a'; auction: A } | { kind: 'b'; bid: B };

/** An auction and its winning bid. */
export interface Winner<A, B> { auction: A; bid: B }

/** Whether bid a wins over bid b by price, then time; ties after that are broken by `tie`, so any run picks the same. */
export function beats<B extends PricedBid>(a: B, b: B, tie: (a: B, b: B) => boolean): boolean {
  if (a.price !== b.price) return a.price > b.price;
  if (a.dateTime !== b.dateTime) return a.dateTime < b.dateTime;
  return tie(a, b);
}

/** Whether a bid is in an auction's time range. */
export function inRange(a: Omit<AuctionSpan, 'id'>, b: PricedBid): boolean {
  return b.dateTime >= a.dateTime && b.dateTime <= a.expires;
}

/** An open auction and its best bid so far: one state entry per auction, so an auction adds one key to a checkpoint, not one per column. */
interface Open<A, B> { auction: A; best?: B }

function winnerOf<A extends AuctionSpan, B extends PricedBid>(tie: (a: B, b: B) => boolean): KeyedProcessFunction<AuctionOrBid<A, B>, number, Winner<A, B>> {
  const better = (bid: B, best: B | undefined) => best === undefined || beats(bid, best, tie);
  type Ctx = KeyedContext<number, Winner<A, B>>;
  const onAuction = (auction: A, ctx: Ctx) => {
    const pending = ctx.listState<B>('pending');
    const waiting = pending.get();
    let best: B | undefined;
    if (waiting.length > 0) {
      for (const bid of waiting) if (inRange(auction, bid) && better(bid, best)) best = bid;
      pending.clear();
    }
    ctx.valueState<Open<A, B>>('open').update(best === undefined ? { auction } : { auction, best });
    ctx.timers.registerEventTime(auction.expires);
  };
  const onBid = (bid: B, ctx: Ctx) => {
    const state = ctx.valueState<Open<A, B>>('open');
    const open = state.value();
    if (open === undefined) {
      ctx.listState<B>('pending').add(bid);
      ctx.timers.registerEventTime(bid.dateTime);
      return;
    }
    if (inRange(open.auction, bid) && better(bid, open.best)) state.update({ auction: open.auction, best: bid });
  };
  return {
    processElement(e, ctx) {
      if (e.kind === 'a') onAuction(e.auction, ctx);
      else onBid(e.bid, ctx);
    },
    onTimer(time, ctx) {
      const state = ctx.valueState<Open<A, B>>('open');
      const open = state.value();
      if (open !== undefined) {
        if (time !== open.auction.expires) return;
        state.clear();
        if (open.best !== undefined) ctx.emit({ auction: open.auction, bid: open.best });
        return;
      }
      const pending = ctx.listState<B>('pending');
      const still = pending.get().filter((b) => b.dateTime > time);
      if (still.length === 0) pending.clear();
      else pending.update(still);
    },
  };
}

/** The winning bids of the auctions in a stream of auctions and bids; `tie` orders bids of equal price and time. */
export function winningBids<A extends AuctionSpan, B extends PricedBid>(both: DataStream<AuctionOrBid<A, B>>, tie: (a: B, b: B) => boolean, name: string): DataStream<Winner<A, B>> {
  return both.keyBy((e) => (e.kind === 'a' ? e.auction.id : e.bid.auction)).process(winnerOf<A, B>(tie), name);
}

/** The auctions and bids of the events, projected, in one stream. */
export function auctionsAndBids<A extends AuctionSpan, B extends PricedBid>(
  events: DataStream<NexmarkEvent>, auctionOf: (a: Auction) => A, bidOf: (b: Bid) => B, name: string,
): DataStream<AuctionOrBid<A, B>> {
  return events.filter((e) => e.type !== 'person', `${name}: auctions and bids`)
    .map((e): AuctionOrBid<A, B> => (e.type === 'auction' ? { kind: 'a', auction: auctionOf(e.auction) } : { kind: 'b', bid: bidOf((e as Extract<NexmarkEvent, { type: 'bid' }>).bid) }), `${name}: columns`);
}

/** The winning bids computed plainly from the events, with the same projections: every auction's bids in range, the best of them. */
export function referenceWinners<A extends AuctionSpan, B extends PricedBid>(
  events: Iterable<NexmarkEvent>, auctionOf: (e: Extract<NexmarkEvent, { type: 'auction' }>['auction']) => A,
  bidOf: (e: Extract<NexmarkEvent, { type: 'bid' }>['bid']) => B, tie: (a: B, b: B) => boolean,
): Winner<A, B>[] {
  const auctions = new Map<number, A>();
  const bids = new Map<number, B[]>();
  for (const e of events) {
    if (e.type === 'auction') auctions.set(e.auction.id, auctionOf(e.auction));
    else if (e.type === 'bid') {
      const list = bids.get(e.bid.auction);
      if (list) list.push(bidOf(e.bid));
      else bids.set(e.bid.auction, [bidOf(e.bid)]);
    }
  }
  const out: Winner<A, B>[] = [];
  for (const a of auctions.values()) {
    let best: B | undefined;
    for (const b of bids.get(a.id) ?? []) if (inRange(a, b) && (best === undefined || beats(b, best, tie))) best = b;
    if (best !== undefined) out.push({ auction: a, bid: best });
  }
  return out;
}
