/**
 * Deterministic synthetic transactions for benchmarks and tests. Every field of record `seq`
 * is a function of (seed, seq) alone, through a counter-based hash rather than a sequential
 * PRNG, so any record can be generated directly: subtasks split the sequence without
 * coordination and a restart resumes at a sequence number without replaying anything.
 *
 * Splits and restore: the stream is the sequence numbers startAt … records-1 (`records`
 * counts from 0, so startAt only moves the beginning). It is cut into splits, a split being
 * { next, stride }: the numbers next, next+stride, … below `records`. A fresh subtask i of p
 * owns one split { next: startAt+i, stride: p }; the union over i is the whole stream for any p.
 * position() is the reader's unexhausted splits as GeneratorSplit[] ([] once exhausted). On
 * restore a reader takes the union of the splits in the positions it inherits, so, as Flink
 * redistributes source splits, any assignment of the former subtasks' positions to the new
 * subtasks continues exactly, at any parallelism; a subtask that inherits nothing is done at
 * once. Splits are never cut further, so subtasks added by scaling up stay idle. A reader
 * merges its splits in ascending sequence order: its output is increasing, as with one split.
 */
import type { Collector, OperatorContext, SourceReader, SourceSplitState } from '../api.js';
import { wallNow, type Clock } from '../../base/clock.js';
import { murmurMix } from '../../base/keygroups.js';
import { ConfigError } from '../../base/errors.js';
import { ZipfSampler } from './zipf.js';
import { restoredSplits, SplitMerge, type GeneratorSplit } from './generator-splits.js';
import { checkNumber } from '../../base/validate.js';
import { Pacer } from '../../base/pacer.js';

/** The element of position(); defined with the split merging in generator-splits.ts. */
export type { GeneratorSplit };

/** Options of the synthetic transaction source. */
export interface GeneratorOptions {
  /** Exclusive upper bound of sequence numbers, i.e. the record count of a run from 0. */
  records: number;
  /** Number of distinct customers; customer ids are 'C0' … 'C<keys-1>'. */
  keys: number;
  /** How customers are drawn; 'cyclic' is customer seq mod keys, so each key's records are in order in one split (for exactly-once checks). */
  distribution?: 'uniform' | 'zipf' | 'cyclic';
  /** Zipf exponent s, default 1.1; rank k is drawn with weight 1/(k+1)^s. */
  zipfExponent?: number;
  /** Length of the `payload` string, default 0 (no payload field). */
  payloadBytes?: number;
  /** Records per second over all subtasks; undefined for unlimited. */
  ratePerSec?: number;
  /** Default 42. */
  seed?: number;
  /** First sequence number of the whole stream, default 0. */
  startAt?: number;
  /** Sets `emittedAt` to the wall time of emission, for end-to-end latency measurement. */
  stampWallTime?: boolean;
}

/** One generated record. */
export interface Transaction {
  transaction_id: number;
  customer_id: string;
  /** In [1, 10000), whole cents. */
  amount: number;
  /** Event time in epoch milliseconds: GENERATOR_EPOCH_MS + transaction_id * 1000. */
  timestamp: number;
  /** Present when payloadBytes > 0. */
  payload?: string;
  /** Present when stampWallTime; the only non-deterministic field. */
  emittedAt?: number;
}

declare const resolvedBrand: unique symbol;

/** Validated options with defaults applied, plus precomputed state; from resolveGeneratorOptions. */
export interface ResolvedGeneratorOptions {
  readonly records: number;
  readonly keys: number;
  readonly distribution: 'uniform' | 'zipf' | 'cyclic';
  readonly zipfExponent: number;
  readonly payloadBytes: number;
  readonly ratePerSec: number | undefined;
  readonly seed: number;
  readonly startAt: number;
  readonly stampWallTime: boolean;
  /** Only resolveGeneratorOptions can produce one, since the precomputed state is hidden. */
  readonly [resolvedBrand]: true;
}

interface Plan extends ResolvedGeneratorOptions {
  readonly zipf: ZipfSampler | undefined;
  readonly keyA: number;
  readonly keyB: number;
  readonly amountKey: number;
  readonly streamBase: number;
  readonly payloadBase: string;
}

/** 2024-03-01T00:00:00Z, the timestamp of sequence number 0. */
export const GENERATOR_EPOCH_MS = Date.UTC(2024, 2, 1);

// Timestamps must stay exact integers.
const MAX_RECORDS = Math.floor((Number.MAX_SAFE_INTEGER - GENERATOR_EPOCH_MS) / 1000);
const MAX_KEYS = 2 ** 32;
// One shared base string is allocated per reader; bound it so a typo cannot exhaust memory.
const MAX_PAYLOAD_BYTES = 1 << 24;
// Beyond this the cache costs more memory than the string building it saves; Zipf ranks are
// mostly small, so even with more keys most samples still hit the cache.
const ID_CACHE_LIMIT = 1 << 20;
const PAYLOAD_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const TWO_32 = 4294967296;
const TWO_53 = 9007199254740992;
// Amount in cents is 100 + floor(h * AMOUNT_SCALE) for a 32-bit hash h: at most 999999.
const AMOUNT_SCALE = 999900 / TWO_32;

