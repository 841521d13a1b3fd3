/** Nexmark q11, user sessions: each bidder's bids per session, a session ending after 10 s without a bid. */
import { defineJob, session } from '../../../runtime/index.js';
import { bidStream, bidsOf, sink, type NexmarkParams, type NexmarkQuery, type ResultView } from '../query.js';

/** One result row: a bidder's session, its bids and its span (from the first bid to 10 s after the last). */
export interface Q11Row { bidder: number; bid_count: number; starttime: number; endtime: number }

const GAP_MS = 10_000;
const view: ResultView = { kind: 'multiset' };

const job = defineJob<NexmarkParams>((env, p) => {
  const sessions = bidStream(env, p)
    .map((b) => b.bidder, 'Q11: bidder column')
    .keyBy((bidder) => bidder)
    .window(session(GAP_MS))
    .aggregate({ createAccumulator: () => 0, add: (_bidder, n: number) => n + 1, getResult: (n) => n, merge: (a, b) => a + b }, 'Q11: bids per session')
    .map((s): Q11Row => ({ bidder: s.key, bid_count: s.value, starttime: s.start, endtime: s.end }), 'Q11: rows');
  sink(sessions, p, view);
});
export default job;

/** The query for the benchmark. */
export const q11: NexmarkQuery = {
  name: 'q11', title: 'user sessions', job, view,
  reference(events) {
    const times = new Map<number, number[]>();
    for (const b of bidsOf(events)) {
      const list = times.get(b.bidder);
      if (list) list.push(b.dateTime);
      else times.set(b.bidder, [b.dateTime]);
    }
    const rows: Q11Row[] = [];
    for (const [bidder, list] of times) {
      list.sort((a, b) => a - b);
      let start = list[0]!;
      let count = 0;
      for (let i = 0; i < list.length; i++) {
        count++;
        const last = list[i]!;
        const next = list[i + 1];
        // Sessions whose spans touch are one session.
        if (next === undefined || next > last + GAP_MS) {
          rows.push({ bidder, bid_count: count, starttime: start, endtime: last + GAP_MS });
          if (next !== undefined) start = next;
          count = 0;
        }
      }
    }
    return rows;
  },
};
