import t from 'tap';
import { ZipfSampler } from '../../../operators/sources/zipf.js';
import { mulberry32 } from '../../../base/random.js';

function counts(n: number, s: number, samples: number, seed = 1): number[] {
  const zipf = new ZipfSampler(n, s);
  const next = mulberry32(seed);
  const c = new Array<number>(n).fill(0);
  for (let i = 0; i < samples; i++) c[zipf.sample(next)]!++;
  return c;
}

t.test('frequencies match the Zipf probabilities for small n', async (t) => {
  for (const s of [0, 0.5, 1, 1.1, 2]) {
    const n = 10;
    const samples = 200_000;
    const c = counts(n, s, samples);
    let norm = 0;
    for (let k = 1; k <= n; k++) norm += k ** -s;
    for (let k = 0; k < n; k++) {
      const expected = (samples * (k + 1) ** -s) / norm;
      // Six standard deviations: never fails by chance, still catches an off-by-one rank.
      t.ok(Math.abs(c[k]! - expected) < 6 * Math.sqrt(expected), `s=${s} rank ${k}: ${c[k]} vs ${expected.toFixed(0)}`);
    }
  }
});

t.test('rank 0 vs rank 1 ratio is 2^s with ten million elements', async (t) => {
  const zipf = new ZipfSampler(10_000_000, 1.1);
  const next = mulberry32(7);
  let r0 = 0;
  let r1 = 0;
  let max = 0;
  for (let i = 0; i < 400_000; i++) {
    const k = zipf.sample(next);
    if (k === 0) r0++;
    else if (k === 1) r1++;
    if (k > max) max = k;
  }
  t.ok(Math.abs(r0 / r1 / 2 ** 1.1 - 1) < 0.05, `ratio ${(r0 / r1).toFixed(3)} vs ${(2 ** 1.1).toFixed(3)}`);
  t.ok(max < 10_000_000, 'ranks stay below n');
  t.ok(max > 100_000, 'the long tail is sampled');
});

t.test('edge cases', async (t) => {
  const one = new ZipfSampler(1, 1.1);
  const next = mulberry32(3);
  let nonZero = 0;
  for (let i = 0; i < 100; i++) if (one.sample(next) !== 0) nonZero++;
  t.equal(nonZero, 0, 'a single element is always rank 0');
  t.equal(one.tryRank(0), 0, 'u = 0 is accepted');
  const big = new ZipfSampler(10_000_000, 3);
  for (const u of [0, 1e-12, 0.5, 1 - 2 ** -53]) {
    const k = big.tryRank(u);
    t.ok(k >= -1 && k < 10_000_000 && Number.isInteger(k), `u=${u} → ${k}`);
  }
  t.throws(() => new ZipfSampler(0, 1), RangeError);
  t.throws(() => new ZipfSampler(1.5, 1), RangeError);
  t.throws(() => new ZipfSampler(10, -1), RangeError);
  t.throws(() => new ZipfSampler(10, Number.NaN), RangeError);
});
