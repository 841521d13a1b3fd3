/**
 * Nexmark q5, hot items: in every sliding window of 10 s starting each 2 s, the auctions with
 * the most bids. Bids are counted per auction and window, then the counts of each window meet
 * in one keyed function (keyed by the window's end) that emits the highest once the watermark
 * passes the window.
 */
import { defineJob, sliding, type KeyedProcessFunction, type WindowResult } from '../../../runtime/index.js';
import { bidStream, bidsOf, sink, type NexmarkParams, type NexmarkQuery, type ResultView } from '../query.js';

/** One result row: an auction with the most bids in a window, and how many. */
export interface Q5Row { auction: number; num: number }

const SIZE_MS = 10_000;
const SLIDE_MS = 2_000;
const view: ResultView = { kind: 'multiset' };

interface Leaders { num: number; auctions: number[] }

const hottest: KeyedProcessFunction<WindowResult<number, number>, number, Q5Row> = {
  processElement(count, ctx) {
    const leaders = ctx.valueState<Leaders>('leaders');
    const l = leaders.value();
    if (l === undefined) ctx.timers.registerEventTime(count.end - 1);
    if (l === undefined || count.value > l.num) leaders.update({ num: count.value, auctions: [count.key] });
    else if (count.value === l.num) leaders.update({ num: l.num, auctions: [...l.auctions, count.key] });
  },
  onTimer(_time, ctx) {
    const leaders = ctx.valueState<Leaders>('leaders');
    const l = leaders.value();
    leaders.clear();
    if (l !== undefined) for (const auction of l.auctions) ctx.emit({ auction, num: l.num });
  },
};

const job = defineJob<NexmarkParams>((env, p) => {
  const hot = bidStream(env, p)
    .map((b) => b.auction, 'Q5: auction column')
    .keyBy((auction) => auction)
    .window(sliding(SIZE_MS, SLIDE_MS))
    .aggregate({ createAccumulator: () => 0, add: (_auction, n: number) => n + 1, getResult: (n) => n, merge: (a, b) => a + b }, 'Q5: bids per auction and window')
    .keyBy((c) => c.end)
    .process(hottest, 'Q5: hottest per window');
  sink(hot, p, view);
});
export default job;

/** The query for the benchmark. */
export const q5: NexmarkQuery = {
  name: 'q5', title: 'hot items', job, view,
  reference(events) {
    const counts = new Map<number, Map<number, number>>();
    for (const b of bidsOf(events)) {
      const latest = b.dateTime - (b.dateTime % SLIDE_MS);
      for (let start = latest; start > b.dateTime - SIZE_MS; start -= SLIDE_MS) {
        let perAuction = counts.get(start);
        if (!perAuction) counts.set(start, (perAuction = new Map()));
        perAuction.set(b.auction, (perAuction.get(b.auction) ?? 0) + 1);
      }
    }
    const rows: Q5Row[] = [];
    for (const perAuction of counts.values()) {
      const num = Math.max(...perAuction.values());
      for (const [auction, n] of perAuction) if (n === num) rows.push({ auction, num });
    }
    return rows;
  },
};
