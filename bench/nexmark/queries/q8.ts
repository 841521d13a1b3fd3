/**
 * Nexmark q8, new users: the people who opened an auction in the same tumbling 10 s window in
 * which they registered. Persons and auctions, keyed by person id (the seller's, for an
 * auction), routed out of the events into one stream, meet in tumbling windows, each keeping just the person's name and
 * whether they sold; a window with the person and at least one of their auctions yields a row.
 */
import { defineJob, tumbling } from '../../../runtime/index.js';
import type { Auction, NexmarkEvent, Person } from '../model.js';
import { nexmarkStream } from '../source.js';
import { sink, type NexmarkParams, type NexmarkQuery, type ResultView } from '../query.js';

/** One result row: a new seller and the start of the window they registered in. */
export interface Q8Row { id: number; name: string; starttime: number }

/** A person (with a name) or an auction's seller (without), in one stream. */
interface Party { id: number; name?: string }

/** What a window saw of one person id: the person's name once they registered, and whether they sold. */
interface Seen { name?: string; sold: boolean }

const SIZE_MS = 10_000;
const view: ResultView = { kind: 'multiset' };

const job = defineJob<NexmarkParams>((env, p) => {
  const joined = nexmarkStream(env, p)
    .filter((e) => e.type !== 'bid', 'Q8: persons and auctions')
    .map((e): Party => (e.type === 'person' ? { id: e.person.id, name: e.person.name } : { id: (e as Extract<NexmarkEvent, { type: 'auction' }>).auction.seller }), 'Q8: person or seller')
    .keyBy((party) => party.id)
    .window(tumbling(SIZE_MS))
    .aggregate({
      createAccumulator: (): Seen => ({ sold: false }),
      add: (party, seen) => (party.name === undefined ? { ...seen, sold: true } : { ...seen, name: party.name }),
      getResult: (seen) => seen,
    }, 'Q8: new sellers per window')
    .flatMap((w): Q8Row[] => (w.value.name !== undefined && w.value.sold ? [{ id: w.key, name: w.value.name, starttime: w.start }] : []), 'Q8: rows');
  sink(joined, p, view);
});
export default job;

const windowOf = (time: number) => time - (time % SIZE_MS);

/** The query for the benchmark. */
export const q8: NexmarkQuery = {
  name: 'q8', title: 'new users', job, view,
  reference(events) {
    const persons: Person[] = [];
    const sold = new Set<string>();
    for (const e of events) {
      if (e.type === 'person') persons.push(e.person);
      else if (e.type === 'auction') sold.add(`${(e.auction as Auction).seller}@${windowOf(e.auction.dateTime)}`);
    }
    return persons.filter((x) => sold.has(`${x.id}@${windowOf(x.dateTime)}`)).map((x): Q8Row => ({ id: x.id, name: x.name, starttime: windowOf(x.dateTime) }));
  },
};
