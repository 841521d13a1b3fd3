import t from 'tap';
import type { OperatorContext, SourceSplitState } from '../../../operators/api.js';
import { ManualClock, type Clock } from '../../../base/clock.js';
import { ConfigError } from '../../../base/errors.js';
import {
  GENERATOR_EPOCH_MS, GeneratorReader, generateTransaction, resolveGeneratorOptions, validateGeneratorOptions,
  type GeneratorOptions, type GeneratorSplit, type Transaction,
} from '../../../operators/sources/generator.js';
import { operatorContext } from '../../support/context.js';

function ctx(subtask = 0, parallelism = 1, clock: Clock = new ManualClock()): OperatorContext {
  return operatorContext('gen', { subtask, parallelism, clock });
}

function collector(into: Transaction[]) {
  return { collect: (r: unknown) => void into.push(r as Transaction) };
}

/** Drains an unlimited reader synchronously, `batch` records per poll. */
function drain(reader: GeneratorReader, batch = 100, into: Transaction[] = []): Transaction[] {
  const out = collector(into);
  while (reader.poll(batch, out) === true);
  return into;
}

function readAll(opts: GeneratorOptions, parallelism = 1): Transaction[] {
  const all: Transaction[] = [];
  for (let i = 0; i < parallelism; i++) {
    const r = new GeneratorReader(opts, i, parallelism);
    r.open(ctx(i, parallelism));
    drain(r, 37, all);
  }
  return all.sort((a, b) => a.transaction_id - b.transaction_id);
}

t.test('same seed gives identical records, another seed different ones', async (t) => {
  const opts: GeneratorOptions = { records: 2000, keys: 500, distribution: 'zipf' };
  const a = readAll(opts);
  t.strictSame(readAll(opts), a);
  const b = readAll({ ...opts, seed: 43 });
  const differing = a.filter((r, i) => r.customer_id !== b[i]!.customer_id || r.amount !== b[i]!.amount).length;
  t.ok(differing > 1900, `${differing} of 2000 records differ`);
});

t.test('record fields', async (t) => {
  const records = readAll({ records: 5000, keys: 100, seed: 9 });
  t.equal(records.length, 5000);
  let bad = 0;
  records.forEach((r, seq) => {
    const key = Number(r.customer_id.slice(1));
    const ok = r.transaction_id === seq && r.timestamp === GENERATOR_EPOCH_MS + seq * 1000
      && /^C\d+$/.test(r.customer_id) && key < 100
      && r.amount >= 1 && r.amount < 10000 && Math.round(r.amount * 100) / 100 === r.amount
      && !('payload' in r) && !('emittedAt' in r);
    if (!ok) bad++;
  });
  t.equal(bad, 0, 'every record has well-formed fields');
  t.equal(GENERATOR_EPOCH_MS, Date.parse('2024-03-01T00:00:00Z'));
  const amounts = records.map((r) => r.amount);
  t.ok(Math.min(...amounts) < 100 && Math.max(...amounts) > 9900, 'amounts span the range');
});

t.test('generateTransaction gives any record directly', async (t) => {
  const opts: GeneratorOptions = { records: 3000, keys: 1000, distribution: 'zipf', payloadBytes: 20, seed: 5 };
  const all = readAll(opts);
  const resolved = resolveGeneratorOptions(opts);
  for (const seq of [0, 1, 17, 999, 2999]) t.strictSame(generateTransaction(seq, resolved), all[seq], `seq ${seq}`);
  const far = 2 ** 40 + 5;
  const big = resolveGeneratorOptions({ records: 2 ** 41, keys: 10 ** 7 });
  t.strictSame(generateTransaction(far, big), generateTransaction(far, big), 'large sequence numbers are deterministic');
  t.equal(generateTransaction(far, big).timestamp, GENERATOR_EPOCH_MS + far * 1000);
  const lows = new Set<string>();
  for (let hi = 0; hi < 8; hi++) lows.add(JSON.stringify(generateTransaction(hi * 2 ** 32 + 5, big).amount));
  t.ok(lows.size > 4, 'the high word of the sequence number is mixed in');
});

