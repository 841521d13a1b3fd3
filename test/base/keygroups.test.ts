import t from 'tap';
import {
  UPPER_BOUND_MAX_PARALLELISM, defaultMaxParallelism, hashKey, invalidKeyReason, keyGroupOf, keyGroupRange, murmurMix, subtaskForKeyGroup,
} from '../../base/keygroups.js';

const sampleKeys: (string | number)[] = [
  '', 'a', 'b', 'customer-42', 'héllo', '日本語', '😀', 'x'.repeat(1000),
  0, 1, -1, 42, 7.25, -0.5, 1e21, 2 ** 31, -(2 ** 31), 2 ** 31 - 1, Number.MAX_SAFE_INTEGER, Infinity, -Infinity,
];

t.test('murmurMix is the murmur3 finaliser', async (t) => {
  // Reference values of murmur3's fmix32.
  t.equal(murmurMix(0), 0);
  t.equal(murmurMix(1), 0x514e28b7);
  for (const h of [0, 1, -1, 123456789, -(2 ** 31), 2 ** 31 - 1]) {
    const m = murmurMix(h);
    t.ok(Number.isInteger(m) && m >= 0 && m <= 0xffffffff, `murmurMix(${h}) is an unsigned 32-bit integer`);
  }
});

t.test('hashKey is deterministic, a 32-bit integer and stable across versions', async (t) => {
  for (const k of sampleKeys) {
    const h = hashKey(k);
    t.ok(Number.isInteger(h) && h >= -(2 ** 31) && h < 2 ** 31, `hashKey(${String(k).slice(0, 20)}) is int32`);
    t.equal(hashKey(k), h, 'same hash on a second call');
    // A copy of the string built differently must hash the same.
    if (typeof k === 'string') t.equal(hashKey([...k].join('')), h, 'equal strings hash equally');
  }
  // Golden values: changing the hash would strand keyed state in existing checkpoints.
  t.equal(hashKey(''), -1756908916);
  t.equal(hashKey('a'), 2003601352);
  t.equal(hashKey('customer-42'), -40449133);
  t.equal(hashKey('héllo'), -1687147371);
  t.equal(hashKey(42), 42);
  t.equal(hashKey(-1), -1);
  t.equal(hashKey(2 ** 31), 1674961329);
  t.equal(hashKey(1.5), 56347368);
  t.equal(hashKey(-0), hashKey(0), '-0 and 0 are the same key');
  t.not(hashKey('a'), hashKey('b'));
  t.not(hashKey(1.5), hashKey(2.5));
});

t.test('keyGroupOf is deterministic and in range', async (t) => {
  for (const maxP of [1, 2, 3, 7, 128, 1000, 4096, UPPER_BOUND_MAX_PARALLELISM]) {
    const bad: string[] = [];
    const seen = new Set<number>();
    for (const k of [...sampleKeys, ...Array.from({ length: 500 }, (_, i) => `key-${i}`), ...Array.from({ length: 500 }, (_, i) => i * 7919 - 1000)]) {
      const kg = keyGroupOf(k, maxP);
      if (!Number.isInteger(kg) || kg < 0 || kg >= maxP || keyGroupOf(k, maxP) !== kg) bad.push(`${String(k)} -> ${kg}`);
      seen.add(kg);
    }
    t.same(bad, [], `maxParallelism ${maxP}: every key group in [0, ${maxP})`);
    if (maxP <= 128) t.equal(seen.size, maxP, `maxParallelism ${maxP}: 1000 keys reach every key group`);
  }
  t.equal(keyGroupOf('a', 128), 117);
  t.equal(keyGroupOf('customer-42', 128), 108);
  t.equal(keyGroupOf(1, 32768), 10423);
  t.equal(keyGroupOf(-1, 128), 57);
});

