/**
 * Nexmark's generator: event n of the stream is a person, an auction or a bid by n mod 50
 * (1 : 3 : 46), with the ids, hot auctions, hot bidders, hot sellers and sizes of the
 * benchmark's model, and its event time advancing with n at the configured rate. Every field
 * of event n is a function of the seed and n alone (a generator seeded per event), so source
 * subtasks split the stream without coordination and a restore resumes at an event number.
 */
import { ConfigError } from '../../runtime/index.js';
import type { Auction, Bid, NexmarkEvent, Person } from './model.js';

/** What shapes the stream; the defaults are the benchmark's. */
export interface NexmarkOptions {
  /** Events in the stream (numbers 0 … events − 1). */
  events: number;
  /** Events per second of event time (Flink's runs: 10,000,000). */
  rate?: number;
  /** Default 42. */
  seed?: number;
  /** At most this many events per second of wall-clock time over all source subtasks (default: as fast as the job takes them). */
  throttle?: number;
}

/** Options with their defaults, checked. */
export interface NexmarkConfig {
  readonly events: number;
  readonly rate: number;
  readonly seed: number;
  readonly throttle: number | undefined;
  /** Random lowercase text that strings are cut from, made from the seed. */
  readonly text: string;
}

/** The event time of event 0: 2026-01-01T00:00:00Z. */
export const NEXMARK_EPOCH_MS = Date.UTC(2026, 0, 1);
/** Events per second of event time when no rate is given. */
export const DEFAULT_RATE = 10_000_000;
/** Events of each kind in every 50 consecutive events. */
export const PROPORTIONS = { person: 1, auction: 3, bid: 46 } as const;
const TOTAL = 50;
const FIRST_PERSON_ID = 1000;
const FIRST_AUCTION_ID = 1000;
const FIRST_CATEGORY_ID = 10;
const CATEGORIES = 5;
/** People who are still active, auctions still open: the ids a random pick chooses from. */
const ACTIVE_PEOPLE = 1000;
const IN_FLIGHT_AUCTIONS = 100;
/** Ids not yet created that a pick may still name. */
const ID_LEAD = 10;
/** One hot id in every 100; a hot pick chooses it with probability (ratio − 1) / ratio. */
const HOT_SPACING = 100;
const HOT_AUCTION_RATIO = 2;
const HOT_BIDDER_RATIO = 4;
const HOT_SELLER_RATIO = 4;
const SIZE = { person: 200, auction: 500, bid: 100 } as const;
const FIRST_NAMES = ['Peter', 'Paul', 'Luke', 'John', 'Saul', 'Vicky', 'Kate', 'Julie', 'Sarah', 'Deiter', 'Walter'];
const LAST_NAMES = ['Shultz', 'Abrams', 'Spencer', 'White', 'Bartels', 'Walton', 'Smith', 'Jones', 'Noris'];
const STATES = ['AZ', 'CA', 'ID', 'OR', 'WA', 'WY'];
const CITIES = ['Phoenix', 'Los Angeles', 'San Francisco', 'Boise', 'Portland', 'Bend', 'Redmond', 'Seattle', 'Kent', 'Cheyenne'];
const HOT_CHANNELS = ['Google', 'Facebook', 'Baidu', 'Apple'];
const CHANNELS = 10_000;
const TEXT_LENGTH = 1 << 16;
const MAX_EVENTS = 2 ** 50;

