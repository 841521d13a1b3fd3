/**
 * Nexmark q3, local item suggestion: who sells in category 10 in Oregon, Idaho or California —
 * each such auction joined with its seller, a join without windows: both sides wait in keyed
 * state (persons for good, auctions until their seller arrives), keyed by person id. Waiting
 * auctions are a map by auction id, so that one more costs one entry whatever the number waiting
 * (a hot seller outside the three states collects thousands, who never come out). Both sides
 * travel in one stream routed out of the events, since a stream read by two operators is not
 * chained to either and every event would be encoded once per branch.
 */
import { defineJob, type KeyedContext, type KeyedProcessFunction } from '../../../runtime/index.js';
import type { Auction, NexmarkEvent, Person } from '../model.js';
import { nexmarkStream } from '../source.js';
import { sink, type NexmarkParams, type NexmarkQuery, type ResultView } from '../query.js';

/** One result row. */
export interface Q3Row { name: string; city: string; state: string; id: number }

const STATES = new Set(['OR', 'ID', 'CA']);
const CATEGORY = 10;
const localPerson = (p: Person) => STATES.has(p.state);
const inCategory = (a: Auction) => a.category === CATEGORY;
/** The columns q3 reads, projected before the shuffle. */
type Seller = Pick<Person, 'id' | 'name' | 'city' | 'state'>;
type Sold = Pick<Auction, 'id' | 'seller'>;

const row = (p: Seller, a: Sold): Q3Row => ({ name: p.name, city: p.city, state: p.state, id: a.id });
const view: ResultView = { kind: 'multiset' };

/** A person or an auction, as the join's one input carries them. */
type Side = { kind: 'p'; person: Seller } | { kind: 'a'; auction: Sold };

const onPerson = (person: Seller, ctx: KeyedContext<number, Q3Row>) => {
    ctx.valueState<Seller>('person').update(person);
    const waiting = ctx.mapState<number, Sold>('auctions');
    if (waiting.isEmpty()) return;
    for (const a of waiting.values()) ctx.emit(row(person, a));
    waiting.clear();
};

const join: KeyedProcessFunction<Side, number, Q3Row> = (side, ctx) => {
  if (side.kind === 'p') return onPerson(side.person, ctx);
  const person = ctx.valueState<Seller>('person').value();
  if (person !== undefined) return row(person, side.auction);
  ctx.mapState<number, Sold>('auctions').put(side.auction.id, side.auction);
};

/** The persons and auctions q3 reads, projected, in one stream. */
const route = (e: NexmarkEvent): Side => (e.type === 'person' ? { kind: 'p', person: { id: e.person.id, name: e.person.name, city: e.person.city, state: e.person.state } }
  : { kind: 'a', auction: { id: (e as Extract<NexmarkEvent, { type: 'auction' }>).auction.id, seller: (e as Extract<NexmarkEvent, { type: 'auction' }>).auction.seller } });
const read = (e: NexmarkEvent) => (e.type === 'person' && localPerson(e.person)) || (e.type === 'auction' && inCategory(e.auction));

const job = defineJob<NexmarkParams>((env, p) => {
  const joined = nexmarkStream(env, p)
    .filter(read, 'Q3: sellers in OR, ID, CA and auctions in category 10')
    .map(route, 'Q3: columns')
    .keyBy((side) => (side.kind === 'p' ? side.person.id : side.auction.seller))
    .process(join, 'Q3: join sellers');
  sink(joined, p, view);
});
export default job;

/** The query for the benchmark. */
export const q3: NexmarkQuery = {
  name: 'q3', title: 'local item suggestion', job, view,
  reference(events) {
    const persons = new Map<number, Person>();
    const auctions: Auction[] = [];
    for (const e of events) {
      if (e.type === 'person' && localPerson(e.person)) persons.set(e.person.id, e.person);
      else if (e.type === 'auction' && inCategory(e.auction)) auctions.push(e.auction);
    }
    return auctions.flatMap((a) => {
      const p = persons.get(a.seller);
      return p ? [row(p, a)] : [];
    });
  },
};