/** murmur3_x86_32 of the two 32-bit words (lo, hi) with the given seed. */
function hash2(lo: number, hi: number, seed: number): number {
  let k = Math.imul(lo, 0xcc9e2d51);
  k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
  let h = seed ^ k;
  h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
  k = Math.imul(hi, 0xcc9e2d51);
  k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
  h ^= k;
  h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
  return murmurMix(h ^ 8);
}

/** Uniform double in [0, 1) with 53 random bits, from two independently keyed hashes. */
function uniform53(lo: number, hi: number, keyA: number, keyB: number): number {
  return ((hash2(lo, hi, keyA) >>> 5) * 67108864 + (hash2(lo, hi, keyB) >>> 6)) / TWO_53;
}

const integer = (option: string, value: unknown, min: number, max: number) => checkNumber(option, value, { integer: true, min, max });

/** Throws ConfigError naming the first option whose value is unusable. */
export function validateGeneratorOptions(opts: GeneratorOptions): void {
  integer('records', opts.records, 0, MAX_RECORDS);
  integer('keys', opts.keys, 1, MAX_KEYS);
  if (opts.distribution !== undefined && !['uniform', 'zipf', 'cyclic'].includes(opts.distribution)) {
    throw new ConfigError('distribution', `must be 'uniform', 'zipf' or 'cyclic', got ${String(opts.distribution)}`);
  }
  const s = opts.zipfExponent;
  if (s !== undefined && (typeof s !== 'number' || !Number.isFinite(s) || s < 0)) {
    throw new ConfigError('zipfExponent', `must be a finite number >= 0, got ${String(s)}`);
  }
  if (opts.payloadBytes !== undefined) integer('payloadBytes', opts.payloadBytes, 0, MAX_PAYLOAD_BYTES);
  const rate = opts.ratePerSec;
  if (rate !== undefined && (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0)) {
    throw new ConfigError('ratePerSec', `must be a finite number > 0 (omit it for no limit), got ${String(rate)}`);
  }
  if (opts.seed !== undefined) integer('seed', opts.seed, 0, Number.MAX_SAFE_INTEGER);
  if (opts.startAt !== undefined) integer('startAt', opts.startAt, 0, opts.records);
}

/** Validates options, applies defaults and precomputes what generateTransaction needs. */
export function resolveGeneratorOptions(opts: GeneratorOptions): ResolvedGeneratorOptions {
  validateGeneratorOptions(opts);
  const distribution = opts.distribution ?? 'uniform';
  const zipfExponent = opts.zipfExponent ?? 1.1;
  const seed = opts.seed ?? 42;
  const payloadBytes = opts.payloadBytes ?? 0;
  const seedLo = seed >>> 0;
  const streamBase = hash2(seedLo, (seed - seedLo) / TWO_32, 0x5eed5eed);
  const patternLength = payloadBytes + PAYLOAD_CHARS.length;
  const plan: Omit<Plan, typeof resolvedBrand> = {
    records: opts.records,
    keys: opts.keys,
    distribution,
    zipfExponent,
    payloadBytes,
    ratePerSec: opts.ratePerSec,
    seed,
    startAt: opts.startAt ?? 0,
    stampWallTime: opts.stampWallTime ?? false,
    zipf: distribution === 'zipf' ? new ZipfSampler(opts.keys, zipfExponent) : undefined,
    keyA: hash2(streamBase, 1, 0x9e3779b9),
    keyB: hash2(streamBase, 2, 0x9e3779b9),
    amountKey: hash2(streamBase, 3, 0x9e3779b9),
    streamBase,
    payloadBase: payloadBytes === 0 ? '' : PAYLOAD_CHARS.repeat(Math.ceil(patternLength / PAYLOAD_CHARS.length)).slice(0, patternLength),
  };
  return plan as Plan;
}

/** Zipf rank for a record; rejected attempts draw fresh uniforms from attempt-numbered streams. */
function zipfKey(p: Plan, zipf: ZipfSampler, lo: number, hi: number): number {
  let k = zipf.tryRank(uniform53(lo, hi, p.keyA, p.keyB));
  for (let attempt = 1; k < 0; attempt++) {
    const a = hash2(p.streamBase, 2 * attempt + 16, 0x9e3779b9);
    const b = hash2(p.streamBase, 2 * attempt + 17, 0x9e3779b9);
    k = zipf.tryRank(uniform53(lo, hi, a, b));
  }
  return k;
}