/** A small generator of uniform numbers, reseeded for each event. */
class EventRandom {
  private s = 0;
  /** Seeds from (seed, n) through a 32-bit mix of both halves of each. */
  reseed(seed: number, n: number): void {
    let h = mix(seed ^ 0x9e3779b9);
    h = mix(h ^ (n >>> 0));
    this.s = mix(h ^ Math.floor(n / 4294967296));
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Uniform integer in [0, k). */
  int(k: number): number {
    return Math.floor(this.next() * k);
  }
}

function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Checks the options and fills in the defaults; ConfigError names the option. */
export function nexmarkConfig(o: NexmarkOptions): NexmarkConfig {
  const { events, rate = DEFAULT_RATE, seed = 42, throttle } = o;
  if (!Number.isSafeInteger(events) || events < 0 || events > MAX_EVENTS) throw new ConfigError('events', `must be an integer from 0 to 2^50, got ${String(events)}`);
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0) throw new ConfigError('rate', `must be a number of events per second > 0, got ${String(rate)}`);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new ConfigError('seed', `must be an integer ≥ 0, got ${String(seed)}`);
  if (throttle !== undefined && (typeof throttle !== 'number' || !Number.isFinite(throttle) || throttle <= 0)) {
    throw new ConfigError('throttle', `must be a number of events per second > 0 (omit it for no limit), got ${String(throttle)}`);
  }
  const r = new EventRandom();
  r.reseed(seed, -1);
  let text = '';
  for (let i = 0; i < TEXT_LENGTH; i++) text += String.fromCharCode(97 + r.int(26));
  return { events, rate, seed, throttle, text };
}

/** The event time of event n. */
export function timestampOf(n: number, c: NexmarkConfig): number {
  return NEXMARK_EPOCH_MS + Math.floor((n * 1000) / c.rate);
}

/** The kind of event n. */
export function kindOf(n: number): NexmarkEvent['type'] {
  const rem = n % TOTAL;
  return rem < PROPORTIONS.person ? 'person' : rem < PROPORTIONS.person + PROPORTIONS.auction ? 'auction' : 'bid';
}

/** The 0-based id of the newest person at event n. */
function lastPerson(n: number): number {
  return Math.floor(n / TOTAL);
}

/** The 0-based id of the newest auction at event n (−1 before the first). */
function lastAuction(n: number): number {
  let epoch = Math.floor(n / TOTAL);
  let offset = n % TOTAL;
  if (offset < PROPORTIONS.person) {
    epoch--;
    offset = PROPORTIONS.auction - 1;
  } else if (offset >= PROPORTIONS.person + PROPORTIONS.auction) {
    offset = PROPORTIONS.auction - 1;
  } else {
    offset -= PROPORTIONS.person;
  }
  return epoch * PROPORTIONS.auction + offset;
}

/** A 0-based person id among the active people, or one a little ahead of the newest. */
function somePerson(n: number, r: EventRandom): number {
  const people = lastPerson(n) + 1;
  const active = Math.min(people, ACTIVE_PEOPLE);
  return people - active + r.int(active + ID_LEAD);
}

/** A 0-based auction id among those in flight, or one a little ahead of the newest. */
function someAuction(n: number, r: EventRandom): number {
  const newest = lastAuction(n);
  const oldest = Math.max(newest - IN_FLIGHT_AUCTIONS, 0);
  return oldest + r.int(newest - oldest + 1 + ID_LEAD);
}

/** Generates events; one per thread is enough (it keeps a cache of channel URLs). */
export class NexmarkGenerator {
  private readonly r = new EventRandom();
  private readonly channels = new Map<number, { channel: string; url: string }>();
  private readonly hot: { channel: string; url: string }[];

  constructor(readonly config: NexmarkConfig) {
    this.hot = HOT_CHANNELS.map((channel, i) => ({ channel, url: this.baseUrl(CHANNELS + i) }));
  }

  /** Event n (0 ≤ n < events). */
  event(n: number): NexmarkEvent {
    const r = this.r;
    r.reseed(this.config.seed, n);
    const time = timestampOf(n, this.config);
    switch (kindOf(n)) {
      case 'person': return { type: 'person', person: this.person(n, time) };
      case 'auction': return { type: 'auction', auction: this.auction(n, time) };
      default: return { type: 'bid', bid: this.bid(n, time) };
    }
  }

