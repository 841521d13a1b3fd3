/** The Nexmark generator: its proportions, ids, hot items, sizes and event times; determinism; splits and resume. */
import t from 'tap';
import { NexmarkGenerator, nexmarkConfig, NEXMARK_EPOCH_MS, type NexmarkOptions } from '../../../bench/nexmark/generator.js';
import { NexmarkReader, type NexmarkSplit } from '../../../bench/nexmark/source.js';
import type { Auction, Bid, NexmarkEvent, Person } from '../../../bench/nexmark/model.js';
import type { SourceSplitState } from '../../../runtime/index.js';
import { configError } from '../../support/config-error.js';

function events(options: NexmarkOptions): NexmarkEvent[] {
  const g = new NexmarkGenerator(nexmarkConfig(options));
  return Array.from({ length: options.events }, (_, n) => g.event(n));
}

/** Bytes as the model counts them: 8 per number, one per character. */
const size = (o: object) => Object.values(o).reduce((n: number, v) => n + (typeof v === 'number' ? 8 : String(v).length), 0);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

t.test('persons, auctions and bids come 1 : 3 : 46 in every 50 events, with the model\'s ids, hot items and sizes', async (t) => {
  const all = events({ events: 50_000, rate: 1000 });
  const persons = all.flatMap((e) => (e.type === 'person' ? [e.person] : [])) as Person[];
  const auctions = all.flatMap((e) => (e.type === 'auction' ? [e.auction] : [])) as Auction[];
  const bids = all.flatMap((e) => (e.type === 'bid' ? [e.bid] : [])) as Bid[];
  t.same([persons.length, auctions.length, bids.length], [1000, 3000, 46_000], 'exact proportions');
  t.same(all.slice(0, 50).map((e) => e.type), ['person', 'auction', 'auction', 'auction', ...Array(46).fill('bid')], 'a person, three auctions, 46 bids');
  t.same(persons.map((p) => p.id), persons.map((_, i) => 1000 + i), 'person ids count up from 1000');
  t.same(auctions.map((a) => a.id), auctions.map((_, i) => 1000 + i), 'auction ids count up from 1000');
  t.ok(auctions.every((a) => a.category >= 10 && a.category < 15 && a.reserve >= a.initialBid && a.expires > a.dateTime), 'categories 10 to 14, reserve over the initial bid, expiry after opening');
  t.ok(bids.every((b) => b.price >= 100 && b.price <= 100_000_000), 'prices from $1 to $1,000,000 in cents');
  const hotAuctions = bids.filter((b) => (b.auction - 1000) % 100 === 0).length / bids.length;
  const hotBidders = bids.filter((b) => (b.bidder - 1000) % 100 === 1).length / bids.length;
  const hotSellers = auctions.filter((a) => (a.seller - 1000) % 100 === 0).length / auctions.length;
  t.ok(hotAuctions > 0.48 && hotAuctions < 0.56, `about half the bids on a hot auction (${hotAuctions.toFixed(3)})`);
  t.ok(hotBidders > 0.73 && hotBidders < 0.8, `about three quarters by a hot bidder (${hotBidders.toFixed(3)})`);
  t.ok(hotSellers > 0.72 && hotSellers < 0.8, `about three quarters of the auctions by a hot seller (${hotSellers.toFixed(3)})`);
  let lastAuction = 999;
  let lastPerson = 999;
  let ahead = 0;
  for (const e of all) {
    if (e.type === 'person') lastPerson = e.person.id;
    else if (e.type === 'auction') lastAuction = e.auction.id;
    else if (e.bid.auction > lastAuction + 10 || e.bid.bidder > lastPerson + 10) ahead++;
  }
  t.equal(ahead, 0, 'a bid names at most ten auctions or people not yet created');
  for (const [what, xs, target] of [['person', persons, 200], ['auction', auctions, 500], ['bid', bids, 100]] as const) {
    const m = mean(xs.map(size));
    t.ok(Math.abs(m - target) / target < 0.15, `a ${what} is about ${target} B (${m.toFixed(1)})`);
  }
});

