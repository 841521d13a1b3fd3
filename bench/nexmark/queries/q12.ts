/**
 * Nexmark q12, processing-time windows: each bidder's bids per tumbling 10 s window of
 * processing time. Keyed by bidder, each count waits for a processing-time timer at its
 * window's end; the end of input flushes what is open (an event-time timer at the end of
 * time, which only the final watermark reaches). Which window a bid lands in depends on when
 * it is processed, so what is compared is the final view: each bidder's bids in all windows.
 */
import { defineJob, type KeyedProcessFunction } from '../../../runtime/index.js';
import { bidStream, bidsOf, sink, type NexmarkParams, type NexmarkQuery, type ResultView } from '../query.js';

/** One result row: a bidder's bids in one processing-time window. */
export interface Q12Row { bidder: number; bid_count: number; starttime: number; endtime: number }

const SIZE_MS = 10_000;
/** The latest time a timer can have: reached only by the final watermark at the end of input. */
const END_OF_INPUT = Number.MAX_SAFE_INTEGER;

interface Open { start: number; count: number }

const perWindow: KeyedProcessFunction<number, number, Q12Row> = {
  processElement(_bidder, ctx) {
    const open = ctx.valueState<Open>('open');
    const now = ctx.timers.currentProcessingTime();
    const start = now - (now % SIZE_MS);
    const o = open.value();
    if (o !== undefined && o.start === start) {
      open.update({ start, count: o.count + 1 });
      return;
    }
    // The timer of the window before may not have fired yet when a bid of the next comes.
    if (o !== undefined) ctx.emit({ bidder: ctx.key, bid_count: o.count, starttime: o.start, endtime: o.start + SIZE_MS });
    else ctx.timers.registerEventTime(END_OF_INPUT);
    ctx.timers.registerProcessingTime(start + SIZE_MS);
    open.update({ start, count: 1 });
  },
  onTimer(_time, ctx) {
    const open = ctx.valueState<Open>('open');
    const o = open.value();
    if (o === undefined) return;
    open.clear();
    if (ctx.timeDomain === 'processing') ctx.timers.deleteEventTime(END_OF_INPUT);
    return { bidder: ctx.key, bid_count: o.count, starttime: o.start, endtime: o.start + SIZE_MS };
  },
};

/** The final view: each bidder's bids over all windows. */
const view: ResultView = {
  kind: 'final',
  final(rows) {
    const bids = new Map<number, number>();
    for (const r of rows as Q12Row[]) bids.set(r.bidder, (bids.get(r.bidder) ?? 0) + r.bid_count);
    return [...bids].map(([bidder, count]) => ({ bidder, bids: count }));
  },
};

const job = defineJob<NexmarkParams>((env, p) => {
  sink(bidStream(env, p).map((b) => b.bidder, 'Q12: bidder column').keyBy((bidder) => bidder).process(perWindow, 'Q12: bids per processing-time window'), p, view);
});
export default job;

/** The query for the benchmark. */
export const q12: NexmarkQuery = {
  name: 'q12', title: 'processing-time windows', job, view,
  reference(events) {
    const bids = new Map<number, number>();
    for (const b of bidsOf(events)) bids.set(b.bidder, (bids.get(b.bidder) ?? 0) + 1);
    return [...bids].map(([bidder, count]) => ({ bidder, bids: count }));
  },
};
