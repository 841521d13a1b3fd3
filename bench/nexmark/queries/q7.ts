/**
 * Nexmark q7, highest bid: the bids with the highest price in every tumbling window of 10 s.
 * Each auction's highest bids per window first, in parallel, then those of each window meet in
 * one keyed function (keyed by the window's end) that emits the highest once the watermark
 * passes the window.
 */
import { defineJob, tumbling, type KeyedProcessFunction, type WindowResult } from '../../../runtime/index.js';
import type { Bid } from '../model.js';
import { bidStream, bidsOf, sink, type NexmarkParams, type NexmarkQuery, type ResultView } from '../query.js';

/** One result row: a bid with the window's highest price. */
export interface Q7Row { auction: number; price: number; bidder: number; dateTime: number; extra: string }

const SIZE_MS = 10_000;
const view: ResultView = { kind: 'multiset' };
const row = (b: Bid): Q7Row => ({ auction: b.auction, price: b.price, bidder: b.bidder, dateTime: b.dateTime, extra: b.extra });

/** The bids at the highest price seen. */
function highest(top: Q7Row[], bid: Q7Row): Q7Row[] {
  if (top.length === 0 || bid.price > top[0]!.price) return [bid];
  return bid.price === top[0]!.price ? [...top, bid] : top;
}

const overall: KeyedProcessFunction<WindowResult<number, Q7Row[]>, number, Q7Row> = {
  processElement(partial, ctx) {
    const top = ctx.valueState<Q7Row[]>('top');
    const current = top.value();
    if (current === undefined) ctx.timers.registerEventTime(partial.end - 1);
    top.update(partial.value.reduce(highest, current ?? []));
  },
  onTimer(_time, ctx) {
    const top = ctx.valueState<Q7Row[]>('top');
    for (const b of top.value() ?? []) ctx.emit(b);
    top.clear();
  },
};

const job = defineJob<NexmarkParams>((env, p) => {
  const top = bidStream(env, p)
    .map(row, 'Q7: bid columns')
    .keyBy((b) => b.auction)
    .window(tumbling(SIZE_MS))
    .aggregate({ createAccumulator: (): Q7Row[] => [], add: (b, top: Q7Row[]) => highest(top, b), getResult: (top) => top }, 'Q7: highest per auction and window')
    .keyBy((w) => w.end)
    .process(overall, 'Q7: highest per window');
  sink(top, p, view);
});
export default job;

/** The query for the benchmark. */
export const q7: NexmarkQuery = {
  name: 'q7', title: 'highest bid', job, view,
  reference(events) {
    const windows = new Map<number, Q7Row[]>();
    for (const b of bidsOf(events)) {
      const start = b.dateTime - (b.dateTime % SIZE_MS);
      windows.set(start, highest(windows.get(start) ?? [], row(b)));
    }
    return [...windows.values()].flat();
  },
};