function checkRanges(p: number, maxP: number): string[] {
  const problems: string[] = [];
  let expectStart = 0;
  for (let i = 0; i < p; i++) {
    const r = keyGroupRange(i, p, maxP);
    if (r.start !== expectStart) problems.push(`subtask ${i} starts at ${r.start}, expected ${expectStart}`);
    if (r.end < r.start) problems.push(`subtask ${i} has an empty range ${r.start}..${r.end}`);
    // Sizes differ by at most one (balanced assignment).
    const size = r.end - r.start + 1;
    if (size !== Math.floor(maxP / p) && size !== Math.ceil(maxP / p)) problems.push(`subtask ${i} owns ${size} key groups`);
    for (let kg = r.start; kg <= r.end; kg++) {
      const owner = subtaskForKeyGroup(kg, maxP, p);
      if (owner !== i) problems.push(`key group ${kg} is in the range of ${i} but subtaskForKeyGroup says ${owner}`);
    }
    expectStart = r.end + 1;
  }
  if (expectStart !== maxP) problems.push(`ranges end at ${expectStart - 1}, expected ${maxP - 1}`);
  return problems;
}

t.test('key-group ranges partition [0, maxParallelism) contiguously and agree with subtaskForKeyGroup', async (t) => {
  const pairs: [number, number][] = [];
  for (const maxP of [1, 2, 3, 5, 7, 10, 128, 129, 1000]) {
    for (let p = 1; p <= Math.min(maxP, 40); p++) pairs.push([p, maxP]);
    pairs.push([maxP, maxP]);
  }
  pairs.push([3, 32768], [7, 32768], [1000, 32768], [32768, 32768], [127, 128], [100, 128], [6, 256]);
  for (const [p, maxP] of pairs) t.same(checkRanges(p, maxP), [], `p=${p} maxP=${maxP}`);
});

t.test('subtaskForKeyGroup is in range and monotonic', async (t) => {
  for (const [p, maxP] of [[3, 128], [5, 7], [128, 128], [1, 10], [9, 1000]] as const) {
    let prev = 0;
    const bad: number[] = [];
    for (let kg = 0; kg < maxP; kg++) {
      const s = subtaskForKeyGroup(kg, maxP, p);
      if (s < prev || s >= p || !Number.isInteger(s)) bad.push(kg);
      prev = s;
    }
    t.same(bad, [], `p=${p} maxP=${maxP}`);
    t.equal(subtaskForKeyGroup(0, maxP, p), 0);
    t.equal(subtaskForKeyGroup(maxP - 1, maxP, p), p - 1);
  }
});

t.test('defaultMaxParallelism follows Flink: 1.5x rounded up to a power of two, within [128, 32768]', async (t) => {
  t.equal(defaultMaxParallelism(1), 128);
  t.equal(defaultMaxParallelism(4), 128);
  t.equal(defaultMaxParallelism(85), 128, '85 + 42 = 127 -> 128');
  t.equal(defaultMaxParallelism(86), 256, '86 + 43 = 129 -> 256');
  t.equal(defaultMaxParallelism(100), 256);
  t.equal(defaultMaxParallelism(171), 256, '171 + 85 = 256');
  t.equal(defaultMaxParallelism(172), 512);
  t.equal(defaultMaxParallelism(1000), 2048);
  t.equal(defaultMaxParallelism(20000), 32768);
  t.equal(defaultMaxParallelism(21846), 32768, 'capped at 32768');
  t.equal(defaultMaxParallelism(100000), 32768);
  t.equal(UPPER_BOUND_MAX_PARALLELISM, 32768);
  const bad: number[] = [];
  for (let p = 1; p <= 30000; p += 7) {
    const wanted = p + Math.floor(p / 2);
    const ref = Math.min(Math.max(2 ** Math.ceil(Math.log2(wanted)), 128), 32768);
    if (defaultMaxParallelism(p) !== ref) bad.push(p);
  }
  t.same(bad, [], 'matches a reference implementation');
});

t.test('invalidKeyReason', async (t) => {
  t.equal(invalidKeyReason('abc'), undefined);
  t.equal(invalidKeyReason(''), undefined);
  t.equal(invalidKeyReason(0), undefined);
  t.equal(invalidKeyReason(-1.5), undefined);
  t.equal(invalidKeyReason(Infinity), undefined);
  t.match(invalidKeyReason(NaN), /NaN/);
  t.match(invalidKeyReason({ id: 1 }), /string or a number.*object/);
  t.match(invalidKeyReason([1]), /object/);
  t.match(invalidKeyReason(null), /got null/);
  t.match(invalidKeyReason(undefined), /got undefined/);
  t.match(invalidKeyReason(true), /got boolean/);
  t.match(invalidKeyReason(10n), /got bigint/);
});