/**
 * customer_id strings for keys below ID_CACHE_LIMIT, shared by every reader on the thread:
 * one copy per reader multiplied the working set by the parallelism and thrashed the CPU cache.
 */
const idCache: string[] = [];

function customerId(key: number): string {
  if (key >= ID_CACHE_LIMIT) return 'C' + key;
  let id = idCache[key];
  if (id === undefined) {
    while (idCache.length < key) idCache.push(undefined as unknown as string);
    idCache[key] = id = 'C' + key;
  }
  return id;
}

/** The record with sequence number `seq` (a safe integer >= 0), without emittedAt. */
export function generateTransaction(seq: number, opts: ResolvedGeneratorOptions): Transaction {
  const p = opts as Plan;
  const lo = seq >>> 0;
  const hi = (seq - lo) / TWO_32;
  const key = p.zipf !== undefined ? zipfKey(p, p.zipf, lo, hi) : p.distribution === 'cyclic' ? seq % p.keys : Math.floor(uniform53(lo, hi, p.keyA, p.keyB) * p.keys);
  const tx: Transaction = {
    transaction_id: seq,
    customer_id: customerId(key),
    amount: (100 + Math.floor(hash2(lo, hi, p.amountKey) * AMOUNT_SCALE)) / 100,
    timestamp: GENERATOR_EPOCH_MS + seq * 1000,
  };
  if (p.payloadBytes > 0) {
    // A slice of one shared string: V8 makes it a view, so the payload costs no copying.
    const offset = seq % PAYLOAD_CHARS.length;
    tx.payload = p.payloadBase.slice(offset, offset + p.payloadBytes);
  }
  return tx;
}

/** Reads one subtask's splits of the synthetic stream; see the module comment. */
export class GeneratorReader implements SourceReader {
  private readonly plan: ResolvedGeneratorOptions;
  private readonly splits: SplitMerge;
  /** The schedule of this subtask's share of the rate; null when unlimited. */
  private readonly pacer: Pacer | null;
  private clock: Clock | undefined;

  /**
   * Without `restored` the subtask reads its fresh split; with it, the union of the splits in
   * those positions (values of position() of readers with the same options), possibly none.
   */
  constructor(options: GeneratorOptions, subtask: number, parallelism: number, restored?: SourceSplitState[]) {
    this.plan = resolveGeneratorOptions(options);
    integer('parallelism', parallelism, 1, 1 << 20);
    integer('subtask', subtask, 0, parallelism - 1);
    const { startAt, records } = this.plan;
    const splits = restored === undefined ? [{ next: startAt + subtask, stride: parallelism }] : restoredSplits(restored, startAt);
    this.splits = new SplitMerge(splits, records);
    this.pacer = this.plan.ratePerSec === undefined ? null : new Pacer(this.plan.ratePerSec / parallelism / 1000);
  }

  open(ctx: OperatorContext): void {
    this.clock = ctx.clock;
  }

  poll(max: number, out: Collector): boolean | Promise<boolean> {
    const pacer = this.pacer;
    if (pacer === null || this.splits.next >= this.plan.records) return this.emit(max, out);
    const clock = this.clock;
    if (clock === undefined) throw new Error('GeneratorReader.poll() called before open()');
    // The schedule starts at the first poll, not at open(), so a slow job start is no backlog.
    const now = clock.now();
    const due = pacer.due(now);
    if (due > 0) return this.emit(Math.min(max, due), out);
    // After the sleep at least one record is due; rounding in due() must not stall the source.
    return clock.sleep(pacer.waitMs(now)).then(() => this.emit(Math.min(max, Math.max(1, pacer.due(clock.now()))), out));
  }

  /** The unexhausted splits, as fresh copies ordered by next; [] once exhausted. */
  position(): GeneratorSplit[] {
    return this.splits.splits();
  }

  private emit(max: number, out: Collector): boolean {
    const { records, stampWallTime } = this.plan;
    const splits = this.splits;
    let count = 0;
    // One stamp per poll: a poll takes microseconds, and reading the clock per record cost more than generating it.
    const emittedAt = stampWallTime ? wallNow() : 0;
    for (;;) {
      const stride = splits.stride;
      const end = Math.min(records, splits.limit);
      let seq = splits.next;
      for (; count < max && seq < end; count++, seq += stride) {
        const tx = generateTransaction(seq, this.plan);
        if (stampWallTime) tx.emittedAt = emittedAt;
        // Advance before collect so that position() is right even if a downstream operator throws.
        splits.next = seq + stride;
        out.collect(tx);
      }
      // Advancing even when max is reached keeps the head unexhausted while other splits remain.
      if (seq < end || !splits.advance()) break;
    }
    this.pacer?.emitted(count);
    return splits.next < records;
  }
}