  private person(n: number, dateTime: number): Person {
    const r = this.r;
    const name = `${FIRST_NAMES[r.int(FIRST_NAMES.length)]} ${LAST_NAMES[r.int(LAST_NAMES.length)]}`;
    const emailAddress = `${this.text(7)}@${this.text(5)}.com`;
    const creditCard = [0, 1, 2, 3].map(() => String(r.int(10000)).padStart(4, '0')).join(' ');
    const city = CITIES[r.int(CITIES.length)]!;
    const state = STATES[r.int(STATES.length)]!;
    const size = 8 + name.length + emailAddress.length + creditCard.length + city.length + state.length + 8;
    return { id: lastPerson(n) + FIRST_PERSON_ID, name, emailAddress, creditCard, city, state, dateTime, extra: this.extra(size, SIZE.person) };
  }

  private auction(n: number, dateTime: number): Auction {
    const r = this.r;
    const base = r.int(HOT_SELLER_RATIO) > 0 ? Math.floor(lastPerson(n) / HOT_SPACING) * HOT_SPACING : somePerson(n, r);
    const category = FIRST_CATEGORY_ID + r.int(CATEGORIES);
    const initialBid = price(r);
    const itemName = this.text(20);
    const description = this.text(100);
    const reserve = initialBid + price(r);
    // Auctions stay open for about as long as it takes to open the next IN_FLIGHT_AUCTIONS.
    const horizon = timestampOf(n + Math.floor((IN_FLIGHT_AUCTIONS * TOTAL) / PROPORTIONS.auction), this.config) - dateTime;
    const expires = dateTime + 1 + r.int(Math.max(horizon * 2, 1));
    const size = 8 + itemName.length + description.length + 8 + 8 + 8 + 8 + 8;
    return {
      id: lastAuction(n) + FIRST_AUCTION_ID, itemName, description, initialBid, reserve, dateTime, expires,
      seller: base + FIRST_PERSON_ID, category, extra: this.extra(size, SIZE.auction),
    };
  }

  private bid(n: number, dateTime: number): Bid {
    const r = this.r;
    const auction = (r.int(HOT_AUCTION_RATIO) > 0 ? Math.floor(lastAuction(n) / HOT_SPACING) * HOT_SPACING : someAuction(n, r)) + FIRST_AUCTION_ID;
    const bidder = (r.int(HOT_BIDDER_RATIO) > 0 ? Math.floor(lastPerson(n) / HOT_SPACING) * HOT_SPACING + 1 : somePerson(n, r)) + FIRST_PERSON_ID;
    const p = price(r);
    const { channel, url } = r.int(2) > 0 ? this.hot[r.int(this.hot.length)]! : this.channel(r.int(CHANNELS));
    return { auction, bidder, price: p, channel, url, dateTime, extra: this.extra(32 + channel.length + url.length, SIZE.bid) };
  }

  /** Channel number k's name and URL, made once per thread. */
  private channel(k: number): { channel: string; url: string } {
    let c = this.channels.get(k);
    if (c === undefined) this.channels.set(k, (c = { channel: `channel-${k}`, url: `${this.baseUrl(k)}&channel_id=${k}` }));
    return c;
  }

  /** A URL whose path segments are fixed by k, so every thread makes the same one. */
  private baseUrl(k: number): string {
    const at = (i: number) => mix(k * 3 + i) % (TEXT_LENGTH - 5);
    const t = this.config.text;
    return `https://www.nexmark.com/${t.slice(at(0), at(0) + 5)}/${t.slice(at(1), at(1) + 5)}/${t.slice(at(2), at(2) + 5)}/item.htm?query=1`;
  }

  /** `length` random letters (a view of the shared text for longer strings: no copying). */
  private text(length: number): string {
    const at = this.r.int(TEXT_LENGTH - length);
    return this.config.text.slice(at, at + length);
  }

  /** Padding that brings an event from `size` bytes to about `average` (±20%). */
  private extra(size: number, average: number): string {
    if (size >= average) return '';
    const want = average - size;
    const delta = Math.round(want * 0.2);
    return this.text(want - delta + (delta === 0 ? 0 : this.r.int(2 * delta)));
  }
}

/** A price in cents, log-uniform from $1 to $1,000,000. */
function price(r: EventRandom): number {
  return Math.round(10 ** (r.next() * 6) * 100);
}