t.test('parallel split: any parallelism yields the same records', async (t) => {
  const opts: GeneratorOptions = { records: 1000, keys: 50, distribution: 'zipf', payloadBytes: 3 };
  const one = readAll(opts, 1);
  t.strictSame(readAll(opts, 2), one, 'p = 2');
  t.strictSame(readAll(opts, 3), one, 'p = 3');
  const expected = Array.from({ length: 93 }, (_, i) => i + 7);
  for (const p of [1, 2, 3, 5, 200]) {
    t.strictSame(ids(readAll({ records: 100, keys: 5, startAt: 7 }, p)), expected, `startAt 7, p = ${p}`);
  }
  const r = new GeneratorReader({ records: 100, keys: 5, startAt: 7 }, 1, 3);
  t.strictSame(drain(r).slice(0, 3).map((x) => x.transaction_id), [8, 11, 14], 'subtask i emits startAt + i + j·p');
  t.strictSame(readAll({ records: 10, keys: 5, startAt: 10 }, 2), [], 'startAt = records is an empty stream');
});

function state(subtask: number, parallelism: number, position: unknown): SourceSplitState {
  return { subtask, parallelism, position };
}

const ids = (rs: Transaction[]) => rs.map((r) => r.transaction_id);

function increasing(seqs: number[]): boolean {
  return seqs.every((x, i) => i === 0 || x > seqs[i - 1]!);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

t.test('a fresh reader has one split, and position() lists the unexhausted splits', async (t) => {
  const opts: GeneratorOptions = { records: 20, keys: 5, startAt: 3 };
  const r = new GeneratorReader(opts, 2, 4);
  t.strictSame(r.position(), [{ next: 5, stride: 4 }]);
  t.strictSame(ids(drain(r)), [5, 9, 13, 17], 'the split is startAt + subtask, stride parallelism');
  t.strictSame(r.position(), [], 'exhausted: no splits');
  t.strictSame(new GeneratorReader({ ...opts, startAt: 19 }, 1, 2).position(), [], 'a split starting at records is exhausted at once');
  const whole = new GeneratorReader(opts, 0, 1);
  const pos = whole.position();
  pos[0]!.next = 100;
  t.strictSame(whole.position(), [{ next: 3, stride: 1 }], 'position() returns copies');
  const restored = [state(0, 1, [{ next: 7, stride: 2 }])];
  drain(new GeneratorReader(opts, 0, 1, restored));
  t.strictSame(restored[0]!.position, [{ next: 7, stride: 2 }], 'the restored positions are not mutated');
});

t.test('restore at the same parallelism continues exactly', async (t) => {
  const opts: GeneratorOptions = { records: 500, keys: 30, distribution: 'zipf', startAt: 4 };
  const p = 3;
  for (const subtask of [0, 2]) {
    const full = drain(new GeneratorReader(opts, subtask, p));
    for (const cut of [0, 1, 50, 163, 164]) {
      const first = new GeneratorReader(opts, subtask, p);
      const head: Transaction[] = [];
      first.poll(cut, collector(head));
      const pos = first.position();
      const expected = cut < full.length ? [{ next: full[cut]!.transaction_id, stride: p }] : [];
      t.strictSame(pos, expected, 'the position is the split from the next sequence number on');
      // A checkpoint stores the position serialized.
      const restored = [state(subtask, p, JSON.parse(JSON.stringify(pos)))];
      const rest = drain(new GeneratorReader(opts, subtask, p, restored), 7);
      t.strictSame([...head, ...rest], full, `subtask ${subtask} restored after ${cut}`);
    }
  }
  const done = new GeneratorReader(opts, 1, p, [state(1, p, [])]);
  const none: Transaction[] = [];
  t.equal(done.poll(10, collector(none)), false, 'restoring an exhausted position reads nothing');
  t.equal(none.length, 0);
});

/**
 * Runs the stream through successive parallelisms: at each stage every subtask reads some
 * records, then new subtask i of the next stage restores the positions of former subtasks k
 * with k mod q = i. The last stage reads to the end. Returns every emitted sequence number, and
 * the readers whose output was not increasing.
 */
function rescale(opts: GeneratorOptions, stages: number[]): { emitted: number[]; unordered: string[] } {
  const emitted: number[] = [];
  const unordered: string[] = [];
  let states: SourceSplitState[] | undefined;
  stages.forEach((q, stage) => {
    const last = stage === stages.length - 1;
    const next: SourceSplitState[] = [];
    for (let i = 0; i < q; i++) {
      const restored = states?.filter((s) => s.subtask % q === i);
      const r = new GeneratorReader(opts, i, q, restored);
      const got: Transaction[] = [];
      if (last) drain(r, 7, got);
      else r.poll((i * 37 + stage * 11) % 60, collector(got));
      const seqs = ids(got);
      if (!increasing(seqs)) unordered.push(`stage ${stage}, subtask ${i}/${q}`);
      emitted.push(...seqs);
      next.push(state(i, q, r.position()));
    }
    states = next;
  });
  return { emitted, unordered };
}

t.test('rescaling: old and new subtasks together emit every number exactly once', async (t) => {
  const opts: GeneratorOptions = { records: 300, keys: 10, startAt: 5 };
  for (const stages of [[2, 3], [3, 1], [1, 2], [3, 2], [4, 2], [3, 2, 5, 1], [1, 4, 3, 4, 2]]) {
    const { emitted, unordered } = rescale(opts, stages);
    t.strictSame(emitted.sort((a, b) => a - b), range(5, 300), stages.join(' → '));
    t.strictSame(unordered, [], 'every reader emits in increasing order');
  }
  const short = rescale({ records: 40, keys: 3 }, [3, 2, 1]);
  t.strictSame(short.emitted.sort((a, b) => a - b), range(0, 40), 'some subtasks exhausted before the restore');
});

t.test('several splits are merged in increasing order', async (t) => {
  const opts: GeneratorOptions = { records: 200, keys: 7, distribution: 'zipf', seed: 8 };
  const splits: GeneratorSplit[] = [{ next: 40, stride: 4 }, { next: 1, stride: 4 }, { next: 6, stride: 4 }, { next: 103, stride: 4 }];
  const expected = splits.flatMap((s) => range(0, 200).filter((x) => x >= s.next && (x - s.next) % s.stride === 0)).sort((a, b) => a - b);
  const resolved = resolveGeneratorOptions(opts);
  for (const batch of [1, 3, 50, 1000]) {
    const r = new GeneratorReader(opts, 0, 1, [state(0, 4, splits.slice(0, 2)), state(2, 4, splits.slice(2))]);
    const got = drain(r, batch);
    t.strictSame(ids(got), expected, `batch ${batch}`);
    t.ok(got.every((x) => JSON.stringify(x) === JSON.stringify(generateTransaction(x.transaction_id, resolved))), 'records as generated');
  }
  const mixed = new GeneratorReader(opts, 0, 1, [state(0, 2, [{ next: 0, stride: 2 }]), state(1, 3, [{ next: 0, stride: 3 }, { next: 0, stride: 3 }])]);
  t.strictSame(ids(drain(mixed, 4)), range(0, 200).filter((x) => x % 2 === 0 || x % 3 === 0), 'overlapping splits: their union, each number once');

  const full = ids(drain(new GeneratorReader(opts, 1, 2, [state(1, 4, splits)])));
  for (const cut of [0, 1, 10, 11, 49, 99]) {
    const first = new GeneratorReader(opts, 1, 2, [state(1, 4, splits)]);
    const head: Transaction[] = [];
    first.poll(cut, collector(head));
    const pos = first.position();
    t.ok(increasing(pos.map((s) => s.next)), 'position() is ordered by next');
    const rest = drain(new GeneratorReader(opts, 0, 1, [state(1, 2, pos)]), 9);
    t.strictSame([...ids(head), ...ids(rest)], full, `a merged reader restored after ${cut}`);
  }
});

t.test('an empty restored list is exhausted at once', async (t) => {
  for (const ratePerSec of [undefined, 5]) {
    const r = new GeneratorReader({ records: 100, keys: 5, ratePerSec }, 3, 4, []);
    r.open(ctx(3, 4));
    const got: Transaction[] = [];
    t.equal(r.poll(10, collector(got)), false, `synchronously, ratePerSec ${ratePerSec}`);
    t.equal(got.length, 0);
    t.strictSame(r.position(), []);
  }
});

t.test('malformed restored positions name the former subtask', async (t) => {
  const opts: GeneratorOptions = { records: 100, keys: 5, startAt: 10 };
  const good = state(1, 3, [{ next: 11, stride: 3 }]);
  const cases: unknown[] = [
    17, null, undefined, 'x', { next: 11, stride: 3 }, [null], [5], [[11, 3]], [{ next: 11 }], [{ stride: 3 }],
    [{ next: 11.5, stride: 3 }], [{ next: '11', stride: 3 }], [{ next: Number.NaN, stride: 3 }], [{ next: Infinity, stride: 3 }],
    [{ next: 2 ** 53, stride: 3 }], [{ next: 11, stride: 0 }], [{ next: 11, stride: -3 }], [{ next: 11, stride: 1.5 }],
    [{ next: 9, stride: 3 }], [{ next: 11, stride: 3 }, { next: -1, stride: 3 }],
  ];
  for (const position of cases) {
    t.throws(() => new GeneratorReader(opts, 0, 2, [good, state(5, 6, position)]),
      { name: 'ConfigError', detail: { option: 'restored' }, message: /former subtask 5\b/ }, JSON.stringify(position) ?? 'undefined');
  }
  t.throws(() => new GeneratorReader(opts, 0, 2, [null as unknown as SourceSplitState]), { name: 'ConfigError', detail: { option: 'restored' } });
  t.throws(() => new GeneratorReader(opts, 0, 2, {} as unknown as SourceSplitState[]), { name: 'ConfigError', detail: { option: 'restored' } });
  t.doesNotThrow(() => new GeneratorReader(opts, 0, 2, [good, state(2, 3, [{ next: 500, stride: 1 }])]), 'a split past records is exhausted, not malformed');
});

t.test('poll contract', async (t) => {
  const r = new GeneratorReader({ records: 10, keys: 3 }, 0, 1);
  const got: Transaction[] = [];
  t.equal(r.poll(4, collector(got)), true);
  t.equal(got.length, 4);
  t.equal(r.poll(0, collector(got)), true, 'max 0 emits nothing');
  t.equal(got.length, 4);
  t.equal(r.poll(6, collector(got)), false, 'false once the last record is emitted');
  t.equal(got.length, 10);
  t.equal(r.poll(6, collector(got)), false);
  t.equal(got.length, 10);
});

t.test('key distributions', async (t) => {
  const uniform = readAll({ records: 20_000, keys: 10, seed: 3 });
  const counts = new Map<string, number>();
  for (const r of uniform) counts.set(r.customer_id, (counts.get(r.customer_id) ?? 0) + 1);
  t.equal(counts.size, 10, 'uniform keys cover every key');
  for (const [k, c] of counts) t.ok(Math.abs(c - 2000) < 6 * Math.sqrt(2000), `${k}: ${c}`);
  t.equal(new Set(readAll({ records: 400, keys: 37 }).map((r) => r.customer_id)).size, 37);

  for (const s of [1.1, 1.5]) {
    const zipf = readAll({ records: 200_000, keys: 1_000_000, distribution: 'zipf', zipfExponent: s });
    let c0 = 0;
    let c1 = 0;
    for (const r of zipf) {
      if (r.customer_id === 'C0') c0++;
      else if (r.customer_id === 'C1') c1++;
    }
    t.ok(Math.abs(c0 / c1 / 2 ** s - 1) < 0.06, `s=${s}: C0/C1 = ${(c0 / c1).toFixed(3)} vs ${(2 ** s).toFixed(3)}`);
  }
  const tail = readAll({ records: 50_000, keys: 10_000_000, distribution: 'zipf' });
  t.ok(tail.some((r) => Number(r.customer_id.slice(1)) >= 1 << 20), 'keys above the id cache are generated');
});

t.test('payload has exactly payloadBytes ASCII characters', async (t) => {
  for (const bytes of [1, 12, 13, 1000]) {
    const rs = readAll({ records: 200, keys: 5, payloadBytes: bytes });
    t.ok(rs.every((r) => r.payload!.length === bytes && Buffer.byteLength(r.payload!) === bytes && /^[\x21-\x7e]+$/.test(r.payload!)), `${bytes} bytes`);
    t.ok(new Set(rs.map((r) => r.payload)).size > 1, 'payload varies with the sequence number');
  }
});

t.test('stampWallTime adds emittedAt', async (t) => {
  const rs = readAll({ records: 5, keys: 5, stampWallTime: true });
  t.ok(rs.every((r) => typeof r.emittedAt === 'number'));
  const resolved = resolveGeneratorOptions({ records: 5, keys: 5, stampWallTime: true });
  t.notOk('emittedAt' in generateTransaction(0, resolved), 'generateTransaction stays deterministic');
});

t.test('invalid options name the option', async (t) => {
  const base: GeneratorOptions = { records: 10, keys: 5 };
  const cases: [string, Record<string, unknown>][] = [
    ['records', { records: -1 }], ['records', { records: 1.5 }], ['records', { records: Number.NaN }],
    ['records', { records: Infinity }], ['records', { records: undefined }],
    ['keys', { keys: 0 }], ['keys', { keys: 2.5 }], ['keys', { keys: '5' }],
    ['distribution', { distribution: 'normal' }],
    ['zipfExponent', { zipfExponent: -1 }], ['zipfExponent', { zipfExponent: Number.NaN }], ['zipfExponent', { zipfExponent: Infinity }],
    ['payloadBytes', { payloadBytes: -1 }], ['payloadBytes', { payloadBytes: 0.5 }],
    ['ratePerSec', { ratePerSec: 0 }], ['ratePerSec', { ratePerSec: -5 }], ['ratePerSec', { ratePerSec: Infinity }],
    ['ratePerSec', { ratePerSec: Number.NaN }],
    ['seed', { seed: -1 }], ['seed', { seed: 1.5 }], ['seed', { seed: Infinity }],
    ['startAt', { startAt: -1 }], ['startAt', { startAt: 2.5 }], ['startAt', { startAt: 11 }],
  ];
  for (const [option, patch] of cases) {
    const opts = { ...base, ...patch } as GeneratorOptions;
    t.throws(() => validateGeneratorOptions(opts), { name: 'ConfigError', detail: { option } }, `${option}: ${JSON.stringify(patch)}`);
    t.throws(() => new GeneratorReader(opts, 0, 1), ConfigError);
  }
  t.throws(() => new GeneratorReader(base, 0, 0), { name: 'ConfigError', detail: { option: 'parallelism' } });
  t.throws(() => new GeneratorReader(base, 2, 2), { name: 'ConfigError', detail: { option: 'subtask' } });
  t.doesNotThrow(() => validateGeneratorOptions({ ...base, zipfExponent: 0, payloadBytes: 0, ratePerSec: 0.5, seed: 0, startAt: 10 }));
});

t.test('rate limiting follows ctx.clock', async (t) => {
  const clock = new ManualClock();
  // 10/s over 2 subtasks: one record every 200 ms on this subtask.
  const r = new GeneratorReader({ records: 100, keys: 5, ratePerSec: 10 }, 1, 2);
  r.open(ctx(1, 2, clock));
  const got: Transaction[] = [];
  const out = collector(got);
  t.equal(r.poll(50, out), true, 'the first record is due at once, synchronously');
  t.equal(got.length, 1);
  const pending = r.poll(50, out);
  t.ok(pending instanceof Promise, 'ahead of schedule: a promise');
  let settled = false;
  void (pending as Promise<boolean>).then(() => { settled = true; });
  clock.advance(199);
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(settled, false, 'still sleeping before the next slot');
  t.equal(got.length, 1);
  clock.advance(1);
  t.equal(await pending, true);
  t.equal(got.length, 2, 'one record at 200 ms');
  clock.advance(1000);
  t.equal(r.poll(50, out), true, 'a backlog is caught up synchronously');
  t.equal(got.length, 7, 'five more slots passed by 1200 ms');
  clock.advance(10_000);
  t.equal(r.poll(3, out), true, 'the catch-up respects max');
  t.equal(got.length, 10);
  clock.advance(1_000_000);
  t.equal(r.poll(1000, out), false);
  t.equal(got.length, 50, 'the subtask emitted its half');
  t.strictSame(got.map((x) => x.transaction_id), Array.from({ length: 50 }, (_, i) => 2 * i + 1));
  t.equal(r.poll(1, out), false, 'an exhausted rate-limited reader does not sleep');

  const fast = new GeneratorReader({ records: 10_000, keys: 5, ratePerSec: 1000 }, 0, 1);
  const clock2 = new ManualClock();
  fast.open(ctx(0, 1, clock2));
  const n: Transaction[] = [];
  let slept = 0;
  fast.poll(10_000, collector(n));
  for (let i = 0; i < 100; i++) {
    clock2.advance(10);
    if (fast.poll(10_000, collector(n)) instanceof Promise) slept++;
  }
  t.equal(slept, 0, 'polling behind schedule never sleeps');
  t.equal(n.length, 1001, '1000 records per second of clock time, plus the one due at time 0');

  // 10/s over 2 subtasks after a restore from 4: this subtask merges two splits at 5/s.
  const clock3 = new ManualClock();
  const merged = new GeneratorReader({ records: 100, keys: 5, ratePerSec: 10 }, 0, 2, [state(0, 4, [{ next: 0, stride: 4 }]), state(2, 4, [{ next: 2, stride: 4 }])]);
  merged.open(ctx(0, 2, clock3));
  const m: Transaction[] = [];
  for (let ms = 0; ms <= 1000; ms += 200) {
    if (ms > 0) clock3.advance(200);
    t.equal(merged.poll(50, collector(m)), true, `due at ${ms} ms`);
  }
  t.strictSame(ids(m), [0, 2, 4, 6, 8, 10], 'one record every 200 ms, in sequence order');
  const pending2 = merged.poll(50, collector(m));
  t.ok(pending2 instanceof Promise, 'ahead of schedule');
  clock3.advance(200);
  t.equal(await pending2, true);
  t.strictSame(ids(m).slice(6), [12]);
});