t.test('event time advances with the event number at the rate', async (t) => {
  const times = (rate: number) => events({ events: 5000, rate }).map((e) => (e.type === 'bid' ? e.bid.dateTime : e.type === 'auction' ? e.auction.dateTime : e.person.dateTime));
  t.same(times(1000), Array.from({ length: 5000 }, (_, n) => NEXMARK_EPOCH_MS + n), '1000 events per second: one per millisecond');
  t.same(times(10_000_000).at(-1), NEXMARK_EPOCH_MS, '10 million per second: 5000 events within the first millisecond');
});

t.test('the stream is a function of the seed and the event number', async (t) => {
  const a = events({ events: 3000, seed: 7, rate: 1000 });
  t.same(events({ events: 3000, seed: 7, rate: 1000 }), a, 'same seed, same events');
  t.not(JSON.stringify(events({ events: 3000, seed: 8, rate: 1000 })), JSON.stringify(a), 'another seed, other events');
  const g = new NexmarkGenerator(nexmarkConfig({ events: 3000, seed: 7, rate: 1000 }));
  t.same([2999, 17, 1234].map((n) => g.event(n)), [a[2999], a[17], a[1234]], 'any event directly, in any order');
});

/** Reads a reader to the end (or `limit` events), returning the event times of what it emitted. */
function read(reader: NexmarkReader, limit = Infinity): number[] {
  const out: NexmarkEvent[] = [];
  const collector = { collect: (e: NexmarkEvent) => void out.push(e) };
  while (out.length < limit && reader.poll(Math.min(97, limit - out.length), collector));
  return out.map((e) => (e.type === 'bid' ? e.bid : e.type === 'auction' ? e.auction : e.person)).map((x) => (x as { dateTime: number }).dateTime - NEXMARK_EPOCH_MS);
}

t.test('source subtasks split the stream and a restore at another parallelism resumes exactly', async (t) => {
  const o = { events: 4000, rate: 1000 };
  for (const p of [1, 2, 3]) {
    const got = Array.from({ length: p }, (_, i) => read(new NexmarkReader(o, i, p)));
    t.ok(got.every((g) => g.every((n, k) => k === 0 || n > g[k - 1]!)), `p=${p}: each subtask in event order`);
    t.same(got.flat().sort((a, b) => a - b), Array.from({ length: 4000 }, (_, n) => n), `p=${p}: every event once`);
  }
  const before = [0, 1].map((i) => new NexmarkReader(o, i, 2));
  const first = before.map((r, i) => read(r, 500 + i * 300));
  const positions: SourceSplitState[] = before.map((r, subtask) => ({ subtask, parallelism: 2, position: r.position() }));
  const after = [0, 1, 2].map((i) => read(new NexmarkReader(o, i, 3, positions.filter((s) => s.subtask % 3 === i))));
  t.same([...first, ...after].flat().sort((a, b) => a - b), Array.from({ length: 4000 }, (_, n) => n), 'read at 2, resumed at 3: every event once');
  t.same(new NexmarkReader(o, 0, 1, [{ subtask: 0, parallelism: 1, position: [] }]).position(), [], 'an exhausted position reads nothing');
  const both: NexmarkSplit[] = [{ next: 10, stride: 2 }, { next: 11, stride: 2 }];
  t.same(read(new NexmarkReader({ events: 20, rate: 1000 }, 0, 1, [{ subtask: 0, parallelism: 1, position: both }])), [10, 11, 12, 13, 14, 15, 16, 17, 18, 19], 'two shares merge in event order');
});

t.test('bad options and positions are refused by name', async (t) => {
  configError(t, () => nexmarkConfig({ events: -1 }), [/events/, /integer/], 'events');
  configError(t, () => nexmarkConfig({ events: 10, rate: 0 }), [/rate/, /> 0/], 'rate');
  configError(t, () => nexmarkConfig({ events: 10, seed: 1.5 }), [/seed/], 'seed');
  configError(t, () => new NexmarkReader({ events: 10 }, 0, 1, [{ subtask: 4, parallelism: 5, position: [{ next: 'x' }] }]), [/former subtask 4/, /next, stride/], 'position');
});
